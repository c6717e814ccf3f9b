"""Late chunking (issue 15, item 1): sentence vectors pooled from the chunk's own forward pass.

Today every chunk is embedded once and each of its sentences again, in a pass of its own. Late
chunking takes a sentence's vector from the chunk's pass instead: the mean of the chunk's last hidden
state over the sentence's word pieces ([CLS]/[SEP] left out), L2-normalised. A sentence shared by two
chunks (the chunk overlap) gets the normalised mean of its vectors in each; a sentence that no new
chunk holds whole (or whose word pieces were all cut off by the 256-token window) falls back to the
separate pass.

The experiment changes no library code: a second ONNX graph with the last hidden state as an extra
output is exported into the Parallax home (``model.tokens.onnx``, same fusion as ``model.onnx``), and
``parallax.index.builder.vectors_for`` is replaced for the late runs. Everything else (chunker, BM25,
fusion, queries, scoring) is the project's own benchmark code, so both variants run with the same
settings:

- the seeds: ``bench_seeds`` (89 labelled queries, every mode) and ``bench_compare`` (coverage verdicts)
  on the index each variant built;
- SciFact: a sample (``--scifact-sample`` documents, both variants, indexing time), and with
  ``--scifact-full`` the full corpus with late chunking, scored on the test queries with the settings
  ``benchmarks/scifact.py`` chose (``benchmarks/results/scifact.json``), against the separate pass's
  index (``--scifact-index``, the one that run kept) scored the same way.

    PYTHONPATH=src HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/late_chunking.py \\
        [--scifact-sample 300] [--scifact-full --scifact-index benchmarks/results/tmp/scifact-index]

Writes benchmarks/results/late-chunking.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import parallax.index.builder as builder
from parallax.bench.beir import load_beir, subset, to_documents
from parallax.bench.compare import bench_compare
from parallax.bench.labelled import load_labelled_queries, passage_qrels, passage_run
from parallax.bench.metrics import score
from parallax.bench.retrieval import _maxp, bench_chunker, bench_seeds, environment
from parallax.core.settings import seeds_dir, seeds_queries_path
from parallax.embed.minilm import packaged_model_dir
from parallax.embed.onnx import MAX_SEQ, WORDS_FILE, _fuse, cache_dir, ensure_onnx
from parallax.embed.registry import get_embedder
from parallax.index.assemble import Rows, Vectors
from parallax.index.assemble import vectors_for as separate_vectors_for
from parallax.index.bm25 import BM25Config, BM25Index
from parallax.index.builder import BuildOptions, build_index
from parallax.index.reader import Index
from parallax.ingest.document import Corpus
from parallax.ingest.load import load_corpus
from parallax.search.fusion import FusionConfig
from parallax.search.searcher import Searcher

HERE = Path(__file__).parent
DATA = Path("/work/shared/datasets/scifact")  # --data for another copy
TOKENS_FILE = "model.tokens.onnx"


# ---------------------------------------------------------------------------------------------
# The token-level encoder: the project's ONNX export with the last hidden state as a second output.


def export_tokens_graph(folder: Path) -> Path:
    """``folder/model.tokens.onnx``: outputs ``embedding`` (as model.onnx) and ``hidden`` (batch, seq, 384)."""
    target = folder / TOKENS_FILE
    if target.is_file():
        return target
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(packaged_model_dir()), local_files_only=True, attn_implementation="eager")
    model.eval()
    words = model.embeddings.word_embeddings.weight.detach()

    class PooledAndHidden(torch.nn.Module):
        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, inputs_embeds: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(
                inputs_embeds=inputs_embeds, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1), hidden

    ids = torch.ones(2, 8, dtype=torch.long)
    tmp = folder / (TOKENS_FILE + ".tmp")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            PooledAndHidden(model),
            (words[ids], torch.ones_like(ids), torch.zeros_like(ids)),
            str(tmp),
            dynamo=False,
            input_names=["inputs_embeds", "attention_mask", "token_type_ids"],
            output_names=["embedding", "hidden"],
            dynamic_axes={
                "inputs_embeds": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "token_type_ids": {0: "batch", 1: "seq"},
                "embedding": {0: "batch"},
                "hidden": {0: "batch", 1: "seq"},
            },
            opset_version=17,
        )
    fused = _fuse(tmp, int(model.config.num_attention_heads), int(model.config.hidden_size))
    print(f"token graph exported, fused: {fused}", flush=True)
    tmp.replace(target)
    return target


class TokenEncoder:
    """Chunk vectors and each chunk's last hidden state and character offsets, through onnxruntime."""

    def __init__(self, threads: int = 2) -> None:
        import onnxruntime as ort

        from parallax.embed.minilm import load_tokenizer

        ensure_onnx()  # the word table
        folder = cache_dir()
        path = export_tokens_graph(folder)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.words = np.load(folder / WORDS_FILE, mmap_mode="r")
        self.tokenizer = load_tokenizer(packaged_model_dir())

    def encode(
        self, texts: list[str], batch_size: int, progress: Callable[[int], None] | None = None
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray, list[tuple[int, int]]]]:
        """For each text (in length order): its index, unit vector, hidden states and (start, end) offsets
        of each token; special tokens have offsets (0, 0) and are marked (-1, -1)."""
        encodings = self.tokenizer.encode_batch(texts)
        seqs: list[tuple[list[int], list[tuple[int, int]]]] = []
        for e in encodings:
            ids, offsets, special = list(e.ids), list(e.offsets), list(e.special_tokens_mask)
            if len(ids) > MAX_SEQ:  # as OnnxEmbedder: keep the start, end with [SEP]
                ids = [*ids[: MAX_SEQ - 1], ids[-1]]
                offsets = [*offsets[: MAX_SEQ - 1], offsets[-1]]
                special = [*special[: MAX_SEQ - 1], special[-1]]
            seqs.append((ids, [(-1, -1) if s else o for o, s in zip(offsets, special)]))
        order = sorted(range(len(texts)), key=lambda i: len(seqs[i][0]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            width = max(len(seqs[i][0]) for i in idx)
            batch = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                batch[row, : len(seqs[i][0])] = seqs[i][0]
                mask[row, : len(seqs[i][0])] = 1
            feed = {
                "inputs_embeds": np.asarray(self.words[batch], dtype=np.float32),
                "attention_mask": mask,
                "token_type_ids": np.zeros_like(batch),
            }
            pooled, hidden = self.session.run(None, feed)
            for row, i in enumerate(idx):
                n = len(seqs[i][0])
                yield i, pooled[row], hidden[row, :n], seqs[i][1]
            if progress:
                progress(len(idx))


def span_vector(hidden: np.ndarray, offsets: list[tuple[int, int]], start: int, end: int) -> np.ndarray | None:
    """The mean of the hidden states of the (non-special) tokens inside characters [start, end), or None."""
    rows = [t for t, (s, e) in enumerate(offsets) if s >= 0 and s >= start and e <= end and e > s]
    if not rows:
        return None
    v: np.ndarray = hidden[rows].mean(axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def sentence_spans(rows: Rows, chunk: int) -> list[tuple[int, int, int]]:
    """(sentence row, start, end) of each member sentence in the chunk's vector text (characters)."""
    c = rows.chunks[chunk]
    text = c.vector_text
    cursor = len(c.context) + 2 if c.context else 0
    out = []
    for j in rows.members[chunk]:
        plain = rows.sentences[j].plain
        at = text.find(plain, cursor) if plain else -1
        if at < 0:
            continue
        out.append((j, at, at + len(plain)))
        cursor = at + len(plain)
    return out


STATS: dict[str, int] = {}


def make_late_vectors_for(encoder: TokenEncoder) -> Callable[..., Vectors]:
    def late_vectors_for(
        rows: Rows, embedder: Any, previous: Any, batch_size: int, progress: Callable[[int, int], None] | None
    ) -> Vectors:
        new_chunks = rows.new_chunks
        new_sentences = set(rows.new_sentences)
        if not new_sentences or not rows.members:  # no sentence vectors to make: as before
            return separate_vectors_for(rows, embedder, previous, batch_size, progress)
        t1 = time.perf_counter()
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, len(new_chunks))

        vectors = np.zeros((len(rows.chunks), embedder.dim), dtype=np.float32)
        sent_vectors = np.zeros((len(rows.sentences), embedder.dim), dtype=np.float32)
        sums = np.zeros_like(sent_vectors)
        counts = np.zeros(len(rows.sentences), dtype=np.int64)
        texts = [rows.chunks[i].vector_text for i in new_chunks]
        for k, vec, hidden, offsets in encoder.encode(texts, batch_size, tick):
            chunk = new_chunks[k]
            vectors[chunk] = vec
            for j, start, end in sentence_spans(rows, chunk):
                if j not in new_sentences:
                    continue
                v = span_vector(hidden, offsets, start, end)
                if v is not None:
                    sums[j] += v
                    counts[j] += 1
        fallback = [j for j in sorted(new_sentences) if counts[j] == 0]
        late = [j for j in sorted(new_sentences) if counts[j] > 0]
        STATS["late"] = STATS.get("late", 0) + len(late)
        STATS["fallback"] = STATS.get("fallback", 0) + len(fallback)
        STATS["shared"] = STATS.get("shared", 0) + int((counts > 1).sum())
        if late:
            s = sums[late]
            sent_vectors[late] = s / np.maximum(np.linalg.norm(s, axis=1, keepdims=True), 1e-12)
        if fallback:
            sent_vectors[fallback] = embedder.embed([rows.sentences[j].plain for j in fallback], batch_size=batch_size)
        embed_seconds = time.perf_counter() - t1
        if previous is not None:
            kept = [i for i, o in enumerate(rows.chunk_origin) if o >= 0]
            if kept:
                vectors[kept] = previous.chunk_vectors(np.asarray([rows.chunk_origin[i] for i in kept], dtype=np.int64))
            kept = [i for i, o in enumerate(rows.sentence_origin) if o >= 0]
            if kept and previous.manifest.sentence_count:
                origins = np.asarray([rows.sentence_origin[i] for i in kept], dtype=np.int64)
                sent_vectors[kept] = previous.sentence_vectors(origins)
        return Vectors(vectors, sent_vectors, embed_seconds)

    return late_vectors_for


@contextmanager
def late(encoder: TokenEncoder | None) -> Iterator[None]:
    """The builder makes sentence vectors by late chunking inside the block (``encoder`` None: as today)."""
    if encoder is None:
        yield
        return
    original = builder.vectors_for
    builder.vectors_for = make_late_vectors_for(encoder)
    try:
        yield
    finally:
        builder.vectors_for = original


# ---------------------------------------------------------------------------------------------
# The runs.


def seeds_run(variant: str, encoder: TokenEncoder | None, work: Path) -> dict[str, Any]:
    embedder = get_embedder()
    STATS.clear()
    folder = work / f"seeds-{variant}"
    with late(encoder):
        result = bench_seeds(embedder, folder)
    index = Index.load(folder / "index", model_id=embedder.model_id)
    cmp = bench_compare(index, embedder)
    chunk_only = seeds_chunk_only(index, embedder) if encoder is None else None
    out = {
        "index_seconds": result.index_seconds,
        "chunks": result.chunks,
        "sentences": index.manifest.sentence_count,
        "sentence_vectors": dict(STATS),
        "ndcg@10": {m.mode: round(m.metrics["ndcg@10"], 4) for m in result.modes},
        "recall@10": {m.mode: round(m.metrics.get("recall@10", float("nan")), 4) for m in result.modes},
        **({"ndcg@10_chunk_vectors_only": chunk_only} if chunk_only else {}),
        "compare": [
            {
                "half": h.name,
                "accuracy": h.accuracy,
                "silent_precision": h.silent_precision,
                "silent_recall": h.silent_recall,
                "evidence_rate": h.evidence_rate,
            }
            for h in cmp.halves
        ],
    }
    print(f"seeds {variant}: {json.dumps(out)}", flush=True)
    return out


def seeds_chunk_only(index: Index, embedder: Any) -> dict[str, float]:
    """The seeds' nDCG@10 of dense and hybrid with the sentence vectors left out (sentence weight 0)."""
    corpus = load_corpus([seeds_dir()])
    labelled = load_labelled_queries(seeds_queries_path(), {d.source: d.text for d in corpus})
    qrels = {q.id: passage_qrels(q) for q in labelled}
    index.manifest.dense.update(chunk_weight=1.0, sentence_weight=0.0)
    searcher = Searcher(index, embedder)
    out = {}
    for mode in ("dense", "hybrid"):
        run = {
            q.id: passage_run(q, [(h.source, h.start, h.end) for h in searcher.search(q.query, k=100, mode=mode).hits])
            for q in labelled
        }
        out[mode] = round(score(qrels, run)["ndcg@10"], 4)
    return out


def scifact_chosen() -> tuple[float, BM25Config, FusionConfig]:
    chosen = json.loads((HERE / "results" / "scifact.json").read_text(encoding="utf-8"))["chosen"]
    bm25 = BM25Config(**{k: v for k, v in chosen["bm25"].items() if k in BM25Config.__dataclass_fields__})
    fusion = FusionConfig(**{k: v for k, v in chosen["fusion"].items() if k in FusionConfig.__dataclass_fields__})
    return float(chosen["sentence_weight"]), bm25, fusion


def scifact_score(index: Index, embedder: Any, test: Any) -> dict[str, float]:
    """Test nDCG@10 with scifact.py's chosen settings: dense (chunks only), dense (tuned sentence weight), hybrid."""
    sw, bm25, fusion = scifact_chosen()
    texts = [c.embed_text for c in index.all_chunks()]
    index._bm25 = BM25Index.build(texts, bm25)
    out = {}
    for label, mode, weight in (("dense_chunks", "dense", 0.0), ("dense_tuned", "dense", sw), ("hybrid", "hybrid", sw)):
        index.manifest.dense.update(chunk_weight=1 - weight, sentence_weight=weight)
        searcher = Searcher(index, embedder, fusion)
        run = {qid: _maxp(searcher.search(text, k=300, mode=mode).hits) for qid, text in sorted(test.queries.items())}
        out[label] = round(score(test.qrels, run)["ndcg@10"], 4)
    return out


def scifact_build(variant: str, encoder: TokenEncoder | None, test: Any, folder: Path) -> dict[str, Any]:
    embedder = get_embedder()
    config = bench_chunker(embedder, seeds=False)
    STATS.clear()
    with late(encoder):
        stats = build_index(Corpus(to_documents(test)), embedder, folder, config=config, options=BuildOptions())
    index = Index.load(folder, model_id=embedder.model_id)
    out = {
        "documents": len(test.corpus),
        "index_seconds": round(stats.seconds, 1),
        "embed_seconds": round(stats.embed_seconds, 1),
        "chunks": stats.chunks,
        "sentences": stats.sentences,
        "sentence_vectors": dict(STATS),
        "test_ndcg@10": scifact_score(index, embedder, test),
    }
    index.close()
    print(f"scifact {variant} ({len(test.corpus)} docs): {json.dumps(out)}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--skip-seeds", action="store_true")
    parser.add_argument("--scifact-sample", type=int, default=0, help="documents of a SciFact sample, both variants")
    parser.add_argument("--scifact-full", action="store_true", help="the whole SciFact corpus, late chunking")
    parser.add_argument("--scifact-index", type=Path, help="the separate pass's full SciFact index (scifact.py's)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "late-chunking.json")
    args = parser.parse_args()

    previous = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    result: dict[str, Any] = {
        "command": ("python benchmarks/late_chunking.py " + " ".join(sys.argv[1:])).strip(),
        "environment": environment(),
        **{k: v for k, v in previous.items() if k not in ("command", "environment")},
    }
    encoder = TokenEncoder()
    embedder = get_embedder()
    embedder.load()
    # The token graph's chunk vectors are the project's: check on a few texts.
    probe = ["Late chunking pools sentence spans.", "A longer text. " * 40]
    mine = np.stack([v for _, v, _, _ in sorted(encoder.encode(probe, 8), key=lambda t: t[0])])
    result["token_graph_vs_model_onnx_cos_min"] = float((mine * embedder.embed(probe)).sum(axis=1).min())

    with tempfile.TemporaryDirectory(prefix="late-") as tmp:
        work = Path(tmp)
        if not args.skip_seeds:
            result["seeds"] = {
                "separate": seeds_run("separate", None, work),
                "late": seeds_run("late", encoder, work),
            }
            args.out.write_text(json.dumps(result, indent=2) + "\n")
        if args.scifact_sample:
            test = subset(load_beir(args.data, "test"), None, args.scifact_sample)
            result["scifact_sample"] = {
                "separate": scifact_build("separate", None, test, work / "sf-separate"),
                "late": scifact_build("late", encoder, test, work / "sf-late"),
            }
            args.out.write_text(json.dumps(result, indent=2) + "\n")
        if args.scifact_full:
            test = load_beir(args.data, "test")
            full: dict[str, Any] = {}
            if args.scifact_index:
                copy = work / "sf-full-separate"
                shutil.copytree(args.scifact_index, copy)
                index = Index.load(copy, model_id=embedder.model_id)
                full["separate"] = {
                    "index": str(args.scifact_index),
                    "index_seconds": json.loads((HERE / "results" / "scifact.json").read_text())["index"]["seconds"],
                    "test_ndcg@10": scifact_score(index, embedder, test),
                }
                index.close()
                print(f"scifact full separate: {json.dumps(full['separate'])}", flush=True)
            full["late"] = scifact_build("late", encoder, test, work / "sf-full-late")
            result["scifact_full"] = full
            args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
