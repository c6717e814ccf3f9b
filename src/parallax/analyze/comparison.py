"""The result of ``parallax compare``: per-source views, agreement, common ground, unique angles; its JSON.

Scores, each documented where it is set:

- ``SourceView.score``: the coverage rule's expected coverage in [0, 1].
- key passage ``score``: cosine of the topic with the passage's best sentence.
- ``distinctive_passage`` and unique angle ``score``: 1 - the passage's highest cosine with any topic
  sentence of another source (1.0: nothing like it elsewhere).
- common ground passage ``score``: cosine of the sentence with its point's centroid.
- a group's ``score`` (``--by``): the score of its best document.
- agreement: mean best-match cosine between two sources' topic sentences, averaged both ways; 1.0 on
  the diagonal; 0.0 for any pair with a silent source (there is nothing to compare, and the matrix stays
  a plain matrix of floats).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from parallax.analyze.coverage import CoverageFeatures
from parallax.analyze.facts import Facts
from parallax.analyze.passage import Passage


@dataclass(frozen=True)
class DocumentCounts:
    """How many documents of a group cover the topic, mention it, or are silent on it."""

    total: int
    covers: int
    mentions: int
    silent: int

    def to_dict(self) -> dict[str, int]:
        return {"total": self.total, "covers": self.covers, "mentions": self.mentions, "silent": self.silent}


@dataclass
class SourceView:
    """How one source treats the topic: a document, or with ``--by`` a group of documents (``documents``)."""

    source: str
    title: str
    short_id: str
    coverage: str
    score: float
    features: CoverageFeatures
    probabilities: dict[str, float]
    passages: list[Passage] = field(default_factory=list)
    distinctive_terms: list[str] = field(default_factory=list)
    distinctive_passage: Passage | None = None
    documents: DocumentCounts | None = None  # a group's counts; None for a single document

    def to_dict(self, titles: dict[str, str] | None = None) -> dict[str, Any]:
        """The JSON object of one source; with ``titles`` (document -> title), of one group."""
        if titles is not None and self.documents is not None:
            return self._group_dict(titles)
        return {
            "source": self.source,
            "title": self.title,
            "short_id": self.short_id,
            "coverage": self.coverage,
            "score": round(float(self.score), 4),
            "passages": [p.to_dict() for p in self.passages],
            "distinctive_terms": list(self.distinctive_terms),
            "distinctive_passage": self.distinctive_passage.to_dict() if self.distinctive_passage else None,
        }

    def _group_dict(self, titles: dict[str, str]) -> dict[str, Any]:
        assert self.documents is not None
        distinct = self.distinctive_passage
        return {
            "source": self.source,
            "title": self.title,
            "documents": self.documents.to_dict(),
            "coverage": self.coverage,
            "score": round(float(self.score), 4),
            "passages": [document_passage(p, titles) for p in self.passages],
            "distinctive_terms": list(self.distinctive_terms),
            "distinctive_passage": document_passage(distinct, titles) if distinct else None,
        }


def document_passage(passage: Passage, titles: dict[str, str]) -> dict[str, Any]:
    """A passage of a group as JSON: the document that holds it (its source id) and that document's title."""
    out = passage.to_dict()
    return {
        "score": out["score"],
        "document": passage.source,
        "title": titles.get(passage.source, passage.source),
        **{k: out[k] for k in ("start", "end", "text")},
    }


@dataclass(frozen=True)
class AlignedPassage:
    """One source's passage on a shared point, with the facts it states."""

    passage: Passage
    facts: Facts
    owner: str = ""  # the source (or group) it speaks for, when that is not the passage's document

    def to_dict(self, titles: dict[str, str] | None = None) -> dict[str, Any]:
        if titles is not None:
            return {"source": self.owner, **document_passage(self.passage, titles), "facts": self.facts.to_dict()}
        return {**self.passage.to_dict(with_source=True), "facts": self.facts.to_dict()}


@dataclass(frozen=True)
class Point:
    """A point made by two or more sources: one passage per source, with the facts each states."""

    label: str
    sources: list[str]
    passages: list[AlignedPassage]

    def to_dict(self, titles: dict[str, str] | None = None) -> dict[str, Any]:
        passages = [p.to_dict(titles) for p in self.passages]
        return {"label": self.label, "sources": list(self.sources), "passages": passages}


@dataclass(frozen=True)
class UniqueAngle:
    """A point only one source makes."""

    source: str
    label: str
    passage: Passage

    def to_dict(self, titles: dict[str, str] | None = None) -> dict[str, Any]:
        passage = self.passage.to_dict() if titles is None else document_passage(self.passage, titles)
        return {"source": self.source, "label": self.label, "passage": passage}


@dataclass
class Comparison:
    """How every source of an index treats one topic. ``notes`` are caveats for the reader (stderr), not JSON."""

    topic: str
    topic_terms: list[str]
    sources: list[SourceView]
    agreement_sources: list[str]
    agreement: np.ndarray
    common_ground: list[Point]
    unique_angles: list[UniqueAngle]
    latency_ms: float
    notes: list[str] = field(default_factory=list)
    by: str = "document"  # the field sources are grouped on (``--by``); "document": each document alone
    titles: dict[str, str] = field(default_factory=dict)  # document -> title, for the passages of groups
    short_ids: dict[str, str] = field(default_factory=dict)  # document -> its short id, for the passages of groups
    verdicts: dict[str, str] = field(default_factory=dict)  # document -> its own verdict, in groups (not in JSON)

    @property
    def grouped(self) -> bool:
        return self.by != "document"

    def source(self, name: str) -> SourceView:
        for view in self.sources:
            if name in (view.source, view.short_id):
                return view
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``parallax compare --json`` (with ``by`` and document counts for groups)."""
        titles = self.titles if self.grouped else None
        head: dict[str, Any] = {"topic": self.topic, "by": self.by} if self.grouped else {"topic": self.topic}
        return {
            **head,
            "latency_ms": {"total": round(self.latency_ms, 3)},
            "topic_terms": list(self.topic_terms),
            "sources": [v.to_dict(titles) for v in self.sources],
            "agreement": {
                "sources": list(self.agreement_sources),
                "matrix": [[round(float(x), 4) for x in row] for row in self.agreement],
            },
            "common_ground": [p.to_dict(titles) for p in self.common_ground],
            "unique_angles": [u.to_dict(titles) for u in self.unique_angles],
        }
