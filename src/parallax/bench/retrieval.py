"""Benchmarks: index a labelled data set with the project's own pipeline, run every mode, score it.

Two kinds of data set:
- BEIR layout (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``): chunk hits are turned into
  document rankings by their best chunk (MaxP), then scored against the qrels.
- The seeds' labelled queries (``benchmarks/data/seeds_queries.jsonl``): chunk hits are scored
  against labelled passages, so the figure does not depend on the chunk size.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from parallax import __version__
from parallax.bench.beir import BeirDataset, load_beir, subset, to_documents
from parallax.bench.evaluate import (
    METRICS,
    LabelledQuery,
    Run,
    load_labelled_queries,
    passage_qrels,
    passage_run,
    percentiles,
    score,
    write_trec,
)
from parallax.core.settings import seeds_dir, seeds_queries_path
from parallax.embed.registry import Embedder
from parallax.index.bm25 import BM25Config
from parallax.index.core import Index, build_index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.corpus import Corpus, load_corpus
from parallax.search.fusion import FusionConfig
from parallax.search.searcher import DEFAULT_FUSION, MODES, Searcher

SEEDS_QUERIES = "seeds_queries.jsonl"


@dataclass
class ModeResult:
    mode: str
    metrics: dict[str, float]
    latency_ms: dict[str, dict[str, float]]  # stage -> p50/p95/p99
    queries: int


@dataclass
class BenchResult:
    dataset: str
    split: str
    documents: int
    chunks: int
    queries: int
    index_seconds: float
    chunks_per_second: float
    model: str
    chunker: dict[str, Any]
    bm25: dict[str, Any]
    fusion: dict[str, Any]
    modes: list[ModeResult]
    environment: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def best_mode(self, metric: str = "ndcg@10") -> str:
        return max(self.modes, key=lambda m: m.metrics[metric]).mode


def environment() -> dict[str, Any]:
    threads = None
    try:
        import torch

        threads = torch.get_num_threads()
    except ImportError:
        pass
    return {
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": threads,
        "python": platform.python_version(),
        "parallax": __version__,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


Ranker = Callable[[Searcher, str, str], tuple[dict[str, float], Any]]


def _run_modes(
    searcher: Searcher,
    queries: Sequence[tuple[str, str]],
    modes: Sequence[str],
    to_run: Callable[[str, Sequence[Any]], dict[str, float]],
    depth: int,
) -> dict[str, tuple[Run, dict[str, list[float]]]]:
    out = {}
    for mode in modes:
        searcher.search(queries[0][1], k=1, mode=mode)  # load what the mode needs, off the clock
        run: Run = {}
        lat: dict[str, list[float]] = {"embed": [], "search": [], "total": []}
        for qid, text in queries:
            result = searcher.search(text, k=depth, mode=mode)
            run[qid] = to_run(qid, result.hits)
            lat["embed"].append(result.latency.embed_ms)
            lat["search"].append(result.latency.search_ms)
            lat["total"].append(result.latency.total_ms)
        out[mode] = (run, lat)
    return out


def _maxp(hits: Sequence[Any], limit: int = 100) -> dict[str, float]:
    """Document scores from chunk hits: each document takes its best chunk's score (MaxP)."""
    docs: dict[str, float] = {}
    for h in hits:
        if h.source not in docs:
            docs[h.source] = float(h.score)
            if len(docs) >= limit:
                break
    return docs


def _index_for(
    corpus: Corpus, embedder: Embedder, folder: Path, config: ChunkerConfig, bm25: BM25Config, progress: Any
) -> tuple[Index, float, float]:
    stats = build_index(corpus, embedder, folder, config=config, progress=progress, bm25_config=bm25)
    return Index.load(folder, model_id=embedder.model_id), stats.seconds, stats.chunks / max(stats.seconds, 1e-9)


