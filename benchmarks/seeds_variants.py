"""Ranking variants tried for the seeds' nDCG@10 goal (issue 3), measured side by side.

Builds the seeds index with the default settings and the real model, embeds the 89 labelled queries
once, and scores every variant from the stored vectors, so the only difference between rows is the
ranking rule:
- dense: chunk/sentence weights, sentence windows (the normalised mean of 2 or 3 neighbouring
  sentence vectors as a third term), top-2 sentence mean, dropping a hit whose best sentence an
  earlier hit already had, pseudo-relevance feedback (Rocchio on the top chunks);
- hybrid: the fusion weight, and BM25 with embedding-based query expansion (each query word adds
  the corpus words nearest to it in MiniLM space, weighted by similarity).
With --scifact-index, query expansion is also scored on SciFact train (hybrid, convex 0.6), since a
variant chosen on the seeds' 89 queries alone would be tuned on its test set.

    .venv/bin/python benchmarks/seeds_variants.py [--scifact-index benchmarks/results/tmp/scifact-index]

Writes benchmarks/results/seeds-variants.json and prints a table.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from parallax.bench.labelled import load_labelled_queries, passage_qrels, passage_run
from parallax.bench.metrics import score
from parallax.bench.retrieval import environment
from parallax.core.settings import seeds_dir, seeds_queries_path
from parallax.embed.registry import Embedder, get_embedder
from parallax.index.bm25 import BM25Index, tokenize
from parallax.index.builder import build_index
from parallax.index.reader import Index
from parallax.ingest.load import load_corpus
from parallax.search.fusion import FusionConfig, convex
from parallax.text.terms import STOPWORDS

HERE = Path(__file__).parent
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")


class Expander:
    """BM25 scores with each query word expanded by its nearest corpus words in embedding space."""

    def __init__(self, bm25: BM25Index, texts: Sequence[str], embedder: Embedder) -> None:
        counts: collections.Counter[str] = collections.Counter()
        for text in texts:
            counts.update(w for w in (m.strip("'’-") for m in WORD.findall(text)) if _content(w))
        self.words = sorted(counts)
        self.vectors = embedder.embed(self.words, batch_size=256)
        self.stems = [tokenize([w], bm25.config, bm25.stopwords)[0] for w in self.words]
        self.bm25, self.embedder = bm25, embedder

    def scores(self, query: str, tau: float, weight: float, top: int = 3) -> np.ndarray:
        bm = self.bm25
        tokens: dict[str, float] = {}
        for t in tokenize([query], bm.config, bm.stopwords)[0]:
            tokens[t] = tokens.get(t, 0.0) + 1.0
        words = [w for w in (m.strip("'’-") for m in WORD.findall(query)) if _content(w)]
        if words and weight > 0:
            sims = self.embedder.embed(words) @ self.vectors.T
            for row in sims:
                for j in [j for j in np.argsort(-row)[:top] if row[j] >= tau]:
                    for t in self.stems[j]:
                        tokens.setdefault(t, weight * float(row[j]))
        return bm.weighted_scores(tokens)


def _content(word: str) -> bool:
    return len(word) >= 3 and word.lower() not in STOPWORDS


def dense_scores(
    index: Index, q: np.ndarray, wc: float = 0.3, ws: float = 0.7, window: int = 0, ww: float = 0.0, top2: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per chunk: the dense score under the variant, and the id of its best sentence."""
    chunks, sentences = index.chunk_matrix(), index.sentence_matrix()
    assert sentences is not None
    indptr, members = index.chunk_members()
    cs, ss = chunks @ q, sentences @ q
    best, arg, wbest = cs.copy(), np.full(len(cs), -1), np.zeros(len(cs))
    for c in range(len(cs)):
        m = members[indptr[c] : indptr[c + 1]]
        if not len(m):
            continue
        v = ss[m]
        arg[c] = m[int(np.argmax(v))]
        best[c] = np.sort(v)[-2:].mean() if top2 and len(v) > 1 else v.max()
        if window and len(m) >= window:
            w = np.array([sentences[m[k : k + window]].mean(0) for k in range(len(m) - window + 1)])
            wbest[c] = float((w / np.linalg.norm(w, axis=1, keepdims=True) @ q).max())
        else:
            wbest[c] = best[c]
    return wc * cs + ws * best + (ww * wbest if window else 0.0), arg


def ranked(scores: np.ndarray) -> list[int]:
    return [int(i) for i in np.argsort(-scores, kind="stable")]


def dedup(order: list[int], best_sentence: np.ndarray) -> list[int]:
    seen: set[int] = set()
    first, later = [], []
    for c in order:
        (later if best_sentence[c] >= 0 and best_sentence[c] in seen else first).append(c)
        seen.add(int(best_sentence[c]))
    return first + later


def fused(dense: np.ndarray, lexical: np.ndarray, alpha: float) -> np.ndarray:
    f = convex({i: float(s) for i, s in enumerate(dense)}, {i: float(s) for i, s in enumerate(lexical) if s > 0}, alpha)
    return np.array([f.get(i, 0.0) for i in range(len(dense))])


