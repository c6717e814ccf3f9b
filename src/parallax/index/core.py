"""An index on disk: a folder holding open formats plus a manifest.

    <index>/manifest.json   format version, model, dimension, chunker settings, one hash per document
    <index>/vectors.faiss   FAISS IndexFlatIP over unit vectors (inner product = cosine)
    <index>/chunks.sqlite   documents (with their text) and chunks (offsets and embedded text)

A build writes a temporary sibling folder and swaps it in with two renames, so an existing index is
never left half-written; a crash between the renames is repaired on the next load. Nothing is
pickled. Loading checks the manifest against the files (their sizes are recorded, so a truncated
file is caught) and against the model in use.

Updates are incremental: documents whose text hash is in the manifest keep their stored chunks,
sentences and vectors, which are copied into the new folder; only new and changed documents are
chunked and embedded. Builds of one index are serialised by a file lock beside the folder
(``.<name>.lock``), which the OS releases when a process dies.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from parallax import __version__
from parallax.core.errors import CorruptIndexError, IndexBusyError, IndexMismatchError, IndexNotFoundError, InputError
from parallax.index.bm25 import BM25Config, BM25Index
from parallax.index.flatfile import FlatFileError, read_flat
from parallax.text.pages import page_at
from parallax.text.query import normalise
from parallax.text.sources import short_name

if TYPE_CHECKING:  # chunking and reading files are for builds; a query does not import them
    from parallax.embed.registry import Embedder
    from parallax.ingest.chunk import Chunk, ChunkerConfig
    from parallax.ingest.corpus import Corpus, Document, Extraction, Reuse

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
FAISS_FILE = "vectors.faiss"
STORE_FILE = "chunks.sqlite"
SENTENCES_FILE = "sentences.faiss"
DEFAULT_SENTENCE_WEIGHT = 0.7


def rebuild_hint(path: Path) -> str:
    return f"parallax index PATH... --index {path} --rebuild"


@dataclass(frozen=True)
class DocumentRecord:
    source: str
    path: str
    title: str
    sha256: str
    format: str
    chars: int
    chunks: int
    meta: dict[str, str | None] = field(default_factory=dict)

    @property
    def short_id(self) -> str:
        return self.meta.get("id") or short_name(self.source)


@dataclass
class Manifest:
    model_id: str
    dim: int
    chunker: dict[str, Any]
    documents: list[DocumentRecord]
    chunk_count: int
    inputs: list[str]
    normalized: bool = True
    metric: str = "inner_product"
    faiss_index: str = "IndexFlatIP"
    format_version: int = FORMAT_VERSION
    parallax_version: str = __version__
    created_at: str = ""
    sentence_count: int = 0
    dense: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        hint = rebuild_hint(where.parent)
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CorruptIndexError(f"{where} is not valid JSON ({exc}); rebuild with: {hint}") from None
        if not isinstance(data, dict):
            raise CorruptIndexError(f"{where} is not a Parallax manifest; rebuild with: {hint}")
        version = data.get("format_version")
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise CorruptIndexError(
                f"{where.parent} was written by a newer Parallax (index format {version}, this one reads "
                f"{FORMAT_VERSION}); upgrade Parallax or rebuild with: {hint}"
            )
        try:
            docs = [DocumentRecord(**d) for d in data.pop("documents")]
            manifest = cls(documents=docs, **data)
        except (KeyError, TypeError) as exc:
            raise CorruptIndexError(
                f"{where} is missing fields or has unknown ones ({exc}); rebuild with: {hint}"
            ) from None
        if manifest.format_version != FORMAT_VERSION:
            raise CorruptIndexError(f"{where} has unknown format version {version!r}; rebuild with: {hint}")
        return manifest

    def document(self, source: str) -> DocumentRecord:
        for doc in self.documents:
            if doc.source == source:
                return doc
        raise KeyError(source)


# ---------------------------------------------------------------------------------------------
# Writing.


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


_SCHEMA = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL UNIQUE, path TEXT NOT NULL, title TEXT NOT NULL,
    sha256 TEXT NOT NULL, format TEXT NOT NULL, meta TEXT NOT NULL, text TEXT NOT NULL,
    info TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, embed_text TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT ''
);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE TABLE sentences (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE TABLE chunk_sentences (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id), sentence_id INTEGER NOT NULL REFERENCES sentences(id),
    PRIMARY KEY (chunk_id, sentence_id)
);
"""


