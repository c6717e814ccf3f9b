"""Dense search over an index: embed the query, ask FAISS, return ``Hit`` records with exact offsets."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .embed import Embedder
from .errors import InputError
from .index import Index

MAX_QUERY_CHARS = 10_000


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    chunk_id: int
    source: str
    title: str
    start: int
    end: int
    text: str
    clean_text: str = ""
    found_by: tuple[str, ...] = ("dense",)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "source": self.source,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


@dataclass(frozen=True)
class Latency:
    embed_ms: float
    search_ms: float
    total_ms: float

    def to_dict(self) -> dict[str, float]:
        return {"embed": round(self.embed_ms, 3), "search": round(self.search_ms, 3), "total": round(self.total_ms, 3)}


@dataclass(frozen=True)
class SearchResult:
    query: str
    k: int
    hits: list[Hit]
    latency: Latency
    mode: str = "dense"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "k": self.k,
            "latency_ms": self.latency.to_dict(),
            "results": [h.to_dict() for h in self.hits],
        }


def clean_query(query: str) -> str:
    """Strip control characters and surrounding space; refuse an empty query."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in query)
    text = " ".join(text.split())
    if not text:
        raise InputError('the query is empty; give words to search for, e.g. parallax search "liaison office in Tokyo"')
    return text


class Searcher:
    """Holds a loaded index and an embedder; answers queries."""

    def __init__(self, index: Index, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self._titles = {d.source: d.title for d in index.manifest.documents}
        t0 = time.perf_counter()
        embedder.load()
        self.load_ms = (time.perf_counter() - t0) * 1000

    def search(self, query: str, k: int = 10, sources: Sequence[str] = ()) -> SearchResult:
        t0 = time.perf_counter()
        if k < 1:
            raise InputError(f"-k must be at least 1 (got {k})")
        text = clean_query(query)
        notes = []
        if len(text) > MAX_QUERY_CHARS:
            notes.append(f"query cut to its first {MAX_QUERY_CHARS} characters")
            text = text[:MAX_QUERY_CHARS]
        qvec = self.embedder.embed([text])
        t1 = time.perf_counter()
        scores, ids = self._knn(qvec, k, self.index.resolve_sources(sources) if sources else None)
        t2 = time.perf_counter()
        hits = self._hits(ids, scores)
        t3 = time.perf_counter()
        latency = Latency((t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t0) * 1000)
        return SearchResult(query=query, k=k, hits=hits, latency=latency, notes=notes)

    def _knn(self, qvec: np.ndarray, k: int, sources: Sequence[str] | None) -> tuple[list[float], list[int]]:
        import faiss

        params = None
        if sources is not None:
            allowed = np.asarray(self.index.chunk_ids_for(sources), dtype=np.int64)
            if len(allowed) == 0:
                return [], []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))  # type: ignore[call-arg]
            k = min(k, len(allowed))
        k = min(k, len(self.index))
        if k == 0:
            return [], []
        scores, ids = self.index.faiss.search(qvec, k, params=params)
        pairs = [(float(s), int(i)) for s, i in zip(scores[0], ids[0]) if i >= 0]
        return [s for s, _ in pairs], [i for _, i in pairs]

    def _hits(
        self, ids: Sequence[int], scores: Sequence[float], found_by: Sequence[tuple[str, ...]] | None = None
    ) -> list[Hit]:
        chunks = self.index.chunks(ids)
        return [
            Hit(
                rank=rank,
                score=score,
                chunk_id=c.id,
                source=c.source,
                title=self._titles.get(c.source, c.source),
                start=c.start,
                end=c.end,
                text=c.text,
                clean_text=c.embed_text,
                found_by=found_by[rank - 1] if found_by else ("dense",),
            )
            for rank, (c, score) in enumerate(zip(chunks, scores), start=1)
        ]


def hit_dict(hit: Hit) -> dict[str, Any]:
    return asdict(hit)
