"""Embedding throughput on this CPU (issue 15, item 1): chunks/s and sentences/s by backend, intra-op
threads, batch size and length-sorted batching, measured side by side, with the floor the hardware sets.

Texts are real and cut by the project's own chunker (``Rows.chunk_afresh``, as ``parallax index`` does):
every chunk and sentence of the seeds, and a fixed sample of SciFact (``--data``, BEIR layout, read in
place). Each variant embeds each text set once per repeat; the variants are interleaved within every
repeat so that load from other jobs falls on all of them alike, and medians are reported.

``sorted`` is what ``embed`` does (one call, batches cut from the texts sorted by word pieces);
``unsorted`` cuts batches in corpus order (one ``embed`` call per batch).

The floor: MiniLM-L6's FLOPs per sequence, counted from its shapes, against the peak float32 GFLOP/s
of this CPU measured with large matrix products (numpy's OpenBLAS and torch) on the same thread count.

    PYTHONPATH=src python benchmarks/throughput.py --data /work/shared/datasets/scifact

Writes benchmarks/results/throughput.json and prints a table. ``--batches 64,8,16,32 --repeats 5 --out
benchmarks/results/throughput-batch.json`` measures only the default backend at those batch sizes on
SciFact's chunks and sentences embedded in one call, as indexing does (the figure behind the default).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from parallax.bench.beir import load_beir, to_documents
from parallax.bench.environment import environment
from parallax.core.settings import seeds_dir
from parallax.embed.base import Embedder
from parallax.index.assemble import Rows
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus

HERE = Path(__file__).parent
DATA = HERE.parents[1] / "shared" / "datasets" / "scifact"
OUT = HERE / "results" / "throughput.json"

# MiniLM-L6 (all-MiniLM-L6-v2): 6 layers, hidden 384, FFN 1536, at most 256 positions ([CLS] 254 [SEP]).
LAYERS, HIDDEN, FFN, MAX_POSITIONS = 6, 384, 1536, 256


@dataclass(frozen=True)
class Variant:
    backend: str  # onnx | onnx-int8 | torch
    threads: int
    batch: int
    sorted: bool = True

    @property
    def name(self) -> str:
        return f"{self.backend} t{self.threads} b{self.batch} {'sorted' if self.sorted else 'unsorted'}"


def flops_per_sequence(tokens: int) -> int:
    """Multiply-adds x 2 of one forward pass over ``tokens`` positions (specials included).

    Per layer and token: Q, K, V and output projections (4 d^2) and the FFN (2 d f); per layer and
    sequence: scores Q K^T and the weighted sum of V (2 L^2 d). Layer norms, softmax, GELU and pooling
    are O(L d) and left out (under 1%).
    """
    per_token = LAYERS * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN)
    attention = LAYERS * 2 * tokens * tokens * HIDDEN
    return 2 * (per_token * tokens + attention)


def rows_of(docs: list[Any], count: Any) -> tuple[list[str], list[str]]:
    """Chunk texts and sentence texts of ``docs`` as the index embeds them."""

    class Counter:  # what chunk_afresh needs of an embedder
        max_tokens = 254
        count_tokens = staticmethod(count)

    rows = Rows()
    for doc in docs:
        rows.chunk_afresh(doc, ChunkerConfig(), Counter(), True)
    return [c.vector_text for c in rows.chunks], [s.plain for s in rows.sentences]


def text_sets(data: Path, n_chunks: int, n_sentences: int, count: Any, seed: int = 15) -> dict[str, list[str]]:
    """The seeds' chunks and sentences, and a fixed sample of SciFact's (documents drawn with ``seed``)."""
    seeds_chunks, seeds_sentences = rows_of(load_corpus([seeds_dir()]).documents, count)
    docs = to_documents(load_beir(data, "test"))
    random.Random(seed).shuffle(docs)
    chunks: list[str] = []
    sentences: list[str] = []
    for doc in docs:
        if len(chunks) >= n_chunks:
            break
        c, s = rows_of([doc], count)
        chunks += c
        sentences += s
    return {
        "seeds chunks": seeds_chunks,
        "seeds sentences": in_order_sample(seeds_sentences, n_sentences, seed),
        "scifact chunks": chunks[:n_chunks],
        "scifact sentences": in_order_sample(sentences, n_sentences, seed),
    }


def in_order_sample(texts: list[str], n: int, seed: int) -> list[str]:
    """``n`` of ``texts`` drawn with ``seed``, kept in corpus order (what ``unsorted`` batches see)."""
    keep = sorted(random.Random(seed).sample(range(len(texts)), min(n, len(texts))))
    return [texts[i] for i in keep]


class Backends:
    """One loaded embedder per (backend, threads); torch's thread count is process-wide, set per call."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], Embedder] = {}

    def get(self, backend: str, threads: int) -> Embedder:
        key = (backend, threads)
        if key not in self._cache:
            if backend == "torch":
                from parallax.embed.minilm import SentenceTransformerEmbedder

                emb: Embedder = SentenceTransformerEmbedder(device="cpu")
            else:
                from parallax.embed.onnx import OnnxEmbedder

                emb = OnnxEmbedder(int8=backend == "onnx-int8", threads=threads)
            self._set_threads(backend, threads)
            emb.load()
            emb.embed(["warm up"] * 4, batch_size=4)
            self._cache[key] = emb
        self._set_threads(backend, threads)
        return self._cache[key]

    @staticmethod
    def _set_threads(backend: str, threads: int) -> None:
        if backend == "torch":
            import torch

            torch.set_num_threads(threads)


