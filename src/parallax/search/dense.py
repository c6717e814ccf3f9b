"""Dense scores of chunks for a query vector: exact, or ANN candidates re-scored exactly.

A chunk's dense score is ``w_c * cos(q, chunk) + w_s * max cos(q, sentence in chunk)`` (just the
chunk's cosine for an index without sentence vectors). A small index scores every chunk (one matrix
product per matrix). A large one asks its ANN structures (``parallax.index.ann``) for candidates,
the nearest chunks and the chunks holding the nearest sentences, adds every chunk of the delta
segments (small, searched exactly), and computes the same exact score for each candidate from the
stored float32 vectors: the scores are true cosines, only the candidate set is approximate.
``exact=True`` scores every chunk whatever the index, to check the approximation.
"""

from __future__ import annotations

import numpy as np

from parallax.index.reader import Index
from parallax.index.segment import Segment

NARROW_SHARE = 8  # a filter keeping at most 1/8 of the chunks scores only those, even on an exact index
EXACT_SUBSET = 50_000  # a filter (--source, a phrase) that leaves fewer chunks than this is scored exactly


def top(scores: np.ndarray, k: int, allowed: np.ndarray | None, ids: np.ndarray | None = None) -> dict[int, float]:
    """The ``k`` best rows (among ``allowed``) with their scores, best first; ``ids`` names the rows."""
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return {}
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    names = best if ids is None else ids[best]
    return {int(i): float(scores[j]) for i, j in zip(names, best)}


def _both(allowed: np.ndarray | None, live: np.ndarray | None) -> np.ndarray | None:
    """The rows a filter keeps that are also live (None: every row)."""
    if live is None:
        return allowed
    return live if allowed is None else allowed & live


def _weights(index: Index) -> tuple[float, float]:
    dense = index.manifest.dense
    return float(dense.get("chunk_weight", 1.0)), float(dense.get("sentence_weight", 0.0))


def score_all(index: Index, q: np.ndarray) -> np.ndarray:
    """The exact dense score of every chunk (global ids), segment by segment."""
    parts = [_score_segment(index, seg, q) for seg in index.segments]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _score_segment(index: Index, seg: Segment, q: np.ndarray) -> np.ndarray:
    chunk_sim = seg.vectors @ q
    sentences = seg.sentences
    if sentences is None or not index.manifest.sentence_count:
        return np.asarray(chunk_sim, dtype=np.float32)
    wc, ws = _weights(index)
    indptr, ids = seg.members()
    sent_sim = sentences @ q
    best = np.array(chunk_sim, dtype=np.float32)
    has = indptr[1:] > indptr[:-1]
    if has.any():
        best[has] = np.maximum.reduceat(sent_sim[ids], indptr[:-1][has])
    return np.asarray(wc * chunk_sim + ws * best, dtype=np.float32)


def score_some(index: Index, q: np.ndarray, chunk_ids: np.ndarray) -> np.ndarray:
    """The exact dense score of the chunks ``chunk_ids`` (sorted global ids), from the stored vectors."""
    chunk_sim = index.chunk_vectors(chunk_ids) @ q
    if not index.manifest.sentence_count or not len(chunk_ids):
        return np.asarray(chunk_sim, dtype=np.float32)
    wc, ws = _weights(index)
    indptr, ids = index.chunk_members()
    starts, ends = indptr[chunk_ids], indptr[chunk_ids + 1]
    lengths = ends - starts
    members = np.concatenate([ids[a:b] for a, b in zip(starts, ends)]) if lengths.sum() else np.zeros(0, np.int64)
    best = np.array(chunk_sim, dtype=np.float32)
    has = lengths > 0
    if has.any():
        sims = index.sentence_vectors(np.asarray(members, dtype=np.int64)) @ q
        offsets = np.concatenate([[0], np.cumsum(lengths)])[:-1]
        best[has] = np.maximum.reduceat(sims, offsets[has])
    return np.asarray(wc * chunk_sim + ws * best, dtype=np.float32)


