"""The sentence table shared by compare and topics: the index's units, their vectors and clean texts.

A unit is a stored sentence when the index has sentence vectors (every index built by default), else
a chunk. Row ``i`` of the table is ``spans[i] = (source, start, end)``, an exact span of the source
document, with its unit vector ``matrix[i]`` and its clean text ``plain[i]`` (a sentence's markup
removed; a chunk's ``embed_text``, what was embedded).
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


@dataclass(frozen=True)
class SentenceTable:
    """Every unit of an index, in index order (sentence ids, or chunk ids for an index without sentences)."""

    kind: str  # "sentence" or "chunk"
    spans: list[tuple[str, int, int]]
    matrix: np.ndarray  # one unit vector per row, float32
    plain: list[str]
    rows: dict[str, np.ndarray]  # source -> its rows, for every document of the index (empty when it has none)
    index: Index = field(repr=False, compare=False)
    _documents: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _postings: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_index(cls, index: Index) -> SentenceTable:
        chunks = None
        matrix = index.sentence_matrix()
        if matrix is not None and len(matrix):
            kind, spans = "sentence", index.sentence_spans()
        else:
            chunks = index.all_chunks()
            kind, matrix = "chunk", index.chunk_matrix()
            spans = [(c.source, c.start, c.end) for c in chunks]
        rows: dict[str, list[int]] = {d.source: [] for d in index.manifest.documents}
        for i, (source, _, _) in enumerate(spans):
            rows.setdefault(source, []).append(i)
        table = cls(
            kind,
            spans,
            np.asarray(matrix, dtype=np.float32),
            [],
            {s: np.asarray(ids, dtype=np.int64) for s, ids in rows.items()},
            index,
        )
        if chunks is not None:
            table.plain.extend(c.embed_text for c in chunks)
        else:
            table.plain.extend(to_plain(table.document(s)[a:b]) for s, a, b in spans)
        return table

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
