"""Below the ANN threshold nothing changes: SciFact's figures, this code against an older checkout.

Runs SciFact's 300 test queries through the same index with this checkout's ``src`` and with
``--baseline SRC`` (the ``src`` folder of the code before issue 13), each in its own process, with
the settings ``benchmarks/scifact.py`` reports: dense on chunk vectors alone (MTEB's setting) and the
tuned hybrid (sentence weight 0.5, convex fusion alpha 0.6). It prints nDCG@10 for both and whether
the two rankings are identical (same chunks, same order, scores within 1e-6), and writes
benchmarks/results/scale-unchanged.json. The index is the SciFact index cached by ``scale.py``
(``benchmarks/results/tmp/scifact-index``): both versions read it.

    .venv/bin/python benchmarks/scale_unchanged.py --baseline /tmp/before/src
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SCIFACT = HERE.parents[1] / "shared" / "datasets" / "scifact"
SETTINGS = {"dense": (0.0, "dense"), "hybrid": (0.5, "hybrid")}

CHILD = r"""
import json, sys
from pathlib import Path
from parallax.bench.beir import load_beir
from parallax.bench.metrics import score
from parallax.bench.retrieval import _maxp
from parallax.embed.registry import get_embedder
from parallax.index.reader import Index
from parallax.search.fusion import FusionConfig
from parallax.search.searcher import Searcher

index_dir, data, out = sys.argv[1:4]
ds = load_beir(Path(data), "test")
embedder = get_embedder()
index = Index.load(Path(index_dir), model_id=embedder.model_id)
result = {}
for name, (sw, mode) in json.loads(sys.argv[4]).items():
    index.manifest.dense.update(chunk_weight=1 - sw, sentence_weight=sw)
    searcher = Searcher(index, embedder, FusionConfig("convex", alpha=0.6))
    ranked, run = {}, {}
    for qid, text in sorted(ds.queries.items()):
        hits = searcher.search(text, k=100, mode=mode).hits
        ranked[qid] = [[h.source, h.start, h.end, round(float(h.score), 6)] for h in hits]
        run[qid] = _maxp(hits)
    result[name] = {"ndcg@10": score(ds.qrels, run)["ndcg@10"], "ranked": ranked}
Path(out).write_text(json.dumps(result))
"""


def run_version(src: Path, index_dir: Path, out: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-c", CHILD, str(index_dir), str(SCIFACT), str(out), json.dumps(SETTINGS)]
    subprocess.run(cmd, env=env, check=True)
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def same(a: list[list[Any]], b: list[list[Any]]) -> bool:
    return len(a) == len(b) and all(x[:3] == y[:3] and abs(x[3] - y[3]) <= 1e-6 for x, y in zip(a, b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, required=True, help="src folder of the older checkout")
    parser.add_argument("--index", type=Path, default=HERE / "results" / "tmp" / "scifact-index")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "scale-unchanged.json")
    args = parser.parse_args()
    tmp = HERE / "results" / "tmp"
    new = run_version(HERE.parent / "src", args.index, tmp / "unchanged-new.json")
    old = run_version(args.baseline, args.index, tmp / "unchanged-old.json")
    rows = {}
    for name in SETTINGS:
        queries = old[name]["ranked"]
        identical = sum(same(old[name]["ranked"][q], new[name]["ranked"][q]) for q in queries)
        rows[name] = {"ndcg@10_before": round(old[name]["ndcg@10"], 4), "ndcg@10_after": round(new[name]["ndcg@10"], 4),
                      "queries_identical": identical, "queries": len(queries)}  # fmt: skip
        print(f"{name:7} nDCG@10 before {rows[name]['ndcg@10_before']:.4f} after {rows[name]['ndcg@10_after']:.4f} "
              f"identical rankings {identical}/{len(queries)}")  # fmt: skip
    from parallax.bench.environment import environment

    command = f"python benchmarks/scale_unchanged.py --baseline {args.baseline}"
    payload = {"command": command, "environment": environment(), "scifact": rows}
    args.out.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
