"""Start-up and query latency, side by side in one run.

Measures, on the seeds index:
- cold wall time of `parallax search` for the lean ONNX path and the sentence-transformers path
  (PARALLAX_BACKEND=torch), median of --runs each, alternating them so drift hits all alike; the
  default text output for both, and the lean path with --json as well;
- `parallax --help`, and a cold `parallax compare` (lean path);
- warm per-query latency p50/p95/p99 (embed, search, total) for each backend (float32 and int8
  ONNX, torch), in one process;
- peak memory (RSS) of a cold search for each backend;
- the model alone (onnxruntime session, no tokenising or search) by query length in word pieces,
  float32 and int8: the floor under any warm query on this machine;
- optionally int8 vs float32 quality on the seeds' labelled queries (--int8);
- optionally (--baseline SRC) the same cold commands through an older checkout's source folder, interleaved
  with this one's, both started as `python -m parallax` with PYTHONPATH set: a refactoring that must not
  slow start-up is checked side by side in one run.

Writes benchmarks/results/latency.json and prints the ratios. The package is byte-compiled first,
as `pip install` and `make install` leave it, so that no run pays for compiling Python sources.

    .venv/bin/python benchmarks/latency.py --runs 7
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
PARALLAX = str(Path(sys.executable).parent / "parallax")
QUERIES = [
    "Will Japan become a member of NATO?",
    "Which European country objects to a NATO office in Tokyo?",
    "South Korea and arms for Ukraine",
    "What did Xi Jinping say about Asian security?",
    "liaison office",
    "Paul Keating supreme fool",
    "Is an Asian NATO likely to be created?",
    "Japan defence spending 2% of GDP",
]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one child process (peak memory is measured separately, by ``rss_of``)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def rss_of(cmd: list[str], env: dict[str, str]) -> int:
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env=env, capture_output=True, text=True, check=True)
    return int(out.stderr.strip().splitlines()[-1])


def warm(backend: str, n: int) -> dict[str, dict[str, float]]:
    from parallax.api import open_index
    from parallax.bench.metrics import percentiles
    from parallax.embed.registry import get_embedder
    from parallax.search.searcher import Searcher

    searcher = Searcher(open_index(None), get_embedder(backend=backend))
    searcher.search("warm up", k=10, mode="hybrid")
    lat: dict[str, list[float]] = {"embed": [], "search": [], "total": []}
    modes = {}
    for mode in ("dense", "hybrid"):
        lat = {"embed": [], "search": [], "total": []}
        for i in range(n):
            r = searcher.search(QUERIES[i % len(QUERIES)], k=10, mode=mode)
            lat["embed"].append(r.latency.embed_ms)
            lat["search"].append(r.latency.search_ms)
            lat["total"].append(r.latency.total_ms)
        modes[mode] = {k: percentiles(v) for k, v in lat.items()}
    return modes


def batch_throughput() -> dict[str, float]:
    """Corpus embedding speed (texts per second) of each backend on the seeds' chunk texts."""
    from parallax.api import open_index
    from parallax.embed.registry import get_embedder

    texts = [c.embed_text for c in open_index(None).all_chunks()]
    out = {}
    for backend in ("onnx", "torch"):
        embedder = get_embedder(backend=backend)
        embedder.embed(texts[:8])  # load and warm up
        t0 = time.perf_counter()
        embedder.embed(texts)
        out[backend] = round(len(texts) / (time.perf_counter() - t0), 2)
    return out


def model_floor(lengths: tuple[int, ...] = (1, 2, 4, 8, 12, 16, 32), runs: int = 50) -> dict[str, dict[str, float]]:
    """Median ms of one ONNX forward pass for a query of n word pieces (plus [CLS] and [SEP])."""
    import numpy as np

    from parallax.embed.onnx import OnnxEmbedder

    out: dict[str, dict[str, float]] = {}
    for name, int8 in (("float32", False), ("int8", True)):
        emb = OnnxEmbedder(int8=int8)
        emb.load()
        out[name] = {}
        for n in lengths:
            ids = np.full((1, n + 2), 1000, dtype=np.int64)
            mask = np.ones_like(ids)
            for _ in range(5):
                emb._run(ids, mask)
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                emb._run(ids, mask)
                times.append((time.perf_counter() - t0) * 1000)
            out[name][str(n)] = round(statistics.median(times), 3)
    return out


def int8_quality() -> dict[str, dict[str, float]]:
    from parallax.bench.retrieval import bench_seeds
    from parallax.embed.onnx import OnnxEmbedder

    out = {}
    for name, emb in (("float32", OnnxEmbedder()), ("int8", OnnxEmbedder(int8=True))):
        with tempfile.TemporaryDirectory() as tmp:
            result = bench_seeds(emb, Path(tmp), modes=("dense",))
        out[name] = result.modes[0].metrics
    return out


BASELINE_COMMANDS = {
    "search": ["search", "Will Japan become a member of NATO?"],
    "json": ["search", "Will Japan become a member of NATO?", "--json"],
    "help": ["--help"],
    "compare": ["compare", "South Korea and arms for Ukraine"],
}