def seeds_table(embedder: Embedder) -> list[dict[str, Any]]:
    corpus = load_corpus([seeds_dir()])
    labelled = load_labelled_queries(seeds_queries_path(), {d.source: d.text for d in corpus})
    qrels = {q.id: passage_qrels(q) for q in labelled}
    with tempfile.TemporaryDirectory() as tmp:
        build_index(corpus, embedder, Path(tmp) / "i")
        index = Index.load(Path(tmp) / "i")
        spans = [(c.source, c.start, c.end) for c in index.all_chunks()]
        vecs = embedder.embed([q.query for q in labelled])
        bm25 = [index.bm25.scores(q.query) for q in labelled]
        expander = Expander(index.bm25, [c.embed_text for c in index.all_chunks()], embedder)
        rows: list[dict[str, Any]] = []

        def add(name: str, rank: Callable[[int], list[int]]) -> None:
            run = {q.id: passage_run(q, [spans[c] for c in rank(i)]) for i, q in enumerate(labelled)}
            m = score(qrels, run)
            rows.append({"variant": name, **{k: round(v, 4) for k, v in m.items()}})
            print(f"{name:<52} nDCG@10 {m['ndcg@10']:.4f}  R@10 {m['recall@10']:.4f}", flush=True)

        base = [dense_scores(index, v) for v in vecs]
        add("dense, default (0.3 chunk + 0.7 best sentence)", lambda i: ranked(base[i][0]))
        for wc, ws in ((0.2, 0.8), (0.4, 0.6), (0.0, 1.0)):
            add(
                f"dense, {wc} chunk + {ws} best sentence",
                lambda i, a=wc, b=ws: ranked(dense_scores(index, vecs[i], a, b)[0]),
            )
        add("dense, mean of the best two sentences", lambda i: ranked(dense_scores(index, vecs[i], top2=True)[0]))
        for w in (2, 3):
            add(
                f"dense + 0.3 x best {w}-sentence window",
                lambda i, w=w: ranked(dense_scores(index, vecs[i], window=w, ww=0.3)[0]),
            )
        add(
            "dense, a hit repeating an earlier hit's best sentence last",
            lambda i: dedup(ranked(base[i][0]), base[i][1]),
        )
        for k, beta in ((3, 0.3), (1, 0.3)):

            def prf(i: int, k: int = k, beta: float = beta) -> list[int]:
                q = vecs[i] + beta * index.chunk_matrix()[ranked(base[i][0])[:k]].mean(0)
                return ranked(dense_scores(index, q / np.linalg.norm(q))[0])

            add(f"dense, Rocchio feedback from the top {k} (beta {beta})", prf)
        add("bm25", lambda i: ranked(bm25[i]))
        for alpha in (0.7, 0.8, 0.9):
            add(f"hybrid convex {alpha}", lambda i, a=alpha: ranked(fused(base[i][0], bm25[i], a)))
        for tau, weight in ((0.5, 0.6), (0.5, 1.0)):
            expanded = [expander.scores(q.query, tau, weight) for q in labelled]
            add(f"bm25 + query expansion (tau {tau}, weight {weight})", lambda i, e=expanded: ranked(e[i]))
            for alpha in (0.7, 0.8, 0.9):
                add(
                    f"hybrid convex {alpha} + query expansion (tau {tau}, weight {weight})",
                    lambda i, a=alpha, e=expanded: ranked(fused(base[i][0], e[i], a)),
                )
    return rows


def scifact_train(embedder: Embedder, folder: Path) -> list[dict[str, Any]]:
    from parallax.bench.beir import load_beir
    from parallax.search.searcher import Searcher

    sys.path.insert(0, str(HERE))
    from scifact import DATA, run_queries

    index = Index.load(folder)
    index.manifest.dense.update(chunk_weight=0.3, sentence_weight=0.7)
    expander = Expander(index.bm25, [c.embed_text for c in index.all_chunks()], embedder)
    train = load_beir(DATA, "train")
    searcher = Searcher(index, embedder, FusionConfig("convex", alpha=0.6))
    rows = []
    for tau, weight in ((0.0, 0.0), (0.5, 0.6), (0.5, 1.0)):

        def lexical(text: str, k: int, allowed: Any, tau: float = tau, weight: float = weight) -> dict[int, float]:
            s = expander.scores(text, tau, weight)
            if allowed is not None:
                s = np.where(allowed, s, 0.0)
            pos = np.flatnonzero(s > 0)
            pos = pos[np.argsort(-s[pos])[:k]]
            return {int(i): float(s[i]) for i in pos}

        searcher._lexical = lexical  # type: ignore[method-assign]
        m = score(train.qrels, run_queries(searcher, train.queries, "hybrid")[0])
        rows.append({"tau": tau, "weight": weight, "hybrid_ndcg@10": round(m["ndcg@10"], 4)})
        print(f"SciFact train hybrid convex 0.6, expansion tau {tau} weight {weight}: {m['ndcg@10']:.4f}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scifact-index", type=Path, help="a kept SciFact index (benchmarks/scifact.py --index-dir)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "seeds-variants.json")
    args = parser.parse_args()
    t0 = time.perf_counter()
    embedder = get_embedder()
    result: dict[str, Any] = {
        "command": ("python benchmarks/seeds_variants.py " + " ".join(sys.argv[1:])).strip(),
        "environment": environment(),
        "seeds": seeds_table(embedder),
    }
    if args.scifact_index:
        result["scifact_train_query_expansion"] = scifact_train(embedder, args.scifact_index)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
