"""What `--engine ray` costs on one machine: the seeds indexed by the local engine and by Ray Data on a
local Ray (started by the command, all of this machine's CPUs), side by side, --runs times each
(interleaved), each into a new index. Both use the same ONNX model, exported once beforehand.

    .venv/bin/python benchmarks/ray_overhead.py --runs 3

Times the whole command as a user waits for it (`wall`: Python start, reading, Ray start-up, the actors
loading their model, writing) and the indexing time the command reports (`reported`: the model load is
outside it for the local engine; Ray's start-up and the actors' model load are inside it).
Writes benchmarks/results/ray-overhead.json and prints the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from parallax.bench.retrieval import environment
from parallax.core.settings import MINILM_ID, seeds_dir
from parallax.embed.registry import get_embedder

HERE = Path(__file__).parent
CLI = "from parallax.cli.main import main; main()"


def index_once(engine: str, dest: Path) -> tuple[float, float, str]:
    argv = [sys.executable, "-c", CLI, "index", str(seeds_dir()), "--index", str(dest), "--engine", engine]
    t0 = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, env=os.environ)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(argv[3:])} failed:\n{out.stderr}")
    found = re.search(r"Embedded (\d+) chunks and (\d+) sentences in ([\d.]+) s", out.stderr)
    assert found, out.stderr
    return wall, float(found.group(3)), f"{found.group(1)} chunks, {found.group(2)} sentences"


def summary(values: list[float]) -> dict[str, object]:
    return {"median": round(statistics.median(values), 2), "runs": [round(v, 2) for v in values]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "ray-overhead.json")
    args = parser.parse_args()
    os.environ.setdefault("PARALLAX_MODEL", MINILM_ID)
    get_embedder().load()  # the ONNX export, once, before anything is timed
    wall: dict[str, list[float]] = {"local": [], "ray": []}
    reported: dict[str, list[float]] = {"local": [], "ray": []}
    embedded = ""
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for engine in ("local", "ray"):
                w, r, embedded = index_once(engine, Path(tmp) / f"{engine}-{run}")
                wall[engine].append(w)
                reported[engine].append(r)
                print(f"run {run + 1}: {engine:5} wall {w:6.1f} s, reported {r:6.1f} s", flush=True)
    import ray

    result = {
        "command": ("python benchmarks/ray_overhead.py " + " ".join(sys.argv[1:])).strip(),
        "environment": {**environment(), "ray": ray.__version__},
        "corpus": f"the seeds ({embedded})",
        "ray_cluster": f"local, started by the command: {os.cpu_count()} CPUs, no GPU",
        "wall_seconds": {k: summary(v) for k, v in wall.items()},
        "reported_seconds": {k: summary(v) for k, v in reported.items()},
        "ray_overhead_seconds": {
            "wall": round(statistics.median(wall["ray"]) - statistics.median(wall["local"]), 2),
            "reported": round(statistics.median(reported["ray"]) - statistics.median(reported["local"]), 2),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("wall_seconds", "ray_overhead_seconds")}, indent=2))


if __name__ == "__main__":
    main()
