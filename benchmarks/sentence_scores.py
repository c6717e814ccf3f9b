"""Alternative per-sentence topic scores for the coverage verdict, cross-validated on calibration data only.

    PYTHONPATH=src .venv/bin/python benchmarks/sentence_scores.py [--index SEEDS] [--basil-index BASIL]

The shipped score is ``cos(topic, sentence) + 0.5 * lexical + 0.5 * rare`` (``coverage.sentence_scores``).
This script measures other scores built from what the index holds for a sentence (its vector, its
chunk's vector, its text, the BM25 statistics, the topic text):

- ``sentences``: on the seeds' calibration half (odd topic ids), ROC AUC and true-positive rate at 1 % / 3 %
  false positives of the sentence score, labelled evidence sentences against the sentences of silent
  sources (as ``coverage_ceiling.py``);
- ``cv``: the document rule (``coverage.features`` at a sentence level + multinomial logistic regression,
  exactly as ``calibrate_coverage.py``) in the same 12-fold cross-validation on the calibration data (the
  seeds' odd ids and BASIL's even events), for each level of a grid: seeds accuracy, BASIL own articles
  judged "covers", other BASIL documents judged "covers".

Only levels above the best score of any sentence holding no topic word are allowed (``candidates.py``
reads only sentences holding a topic word on a large index). Nothing held out is read unless
``--held-out`` names a score, which is then scored once on the held-out halves (seeds even ids, BASIL odd
events) with the rule fitted on all the calibration data.

Writes ``benchmarks/results/sentence-scores.json``. ``--cache FILE`` keeps the collected components
(a pickle) to try other scores without re-reading the indexes.

Findings (issue: a better sentence score; see the JSON): no candidate clearly beats the shipped score.
Rewarding a sentence holding two distinct topic stems (+0.1 to +0.2, optionally + 0.2 x the share of the
topic's adjacent stem pairs found adjacent) lifts the seeds' TPR at 1 % FPR from 0.66 to 0.73-0.75 and the
cross-validated seeds accuracy by one or two cells of 60 (0.767 -> 0.783-0.800, at a level picked on the
same grid), but BASIL's own-article recall does not improve (0.80-0.84 vs 0.83) and false "covers" rise
(0.14-0.35 % vs 0.05 %); threshold-free, own articles ranked above all but 0.1 / 0.3 / 1 % of the other
documents stay at 0.80 / 0.84-0.88 / 0.89-0.91 against 0.83 / 0.85 / 0.91. The chunk's cosine (mixed in,
added for sentences with a topic word, or as a floor), the neighbours' cosine, a conjunctive penalty for
matching only part of the topic's words, capitalised-name matching and a squared rare term are no better
or worse. A per-topic z-scored cosine raises BASIL's recall (0.92-0.96) only with ten to twenty times the
false "covers" (0.5-1.2 %), and depends on the corpus. BASIL's missed own articles mostly paraphrase a
headline-like event name ("Obama taunts GOP for ignoring jobs bill"): no sentence holds enough of its
words, and neither the sentence nor the chunk cosine singles them out.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import pickle
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from parallax.analyze.compare import Comparer
from parallax.analyze.coverage import LABELS, features
from parallax.api import open_index
from parallax.bench.compare import load_coverage_labels
from parallax.bench.environment import environment
from parallax.embed.registry import get_embedder
from parallax.index.reader import Index
from parallax.text.query import parse_query

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coverage_basil import DEFAULT_BASIL, basil_index, load_events, split

RESULTS = Path(__file__).resolve().parent / "results"
FOLDS = 12


@dataclass
class Topic:
    """Everything a sentence score may use, for one topic over a whole (small) index."""

    key: str
    half: str  # "calibration" or "held-out"
    dense: np.ndarray  # cos(topic, sentence)
    chunk: np.ndarray  # best cos(topic, chunk) over the chunks holding the sentence
    lexical: np.ndarray
    rare: np.ndarray
    matched: np.ndarray  # (sentences, stems) bool: the sentence holds the stem
    idf: np.ndarray  # per stem
    bigram: np.ndarray  # share of the topic's adjacent stem pairs found adjacent in the sentence
    names: np.ndarray  # (sentences, name stems) bool, the topic's capitalised words (not title case)
    neighbour: np.ndarray  # best cos(topic, previous / next sentence of the same source): diagnostics only
    rows: dict[str, np.ndarray]  # source -> rows
    labels: dict[str, str]  # source -> label
    positive: np.ndarray  # evidence sentences (seeds only)

    @property
    def any_word(self) -> np.ndarray:
        return np.asarray(self.matched.any(axis=1))


def _pairs(tokens: list[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(tokens))


def collect(index: Index, topics: list[tuple[str, str, str, dict[str, str], dict[str, list[str]]]]) -> list[Topic]:
    comparer = Comparer(index, get_embedder(index.manifest.model_id))
    comparer.load()
    table = comparer.table
    tokens = comparer._tokens(table.plain)
    token_sets = [set(t) for t in tokens]
    token_pairs = [_pairs(t) for t in tokens]
    # chunk cosine: the chunks owning each sentence
    o_ptr, o_ids = index.sentence_owners()
    n_chunks = len(index.chunk_members()[0]) - 1
    chunk_matrix = index.chunk_vectors(np.arange(n_chunks, dtype=np.int64))
    sources = table.sources
    out = []
    for key, half, topic, labels, evidence in topics:
        found, scores, dense, q = comparer.candidates(topic)
        assert found.table is table
        text = parse_query(topic).text
        stems = comparer._stems(text)
        topic_tokens = comparer._tokens([text])[0]
        stats = found.stats
        idf = np.asarray([math.log(1 + stats.units / (1 + stats.df.get(w, 0.0))) for w in stems])
        matched = np.asarray([[w in s for w in stems] for s in token_sets], dtype=bool).reshape(len(table), len(stems))
        total, top = (idf.sum(), idf.max()) if len(stems) else (1.0, 1.0)
        lexical = matched @ idf / total if len(stems) else np.zeros(len(table))
        rare = (matched * idf).max(axis=1) / top if len(stems) else np.zeros(len(table))
        assert np.allclose(dense + 0.5 * lexical + 0.5 * rare, scores), key
        tpairs = _pairs(topic_tokens)
        bigram = np.asarray([len(tpairs & p) / len(tpairs) if tpairs else 0.0 for p in token_pairs])
        words = text.split()
        title_case = sum(w[:1].isupper() for w in words if w.isalpha()) >= 0.7 * max(1, sum(w.isalpha() for w in words))
        name_words = [] if title_case else [w for w in words if w[:1].isupper()]
        name_stems = list(dict.fromkeys(s for w in name_words for s in comparer._tokens([w])[0]))
        names = np.asarray([[w in s for w in name_stems] for s in token_sets], dtype=bool).reshape(
            len(table), len(name_stems)
        )
        cq = chunk_matrix @ q
        ids = table.ids
        chunk = np.asarray([cq[o_ids[o_ptr[i] : o_ptr[i + 1]]].max() for i in ids])
        neighbour = np.full(len(table), -1.0)
        for i in range(len(table)):
            for j in (i - 1, i + 1):
                if 0 <= j < len(table) and sources[j] == sources[i]:
                    neighbour[i] = max(neighbour[i], dense[j])
        positive = np.zeros(len(table), dtype=bool)
        for source, phrases in evidence.items():
            doc = comparer.text(source)
            for phrase in phrases:
                at = doc.find(phrase)
                for r in table.source_rows(source):
                    _, a, b = table.spans[r]
                    if a < at + len(phrase) and b > at:
                        positive[r] = True
        rows = {s: table.source_rows(s) for s in labels}
        out.append(
            Topic(
                key, half, dense, chunk, lexical, rare, matched, idf, bigram, names, neighbour, rows, labels, positive
            )
        )
    return out


# ---------------------------------------------------------------------------------------------------------
# Candidate scores. Each maps a topic's components to one score per sentence.

Score = Callable[[Topic], np.ndarray]


def shipped(t: Topic) -> np.ndarray:
    return t.dense + 0.5 * t.lexical + 0.5 * t.rare


def with_chunk(w: float) -> Score:
    """Mix the sentence's cosine with its chunk's: (1 - w) cos_s + w cos_chunk (+ the lexical parts)."""
    return lambda t: (1 - w) * t.dense + w * t.chunk + 0.5 * t.lexical + 0.5 * t.rare


def chunk_gate(w: float) -> Score:
    """Shipped, plus w * cos_chunk only for sentences holding a topic word."""
    return lambda t: shipped(t) + w * t.chunk * t.any_word


def conjunctive(p: float) -> Score:
    """Penalise a sentence holding only part of the topic's stems (IDF share below 1): p * (1 - lexical),
    for sentences holding a topic word and topics with at least two stems."""

    def score(t: Topic) -> np.ndarray:
        if t.matched.shape[1] < 2:
            return shipped(t)
        return shipped(t) - p * (1 - t.lexical) * t.any_word

    return score


def two_words(b: float) -> Score:
    """Reward a sentence holding at least two distinct topic stems (b), for topics with at least two."""

    def score(t: Topic) -> np.ndarray:
        if t.matched.shape[1] < 2:
            return shipped(t) + b * t.any_word
        return shipped(t) + b * (t.matched.sum(axis=1) >= 2)

    return score


def with_bigram(b: float) -> Score:
    return lambda t: shipped(t) + b * t.bigram


def with_names(p: float) -> Score:
    """Penalise a sentence missing every capitalised name of the topic (when the topic has names)."""

    def score(t: Topic) -> np.ndarray:
        if t.names.shape[1] == 0:
            return shipped(t)
        return shipped(t) - p * ~t.names.any(axis=1)

    return score


def with_neighbour(w: float) -> Score:
    """Diagnostics only (needs the neighbours' rows): (1 - w) cos_s + w max(cos_prev, cos_next)."""
    return lambda t: (1 - w) * t.dense + w * np.maximum(t.neighbour, t.dense) + 0.5 * t.lexical + 0.5 * t.rare


def rare_squared(t: Topic) -> np.ndarray:
    """The rare part squared: a sentence holding only a common topic word gets less."""
    return t.dense + 0.5 * t.lexical + 0.5 * t.rare**2


def combo(wc: float, p: float) -> Score:
    return lambda t: with_chunk(wc)(t) - (p * (1 - t.lexical) * t.any_word if t.matched.shape[1] >= 2 else 0.0)


def zscore(a: float) -> Score:
    """Per-topic normalised cosine: shipped + a * z, z = (cos - mean) / sd over the index's sentences, for
    sentences holding a topic word (diagnostic: depends on the corpus)."""

    def score(t: Topic) -> np.ndarray:
        z = (t.dense - t.dense.mean()) / t.dense.std()
        return shipped(t) + a * np.clip(z, 0, None) * t.any_word

    return score


def two_and_bigram(b: float, g: float) -> Score:
    return lambda t: two_words(b)(t) + g * t.bigram


def chunk_floor(w: float) -> Score:
    """Reward a sentence whose chunk is about the topic: + w * max(0, cos_chunk - cos_sentence), gated."""
    return lambda t: shipped(t) + w * np.clip(t.chunk - t.dense, 0, None) * t.any_word


SCORES: dict[str, Score] = {
    "shipped": shipped,
    **{f"chunk mix w={w}": with_chunk(w) for w in (0.25, 0.5)},
    **{f"chunk gate +{w}": chunk_gate(w) for w in (0.25, 0.5)},
    **{f"conjunctive -{p}(1-lex)": conjunctive(p) for p in (0.25, 0.5)},
    **{f"two stems +{b}": two_words(b) for b in (0.1, 0.2)},
    **{f"bigram +{b}": with_bigram(b) for b in (0.2, 0.4)},
    **{f"names -{p}": with_names(p) for p in (0.2, 0.4)},
    "rare squared": rare_squared,
    **{f"neighbour mix w={w} (diagnostic)": with_neighbour(w) for w in (0.25, 0.5)},
    **{f"chunk mix w={w} + conjunctive -{p}": combo(w, p) for w in (0.25, 0.5) for p in (0.25,)},
    **{f"z-score +{a} (diagnostic)": zscore(a) for a in (0.05, 0.1)},
    **{f"two stems +{b} bigram +{g}": two_and_bigram(b, g) for b in (0.1, 0.15) for g in (0.2,)},
    **{f"two stems +{b}": two_words(b) for b in (0.05, 0.15)},
    **{f"chunk floor +{w}": chunk_floor(w) for w in (0.5, 1.0)},
}


# ---------------------------------------------------------------------------------------------------------
# Measures.


def roc(y: np.ndarray, s: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y, s)

    def at(rate: float) -> float:
        return float(tpr[np.searchsorted(fpr, rate, side="right") - 1])

    return {"auc": round(float(roc_auc_score(y, s)), 4), "tpr_1pct": round(at(0.01), 4), "tpr_3pct": round(at(0.03), 4)}


def separation(topics: list[Topic], score: Score) -> dict[str, float]:
    ys, ss = [], []
    for t in topics:
        s = score(t)
        for source, label in t.labels.items():
            r = t.rows[source]
            keep = t.positive[r] | (label == "silent")
            ys.append(t.positive[r][keep])
            ss.append(s[r][keep])
    return roc(np.concatenate(ys), np.concatenate(ss))


def fit(x: np.ndarray, y: list[str], w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(C=1.0, max_iter=5000).fit(x, y, sample_weight=w)
    order = [list(model.classes_).index(label) for label in LABELS]
    return model.coef_[order], model.intercept_[order]


def predict(x: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    return np.asarray([LABELS[int(i)] for i in np.argmax(x @ coef.T + intercept, axis=1)], dtype=object)


@dataclass
class Cells:
    """The document cells of one half: seeds cells then BASIL (event, document) cells, as calibrate does."""

    keys: list[tuple[Topic, str]]
    labels: np.ndarray
    folds: np.ndarray
    is_seed: np.ndarray
    is_own: np.ndarray
    weights: np.ndarray


def cells(seeds: list[Topic], basil: list[Topic]) -> Cells:
    keys, labels, folds = [], [], []
    for i, t in enumerate(seeds):
        for source, label in t.labels.items():
            keys.append((t, source))
            labels.append(label)
            folds.append(i % FOLDS)
    n_seeds = len(keys)
    for i, t in enumerate(basil):
        for source in sorted(t.labels):
            keys.append((t, source))
            labels.append(t.labels[source])
            folds.append(i % FOLDS)
    n_basil = len(keys) - n_seeds
    is_seed = np.arange(len(keys)) < n_seeds
    lab = np.asarray(labels, dtype=object)
    return Cells(
        keys,
        lab,
        np.asarray(folds),
        is_seed,
        (lab == "covers") & ~is_seed,
        np.asarray([1.0] * n_seeds + [n_seeds / max(n_basil, 1)] * n_basil),
    )


def design(c: Cells, scores: dict[str, np.ndarray], level: float) -> np.ndarray:
    return np.asarray([features(scores[t.key][t.rows[s]], level).vector() for t, s in c.keys])


def figures(c: Cells, predicted: np.ndarray) -> dict[str, float]:
    return {
        "seeds_accuracy": round(float(np.mean(predicted[c.is_seed] == c.labels[c.is_seed])), 4),
        "basil_own_covers": round(float(np.mean(predicted[c.is_own] == "covers")), 4),
        "basil_false_covers": round(float(np.mean(predicted[~c.is_seed & ~c.is_own] == "covers")), 5),
    }


def cross_validate(c: Cells, scores: dict[str, np.ndarray], level: float) -> dict[str, float]:
    """The CV figures, plus ``own_covers_at_X``: the share of own BASIL articles whose out-of-fold linear
    "covers" margin beats that of all but X of the other documents (threshold-free)."""
    x = design(c, scores, level)
    predicted = np.empty(len(c.keys), dtype=object)
    margin = np.zeros(len(c.keys))
    for f in range(FOLDS):
        train = c.folds != f
        coef, intercept = fit(x[train], list(c.labels[train]), c.weights[train])
        predicted[~train] = predict(x[~train], coef, intercept)
        z = x[~train] @ coef.T + intercept
        margin[~train] = z[:, 2] - np.maximum(z[:, 0], z[:, 1])
    out = figures(c, predicted)
    others = np.sort(margin[~c.is_seed & ~c.is_own])[::-1]
    for rate in (0.001, 0.003, 0.01):
        cut = others[int(rate * len(others))]
        out[f"own_covers_at_{rate}"] = round(float(np.mean(margin[c.is_own] > cut)), 4)
    return out


def held_out(calib: Cells, test: Cells, scores: dict[str, np.ndarray], level: float) -> dict[str, Any]:
    coef, intercept = fit(design(calib, scores, level), list(calib.labels), calib.weights)
    return figures(test, predict(design(test, scores, level), coef, intercept))


def seeds_topics() -> list[tuple[str, str, str, dict[str, str], dict[str, list[str]]]]:
    return [
        (t.id, "calibration" if t.calibration else "held-out", t.topic, t.labels, t.evidence)
        for t in load_coverage_labels()
    ]


def basil_topics(basil: Path, index: Index) -> list[tuple[str, str, str, dict[str, str], dict[str, list[str]]]]:
    calibration, held = split(load_events(basil))
    documents = [d.source for d in index.manifest.documents]
    out = []
    for half, events in (("calibration", calibration), ("held-out", held)):
        for e in events:
            own = set(e.articles.values())
            out.append((e.triplet, half, e.topic, {s: "covers" if s in own else "silent" for s in documents}, {}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", default=None, help="Index of the seeds (default: the seeds index).")
    parser.add_argument("--basil", type=Path, default=DEFAULT_BASIL, help="The basil-dev folder.")
    parser.add_argument("--basil-index", type=Path, default=None, help="An index of basil/corpus (else built).")
    parser.add_argument("--levels", default="1.05,1.075,1.10,1.125,1.15,1.175,1.20,1.225,1.25,1.30,1.35,1.40,1.50")
    parser.add_argument("--only", default=None, help="Comma-separated score names (default: all).")
    parser.add_argument("--held-out", default=None, help="Score held out once: NAME@LEVEL (after choosing).")
    parser.add_argument("--out", type=Path, default=RESULTS / "sentence-scores.json")
    parser.add_argument("--cache", type=Path, default=None, help="Pickle of the collected components (reused).")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.cache is not None and args.cache.exists():
        seeds, basil = pickle.loads(args.cache.read_bytes())
    else:
        seeds = collect(open_index(args.index), seeds_topics())
        with basil_index(args.basil, args.basil_index) as index:
            basil = collect(index, basil_topics(args.basil, index))
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps((seeds, basil)))
    calib = cells([t for t in seeds if t.half == "calibration"], [t for t in basil if t.half == "calibration"])
    everything = seeds + basil
    calib_topics = [t for t in seeds if t.half == "calibration"]
    names = args.only.split(",") if args.only else list(SCORES)
    grid = [float(v) for v in args.levels.split(",")]
    report: dict[str, Any] = {
        "command": " ".join(["python benchmarks/sentence_scores.py", *sys.argv[1:]]),
        "environment": environment(),
        "model": get_embedder(None).model_id,
        "protocol": "12-fold CV on the calibration data (seeds odd ids + BASIL even events), as calibrate_coverage.py",
        "scores": {},
    }
    print(f"{'score':40s} {'AUC':>6s} {'TPR1%':>6s} {'TPR3%':>6s} {'no-word max':>11s}  best CV levels")
    for name in names:
        fn = SCORES[name]
        scores = {t.key: fn(t) for t in everything}
        floor = max(float(scores[t.key][~t.any_word].max(initial=-1.0)) for t in everything if t.half == "calibration")
        entry: dict[str, Any] = {"sentences_seeds_calibration": separation(calib_topics, fn), "no_word_max": floor}
        entry["cv"] = {f"{lv:.3f}": cross_validate(calib, scores, lv) for lv in grid if lv > floor}
        report["scores"][name] = entry
        s = entry["sentences_seeds_calibration"]
        best = sorted(entry["cv"].items(), key=lambda kv: (-kv[1]["seeds_accuracy"], -kv[1]["basil_own_covers"]))[:3]
        shown = "; ".join(
            f"{lv}: {v['seeds_accuracy']:.3f}/{v['basil_own_covers']:.3f}/{v['basil_false_covers']:.4f}"
            f" [{v['own_covers_at_0.001']:.2f},{v['own_covers_at_0.003']:.2f},{v['own_covers_at_0.01']:.2f}]"
            for lv, v in best
        )
        line = f"{name:40s} {s['auc']:6.3f} {s['tpr_1pct']:6.3f} {s['tpr_3pct']:6.3f} {floor:11.3f}  {shown}"
        print(line, flush=True)
    if args.held_out:
        name, level = args.held_out.rsplit("@", 1)
        fn = SCORES[name]
        scores = {t.key: fn(t) for t in everything}
        test = cells([t for t in seeds if t.half == "held-out"], [t for t in basil if t.half == "held-out"])
        report["held_out"] = {"score": name, "level": float(level), **held_out(calib, test, scores, float(level))}
        print("held-out:", report["held_out"])
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
