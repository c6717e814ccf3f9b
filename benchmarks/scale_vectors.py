"""Vectors for benchmarks/scale.py: SciFact's real MiniLM vectors, its query vectors, and larger sets
generated around them (a real vector plus Gaussian noise, renormalised), all cached as .npy files.

The noise sigma is chosen so that nearest-neighbour similarities of a generated set look like the
real data's (``calibrate``); ``similarity`` gives the percentiles compared.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

PCTS = (1, 10, 25, 50, 75, 90, 99)
SIGMAS = (0.2, 0.3, 0.35, 0.4, 0.5, 0.6)


def real_vectors(cache: Path, index_dir: Path) -> np.ndarray:
    """Chunks and sentences of ``index_dir`` pooled (float32 unit rows), cached as scale-real.npy."""
    target = cache / "scale-real.npy"
    if not target.exists():
        from parallax.index.reader import Index

        ix = Index.load(index_dir)
        parts = [ix.chunk_matrix()]
        sentences = ix.sentence_matrix()
        if sentences is not None:
            parts.append(sentences)
        pooled = np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)
        np.save(target, pooled)
        (cache / "scale-real.json").write_text(
            json.dumps({"index": str(index_dir), "chunks": len(parts[0]), "sentences": len(pooled) - len(parts[0])})
        )
    return np.load(target)


def real_counts(cache: Path) -> dict[str, Any]:
    path = cache / "scale-real.json"
    return json.loads(path.read_text()) if path.exists() else {}


def query_vectors(cache: Path, queries: Path) -> np.ndarray:
    """SciFact's queries embedded once with Parallax's embedder, cached as scale-queries.npy."""
    target = cache / "scale-queries.npy"
    if not target.exists():
        from parallax.embed.registry import get_embedder

        texts = [json.loads(line)["text"] for line in queries.read_text().splitlines() if line.strip()]
        q = np.asarray(get_embedder().embed(texts), dtype=np.float32)
        np.save(target, q / np.linalg.norm(q, axis=1, keepdims=True))
    return np.load(target)


def noisy(base: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Each row plus Gaussian noise of expected norm ``sigma``, renormalised to unit length."""
    noise = rng.standard_normal(base.shape, dtype=np.float32) * np.float32(sigma / np.sqrt(base.shape[1]))
    out = base + noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def generated(cache: Path, real: np.ndarray, count: int, sigma: float, seed: int = 0) -> np.ndarray:
    """``count`` generated rows around random real rows, made in chunks and cached (memory-mapped)."""
    target = cache / f"scale-generated-{len(real)}-{count}-s{sigma:g}-{seed}.npy"
    if not target.exists():
        rng = np.random.default_rng(seed)
        tmp = target.with_suffix(".tmp.npy")
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(count, real.shape[1]))
        step = 100_000
        for start in range(0, count, step):
            stop = min(count, start + step)
            out[start:stop] = noisy(real[rng.integers(0, len(real), stop - start)], sigma, rng)
        out.flush()
        del out
        tmp.rename(target)
    return np.load(target, mmap_mode="r")


def topk_scores(matrix: np.ndarray, queries: np.ndarray, k: int, step: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``k`` ids and scores (best first) of each query over ``matrix``, scanned in blocks."""
    best_s = np.full((len(queries), 0), -2.0, dtype=np.float32)
    best_i = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(matrix), step):
        block = np.asarray(matrix[start : start + step])
        s = queries @ block.T
        kk = min(k, s.shape[1])
        part = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        best_s = np.concatenate([best_s, np.take_along_axis(s, part, axis=1)], axis=1)
        best_i = np.concatenate([best_i, part + start], axis=1)
        keep = np.argsort(-best_s, axis=1)[:, :k]
        best_s = np.take_along_axis(best_s, keep, axis=1)
        best_i = np.take_along_axis(best_i, keep, axis=1)
    return best_i, best_s


def pct(values: np.ndarray) -> dict[str, float]:
    return {f"p{p}": round(float(np.percentile(values, p)), 4) for p in PCTS}


def similarity(
    matrix: np.ndarray, queries: np.ndarray, probe_rows: np.ndarray, truth_s: np.ndarray | None = None
) -> dict[str, Any]:
    """Percentiles of a query's top-1 and top-10 cosine and of a passage's nearest other passage."""
    if truth_s is None:
        _, truth_s = topk_scores(matrix, queries, 10)
    probes = np.asarray(matrix[probe_rows])
    _, ps = topk_scores(matrix, probes, 2)
    return {
        "query_top1": pct(truth_s[:, 0]),
        "query_top10": pct(truth_s[:, 9]),
        "passage_nn": pct(ps[:, 1]),  # [:, 0] is the passage itself
        "probes": len(probe_rows),
    }


def distance(a: dict[str, Any], b: dict[str, Any]) -> float:
    keys = ("query_top1", "query_top10", "passage_nn")
    return float(sum(abs(a[k][p] - b[k][p]) for k in keys for p in ("p10", "p50", "p90")))


def calibrate(real: np.ndarray, queries: np.ndarray, probes: int = 2000, seed: int = 1) -> dict[str, Any]:
    """The sigma whose generated set, as large as the real one, has the most real-like similarities."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(real), min(probes, len(real)), replace=False)
    target = similarity(real, queries, rows)
    tried = {}
    for sigma in SIGMAS:
        gen = noisy(real[rng.integers(0, len(real), len(real))], sigma, rng)
        sim = similarity(gen, queries, rows)
        tried[f"{sigma:g}"] = {"distance": round(distance(sim, target), 4), **sim}
        print(f"  sigma {sigma:g}: distance {tried[f'{sigma:g}']['distance']}", file=sys.stderr)
    best = min(SIGMAS, key=lambda s: tried[f"{s:g}"]["distance"])
    return {"sigma": best, "real": target, "tried": tried}


def matrix_for(size: int, real: np.ndarray, gen: np.ndarray | None, seed: int = 2) -> tuple[np.ndarray, str]:
    """The collection of ``size`` rows: a random real subset when the real rows suffice, else all real
    rows followed by the first generated ones. Returns it with a word saying which."""
    if size <= len(real):
        rows = np.sort(np.random.default_rng(seed).choice(len(real), size, replace=False))
        return np.ascontiguousarray(real[rows]), "real"
    assert gen is not None and len(gen) >= size - len(real)
    out = np.empty((size, real.shape[1]), dtype=np.float32)
    out[: len(real)] = real
    out[len(real) :] = gen[: size - len(real)]
    return out, f"{len(real)} real + {size - len(real)} generated"
