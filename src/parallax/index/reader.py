"""A loaded index: its manifest and its segments (vectors memory-mapped, chunk stores, ANN structures).

Loading checks the manifest against the files (their recorded sizes catch a truncated file) and,
when asked, against the model in use. Rows are numbered globally: segment after segment (the base,
then any delta segments), so a chunk id is the base's local id plus the segment's offset. Rows of
removed or replaced documents stay in their segment until a merge and are masked out
(``live_chunks``). Reading never imports the ingest or embed stages, nor bm25s or scipy; FAISS only
when a matrix has an ANN structure: a cold ``parallax search`` stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from parallax.core.errors import IndexBusyError, IndexMismatchError, InputError
from parallax.index.ann import AnnSpec
from parallax.index.bm25 import BM25Index
from parallax.index.bm25_delta import DeltaTerms, SegmentedBM25
from parallax.index.lock import index_lock
from parallax.index.manifest import Manifest, check_sizes, load_manifest, rebuild_hint
from parallax.index.segment import Layout, Segment
from parallax.index.staging import has_backup, recover
from parallax.index.store import ReusableRows
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


def layouts(path: Path, manifest: Manifest) -> list[Layout]:
    """Where each segment of the index at ``path`` lives and what it holds, base first."""
    ann = {m: AnnSpec.from_dict(manifest.ann.get(m)) for m in ("chunks", "sentences") if manifest.ann.get(m)}
    deltas = [
        Layout(path / str(s["name"]), path, manifest.dim, int(s["chunks"]), int(s["sentences"]))
        for s in manifest.segments
    ]
    base_chunks = manifest.chunk_count - sum(d.chunks for d in deltas)
    base_sentences = manifest.sentence_count - sum(d.sentences for d in deltas)
    return [Layout(path, path, manifest.dim, base_chunks, base_sentences, ann), *deltas]


def _mask(ranges: Sequence[Sequence[int]], size: int) -> np.ndarray | None:
    """True for every row outside the ``[start, end)`` ranges; None when no row is removed."""
    if not ranges:
        return None
    live = np.ones(size, dtype=bool)
    for start, end in ranges:
        live[int(start) : int(end)] = False
    return live


def _split(ids: Sequence[int], offsets: np.ndarray) -> list[tuple[int, list[int]]]:
    """Global ids grouped by segment: ``(segment number, local ids)``, segments in order."""
    seg = np.searchsorted(offsets, np.asarray(ids, dtype=np.int64), side="right") - 1
    out: dict[int, list[int]] = {}
    for i, s in zip(ids, seg.tolist()):
        out.setdefault(int(s), []).append(int(i) - int(offsets[s]))
    return sorted(out.items())


class Index:
    """A loaded index: its segments (vectors, chunk stores, ANN structures) and its manifest."""

    def __init__(self, path: Path, manifest: Manifest, segments: list[Segment]) -> None:
        self.path = path
        self.manifest = manifest
        self.segments = segments
        self.chunk_offsets = np.cumsum([0] + [s.chunk_count for s in segments]).astype(np.int64)
        self.sentence_offsets = np.cumsum([0] + [s.sentence_count for s in segments]).astype(np.int64)
        self._segment_of = {d.source: d.segment for d in manifest.documents}
        self._names = {
            s.layout.folder.relative_to(path).as_posix() if s.layout.folder != path else "": i
            for i, s in enumerate(segments)
        }
        self._live = (
            _mask(manifest.deleted.get("chunks", []), len(self)),
            _mask(manifest.deleted.get("sentences", []), manifest.sentence_count),
        )
        self._cache: dict[str, Any] = {}
        self._texts: dict[tuple[int, int], tuple[str, str]] = {}  # (segment, doc id) -> (source, text)
        self._bm25: BM25Index | SegmentedBM25 | None = None
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
        segments: list[Segment] = []
        try:
            for layout in layouts(path, manifest):
                segments.append(Segment(layout))
        except Exception:
            for seg in segments:
                seg.close()
            raise
        return cls(path, manifest, segments)

    @property
    def bm25(self) -> BM25Index | SegmentedBM25:
        """BM25 over every chunk (global ids): the base's, plus the delta segments' when there are any."""
        if self._bm25 is None:
            base = BM25Index.load(self.path)
            deltas = [DeltaTerms.load(s.layout.folder, self.path) for s in self.segments[1:]]
            self._bm25 = SegmentedBM25(base, deltas, base.avgdl) if deltas else base
        return self._bm25

    def bm25_avgdl(self) -> float:
        """The mean chunk length the base's BM25 scores were computed with (0 when not recorded)."""
        bm25 = self.bm25
        return (bm25.base if isinstance(bm25, SegmentedBM25) else bm25).avgdl

    @property
    def approximate(self) -> bool:
        """Whether any matrix of the base segment is searched through an ANN structure."""
        return any(AnnSpec.from_dict(self.manifest.ann.get(m)).approximate for m in ("chunks", "sentences"))

    def live_chunks(self) -> np.ndarray | None:
        """True for the chunks of live documents; None when every stored chunk is live."""
        return self._live[0]

    def live_sentences(self) -> np.ndarray | None:
        """True for the sentences of live documents; None when every stored sentence is live."""
        return self._live[1]

    def _joined(self, key: str, parts: list[np.ndarray]) -> np.ndarray:
        if len(parts) == 1:
            return parts[0]
        if key not in self._cache:
            self._cache[key] = np.concatenate(parts)
        return np.asarray(self._cache[key])

    def chunk_matrix(self) -> np.ndarray:
        """Every chunk's unit vector, one read-only row per global chunk id (memory-mapped for one segment)."""
        return self._joined("chunks", [s.vectors for s in self.segments])

    def sentence_matrix(self) -> np.ndarray | None:
        """Every sentence's unit vector (rows in global sentence-id order), or None for an index without them."""
        if not self.manifest.sentence_count:
            return None
        dim = self.manifest.dim
        parts = [s.sentences if s.sentences is not None else np.zeros((0, dim), np.float32) for s in self.segments]
        return self._joined("sentences", parts)

    def _gather(self, ids: np.ndarray, sentences: bool) -> np.ndarray:
        offsets = self.sentence_offsets if sentences else self.chunk_offsets
        out = np.zeros((len(ids), self.manifest.dim), dtype=np.float32)
        ids = np.asarray(ids, dtype=np.int64)
        seg_of = np.searchsorted(offsets, ids, side="right") - 1
        for seg in np.unique(seg_of):
            where = seg_of == seg
            matrix = self.segments[seg].sentences if sentences else self.segments[seg].vectors
            assert matrix is not None
            out[where] = matrix[ids[where] - offsets[seg]]
        return out

    def chunk_vectors(self, ids: np.ndarray) -> np.ndarray:
        """The vectors of the chunks ``ids`` (global), read from each segment's mapped file."""
        return self._gather(ids, sentences=False)

    def sentence_vectors(self, ids: np.ndarray) -> np.ndarray:
        """The vectors of the sentences ``ids`` (global), read from each segment's mapped file."""
        return self._gather(ids, sentences=True)

    def _joined_csr(self, key: str, which: str) -> tuple[np.ndarray, np.ndarray]:
        pairs = [s.members() if which == "members" else s.owners() for s in self.segments]
        if len(pairs) == 1:
            return pairs[0]
        if key not in self._cache:
            shift = self.sentence_offsets if which == "members" else self.chunk_offsets
            indptrs, ids, base = [np.zeros(1, np.int64)], [], 0
            for i, (indptr, local) in enumerate(pairs):
                indptrs.append(np.asarray(indptr[1:]) + base)
                ids.append(np.asarray(local) + shift[i])
                base += int(indptr[-1])
            self._cache[key] = (np.concatenate(indptrs), np.concatenate(ids))
        out: tuple[np.ndarray, np.ndarray] = self._cache[key]
        return out

    def chunk_members(self) -> tuple[np.ndarray, np.ndarray]:
        """Sentences of each chunk in CSR form: chunk i owns ``ids[indptr[i]:indptr[i + 1]]`` (global ids)."""
        return self._joined_csr("members", "members")

    def sentence_owners(self) -> tuple[np.ndarray, np.ndarray]:
        """Chunks holding each sentence in CSR form (global ids)."""
        return self._joined_csr("owners", "owners")

    def sentence_spans(self) -> list[tuple[str, int, int]]:
        """``(source, start, end)`` of every stored sentence, in global sentence-id order (rows of
        ``sentence_matrix``; rows of removed documents included: see ``live_sentences``)."""
        return [span for s in self.segments for span in s.store.sentence_spans()]

    def sentence_rows(self, ids: Sequence[int]) -> list[tuple[str, int, int]]:
        """``(source, start, end)`` of the sentences ``ids`` (global), in the order given."""
        found: dict[int, tuple[str, int, int]] = {}
        for seg, local in _split(ids, self.sentence_offsets):
            off = int(self.sentence_offsets[seg])
            for at in range(0, len(local), 20_000):  # under SQLite's limit of bound parameters
                for sid, source, start, end in self.segments[seg].store.sentence_rows(local[at : at + 20_000]):
                    found[sid + off] = (source, start, end)
        return [found[int(i)] for i in ids]

    def sentence_ids_for(self, sources: Sequence[str]) -> dict[str, np.ndarray]:
        """Per source of ``sources``: the global ids of its live sentences, sorted (those of its chunks)."""
        indptr, members = self.chunk_members()
        live = self.live_sentences()
        out: dict[str, np.ndarray] = {}
        for source in sources:
            chunks = self.chunk_ids_for([source])
            parts = [members[indptr[c] : indptr[c + 1]] for c in chunks]
            ids = np.unique(np.concatenate(parts)).astype(np.int64) if parts else np.zeros(0, np.int64)
            out[source] = ids if live is None else ids[live[ids]]
        return out

    def member_spans(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, int]]]:
        """Per chunk of ``chunk_ids``: ``(sentence_id, start, end)`` of each sentence it holds, in order."""
        out: dict[int, list[tuple[int, int, int]]] = {int(c): [] for c in chunk_ids}
        if chunk_ids:
            for seg, local in _split(chunk_ids, self.chunk_offsets):
                c_off, s_off = int(self.chunk_offsets[seg]), int(self.sentence_offsets[seg])
                for cid, sid, start, end in self.segments[seg].store.member_spans(local):
                    out[cid + c_off].append((sid + s_off, start, end))
        return out

    def normalised_texts(self) -> list[str]:
        """Every chunk's clean text in the phrase-matching form, in global id order."""
        if "normalised" not in self._cache:
            self._cache["normalised"] = [normalise(t) for s in self.segments for t in s.store.embed_texts()]
        out: list[str] = self._cache["normalised"]
        return out

    def close(self) -> None:
        for seg in self.segments:
            seg.close()

    def __len__(self) -> int:
        return int(self.manifest.chunk_count)

    def _doc_text(self, seg: int, doc_id: int) -> tuple[str, str]:
        if (seg, doc_id) not in self._texts:
            self._texts[(seg, doc_id)] = self.segments[seg].store.document(doc_id)
        return self._texts[(seg, doc_id)]

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """Chunks by global id, in the order given."""
        if not len(ids):
            return []
        by_id = {}
        for seg, local in _split(ids, self.chunk_offsets):
            off = int(self.chunk_offsets[seg])
            for cid, doc_id, start, end, embed_text in self.segments[seg].store.chunk_rows(local):
                source, text = self._doc_text(seg, doc_id)
                by_id[cid + off] = StoredChunk(cid + off, source, start, end, text[start:end], embed_text)
        return [by_id[int(i)] for i in ids]

    def all_chunks(self) -> list[StoredChunk]:
        return self.chunks(list(range(len(self))))

    def _store_of(self, source: str) -> Any:
        return self.segments[self._names.get(self._segment_of.get(source, ""), 0)].store

    def _by_segment(self, sources: Sequence[str]) -> dict[int, list[str]]:
        """``sources`` grouped by the segment that holds each one's live rows."""
        out: dict[int, list[str]] = {}
        for source in sources:
            out.setdefault(self._names.get(self._segment_of.get(source, ""), 0), []).append(source)
        return out

    def chunk_ids_for(self, sources: Sequence[str]) -> list[int]:
        """The global ids of the live chunks of ``sources``, in order."""
        out: list[int] = []
        for seg, wanted in self._by_segment(sources).items():
            off = int(self.chunk_offsets[seg])
            out.extend(i + off for i in self.segments[seg].store.chunk_ids_for(wanted))
        return sorted(out)

    def document_text(self, source: str) -> str:
        return str(self._store_of(source).document_text(source))

    def document_info(self, source: str) -> dict[str, Any]:
        """What the store records about a document beyond its text: ``encoding`` and ``pages``."""
        info: dict[str, Any] = self._store_of(source).document_info(source)
        return info

    def page_of(self, source: str, offset: int) -> int | None:
        """The 1-based page of a PDF that holds ``offset``; None for documents without pages."""
        if source not in self._pages:
            pages = self.document_info(source).get("pages") or []
            self._pages[source] = tuple(int(p) for p in pages)
        return page_at(self._pages[source], offset)

    def reusable_rows(self, sources: Sequence[str]) -> dict[str, ReusableRows]:
        """The stored chunk and sentence rows of ``sources`` (global ids), to copy into an updated index."""
        out: dict[str, ReusableRows] = {}
        for seg, wanted in self._by_segment(sources).items():
            c_off, s_off = int(self.chunk_offsets[seg]), int(self.sentence_offsets[seg])
            for source, rows in self.segments[seg].store.reusable_rows(wanted).items():
                out[source] = ReusableRows(
                    [(c + c_off, *rest) for c, *rest in rows.chunks],  # type: ignore[misc]
                    [(s + s_off, a, b) for s, a, b in rows.sentences],
                    {c + c_off: [s + s_off for s in ids] for c, ids in rows.members.items()},
                )
        return out

    def resolve_sources(self, ids: Sequence[str]) -> list[str]:
        """Map ``--source`` values (short id, file name or file stem) to file names."""
        out = []
        for wanted in ids:
            if wanted in self._segment_of:  # a file name: no scan of the documents
                out.append(wanted)
                continue
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
