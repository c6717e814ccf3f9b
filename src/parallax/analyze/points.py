"""Common ground and unique angles: the points the sources' topic sentences make, clustered.

The topic sentences of all sources are clustered (average linkage on cosine distance, cut where a merge
would join sentences less similar than ``POINT_SIMILARITY``). A cluster with sentences from two or more
sources is a point of common ground: one passage per source (its sentence closest to the centroid), with
the facts each states. A cluster from one source is a unique angle, if its best sentence is on topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from parallax.analyze.comparison import AlignedPassage, Point, UniqueAngle
from parallax.analyze.coverage import SENTENCE_LEVEL as ON_TOPIC
from parallax.analyze.distinct import c_tf_idf
from parallax.analyze.facts import extract_facts
from parallax.analyze.units import SentenceTable

POINT_SIMILARITY = 0.6  # sentences closer than this (cosine) make the same point
MAX_POINTS = 6
MAX_UNIQUE = 8
UNIQUE_PER_SOURCE = 2


def cluster_points(vectors: np.ndarray) -> list[np.ndarray]:
    """Clusters of the rows of ``vectors`` (their positions), in the order of each cluster's first row.

    Average-linkage agglomerative clustering on cosine distance, cut at ``1 - POINT_SIMILARITY``.
    """
    if len(vectors) == 0:
        return []
    if len(vectors) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        from scipy.cluster.hierarchy import fcluster, linkage

        tree = linkage(vectors, method="average", metric="cosine")
        labels = fcluster(tree, t=1 - POINT_SIMILARITY, criterion="distance")
    # Clusters in the order of their first passage, whatever numbers the clustering gave them.
    _, first = np.unique(labels, return_index=True)
    return [np.flatnonzero(labels == c) for c in labels[np.sort(first)]]


def point_label(text: str, terms: Sequence[str], exclude: Sequence[str]) -> str:
    """A short name for a point: the names it states that the topic does not, else its c-TF-IDF terms."""
    skip = {w.lower() for w in exclude}
    names = [n for n in extract_facts(text).names if not any(w.lower() in skip for w in n.split())]
    parts = names[:2] or list(terms)
    return " · ".join(parts) or " ".join(text.split()[:8])


@dataclass(frozen=True)
class _TopicSentences:
    """The topic sentences of all sources, in source order: table rows, owners, float64 vectors."""

    table: SentenceTable
    rows: np.ndarray
    owners: list[str]
    vectors: np.ndarray
    scores: np.ndarray  # topic score of every row of the table

    def score(self, i: int) -> float:
        return float(self.scores[int(self.rows[i])])

    def shared_point(self, members: np.ndarray, sources: list[str], label: str) -> tuple[tuple[int, float], Point]:
        """A point of common ground and its rank key (sources, mean topic score)."""
        centroid = self.vectors[members].mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        aligned = []
        for src in sources:
            mine = [i for i in members if self.owners[i] == src]
            best = max(mine, key=lambda i: float(self.vectors[i] @ centroid))
            passage = self.table.passage(int(self.rows[best]), float(self.vectors[best] @ centroid))
            aligned.append(AlignedPassage(passage, extract_facts(passage.plain), src))
        strength = float(np.mean([self.score(i) for i in members]))
        return (len(sources), strength), Point(label, list(sources), aligned)

    def unique_angle(self, members: np.ndarray, label: str, sims: np.ndarray) -> tuple[float, UniqueAngle] | None:
        """A point one source makes, scored 1 - its highest cosine with another source's sentence."""
        best = max(members, key=self.score)
        if self.score(best) < ON_TOPIC:
            return None
        others = [j for j in range(len(self.rows)) if self.owners[j] != self.owners[best]]
        echo = float(sims[best, others].max()) if others else 0.0
        passage = self.table.passage(int(self.rows[best]), 1 - echo)
        return self.score(best), UniqueAngle(self.owners[best], label, passage)


def find_points(
    table: SentenceTable, topic_rows: dict[str, np.ndarray], scores: np.ndarray, exclude: Sequence[str] = ()
) -> tuple[list[Point], list[UniqueAngle]]:
    """Cluster the topic sentences of all sources; shared clusters are common ground, others unique.

    A source is a key of ``topic_rows``: a document, or a group of documents (``--by``), whose passages
    then come from its documents."""
    rows = np.asarray([r for rr in topic_rows.values() for r in rr], dtype=np.int64)
    if len(rows) == 0:
        return [], []
    owners = [source for source, rr in topic_rows.items() for _ in rr]
    topic = _TopicSentences(table, rows, owners, table.matrix[rows].astype(np.float64), scores)
    clusters = cluster_points(topic.vectors)
    texts = {str(c): " ".join(table.plain[int(rows[i])] for i in members) for c, members in enumerate(clusters)}
    terms = c_tf_idf(texts, top=3, exclude=exclude)
    order = list(topic_rows)
    sims = topic.vectors @ topic.vectors.T
    common: list[tuple[tuple[int, float], Point]] = []
    singles: list[tuple[float, UniqueAngle]] = []
    for c, members in enumerate(clusters):
        label = point_label(texts[str(c)], terms.get(str(c), []), exclude)
        sources = list(dict.fromkeys(owners[i] for i in members))
        if len(sources) >= 2:
            common.append(topic.shared_point(members, sorted(sources, key=order.index), label))
        elif (angle := topic.unique_angle(members, label, sims)) is not None:
            singles.append(angle)
    common.sort(key=lambda kv: (-kv[0][0], -kv[0][1]))
    return [p for _, p in common[:MAX_POINTS]], _spread(singles)


def _spread(singles: list[tuple[float, UniqueAngle]]) -> list[UniqueAngle]:
    """The strongest unique angles, at most ``UNIQUE_PER_SOURCE`` per source and ``MAX_UNIQUE`` in all."""
    singles = sorted(singles, key=lambda kv: -kv[0])
    unique: list[UniqueAngle] = []
    per_source: dict[str, int] = {}
    for _, angle in singles:
        if per_source.get(angle.source, 0) < UNIQUE_PER_SOURCE and len(unique) < MAX_UNIQUE:
            unique.append(angle)
            per_source[angle.source] = per_source.get(angle.source, 0) + 1
    return unique
