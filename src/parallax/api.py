"""The library functions the CLI calls: open (or first build) an index, index paths, search."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .chunk import ChunkerConfig
from .corpus import load_corpus
from .embed import Embedder, default_model_id, get_embedder
from .errors import InputError, ParallaxError
from .index import MANIFEST_FILE, BuildStats, Index, Manifest, build_index
from .paths import indexes_dir, is_seeds_index, resolve_index, seeds_dir

ProgressFactory = Callable[[str], Callable[[int, int], None]]


def index_paths(
    paths: Sequence[Path],
    index: str | Path | None = None,
    config: ChunkerConfig | None = None,
    embedder: Embedder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Path, BuildStats]:
    """Build (or rebuild) an index from files and folders.

    With no paths, an existing index is rebuilt from the inputs its manifest records, and the
    seeds index from the seeds. Without ``index``, the paths get a named index of their own.
    """
    if index is not None:
        dest = resolve_index(index)
    elif paths:
        dest = default_index_for(paths)
    else:
        dest = resolve_index(None)
    if not paths:
        paths = [seeds_dir()] if is_seeds_index(dest) else recorded_inputs(dest)
    if not paths:
        raise InputError(f"name the files or folders to index: parallax index PATH... --index {dest}")
    corpus = load_corpus(paths)  # fails before anything on disk is touched
    embedder = embedder or get_embedder()
    stats = build_index(corpus, embedder, dest, config=config, inputs=[str(p) for p in paths], progress=progress)
    return dest, stats


def recorded_inputs(dest: Path) -> list[Path]:
    """The inputs an existing index was built from, if its manifest can be read."""
    try:
        manifest = Manifest.from_json((dest / MANIFEST_FILE).read_text(encoding="utf-8"), dest / MANIFEST_FILE)
    except (OSError, UnicodeDecodeError, ParallaxError):
        return []
    return [Path(p) for p in manifest.inputs]


def default_index_for(paths: Sequence[Path]) -> Path:
    """Where ``parallax index PATH`` writes without ``--index``: a named index after the first path."""
    first = Path(paths[0]).expanduser().resolve()
    name = first.stem if first.is_file() else first.name
    return indexes_dir() / (name or "default")


def open_index(
    index: str | Path | None = None,
    model_id: str | None = None,
    on_first_build: Callable[[Path], Callable[[int, int], None] | None] | None = None,
) -> Index:
    """Load an index, checking its model. The seeds index is built on first use."""
    path = resolve_index(index)
    model_id = model_id or default_model_id()
    if is_seeds_index(path) and not (path / "manifest.json").exists():
        progress = on_first_build(path) if on_first_build else None
        build_index(
            load_corpus([seeds_dir()]), get_embedder(model_id), path, inputs=[str(seeds_dir())], progress=progress
        )
    return Index.load(path, model_id=model_id)