def embed_all(emb: Embedder, texts: list[str], variant: Variant) -> np.ndarray:
    step = variant.batch
    if variant.sorted:
        parts = [emb.embed(texts, batch_size=step)]
    else:
        parts = [emb.embed(texts[i : i + step], batch_size=step) for i in range(0, len(texts), step)]
    out: np.ndarray = np.concatenate(parts)
    return out


def measure(
    variants: list[Variant], sets: dict[str, list[str]], repeats: int, backends: Backends
) -> tuple[dict[tuple[str, str], list[float]], dict[str, dict[str, np.ndarray]]]:
    """Seconds of every (variant, text set), ``repeats`` times, variants interleaved; and the vectors."""
    seconds: dict[tuple[str, str], list[float]] = {}
    vectors: dict[str, dict[str, np.ndarray]] = {}
    for rep in range(repeats):
        order = list(variants)
        random.Random(rep).shuffle(order)  # a different order each repeat: no variant always runs first
        for v in order:
            emb = backends.get(v.backend, v.threads)
            for set_name, texts in sets.items():
                t0 = time.perf_counter()
                out = embed_all(emb, texts, v)
                seconds.setdefault((v.name, set_name), []).append(time.perf_counter() - t0)
                vectors.setdefault(v.name, {})[set_name] = out
        print(f"repeat {rep + 1}/{repeats} done, load {os.getloadavg()[0]:.2f}", file=sys.stderr, flush=True)
    return seconds, vectors


PEAK_CODE = """
import sys, time, numpy as np
n = int(sys.argv[1])
a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
a @ b
best = min((lambda t: (a @ b, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
print(2 * n**3 / best / 1e9)
"""


