"""The whole pipeline on the largest real folder at hand: SciFact's 5,183 abstracts, text to a searchable index.

Builds the index with the default embedder (MiniLM through ONNX), chunks of at most 254 word pieces
with one sentence of overlap, sentence vectors and BM25, exactly as ``parallax index`` does, and
prints documents and passages (chunks and sentences) per second. The index is kept in
``benchmarks/results/tmp/scifact-index``: ``scale.py`` and ``scale_pipeline.py`` take their real
vectors from it.

    .venv/bin/python benchmarks/pipeline_throughput.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from parallax.bench.beir import load_beir, to_documents
from parallax.bench.environment import environment
from parallax.embed.device import device_of
from parallax.embed.registry import get_embedder
from parallax.index.builder import build_index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.document import Corpus

HERE = Path(__file__).parent
DATA = HERE.parents[1] / "shared" / "datasets" / "scifact"


def main() -> None:
    dest = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results" / "tmp" / "scifact-index"
    docs = to_documents(load_beir(DATA, "test"))
    embedder = get_embedder(device="auto")  # a CUDA GPU when one is usable (parallax.embed.device)
    config = ChunkerConfig(max_tokens=embedder.max_tokens, overlap_sentences=1)
    t0 = time.perf_counter()
    stats = build_index(Corpus(docs), embedder, dest, config=config)
    seconds = time.perf_counter() - t0
    passages = stats.chunks + stats.sentences
    out = {
        "command": "python benchmarks/pipeline_throughput.py",
        "environment": environment(),
        "device": device_of(embedder),
        "documents": len(docs),
        "chunks": stats.chunks,
        "sentences": stats.sentences,
        "seconds": round(seconds, 1),
        "documents_per_second": round(len(docs) / seconds, 2),
        "passages_per_second": round(passages / seconds, 1),
    }
    (HERE / "results" / "pipeline-throughput.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
