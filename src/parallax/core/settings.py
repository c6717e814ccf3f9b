"""Where indexes live and where the default corpus (the seeds) is found."""

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


def short_name(source: str) -> str:
    """A source id without its extension: ``nikkei.md`` -> ``nikkei``, ``2023/summary.pdf`` -> ``2023/summary``."""
    return Path(source).with_suffix("").as_posix()
