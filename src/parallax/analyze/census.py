"""What a topic map counts of every live unit: its cluster, its source and its characters.

On a small index the sentence table holds every unit and the counts come from it (``of_table``;
characters of clean text). On a large one the clusters are fitted on a sample (``topics.py``) and
every live unit is then read in batches of ``BATCH`` rows (``of_index``): its span, whose length
stands in for its clean text's (markup is rare in a sentence; reading every text is what the sample
avoids), and its vector, assigned to the nearest centroid. One batch of vectors and scores is held at
a time: 20,000 rows of 384 float32 are 30 MB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from parallax.analyze.clusters import Clustering
from parallax.analyze.units import unit_kind

if TYPE_CHECKING:
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
    def of_index(cls, index: Index, documents: Sequence[str], clustering: Clustering) -> Census:
        """Every live unit of ``index``, read in batches and assigned to ``clustering``'s clusters."""
        kind = unit_kind(index)
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

    def shares(self, selected: np.ndarray) -> dict[str, float]:
        """Per source: the share of its text in the selected units."""
        totals = self._per_source()
        part = self._per_source(selected)
        return {s: float(part[i]) / (float(totals[i]) or 1.0) for i, s in enumerate(self.documents)}