def _write_store(
    path: Path,
    docs: Sequence[Document],
    chunks: Sequence[Chunk],
    sentences: Sequence[SentenceSpan] = (),
    members: Sequence[Sequence[int]] = (),
) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.executescript(_SCHEMA)
        doc_ids = {}
        for i, doc in enumerate(docs):
            doc_ids[doc.source] = i
            info = json.dumps(
                {
                    "encoding": doc.encoding,
                    "pages": list(doc.pages),
                    "file_sha256": doc.file_sha256,
                    "auto_title": doc.auto_title,
                    "extractor": doc.extractor,
                }
            )
            conn.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (i, doc.source, doc.path, doc.title, doc.sha256, doc.format, json.dumps(doc.meta), doc.text, info),
            )
        conn.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
            ((i, doc_ids[c.source], c.start, c.end, c.embed_text, c.context) for i, c in enumerate(chunks)),
        )
        conn.executemany(
            "INSERT INTO sentences VALUES (?, ?, ?, ?)",
            ((i, doc_ids[x.source], x.start, x.end) for i, x in enumerate(sentences)),
        )
        conn.executemany(
            "INSERT INTO chunk_sentences VALUES (?, ?)",
            ((cid, sid) for cid, sids in enumerate(members) for sid in sids),
        )
        conn.commit()
    finally:
        conn.close()


def _is_index_dir(path: Path) -> bool:
    return (path / MANIFEST_FILE).is_file() or (path / FAISS_FILE).is_file()


def _check_destination(dest: Path) -> None:
    """Refuse to replace a file, or a folder that holds something other than an index."""
    if dest.exists() and not dest.is_dir():
        raise InputError(f"{dest} exists and is not a folder; choose another --index")
    if dest.is_dir() and any(dest.iterdir()) and not _is_index_dir(dest):
        raise InputError(f"{dest} is a non-empty folder that is not a Parallax index; choose another --index")


# ---------------------------------------------------------------------------------------------
# One build at a time: a file lock beside the index folder.

_HELD: dict[tuple[str, int], Any] = {}  # (lock file, thread) pairs held, for re-entry


def lock_path(dest: Path) -> Path:
    """The lock file of an index: ``.<name>.lock`` in the folder that holds the index, so swaps never touch it."""
    return dest.parent / f".{dest.name}.lock"


def _lock_owner(path: Path) -> str:
    try:
        pid = int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return ""
    return f" (pid {pid})"