def baseline_cold(baseline: Path, runs: int, env: dict[str, str]) -> dict[str, Any]:
    """Cold wall seconds of each command for this checkout and ``baseline`` (a src/ folder), interleaved."""
    this = Path(__import__("parallax").__file__).resolve().parents[1]
    sources = {"this": this, "baseline": baseline.resolve()}
    for src in sources.values():
        compileall.compile_dir(str(src / "parallax"), quiet=1)
    times: dict[str, dict[str, list[float]]] = {c: {s: [] for s in sources} for c in BASELINE_COMMANDS}
    for _ in range(runs):
        for name, args in BASELINE_COMMANDS.items():
            for label, src in sources.items():
                cmd = [sys.executable, "-m", "parallax", *args]
                times[name][label].append(timed(cmd, {**env, "PYTHONPATH": str(src)}))
    out: dict[str, dict[str, Any]] = {}
    for name, by_src in times.items():
        med = {label: statistics.median(v) for label, v in by_src.items()}
        out[name] = {
            **{lab: {"median": round(med[lab], 3), "runs": [round(x, 3) for x in v]} for lab, v in by_src.items()},
            "ratio": round(med["this"] / med["baseline"], 3),
        }
    return {"baseline": str(baseline), "started_as": "python -m parallax", "commands": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warm-queries", type=int, default=200)
    parser.add_argument("--int8", action="store_true", help="also compare int8 and float32 quality on the seeds")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latency.json")
    parser.add_argument("--baseline", type=Path, help="an older checkout's src/ folder to compare cold starts with")
    args = parser.parse_args()

    import parallax

    compileall.compile_dir(str(Path(parallax.__file__).parent), quiet=1)
    env = {**os.environ}
    env.pop("PARALLAX_BACKEND", None)
    subprocess.run([PARALLAX, "search", "warm up the seeds index"], env=env, check=True, capture_output=True)
    query = ["search", "Will Japan become a member of NATO?"]
    cold: dict[str, list[float]] = {"onnx": [], "onnx_json": [], "torch": [], "help": [], "compare": []}
    for _ in range(args.runs):  # interleaved, so that machine noise hits every variant alike
        cold["onnx"].append(timed([PARALLAX, *query], {**env, "PARALLAX_BACKEND": "onnx"}))
        cold["onnx_json"].append(timed([PARALLAX, *query, "--json"], {**env, "PARALLAX_BACKEND": "onnx"}))
        cold["torch"].append(timed([PARALLAX, *query], {**env, "PARALLAX_BACKEND": "torch"}))
        cold["help"].append(timed([PARALLAX, "--help"], env))
        cold["compare"].append(timed([PARALLAX, "compare", "South Korea and arms for Ukraine"], env))
    medians = {k: statistics.median(v) for k, v in cold.items()}
    side_by_side = baseline_cold(args.baseline, args.runs, env) if args.baseline else None
    rss = {
        b: rss_of([PARALLAX, *query], {**env, "PARALLAX_BACKEND": b})
        for b in ("onnx", "torch")
        if Path("/usr/bin/time").exists()
    }
    warm_lat = {b: warm(b, args.warm_queries) for b in ("onnx", "onnx-int8", "torch")}
    batch = batch_throughput()
    floor = model_floor()
    result = {
        "command": ("python benchmarks/latency.py " + " ".join(sys.argv[1:])).strip(),
        "environment": __import__("parallax.bench.retrieval", fromlist=["environment"]).environment(),
        "cold_seconds": {
            k: {"median": round(medians[k], 3), "runs": [round(x, 3) for x in v]} for k, v in cold.items()
        },
        "cold_speedup_onnx_vs_torch": round(medians["torch"] / medians["onnx"], 2),
        "peak_rss_kib": rss,
        "warm_ms": warm_lat,
        "batch_texts_per_second": batch,
        "model_forward_ms_by_word_pieces": floor,
    }
    if side_by_side is not None:
        result["cold_seconds_vs_baseline"] = side_by_side
    if args.int8:
        result["int8_vs_float32_seeds_dense"] = int8_quality()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"cold `parallax search` median of {args.runs}: onnx {medians['onnx']:.3f} s, "
        f"torch {medians['torch']:.3f} s -> {medians['torch'] / medians['onnx']:.1f}x faster; "
        f"onnx with --json {medians['onnx_json']:.3f} s"
    )
    print(f"`parallax --help` median: {medians['help']:.3f} s")
    print(f"cold `parallax compare` median: {medians['compare']:.3f} s")
    if rss:
        print("peak RSS of a cold search: " + ", ".join(f"{b} {v / 1024:.0f} MiB" for b, v in rss.items()))
    for b, modes in warm_lat.items():
        for mode, lat in modes.items():
            print(
                f"warm {b:<9} {mode:<6} p50/p95/p99 ms: embed {lat['embed']['p50']}/{lat['embed']['p95']}/"
                f"{lat['embed']['p99']}  total {lat['total']['p50']}/{lat['total']['p95']}/{lat['total']['p99']}"
            )
    print("corpus embedding, seeds chunks, texts/s: " + ", ".join(f"{b} {v}" for b, v in batch.items()))
    for name, by_n in floor.items():
        print(f"model alone, {name}, ms by query word pieces: " + ", ".join(f"{n}: {v}" for n, v in by_n.items()))
    if side_by_side is not None:
        for name, row in side_by_side["commands"].items():
            print(
                f"cold {name:<8} this checkout {row['this']['median']:.3f} s, "
                f"baseline {row['baseline']['median']:.3f} s (ratio {row['ratio']:.3f})"
            )
    if args.int8:
        q = result["int8_vs_float32_seeds_dense"]
        print("seeds dense nDCG@10: " + ", ".join(f"{k} {v['ndcg@10']:.4f}" for k, v in q.items()))


if __name__ == "__main__":
    main()
