"""TEMPORARY shim for the layout merge: re-exports; removed after it.

``build_index`` and ``update_index`` here also accept the settings keywords they took before
``BuildOptions`` (``batch_size``, ``bm25_config``, ``sentence_vectors``, ``sentence_weight``);
callers should pass ``options=BuildOptions(...)`` to ``parallax.index.builder`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parallax.index import builder
from parallax.index.builder import BuildOptions, UpdateStats, stored_extractions  # noqa: F401
from parallax.index.lock import index_lock, lock_path  # noqa: F401
from parallax.index.manifest import (  # noqa: F401
    FAISS_FILE,
    FORMAT_VERSION,
    MANIFEST_FILE,
    SENTENCES_FILE,
    STORE_FILE,
    Manifest,
)
from parallax.index.reader import Index  # noqa: F401

if TYPE_CHECKING:
    from parallax.embed.registry import Embedder
    from parallax.ingest.chunk import ChunkerConfig
    from parallax.ingest.corpus import Corpus

_LEGACY = {"batch_size": "batch_size", "bm25_config": "bm25", "sentence_vectors": "sentence_vectors",
           "sentence_weight": "sentence_weight"}  # fmt: skip


def _options(legacy: dict[str, Any]) -> BuildOptions:
    unknown = set(legacy) - set(_LEGACY)
    if unknown:
        raise TypeError(f"unexpected keyword arguments {sorted(unknown)}")
    return BuildOptions(**{_LEGACY[k]: v for k, v in legacy.items()})


def update_index(
    corpus: Corpus,
    embedder: Embedder,
    dest: Path,
    config: ChunkerConfig | None = None,
    *,
    inputs: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    rebuild: bool = False,
    wait: float = 0.0,
    **legacy: Any,
) -> UpdateStats:
    return builder.update_index(
        corpus, embedder, dest, config, inputs=inputs, progress=progress, options=_options(legacy),
        rebuild=rebuild, wait=wait,
    )  # fmt: skip


def build_index(
    corpus: Corpus,
    embedder: Embedder,
    dest: Path,
    config: ChunkerConfig | None = None,
    *,
    inputs: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    wait: float = 0.0,
    **legacy: Any,
) -> UpdateStats:
    return update_index(
        corpus, embedder, dest, config, inputs=inputs, progress=progress, rebuild=True, wait=wait, **legacy
    )
