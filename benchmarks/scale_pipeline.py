"""Parallax at 10k, 100k and 1M passages: whole indexes, cold and warm searches, a one-document update.

``benchmarks/scale.py`` measures the vector structures alone; this script measures what a user runs.
For each size it writes a corpus folder of real text files and the index Parallax builds for it, then
measures, side by side for each ``--ann`` kind:

- build: seconds to write the index (ANN structures, chunk store, BM25), bytes on disk;
- cold ``parallax search`` (a new process, the model included): wall seconds and peak RSS, median of runs;
- warm, in one process on SciFact's test queries: the dense vector search alone (query vectors given)
  and a whole hybrid query (embedding, dense, BM25, fusion, passages with highlights), p50 and p99;
- recall@10 of the dense top 10 against ``--exact`` on the same index;
- adding one document: ``parallax index --index DIR`` after a new file appears in the corpus folder
  (a cold process that checks every file, embeds the new one and writes a delta segment), then removing it.

Passages are chunks and sentences, each with its own vector (SciFact: 10,115 chunks, 49,955
sentences). The corpus is SciFact's 5,183 abstracts, copied as often as the size needs: copy 0 is
the real text with its real MiniLM vectors (embedded once, cached in ``benchmarks/results/tmp/``);
copy k > 0 is the same text with a line ``[copy k]`` appended (so it is a distinct document) and
vectors generated around the real ones (real vector + Gaussian noise of expected norm ``--sigma``,
renormalised; ``scale.py`` picks sigma so that nearest-neighbour similarities look like the real
data's). Chunking and embedding are skipped for the copies: rows are copied from the SciFact index and
written with ``parallax.index.builder.write_rows``, which writes exactly what ``parallax index`` writes.

    .venv/bin/python benchmarks/scale_pipeline.py --sizes 10000,100000,1000000 --kinds flat,hnsw,ivf

Writes benchmarks/results/scale-pipeline.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from parallax.bench.environment import environment
from parallax.embed.registry import get_embedder
from parallax.index.assemble import Rows, Vectors
from parallax.index.builder import BuildOptions, write_rows
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus
from parallax.search.dense import dense_top
from parallax.search.searcher import Searcher

HERE = Path(__file__).parent
TMP = HERE / "results" / "tmp"
SCIFACT = HERE.parents[1] / "shared" / "datasets" / "scifact"
PARALLAX = str(Path(sys.executable).parent / "parallax")
COLD_QUERY = "Which genes are associated with breast cancer risk?"
NEW_DOC = (
    "Quokka metabolism under heat stress\n"
    "Quokkas (Setonix brachyurus) on Rottnest Island lower their metabolic rate in summer. Field "
    "measurements over three years show that water turnover falls by a third in the hottest months, "
    "and that animals with access to shade lose less body mass. The effect is strongest in juveniles.\n"
)


def _scifact_rows(index: Index) -> tuple[dict[str, str], dict[str, Any]]:
    """The SciFact index's documents (source -> text) and stored rows by source."""
    sources = [d.source for d in index.manifest.documents]
    return {s: index.document_text(s) for s in sources}, index.reusable_rows(sources)


def write_corpus(folder: Path, texts: dict[str, str], reusable: dict[str, Any], passages: int) -> int:
    """Write copies of the SciFact documents until they hold ``passages`` chunks and sentences."""
    if folder.exists():
        shutil.rmtree(folder)
    total, copy = 0, 0
    while total < passages:
        sub = folder / f"copy-{copy:02d}"
        sub.mkdir(parents=True)
        for source, text in texts.items():
            rows = reusable[source]
            (sub / f"{source}.txt").write_text(text + (f"\n[copy {copy}]\n" if copy else ""), encoding="utf-8")
            total += len(rows.chunks) + len(rows.sentences)
            if total >= passages:
                break
        copy += 1
    return total


