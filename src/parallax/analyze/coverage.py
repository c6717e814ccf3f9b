"""The coverage verdict: does a source cover a topic, only mention it, or say nothing about it?

Per (topic, source), a few features are measured on the source's sentences (see ``features``); a
multinomial logistic regression over them gives P(silent), P(mentions), P(covers). The verdict is the
most probable class and the score is the expected coverage ``P(covers) + 0.5 * P(mentions)`` in [0, 1].

The parameters below were fitted once, with the all-MiniLM-L6-v2 vectors, on the calibration data only:
the calibration half (odd topic ids) of the labelled set ``benchmarks/data/seeds_coverage.json`` (60
cells, weight 1 each) and the calibration half of BASIL (``basil-dev``: the 25 events at even positions
in ``triplet`` order, topic = the event's name; its three articles "covers", the other 147 documents
"silent"; 3,750 rows weighing as much as the 60 seeds cells together), by::

    PYTHONPATH=src PARALLAX_HOME=/tmp/phome-compare .venv/bin/python benchmarks/calibrate_coverage.py

(``--basil PATH``: the basil-dev folder, default ``../shared/datasets/basil-dev``). Held out, never used
to choose anything: the seeds' even ids (``parallax bench compare``) and BASIL's odd positions
(``benchmarks/coverage_basil.py``).

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
# ``sentence_scores``); it is "on the topic" when that reaches SENTENCE_LEVEL. The weights were chosen by
# leave-one-topic-out cross-validation on the seeds' calibration half; the level (1.10, was 1.05) by
# cross-validation on the seeds' and BASIL's calibration halves (``benchmarks/calibrate_coverage.py``):
# both levels score 0.767 on the seeds, 1.10 makes five times fewer false "covers" on BASIL. It must stay
# above 1.0: a sentence without any topic word then never is on the topic (``candidates.py``).
LEX_WEIGHT = 0.5
RARE_WEIGHT = 0.5
SENTENCE_LEVEL = 1.10
CALIBRATED_FOR = "sentence-transformers/all-MiniLM-L6-v2"

# --- fitted by benchmarks/calibrate_coverage.py (see the module docstring); do not edit by hand ---
FEATURES = ("hybrid_max", "on_topic", "has_one", "has_two")
COEF = (
    (-1.5900, -0.5534, -1.3022, 0.1738),
    (0.9290, -0.1631, 0.8904, -0.8711),
    (0.6611, 0.7165, 0.4118, 0.6973),
)
INTERCEPT = (3.3081, -1.5452, -1.7629)
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