def bench_beir(
    dataset_dir: Path,
    embedder: Embedder,
    work_dir: Path,
    modes: Sequence[str] = MODES,
    split: str = "test",
    limit_queries: int | None = None,
    sample_docs: int | None = None,
    config: ChunkerConfig | None = None,
    bm25: BM25Config | None = None,
    fusion: FusionConfig = DEFAULT_FUSION,
    progress: Any = None,
    runs_dir: Path | None = None,
) -> BenchResult:
    ds: BeirDataset = subset(load_beir(dataset_dir, split), limit_queries, sample_docs)
    config = config or ChunkerConfig(max_tokens=embedder.max_tokens, overlap_sentences=1)
    bm25 = bm25 or BM25Config()
    index, seconds, cps = _index_for(Corpus(to_documents(ds)), embedder, work_dir / "index", config, bm25, progress)
    searcher = Searcher(index, embedder, fusion)
    depth = 300  # chunks fetched per query, enough for 100 distinct documents in practice
    queries = sorted(ds.queries.items())
    runs = _run_modes(searcher, queries, modes, lambda qid, hits: _maxp(hits), depth)
    return _finish(
        ds.name,
        split,
        len(ds.corpus),
        index,
        len(queries),
        seconds,
        cps,
        embedder,
        config,
        bm25,
        fusion,
        runs,
        ds.qrels,
        runs_dir,
    )


def bench_seeds(
    embedder: Embedder,
    work_dir: Path,
    modes: Sequence[str] = MODES,
    queries_path: Path | None = None,
    config: ChunkerConfig | None = None,
    bm25: BM25Config | None = None,
    fusion: FusionConfig = DEFAULT_FUSION,
    limit_queries: int | None = None,
    progress: Any = None,
    runs_dir: Path | None = None,
) -> BenchResult:
    corpus = load_corpus([seeds_dir()])
    labelled = load_labelled_queries(queries_path or seeds_queries_path(), {d.source: d.text for d in corpus})
    if limit_queries:
        labelled = labelled[:limit_queries]
    config = config or ChunkerConfig()
    bm25 = bm25 or BM25Config()
    index, seconds, cps = _index_for(corpus, embedder, work_dir / "index", config, bm25, progress)
    searcher = Searcher(index, embedder, fusion)
    by_id: dict[str, LabelledQuery] = {q.id: q for q in labelled}

    def to_run(qid: str, hits: Sequence[Any]) -> dict[str, float]:
        return passage_run(by_id[qid], [(h.source, h.start, h.end) for h in hits])

    runs = _run_modes(searcher, [(q.id, q.query) for q in labelled], modes, to_run, depth=100)
    qrels = {q.id: passage_qrels(q) for q in labelled}
    return _finish(
        "seeds",
        "all",
        len(corpus),
        index,
        len(labelled),
        seconds,
        cps,
        embedder,
        config,
        bm25,
        fusion,
        runs,
        qrels,
        runs_dir,
    )


def _finish(
    name: str,
    split: str,
    documents: int,
    index: Index,
    n_queries: int,
    seconds: float,
    cps: float,
    embedder: Embedder,
    config: ChunkerConfig,
    bm25: BM25Config,
    fusion: FusionConfig,
    runs: dict[str, tuple[Run, dict[str, list[float]]]],
    qrels: dict[str, dict[str, int]],
    runs_dir: Path | None,
) -> BenchResult:
    results = []
    for mode, (run, lat) in runs.items():
        results.append(ModeResult(mode, score(qrels, run), {k: percentiles(v) for k, v in lat.items()}, n_queries))
        if runs_dir is not None:
            runs_dir.mkdir(parents=True, exist_ok=True)
            write_trec(run, runs_dir / f"{name}-{split}-{mode}.trec", f"parallax-{mode}")
    return BenchResult(
        dataset=name,
        split=split,
        documents=documents,
        chunks=len(index),
        queries=n_queries,
        index_seconds=round(seconds, 2),
        chunks_per_second=round(cps, 1),
        model=embedder.model_id,
        chunker=config.to_dict(),
        bm25=bm25.to_dict(),
        fusion=fusion.to_dict(),
        modes=results,
        environment=environment(),
    )


def write_result(result: BenchResult, path: Path, command: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"command": command, **result.to_dict()}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


QUALITY_HEADER = ["mode", *METRICS]
LATENCY_HEADER = [
    "mode",
    "embed p50",
    "embed p95",
    "embed p99",
    "search p50",
    "search p95",
    "search p99",
    "total p50",
    "total p95",
    "total p99",
]


def quality_rows(result: BenchResult) -> list[list[str]]:
    return [[m.mode] + [f"{m.metrics[k]:.3f}" for k in METRICS] for m in result.modes]


def latency_rows(result: BenchResult) -> list[list[str]]:
    return [
        [m.mode]
        + [f"{m.latency_ms[stage][p]:.1f}" for stage in ("embed", "search", "total") for p in ("p50", "p95", "p99")]
        for m in result.modes
    ]
