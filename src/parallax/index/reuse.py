"""Whether an update can build on the index already at its destination.

Vectors can be reused only from an index of the same model (anything else is an error: re-embedding
everything is a choice, ``--rebuild``), with chunks cut the same way and with sentence vectors if and
only if this build wants them. Chunker settings given explicitly that differ from the index's
rebuild it; with none given, the index's own settings are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parallax.core.errors import IndexMismatchError
from parallax.index.manifest import MANIFEST_FILE, DocumentRecord, Manifest
from parallax.index.reader import Index

if TYPE_CHECKING:
    from parallax.embed.registry import Embedder
    from parallax.ingest.chunk import ChunkerConfig

_HEADING_FORMATS = frozenset({"markdown", "html"})


@dataclass(frozen=True)
class Previous:
    """What the index at the destination offers a build.

    ``index``: the loaded old index when its stored rows and vectors can be reused, else None.
    ``records``: the old index's documents, to report what changed. ``config``: the chunker to use.
    ``reason``: why everything is chunked and embedded afresh, when an index was there. ``stale``:
    formats whose documents must be re-chunked even though the index is reused. ``skipped``: the files
    the build that wrote it left out (None: not known, or no index).
    """

    index: Index | None
    records: tuple[DocumentRecord, ...]
    config: ChunkerConfig
    reason: str = ""
    stale: frozenset[str] = frozenset()
    skipped: frozenset[tuple[str, str]] | None = None


def _mismatch(dest: Path, what: str) -> IndexMismatchError:
    return IndexMismatchError(
        f"{dest} was built with {what}, so its vectors cannot be reused; re-embed everything with: "
        f"parallax index PATH... --index {dest} --rebuild"
    )


def _stale_formats(recorded: dict[str, Any], config: ChunkerConfig) -> frozenset[str] | None:
    """Document formats whose stored chunks ``config`` would cut differently; None if no chunk can be kept.

    An index written before heading paths existed records no ``heading_context``: its chunks are
    those of ``heading_context=False``, which differ only in Markdown and HTML.
    """
    now = config.to_dict()
    if now == recorded:
        return frozenset()
    if "heading_context" not in recorded and {k: v for k, v in now.items() if k != "heading_context"} == recorded:
        return _HEADING_FORMATS if config.heading_context else frozenset()
    return None


def _chunker_for(dest: Path, manifest: Manifest, config: ChunkerConfig | None) -> ChunkerConfig:
    """``config``, or the chunker the index records when none is given."""
    if config is not None:
        return config
    from parallax.ingest.chunk import ChunkerConfig

    recorded = ChunkerConfig.from_dict(manifest.chunker) or ChunkerConfig.from_dict(
        {**manifest.chunker, "heading_context": True}
    )
    if recorded is None:
        raise _mismatch(dest, f"chunker settings this version does not write ({manifest.chunker})")
    return recorded


def _why_not(manifest: Manifest, config: ChunkerConfig, sentence_vectors: bool) -> str:
    """Why the index's rows cannot be reused with ``config``, or "" when they can."""
    if _stale_formats(manifest.chunker, config) is None:
        recorded = manifest.chunker
        changed = ", ".join(
            f"{k} {recorded.get(k)} -> {v}" for k, v in config.to_dict().items() if recorded.get(k) != v
        )
        return f"chunker settings changed ({changed})"
    if bool(manifest.sentence_count) != sentence_vectors and manifest.chunk_count:
        return "sentence vectors turned " + ("on" if sentence_vectors else "off")
    return ""


def reusable(dest: Path, embedder: Embedder, config: ChunkerConfig | None, sentence_vectors: bool) -> Previous:
    """Load the index at ``dest`` and say what of it this build can reuse.

    Call with the lock held, after ``staging.tidy``: ``dest`` is then either a whole index, an empty
    or missing folder (a new index), or damaged (``CorruptIndexError`` names ``--rebuild``).
    """
    if not (dest / MANIFEST_FILE).is_file() and not (dest.is_dir() and any(dest.iterdir())):
        from parallax.ingest.chunk import ChunkerConfig

        return Previous(None, (), config or ChunkerConfig())
    previous = Index.load(dest)  # dest exists, so this does not take the lock again
    m = previous.manifest
    try:
        if m.model_id != embedder.model_id or m.dim != embedder.dim:
            raise _mismatch(dest, f"{m.model_id} (dim {m.dim}) and this run embeds with {embedder.model_id}")
        config = _chunker_for(dest, m, config)
    except IndexMismatchError:
        previous.close()
        raise
    reason = _why_not(m, config, sentence_vectors)
    if reason:
        previous.close()
        return Previous(None, tuple(m.documents), config, reason, skipped=m.recorded_skipped())
    stale = _stale_formats(m.chunker, config) or frozenset()
    return Previous(previous, tuple(m.documents), config, "", stale, m.recorded_skipped())
