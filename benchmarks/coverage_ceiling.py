"""What limits the coverage verdict (issue 4)? Diagnostics on the labelled seeds set.

    .venv/bin/python benchmarks/coverage_ceiling.py

Builds the seeds index in a temporary folder (default settings, all-MiniLM-L6-v2) and measures, for each
half of ``benchmarks/data/seeds_coverage.json`` (calibration: odd topic ids; held-out: even ids):

- ``oracle``: the accuracy of counting the sentences that hold a labelled evidence phrase (none: silent,
  one: mentions, two or more: covers). This is the counting frame the rule uses, with a perfect
  sentence detector: its ceiling.
- ``sentences``: how well a sentence score tells evidence sentences from the sentences of silent sources
  (ROC AUC; true-positive rate at 1 % and 3 % false positives). A silent source has some 70 sentences,
  and a single one above the level turns it into "mentions", so the low false-positive end is what counts.
- ``rule``: the shipped rule (``coverage.decide``), as ``parallax bench compare`` scores it.
- ``in_sample_ceiling``: the best accuracy of the rule's feature family when the sentence level and a
  weakly regularised logistic regression (C = 100) are chosen on the very half they are scored on. That
  is a cheat by construction: an upper bound for these features, never a result.
- ``alternatives``: other sentence scores, each scored by leave-one-topic-out cross-validation on the
  calibration half only (the held-out half is never used to choose anything). The sentence level is the
  best of a grid, so these figures are, if anything, optimistic.

Writes ``benchmarks/results/coverage-ceiling.json`` and prints tables.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from parallax.analyze.compare import Comparer
from parallax.analyze.coverage import LABELS, SENTENCE_LEVEL, decide, features
from parallax.bench.compare import LabelledTopic, load_coverage_labels
from parallax.bench.retrieval import environment
from parallax.core.settings import seeds_dir
from parallax.embed.minilm import packaged_model_dir
from parallax.embed.registry import get_embedder
from parallax.index.builder import build_index
from parallax.index.reader import Index
from parallax.ingest.load import load_corpus
from parallax.text.query import parse_query
from parallax.text.terms import STOPWORDS

RESULTS = Path(__file__).resolve().parent / "results"
C_CEILING = 100.0


@dataclass
class TopicData:
    topic: LabelledTopic
    scores: np.ndarray  # the shipped sentence topic score
    dense: np.ndarray  # cosine of topic and sentence
    centred: np.ndarray  # cosine after subtracting the corpus' mean sentence vector
    token_recall: np.ndarray  # IDF-weighted BERTScore recall of the topic's word pieces
    token_min: np.ndarray  # the worst-matched topic word piece: every facet of the topic must appear
    positive: np.ndarray  # bool: the sentence holds a labelled evidence phrase


Score = Callable[[TopicData], np.ndarray]


def _normalise(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / np.linalg.norm(x, axis=-1, keepdims=True))


def token_embeddings(model: Any, texts: Sequence[str]) -> list[tuple[list[str], np.ndarray]]:
    """Contextual word-piece vectors (unit length) of each text, without [CLS] and [SEP]."""
    out = []
    vectors = model.encode(list(texts), output_value="token_embeddings", batch_size=32)
    for text, vec in zip(texts, vectors):
        ids = model.tokenizer(text, truncation=True, max_length=model.max_seq_length)["input_ids"]
        pieces = model.tokenizer.convert_ids_to_tokens(ids)
        vec = np.asarray(vec.cpu().numpy() if hasattr(vec, "cpu") else vec, dtype=np.float32)
        if len(pieces) != len(vec):
            raise SystemExit(f"token count mismatch for {text[:40]!r}")
        out.append((pieces[1:-1], _normalise(vec[1:-1])))
    return out


def collect(index: Index) -> tuple[list[TopicData], dict[str, np.ndarray]]:
    from sentence_transformers import SentenceTransformer

    embedder = get_embedder(index.manifest.model_id)
    comparer = Comparer(index, embedder)
    comparer.load()
    units = comparer.table
    spans = units.spans
    mean = units.matrix.mean(axis=0)
    centred_matrix = _normalise(units.matrix - mean)
    model = SentenceTransformer(str(packaged_model_dir()), device="cpu")
    sentence_tokens = token_embeddings(model, units.plain)
    df: dict[str, int] = {}
    for pieces, _ in sentence_tokens:
        for p in set(pieces):
            df[p] = df.get(p, 0) + 1
    n = len(spans)
    out = []
    for topic in load_coverage_labels():
        scores, dense = comparer.topic_scores(topic.topic)
        q = embedder.embed([parse_query(topic.topic).text])[0]
        pieces, tvec = token_embeddings(model, [parse_query(topic.topic).text])[0]
        keep = [i for i, p in enumerate(pieces) if (p.isalnum() and p not in STOPWORDS) or p.startswith("##")]
        weights = np.array([math.log((n + 1) / (df.get(pieces[i], 0) + 1)) for i in keep])
        tvec = tvec[keep]
        recall = np.zeros(n)
        worst = np.zeros(n)
        for i, (_, svec) in enumerate(sentence_tokens):
            best = (tvec @ svec.T).max(axis=1)
            recall[i] = float((weights * best).sum() / weights.sum())
            worst[i] = float(best.min())
        positive = np.zeros(n, dtype=bool)
        for source, phrases in topic.evidence.items():
            text = comparer.text(source)
            for phrase in phrases:
                at = text.find(phrase)
                for i, (s, a, b) in enumerate(spans):
                    if s == source and a < at + len(phrase) and b > at:
                        positive[i] = True
        centred = centred_matrix @ _normalise(q - mean)
        out.append(TopicData(topic, scores, dense, centred, recall, worst, positive))
    return out, units.rows


def roc(y: np.ndarray, s: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y, s)

    def at(rate: float) -> float:
        return float(tpr[np.searchsorted(fpr, rate, side="right") - 1])

    auc = float(roc_auc_score(y, s))
    return {"auc": round(auc, 4), "tpr_at_1pct": round(at(0.01), 4), "tpr_at_3pct": round(at(0.03), 4)}


def sentence_separation(data: Sequence[TopicData], rows: dict[str, np.ndarray], score: Score) -> dict[str, float]:
    ys, ss = [], []
    for t in data:
        s = score(t)
        for source, label in t.topic.labels.items():
            r = rows[source]
            keep = t.positive[r] | (label == "silent")
            ys.append(t.positive[r][keep])
            ss.append(s[r][keep])
    return roc(np.concatenate(ys), np.concatenate(ss))


def oracle(data: Sequence[TopicData], rows: dict[str, np.ndarray]) -> float:
    hits = [
        LABELS[min(int(t.positive[rows[s]].sum()), 2)] == label for t in data for s, label in t.topic.labels.items()
    ]
    return float(np.mean(hits))


def shipped(data: Sequence[TopicData], rows: dict[str, np.ndarray]) -> float:
    hits = [decide(features(t.scores[rows[s]])).label == label for t in data for s, label in t.topic.labels.items()]
    return float(np.mean(hits))


def design(
    data: Sequence[TopicData], rows: dict[str, np.ndarray], score: Score, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, y, g = [], [], []
    for t in data:
        s = score(t)
        for source, label in t.topic.labels.items():
            x.append(features(s[rows[source]], level).vector())
            y.append(label)
            g.append(t.topic.id)
    return np.asarray(x), np.asarray(y), np.asarray(g)


def fit_predict(x: np.ndarray, y: np.ndarray, x_test: np.ndarray, c: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(LogisticRegression(C=c, max_iter=5000).fit(x, y).predict(x_test))


def counting(x: np.ndarray) -> np.ndarray:
    """The bare counting rule on the features: no sentence on the topic, one, or several."""
    return np.asarray([LABELS[int(has_one + has_two)] for _, _, has_one, has_two in x])


def levels(data: Sequence[TopicData], score: Score) -> np.ndarray:
    pooled = np.concatenate([score(t) for t in data])
    return np.asarray(np.quantile(pooled, np.linspace(0.85, 0.998, 60)))


def in_sample_ceiling(data: Sequence[TopicData], rows: dict[str, np.ndarray], score: Score) -> float:
    best = 0.0
    for level in levels(data, score):
        x, y, _ = design(data, rows, score, level)
        fitted = float(np.mean(fit_predict(x, y, x, C_CEILING) == y))
        best = max(best, fitted, float(np.mean(counting(x) == y)))
    return best


def leave_one_topic_out(data: Sequence[TopicData], rows: dict[str, np.ndarray], score: Score) -> dict[str, float]:
    best = {"regression": 0.0, "counting": 0.0}
    for level in levels(data, score):
        x, y, g = design(data, rows, score, level)
        hits = 0
        for held in sorted(set(g)):
            out = g == held
            hits += int((fit_predict(x[~out], y[~out], x[out], 1.0) == y[out]).sum())
        best["regression"] = max(best["regression"], hits / len(y))
        best["counting"] = max(best["counting"], float(np.mean(counting(x) == y)))
    return {k: round(v, 4) for k, v in best.items()}


SCORES: dict[str, Score] = {
    "shipped: cosine + lexical": lambda t: t.scores,
    "cosine only": lambda t: t.dense,
    "lexical only": lambda t: t.scores - t.dense,
    "mean-centred cosine + lexical": lambda t: t.centred + (t.scores - t.dense),
    "token recall (BERTScore)": lambda t: t.token_recall,
    "token recall + shipped": lambda t: t.token_recall + t.scores,
    "every topic word piece matched + shipped": lambda t: t.token_min + t.scores,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "coverage-ceiling.json")
    args = parser.parse_args()
    started = time.perf_counter()
    embedder = get_embedder(None)
    with tempfile.TemporaryDirectory() as tmp:
        build_index(load_corpus([seeds_dir()]), embedder, Path(tmp) / "seeds")
        data, rows = collect(Index.load(Path(tmp) / "seeds"))
    halves = {
        "calibration (odd ids)": [t for t in data if t.topic.calibration],
        "held-out (even ids)": [t for t in data if not t.topic.calibration],
    }
    report: dict[str, Any] = {
        "command": "python benchmarks/coverage_ceiling.py",
        "environment": environment(),
        "model": embedder.model_id,
        "sentence_level": SENTENCE_LEVEL,
        "halves": {},
        "alternatives_loto_calibration": {},
    }
    for name, part in halves.items():
        report["halves"][name] = {
            "cells": sum(len(t.topic.labels) for t in part),
            "oracle_counting": round(oracle(part, rows), 4),
            "rule": round(shipped(part, rows), 4),
            "in_sample_ceiling": round(in_sample_ceiling(part, rows, SCORES["shipped: cosine + lexical"]), 4),
            "sentences": sentence_separation(part, rows, SCORES["shipped: cosine + lexical"]),
        }
    calibration = halves["calibration (odd ids)"]
    for name, score in SCORES.items():
        report["alternatives_loto_calibration"][name] = {
            "sentences": sentence_separation(calibration, rows, score),
            "leave_one_topic_out": leave_one_topic_out(calibration, rows, score),
        }
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(f"{'half':24s} {'cells':>5s} {'oracle':>7s} {'rule':>6s} {'ceiling*':>8s} {'AUC':>6s} {'TPR@1%':>7s}")
    for name, h in report["halves"].items():
        s = h["sentences"]
        print(
            f"{name:24s} {h['cells']:5d} {h['oracle_counting']:7.3f} {h['rule']:6.3f} {h['in_sample_ceiling']:8.3f}"
            f" {s['auc']:6.3f} {s['tpr_at_1pct']:7.3f}"
        )
    print("* fitted and scored on the same half: an upper bound, not a result\n")
    print(f"{'sentence score (calibration half)':42s} {'AUC':>6s} {'TPR@1%':>7s} {'LOTO reg':>9s} {'LOTO count':>10s}")
    for name, a in report["alternatives_loto_calibration"].items():
        s, cv = a["sentences"], a["leave_one_topic_out"]
        print(f"{name:42s} {s['auc']:6.3f} {s['tpr_at_1pct']:7.3f} {cv['regression']:9.3f} {cv['counting']:10.3f}")
    print(f"\nwrote {os.path.relpath(args.out)} in {report['seconds']} s", file=sys.stderr)


if __name__ == "__main__":
    main()
