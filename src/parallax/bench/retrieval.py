"""Benchmarks: index a labelled data set with the project's own pipeline, run every mode, score it.

Two kinds of data set:
- BEIR layout (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``): chunk hits are turned into
  document rankings by their best chunk (MaxP), then scored against the qrels.
- The seeds' labelled queries (``benchmarks/data/seeds_queries.jsonl``): chunk hits are scored
  against labelled passages, so the figure does not depend on the chunk size.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from parallax.bench.beir import load_beir, subset, to_documents
from parallax.bench.environment import environment  # benchmarks/*.py import it from here too
from parallax.bench.labelled import LabelledQuery, load_labelled_queries, passage_qrels, passage_run
from parallax.bench.metrics import METRICS, Qrels, Run, percentiles, score, write_trec
from parallax.core.errors import InputError
from parallax.core.files import atomic_write
from parallax.core.settings import seeds_dir, seeds_queries_path
from parallax.embed.registry import Embedder
from parallax.index.bm25 import BM25Config
from parallax.index.builder import BuildOptions, build_index
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.document import Corpus
from parallax.ingest.load import load_corpus
from parallax.search.fusion import FusionConfig
from parallax.search.searcher import DEFAULT_FUSION, MODES, Searcher

Timings = dict[str, list[float]]  # stage (embed, search, total) -> milliseconds per query


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


@dataclass(frozen=True)
class RunSettings:
    """How a benchmark indexes and ranks: the chunker (None: the data set's default), BM25 and fusion."""

    config: ChunkerConfig | None = None
    bm25: BM25Config = field(default_factory=BM25Config)
    fusion: FusionConfig = DEFAULT_FUSION


@dataclass(frozen=True)
class IndexedSet:
    """A data set indexed for a benchmark, with what the build cost."""

    name: str
    split: str
    documents: int
    index: Index
    config: ChunkerConfig
    seconds: float
    chunks_per_second: float


def bench_chunker(
    embedder: Embedder, seeds: bool, max_tokens: int | None = None, overlap: int | None = None
) -> ChunkerConfig:
    """The chunker a benchmark uses: the seeds' default, or the model's whole window for a BEIR set,
    with ``max_tokens`` and ``overlap`` replacing the default's values where given."""
    base = ChunkerConfig() if seeds else ChunkerConfig(max_tokens=embedder.max_tokens, overlap_sentences=1)
    try:
        return base.with_sizes(max_tokens, overlap)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _run_modes(
    searcher: Searcher,
    queries: Sequence[tuple[str, str]],
    modes: Sequence[str],
    to_run: Callable[[str, Sequence[Any]], dict[str, float]],
    depth: int,
) -> dict[str, tuple[Run, Timings]]:
    out = {}
    for mode in modes:
        searcher.search(queries[0][1], k=1, mode=mode)  # load what the mode needs, off the clock
        run: Run = {}
        lat: Timings = {"embed": [], "search": [], "total": []}
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


def _index_set(
    name: str,
    split: str,
    corpus: Corpus,
    embedder: Embedder,
    folder: Path,
    config: ChunkerConfig,
    bm25: BM25Config,
    progress: Callable[[int, int], None] | None,
) -> IndexedSet:
    stats = build_index(corpus, embedder, folder, config=config, progress=progress, options=BuildOptions(bm25=bm25))
    index = Index.load(folder, model_id=embedder.model_id)
    cps = stats.chunks / max(stats.seconds, 1e-9)
    return IndexedSet(name, split, len(corpus), index, config, stats.seconds, cps)


def bench_beir(
    dataset_dir: Path,
    embedder: Embedder,
    work_dir: Path,
    modes: Sequence[str] = MODES,
    settings: RunSettings = RunSettings(),
    *,
    split: str = "test",
    limit_queries: int | None = None,
    sample_docs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    runs_dir: Path | None = None,
) -> BenchResult:
    """Index a BEIR data set (or a sample of it), run every mode and score document rankings (MaxP)."""
    ds = subset(load_beir(dataset_dir, split), limit_queries, sample_docs)
    config = settings.config or bench_chunker(embedder, seeds=False)
    corpus = Corpus(to_documents(ds))
    indexed = _index_set(ds.name, split, corpus, embedder, work_dir / "index", config, settings.bm25, progress)
    searcher = Searcher(indexed.index, embedder, settings.fusion)
    depth = 300  # chunks fetched per query, enough for 100 distinct documents in practice
    queries = sorted(ds.queries.items())
    runs = _run_modes(searcher, queries, modes, lambda qid, hits: _maxp(hits), depth)
    return _finish(indexed, settings, embedder.model_id, runs, ds.qrels, len(queries), runs_dir)


def bench_seeds(
    embedder: Embedder,
    work_dir: Path,
    modes: Sequence[str] = MODES,
    settings: RunSettings = RunSettings(),
    *,
    queries_path: Path | None = None,
    limit_queries: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    runs_dir: Path | None = None,
) -> BenchResult:
    """Index the seeds, run every mode on their labelled queries and score the labelled passages found."""
    corpus = load_corpus([seeds_dir()])
    labelled = load_labelled_queries(queries_path or seeds_queries_path(), {d.source: d.text for d in corpus})
    if limit_queries:
        labelled = labelled[:limit_queries]
    config = settings.config or bench_chunker(embedder, seeds=True)
    indexed = _index_set("seeds", "all", corpus, embedder, work_dir / "index", config, settings.bm25, progress)
    searcher = Searcher(indexed.index, embedder, settings.fusion)
    by_id: dict[str, LabelledQuery] = {q.id: q for q in labelled}

    def to_run(qid: str, hits: Sequence[Any]) -> dict[str, float]:
        return passage_run(by_id[qid], [(h.source, h.start, h.end) for h in hits])

    runs = _run_modes(searcher, [(q.id, q.query) for q in labelled], modes, to_run, depth=100)
    qrels = {q.id: passage_qrels(q) for q in labelled}
    return _finish(indexed, settings, embedder.model_id, runs, qrels, len(labelled), runs_dir)


def _finish(
    indexed: IndexedSet,
    settings: RunSettings,
    model: str,
    runs: dict[str, tuple[Run, Timings]],
    qrels: Qrels,
    n_queries: int,
    runs_dir: Path | None,
) -> BenchResult:
    results = []
    for mode, (run, lat) in runs.items():
        results.append(ModeResult(mode, score(qrels, run), {k: percentiles(v) for k, v in lat.items()}, n_queries))
        if runs_dir is not None:
            write_trec(run, runs_dir / f"{indexed.name}-{indexed.split}-{mode}.trec", f"parallax-{mode}")
    return BenchResult(
        dataset=indexed.name,
        split=indexed.split,
        documents=indexed.documents,
        chunks=len(indexed.index),
        queries=n_queries,
        index_seconds=round(indexed.seconds, 2),
        chunks_per_second=round(indexed.chunks_per_second, 1),
        model=model,
        chunker=indexed.config.to_dict(),
        bm25=settings.bm25.to_dict(),
        fusion=settings.fusion.to_dict(),
        modes=results,
        environment=environment(),
    )


def write_result(result: BenchResult, path: Path, command: str) -> None:
    """Save a result as JSON, with the command that produced it first."""
    data = {"command": command, **result.to_dict()}
    atomic_write(path, json.dumps(data, indent=2) + "\n")


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
