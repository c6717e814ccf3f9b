"""One segment of an index: its vectors, chunk store, membership arrays and ANN structures.

An index is a base segment (the files at the top of its folder) plus, after small updates of a large
index, delta segments (``delta-NNNNNN/`` folders with the same files, searched exactly). Rows are
numbered per segment; ``parallax.index.reader.Index`` numbers them globally by adding each
segment's offset. Files, all written once and never changed (``parallax.index.writer``):

    vectors.npy, sentences.npy         float32 unit vectors, one row per chunk / sentence
    members.indptr.npy, members.ids.npy   CSR: the sentence ids of each chunk
    owners.indptr.npy, owners.ids.npy     CSR: the chunk ids holding each sentence
    chunks.sqlite                       documents, chunks and sentences (``parallax.index.store``)
    chunks.<kind>.faiss, sentences.<kind>.faiss   ANN structures, when the matrix is large
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from parallax.core.errors import CorruptIndexError
from parallax.index.ann import AnnSearcher, AnnSpec
from parallax.index.manifest import rebuild_hint
from parallax.index.matrix import MatrixError, csr, read_array, read_vectors
from parallax.index.store import Store

VECTORS = "vectors.npy"
SENTENCES = "sentences.npy"
LEGACY_VECTORS = "vectors.faiss"
LEGACY_SENTENCES = "sentences.faiss"
STORE = "chunks.sqlite"
MEMBERS = ("members.indptr.npy", "members.ids.npy")
OWNERS = ("owners.indptr.npy", "owners.ids.npy")


@dataclass
class Layout:
    """Where a segment lives and what the manifest says it holds."""

    folder: Path
    index_path: Path
    dim: int
    chunks: int
    sentences: int
    ann: dict[str, AnnSpec] = field(default_factory=dict)  # "chunks"/"sentences" -> structure (flat if absent)


def _corrupt(layout: Layout, target: Path, reason: str) -> CorruptIndexError:
    return CorruptIndexError(
        f"{target} is missing or corrupt ({reason}); the manifest says {layout.chunks} chunks and "
        f"{layout.sentences} sentences of dim {layout.dim}; rebuild with: {rebuild_hint(layout.index_path)}"
    )


def _vectors(layout: Layout, name: str, legacy: str, count: int) -> np.ndarray:
    target = layout.folder / name
    if not target.exists() and (layout.folder / legacy).exists():
        target = layout.folder / legacy
    try:
        return read_vectors(target, layout.dim, count)
    except (OSError, MatrixError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _corrupt(layout, target, reason) from None


class Segment:
    """The arrays and store of one segment, read lazily where they are large."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.vectors = _vectors(layout, VECTORS, LEGACY_VECTORS, layout.chunks)
        self.sentences: np.ndarray | None = None
        if layout.sentences:
            self.sentences = _vectors(layout, SENTENCES, LEGACY_SENTENCES, layout.sentences)
        self.store = Store.open(layout.folder / STORE, layout.chunks, layout.index_path)
        self._members: tuple[np.ndarray, np.ndarray] | None = None
        self._owners: tuple[np.ndarray, np.ndarray] | None = None
        self._ann: dict[str, AnnSearcher] = {}

    @property
    def chunk_count(self) -> int:
        return self.layout.chunks

    @property
    def sentence_count(self) -> int:
        return self.layout.sentences

    def _csr(self, names: tuple[str, str], rows: int, ids_of: int) -> tuple[np.ndarray, np.ndarray] | None:
        """A CSR pair from its files, checked; None when an older index has no such files."""
        indptr_path, ids_path = (self.layout.folder / n for n in names)
        if not indptr_path.exists():
            return None
        try:
            indptr = read_array(indptr_path, "<i8", (rows + 1,))
            ids = read_array(ids_path, "<i8", (None,))
        except (OSError, MatrixError) as exc:
            raise _corrupt(self.layout, indptr_path, str(exc)) from None
        if int(indptr[-1]) != len(ids) or (len(ids) and int(ids.max(initial=0)) >= ids_of):
            raise _corrupt(self.layout, indptr_path, "inconsistent arrays")
        return indptr, ids

    def members(self) -> tuple[np.ndarray, np.ndarray]:
        """Sentences of each chunk (local ids) in CSR form."""
        if self._members is None:
            found = self._csr(MEMBERS, self.chunk_count, max(self.sentence_count, 1))
            self._members = found if found is not None else csr(self.store.member_pairs(), self.chunk_count)
        return self._members

    def owners(self) -> tuple[np.ndarray, np.ndarray]:
        """Chunks holding each sentence (local ids) in CSR form."""
        if self._owners is None:
            found = self._csr(OWNERS, self.sentence_count, max(self.chunk_count, 1))
            if found is None:
                pairs = self.store.member_pairs()[:, ::-1]
                pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))] if len(pairs) else pairs
                found = csr(pairs, self.sentence_count)
            self._owners = found
        return self._owners

    def ann(self, matrix: str) -> AnnSearcher | None:
        """The ANN structure of ``matrix`` ("chunks" or "sentences"), or None when it is searched exactly."""
        spec = self.layout.ann.get(matrix)
        if spec is None or not spec.approximate:
            return None
        if matrix not in self._ann:
            target = self.layout.folder / spec.file_name(matrix)
            try:
                self._ann[matrix] = AnnSearcher.load(target, spec)
            except RuntimeError as exc:
                raise _corrupt(self.layout, target, str(exc).splitlines()[0][:200]) from None
        return self._ann[matrix]

    def close(self) -> None:
        self.store.close()
