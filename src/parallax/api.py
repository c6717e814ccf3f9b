"""The library's front door, what the CLI calls: open (or first build) an index, index paths, describe an
index, show a passage in its context."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parallax.core.errors import InputError
from parallax.core.settings import DEFAULT_MAX_FILE_MB, indexes_dir, is_seeds_index, resolve_index, seeds_dir
from parallax.embed.registry import Embedder, default_model_id, get_embedder
from parallax.index.engine import ENGINES, LOCAL
from parallax.index.engine import Engine as Engine  # re-exported: the CLI builds one
from parallax.index.manifest import MANIFEST_FILE, Manifest, documents_not_index, is_index_dir, read_manifest
from parallax.index.reader import Index

if TYPE_CHECKING:  # reading, chunking and writing are for builds; opening an index does not import them
    from parallax.index.builder import UpdateStats
    from parallax.ingest.chunk import ChunkerConfig


def index_paths(
    paths: Sequence[Path],
    index: str | Path | None = None,
    config: ChunkerConfig | None = None,
    embedder: Embedder | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    max_tokens: int | None = None,
    overlap: int | None = None,
    rebuild: bool = False,
    wait: float = 0.0,
    max_file_mb: float | None = DEFAULT_MAX_FILE_MB,
    ann: str | None = None,
    device: str | None = None,
    engine: Engine = LOCAL,
) -> tuple[Path, UpdateStats]:
    """Create or update an index from files and folders; only new and changed documents are embedded.

    With no paths, an existing index is updated from the inputs its manifest records, and the
    seeds index from the seeds. Without ``index``, the paths get a named index of their own.
    ``config`` (or ``max_tokens``/``overlap``, the other setting taken from the index) sets the
    chunker explicitly: if it differs from the index's, the index is rebuilt. ``rebuild`` starts
    over; ``wait`` is how long to wait for another build of the same index. ``ann`` chooses the vector
    search structure (``parallax.index.ann.KINDS``; None keeps the index's). ``device`` (auto, cpu or
    cuda: ``parallax.embed.device``) is where the vectors are made when ``embedder`` is not given.
    ``engine`` says where new documents are chunked and embedded: here, or on a Ray cluster
    (``Engine("ray", address)``).
    """
    from parallax.index.ann import KINDS

    if ann is not None and ann not in KINDS:
        raise InputError(f"unknown --ann {ann!r}; choose one of {', '.join(KINDS)}")
    _check_engine(engine)
    if index is not None:
        dest = resolve_index(index)
    elif paths:
        dest = default_index_for(paths)
    else:
        dest = resolve_index(None)
    wants_inputs = not paths and not is_seeds_index(dest)
    wants_chunker = config is None and (max_tokens is not None or overlap is not None)
    recorded = read_manifest(dest) if wants_inputs or wants_chunker else None  # read once, only if needed
    if wants_inputs:
        paths = [Path(p) for p in recorded.inputs] if recorded else []
    elif not paths:
        paths = [seeds_dir()]
    if not paths:
        raise InputError(f"name the files or folders to index: parallax index PATH... --index {dest}")
    _refuse_documents_as_index(dest, paths)
    if wants_chunker:
        config = _chunker_with(recorded, max_tokens, overlap)
    before = _manifest_bytes(dest)
    embedder = embedder or get_embedder(device=device)
    try:
        return dest, _build(dest, paths, config, embedder, progress, rebuild, wait, max_file_mb, ann, engine)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(_interrupted(dest, before)) from None


def _build(
    dest: Path,
    paths: Sequence[Path],
    config: ChunkerConfig | None,
    embedder: Embedder | None,
    progress: Callable[[int, int], None] | None,
    rebuild: bool,
    wait: float,
    max_file_mb: float | None,
    ann: str | None,
    engine: Engine,
) -> UpdateStats:
    from parallax.index.builder import BuildOptions, update_index
    from parallax.index.known import known_files, stored_extractions
    from parallax.ingest.load import load_corpus

    known = None if rebuild else known_files(dest)
    with stored_extractions(dest) as reuse:  # unchanged HTML and PDF files are not extracted again
        # fails before anything on disk is touched
        corpus = load_corpus(paths, max_file_mb=max_file_mb, reuse=None if rebuild else reuse, known=known)
    return update_index(
        corpus,
        embedder or get_embedder(),
        dest,
        config=config,
        inputs=[str(p) for p in paths],
        progress=progress,
        rebuild=rebuild,
        wait=wait,
        options=BuildOptions(ann=ann, engine=engine),
    )


def _check_engine(engine: Engine) -> None:
    """A known engine, its package installed: fails before anything is read."""
    if engine.kind not in ENGINES:
        raise InputError(f"unknown --engine {engine.kind!r}; choose one of {', '.join(ENGINES)}")
    if engine.kind == "ray":
        from parallax.index.ray_engine import require_ray

        require_ray()
    elif engine.address:
        raise InputError("--address names a Ray cluster: use it with --engine ray")


def _manifest_bytes(dest: Path) -> bytes | None:
    try:
        return (dest / MANIFEST_FILE).read_bytes()
    except OSError:
        return None


def _interrupted(dest: Path, before: bytes | None) -> str:
    """What an interrupted build left at ``dest``. A build writes a staged copy, removed when it is
    interrupted, and swaps it in only once whole: the index is the old one, or (interrupted after the
    swap) the new one. Interrupted between the two renames of the swap, the old index waits beside
    ``dest`` and the next reader or build puts it back."""
    after = _manifest_bytes(dest)
    if after is not None and after != before:
        return f"interrupted after the index at {dest} was updated"
    if before is None:
        return f"interrupted; no index was written at {dest}"
    return f"interrupted; the index at {dest} was left as it was"


def _refuse_documents_as_index(dest: Path, paths: Sequence[Path]) -> None:
    """``parallax index DIR --index DIR``: DIR holds the documents, so it cannot hold their index."""
    if is_index_dir(dest) or not dest.is_dir() or not any(dest.iterdir()):
        return
    if any(Path(p).expanduser().resolve() == dest.resolve() for p in paths):
        raise InputError(documents_not_index(dest))


def _chunker_with(recorded: Manifest | None, max_tokens: int | None, overlap: int | None) -> ChunkerConfig:
    """The chunker an index was built with (or the default), with ``max_tokens`` and ``overlap`` replaced."""
    from parallax.ingest.chunk import ChunkerConfig

    base = (ChunkerConfig.from_dict(recorded.chunker) if recorded else None) or ChunkerConfig()
    try:
        return base.with_sizes(max_tokens, overlap)
    except ValueError as exc:
        raise InputError(str(exc)) from None


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
    if is_seeds_index(path) and not (path / MANIFEST_FILE).exists():
        progress = on_first_build(path) if on_first_build else None
        # Another process building the seeds at the same moment is waited for; its result is then reused.
        from parallax.index.builder import update_index
        from parallax.ingest.load import load_corpus

        update_index(
            load_corpus([seeds_dir()]),
            get_embedder(model_id),
            path,
            inputs=[str(seeds_dir())],
            progress=progress,
            wait=600.0,
        )
    return Index.load(path, model_id=model_id)


@dataclass(frozen=True)
class SourceInfo:
    """One document of an index, as ``parallax info`` lists it."""

    id: str  # the short id that --source accepts
    source: str
    title: str
    chunks: int
    chars: int


@dataclass(frozen=True)
class IndexInfo:
    """What ``parallax info`` shows of an index: its corpus, chunk count, model, size and place."""

    path: Path
    model: str
    dim: int
    chunker: dict[str, Any]
    documents: int
    chunks: int
    size_bytes: int
    created_at: str
    format_version: int
    sources: tuple[SourceInfo, ...]
    sentences: int = 0
    ann: dict[str, Any] | None = None  # the vector search structure of each matrix (manifest "ann")
    segments: int = 0  # delta segments beside the base (small updates of a large index)
    deleted_chunks: int = 0  # rows of removed or replaced documents still stored, until a merge

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "model": self.model,
            "dim": self.dim,
            "chunker": self.chunker,
            "documents": self.documents,
            "chunks": self.chunks,
            "size_bytes": self.size_bytes,
            "created_at": self.created_at,
            "format_version": self.format_version,
            "sentences": self.sentences,
            "ann": self.ann or {"requested": "auto", "chunks": {"kind": "flat"}},
            "segments": self.segments,
            "deleted_chunks": self.deleted_chunks,
            "sources": [asdict(s) for s in self.sources],
        }


def index_info(index: Index) -> IndexInfo:
    """Describe a loaded index (its size is measured on disk)."""
    m = index.manifest
    return IndexInfo(
        path=index.path,
        model=m.model_id,
        dim=m.dim,
        chunker=m.chunker,
        documents=len(m.documents),
        chunks=m.live_counts()[0],
        size_bytes=index.size_bytes(),
        created_at=m.created_at,
        format_version=m.format_version,
        sources=tuple(SourceInfo(d.short_id, d.source, d.title, d.chunks, d.chars) for d in m.documents),
        sentences=m.live_counts()[1],
        ann=m.ann or None,
        segments=len(m.segments),
        deleted_chunks=m.chunk_count - m.live_counts()[0],
    )


@dataclass(frozen=True)
class PassageInContext:
    """A span of a stored document with the text either side of it (``parallax show``)."""

    source: str
    title: str
    start: int
    end: int
    text: str
    before: str
    after: str
    page: int | None
    format: str
    chars: int  # length of the stored document text

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "before": self.before,
            "after": self.after,
        }
        if self.page is not None:
            out["page"] = self.page
        return out


_SPANS = (
    re.compile(r"(?P<source>.+?)\s*:?\s*\[\s*(?P<start>\d+)\s*:\s*(?P<end>\d+)\s*\)"),  # panda [9434:9990)
    re.compile(r"(?P<source>.+):(?P<start>\d+)-(?P<end>\d+)"),  # panda:9434-9990
)


def parse_span(spec: str) -> tuple[str, int, int]:
    """A passage as search prints it, ``SOURCE [START:END)`` or ``SOURCE:[START:END)``, or as
    ``SOURCE:START-END``, into its parts."""
    for pattern in _SPANS:
        m = pattern.fullmatch(spec.strip())
        if m and m["source"].strip():
            return m["source"].strip(), int(m["start"]), int(m["end"])
    if re.fullmatch(r".+:[^:]*-[^:]*", spec.strip()):
        raise InputError(f"START and END must be whole numbers in {spec!r}")
    raise InputError(
        f"give a passage as SOURCE:START-END or as search prints it, SOURCE [START:END), "
        f"e.g. panda:9434-9990 or 'panda [9434:9990)' (got {spec!r})"
    )


def show_passage(index: Index, source: str, start: int, end: int, context: int = 300) -> PassageInContext:
    """The characters ``[start, end)`` of a stored document and up to ``context`` characters either side.

    ``source`` is anything ``--source`` accepts (short id, file name or stem). Offsets refer to the
    stored text: the file itself for .txt and .md, the extracted text for HTML and PDF.
    """
    matches = sorted(set(index.resolve_sources([source])))
    if len(matches) > 1:
        raise InputError(f"{source!r} names {len(matches)} documents ({', '.join(matches)}); name one of them")
    name = matches[0]
    text = index.document_text(name)
    if not 0 <= start < end <= len(text):
        raise InputError(f"{name} holds {len(text)} characters; START-END must satisfy 0 <= START < END <= {len(text)}")
    if context < 0:
        raise InputError("--context must be 0 or more")
    record = index.manifest.document(name)
    return PassageInContext(
        source=name,
        title=record.title,
        start=start,
        end=end,
        text=text[start:end],
        before=text[max(0, start - context) : start],
        after=text[end : end + context],
        page=index.page_of(name, start),
        format=record.format,
        chars=len(text),
    )
