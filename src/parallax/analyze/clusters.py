"""Clustering unit vectors into topics: PCA, k-means with k by cosine silhouette, coherence.

The unit vectors are reduced to ``PCA_DIMS`` dimensions with PCA and re-normalised (sentence
embeddings are noisy in 384 dimensions; the main directions carry the topics), then clustered with
k-means (fixed seed and ``n_init``, so the result is deterministic).

Without a given k, k is the one with the best cosine silhouette over a range that grows with the
corpus (``k_range``): from about ``sqrt(n / UNITS_PER_K)`` to twice that, within ``K_MIN..K_MAX``.
A silhouette over ``2..12`` alone prefers the broadest split of a real folder (k = 2: one topic and
everything else other); the floor keeps the map at the grain of its subjects, as BERTopic's
``min_cluster_size`` does, and the silhouette still chooses within the range.
``benchmarks/topics_k.py`` measures the rule against the silhouette alone and HDBSCAN on the seeds,
basil-dev and a folder of package documentation (``benchmarks/results/topics-k.json``).

A given k is capped at ``max_k``: ``MIN_PER_TOPIC`` fitted units per cluster, at most ``K_ASKED_MAX``.
scikit-learn is imported only when clustering, and its warnings (k-means finding fewer distinct
points than clusters) are never shown: the clusters it returns are used as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

PCA_DIMS = 20
K_MIN = 2
K_MAX = 24  # the most clusters k is chosen among: a map a reader can take in
UNITS_PER_K = 8  # the range of k starts at sqrt(units / UNITS_PER_K)
MIN_PER_TOPIC = 8  # fitted units per cluster, at least
K_ASKED_MAX = 100  # the most clusters -n may ask for
SILHOUETTE_SAMPLE = 4000  # units the silhouette is measured on (a fixed sample beyond that)
N_INIT = 10


@dataclass(frozen=True)
class Clustering:
    """A cluster label per unit (``0..k-1``), k, and the silhouette of each k tried (none when k was given);
    the fitted projection and k-means, to ``assign`` other vectors to the clusters."""

    labels: np.ndarray
    k: int
    silhouette: dict[int, float]
    pca: Any = field(default=None, repr=False)
    model: Any = field(default=None, repr=False)

    def assign(self, vectors: np.ndarray) -> np.ndarray:
        """The cluster of each of ``vectors`` (nearest centroid in the reduced space), as ``cluster`` does."""
        if self.model is None:
            return np.zeros(len(vectors), dtype=np.int64)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            x = unit_rows(vectors) if self.pca is None else unit_rows(self.pca.transform(vectors))
            return np.asarray(self.model.predict(x), dtype=np.int64)


def unit_rows(x: np.ndarray) -> np.ndarray:
    """The rows of ``x`` scaled to unit length (zero rows stay zero), as float64."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.asarray(x / np.where(norms > 0, norms, 1.0), dtype=np.float64)


def reduce(vectors: np.ndarray, fit: np.ndarray) -> tuple[np.ndarray, Any]:
    """``vectors`` projected on the principal directions of the rows ``fit`` selects, re-normalised, and
    the fitted PCA (None when there are too few rows to project)."""
    from sklearn.decomposition import PCA

    n_fit = int(fit.sum())
    dims = min(PCA_DIMS, n_fit - 1, vectors.shape[1])
    if dims < 2:
        return unit_rows(vectors), None
    pca = PCA(n_components=dims, random_state=0).fit(vectors[fit])
    return unit_rows(pca.transform(vectors)), pca


def kmeans(x: np.ndarray, k: int) -> Any:
    """A fitted, deterministic k-means model (scikit-learn's warnings silenced)."""
    import warnings

    from sklearn.cluster import KMeans

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KMeans(n_clusters=k, n_init=N_INIT, random_state=0).fit(x)


def max_k(n_fit: int) -> int:
    """The most clusters ``n_fit`` fitted units make: ``MIN_PER_TOPIC`` each, at most ``K_ASKED_MAX``."""
    return max(1, min(K_ASKED_MAX, n_fit // MIN_PER_TOPIC))


def k_range(n: int) -> range:
    """The k tried for ``n`` fitted units: ``sqrt(n / UNITS_PER_K)`` to twice that, within the limits."""
    low = int(np.clip(round(np.sqrt(n / UNITS_PER_K)), K_MIN, K_MAX))
    high = min(2 * low, K_MAX, n // MIN_PER_TOPIC, n - 1)
    return range(low, high + 1)


def _silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import silhouette_score

    sample = SILHOUETTE_SAMPLE if len(x) > SILHOUETTE_SAMPLE else None
    return float(silhouette_score(x, labels, metric="cosine", sample_size=sample, random_state=0))


def choose_k(x: np.ndarray) -> tuple[int, dict[int, float]]:
    """The k of ``k_range`` with the best cosine silhouette (the smaller k on a tie), and each k's silhouette."""
    n = len(x)
    scores: dict[int, float] = {}
    for k in k_range(n):
        labels = kmeans(x, k).labels_
        if len(set(labels.tolist())) < 2:
            continue
        scores[k] = _silhouette(x, labels)
    if not scores:
        return (1 if n < 2 * MIN_PER_TOPIC else K_MIN), scores
    best = max(scores, key=lambda k: (round(scores[k], 6), -k))
    return best, scores


def cluster(vectors: np.ndarray, fit: np.ndarray, k: int | None = None) -> Clustering:
    """Cluster ``vectors``: fitted on the rows ``fit`` selects, the others join their nearest cluster."""
    import warnings

    from threadpoolctl import threadpool_limits

    # The data are small: one thread is fastest, and spare threads spin badly on a busy machine.
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, pca = reduce(vectors, fit)
        x_fit = x[fit]
        scores: dict[int, float] = {}
        if k is not None:
            k = min(k, max_k(int(fit.sum())))
        else:
            k, scores = choose_k(x_fit)
        if k <= 1:
            return Clustering(np.zeros(len(vectors), dtype=np.int64), 1, scores)
        model = kmeans(x_fit, k)
        labels = np.asarray(model.predict(x), dtype=np.int64)
    return Clustering(labels, k, scores, pca, model)


def coherence(full: np.ndarray, labels: np.ndarray, k: int) -> dict[int, float]:
    """Per non-empty cluster: mean cosine of its members to their centroid (``full``: unit rows)."""
    out: dict[int, float] = {}
    for c in range(k):
        members = full[labels == c]
        if len(members):
            centroid = members.mean(axis=0)
            norm = float(np.linalg.norm(centroid))
            out[c] = float((members @ (centroid / norm)).mean()) if norm > 0 else 0.0
    return out
