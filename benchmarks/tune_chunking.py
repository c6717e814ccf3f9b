"""Choose the chunker defaults by measurement on the seeds' labelled queries.

Builds the seeds index for each (max_tokens, overlap) pair with the real model, runs every mode and
prints nDCG@10 and Recall@10. Writes benchmarks/results/chunking-seeds.json.

    .venv/bin/python benchmarks/tune_chunking.py
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from parallax.bench import bench_seeds, environment
from parallax.chunk import ChunkerConfig
from parallax.embed import SentenceTransformerEmbedder

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="64,96,128,160,200,254")
    parser.add_argument("--overlaps", default="0,1,2")
    parser.add_argument("--out", type=Path, default=RESULTS / "chunking-seeds.json")
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    rows = []
    print(f"{'max_tokens':>10} {'overlap':>7} {'chunks':>6}  " + "  ".join(f"{m:>16}" for m in ("dense", "bm25", "hybrid")))
    print(f"{'':>10} {'':>7} {'':>6}  " + "  ".join(f"{'nDCG@10  R@10':>16}" for _ in range(3)))
    for size in [int(s) for s in args.sizes.split(",")]:
        for overlap in [int(o) for o in args.overlaps.split(",")]:
            with tempfile.TemporaryDirectory() as tmp:
                result = bench_seeds(embedder, Path(tmp), config=ChunkerConfig(size, overlap))
            cells = {m.mode: m.metrics for m in result.modes}
            rows.append({"max_tokens": size, "overlap_sentences": overlap, "chunks": result.chunks, "metrics": cells})
            print(
                f"{size:>10} {overlap:>7} {result.chunks:>6}  "
                + "  ".join(f"{cells[m]['ndcg@10']:>7.3f} {cells[m]['recall@10']:>7.3f} " for m in cells),
                flush=True,
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/tune_chunking.py " + " ".join(sys.argv[1:])
    args.out.write_text(json.dumps({"command": command.strip(), "environment": environment(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
