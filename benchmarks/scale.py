"""Vector search at scale: exact flat search against FAISS HNSW and IVF, side by side in one run.

Part 1 ("vectors"), at each of --sizes passages (default 10k, 100k, 1M), for flat (numpy matrix
product), HNSW (SQ8 or flat codes, M 16/32, several efSearch) and IVF (SQ8 or flat codes, nlist about
4*sqrt(n), several nprobe), all through ``parallax.index.ann``:
- build seconds and bytes on disk;
- warm p50/p99 latency of one query at a time: the structure's candidates, re-scored exactly from the
  float32 matrix (gather rows, dot, top 10);
- recall@10 of that top 10 against the exact top 10;
- cold: a fresh process maps the written file and the matrix (their pages dropped from the page cache
  first) and answers one query: seconds and peak RSS.

Vectors: SciFact's real MiniLM chunk and sentence vectors pooled (10k is a real subset); larger sizes
add vectors generated around real ones (noise sigma chosen so nearest-neighbour similarities look like
the real data's, reported under "similarity"). Queries: SciFact's 1109 queries, embedded once.
Everything is cached under --cache. Writes benchmarks/results/scale.json.

    PYTHONPATH=src .venv/bin/python benchmarks/scale.py --cache benchmarks/results/tmp
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import scale_vectors as sv

from parallax.bench.environment import environment
from parallax.index import ann

REPO = Path(__file__).resolve().parent.parent
THREADS = 2
K = 10
HNSW_EF = (16, 32, 64, 128, 256, 512)
IVF_NPROBE = (8, 16, 32, 64, 128, 256)
CURVE = (10_000, 25_000, 50_000, 75_000, 100_000, 150_000, 200_000, 300_000, 500_000, 1_000_000)
FULL_GRID_UPTO = 200_000  # above: only HNSW-SQ8 M32 and IVF-SQ8 (build time on 2 cores)
COLD = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from parallax.index import ann
kind, path, matrix, query, params = sys.argv[1:6]
m = np.load(matrix, mmap_mode="r")
q = np.load(query)
t1 = time.perf_counter()
if kind == "flat":
    s = m @ q
    top = np.argpartition(-s, 10)[:10]
else:
    spec = ann.AnnSpec(kind, json.loads(params))
    searcher = ann.AnnSearcher.load(path, spec)
    ids, _ = searcher.search(q, searcher.candidates)
    top, _ = ann.rescore(m, q, ids[0], 10)
t2 = time.perf_counter()
print(json.dumps({"start_s": t1 - t0, "load_query_s": t2 - t1}))
"""


def configs(n: int) -> list[dict[str, Any]]:
    """Every structure tried at ``n`` vectors, with the search settings tried on each."""
    nlist = max(16, 2 ** round(math.log2(4 * math.sqrt(n))))
    hnsw = [
        {"name": f"hnsw-{codes}-M{m}", "spec": ann.AnnSpec("hnsw", {"M": m, "ef_construction": 40, "codes": codes})}
        for codes, m in (("sq8", 16), ("sq8", 32), ("flat", 32))
        if (codes, m) == ("sq8", 32) or n <= FULL_GRID_UPTO
    ]
    for c in hnsw:
        c["search"] = [{"ef_search": max(ef, 2 * K), "candidates": max(ef, 2 * K)} for ef in HNSW_EF]
    codes = ("sq8", "flat") if n <= FULL_GRID_UPTO else ("sq8",)
    ivf = [{"name": f"ivf-{c}", "spec": ann.AnnSpec("ivf", {"nlist": nlist, "codes": c})} for c in codes]
    for c in ivf:
        c["search"] = [{"nprobe": p, "candidates": 100} for p in IVF_NPROBE if p <= nlist]
    return [{"name": "flat", "spec": ann.AnnSpec("flat"), "search": [{}]}, *hnsw, *ivf]


def percentiles(times: list[float]) -> dict[str, float]:
    a = np.asarray(times) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 3), "p99_ms": round(float(np.percentile(a, 99)), 3)}


def recall(found: list[np.ndarray], truth: np.ndarray) -> float:
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / K for f, t in zip(found, truth)]))


