"""A loaded index: its manifest, its vectors (read from the FAISS files with numpy) and its chunk store.

Loading checks the manifest against the files (their recorded sizes catch a truncated file) and,
when asked, against the model in use. Reading never imports the ingest or embed stages, nor FAISS,
bm25s or scipy: a cold ``parallax search`` stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from parallax.core.errors import CorruptIndexError, IndexBusyError, IndexMismatchError, InputError
from parallax.index.bm25 import BM25Index
from parallax.index.flatfile import FlatFileError, read_flat
from parallax.index.lock import index_lock
from parallax.index.manifest import (
    FAISS_FILE,
    SENTENCES_FILE,
    STORE_FILE,
    Manifest,
    check_sizes,
    load_manifest,
    rebuild_hint,
)
from parallax.index.staging import has_backup, recover
from parallax.index.store import ReusableRows, Store
from parallax.text.pages import page_at
from parallax.text.query import normalise

_LIST_ALL_SOURCES = 12  # an index with more sources names only the closest ones to a wrong --source


@dataclass(frozen=True)
class StoredChunk:
    id: int
    source: str
    start: int
    end: int
    text: str
    embed_text: str


def _recover_for_reader(path: Path) -> None:
    """Put back an index a dead build left moved aside, under the lock so that a live swap is not raced."""
    if not has_backup(path):
        return
    try:
        with index_lock(path, wait=30.0):
            recover(path)
    except (InputError, IndexBusyError):
        recover(path)  # read-only parent (no lock file possible) or a build that never ends: best effort


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
        store: Store,
        sentences: np.ndarray | None = None,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self._vectors = vectors
        self._sentence_vectors = sentences
        self._members: tuple[np.ndarray, np.ndarray] | None = None
        self._store = store
        self._texts: dict[int, tuple[str, str]] = {}  # doc id -> (source, text)
        self._bm25: BM25Index | None = None
        self._normalised: list[str] | None = None
        self._pages: dict[str, tuple[int, ...]] = {}

    @classmethod
    def load(cls, path: Path, model_id: str | None = None) -> Index:
        """Open the index at ``path``; with ``model_id``, refuse one built with another model.

        When ``path`` is missing because a build died mid-swap, the previous index is put back first
        (under the index lock: call this without holding it).
        """
        if not path.exists():
            _recover_for_reader(path)
        manifest = load_manifest(path)
        if model_id is not None and manifest.model_id != model_id:
            raise IndexMismatchError(
                f"{path} was built with {manifest.model_id} (dim {manifest.dim}) but Parallax is using {model_id}; "
                f"vectors of different models cannot be compared, so rebuild with: {rebuild_hint(path)}"
            )
        check_sizes(path, manifest)
        vectors = _load_vectors(path, FAISS_FILE, manifest.dim, manifest.chunk_count)
        sentences = (
            _load_vectors(path, SENTENCES_FILE, manifest.dim, manifest.sentence_count)
            if manifest.sentence_count
            else None
        )
        return cls(path, manifest, vectors, Store.open(path / STORE_FILE, manifest.chunk_count), sentences)

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
            pairs = self._store.member_pairs()
            counts = np.bincount(pairs[:, 0], minlength=len(self)) if len(pairs) else np.zeros(len(self), np.int64)
            indptr = np.concatenate([[0], np.cumsum(counts)])
            self._members = (indptr, pairs[:, 1].copy())
        return self._members

    def sentence_spans(self) -> list[tuple[str, int, int]]:
        """``(source, start, end)`` of every stored sentence, in sentence-id order (rows of ``sentence_matrix``)."""
        return self._store.sentence_spans()

    def member_spans(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, int]]]:
        """Per chunk of ``chunk_ids``: ``(sentence_id, start, end)`` of each sentence it holds, in order."""
        out: dict[int, list[tuple[int, int, int]]] = {int(c): [] for c in chunk_ids}
        if chunk_ids:
            for cid, sid, start, end in self._store.member_spans(chunk_ids):
                out[cid].append((sid, start, end))
        return out

    def normalised_texts(self) -> list[str]:
        """Every chunk's clean text in the phrase-matching form, in id order."""
        if self._normalised is None:
            self._normalised = [normalise(t) for t in self._store.embed_texts()]
        return self._normalised

    def close(self) -> None:
        self._store.close()

    def __len__(self) -> int:
        return int(self.manifest.chunk_count)

    def _doc_text(self, doc_id: int) -> tuple[str, str]:
        if doc_id not in self._texts:
            self._texts[doc_id] = self._store.document(doc_id)
        return self._texts[doc_id]

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """Chunks by id, in the order given."""
        if not ids:
            return []
        by_id = {}
        for cid, doc_id, start, end, embed_text in self._store.chunk_rows(ids):
            source, text = self._doc_text(doc_id)
            by_id[cid] = StoredChunk(cid, source, start, end, text[start:end], embed_text)
        return [by_id[int(i)] for i in ids]

    def all_chunks(self) -> list[StoredChunk]:
        return self.chunks(list(range(len(self))))

    def chunk_ids_for(self, sources: Sequence[str]) -> list[int]:
        return self._store.chunk_ids_for(sources)

    def document_text(self, source: str) -> str:
        return self._store.document_text(source)

    def document_info(self, source: str) -> dict[str, Any]:
        """What the store records about a document beyond its text: ``encoding`` and ``pages``."""
        return self._store.document_info(source)

    def page_of(self, source: str, offset: int) -> int | None:
        """The 1-based page of a PDF that holds ``offset``; None for documents without pages."""
        if source not in self._pages:
            pages = self.document_info(source).get("pages") or []
            self._pages[source] = tuple(int(p) for p in pages)
        return page_at(self._pages[source], offset)

    def reusable_rows(self, sources: Sequence[str]) -> dict[str, ReusableRows]:
        """The stored chunk and sentence rows of ``sources``, to copy into an updated index."""
        return self._store.reusable_rows(sources)

    def resolve_sources(self, ids: Sequence[str]) -> list[str]:
        """Map ``--source`` values (short id, file name or file stem) to file names."""
        out = []
        for wanted in ids:
            match = [d.source for d in self.manifest.documents if wanted in (d.source, d.short_id, Path(d.source).stem)]
            if not match:
                raise InputError(self._unknown_source(wanted))
            out.extend(match)
        return out

    def _unknown_source(self, wanted: str) -> str:
        """No source ``wanted``: every id of a small index, else the closest few and where to see them all."""
        import difflib

        docs = self.manifest.documents
        ids = sorted(d.short_id for d in docs)
        if len(ids) <= _LIST_ALL_SOURCES:
            return f"no source {wanted!r} in {self.path}; known sources: {', '.join(ids)}"
        names = {name: d.short_id for d in docs for name in (d.short_id, d.source, Path(d.source).stem)}
        close = difflib.get_close_matches(wanted, list(names), n=10, cutoff=0.6)
        suggested = list(dict.fromkeys(names[name] for name in close))[:5]
        guess = f"; did you mean: {', '.join(suggested)}? " if suggested else "; "
        lists = f"`parallax info --index {self.path}` lists them"
        return f"no source {wanted!r} in {self.path} ({len(ids)} sources){guess}{lists}"

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