@contextmanager
def index_lock(dest: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock of the index at ``dest``; wait up to ``wait`` seconds for another build to finish.

    The lock is an OS file lock (``flock``), released by the kernel when its holder dies, so a killed
    build never leaves it stuck. Re-entrant within a process.
    """
    key = lock_path(dest)
    held = (str(key), threading.get_ident())  # another thread of this process contends like another process
    if held in _HELD:
        yield
        return
    from filelock import FileLock, Timeout

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {dest.parent}: {exc.strerror or exc}") from None
    lock = FileLock(str(key))
    try:
        lock.acquire(timeout=max(float(wait), 0.0), poll_interval=0.05)
    except Timeout:
        raise IndexBusyError(
            f"another parallax index is running on {dest}{_lock_owner(key)}; wait for it to finish or retry "
            f"with --wait SECONDS"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot write an index in {dest.parent} ({exc.strerror or exc}); nothing was changed there"
        ) from None
    try:
        try:
            fd = os.open(key, os.O_WRONLY | os.O_TRUNC)
            try:
                os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            finally:
                os.close(fd)
        except OSError:
            pass  # the pid is only for the message another build prints
        _HELD[held] = lock
        yield
    finally:
        _HELD.pop(held, None)
        lock.release()


def _clean_stale(dest: Path) -> None:
    """Remove temporary folders left by builds that died.

    Called with the lock held, so no live build of this index owns one; a folder whose pid is alive
    is still left alone, for an older Parallax that did not lock.
    """
    if not dest.parent.is_dir():
        return
    for tmp in dest.parent.glob(f".{dest.name}.tmp-*"):
        try:
            pid = int(tmp.name.rsplit("-", 2)[-2])
        except (ValueError, IndexError):
            continue
        if pid == os.getpid() or not _pid_alive(pid):
            shutil.rmtree(tmp, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover(dest: Path) -> None:
    """Finish a swap that a dead build left half done.

    The swap is ``dest -> .old-X``, ``.tmp-Y -> dest``, then ``.old-X`` removed. Killed after the
    first rename, ``dest`` is missing and ``.old-X`` holds the previous index: it is put back. Killed
    later, ``dest`` is the new index and any ``.old-*`` (whole or half removed) is deleted.
    """
    if not dest.parent.is_dir():
        return
    if dest.exists():
        for old in dest.parent.glob(f".{dest.name}.old-*"):
            shutil.rmtree(old, ignore_errors=True)
        return
    olds = sorted(dest.parent.glob(f".{dest.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds:
        os.rename(olds[-1], dest)
        for old in olds[:-1]:
            shutil.rmtree(old, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` to disk, so the swap publishes complete files."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        elif path.is_dir():
            _fsync_dir(path)
    _fsync_dir(folder)


@contextmanager
def staged_dir(dest: Path) -> Iterator[Path]:
    """A temporary folder beside ``dest`` that replaces it on success and vanishes on failure.

    Holds the index lock (re-entrant), finishes any swap a dead build left, and removes dead
    builds' temporary folders first.
    """
    _check_destination(dest)
    with index_lock(dest):
        _recover(dest)
        _clean_stale(dest)
        tmp = dest.parent / f".{dest.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir()
        except OSError as exc:
            raise InputError(f"cannot write an index in {dest.parent}: {exc.strerror or exc}") from None
        try:
            yield tmp
            _fsync_tree(tmp)
            backup = None
            if dest.exists():
                backup = dest.parent / f".{dest.name}.old-{uuid.uuid4().hex[:8]}"
                os.rename(dest, backup)
            os.rename(tmp, dest)
            _fsync_dir(dest.parent)
            if backup is not None:
                shutil.rmtree(backup, ignore_errors=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


def _write_faiss(path: Path, dim: int, vectors: np.ndarray) -> None:
    import faiss

    index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(path))


def _file_sizes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST_FILE
    }


def write_index(
    dest: Path,
    docs: Sequence[Document],
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    manifest: Manifest,
    extra_writers: Sequence[Callable[[Path], None]] = (),
    sentences: Sequence[SentenceSpan] = (),
    sentence_vectors: np.ndarray | None = None,
    members: Sequence[Sequence[int]] = (),
) -> None:
    """Write a whole index into a staged folder and swap it in. The manifest, written last, records every
    file's size, so a truncated file is caught at load."""
    if len(chunks) != vectors.shape[0]:
        raise ValueError("one vector per chunk is required")
    with staged_dir(dest) as tmp:
        _write_faiss(tmp / FAISS_FILE, manifest.dim, vectors)
        if sentence_vectors is not None:
            _write_faiss(tmp / SENTENCES_FILE, manifest.dim, sentence_vectors)
        _write_store(tmp / STORE_FILE, docs, chunks, sentences, members)
        for writer in extra_writers:
            writer(tmp)
        manifest = replace(manifest, extras={**manifest.extras, "files": _file_sizes(tmp)})
        _write_file(tmp / MANIFEST_FILE, manifest.to_json())


@dataclass(frozen=True)
class SentenceSpan:
    source: str
    start: int
    end: int
    plain: str


@dataclass
class BuildStats:
    documents: int
    chunks: int
    sentences: int
    skipped: list[tuple[str, str]]
    seconds: float
    embed_seconds: float


@dataclass
class UpdateStats(BuildStats):
    """What an index run did, by document (source names) and by count of vectors computed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # "old -> new": same text under a new name, vectors kept
    skipped_kinds: dict[str, int] = field(default_factory=dict)  # e.g. {"unsupported": 2, "empty": 1}
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    rebuilt: bool = True  # every document chunked and embedded afresh
    reason: str = ""  # why, when an index was there before
    written: bool = True  # False: nothing changed, the index on disk was left as it was


def _mismatch(dest: Path, what: str) -> IndexMismatchError:
    return IndexMismatchError(
        f"{dest} was built with {what}, so its vectors cannot be reused; re-embed everything with: "
        f"parallax index PATH... --index {dest} --rebuild"
    )


_HEADING_FORMATS = frozenset({"markdown", "html"})


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


def _reusable(
    dest: Path,
    embedder: Embedder,
    config: ChunkerConfig | None,
    sentence_vectors: bool,
) -> tuple[Index | None, ChunkerConfig, str, frozenset[str]]:
    """The index at ``dest`` if its vectors can be reused, the chunker to use, why (not), and the
    formats whose documents must be re-chunked anyway.

    A different model is an error (re-embedding everything is a choice: ``--rebuild``). Chunker
    settings given explicitly that differ from the index's rebuild it; with none given, the index's
    own settings are kept. Call with the lock held.
    """
    from parallax.ingest.chunk import ChunkerConfig

    _check_destination(dest)
    _recover(dest)
    if not (dest / MANIFEST_FILE).is_file() and not (dest.is_dir() and any(dest.iterdir())):
        return None, config or ChunkerConfig(), "", frozenset()
    previous = Index.load(dest)  # CorruptIndexError names --rebuild
    m = previous.manifest
    try:
        if m.model_id != embedder.model_id or m.dim != embedder.dim:
            raise _mismatch(dest, f"{m.model_id} (dim {m.dim}) and this run embeds with {embedder.model_id}")
        if config is None:
            config = ChunkerConfig.from_dict(m.chunker) or ChunkerConfig.from_dict(
                {**m.chunker, "heading_context": True}
            )
            if config is None:
                raise _mismatch(dest, f"chunker settings this version does not write ({m.chunker})")
        stale = _stale_formats(m.chunker, config)
        if stale is None:
            changed = ", ".join(
                f"{k} {m.chunker.get(k)} -> {v}" for k, v in config.to_dict().items() if m.chunker.get(k) != v
            )
            previous.close()
            return None, config, f"chunker settings changed ({changed})", frozenset()
        if bool(m.sentence_count) != sentence_vectors and m.chunk_count:
            previous.close()
            return None, config, "sentence vectors turned " + ("on" if sentence_vectors else "off"), frozenset()
    except IndexMismatchError:
        previous.close()
        raise
    return previous, config, "", stale


def update_index(
    corpus: Corpus,
    embedder: Embedder,
    dest: Path,
    config: ChunkerConfig | None = None,
    inputs: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 64,
    bm25_config: BM25Config | None = None,
    sentence_vectors: bool = True,
    sentence_weight: float = DEFAULT_SENTENCE_WEIGHT,
    rebuild: bool = False,
    wait: float = 0.0,
) -> UpdateStats:
    """Bring the index at ``dest`` in line with ``corpus``, embedding only what is new or changed.

    Documents are matched by source name and compared by the sha256 of their text: unchanged ones
    keep their chunks, sentences and vectors (copied into the new folder), changed and new ones are
    chunked and embedded, and documents no longer in the corpus are dropped. BM25 is rebuilt over all
    chunks. ``config=None`` keeps the index's chunker settings (defaults for a new index); a config
    that differs from the index's rebuilds it, as does ``rebuild=True``. An index built with another
    model raises ``IndexMismatchError`` unless ``rebuild``. The new index is written to a staged
    folder and swapped in, under the index lock (``wait`` seconds for another build, then
    ``IndexBusyError``). When nothing changed, nothing is written.

    ``progress(done, total)`` is called as texts are embedded. The model is loaded before the clock
    starts, so ``seconds`` is the indexing time proper.
    """
    from parallax.ingest.chunk import ChunkerConfig

    embedder.load()
    t0 = time.perf_counter()
    dest = Path(dest)
    _check_destination(dest)
    with index_lock(dest, wait):
        if rebuild:
            _check_destination(dest)
            _recover(dest)
            previous, reason = None, "--rebuild" if _is_index_dir(dest) else ""
            config, stale = config or ChunkerConfig(), frozenset[str]()
        else:
            previous, config, reason, stale = _reusable(dest, embedder, config, sentence_vectors)
        try:
            return _update(
                corpus, embedder, dest, config, previous, reason, inputs, progress, batch_size,
                bm25_config, sentence_vectors, sentence_weight, t0, stale,
            )  # fmt: skip
        finally:
            if previous is not None:
                previous.close()


def _update(
    corpus: Corpus,
    embedder: Embedder,
    dest: Path,
    config: ChunkerConfig,
    previous: Index | None,
    reason: str,
    inputs: Sequence[str],
    progress: Callable[[int, int], None] | None,
    batch_size: int,
    bm25_config: BM25Config | None,
    sentence_vectors: bool,
    sentence_weight: float,
    t0: float,
    stale: frozenset[str] = frozenset(),
) -> UpdateStats:
    from parallax.ingest.chunk import Chunk, pack, sentence_units

    if config.max_tokens > embedder.max_tokens:
        raise InputError(
            f"max_tokens {config.max_tokens} exceeds what {embedder.model_id} reads ({embedder.max_tokens})"
        )
    old_docs: dict[str, DocumentRecord] = {}
    if previous is not None:
        old_docs = {d.source: d for d in previous.manifest.documents}
    elif reason and _is_index_dir(dest):
        try:
            where = dest / MANIFEST_FILE
            old_docs = {d.source: d for d in Manifest.from_json(where.read_text("utf-8"), where).documents}
        except (OSError, UnicodeDecodeError, CorruptIndexError):
            old_docs = {}
    docs = list(corpus.documents)
    current = {d.source for d in docs}
    added = [d.source for d in docs if d.source not in old_docs]
    updated = [d.source for d in docs if d.source in old_docs and old_docs[d.source].sha256 != d.sha256]
    unchanged = [d.source for d in docs if d.source in old_docs and old_docs[d.source].sha256 == d.sha256]
    removed = [s for s in old_docs if s not in current]
    # A new source with the text and format of a removed one is that document moved or renamed: it
    # keeps its chunks and vectors under its new name.
    gone = {(old_docs[s].sha256, old_docs[s].format): s for s in reversed(removed) if old_docs[s].format not in stale}
    moved: dict[str, str] = {}  # new source -> old source; each removed document is claimed once
    for d in docs:
        if d.source in added and (d.sha256, d.format) in gone:
            moved[d.source] = gone.pop((d.sha256, d.format))
    claimed = set(moved.values())
    added = [s for s in added if s not in moved]
    removed = [s for s in removed if s not in claimed]
    redo = [s for s in unchanged if old_docs[s].format in stale]
    if redo:
        reason = f"{len(redo)} Markdown/HTML documents re-chunked: the index predates heading paths"
    keep = [s for s in unchanged if s not in redo] + list(moved.values())
    reuse = previous.reusable_rows(keep) if previous is not None else {}

    chunks: list[Chunk] = []
    chunk_origin: list[int] = []  # old chunk id, or -1 for a chunk to embed
    sentences: list[SentenceSpan] = []
    sentence_origin: list[int] = []
    members: list[list[int]] = []
    for doc in docs:
        rows = reuse.get(moved.get(doc.source, doc.source))
        if rows is not None:
            new_ids = {}
            for old_id, start, end in rows.sentences:
                new_ids[old_id] = len(sentences)
                sentences.append(SentenceSpan(doc.source, start, end, ""))
                sentence_origin.append(old_id)
            for old_id, start, end, embed_text, context in rows.chunks:
                chunks.append(Chunk(doc.source, start, end, doc.text[start:end], embed_text, context))
                chunk_origin.append(old_id)
                members.append([new_ids[i] for i in rows.members.get(old_id, ())])
            continue
        units = sentence_units(doc, config.max_tokens, embedder.count_tokens, config.heading_context)
        first = len(sentences)
        if sentence_vectors:
            sentences.extend(SentenceSpan(doc.source, u.start, u.end, u.plain) for u, _ in units)
            sentence_origin.extend([-1] * len(units))
        for chunk in pack(doc, units, config):
            chunks.append(chunk)
            chunk_origin.append(-1)
            members.append(
                [first + j for j, (u, _) in enumerate(units) if u.start >= chunk.start and u.end <= chunk.end]
                if sentence_vectors
                else []
            )
    if not chunks:
        raise InputError("the documents hold no text to index")
    if not sentence_vectors:
        members = []

    new_chunks = [i for i, o in enumerate(chunk_origin) if o < 0]
    new_sentences = [i for i, o in enumerate(sentence_origin) if o < 0]
    total = len(new_chunks) + len(new_sentences)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    t1 = time.perf_counter()
    texts = [chunks[i].vector_text for i in new_chunks] + [sentences[i].plain for i in new_sentences]
    fresh = embedder.embed(texts, batch_size=batch_size, progress=tick) if texts else None
    embed_seconds = time.perf_counter() - t1
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    sent_vectors = np.zeros((len(sentences), embedder.dim), dtype=np.float32)
    if fresh is not None:
        vectors[new_chunks] = fresh[: len(new_chunks)]
        sent_vectors[new_sentences] = fresh[len(new_chunks) :]
    if previous is not None:
        kept = [i for i, o in enumerate(chunk_origin) if o >= 0]
        if kept:
            vectors[kept] = previous.chunk_matrix()[[chunk_origin[i] for i in kept]]
        kept = [i for i, o in enumerate(sentence_origin) if o >= 0]
        old_sentences = previous.sentence_matrix()
        if kept and old_sentences is not None:
            sent_vectors[kept] = old_sentences[[sentence_origin[i] for i in kept]]

    per_doc: dict[str, int] = {}
    for c in chunks:
        per_doc[c.source] = per_doc.get(c.source, 0) + 1
    manifest = Manifest(
        model_id=embedder.model_id,
        dim=embedder.dim,
        chunker=config.to_dict(),
        documents=[
            DocumentRecord(d.source, d.path, d.title, d.sha256, d.format, len(d.text), per_doc.get(d.source, 0), d.meta)
            for d in docs
        ],
        chunk_count=len(chunks),
        inputs=[str(Path(p).expanduser().resolve()) for p in inputs],
        created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        sentence_count=len(sentences),
        dense={
            "sentence_vectors": bool(sentences),
            "chunk_weight": round(1 - sentence_weight, 4) if sentences else 1.0,
            "sentence_weight": sentence_weight if sentences else 0.0,
        },
    )
    # Nothing new, nothing gone, same settings: leave the index as it is (and skip importing bm25s).
    bm25_settings = asdict(bm25_config or BM25Config())
    old_bm25 = previous.manifest.extras.get("bm25") if previous is not None else None
    written = not (
        previous is not None
        and total == 0
        and isinstance(old_bm25, dict)
        and all(old_bm25.get(k) == v for k, v in bm25_settings.items())
        and _comparable(replace(manifest, extras={"bm25": old_bm25})) == _comparable(previous.manifest)
    )
    if written:
        bm25 = BM25Index.build([c.embed_text for c in chunks], bm25_config)
        manifest = replace(manifest, extras={"bm25": bm25.config.to_dict()})
        write_index(
            dest,
            docs,
            chunks,
            vectors,
            manifest,
            extra_writers=[bm25.save],
            sentences=sentences,
            sentence_vectors=sent_vectors if sentences else None,
            members=members,
        )
    kinds: dict[str, int] = {}
    for s in corpus.skipped:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    return UpdateStats(
        documents=len(docs),
        chunks=len(chunks),
        sentences=len(sentences),
        skipped=[(s.path, s.reason) for s in corpus.skipped],
        seconds=time.perf_counter() - t0,
        embed_seconds=embed_seconds,
        added=added,
        updated=updated,
        removed=removed,
        unchanged=unchanged,
        moved=[f"{old} -> {new}" for new, old in moved.items()],
        skipped_kinds=kinds,
        chunks_embedded=len(new_chunks),
        sentences_embedded=len(new_sentences),
        rebuilt=previous is None,
        reason=reason,
        written=written,
    )


def _comparable(manifest: Manifest) -> dict[str, Any]:
    data = asdict(manifest)
    for key in ("created_at", "parallax_version"):
        data.pop(key, None)
    data["extras"] = {k: v for k, v in data["extras"].items() if k != "files"}
    return data


def build_index(
    corpus: Corpus,
    embedder: Embedder,
    dest: Path,
    config: ChunkerConfig | None = None,
    inputs: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 64,
    bm25_config: BM25Config | None = None,
    sentence_vectors: bool = True,
    sentence_weight: float = DEFAULT_SENTENCE_WEIGHT,
    wait: float = 0.0,
) -> UpdateStats:
    """Chunk, embed and write a corpus as a new index at ``dest``, replacing any index there."""
    return update_index(
        corpus,
        embedder,
        dest,
        config=config,
        inputs=inputs,
        progress=progress,
        batch_size=batch_size,
        bm25_config=bm25_config,
        sentence_vectors=sentence_vectors,
        sentence_weight=sentence_weight,
        rebuild=True,
        wait=wait,
    )


# ---------------------------------------------------------------------------------------------
# Reading.


@dataclass
class ReusableRows:
    """One document's stored rows, by old id: chunks ``(id, start, end, embed_text, context)``,
    sentences ``(id, start, end)`` and the sentence ids of each chunk."""

    chunks: list[tuple[int, int, int, str, str]] = field(default_factory=list)
    sentences: list[tuple[int, int, int]] = field(default_factory=list)
    members: dict[int, list[int]] = field(default_factory=dict)


def _recover_for_reader(path: Path) -> None:
    """Put back an index a dead build left moved aside, under the lock so that a live swap is not raced."""
    if not path.parent.is_dir() or not any(path.parent.glob(f".{path.name}.old-*")):
        return
    try:
        with index_lock(path, wait=30.0):
            _recover(path)
    except (InputError, IndexBusyError):
        _recover(path)  # read-only parent (no lock file possible) or a build that never ends: best effort


@contextmanager
def stored_extractions(dest: Path) -> Iterator[Reuse | None]:
    """What the index at ``dest`` extracted from its HTML and PDF files, for ``load_corpus(reuse=...)``.

    Yields a lookup ``(source, file sha256, extractor id) -> Extraction`` that answers only when the
    stored document came from the same bytes through the same extractor, or None when there is no
    readable index (then every file is extracted). Read-only and lock-free: at worst, a build swapping
    the index meanwhile makes a file be extracted again.
    """
    store = dest / STORE_FILE
    try:
        conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True) if store.is_file() else None
        if conn is not None and "info" not in {row[1] for row in conn.execute("PRAGMA table_info(documents)")}:
            conn.close()
            conn = None
    except sqlite3.Error:
        conn = None
    if conn is None:
        yield None
        return
    from parallax.ingest.corpus import Extraction

    def lookup(source: str, file_sha256: str, extractor: str) -> Extraction | None:
        try:
            row = conn.execute("SELECT text, info FROM documents WHERE source = ?", (source,)).fetchone()
            info = json.loads(row[1]) if row else None
        except (sqlite3.Error, ValueError):
            return None
        if not isinstance(info, dict) or info.get("file_sha256") != file_sha256 or info.get("extractor") != extractor:
            return None
        pages = tuple(int(p) for p in info.get("pages") or ())
        return Extraction(str(row[0]), pages, str(info.get("auto_title") or ""), str(info.get("encoding") or ""))

    try:
        yield lookup
    finally:
        conn.close()


@dataclass(frozen=True)
class StoredChunk:
    id: int
    source: str
    start: int
    end: int
    text: str
    embed_text: str


def _check_sizes(path: Path, manifest: Manifest) -> None:
    """Every file the manifest lists must be there with the size it was written with."""
    files = manifest.extras.get("files")
    if not isinstance(files, dict):
        return  # an index written before sizes were recorded
    for name, size in files.items():
        target = path / name
        try:
            actual = target.stat().st_size
        except OSError:
            raise CorruptIndexError(f"{target} is missing; rebuild with: {rebuild_hint(path)}") from None
        if actual != size:
            raise CorruptIndexError(
                f"{target} is {actual} bytes but was written as {size} (truncated or overwritten); "
                f"rebuild with: {rebuild_hint(path)}"
            )


def _load_vectors(index_path: Path, name: str, dim: int, count: int) -> np.ndarray:
    """The vectors of one of the index's FAISS flat files, which must be as the manifest describes them."""
    target = index_path / name
    try:
        return read_flat(target, dim, count)
    except (OSError, FlatFileError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CorruptIndexError(
            f"{target} is missing or corrupt ({reason}); the manifest says {count} vectors of dim {dim}; "
            f"rebuild with: {rebuild_hint(index_path)}"
        ) from None


class Index:
    """A loaded index: the vectors (read from the FAISS files), the chunk store and the manifest."""

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        vectors: np.ndarray,
        conn: sqlite3.Connection,
        sentences: np.ndarray | None = None,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self._vectors = vectors
        self._sentence_vectors = sentences
        self._members: tuple[np.ndarray, np.ndarray] | None = None
        self._conn = conn
        self._texts: dict[int, tuple[str, str]] = {}  # doc id -> (source, text)
        self._bm25: BM25Index | None = None
        self._normalised: list[str] | None = None
        self._has_info = True
        self._pages: dict[str, tuple[int, ...]] = {}

    @classmethod
    def load(cls, path: Path, model_id: str | None = None) -> Index:
        """Open the index at ``path``; with ``model_id``, refuse one built with another model."""
        if not path.exists():
            _recover_for_reader(path)
        manifest_path = path / MANIFEST_FILE
        if not manifest_path.is_file():
            if path.is_dir() and any(path.iterdir()):
                raise CorruptIndexError(f"{path} has no {MANIFEST_FILE}; rebuild with: {rebuild_hint(path)}")
            raise IndexNotFoundError(f"no index at {path}; create one with: {rebuild_hint(path)}")
        try:
            text = manifest_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CorruptIndexError(
                f"cannot read {manifest_path} ({exc}); rebuild with: {rebuild_hint(path)}"
            ) from None
        manifest = Manifest.from_json(text, manifest_path)
        if model_id is not None and manifest.model_id != model_id:
            raise IndexMismatchError(
                f"{path} was built with {manifest.model_id} (dim {manifest.dim}) but Parallax is using {model_id}; "
                f"vectors of different models cannot be compared, so rebuild with: {rebuild_hint(path)}"
            )
        _check_sizes(path, manifest)
        vectors = _load_vectors(path, FAISS_FILE, manifest.dim, manifest.chunk_count)
        sentences = (
            _load_vectors(path, SENTENCES_FILE, manifest.dim, manifest.sentence_count)
            if manifest.sentence_count
            else None
        )
        store = path / STORE_FILE
        try:
            if not store.is_file():
                raise sqlite3.DatabaseError("file is missing")
            conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, check_same_thread=False)
            (count,) = conn.execute("SELECT count(*) FROM chunks").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CorruptIndexError(
                f"{store} is missing or corrupt ({exc}); rebuild with: {rebuild_hint(path)}"
            ) from None
        if count != manifest.chunk_count:
            conn.close()
            raise CorruptIndexError(
                f"{store} holds {count} chunks, the manifest says {manifest.chunk_count}; "
                f"rebuild with: {rebuild_hint(path)}"
            )
        try:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CorruptIndexError(f"{store} is corrupt ({exc}); rebuild with: {rebuild_hint(path)}") from None
        loaded = cls(path, manifest, vectors, conn, sentences)
        loaded._has_info = "info" in columns
        return loaded

    @property
    def bm25(self) -> BM25Index:
        if self._bm25 is None:
            self._bm25 = BM25Index.load(self.path)
        return self._bm25

    def chunk_matrix(self) -> np.ndarray:
        """Every chunk's unit vector, one read-only row per chunk id."""
        return self._vectors

    def sentence_matrix(self) -> np.ndarray | None:
        """Every sentence's unit vector (rows in sentence-id order), or None for an index without them."""
        return self._sentence_vectors

    def chunk_members(self) -> tuple[np.ndarray, np.ndarray]:
        """Sentences of each chunk in CSR form: chunk i owns ``ids[indptr[i]:indptr[i + 1]]``."""
        if self._members is None:
            rows = self._conn.execute(
                "SELECT chunk_id, sentence_id FROM chunk_sentences ORDER BY chunk_id, sentence_id"
            )
            pairs = np.asarray(rows.fetchall(), dtype=np.int64).reshape(-1, 2)
            counts = np.bincount(pairs[:, 0], minlength=len(self)) if len(pairs) else np.zeros(len(self), np.int64)
            indptr = np.concatenate([[0], np.cumsum(counts)])
            self._members = (indptr, pairs[:, 1].copy())
        return self._members

    def sentence_spans(self) -> list[tuple[str, int, int]]:
        """``(source, start, end)`` of every stored sentence, in sentence-id order (rows of ``sentence_matrix``)."""
        rows = self._conn.execute(
            'SELECT d.source, s.start, s."end" FROM sentences s JOIN documents d ON d.id = s.doc_id ORDER BY s.id'
        ).fetchall()
        return [(str(src), int(a), int(b)) for src, a, b in rows]

    def normalised_texts(self) -> list[str]:
        """Every chunk's clean text in the phrase-matching form, in id order."""
        if self._normalised is None:
            rows = self._conn.execute("SELECT embed_text FROM chunks ORDER BY id").fetchall()
            self._normalised = [normalise(r[0]) for r in rows]
        return self._normalised

    def close(self) -> None:
        self._conn.close()

    def __len__(self) -> int:
        return int(self.manifest.chunk_count)

    def _doc_text(self, doc_id: int) -> tuple[str, str]:
        if doc_id not in self._texts:
            row = self._conn.execute("SELECT source, text FROM documents WHERE id = ?", (doc_id,)).fetchone()
            self._texts[doc_id] = (row[0], row[1])
        return self._texts[doc_id]

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """Chunks by id, in the order given."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._conn.execute(
            f'SELECT id, doc_id, start, "end", embed_text FROM chunks WHERE id IN ({marks})', [int(i) for i in ids]
        ).fetchall()
        by_id = {}
        for cid, doc_id, start, end, embed_text in rows:
            source, text = self._doc_text(doc_id)
            by_id[cid] = StoredChunk(cid, source, start, end, text[start:end], embed_text)
        return [by_id[int(i)] for i in ids]

    def all_chunks(self) -> list[StoredChunk]:
        return self.chunks(list(range(len(self))))

    def chunk_ids_for(self, sources: Sequence[str]) -> list[int]:
        marks = ",".join("?" * len(sources))
        rows = self._conn.execute(
            f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.source IN ({marks}) ORDER BY c.id",
            list(sources),
        ).fetchall()
        return [r[0] for r in rows]

    def document_text(self, source: str) -> str:
        row = self._conn.execute("SELECT text FROM documents WHERE source = ?", (source,)).fetchone()
        if row is None:
            raise KeyError(source)
        return str(row[0])

    def vectors(self, ids: Sequence[int] | None = None) -> np.ndarray:
        """Stored unit vectors (rows in chunk-id order, or for ``ids``)."""
        if ids is None:
            return self._vectors.copy()
        return self._vectors[np.asarray(ids, dtype=np.int64)].copy()

    def document_info(self, source: str) -> dict[str, Any]:
        """What the store records about a document beyond its text: ``encoding`` and ``pages``."""
        if not self._has_info:
            return {}
        row = self._conn.execute("SELECT info FROM documents WHERE source = ?", (source,)).fetchone()
        if row is None:
            raise KeyError(source)
        try:
            info = json.loads(row[0])
        except ValueError:
            return {}
        return info if isinstance(info, dict) else {}

    def page_of(self, source: str, offset: int) -> int | None:
        """The 1-based page of a PDF that holds ``offset``; None for documents without pages."""
        if source not in self._pages:
            pages = self.document_info(source).get("pages") or []
            self._pages[source] = tuple(int(p) for p in pages)
        return page_at(self._pages[source], offset)

    def reusable_rows(self, sources: Sequence[str]) -> dict[str, ReusableRows]:
        """The stored chunk and sentence rows of ``sources``, to copy into an updated index."""
        wanted = set(sources)
        out: dict[str, ReusableRows] = {s: ReusableRows() for s in wanted}
        if not wanted:
            return out
        ids = {
            int(doc_id): str(src)
            for doc_id, src in self._conn.execute("SELECT id, source FROM documents")
            if src in wanted
        }
        has_context = "context" in {row[1] for row in self._conn.execute("PRAGMA table_info(chunks)")}
        context = "context" if has_context else "''"
        rows = self._conn.execute(f'SELECT id, doc_id, start, "end", embed_text, {context} FROM chunks ORDER BY id')
        chunk_doc: dict[int, str] = {}
        for cid, doc_id, start, end, embed_text, ctx in rows:
            src = ids.get(doc_id)
            if src is not None:
                out[src].chunks.append((int(cid), int(start), int(end), str(embed_text), str(ctx)))
                chunk_doc[int(cid)] = src
        for sid, doc_id, start, end in self._conn.execute('SELECT id, doc_id, start, "end" FROM sentences ORDER BY id'):
            src = ids.get(doc_id)
            if src is not None:
                out[src].sentences.append((int(sid), int(start), int(end)))
        pairs = self._conn.execute("SELECT chunk_id, sentence_id FROM chunk_sentences ORDER BY chunk_id, sentence_id")
        for cid, sid in pairs:
            src = chunk_doc.get(int(cid))
            if src is not None:
                out[src].members.setdefault(int(cid), []).append(int(sid))
        return out

    def resolve_sources(self, ids: Sequence[str]) -> list[str]:
        """Map ``--source`` values (short id, file name or file stem) to file names."""
        out = []
        for wanted in ids:
            match = [d.source for d in self.manifest.documents if wanted in (d.source, d.short_id, Path(d.source).stem)]
            if not match:
                known = ", ".join(sorted(d.short_id for d in self.manifest.documents))
                raise InputError(f"no source {wanted!r} in {self.path}; known sources: {known}")
            out.extend(match)
        return out

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
