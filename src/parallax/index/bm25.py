"""BM25 over the chunks' clean text, with bm25s (Lucene scoring), English stopwords and a Snowball stemmer.

Stored in the index folder as ``bm25/`` (bm25s's own arrays as .npy and vocabulary as JSON; no pickle).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from parallax.core.errors import CorruptIndexError

BM25_DIR = "bm25"


@dataclass(frozen=True)
class BM25Config:
    k1: float = 0.9
    b: float = 0.4
    method: str = "lucene"
    stemmer: str = "english"
    stopwords: str = "en"

    def to_dict(self) -> dict[str, Any]:
        import bm25s

        return {"library": "bm25s", "version": bm25s.__version__, **asdict(self)}


TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # bm25s's default, the same as scikit-learn's CountVectorizer


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Any:
    if not language:
        return None
    import Stemmer

    return Stemmer.Stemmer(language)


def library_stopwords(name: str) -> list[str]:
    """bm25s's stopword list for ``name`` ("en" or "english"; "" for none)."""
    if not name:
        return []
    if name not in ("en", "english"):
        raise ValueError(f"unsupported stopwords {name!r}; use 'en' or ''")
    from bm25s.stopwords import STOPWORDS_EN

    return list(STOPWORDS_EN)


def tokenize(texts: Sequence[str], config: BM25Config, stopwords: frozenset[str]) -> list[list[str]]:
    """bm25s's tokenisation (lower case, its token pattern, stopwords, then the Snowball stemmer).

    Written out here so that a query can be tokenised without importing bm25s and scipy, which
    would cost most of a cold search's start-up; ``tests/test_lexical.py`` checks it against
    ``bm25s.tokenize`` token for token.
    """
    split = re.compile(TOKEN_PATTERN).findall
    stemmer = _stemmer(config.stemmer)
    out = []
    for text in texts:
        words = [w for w in split(text.lower()) if w not in stopwords]
        out.append(list(stemmer.stemWords(words)) if stemmer is not None and words else words)
    return out


class BM25Index:
    """BM25 scores precomputed by bm25s as a sparse token x chunk matrix (CSC arrays).

    bm25s builds and saves the index. A query only sums the stored scores of its tokens, which
    needs numpy alone: loading and searching never import bm25s or scipy.
    """

    def __init__(
        self,
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
        vocab: dict[str, int],
        config: BM25Config,
        size: int,
        stopwords: Sequence[str],
        retriever: Any = None,
    ) -> None:
        self.data, self.indices, self.indptr = data, indices, indptr
        self.vocab = vocab
        self.config = config
        self.size = size
        self.stopwords = frozenset(stopwords)
        self._retriever = retriever  # kept after a build, to save in bm25s's own format
        self.avgdl = 0.0  # mean tokens per chunk (what the stored scores used); 0 when not recorded

    @classmethod
    def build(cls, texts: Sequence[str], config: BM25Config | None = None) -> BM25Index:
        import bm25s

        config = config or BM25Config()
        stopwords = library_stopwords(config.stopwords)
        retriever = bm25s.BM25(k1=config.k1, b=config.b, method=config.method)
        tokens = tokenize(texts, config, frozenset(stopwords))
        # bm25s cannot index an empty token list for every document; give empties a placeholder.
        retriever.index([t or ["\u2205"] for t in tokens], show_progress=False)
        scores = retriever.scores
        made = cls(
            np.asarray(scores["data"]),
            np.asarray(scores["indices"]),
            np.asarray(scores["indptr"]),
            dict(retriever.vocab_dict),
            config,
            len(texts),
            stopwords,
            retriever,
        )
        made.avgdl = float(np.mean([len(t) or 1 for t in tokens])) if tokens else 0.0
        return made

    def save(self, folder: Path) -> None:
        if self._retriever is None:
            raise ValueError("only a freshly built BM25 index can be saved")
        target = folder / BM25_DIR
        target.mkdir()
        self._retriever.save(str(target), show_progress=False)
        meta = {"size": self.size, **asdict(self.config), "stopword_list": sorted(self.stopwords), "avgdl": self.avgdl}
        (target / "parallax.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        target = folder / BM25_DIR
        try:
            meta = json.loads((target / "parallax.json").read_text(encoding="utf-8"))
            size = int(meta.pop("size"))
            avgdl = float(meta.pop("avgdl", 0.0))
            stopwords = meta.pop("stopword_list", None)
            config = BM25Config(**meta)
            if stopwords is None:  # written before the list was stored
                stopwords = library_stopwords(config.stopwords)
            vocab = json.loads((target / "vocab.index.json").read_text(encoding="utf-8"))
            data, indices, indptr = (  # memory-mapped: a query reads the columns of its terms only
                np.load(target / f"{name}.csc.index.npy", mmap_mode="r", allow_pickle=False)
                for name in ("data", "indices", "indptr")
            )
            if len(indptr) - 1 > len(vocab) or len(data) != len(indices) or int(indptr[-1]) != len(data):
                raise ValueError("inconsistent arrays")
        except Exception as exc:  # any unreadable piece means the same thing to the user
            raise CorruptIndexError(
                f"{target} is missing or corrupt ({type(exc).__name__}); rebuild with: parallax index --index {folder}"
            ) from None
        loaded = cls(data, indices, indptr, {str(k): int(v) for k, v in vocab.items()}, config, size, stopwords)
        loaded.avgdl = avgdl
        return loaded

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk: the sum of the stored scores of the query's tokens (repeats count)."""
        weights: dict[str, float] = {}
        for t in tokenize([query], self.config, self.stopwords)[0]:
            weights[t] = weights.get(t, 0.0) + 1.0
        return self.weighted_scores(weights)

    def weighted_scores(self, weights: Mapping[str, float]) -> np.ndarray:
        """Every chunk's sum of the stored scores of the given (already tokenised) terms, each times its weight."""
        columns = len(self.indptr) - 1  # bm25s's vocabulary also holds "", which has no column
        out = np.zeros(self.size, dtype=np.float32)
        for term, weight in weights.items():
            t = self.vocab.get(term, columns)
            if t < columns:
                lo, hi = self.indptr[t], self.indptr[t + 1]
                out[self.indices[lo:hi]] += weight * self.data[lo:hi]  # a term's column names each chunk once
        return out

    def postings(self, term: str) -> np.ndarray:
        """The ids of the chunks holding ``term`` (a stemmed token), ascending."""
        columns = len(self.indptr) - 1
        t = self.vocab.get(term, columns)
        if t >= columns:
            return np.zeros(0, np.int64)
        return np.sort(np.asarray(self.indices[self.indptr[t] : self.indptr[t + 1]], dtype=np.int64))

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[list[int], list[float]]:
        """Top ``k`` chunk ids and scores (positive scores only, best first, ties by id).

        ``allowed`` is an optional boolean mask over chunks.
        """
        return self.top(self.scores(query), k, allowed)

    @staticmethod
    def top(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[list[int], list[float]]:
        """The ``k`` best of ``scores`` (positive only, best first, ties by id) among ``allowed``."""
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if k <= 0 or not len(positive):
            return [], []
        if len(positive) > k:
            positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
        order = sorted(positive.tolist(), key=lambda i: (-float(scores[i]), i))
        return order, [float(scores[i]) for i in order]
