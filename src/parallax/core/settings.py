"""Settings: the one place that reads Parallax's environment variables, and where indexes live.

| variable | meaning | default |
|---|---|---|
| ``PARALLAX_HOME`` | the data folder: named indexes, the ONNX model cache, shell history | the per-user data folder |
| ``PARALLAX_SEEDS`` | the default corpus | the package's ``_seeds`` or the repo's ``seeds/`` |
| ``PARALLAX_MODEL`` | the embedding model id | ``sentence-transformers/all-MiniLM-L6-v2`` |
| ``PARALLAX_BACKEND`` | how MiniLM runs: ``onnx``, ``onnx-int8`` or ``torch`` | ``onnx`` |
| ``PARALLAX_SEEDS_QUERIES`` | labelled queries (``parallax bench``) | ``benchmarks/data/seeds_queries.jsonl`` |
| ``PARALLAX_SEEDS_COVERAGE`` | labelled coverage (``bench compare``) | ``benchmarks/data/seeds_coverage.json`` |

Each is read when asked for, never cached, so a test can change it with ``monkeypatch.setenv``.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MAX_FILE_MB = 50.0  # larger input files are refused from their size, before reading (--max-file-mb)

SEEDS_INDEX_NAME = "seeds"


def home() -> Path:
    """The Parallax data folder: ``$PARALLAX_HOME`` or the per-user data folder."""
    env = os.environ.get("PARALLAX_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("parallax", appauthor=False)


def indexes_dir() -> Path:
    return home() / "indexes"


def seeds_dir() -> Path:
    """The bundled seeds corpus: inside the package when installed as a wheel, else the repo's ``seeds/``."""
    env = os.environ.get("PARALLAX_SEEDS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[1]  # the package folder
    for candidate in (here / "_seeds", here.parents[1] / "seeds"):
        if candidate.is_dir():
            return candidate
    return here.parents[1] / "seeds"


def resolve_index(spec: str | Path | None, default_name: str = SEEDS_INDEX_NAME) -> Path:
    """Turn ``--index`` into a folder.

    A value with a path separator (``./idx``, ``/data/idx``, ``~/idx``) is a folder; a bare word is
    the name of an index under the Parallax home, even if a folder of that name exists here.
    ``None`` means the seeds index.
    """
    if spec is None:
        return indexes_dir() / default_name
    text = str(spec)
    if os.sep in text or (os.altsep and os.altsep in text) or text.startswith(("~", ".")):
        return Path(text).expanduser()
    return indexes_dir() / text


def is_seeds_index(path: Path) -> bool:
    return path.resolve() == (indexes_dir() / SEEDS_INDEX_NAME).resolve()


MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_BACKEND = "onnx"


def model_id() -> str:
    """The embedding model id in use: ``$PARALLAX_MODEL`` or MiniLM."""
    return os.environ.get("PARALLAX_MODEL") or MINILM_ID


def backend() -> str:
    """How MiniLM runs: ``$PARALLAX_BACKEND`` or ``onnx``."""
    return os.environ.get("PARALLAX_BACKEND") or DEFAULT_BACKEND


def _data_file(variable: str, name: str) -> Path:
    env = os.environ.get(variable)
    return Path(env) if env else seeds_dir().parent / "benchmarks" / "data" / name


def seeds_queries_path() -> Path:
    """The seeds' labelled queries: ``$PARALLAX_SEEDS_QUERIES`` or ``benchmarks/data/seeds_queries.jsonl``."""
    return _data_file("PARALLAX_SEEDS_QUERIES", "seeds_queries.jsonl")


def seeds_coverage_path() -> Path:
    """The seeds' labelled coverage set: ``$PARALLAX_SEEDS_COVERAGE`` or ``benchmarks/data/seeds_coverage.json``."""
    return _data_file("PARALLAX_SEEDS_COVERAGE", "seeds_coverage.json")


def basil_dir() -> Path:
    """basil-dev (``bench compare --dataset basil``): ``$PARALLAX_BASIL`` or ``../shared/datasets/basil-dev``
    beside the project (the shared data sets, never copied into it)."""
    env = os.environ.get("PARALLAX_BASIL")
    return Path(env) if env else seeds_dir().parent.parent / "shared" / "datasets" / "basil-dev"