def candidates(index: Index, q: np.ndarray, depth: int) -> np.ndarray:
    """Sorted global chunk ids worth scoring exactly: the base's ANN proposals and every delta chunk."""
    base = index.segments[0]
    found: list[np.ndarray] = []
    for matrix in ("chunks", "sentences"):
        searcher = base.ann(matrix)
        rows = base.vectors if matrix == "chunks" else base.sentences
        if rows is None or not len(rows):
            continue
        want = max(depth, searcher.candidates if searcher is not None else depth)
        if searcher is not None:
            ids = searcher.search(q, want)[0][0]
            ids = ids[ids >= 0]
        else:
            ids = np.fromiter(top(np.asarray(rows @ q), want, None), dtype=np.int64)
        if matrix == "sentences":
            indptr, owners = base.owners()
            ids = np.concatenate([owners[indptr[s] : indptr[s + 1]] for s in ids]) if len(ids) else ids
        found.append(np.asarray(ids, dtype=np.int64))
    found.append(np.arange(index.chunk_offsets[1], len(index), dtype=np.int64))  # delta segments
    return np.unique(np.concatenate(found))


def dense_top(index: Index, q: np.ndarray, k: int, allowed: np.ndarray | None, exact: bool = False) -> dict[int, float]:
    """The ``k`` best chunks for the unit query vector ``q`` with their exact dense scores.

    ``allowed`` is an optional boolean mask over chunks; removed documents' chunks never count.
    """
    live = index.live_chunks()
    narrow = allowed is not None and int(allowed.sum()) <= min(EXACT_SUBSET, len(allowed) // NARROW_SHARE)
    if (exact or not index.approximate) and not narrow:
        return top(score_all(index, q), k, _both(allowed, live))
    if allowed is not None and (narrow or int(allowed.sum()) <= EXACT_SUBSET):  # a narrow filter: score what it keeps
        ids = np.flatnonzero(allowed if live is None else allowed & live)
        return top(score_some(index, q, ids), k, None, ids)
    allowed = _both(allowed, live)
    ids = candidates(index, q, k)
    if allowed is not None:
        ids = ids[allowed[ids]]
    return top(score_some(index, q, ids), k, None, ids)


def nearest_sentences(
    index: Index, q: np.ndarray, k: int, allowed: np.ndarray | None = None, exact: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` live sentences nearest to ``q`` (global ids, best first) and their exact cosines.

    ``allowed`` is an optional boolean mask over sentences. Exact (every sentence scored) for an
    index without ANN structures or with ``exact``; else the base's ANN candidates plus every delta
    sentence, re-scored from the stored vectors.
    """
    if not index.manifest.sentence_count:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    live = index.live_sentences()
    base = index.segments[0]
    searcher = base.ann("sentences")
    if exact or searcher is None:
        sims = [np.asarray(s.sentences @ q) for s in index.segments if s.sentences is not None]
        found = top(np.concatenate(sims) if len(sims) > 1 else sims[0], k, _both(allowed, live))
    elif allowed is not None and int(allowed.sum()) <= EXACT_SUBSET:
        ids = np.flatnonzero(allowed if live is None else allowed & live)
        found = top(index.sentence_vectors(ids) @ q, k, None, ids)
    else:
        allowed = _both(allowed, live)
        ann_ids = searcher.search(q, max(2 * k, searcher.candidates))[0][0]
        delta = np.arange(index.sentence_offsets[1], index.sentence_offsets[-1], dtype=np.int64)
        ids = np.unique(np.concatenate([ann_ids[ann_ids >= 0].astype(np.int64), delta]))
        if allowed is not None:
            ids = ids[allowed[ids]]
        found = top(index.sentence_vectors(ids) @ q, k, None, ids)
    return np.fromiter(found, dtype=np.int64, count=len(found)), np.fromiter(found.values(), np.float32, len(found))
