"""SciFact (BEIR): tune on the train qrels, report on test, next to the published figures.

The corpus is indexed once with the project's own pipeline (chunks of at most 254 word pieces, the
title joined to the text as MTEB does, sentence vectors, BM25). Search-time settings are then tuned
on the 809 train queries: BM25 k1/b, the sentence weight of dense scoring, and the fusion. The
chosen settings are scored once on the 300 test queries. Every mode is also scored with the
settings a plain reproduction uses (dense = chunk vectors only).

    .venv/bin/python benchmarks/scifact.py                 # full run
    .venv/bin/python benchmarks/scifact.py --sample-docs 500 --limit-queries 50   # smoke run

Writes benchmarks/results/scifact.json and TREC runs under benchmarks/results/runs/.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from itertools import product
from pathlib import Path
from typing import Any

from parallax.bench.beir import load_beir, subset, to_documents
from parallax.bench.metrics import METRICS, percentiles, score, write_trec
from parallax.bench.retrieval import _maxp, environment
from parallax.embed.minilm import SentenceTransformerEmbedder
from parallax.embed.registry import get_embedder
from parallax.index.bm25 import BM25Config, BM25Index
from parallax.index.builder import build_index
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.document import Corpus
from parallax.search.fusion import FusionConfig
from parallax.search.searcher import Searcher

HERE = Path(__file__).parent
DATA = HERE.parents[1] / "shared" / "datasets" / "scifact"
PUBLISHED = {
    "all-MiniLM-L6-v2 dense (MTEB)": 0.645,
    "BM25, BEIR paper": 0.665,
    "BM25, Pyserini flat": 0.679,
    "BM25, bm25s (MTEB baseline)": 0.687,
    "hybrid, txtai BM25 + dense": 0.713,
}


def run_queries(
    searcher: Searcher, queries: dict[str, str], mode: str
) -> tuple[dict[str, dict[str, float]], dict[str, list[float]]]:
    run, lat = {}, {"embed": [], "search": [], "total": []}
    for qid, text in sorted(queries.items()):
        result = searcher.search(text, k=300, mode=mode)
        run[qid] = _maxp(result.hits)
        lat["embed"].append(result.latency.embed_ms)
        lat["search"].append(result.latency.search_ms)
        lat["total"].append(result.latency.total_ms)
    return run, lat


def lean_report(
    index: Index,
    reference: Any,
    test: Any,
    texts: list[str],
    sw: float,
    bm25: BM25Config,
    fusion: FusionConfig,
) -> dict[str, Any]:
    import numpy as np

    from parallax.embed.onnx import OnnxEmbedder

    rows: list[dict[str, Any]] = []
    for name, enc in (
        ("sentence-transformers", reference),
        ("onnx float32", OnnxEmbedder()),
        ("onnx int8", OnnxEmbedder(int8=True)),
    ):
        enc.load()
        for q in list(test.queries.values())[:5]:  # warm up
            enc.embed([q])
        t = []
        for q in test.queries.values():
            t0 = time.perf_counter()
            enc.embed([q])
            t.append((time.perf_counter() - t0) * 1000)
        index.manifest.dense.update(chunk_weight=1.0, sentence_weight=0.0)
        dense = score(test.qrels, run_queries(Searcher(index, enc), test.queries, "dense")[0])["ndcg@10"]
        index.manifest.dense.update(chunk_weight=1 - sw, sentence_weight=sw)
        hybrid = score(test.qrels, run_queries(Searcher(index, enc, fusion), test.queries, "hybrid")[0])["ndcg@10"]
        p50 = percentiles(t)["p50"]
        rows.append({"encoder": name, "dense_ndcg@10": dense, "hybrid_ndcg@10": hybrid, "embed_p50_ms": p50})
    for row in rows:
        row["dense_delta"] = row["dense_ndcg@10"] - rows[0]["dense_ndcg@10"]
        row["hybrid_delta"] = row["hybrid_ndcg@10"] - rows[0]["hybrid_ndcg@10"]
    rng = np.random.default_rng(0)
    pick = sorted(rng.choice(len(texts), size=min(300, len(texts)), replace=False).tolist())
    mine = OnnxEmbedder().embed([texts[i] for i in pick])
    theirs = SentenceTransformerEmbedder().embed([texts[i] for i in pick])
    cos = (mine * theirs).sum(axis=1)
    return {
        "encoders": rows,
        "corpus_vectors_onnx_vs_reference": {"n": len(pick), "min": float(cos.min()), "mean": float(cos.mean())},
    }


def lean_only(args: Any, index: Index, embedder: Any, test: Any, texts: list[str]) -> None:
    """The lean query path check alone, on a kept index, with the settings an earlier full run chose."""
    chosen = json.loads(args.lean_only.read_text(encoding="utf-8"))["chosen"]
    bm25 = BM25Config(**{k: v for k, v in chosen["bm25"].items() if k in BM25Config.__dataclass_fields__})
    fusion = FusionConfig(
        **{k: v for k, v in chosen["fusion"].items() if k in FusionConfig.__dataclass_fields__}  # type: ignore[arg-type]
    )
    index._bm25 = BM25Index.build(texts, bm25)
    lean = lean_report(index, SentenceTransformerEmbedder(), test, texts, chosen["sentence_weight"], bm25, fusion)
    result = {
        "command": ("python benchmarks/scifact.py " + " ".join(sys.argv[1:])).strip(),
        "environment": environment(),
        "chosen": chosen,
        "lean_query_path": lean,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print_lean(lean)


def print_lean(lean: dict[str, Any]) -> None:
    print("\nquery encoder on the same index (test nDCG@10, dense chunk vectors / tuned hybrid; embed p50 ms):")
    for row in lean["encoders"]:
        print(
            f"  {row['encoder']:<22} {row['dense_ndcg@10']:.4f} / {row['hybrid_ndcg@10']:.4f}"
            f"   delta vs reference {row['dense_delta']:+.4f} / {row['hybrid_delta']:+.4f}"
            f"   embed p50 {row['embed_p50_ms']:.2f} ms"
        )
    cos = lean["corpus_vectors_onnx_vs_reference"]
    print(f"  ONNX corpus vectors vs reference, {cos['n']} chunks: cosine min {cos['min']:.5f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sample-docs", type=int)
    parser.add_argument("--limit-queries", type=int)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "scifact.json")
    parser.add_argument("--index-dir", type=Path, help="reuse or keep the built index here")
    parser.add_argument(
        "--embedder", choices=("onnx", "torch"), default="onnx", help="corpus and query encoder (default: onnx)"
    )
    parser.add_argument(
        "--lean-only",
        type=Path,
        metavar="RESULTS",
        help="only re-check the lean query path on the index in --index-dir, with the settings chosen in "
        "RESULTS (an earlier scifact.json); writes --out",
    )
    args = parser.parse_args()
    if args.lean_only and not (args.index_dir and (args.index_dir / "manifest.json").exists()):
        parser.error("--lean-only needs --index-dir with a built SciFact index")

    train = subset(load_beir(args.data, "train"), args.limit_queries, None)
    test = subset(load_beir(args.data, "test"), args.limit_queries, args.sample_docs)
    if args.sample_docs:
        train.corpus = test.corpus
        train.qrels = {q: {d: r for d, r in docs.items() if d in test.corpus} for q, docs in train.qrels.items()}
    # The corpus is embedded as `parallax index` embeds it: the project's default encoder (ONNX) unless
    # --embedder torch asks for the sentence-transformers reference (the runs before issue 15 used it).
    embedder = get_embedder() if args.embedder == "onnx" else SentenceTransformerEmbedder()
    config = ChunkerConfig(max_tokens=embedder.max_tokens, overlap_sentences=1)
    tmp = tempfile.TemporaryDirectory()
    folder = args.index_dir or Path(tmp.name) / "scifact"
    t0 = time.perf_counter()
    if not (folder / "manifest.json").exists():
        stats = build_index(Corpus(to_documents(test)), embedder, folder, config=config)
        build = {
            "seconds": round(stats.seconds, 1),
            "chunks": stats.chunks,
            "sentences": stats.sentences,
            "vectors_per_second": round((stats.chunks + stats.sentences) / stats.embed_seconds, 1),
        }
    else:
        build = {"seconds": None, "reused": str(folder)}
    index = Index.load(folder, model_id=embedder.model_id)
    print(
        f"index: {len(index)} chunks, {index.manifest.sentence_count} sentences, built in "
        f"{time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    texts = [c.embed_text for c in index.all_chunks()]
    if args.lean_only:
        lean_only(args, index, embedder, test, texts)
        return

    def evaluate(
        ds: Any, mode: str, sw: float, bm25: BM25Config, fusion: FusionConfig
    ) -> tuple[dict[str, float], Any, Any]:
        index.manifest.dense.update(chunk_weight=1 - sw, sentence_weight=sw)
        if mode != "dense" and (index._bm25 is None or index._bm25.config != bm25):
            index._bm25 = BM25Index.build(texts, bm25)
        run, lat = run_queries(Searcher(index, embedder, fusion), ds.queries, mode)
        return score(ds.qrels, run), run, lat

    # 1. Tune on train.
    tuning: list[dict[str, Any]] = []
    best_bm25, best = BM25Config(), -1.0
    for k1, b in product((0.9, 1.2, 1.5), (0.4, 0.75)):
        cfg = BM25Config(k1=k1, b=b)
        m, _, _ = evaluate(train, "bm25", 0.0, cfg, FusionConfig())
        tuning.append({"mode": "bm25", "k1": k1, "b": b, "ndcg@10": m["ndcg@10"]})
        print(f"train bm25 k1={k1} b={b}: nDCG@10 {m['ndcg@10']:.4f}", flush=True)
        if m["ndcg@10"] > best:
            best_bm25, best = cfg, m["ndcg@10"]
    best_sw, best = 0.0, -1.0
    for sw in (0.0, 0.3, 0.5, 0.7):
        m, _, _ = evaluate(train, "dense", sw, best_bm25, FusionConfig())
        tuning.append({"mode": "dense", "sentence_weight": sw, "ndcg@10": m["ndcg@10"]})
        print(f"train dense sentence_weight={sw}: nDCG@10 {m['ndcg@10']:.4f}", flush=True)
        if m["ndcg@10"] > best:
            best_sw, best = sw, m["ndcg@10"]
    fusions = [FusionConfig("convex", alpha=a) for a in (0.3, 0.4, 0.5, 0.6, 0.7)] + [FusionConfig("rrf", rrf_k=60)]
    best_fusion, best = FusionConfig(), -1.0
    for fusion in fusions:
        m, _, _ = evaluate(train, "hybrid", best_sw, best_bm25, fusion)
        tuning.append({"mode": "hybrid", **fusion.to_dict(), "ndcg@10": m["ndcg@10"]})
        print(f"train hybrid {fusion.to_dict()}: nDCG@10 {m['ndcg@10']:.4f}", flush=True)
        if m["ndcg@10"] > best:
            best_fusion, best = fusion, m["ndcg@10"]

    # 2. Report on test: the tuned settings, and the plain reproduction settings.
    runs_dir = args.out.parent / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    report = []
    settings = [
        ("dense (chunk vectors, as MTEB)", "dense", 0.0, best_bm25, best_fusion),
        ("dense (tuned sentence weight)", "dense", best_sw, best_bm25, best_fusion),
        ("bm25 (tuned k1, b)", "bm25", best_sw, best_bm25, best_fusion),
        ("bm25 (bm25s defaults k1=1.5 b=0.75)", "bm25", best_sw, BM25Config(k1=1.5, b=0.75), best_fusion),
        ("hybrid (tuned)", "hybrid", best_sw, best_bm25, best_fusion),
    ]
    for label, mode, sw, bm25, fusion in settings:
        m, run, lat = evaluate(test, mode, sw, bm25, fusion)
        write_trec(run, runs_dir / f"scifact-test-{label.split(' (')[0]}-{len(report)}.trec", f"parallax-{mode}")
        report.append(
            {
                "setting": label,
                "mode": mode,
                "sentence_weight": sw,
                "bm25": bm25.to_dict(),
                "fusion": fusion.to_dict(),
                "metrics": m,
                "latency_ms": {k: percentiles(v) for k, v in lat.items()},
            }
        )

    # 3. The lean query path (issue 5): the same index, queries through ONNX float32 and int8 against
    # the sentence-transformers reference; and ONNX corpus vectors against the stored reference ones.
    lean = lean_report(index, SentenceTransformerEmbedder(), test, texts, best_sw, best_bm25, best_fusion)

    result = {
        "command": ("python benchmarks/scifact.py " + " ".join(sys.argv[1:])).strip(),
        "environment": environment(),
        "data": {"documents": len(test.corpus), "test_queries": len(test.queries), "train_queries": len(train.queries)},
        "index": {**build, "chunker": config.to_dict()},
        "chosen": {"bm25": best_bm25.to_dict(), "sentence_weight": best_sw, "fusion": best_fusion.to_dict()},
        "tuning_on_train": tuning,
        "test": report,
        "lean_query_path": lean,
        "published_ndcg@10": PUBLISHED,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nSciFact test ({len(test.queries)} queries, {len(test.corpus)} documents)")
    print(f"{'setting':<38}" + "".join(f"{m:>11}" for m in METRICS) + f"{'total p50 ms':>14}")
    for row in report:
        print(
            f"{row['setting']:<38}"
            + "".join(f"{row['metrics'][m]:>11.3f}" for m in METRICS)
            + f"{row['latency_ms']['total']['p50']:>14.1f}"
        )
    print_lean(lean)


if __name__ == "__main__":
    main()