def peak_gflops(threads: int, n: int = 2048) -> dict[str, float]:
    """Best of 5 float32 n x n matrix products: numpy (OpenBLAS, in a subprocess with its thread count
    fixed before import) and torch (oneDNN/MKL, ``torch.set_num_threads``)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    run = subprocess.run([sys.executable, "-c", PEAK_CODE, str(n)], env=env, capture_output=True, text=True, check=True)
    result = {"numpy": round(float(run.stdout.strip()), 1)}
    try:
        import torch
    except ImportError:
        return result
    torch.set_num_threads(threads)
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    best = min((lambda t: (a @ b, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
    result["torch"] = round(2 * n**3 / best / 1e9, 1)
    return result


def sweep() -> list[Variant]:
    """Batch sizes on the default backend; threads, ordering and backends at two batch sizes."""
    out = [Variant("onnx", 2, b) for b in (1, 4, 8, 16, 32, 64)]
    out += [Variant("onnx", 1, b) for b in (8, 16, 64)]
    out += [Variant("onnx", 2, 16, sorted=False), Variant("onnx-int8", 2, 16), Variant("onnx-int8", 1, 16)]
    return [*out, Variant("torch", 2, 16)]


def cosine_min(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.min(np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))))


def summarise(
    variants: list[Variant],
    sets: dict[str, list[str]],
    seconds: dict[tuple[str, str], list[float]],
    tokens: dict[str, list[int]],
) -> list[dict[str, Any]]:
    rows = []
    for v in variants:
        row: dict[str, Any] = {"variant": v.name, **v.__dict__}
        for set_name, texts in sets.items():
            runs = seconds[(v.name, set_name)]
            med = statistics.median(runs)
            row[set_name] = {
                "per_second": round(len(texts) / med, 1),
                "median_seconds": round(med, 3),
                "seconds": [round(s, 3) for s in runs],
                "gflops_per_second": round(sum(flops_per_sequence(t + 2) for t in tokens[set_name]) / med / 1e9, 1),
            }
        rows.append(row)
    return rows


def floor(peaks: dict[int, dict[str, float]], tokens: dict[str, list[int]], best: dict[str, float]) -> dict[str, Any]:
    """The best texts/s the measured float32 peak allows, per text set and for full 254-piece chunks,
    against the best float32 variant (int8 runs on integer units, which this bound does not cover)."""
    peak = max(max(p.values()) for p in peaks.values())
    full = flops_per_sequence(MAX_POSITIONS)
    out: dict[str, Any] = {
        "flops_per_254_piece_chunk": full,
        "gflop_per_254_piece_chunk": round(full / 1e9, 3),
        "peak_gflops_per_second": peaks,
        "peak_used": peak,
        "best_254_piece_chunks_per_second": round(peak * 1e9 / full, 1),
        "sets": {},
    }
    for set_name, lengths in tokens.items():
        mean_flops = sum(flops_per_sequence(t + 2) for t in lengths) / len(lengths)
        bound = peak * 1e9 / mean_flops
        out["sets"][set_name] = {
            "mean_word_pieces": round(sum(lengths) / len(lengths), 1),
            "gflop_per_text": round(mean_flops / 1e9, 4),
            "floor_per_second": round(bound, 1),
            "best_float32_per_second": best[set_name],
            "best_float32_fraction_of_floor": round(best[set_name] / bound, 3),
        }
    return out


def table(rows: list[dict[str, Any]], set_names: list[str]) -> str:
    head = "| variant | " + " | ".join(f"{s}/s" for s in set_names) + " |"
    lines = [head, "|---" * (len(set_names) + 1) + "|"]
    for r in rows:
        lines.append(f"| {r['variant']} | " + " | ".join(f"{r[s]['per_second']:.1f}" for s in set_names) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="SciFact in BEIR layout (read in place)")
    parser.add_argument("--chunks", type=int, default=40, help="SciFact chunks in the sample")
    parser.add_argument("--sentences", type=int, default=150, help="sentences drawn from the seeds' and SciFact's")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--batches",
        type=lambda v: [int(b) for b in v.split(",")],
        help="only the default backend (onnx, 2 threads, sorted) at these batch sizes, e.g. 8,16,64, on "
        "SciFact's chunks and sentences embedded in one call, as indexing does",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    load_before = os.getloadavg()
    started = time.perf_counter()
    backends = Backends()
    reference = backends.get("onnx", 2)
    sets = text_sets(args.data, args.chunks, args.sentences, reference.count_tokens)
    if args.batches:
        sets = {"scifact mixed": sets["scifact chunks"] + sets["scifact sentences"]}
    tokens = {name: [min(t, MAX_POSITIONS - 2) for t in reference.count_tokens(texts)] for name, texts in sets.items()}
    before = {t: peak_gflops(t) for t in (1, 2)}
    variants = [Variant("onnx", 2, b) for b in args.batches] if args.batches else sweep()
    seconds, vectors = measure(variants, sets, args.repeats, backends)
    after = {t: peak_gflops(t) for t in (1, 2)}  # before and after the sweep: the better of the two
    peaks = {t: {k: max(before[t][k], after[t][k]) for k in before[t]} for t in before}
    rows = summarise(variants, sets, seconds, tokens)
    best = {s: max(r[s]["per_second"] for r in rows if r["backend"] != "onnx-int8") for s in sets}
    reference_name = next((v.name for v in variants if (v.backend, v.batch) == ("onnx", 64)), variants[0].name)
    base = vectors[reference_name]
    agreement = {name: {s: round(cosine_min(vecs[s], base[s]), 5) for s in sets} for name, vecs in vectors.items()}
    result = {
        "command": "python benchmarks/throughput.py " + " ".join(sys.argv[1:]),
        "environment": {**environment(), "device": "cpu"},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "seconds": round(time.perf_counter() - started, 1),
        "repeats": args.repeats,
        "text_sets": {name: len(texts) for name, texts in sets.items()},
        "variants": rows,
        "floor": floor(peaks, tokens, best),
        f"min_cosine_to_{reference_name.replace(' ', '_')}": agreement,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(rows, list(sets)))
    print(json.dumps({k: result[k] for k in ("load_average_before", "load_average_after", "floor")}, indent=2))


if __name__ == "__main__":
    main()
