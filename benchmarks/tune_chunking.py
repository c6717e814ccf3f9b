"""Choose the chunker and dense-scoring defaults by measurement on the seeds' labelled queries.

For each (max_tokens, overlap) it builds the seeds index once with the real model, then for each
sentence weight (the share of a chunk's dense score that comes from its best sentence) and each
fusion setting runs every mode. Prints nDCG@10 and Recall@10; writes benchmarks/results/tuning-seeds.json.

    .venv/bin/python benchmarks/tune_chunking.py
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from parallax.bench.labelled import load_labelled_queries, passage_qrels, passage_run
from parallax.bench.metrics import score
from parallax.bench.retrieval import environment
from parallax.core.settings import seeds_dir, seeds_queries_path
from parallax.embed.registry import get_embedder
from parallax.index.builder import build_index
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus
from parallax.search.fusion import FusionConfig
from parallax.search.searcher import Searcher

RESULTS = Path(__file__).parent / "results"


def floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="96,128,192,254")
    parser.add_argument("--overlaps", default="0,1")
    parser.add_argument("--sentence-weights", default="0,0.5,0.7,0.85")
    parser.add_argument("--alphas", default="0.3,0.5,0.7,0.8,0.9", help="convex fusion: weight of the dense scores")
    parser.add_argument("--rrf-k", default="60")
    parser.add_argument("--out", type=Path, default=RESULTS / "tuning-seeds.json")
    args = parser.parse_args()
    embedder = get_embedder()
    corpus = load_corpus([seeds_dir()])
    labelled = load_labelled_queries(seeds_queries_path(), {d.source: d.text for d in corpus})
    qrels = {q.id: passage_qrels(q) for q in labelled}
    fusions = [("convex", FusionConfig("convex", alpha=a)) for a in floats(args.alphas)]
    fusions += [("rrf", FusionConfig("rrf", rrf_k=int(k))) for k in args.rrf_k.split(",")]
    rows = []
    print(f"{'tokens':>6} {'ovl':>3} {'sw':>5} {'mode':<22} {'nDCG@10':>8} {'R@10':>6} {'MRR@10':>7}")
    for size in [int(s) for s in args.sizes.split(",")]:
        for overlap in [int(o) for o in args.overlaps.split(",")]:
            with tempfile.TemporaryDirectory() as tmp:
                build_index(corpus, embedder, Path(tmp) / "i", ChunkerConfig(size, overlap))
                index = Index.load(Path(tmp) / "i")
                for sw in floats(args.sentence_weights):
                    index.manifest.dense.update(chunk_weight=1 - sw, sentence_weight=sw)
                    settings = (
                        [("dense", "dense", None), ("bm25", "bm25", None)] if sw == 0 else [("dense", "dense", None)]
                    )
                    settings += [
                        (f"hybrid {n} {f.alpha if n == 'convex' else f.rrf_k}", "hybrid", f) for n, f in fusions
                    ]
                    for label, mode, fusion in settings:
                        searcher = Searcher(index, embedder, fusion or FusionConfig())
                        run = {
                            q.id: passage_run(
                                q, [(h.source, h.start, h.end) for h in searcher.search(q.query, 100, mode=mode).hits]
                            )
                            for q in labelled
                        }
                        m = score(qrels, run)
                        rows.append(
                            {
                                "max_tokens": size,
                                "overlap": overlap,
                                "sentence_weight": sw,
                                "setting": label,
                                "chunks": len(index),
                                "metrics": m,
                            }
                        )
                        print(
                            f"{size:>6} {overlap:>3} {sw:>5} {label:<22} {m['ndcg@10']:>8.3f} {m['recall@10']:>6.3f} "
                            f"{m['mrr@10']:>7.3f}",
                            flush=True,
                        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    command = ("python benchmarks/tune_chunking.py " + " ".join(sys.argv[1:])).strip()
    best = max(rows, key=lambda r: r["metrics"]["ndcg@10"])
    args.out.write_text(
        json.dumps({"command": command, "environment": environment(), "best": best, "rows": rows}, indent=2)
    )
    print("best:", best)


if __name__ == "__main__":
    main()
