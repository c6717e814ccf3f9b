"""Comparing groups of documents (``compare --by publisher``) rather than documents one by one.

Every document of the scope gets its own coverage verdict, as without ``--by``; a group then:

- **covers** the topic when at least one of its documents covers it, else **mentions** it when one
  mentions it, else is **silent**; its score is its best document's, and it counts its documents of each
  verdict ("3 of 52 documents cover it");
- shows key passages from its best documents (ranked by verdict, then score), the best passage of each
  covering document in turn, then their second ones, then those of the documents that only mention it:
  at most two per document, each naming its document;
- speaks through the topic sentences of those documents, best first (at most ``GROUP_SENTENCES``),
  so that distinctive terms, the agreement matrix, common ground and unique angles work between groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from parallax.analyze.comparison import DocumentCounts, SourceView
from parallax.analyze.coverage import CoverageFeatures, Verdict, decide_all, features
from parallax.analyze.passage import Passage
from parallax.index.fields import DOCUMENT, Group, Where, group, parse_where, resolve_field, select
from parallax.index.manifest import DocumentRecord

GROUP_SENTENCES = 12  # topic sentences per group for the cross-group view
PER_DOCUMENT = 2  # key passages per document of a group
_RANK = {"covers": 2, "mentions": 1, "silent": 0}
_EMPTY = features(np.zeros(0))


@dataclass(frozen=True)
class Scope:
    """Which documents a comparison reads (``--where`` conditions) and what it groups them on (``--by``)."""

    by: str = DOCUMENT
    where: tuple[str, ...] = ()

    def resolve(self, records: Sequence[DocumentRecord]) -> Chosen:
        """The documents kept and their groups; an error for an unknown field or a filter that keeps none."""
        conditions = [parse_where(w, records) for w in self.where]
        kept = select(records, conditions)
        by = resolve_field(records, self.by) if self.by else DOCUMENT
        return Chosen(by, kept, None if by == DOCUMENT else group(kept, by), conditions)


@dataclass(frozen=True)
class Chosen:
    """A resolved scope: the field, the documents kept (index order) and their groups (None: no ``--by``)."""

    by: str
    records: list[DocumentRecord]
    groups: list[Group] | None
    where: list[Where] = field(default_factory=list)  # the --where conditions, parsed

    @property
    def sources(self) -> list[str]:
        return [r.source for r in self.records]


@dataclass(frozen=True)
class Judged:
    """One document's verdict on the topic."""

    source: str
    verdict: Verdict
    features: CoverageFeatures

    @property
    def key(self) -> tuple[int, float, float]:
        """Sort key, best first: verdict, score, best sentence score."""
        return (-_RANK[self.verdict.label], -self.verdict.score, -self.features.hybrid_max)


def judge_all(sources: Iterable[str], rows_of: Callable[[str], np.ndarray], scores: np.ndarray) -> dict[str, Judged]:
    """The verdict of every document, in ``sources`` order, decided together. A document without a
    scored row is silent, decided once: on a large index most documents have no candidate for a topic."""
    names = list(sources)
    rows = {s: r for s in names if len(r := rows_of(s))}
    feats = [features(scores[r]) for r in rows.values()]
    judged = {s: Judged(s, v, f) for s, v, f in zip(rows, decide_all(feats), feats)}
    silent = decide_all([_EMPTY])[0]
    return {s: judged.get(s) or Judged(s, silent, _EMPTY) for s in names}


def group_title(by: str, g: Group) -> str:
    """A group's label: its value, or what it lacks."""
    if g.key is None:
        return f"no {by} recorded"
    if by == "folder" and g.key == ".":
        return "(top folder)"
    return g.key


def group_view(by: str, g: Group, judged: dict[str, Judged]) -> SourceView:
    """A group's verdict, score and counts, from its documents' verdicts (passages come later)."""
    members = [judged[s] for s in g.members]
    labels = [j.verdict.label for j in members]
    counts = DocumentCounts(len(labels), labels.count("covers"), labels.count("mentions"), labels.count("silent"))
    best = min(members, key=lambda j: j.key)  # no sort: a group may hold tens of thousands of documents
    label = "covers" if counts.covers else ("mentions" if counts.mentions else "silent")
    verdict = best.verdict
    view = SourceView(g.name, group_title(by, g), g.name, label, verdict.score, best.features, verdict.probabilities)
    view.documents = counts
    return view


def speaking(g: Group, judged: dict[str, Judged], readable: set[str], most: int) -> list[str]:
    """The group's best documents that cover or mention the topic (and were read whole), best first."""
    ranked = sorted((judged[s] for s in g.members if s in readable), key=lambda j: j.key)
    return [j.source for j in ranked if j.verdict.label != "silent"][:most]


def interleave(per_document: Sequence[Sequence[Passage]], labels: Sequence[str], k: int) -> list[Passage]:
    """``k`` passages of a group's best documents (best first, with their verdicts ``labels``): the best
    passage of each covering document in turn, then their second ones; then the same for the documents
    that only mention the topic."""
    turns = [
        (-_RANK[label], turn, i)
        for i, (passages, label) in enumerate(zip(per_document, labels))
        for turn in range(min(PER_DOCUMENT, len(passages)))
    ]
    return [per_document[i][turn] for _, turn, i in sorted(turns)[:k]]


def merged_rows(per_document: Sequence[np.ndarray], scores: np.ndarray, most: int = GROUP_SENTENCES) -> np.ndarray:
    """The topic sentences of a group's documents, best first, ``most`` at most (each document's best kept)."""
    firsts = [rows[:1] for rows in per_document if len(rows)]
    rest = [rows[1:] for rows in per_document if len(rows) > 1]
    head = np.concatenate(firsts) if firsts else np.zeros(0, np.int64)
    tail = np.concatenate(rest) if rest else np.zeros(0, np.int64)
    head = head[np.argsort(-scores[head], kind="stable")][:most]
    tail = tail[np.argsort(-scores[tail], kind="stable")][: max(0, most - len(head))]
    return np.concatenate([head, tail]).astype(np.int64)
