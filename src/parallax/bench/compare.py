"""``parallax bench compare``: the comparer's coverage verdicts against the labelled seeds set.

``benchmarks/data/seeds_coverage.json`` labels 24 topics x 5 seed sources as covers / mentions / silent,
with verbatim evidence phrases. Topics with odd ids are the calibration half (the coverage rule was
fitted on them, ``benchmarks/calibrate_coverage.py``); even ids are held out. Each half is reported
separately: accuracy, precision and recall of "silent", the confusion matrix, how often the top key
passage of a covered cell holds the evidence, and the latency of a whole comparison.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from parallax.analyze.compare import Comparer, Passage
from parallax.analyze.coverage import LABELS
from parallax.bench.environment import environment
from parallax.bench.labelled import covers
from parallax.bench.metrics import percentiles
from parallax.core.errors import InputError
from parallax.core.files import atomic_write
from parallax.core.settings import seeds_coverage_path
from parallax.embed.registry import Embedder
from parallax.index.reader import Index

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class LabelledTopic:
    id: str
    topic: str
    labels: dict[str, str]  # source -> covers / mentions / silent
    evidence: dict[str, list[str]]  # source -> verbatim phrases

    @property
    def calibration(self) -> bool:
        return int(self.id.lstrip("t")) % 2 == 1


def load_coverage_labels(path: Path | None = None) -> list[LabelledTopic]:
    path = path or seeds_coverage_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the labelled coverage set {path}: {exc}") from None
    out = []
    for t in data["topics"]:
        cells = t["cells"]
        out.append(
            LabelledTopic(
                t["id"],
                t["topic"],
                {s: c["label"] for s, c in cells.items()},
                {s: list(c["evidence"]) for s, c in cells.items()},
            )
        )
    return out


def holds_evidence(passage: Passage, document: str, phrases: Sequence[str]) -> bool:
    """The passage overlaps at least half of an evidence phrase's span, or holds half of its words."""
    words = {w.lower() for w in _WORD.findall(passage.plain or passage.text)}
    for phrase in phrases:
        at = document.find(phrase)
        while at >= 0:
            if covers(passage.start, passage.end, (at, at + len(phrase))):
                return True
            at = document.find(phrase, at + 1)
        want = [w.lower() for w in _WORD.findall(phrase)]
        if want and 2 * sum(w in words for w in want) >= len(want):
            return True
    return False


@dataclass
class HalfResult:
    name: str  # "calibration (odd ids)"
    topics: int
    cells: int
    accuracy: float
    silent_precision: float
    silent_recall: float
    confusion: dict[str, dict[str, int]]  # true label -> predicted label -> count
    evidence_rate: float  # covered cells whose top passage holds the evidence
    covered_cells: int
    latency_ms: dict[str, float]
    short_name: str  # "calibration": the table's first column; not saved with the results

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["short_name"]
        return data


@dataclass
class CompareBenchResult:
    model: str
    index: str
    halves: list[HalfResult]
    cells: list[dict[str, Any]] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["halves"] = [h.to_dict() for h in self.halves]
        return data


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else float("nan")


def _half(name: str, short_name: str, cells: list[dict[str, Any]], latency: list[float], topics: int) -> HalfResult:
    confusion = {t: {p: 0 for p in LABELS} for t in LABELS}
    for c in cells:
        confusion[c["label"]][c["predicted"]] += 1
    correct = sum(confusion[t][t] for t in LABELS)
    predicted_silent = sum(confusion[t]["silent"] for t in LABELS)
    covered = [c for c in cells if c["label"] == "covers"]
    return HalfResult(
        name=name,
        topics=topics,
        cells=len(cells),
        accuracy=_ratio(correct, len(cells)),
        silent_precision=_ratio(confusion["silent"]["silent"], predicted_silent),
        silent_recall=_ratio(confusion["silent"]["silent"], sum(confusion["silent"].values())),
        confusion=confusion,
        evidence_rate=_ratio(sum(c["evidence_in_top"] for c in covered), len(covered)),
        covered_cells=len(covered),
        latency_ms=percentiles(latency),
        short_name=short_name,
    )


def bench_compare(
    index: Index, embedder: Embedder, labels_path: Path | None = None, passages: int = 3
) -> CompareBenchResult:
    """Run ``compare`` on every labelled topic and score each half of the set."""
    topics = load_coverage_labels(labels_path)
    known = {d.source for d in index.manifest.documents}
    missing = sorted({s for t in topics for s in t.labels} - known)
    if missing:
        raise InputError(f"{index.path} lacks the labelled sources {', '.join(missing)}; run it on the seeds index")
    comparer = Comparer(index, embedder)
    comparer.load()
    comparer.compare(topics[0].topic, passages=passages)  # warm-up, off the record
    cells: list[dict[str, Any]] = []
    latency: dict[bool, list[float]] = {True: [], False: []}
    for topic in topics:
        result = comparer.compare(topic.topic, passages=passages)
        latency[topic.calibration].append(result.latency_ms)
        for source, label in topic.labels.items():
            view = result.source(source)
            top = view.passages[0] if view.passages else None
            hit = top is not None and holds_evidence(top, comparer.text(source), topic.evidence[source])
            cells.append(
                {
                    "topic": topic.id,
                    "half": "calibration" if topic.calibration else "held-out",
                    "source": source,
                    "label": label,
                    "predicted": view.coverage,
                    "score": view.score,
                    "features": view.features.to_dict(),
                    "evidence_in_top": bool(hit),
                }
            )
    halves = []
    for short_name, ids, flag in (("calibration", "odd ids", True), ("held-out", "even ids", False)):
        mine = [c for c in cells if (c["half"] == "calibration") == flag]
        topic_count = sum(t.calibration == flag for t in topics)
        halves.append(_half(f"{short_name} ({ids})", short_name, mine, latency[flag], topic_count))
    return CompareBenchResult(embedder.model_id, str(index.path), halves, cells, environment())


def write_compare_result(result: CompareBenchResult, path: Path, command: str) -> None:
    """Save a result as JSON, with the command that produced it first."""
    data = {"command": command, **result.to_dict()}
    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


COMPARE_HEADER = ["half", "cells", "accuracy", "silent P", "silent R", "evidence", "p50 ms", "p95 ms"]
COMPARE_NOTE = (
    "calibration: odd topic ids, held-out: even ids · silent P/R: precision and recall of silent · "
    "evidence: covered cells whose top passage holds the labelled evidence (of n) · latency of one comparison"
)


def compare_rows(result: CompareBenchResult) -> list[list[str]]:
    return [
        [
            h.short_name,
            str(h.cells),
            f"{h.accuracy:.3f}",
            f"{h.silent_precision:.3f}",
            f"{h.silent_recall:.3f}",
            f"{h.evidence_rate:.3f} ({h.covered_cells})",
            f"{h.latency_ms['p50']:.1f}",
            f"{h.latency_ms['p95']:.1f}",
        ]
        for h in result.halves
    ]


def confusion_rows(half: HalfResult) -> list[list[str]]:
    return [[t, *(str(half.confusion[t][p]) for p in LABELS)] for t in LABELS]
