"""BM25 over an index with delta segments: the base's stored scores plus delta chunks scored at query time.

A delta segment (a small update of a large index) stores its chunks' term frequencies, not scores:
``bm25/`` in the delta folder holds ``tf.npy``, ``indices.npy``, ``indptr.npy`` (a term x chunk CSC
matrix), ``lengths.npy`` (tokens per chunk) and ``vocab.json``. A query scores the delta chunks with
the base's statistics (document count, document frequency of each term, average length: what the
base's stored scores were computed with), using bm25s's Lucene formula

    idf = ln(1 + (N - df + 0.5) / (df + 0.5))      tf part = tf / (tf + k1 * (1 - b + b * dl / avgdl))

so a delta chunk gets the score it would have had in the base. A term the base never saw takes its
document frequency from the deltas. A merge (a full rewrite) folds the deltas back and recomputes
every statistic, as Lucene does with its segments.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from parallax.core.errors import CorruptIndexError
from parallax.index.bm25 import BM25_DIR, BM25Config, BM25Index, tokenize
from parallax.index.matrix import MatrixError, read_array, write_array

_FILES = ("tf", "indices", "indptr", "lengths")


class DeltaTerms:
    """One delta segment's term frequencies: a term x chunk CSC matrix and each chunk's length."""

    def __init__(
        self, tf: np.ndarray, indices: np.ndarray, indptr: np.ndarray, lengths: np.ndarray, vocab: dict[str, int]
    ) -> None:
        self.tf, self.indices, self.indptr, self.lengths, self.vocab = tf, indices, indptr, lengths, vocab

    @classmethod
    def build(cls, texts: Sequence[str], config: BM25Config, stopwords: frozenset[str]) -> DeltaTerms:
        vocab: dict[str, int] = {}
        postings: list[dict[int, int]] = []
        lengths = []
        for doc, tokens in enumerate(tokenize(texts, config, stopwords)):
            lengths.append(len(tokens) or 1)  # bm25s gives an empty chunk one placeholder token
            for t in tokens:
                col = vocab.setdefault(t, len(vocab))
                if col == len(postings):
                    postings.append({})
                postings[col][doc] = postings[col].get(doc, 0) + 1
        indptr = np.cumsum([0] + [len(p) for p in postings]).astype(np.int64)
        indices = np.asarray([d for p in postings for d in p], dtype=np.int64)
        tf = np.asarray([c for p in postings for c in p.values()], dtype=np.float32)
        return cls(tf, indices, indptr, np.asarray(lengths, dtype=np.float32), vocab)

    def save(self, folder: Path) -> None:
        target = folder / BM25_DIR
        target.mkdir()
        for name, array, dtype in zip(_FILES, (self.tf, self.indices, self.indptr, self.lengths), ["f", "i", "i", "f"]):
            write_array(target / f"{name}.npy", array, f"<{dtype}{4 if dtype == 'f' else 8}")
        (target / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, index_path: Path) -> DeltaTerms:
        target = folder / BM25_DIR
        try:
            tf, indices, indptr, lengths = (
                read_array(target / f"{n}.npy", dt, (None,)) for n, dt in zip(_FILES, ("<f4", "<i8", "<i8", "<f4"))
            )
            vocab = {str(k): int(v) for k, v in json.loads((target / "vocab.json").read_text("utf-8")).items()}
            if len(indptr) != len(vocab) + 1 or int(indptr[-1]) != len(tf) or len(tf) != len(indices):
                raise MatrixError("inconsistent arrays")
        except (OSError, ValueError) as exc:
            raise CorruptIndexError(
                f"{target} is missing or corrupt ({type(exc).__name__}); rebuild with: "
                f"parallax index PATH... --index {index_path} --rebuild"
            ) from None
        return cls(tf, indices, indptr, lengths, vocab)

    def df(self, term: str) -> int:
        col = self.vocab.get(term)
        return 0 if col is None else int(self.indptr[col + 1] - self.indptr[col])


class SegmentedBM25:
    """The base's BM25 and the deltas' term frequencies, searched as one index over global chunk ids."""

    def __init__(self, base: BM25Index, deltas: Sequence[DeltaTerms], avgdl: float) -> None:
        self.base = base
        self.deltas = list(deltas)
        self.avgdl = avgdl
        self.config = base.config
        self.stopwords = base.stopwords
        self.size = base.size + sum(len(d.lengths) for d in self.deltas)

    def _idf(self, term: str) -> float:
        base = self.base
        columns = len(base.indptr) - 1
        t = base.vocab.get(term, columns)
        df = int(base.indptr[t + 1] - base.indptr[t]) if t < columns else sum(d.df(term) for d in self.deltas)
        n = base.size
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def weighted_scores(self, weights: Mapping[str, float]) -> np.ndarray:
        parts = [self.base.weighted_scores(weights)]
        k1, b = self.config.k1, self.config.b
        for delta in self.deltas:
            out = np.zeros(len(delta.lengths), dtype=np.float32)
            norm = k1 * (1 - b + b * delta.lengths / self.avgdl)
            for term, weight in weights.items():
                col = delta.vocab.get(term)
                if col is None:
                    continue
                lo, hi = delta.indptr[col], delta.indptr[col + 1]
                docs, tf = delta.indices[lo:hi], delta.tf[lo:hi]
                out[docs] += weight * self._idf(term) * tf / (tf + norm[docs])
            parts.append(out)
        return np.concatenate(parts)

    def postings(self, term: str) -> np.ndarray:
        """The global ids of the chunks holding ``term``, base and deltas, ascending."""
        parts = [self.base.postings(term)]
        offset = self.base.size
        for delta in self.deltas:
            col = delta.vocab.get(term)
            if col is not None:
                parts.append(np.sort(np.asarray(delta.indices[delta.indptr[col] : delta.indptr[col + 1]])) + offset)
            offset += len(delta.lengths)
        return np.concatenate(parts).astype(np.int64)

    def scores(self, query: str) -> np.ndarray:
        weights: dict[str, float] = {}
        for t in tokenize([query], self.config, self.stopwords)[0]:
            weights[t] = weights.get(t, 0.0) + 1.0
        return self.weighted_scores(weights)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[list[int], list[float]]:
        """Top ``k`` chunk ids and scores, as ``BM25Index.search``."""
        return BM25Index.top(self.scores(query), k, allowed)
