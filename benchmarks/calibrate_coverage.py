"""Fit the coverage rule's parameters on the calibration data and print them.

    PYTHONPATH=src PARALLAX_HOME=/tmp/phome-compare .venv/bin/python benchmarks/calibrate_coverage.py

Calibration data (nothing held out is read):

- the seeds: topics with odd ids (t01, t03, ...) of ``benchmarks/data/seeds_coverage.json``, 60 cells
  labelled covers / mentions / silent; the even ids are held out and only scored by
  ``parallax bench compare``;
- BASIL (``--basil``, default ``../shared/datasets/basil-dev`` next to the repository; see
  ``coverage_basil.py``): the events at even positions in ``triplet`` order, 25 events x 150 documents.
  An event's three articles are "covers"; every other document is fitted as "silent" (BASIL labels no
  "mentions"). The events at odd positions are held out, scored by ``coverage_basil.py``.

The model is a multinomial logistic regression (scikit-learn, lbfgs, C=1) over ``coverage.FEATURES``
measured by ``Comparer.source_features`` with all-MiniLM-L6-v2. Each seeds cell weighs 1; the BASIL
documents together weigh as much as the seeds cells (``--basil-weight`` times that), so that 3,750
mostly silent documents do not drown 60 three-way labels.

The sentence-level settings were chosen by cross-validation on the calibration data: 12 folds, fold i
holding out one seeds topic and every 12th BASIL event. ``SENTENCE_LEVEL`` 1.10 ties 1.05 on the seeds
(0.767) and makes far fewer false "covers" on BASIL; this script prints that cross-validation for each
level in ``--levels`` and the fit for ``coverage.SENTENCE_LEVEL``. Paste the printed constants into
``src/parallax/analyze/coverage.py``.

The seeds index is ``--index`` (default: the seeds index under ``PARALLAX_HOME``, built on first use);
the BASIL index is ``--basil-index``, else built in a temporary folder (about a minute).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from parallax.analyze.compare import Comparer
from parallax.analyze.coverage import FEATURES, LABELS, SENTENCE_LEVEL, features
from parallax.api import open_index
from parallax.bench.compare import load_coverage_labels
from parallax.embed.registry import get_embedder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coverage_basil import DEFAULT_BASIL, basil_index, load_events, split

FOLDS = 12


def fit(x: np.ndarray, y: list[str], w: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(C=c, max_iter=5000).fit(x, y, sample_weight=w)
    order = [list(model.classes_).index(label) for label in LABELS]
    return model.coef_[order], model.intercept_[order]


def predict(x: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> list[str]:
    return [LABELS[int(i)] for i in np.argmax(x @ coef.T + intercept, axis=1)]


def sentence_scores(comparer: Comparer, topics: list[tuple[str, str]]) -> dict[tuple[str, str], np.ndarray]:
    """(topic id, source) -> the source's sentence topic scores, for every source shown."""
    out = {}
    for topic_id, topic in topics:
        found, scores, _, _ = comparer.candidates(topic)
        for source in found.sources:
            out[(topic_id, source)] = scores[found.table.source_rows(source)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", default=None, help="Index of the seeds (default: the seeds index).")
    parser.add_argument("--basil", type=Path, default=DEFAULT_BASIL, help="The basil-dev folder.")
    parser.add_argument("--basil-index", type=Path, default=None, help="An index of basil/corpus (else built).")
    parser.add_argument("--basil-weight", type=float, default=1.0, help="BASIL's total weight / the seeds'.")
    parser.add_argument("--levels", default="1.05,1.10", help="Sentence levels to cross-validate.")
    parser.add_argument("-C", type=float, default=1.0, help="Inverse regularisation strength.")
    args = parser.parse_args()

    # Seeds: the calibration half only.
    index = open_index(args.index)
    comparer = Comparer(index, get_embedder(index.manifest.model_id))
    comparer.load()
    seeds = [t for t in load_coverage_labels() if int(t.id[1:]) % 2 == 1]
    seed_scores = sentence_scores(comparer, [(t.id, t.topic) for t in seeds])
    keys: list[tuple[str, str]] = []
    labels: list[str] = []
    folds: list[int] = []
    for i, topic in enumerate(seeds):
        for source, label in topic.labels.items():
            keys.append((topic.id, source))
            labels.append(label)
            folds.append(i % FOLDS)
    n_seeds = len(keys)

    # BASIL: the calibration events only.
    calibration, _ = split(load_events(args.basil))
    with basil_index(args.basil, args.basil_index) as basil:
        basil_comparer = Comparer(basil, get_embedder(basil.manifest.model_id))
        basil_comparer.load()
        basil_scores = sentence_scores(basil_comparer, [(e.triplet, e.topic) for e in calibration])
    scores = {**seed_scores, **basil_scores}
    for i, event in enumerate(calibration):
        own = set(event.articles.values())
        for topic_id, source in sorted(k for k in basil_scores if k[0] == event.triplet):
            keys.append((topic_id, source))
            labels.append("covers" if source in own else "silent")
            folds.append(i % FOLDS)
    n_basil = len(keys) - n_seeds
    weights = np.asarray([1.0] * n_seeds + [args.basil_weight * n_seeds / n_basil] * n_basil)
    fold = np.asarray(folds)
    is_seed = np.arange(len(keys)) < n_seeds
    is_own = np.asarray([lab == "covers" for lab in labels]) & ~is_seed
    print(f"calibration: {n_seeds} seeds cells from {len(seeds)} topics, {n_basil} BASIL documents x events")
    print(f"             from {len(calibration)} events ({int(is_own.sum())} own articles)")

    def design(level: float) -> np.ndarray:
        return np.asarray([features(scores[k], level).vector() for k in keys])

    print(f"{FOLDS}-fold cross-validation (one seeds topic and every {FOLDS}th BASIL event per fold):")
    for level in (float(v) for v in args.levels.split(",")):
        x = design(level)
        predicted = np.empty(len(keys), dtype=object)
        for f in range(FOLDS):
            train = fold != f
            coef, intercept = fit(x[train], [lab for lab, t in zip(labels, train) if t], weights[train], args.C)
            predicted[~train] = predict(x[~train], coef, intercept)
        truth = np.asarray(labels, dtype=object)
        seeds_acc = float(np.mean(predicted[is_seed] == truth[is_seed]))
        recall = float(np.mean(predicted[is_own] == "covers"))
        false = float(np.mean(predicted[~is_seed & ~is_own] == "covers"))
        print(
            f"  level {level:.2f}: seeds accuracy {seeds_acc:.3f} · BASIL own articles covers {recall:.3f}"
            f" · other documents covers {false:.4f}"
        )

    x = design(SENTENCE_LEVEL)
    coef, intercept = fit(x, labels, weights, args.C)
    seeds_fit = np.mean([p == t for p, t in zip(predict(x[is_seed], coef, intercept), labels[:n_seeds])])
    print(f"fitted at SENTENCE_LEVEL = {SENTENCE_LEVEL}; seeds calibration accuracy (fitted on it): {seeds_fit:.3f}")
    print(f"FEATURES = {FEATURES!r}")
    print("COEF = (")
    for row in coef:
        print("    (" + ", ".join(f"{v:.4f}" for v in row) + "),")
    print(")")
    print("INTERCEPT = (" + ", ".join(f"{v:.4f}" for v in intercept) + ")")


if __name__ == "__main__":
    main()
