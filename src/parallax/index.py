"""An index on disk: a folder holding open formats plus a manifest.

    <index>/manifest.json   format version, model, dimension, chunker settings, one hash per document
    <index>/vectors.faiss   FAISS IndexFlatIP over unit vectors (inner product = cosine)
    <index>/chunks.sqlite   documents (with their text) and chunks (offsets and embedded text)

A build writes a temporary sibling folder and swaps it in with two renames, so an existing index is
never left half-written; a crash between the renames is repaired on the next load. Nothing is
pickled. Loading checks the manifest against the files and against the model in use.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .chunk import Chunk, ChunkerConfig, pack, sentence_units
from .corpus import Corpus, Document
from .embed import Embedder
from .errors import CorruptIndexError, IndexMismatchError, IndexNotFoundError, InputError
from .lexical import BM25Config, BM25Index
from .query import normalise

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
FAISS_FILE = "vectors.faiss"
STORE_FILE = "chunks.sqlite"
SENTENCES_FILE = "sentences.faiss"
DEFAULT_SENTENCE_WEIGHT = 0.7


def rebuild_hint(path: Path) -> str:
    return f"parallax index PATH... --index {path}"


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
        return self.meta.get("id") or Path(self.source).stem


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
    sha256 TEXT NOT NULL, format TEXT NOT NULL, meta TEXT NOT NULL, text TEXT NOT NULL
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, embed_text TEXT NOT NULL
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
            conn.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (i, doc.source, doc.path, doc.title, doc.sha256, doc.format, json.dumps(doc.meta), doc.text),
            )
        conn.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
            ((i, doc_ids[c.source], c.start, c.end, c.embed_text) for i, c in enumerate(chunks)),
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale(dest: Path) -> None:
    """Remove temporary folders left by builds that died (their process is gone)."""
    if not dest.parent.is_dir():
        return
    for tmp in dest.parent.glob(f".{dest.name}.tmp-*"):
        try:
            pid = int(tmp.name.rsplit("-", 2)[-2])
        except (ValueError, IndexError):
            continue
        if not _pid_alive(pid):
            shutil.rmtree(tmp, ignore_errors=True)


def _recover(dest: Path) -> None:
    """Put back an index that a build moved aside and did not replace (a crash between two renames)."""
    if dest.exists():
        for old in dest.parent.glob(f".{dest.name}.old-*"):
            shutil.rmtree(old, ignore_errors=True)
        return
    olds = sorted(dest.parent.glob(f".{dest.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds:
        os.rename(olds[-1], dest)


@contextmanager
def staged_dir(dest: Path) -> Iterator[Path]:
    """A temporary folder beside ``dest`` that replaces it on success and vanishes on failure."""
    if dest.exists() and not dest.is_dir():
        raise InputError(f"{dest} exists and is not a folder; choose another --index")
    if dest.is_dir() and any(dest.iterdir()) and not _is_index_dir(dest):
        raise InputError(f"{dest} is a non-empty folder that is not a Parallax index; choose another --index")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {dest.parent}: {exc.strerror or exc}") from None
    _recover(dest)
    _clean_stale(dest)
    tmp = dest.parent / f".{dest.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
    except OSError as exc:
        raise InputError(f"cannot write an index in {dest.parent}: {exc.strerror or exc}") from None
    try:
        yield tmp
        _fsync_dir(tmp)
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
    if len(chunks) != vectors.shape[0]:
        raise ValueError("one vector per chunk is required")
    with staged_dir(dest) as tmp:
        _write_faiss(tmp / FAISS_FILE, manifest.dim, vectors)
        if sentence_vectors is not None:
            _write_faiss(tmp / SENTENCES_FILE, manifest.dim, sentence_vectors)
        _write_store(tmp / STORE_FILE, docs, chunks, sentences, members)
        for writer in extra_writers:
            writer(tmp)
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
) -> BuildStats:
    """Chunk, embed and write a corpus as an index at ``dest``, replacing any index there.

    ``progress(done, total)`` is called as chunks are embedded. The model is loaded before the clock
    starts, so ``BuildStats.seconds`` is the indexing time proper.
    """
    embedder.load()
    t0 = time.perf_counter()
    config = config or ChunkerConfig()
    if config.max_tokens > embedder.max_tokens:
        raise InputError(
            f"max_tokens {config.max_tokens} exceeds what {embedder.model_id} reads ({embedder.max_tokens})"
        )
    docs = list(corpus.documents)
    chunks: list[Chunk] = []
    sentences: list[SentenceSpan] = []
    members: list[list[int]] = []
    for doc in docs:
        units = sentence_units(doc, config.max_tokens, embedder.count_tokens)
        first = len(sentences)
        sentences.extend(SentenceSpan(doc.source, u.start, u.end, u.plain) for u, _ in units)
        for chunk in pack(doc, units, config):
            chunks.append(chunk)
            members.append(
                [first + j for j, (u, _) in enumerate(units) if u.start >= chunk.start and u.end <= chunk.end]
            )
    if not chunks:
        raise InputError("the documents hold no text to index")
    if not sentence_vectors:
        sentences, members = [], []
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(chunks) + len(sentences))

    t1 = time.perf_counter()
    texts = [c.embed_text for c in chunks] + [x.plain for x in sentences]
    all_vectors = embedder.embed(texts, batch_size=batch_size, progress=tick)
    vectors, sent_vectors = all_vectors[: len(chunks)], all_vectors[len(chunks) :]
    embed_seconds = time.perf_counter() - t1
    per_doc: dict[str, int] = {}
    for c in chunks:
        per_doc[c.source] = per_doc.get(c.source, 0) + 1
    bm25 = BM25Index.build([c.embed_text for c in chunks], bm25_config)
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
        extras={"bm25": bm25.config.to_dict()},
    )
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
    return BuildStats(
        documents=len(docs),
        chunks=len(chunks),
        sentences=len(sentences),
        skipped=[(s.path, s.reason) for s in corpus.skipped],
        seconds=time.perf_counter() - t0,
        embed_seconds=embed_seconds,
    )


# ---------------------------------------------------------------------------------------------
# Reading.


@dataclass(frozen=True)
class StoredChunk:
    id: int
    source: str
    start: int
    end: int
    text: str
    embed_text: str


class Index:
    """A loaded index: the FAISS vectors, the chunk store and the manifest."""

    def __init__(
        self, path: Path, manifest: Manifest, faiss_index: Any, conn: sqlite3.Connection, sentences: Any = None
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.faiss = faiss_index
        self.sentence_faiss = sentences
        self._members: tuple[np.ndarray, np.ndarray] | None = None
        self._conn = conn
        self._texts: dict[int, tuple[str, str]] = {}  # doc id -> (source, text)
        self._bm25: BM25Index | None = None
        self._normalised: list[str] | None = None

    @classmethod
    def load(cls, path: Path, model_id: str | None = None) -> Index:
        """Open the index at ``path``; with ``model_id``, refuse one built with another model."""
        if path.parent.is_dir() and not path.exists():
            _recover(path)
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
        import faiss

        faiss_path = path / FAISS_FILE
        try:
            index = faiss.read_index(str(faiss_path))
        except Exception as exc:  # faiss raises RuntimeError with a C++ trace
            first = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
            raise CorruptIndexError(
                f"{faiss_path} is missing or corrupt ({first}); rebuild with: {rebuild_hint(path)}"
            ) from None
        if index.d != manifest.dim or index.ntotal != manifest.chunk_count:
            raise CorruptIndexError(
                f"{faiss_path} holds {index.ntotal} vectors of dim {index.d}, the manifest says "
                f"{manifest.chunk_count} of dim {manifest.dim}; rebuild with: {rebuild_hint(path)}"
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
        sentences = None
        if manifest.sentence_count:
            spath = path / SENTENCES_FILE
            try:
                sentences = faiss.read_index(str(spath))
            except Exception:
                raise CorruptIndexError(f"{spath} is missing or corrupt; rebuild with: {rebuild_hint(path)}") from None
            if sentences.ntotal != manifest.sentence_count or sentences.d != manifest.dim:
                raise CorruptIndexError(f"{spath} does not match the manifest; rebuild with: {rebuild_hint(path)}")
        return cls(path, manifest, index, conn, sentences)

    @property
    def bm25(self) -> BM25Index:
        if self._bm25 is None:
            self._bm25 = BM25Index.load(self.path)
        return self._bm25

    @staticmethod
    def _matrix(flat: Any) -> np.ndarray:
        """The vectors a FAISS flat index holds, as a read-only (n, d) view without a copy."""
        import faiss

        if flat.ntotal == 0:
            return np.zeros((0, flat.d), dtype=np.float32)
        arr = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d)
        return np.asarray(arr).reshape(flat.ntotal, flat.d)

    def chunk_matrix(self) -> np.ndarray:
        return self._matrix(self.faiss)

    def sentence_matrix(self) -> np.ndarray | None:
        return None if self.sentence_faiss is None else self._matrix(self.sentence_faiss)

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
            return np.asarray(self.faiss.reconstruct_n(0, len(self)), dtype=np.float32)
        return (
            np.vstack([self.faiss.reconstruct(int(i)) for i in ids]).astype(np.float32)
            if len(ids)
            else np.zeros((0, self.manifest.dim), dtype=np.float32)
        )

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
