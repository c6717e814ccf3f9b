"""BM25 over the chunks' clean text, with bm25s (Lucene scoring), English stopwords and a Snowball stemmer.

Stored in the index folder as ``bm25/`` (bm25s's own arrays as .npy and vocabulary as JSON; no pickle).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CorruptIndexError

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


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Any:
    if not language:
        return None
    import Stemmer

    return Stemmer.Stemmer(language)


def tokenize(texts: Sequence[str], config: BM25Config) -> list[list[str]]:
    import bm25s

    tokens = bm25s.tokenize(
        list(texts),
        stopwords=config.stopwords,
        stemmer=_stemmer(config.stemmer),
        return_ids=False,
        show_progress=False,
    )
    return [list(t) for t in tokens]


class BM25Index:
    def __init__(self, retriever: Any, config: BM25Config, size: int) -> None:
        self.retriever = retriever
        self.config = config
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str], config: BM25Config | None = None) -> BM25Index:
        import bm25s

        config = config or BM25Config()
        retriever = bm25s.BM25(k1=config.k1, b=config.b, method=config.method)
        tokens = tokenize(texts, config)
        # bm25s cannot index an empty token list for every document; give empties a placeholder.
        retriever.index([t or ["\u2205"] for t in tokens], show_progress=False)
        return cls(retriever, config, len(texts))

    def save(self, folder: Path) -> None:
        target = folder / BM25_DIR
        target.mkdir()
        self.retriever.save(str(target), show_progress=False)
        (target / "parallax.json").write_text(json.dumps({"size": self.size, **asdict(self.config)}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        import bm25s

        target = folder / BM25_DIR
        try:
            meta = json.loads((target / "parallax.json").read_text(encoding="utf-8"))
            size = int(meta.pop("size"))
            config = BM25Config(**meta)
            retriever = bm25s.BM25.load(str(target), mmap=False, show_progress=False)
        except Exception as exc:  # any unreadable piece means the same thing to the user
            raise CorruptIndexError(
                f"{target} is missing or corrupt ({type(exc).__name__}); rebuild with: parallax index --index {folder}"
            ) from None
        return cls(retriever, config, size)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[list[int], list[float]]:
        """Top ``k`` chunk ids and scores; ``allowed`` is an optional boolean mask over chunks."""
        tokens = [t for t in tokenize([query], self.config)[0] if t in self.retriever.vocab_dict]
        if not tokens:
            return [], []
        k = min(k, self.size if allowed is None else int(allowed.sum()))
        if k <= 0:
            return [], []
        mask = None if allowed is None else allowed.astype(np.float32)
        ids, scores = self.retriever.retrieve([tokens], k=k, show_progress=False, weight_mask=mask, n_threads=1)
        pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]
        return [i for i, _ in pairs], [s for _, s in pairs]
