"""Search over an index in three modes: dense (FAISS), bm25 (bm25s) and hybrid (the two fused).

A quoted phrase in the query restricts every mode to chunks that contain it. Results are ``Hit``
records with exact offsets into the original documents; latency is measured per stage.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from parallax.core.errors import InputError
from parallax.embed.registry import Embedder
from parallax.index.reader import Index
from parallax.search.dense import dense_top
from parallax.search.fusion import FusionConfig, fuse
from parallax.search.highlight import Span, highlights
from parallax.text.query import contains_all, parse_query

MODES = ("dense", "bm25", "hybrid")
DEFAULT_MODE = "hybrid"
DEFAULT_FUSION = FusionConfig()


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
    page: int | None = None  # PDFs: the page the passage starts on
    highlight: Span | None = None  # the best sentence's [start, end) in the document, if the index has sentences

    def to_dict(self, with_found_by: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "source": self.source,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }
        if self.highlight is not None:
            out["highlight"] = list(self.highlight)
        if self.page is not None:
            out["page"] = self.page
        if with_found_by:
            out["found_by"] = list(self.found_by)
        return out


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
    mode: str = DEFAULT_MODE
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "k": self.k,
            "latency_ms": self.latency.to_dict(),
            "results": [h.to_dict(with_found_by=self.mode == "hybrid") for h in self.hits],
        }


class Searcher:
    """Holds a loaded index and an embedder; answers queries in any mode."""

    def __init__(
        self, index: Index, embedder: Embedder, fusion: FusionConfig = DEFAULT_FUSION, exact: bool = False
    ) -> None:
        self.index = index
        self.exact = exact  # score every chunk exactly, even where the index has ANN structures
        self.embedder = embedder
        self.fusion = fusion
        self._titles = {d.source: d.title for d in index.manifest.documents}
        self.load_ms = 0.0
        self._loaded = False

    def _ensure_loaded(self, mode: str) -> None:
        """Load the model (and BM25 arrays) before the clock starts: start-up is not query latency."""
        if self._loaded:
            return
        t0 = time.perf_counter()
        if mode != "bm25":
            self.embedder.load()
        if mode != "dense":
            self.index.bm25  # noqa: B018 - loads the arrays
        self.load_ms += (time.perf_counter() - t0) * 1000
        self._loaded = mode == "hybrid"

    def search(
        self,
        query: str,
        k: int = 10,
        sources: Sequence[str] = (),
        mode: str = DEFAULT_MODE,
        vector: np.ndarray | None = None,
    ) -> SearchResult:
        """The ``k`` best chunks for ``query`` (from ``sources`` only, when given). ``vector``: the query's
        embedding when the caller has it already (``compare`` searches one topic in many sources)."""
        if mode not in MODES:
            raise InputError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if k < 1:
            raise InputError(f"-k must be at least 1 (got {k})")
        parsed = parse_query(query)
        allowed = self._allowed(sources, parsed.phrases)
        self._ensure_loaded(mode)
        t0 = time.perf_counter()
        dense: dict[int, float] = {}
        lexical: dict[int, float] = {}
        depth = k if mode != "hybrid" else max(k, self.fusion.depth)
        t1 = t0
        q: np.ndarray | None = None
        if mode in ("dense", "hybrid"):
            qvec = self.embedder.embed([parsed.text]) if vector is None else np.asarray(vector)[None, :]
            t1 = time.perf_counter()
            q = qvec[0]
            dense = self._dense(qvec, depth, allowed)
        if mode in ("bm25", "hybrid"):
            lexical = self._lexical(parsed.text, depth, allowed)
        if mode == "dense":
            ranked = sorted(dense.items(), key=lambda kv: -kv[1])
        elif mode == "bm25":
            ranked = sorted(lexical.items(), key=lambda kv: -kv[1])
        else:
            ranked = fuse(dense, lexical, self.fusion)
        ranked = ranked[:k]
        found_by = [tuple(m for m, d in (("dense", dense), ("bm25", lexical)) if cid in d) for cid, _ in ranked]
        t2 = time.perf_counter()
        hits = self._hits([c for c, _ in ranked], [s for _, s in ranked], found_by, (q, parsed.text))
        t3 = time.perf_counter()
        notes = [f"query cut to its first {len(parsed.text)} characters"] if parsed.truncated else []
        latency = Latency((t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t0) * 1000)
        return SearchResult(query, k, hits, latency, mode=mode, notes=notes)

    def _allowed(self, sources: Sequence[str], phrases: tuple[str, ...]) -> np.ndarray | None:
        """Boolean mask of chunks a hit may come from, or None for all."""
        mask: np.ndarray | None = None
        if sources:
            mask = np.zeros(len(self.index), dtype=bool)
            mask[self.index.chunk_ids_for(self.index.resolve_sources(sources))] = True
        if phrases:
            texts = self.index.normalised_texts()
            phrase_mask = np.fromiter((contains_all(t, phrases) for t in texts), dtype=bool, count=len(texts))
            mask = phrase_mask if mask is None else mask & phrase_mask
        return mask

    def _dense(self, qvec: np.ndarray, k: int, allowed: np.ndarray | None) -> dict[int, float]:
        return dense_top(self.index, qvec[0], k, allowed, exact=self.exact)

    def _lexical(self, text: str, k: int, allowed: np.ndarray | None) -> dict[int, float]:
        live = self.index.live_chunks()
        if live is not None:
            allowed = live if allowed is None else allowed & live
        ids, scores = self.index.bm25.search(text, k, allowed)
        return dict(zip(ids, scores))

    def _hits(
        self,
        ids: Sequence[int],
        scores: Sequence[float],
        found_by: Sequence[tuple[str, ...]],
        query: tuple[np.ndarray | None, str],
    ) -> list[Hit]:
        """The hits, each with its best sentence for ``query`` (its vector when embedded, and its text)."""
        chunks = self.index.chunks(ids)
        spans = highlights(self.index, chunks, *query)
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
                found_by=fb,
                page=self.index.page_of(c.source, c.start),
                highlight=span,
            )
            for rank, (c, score, fb, span) in enumerate(zip(chunks, scores, found_by, spans), start=1)
        ]
