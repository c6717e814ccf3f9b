"""The coverage verdict: does a source cover a topic, only mention it, or say nothing about it?

Per (topic, source), a few features are measured on the source's sentences (see ``features``); a
multinomial logistic regression over them gives P(silent), P(mentions), P(covers). The verdict is the
most probable class and the score is the expected coverage ``P(covers) + 0.5 * P(mentions)`` in [0, 1].

The parameters below were fitted once, on the calibration half (odd topic ids) of the labelled set
``benchmarks/data/seeds_coverage.json``, with the all-MiniLM-L6-v2 vectors, by::

    PARALLAX_HOME=/tmp/phome-compare .venv/bin/python benchmarks/calibrate_coverage.py

They are constants, never refitted at run time. Every feature is absolute (a cosine, an IDF-weighted
share of the topic's words, a count of sentences), so the rule does not depend on the topic. With
another embedding model the cosines mean something else and the rule is uncalibrated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LABELS = ("silent", "mentions", "covers")

# A sentence's topic score is cos(topic, sentence) + LEX_WEIGHT * lexical + RARE_WEIGHT * rare (see
# ``sentence_scores``); it is "on the topic" when that reaches SENTENCE_LEVEL. Chosen with the fit below
# by leave-one-topic-out cross-validation on the calibration half.
LEX_WEIGHT = 0.5
RARE_WEIGHT = 0.5
SENTENCE_LEVEL = 1.05
CALIBRATED_FOR = "sentence-transformers/all-MiniLM-L6-v2"

# --- fitted by benchmarks/calibrate_coverage.py (see the module docstring); do not edit by hand ---
FEATURES = ("hybrid_max", "on_topic", "has_one", "has_two")
COEF = (
    (-1.0857, -0.5454, -1.0891, 0.6543),
    (0.6002, -0.2586, 0.9143, -1.0740),
    (0.4855, 0.8040, 0.1747, 0.4197),
)
INTERCEPT = (2.3341, -0.9243, -1.4098)
# --- end of fitted parameters ---


@dataclass(frozen=True)
class CoverageFeatures:
    """What the rule sees of one source for one topic, from its sentences' topic scores.

    - ``hybrid_max``: the best sentence topic score (``sentence_scores``).
    - ``on_topic``: log(1 + n), n the number of sentences on the topic: how much of the source is about it.
    - ``has_one``, ``has_two``: 1.0 when n >= 1, n >= 2 (one statement versus several).
    """

    hybrid_max: float
    on_topic: float
    has_one: float
    has_two: float

    def vector(self) -> list[float]:
        return [float(getattr(self, name)) for name in FEATURES]

    def to_dict(self) -> dict[str, float]:
        return {name: round(float(getattr(self, name)), 4) for name in FEATURES}


def sentence_scores(dense: np.ndarray, lexical: np.ndarray, rare: np.ndarray) -> np.ndarray:
    """Per-sentence topic score.

    ``dense``: cosine of topic and sentence. ``lexical``: IDF-weighted share of the topic's stemmed words
    in the sentence. ``rare``: IDF of the most specific topic word the sentence holds over the highest
    IDF among the topic's words (1.0 when it holds the topic's rarest word).
    """
    return (
        np.asarray(dense, dtype=np.float64)
        + LEX_WEIGHT * np.asarray(lexical, dtype=np.float64)
        + RARE_WEIGHT * np.asarray(rare, dtype=np.float64)
    )


def features(scores: np.ndarray, level: float = SENTENCE_LEVEL) -> CoverageFeatures:
    """Features of one source from its sentences' topic scores; ``level`` marks a sentence on the topic."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return CoverageFeatures(0.0, 0.0, 0.0, 0.0)
    n = int((scores >= level).sum())
    return CoverageFeatures(float(scores.max()), math.log1p(n), float(n >= 1), float(n >= 2))


@dataclass(frozen=True)
class Verdict:
    label: str
    score: float
    probabilities: dict[str, float]


def probabilities(
    x: Sequence[float],
    coef: Sequence[Sequence[float]] = COEF,
    intercept: Sequence[float] = INTERCEPT,
) -> np.ndarray:
    """Softmax of the linear scores, one probability per label in ``LABELS`` order."""
    z = np.asarray(coef, dtype=np.float64) @ np.asarray(x, dtype=np.float64) + np.asarray(intercept, dtype=np.float64)
    z = z - z.max()
    p = np.exp(z)
    return np.asarray(p / p.sum())


def decide(
    feats: CoverageFeatures,
    coef: Sequence[Sequence[float]] = COEF,
    intercept: Sequence[float] = INTERCEPT,
) -> Verdict:
    """The verdict for one source: the most probable label and the expected coverage as score."""
    p = probabilities(feats.vector(), coef, intercept)
    label = LABELS[int(np.argmax(p))]
    score = float(p[2] + 0.5 * p[1])
    return Verdict(label, round(score, 4), {name: round(float(v), 4) for name, v in zip(LABELS, p)})


def decide_all(
    many: Sequence[CoverageFeatures],
    coef: Sequence[Sequence[float]] = COEF,
    intercept: Sequence[float] = INTERCEPT,
) -> list[Verdict]:
    """``decide`` for many documents at once, in one matrix product (``compare --by`` judges them all)."""
    if not many:
        return []
    z = np.asarray([f.vector() for f in many]) @ np.asarray(coef, dtype=np.float64).T + np.asarray(intercept)
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    labels = np.argmax(p, axis=1).tolist()
    scores = np.round(p[:, 2] + 0.5 * p[:, 1], 4).tolist()
    rounded = np.round(p, 4).tolist()
    return [
        Verdict(LABELS[label], score, dict(zip(LABELS, probs))) for label, score, probs in zip(labels, scores, rounded)
    ]
