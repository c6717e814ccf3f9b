"""Fit the coverage rule's parameters on the calibration half of the labelled set and print them.

    PARALLAX_HOME=/tmp/phome-compare .venv/bin/python benchmarks/calibrate_coverage.py

Calibration half: topics with odd ids (t01, t03, ...) of ``benchmarks/data/seeds_coverage.json``; the
even ids are held out and only scored by ``parallax bench compare``. The model is a multinomial
logistic regression (scikit-learn, lbfgs, C=1) over ``coverage.FEATURES`` measured by
``Comparer.source_features`` on the seeds index with all-MiniLM-L6-v2. The sentence-level settings
(``LEX_WEIGHT``, ``RARE_WEIGHT``, ``SENTENCE_LEVEL``) were chosen by leave-one-topic-out
cross-validation on the calibration half; this script reports that cross-validation for the settings
in ``coverage.py``. Paste the printed constants into ``src/parallax/coverage.py``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from parallax.analyze.compare import Comparer
from parallax.analyze.coverage import FEATURES, LABELS
from parallax.api import open_index
from parallax.bench.compare import load_coverage_labels
from parallax.embed.registry import get_embedder


def fit(x: np.ndarray, y: list[str], c: float) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    order = [list(model.classes_).index(label) for label in LABELS]
    return model.coef_[order], model.intercept_[order]


def predict(x: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> list[str]:
    return [LABELS[int(i)] for i in np.argmax(x @ coef.T + intercept, axis=1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", default=None, help="Index of the seeds (default: the seeds index).")
    parser.add_argument("-C", type=float, default=1.0, help="Inverse regularisation strength.")
    args = parser.parse_args()
    index = open_index(args.index)
    comparer = Comparer(index, get_embedder(index.manifest.model_id))
    comparer.load()
    rows, labels, topics = [], [], []
    for topic in load_coverage_labels():
        if int(topic.id[1:]) % 2 == 0:
            continue  # held out
        feats = comparer.source_features(topic.topic)
        for source, label in topic.labels.items():
            rows.append(feats[source].vector())
            labels.append(label)
            topics.append(topic.id)
    x = np.asarray(rows)
    coef, intercept = fit(x, labels, args.C)
    train = np.mean([p == t for p, t in zip(predict(x, coef, intercept), labels)])
    hits = 0
    for held in sorted(set(topics)):
        keep = [t != held for t in topics]
        c, b = fit(x[keep], [lab for lab, k in zip(labels, keep) if k], args.C)
        out = [not k for k in keep]
        hits += sum(p == t for p, t in zip(predict(x[out], c, b), [lab for lab, o in zip(labels, out) if o]))
    print(f"calibration half: {len(labels)} cells from {len(set(topics))} topics")
    print(f"accuracy on the calibration half (fitted on it): {train:.3f}")
    print(f"leave-one-topic-out accuracy on the calibration half: {hits / len(labels):.3f}")
    print(f"FEATURES = {FEATURES!r}")
    print("COEF = (")
    for row in coef:
        print("    (" + ", ".join(f"{v:.4f}" for v in row) + "),")
    print(")")
    print("INTERCEPT = (" + ", ".join(f"{v:.4f}" for v in intercept) + ")")


if __name__ == "__main__":
    main()