def noisy(vectors: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """``scale.py``'s generator: each row plus Gaussian noise of expected norm ``sigma``, renormalised."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    from scale_vectors import noisy as generate

    return np.asarray(generate(vectors, sigma, np.random.default_rng(seed)), dtype=np.float32)


def rows_and_vectors(folder: Path, source: Index, reusable: dict[str, Any], sigma: float) -> tuple[Any, Rows, Vectors]:
    """Load the corpus folder as ``parallax index`` would, and copy each document's rows and vectors
    from the SciFact index (noisy vectors for copies)."""
    corpus = load_corpus([folder])
    docs = sorted(corpus.documents, key=lambda d: d.source)
    rows = Rows()
    copies = []
    for doc in docs:
        copy_dir, name = doc.source.split("/", 1)
        before = (len(rows.chunks), len(rows.sentences))
        rows.copy_stored(doc, reusable[name.removesuffix(".txt")])
        copies.append((int(copy_dir.split("-")[1]), before, (len(rows.chunks), len(rows.sentences))))
    chunks = np.asarray(source.chunk_matrix())[rows.chunk_origin]
    sentences_all = source.sentence_matrix()
    assert sentences_all is not None
    sentences = np.asarray(sentences_all)[rows.sentence_origin]
    for copy, (c0, s0), (c1, s1) in copies:
        if copy:
            chunks[c0:c1] = noisy(chunks[c0:c1], sigma, 2 * (c0 + 1))
            sentences[s0:s1] = noisy(sentences[s0:s1], sigma, 2 * (s0 + 1) + 1)
    rows.chunk_origin = [-1] * len(rows.chunks)
    rows.sentence_origin = [-1] * len(rows.sentences)
    return docs, rows, Vectors(chunks, sentences, 0.0)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def cold_search(dest: Path, runs: int) -> dict[str, Any]:
    cmd = [PARALLAX, "search", COLD_QUERY, "--index", str(dest), "--json"]
    seconds, rss = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=True)
        seconds.append(time.perf_counter() - t0)
        rss.append(int(out.stderr.strip().splitlines()[-1]) * 1024)
    return {"seconds": round(statistics.median(seconds), 3), "runs": [round(s, 3) for s in seconds],
            "peak_rss_bytes": int(statistics.median(rss))}  # fmt: skip


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3)


def warm(dest: Path, queries: list[str], qvecs: np.ndarray) -> dict[str, Any]:
    """Warm latencies in one process, and the dense top 10's recall against exact scoring."""
    embedder = get_embedder()
    index = Index.load(dest, model_id=embedder.model_id)
    searcher = Searcher(index, embedder)
    searcher.search(queries[0], mode="hybrid")  # loads the model, BM25 and the ANN structures
    vector_ms, hybrid_ms, recall = [], [], []
    for q in qvecs:
        t0 = time.perf_counter()
        got = dense_top(index, q, 10, None)
        vector_ms.append((time.perf_counter() - t0) * 1000)
        exact = dense_top(index, q, 10, None, exact=True)
        recall.append(len(set(got) & set(exact)) / max(len(exact), 1))
    for text in queries:
        t0 = time.perf_counter()
        searcher.search(text, k=10, mode="hybrid")
        hybrid_ms.append((time.perf_counter() - t0) * 1000)
    index.close()
    return {
        "vector_search_ms": {"p50": pct(vector_ms, 50), "p99": pct(vector_ms, 99)},
        "hybrid_query_ms": {"p50": pct(hybrid_ms, 50), "p99": pct(hybrid_ms, 99)},
        "recall_at_10_vs_exact": round(float(np.mean(recall)), 4),
        "queries": len(queries),
    }


def add_one_document(corpus: Path, dest: Path) -> dict[str, Any]:
    """A new file in the corpus folder, then ``parallax index --index DIR``; then the file removed again."""
    new = corpus / "copy-00" / "zz-new-quokka.txt"
    new.write_text(NEW_DOC, encoding="utf-8")
    os.utime(new, ns=(time.time_ns() - 10**10, time.time_ns() - 10**10))  # older than the racy window
    out: dict[str, Any] = {}
    for step in ("add", "remove"):
        t0 = time.perf_counter()
        subprocess.run([PARALLAX, "index", "--index", str(dest)], check=True, capture_output=True)
        out[f"{step}_seconds"] = round(time.perf_counter() - t0, 3)
        manifest = json.loads((dest / "manifest.json").read_text())
        out[f"{step}_segments"] = len(manifest["segments"])
        if step == "add":
            hits = json.loads(subprocess.run(
                [PARALLAX, "search", "quokka metabolism heat", "--index", str(dest), "--json", "-k", "1"],
                capture_output=True, text=True, check=True).stdout)["results"]  # fmt: skip
            out["new_document_found_first"] = bool(hits) and hits[0]["source"].endswith("zz-new-quokka.txt")
            new.unlink()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--kinds", default="flat,hnsw,ivf")
    parser.add_argument("--sigma", type=float, default=0.3, help="expected noise norm (scale.py's choice)")
    parser.add_argument("--runs", type=int, default=5, help="cold searches per index")
    parser.add_argument("--queries", type=int, default=300, help="SciFact test queries for warm figures")
    parser.add_argument("--scifact-index", type=Path, default=TMP / "scifact-index")
    parser.add_argument("--work", type=Path, default=TMP / "scale-pipeline")
    parser.add_argument("--keep", action="store_true", help="keep the indexes and corpus folders")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "scale-pipeline.json")
    args = parser.parse_args()
    source = Index.load(args.scifact_index)
    texts, reusable = _scifact_rows(source)
    queries = _queries(args.queries)
    embedder = get_embedder()
    qvecs = embedder.embed(queries)
    config = ChunkerConfig.from_dict(source.manifest.chunker) or ChunkerConfig()
    results: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        corpus = args.work / f"corpus-{size}"
        passages = write_corpus(corpus, texts, reusable, size)
        docs, rows, vectors = rows_and_vectors(corpus, source, reusable, args.sigma)
        for kind in args.kinds.split(","):
            dest = args.work / f"index-{size}-{kind}"
            t0 = time.perf_counter()
            write_rows(
                dest, docs, rows, vectors, embedder, config, inputs=[str(corpus)], options=BuildOptions(ann=kind)
            )
            row: dict[str, Any] = {"passages": passages, "documents": len(docs), "chunks": len(rows.chunks),
                                   "sentences": len(rows.sentences), "ann": kind,
                                   "build_seconds": round(time.perf_counter() - t0, 1),
                                   "bytes_on_disk": folder_bytes(dest)}  # fmt: skip
            row["cold_search"] = cold_search(dest, args.runs)
            row["warm"] = warm(dest, queries, qvecs)
            row["add_one_document"] = add_one_document(corpus, dest)
            results.append(row)
            print(json.dumps(row), flush=True)
            if not args.keep:
                shutil.rmtree(dest)
        if not args.keep:
            shutil.rmtree(corpus)
    command = "python benchmarks/scale_pipeline.py " + " ".join(sys.argv[1:])
    payload = {"command": command.strip(), "environment": environment(), "sigma": args.sigma, "results": results}
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print_table(results)


def _queries(limit: int) -> list[str]:
    from parallax.bench.beir import load_beir

    ds = load_beir(SCIFACT, "test")
    return [ds.queries[q] for q in sorted(ds.queries)][:limit]


def print_table(results: list[dict[str, Any]]) -> None:
    head = ["passages", "ann", "build s", "disk MB", "cold s", "RSS MB", "vec p50", "vec p99", "hyb p50",
            "hyb p99", "recall", "add s"]  # fmt: skip
    print(" | ".join(head))
    for r in results:
        w = r["warm"]
        cells = [r["passages"], r["ann"], r["build_seconds"], round(r["bytes_on_disk"] / 1e6),
                 r["cold_search"]["seconds"], round(r["cold_search"]["peak_rss_bytes"] / 2**20),
                 w["vector_search_ms"]["p50"], w["vector_search_ms"]["p99"], w["hybrid_query_ms"]["p50"],
                 w["hybrid_query_ms"]["p99"], w["recall_at_10_vs_exact"],
                 r["add_one_document"]["add_seconds"]]  # fmt: skip
        print(" | ".join(str(c) for c in cells))


if __name__ == "__main__":
    main()
