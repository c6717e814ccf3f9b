"""The sentence table shared by compare and topics: the index's units, their vectors and clean texts.

A unit is a stored sentence when the index has sentence vectors (every index built by default), else
a chunk. Row ``i`` of the table is ``spans[i] = (source, start, end)``, an exact span of the source
document, with its unit vector ``matrix[i]`` and its clean text ``plain[i]`` (a sentence's markup
removed; a chunk's ``embed_text``, what was embedded). ``ids[i]`` is the row's global unit id.

``from_index`` holds every live unit (rows of removed documents left out): the table of a small
index. ``from_rows`` holds only the units asked for, reading their spans, vectors and texts and
nothing else: the table of a large index, built from a topic's candidates (``candidates.py``) or a
sample (``topics.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from parallax.analyze.passage import Passage
from parallax.text.markup import to_plain

if TYPE_CHECKING:
    from parallax.index.reader import Index

Tokenizer = Callable[[Sequence[str]], list[list[str]]]


def unit_kind(index: Index) -> str:
    """The unit of an index: "sentence" when it has sentence vectors (every index built by default), else "chunk"."""
    return "sentence" if index.manifest.sentence_count else "chunk"


def live_units(index: Index) -> int:
    """How many live units (sentences, or chunks) the index holds."""
    kind = unit_kind(index)
    live = index.live_sentences() if kind == "sentence" else index.live_chunks()
    if live is not None:
        return int(live.sum())
    return int(index.manifest.sentence_count) if kind == "sentence" else len(index)


def unit_ids_for(index: Index, sources: Sequence[str]) -> np.ndarray:
    """The global ids of the live units (sentences, or chunks) of ``sources``, sorted: a sentence is found
    through the chunks that hold it, so a whole subset of a large index costs one lookup per segment."""
    chunks = np.unique(np.asarray(index.chunk_ids_for(sources), dtype=np.int64))
    if unit_kind(index) == "sentence":
        return chunk_sentences(index, chunks)
    live = index.live_chunks()
    return chunks if live is None else chunks[live[chunks]]


def chunk_sentences(index: Index, chunks: np.ndarray) -> np.ndarray:
    """The live sentences of ``chunks`` (global ids), sorted, without a Python loop over the chunks."""
    indptr, members = index.chunk_members()
    chunks = np.asarray(chunks, dtype=np.int64)
    starts, ends = indptr[chunks], indptr[chunks + 1]
    lengths = ends - starts
    # every position from starts[i] to ends[i], for every chunk
    offsets = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ids = np.unique(np.asarray(members)[np.repeat(starts, lengths) + offsets].astype(np.int64))
    live = index.live_sentences()
    return ids if live is None else ids[live[ids]]


@dataclass(frozen=True)
class SentenceTable:
    """Units of an index in global id order (sentence ids, or chunk ids for an index without sentences)."""

    kind: str  # "sentence" or "chunk"
    spans: list[tuple[str, int, int]]
    matrix: np.ndarray  # one unit vector per row, float32
    plain: list[str]
    rows: dict[str, np.ndarray]  # source -> its rows (every document of the index for ``from_index``)
    index: Index = field(repr=False, compare=False)
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False, compare=False)
    _documents: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _postings: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_index(cls, index: Index) -> SentenceTable:
        """Every live unit of ``index`` (every document has an entry in ``rows``)."""
        if unit_kind(index) == "sentence":
            live = index.live_sentences()
            matrix = index.sentence_matrix()
            if live is not None:
                return cls.from_rows(index, np.flatnonzero(live), every_document=True)
            assert matrix is not None
            spans = index.sentence_spans()
            return cls._make(index, "sentence", np.arange(len(spans), dtype=np.int64), spans, matrix, None, True)
        live = index.live_chunks()
        chunks = index.all_chunks() if live is None else index.chunks(np.flatnonzero(live).tolist())
        ids = np.asarray([c.id for c in chunks], dtype=np.int64)
        spans = [(c.source, c.start, c.end) for c in chunks]
        plain = [c.embed_text for c in chunks]
        return cls._make(index, "chunk", ids, spans, index.chunk_vectors(ids), plain, True)

    @classmethod
    def from_rows(
        cls, index: Index, ids: np.ndarray, known: SentenceTable | None = None, every_document: bool = False
    ) -> SentenceTable:
        """The live units ``ids`` of ``index`` only (sorted, duplicates dropped): their spans, vectors and
        clean texts, nothing else. The texts of ``known``'s rows are reused rather than read again."""
        kind = unit_kind(index)
        ids = np.unique(np.asarray(ids, dtype=np.int64))
        live = index.live_sentences() if kind == "sentence" else index.live_chunks()
        if live is not None:
            ids = ids[live[ids]]
        if kind == "chunk":
            chunks = index.chunks(ids.tolist())
            spans = [(c.source, c.start, c.end) for c in chunks]
            plain = [c.embed_text for c in chunks]
            return cls._make(index, kind, ids, spans, index.chunk_vectors(ids), plain, every_document)
        have = {} if known is None else {int(i): j for j, i in enumerate(known.ids)}
        missing = [int(i) for i in ids if int(i) not in have]
        read = dict(zip(missing, index.sentence_rows(missing)))
        old = known if known is not None else None
        spans = [read[int(i)] if old is None or int(i) not in have else old.spans[have[int(i)]] for i in ids]
        texts = {int(i): old.plain[have[int(i)]] for i in ids if old is not None and int(i) in have}
        table = cls._make(index, kind, ids, spans, index.sentence_vectors(ids), [], every_document)
        if old is not None:
            table._documents.update(old._documents)
        table.plain.extend(texts[int(i)] if int(i) in texts else table._clean(span) for i, span in zip(ids, spans))
        return table

    @classmethod
    def _make(
        cls,
        index: Index,
        kind: str,
        ids: np.ndarray,
        spans: list[tuple[str, int, int]],
        matrix: np.ndarray,
        plain: list[str] | None,
        every_document: bool,
    ) -> SentenceTable:
        """A table of the given rows; with ``plain`` None, the sentences' clean texts are read from the spans."""
        rows: dict[str, list[int]] = {d.source: [] for d in index.manifest.documents} if every_document else {}
        for i, (source, _, _) in enumerate(spans):
            rows.setdefault(source, []).append(i)
        table = cls(
            kind,
            spans,
            np.asarray(matrix, dtype=np.float32),
            [] if plain is None else plain,
            {s: np.asarray(r, dtype=np.int64) for s, r in rows.items()},
            index,
            ids,
        )
        if plain is None:
            table.plain.extend(table._clean(span) for span in spans)
        return table

    def _clean(self, span: tuple[str, int, int]) -> str:
        source, start, end = span
        return to_plain(self.document(source)[start:end])

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """The rows of the global unit ids ``ids`` (-1 for a unit the table does not hold)."""
        ids = np.asarray(ids, dtype=np.int64)
        at = np.searchsorted(self.ids, ids)
        found = (at < len(self.ids)) & (self.ids[np.minimum(at, max(len(self.ids) - 1, 0))] == ids)
        return np.where(found, at, -1) if len(self.ids) else np.full(len(ids), -1, np.int64)

    def __len__(self) -> int:
        return len(self.spans)

    @property
    def sources(self) -> list[str]:
        """The source of each row."""
        return [s for s, _, _ in self.spans]

    def source_rows(self, source: str) -> np.ndarray:
        """The rows of ``source`` (none for a source the index does not hold)."""
        return self.rows.get(source, np.zeros(0, np.int64))

    def document(self, source: str) -> str:
        """The whole text of ``source``, read from the index once."""
        if source not in self._documents:
            self._documents[source] = self.index.document_text(source)
        return self._documents[source]

    def postings(self, tokenize: Tokenizer) -> dict[str, np.ndarray]:
        """Token -> the rows whose clean text holds it; computed once (with the first tokenizer given)."""
        if not self._postings and self.plain:
            found: dict[str, list[int]] = {}
            for i, words in enumerate(tokenize(self.plain)):
                for w in set(words):
                    found.setdefault(w, []).append(i)
            self._postings.update({w: np.asarray(ids, dtype=np.int64) for w, ids in found.items()})
        return self._postings

    def passage(self, row: int, score: float) -> Passage:
        """Row ``row`` as a passage scored ``score``."""
        source, start, end = self.spans[row]
        return Passage(source, score, start, end, self.document(source)[start:end], self.plain[row])
