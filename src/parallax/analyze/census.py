"""What a topic map counts of every live unit: its cluster, its source and its characters.

On a small index the sentence table holds every unit and the counts come from it (``of_table``;
characters of clean text). On a large one the clusters are fitted on a sample (``topics.py``) and
every live unit is then read in batches of ``BATCH`` rows (``of_index``): its span, whose length
stands in for its clean text's (markup is rare in a sentence; reading every text is what the sample
avoids), and its vector, assigned to the nearest centroid. One batch of vectors and scores is held at
a time: 20,000 rows of 384 float32 are 30 MB. With ``--where``, only the units of the documents kept
are counted.

The figures are per document, or per group of documents (``--by``: ``Rows``): a group's text is its
documents' text pooled, so its share of a topic is the characters of its units in the topic over the
characters of all its units (a document in two groups counts in both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from parallax.analyze.clusters import Clustering
from parallax.analyze.units import unit_kind

if TYPE_CHECKING:
    from parallax.index.fields import Group
    from parallax.index.reader import Index

BATCH = 20_000


@dataclass(frozen=True)
class Census:
    """Per live unit (index order): the position of its source in ``documents``, its characters and its cluster."""

    documents: list[str]
    codes: np.ndarray
    chars: np.ndarray
    labels: np.ndarray

    @classmethod
    def of_table(cls, documents: Sequence[str], sources: np.ndarray, chars: np.ndarray, labels: np.ndarray) -> Census:
        position = {s: i for i, s in enumerate(documents)}
        codes = np.asarray([position.get(str(s), len(documents)) for s in sources], dtype=np.int64)
        return cls(list(documents), codes, np.asarray(chars, dtype=np.float64), np.asarray(labels, dtype=np.int64))

    @classmethod
    def of_index(
        cls, index: Index, documents: Sequence[str], clustering: Clustering, ids: np.ndarray | None = None
    ) -> Census:
        """Every live unit of ``index`` (or the units ``ids``), read in batches and assigned to ``clustering``'s
        clusters."""
        kind = unit_kind(index)
        if ids is None:
            live = index.live_sentences() if kind == "sentence" else index.live_chunks()
            total = int(index.manifest.sentence_count) if kind == "sentence" else len(index)
            ids = np.arange(total, dtype=np.int64) if live is None else np.flatnonzero(live)
        gather = index.sentence_vectors if kind == "sentence" else index.chunk_vectors
        position = {s: i for i, s in enumerate(documents)}
        codes, chars, labels = [], [], []
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            if kind == "sentence":
                spans = index.sentence_rows(batch.tolist())
            else:
                spans = [(c.source, c.start, c.end) for c in index.chunks(batch.tolist())]
            codes.append(np.asarray([position.get(s, len(documents)) for s, _, _ in spans], dtype=np.int64))
            chars.append(np.asarray([b - a for _, a, b in spans], dtype=np.float64))
            labels.append(clustering.assign(gather(batch)))
        empty = [np.zeros(0, np.int64)]
        return cls(
            list(documents),
            np.concatenate(codes or empty),
            np.concatenate(chars or [np.zeros(0)]),
            np.concatenate(labels or empty),
        )

    def _per_source(self, selected: np.ndarray | None = None, weighted: bool = True) -> np.ndarray:
        codes = self.codes if selected is None else self.codes[selected]
        weights = (self.chars if selected is None else self.chars[selected]) if weighted else None
        return np.bincount(codes, weights=weights, minlength=len(self.documents) + 1)[: len(self.documents)]

    def source_chars(self) -> dict[str, float]:
        """Characters of each source's units."""
        return {s: float(v) for s, v in zip(self.documents, self._per_source())}

    def source_units(self) -> dict[str, int]:
        """How many units each source has."""
        return {s: int(v) for s, v in zip(self.documents, self._per_source(weighted=False))}

    def shares(self, selected: np.ndarray, rows: Rows | None = None) -> dict[str, float]:
        """Per source (or per group of ``rows``): the share of its text in the selected units."""
        if rows is not None:
            totals, part = rows.total(self._per_source()), rows.total(self._per_source(selected))
            return {g: float(part[i]) / (float(totals[i]) or 1.0) for i, g in enumerate(rows.names)}
        totals = self._per_source()
        part = self._per_source(selected)
        return {s: float(part[i]) / (float(totals[i]) or 1.0) for i, s in enumerate(self.documents)}

    def row_totals(self, rows: Rows) -> tuple[np.ndarray, np.ndarray]:
        """Per group of ``rows``: how many units, and how many characters, its documents have."""
        return rows.total(self._per_source(weighted=False)), rows.total(self._per_source())


@dataclass(frozen=True)
class Rows:
    """Groups of a census's documents (``--by``): pairs (group, document), a document in each of its groups."""

    names: list[str]  # the groups' names, in order
    row: np.ndarray  # per pair: the group's position in ``names``
    document: np.ndarray  # per pair: the document's position in the census's ``documents``

    @classmethod
    def of_groups(cls, documents: Sequence[str], groups: Sequence[Group]) -> Rows:
        position = {s: i for i, s in enumerate(documents)}
        pairs = [(g, position[s]) for g, grp in enumerate(groups) for s in grp.members if s in position]
        row = np.asarray([g for g, _ in pairs], dtype=np.int64)
        document = np.asarray([d for _, d in pairs], dtype=np.int64)
        return cls([g.name for g in groups], row, document)

    def total(self, per_document: np.ndarray) -> np.ndarray:
        """Per group: the sum of ``per_document`` over its documents."""
        weights = np.asarray(per_document, dtype=np.float64)[self.document]
        return np.bincount(self.row, weights=weights, minlength=len(self.names))