def time_flat(m: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    for q in queries[:5]:
        _ = m @ q
    times, found = [], []
    for q in queries:
        t0 = time.perf_counter()
        s = m @ q
        part = np.argpartition(-s, K)[:K]
        top = part[np.argsort(-s[part])]
        times.append(time.perf_counter() - t0)
        found.append(top)
    out = {**percentiles(times), "recall_at_10": round(recall(found, truth[: len(queries)]), 4)}
    return {**out, "queries": len(queries)}


def time_ann(m: np.ndarray, searcher: ann.AnnSearcher, queries: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    cand = searcher.candidates
    for q in queries[:20]:
        searcher.search(q, cand)
    times, found, search_times = [], [], []
    for q in queries:
        t0 = time.perf_counter()
        ids, _ = searcher.search(q, cand)
        t1 = time.perf_counter()
        top, _ = ann.rescore(m, q, ids[0], K)
        times.append(time.perf_counter() - t0)
        search_times.append(t1 - t0)
        found.append(top)
    out = {**percentiles(times), "recall_at_10": round(recall(found, truth), 4), "queries": len(queries)}
    out["faiss_p50_ms"] = percentiles(search_times)["p50_ms"]
    return out


def flat_curve(path: Path, queries: np.ndarray, upto: int) -> dict[str, Any]:
    """Warm flat-search p50/p99 on prefixes of the largest matrix, to place the flat threshold."""
    big = np.load(path, mmap_mode="r")
    out = {}
    for n in CURVE:
        if n > min(upto, len(big)):
            break
        m = np.ascontiguousarray(big[:n])
        for q in queries[:5]:
            _ = m @ q
        times = []
        for q in queries[:50]:
            t0 = time.perf_counter()
            s = m @ q
            part = np.argpartition(-s, K)[:K]
            _ = part[np.argsort(-s[part])]
            times.append(time.perf_counter() - t0)
        out[str(n)] = percentiles(times)
        print(f"flat {n:>8}: p50 {out[str(n)]['p50_ms']:.3f} ms", file=sys.stderr)
    return out


def drop_cache(*paths: Path) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def cold(kind: str, path: Path, matrix: Path, query: Path, params: dict[str, Any]) -> dict[str, Any]:
    """One fresh process maps the files (dropped from the page cache first) and answers one query."""
    drop_cache(matrix, *([path] if kind != "flat" else []))
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": str(THREADS)}
    cmd = [sys.executable, "-c", COLD, kind, str(path), str(matrix), str(query), json.dumps(params)]
    # /usr/bin/time: a small parent, so the peak is the child's own (ru_maxrss survives fork and exec)
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env=env, capture_output=True, text=True, check=True)
    result = {k: round(v, 4) for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}
    return {**result, "peak_rss_mb": round(int(out.stderr.strip().splitlines()[-1]) / 1024, 1)}


def predicted_build(history: dict[str, tuple[int, float]], name: str, n: int) -> float | None:
    """Build seconds at ``n`` from the last measured size, as n log n (HNSW) or n (IVF) scale."""
    if name not in history:
        return None
    n0, s0 = history[name]
    factor = n / n0 * (math.log(n) / math.log(n0) if name.startswith("hnsw") else 1.0)
    return s0 * factor


def run_structure(cfg: dict[str, Any], m: np.ndarray, ctx: dict[str, Any]) -> dict[str, Any]:
    """Build, write, load and time one structure at every search setting; then one cold query."""
    spec: ann.AnnSpec = cfg["spec"]
    n = len(m)
    if spec.kind == "flat":
        return {
            "build_s": 0.0,
            "bytes": int(m.nbytes),
            "settings": [time_flat(m, ctx["queries"][: ctx["flat_queries"]], ctx["truth"])],
            "cold": cold("flat", ctx["matrix_path"], ctx["matrix_path"], ctx["query_path"], {}),
        }
    guess = predicted_build(ctx["history"], cfg["name"], n)
    if guess is not None and guess > ctx["max_build"]:
        why = f"predicted build {guess:.0f} s > --max-build {ctx['max_build']:.0f} s"
        return {"skipped": why, "predicted_build_s": round(guess)}
    t0 = time.perf_counter()
    index = ann.build(m, spec)
    build_s = time.perf_counter() - t0
    ctx["history"][cfg["name"]] = (n, build_s)
    path = ctx["workdir"] / f"{cfg['name']}-{n}.faiss"
    ann.write(index, path)
    del index
    settings = []
    for s in cfg["search"]:
        searcher = ann.AnnSearcher.load(path, ann.AnnSpec(spec.kind, {**spec.params, **s}))
        settings.append({**s, **time_ann(m, searcher, ctx["queries"], ctx["truth"])})
        del searcher
    best = pick(settings)
    out = {"build_s": round(build_s, 2), "bytes": path.stat().st_size, "settings": settings}
    out["cold"] = cold(spec.kind, path, ctx["matrix_path"], ctx["query_path"], {**spec.params, **best})
    path.unlink()
    return out


def pick(settings: list[dict[str, Any]], target: float = 0.95) -> dict[str, Any]:
    """The cheapest setting reaching ``target`` recall (the most accurate one when none does)."""
    ok = [s for s in settings if s["recall_at_10"] >= target]
    best = min(ok, key=lambda s: s["p50_ms"]) if ok else max(settings, key=lambda s: s["recall_at_10"])
    return {k: v for k, v in best.items() if k in ("ef_search", "nprobe", "candidates")}


def run_size(n: int, real: np.ndarray, gen: np.ndarray | None, ctx: dict[str, Any]) -> dict[str, Any]:
    m, origin = sv.matrix_for(n, real, gen)
    ctx["matrix_path"] = ctx["cache"] / f"scale-matrix-{n}.npy"
    if not ctx["matrix_path"].exists():
        np.save(ctx["matrix_path"], m)
    t0 = time.perf_counter()
    truth, truth_s = sv.topk_scores(m, ctx["queries"], K)
    print(f"{n}: {origin}; exact truth in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    ctx["truth"] = truth
    result: dict[str, Any] = {"vectors": origin, "load_average_before": os.getloadavg()[0], "structures": {}}
    if n > len(real):
        probes = np.random.default_rng(3).choice(np.arange(len(real), n), 1000, replace=False)
        result["similarity_generated"] = sv.similarity(m, ctx["queries"], np.sort(probes), truth_s)
    for cfg in configs(n):
        if ctx["only"] and not any(cfg["name"].startswith(o) for o in ctx["only"]):
            continue
        t0 = time.perf_counter()
        r = run_structure(cfg, m, ctx)
        result["structures"][cfg["name"]] = {"params": cfg["spec"].params, **r}
        print(f"  {cfg['name']}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        print_rows(n, cfg["name"], r)
    result["load_average_after"] = os.getloadavg()[0]  # other work on the machine inflates latencies
    return result


def print_rows(n: int, name: str, r: dict[str, Any]) -> None:
    if "skipped" in r:
        print(f"{n:>8} {name:<16} skipped: {r['skipped']}")
        return
    for s in r["settings"]:
        knob = ",".join(f"{k}={s[k]}" for k in ("ef_search", "nprobe", "candidates") if k in s) or "-"
        print(
            f"{n:>8} {name:<16} {knob:<26} build {r['build_s']:>7.1f} s {r['bytes'] / 2**20:>8.1f} MiB "
            f"p50 {s['p50_ms']:>7.3f} p99 {s['p99_ms']:>7.3f} ms recall {s['recall_at_10']:.4f} "
            f"cold {r['cold']['load_query_s']:.3f} s {r['cold']['peak_rss_mb']:.0f} MB"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--cache", type=Path, default=REPO / "benchmarks" / "results" / "tmp")
    ap.add_argument("--index", type=Path, default=None, help="Parallax index whose vectors are the real ones")
    ap.add_argument("--queries", type=Path, default=Path("/work/shared/datasets/scifact/queries.jsonl"))
    ap.add_argument("--max-build", type=float, default=900.0, help="skip a build predicted to take longer (s)")
    ap.add_argument("--only", default="", help="comma-separated structure name prefixes (flat,hnsw,ivf-sq8,...)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 10k and 20k, 100 queries")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "scale.json")
    args = ap.parse_args()
    import faiss

    faiss.omp_set_num_threads(THREADS)
    sizes = [10_000, 20_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    index_dir = args.index or args.cache / "scifact-index"
    real = sv.real_vectors(args.cache, index_dir)
    queries = sv.query_vectors(args.cache, args.queries)[: 100 if args.quick else None]
    print(f"real vectors {real.shape}, queries {queries.shape}", file=sys.stderr)
    calib = sv.calibrate(real, queries)
    gen = None
    if max(sizes) > len(real):
        gen = sv.generated(args.cache, real, max(sizes) - len(real), calib["sigma"])
    query_path = args.cache / "scale-query-0.npy"
    np.save(query_path, queries[0])
    with tempfile.TemporaryDirectory(dir=args.cache) as work:
        ctx = {
            "cache": args.cache,
            "queries": queries,
            "query_path": query_path,
            "workdir": Path(work),
            "history": {},
            "max_build": args.max_build,
            "flat_queries": 100,
            "only": [o for o in args.only.split(",") if o],
        }
        vectors = {str(n): run_size(n, real, gen, ctx) for n in sizes}
        curve = flat_curve(args.cache / f"scale-matrix-{max(sizes)}.npy", queries, max(sizes))
    report = {
        "command": " ".join(["PYTHONPATH=src", Path(sys.executable).name, *sys.argv]),
        "environment": {**environment(), "faiss": faiss.__version__, "faiss_threads": THREADS},
        "vectors": vectors,
        "flat_curve": curve,
        "grid": f"above {FULL_GRID_UPTO} vectors only hnsw-sq8-M32 and ivf-sq8 (their variants lost at 10k and 100k; "
        "build time on 2 cores); a build predicted over --max-build is skipped",
        "similarity": {
            **calib,
            "real_counts": sv.real_counts(args.cache),
            "index": str(index_dir),
            "queries": len(queries),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
