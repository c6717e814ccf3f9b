"""The result of ``parallax topics``: the topics, the sources, the sources x topics coverage; its JSON.

The rows of the map (``TopicMap.rows``: what coverage, ``lead`` and ``ignored_by`` are keyed by) are
the documents, or with ``--by`` the groups of documents (``GroupInfo``); the JSON then says ``"by"``
and lists ``groups`` where it lists ``sources``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parallax.analyze.passage import Passage
from parallax.index.fields import DOCUMENT


@dataclass
class Topic:
    """One topic: its label and terms, a compare query, its size, and each source's share in it."""

    id: int
    label: str
    terms: list[str]
    query: str
    size: int  # units (sentences or chunks)
    chars: int
    share: float  # of all the corpus's text
    coherence: float  # mean cosine of the members to their centroid, full embedding space
    coverage: dict[str, float]  # source -> share of that source's text in this topic
    lead: str | None = None  # the source that covers this topic and the others much less
    ignored_by: list[str] = field(default_factory=list)
    examples: list[Passage] = field(default_factory=list)  # score: cosine with the topic's centroid

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "terms": self.terms,
            "query": self.query,
            "size": self.size,
            "chars": self.chars,
            "share": round(self.share, 4),
            "coherence": round(self.coherence, 4),
            "coverage": {s: round(v, 4) for s, v in self.coverage.items()},
            "lead": self.lead,
            "ignored_by": self.ignored_by,
            "examples": [p.to_dict(with_source=True, clean_text=True) for p in self.examples],
        }


@dataclass(frozen=True)
class SourceInfo:
    """A source of the map: its names, and how many units and characters of text it has."""

    source: str
    title: str
    short_id: str
    units: int
    chars: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "short_id": self.short_id,
            "units": self.units,
            "chars": self.chars,
        }


@dataclass(frozen=True)
class GroupInfo:
    """A group of the map (``--by``): its field value (None: the documents without one), its label, how
    many documents it holds, and their units and characters of text."""

    name: str  # the key of the group's coverage, lead and ignored_by ("unknown" for value None)
    value: str | None
    label: str
    documents: int
    units: int
    chars: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "label": self.label,
            "documents": self.documents,
            "units": self.units,
            "chars": self.chars,
        }


@dataclass(frozen=True)
class MapRow:
    """A row of the map as a renderer shows it: its key in coverage, its name, and its size."""

    key: str
    shown: str
    documents: int
    units: int


@dataclass
class TopicMap:
    """A map of a corpus: its topics and how much of each source's text each one holds."""

    topics: list[Topic]
    sources: list[SourceInfo]
    matrix: list[list[float]]  # sources x topics: share of each source's text in each topic
    other: list[float]  # per source: share of its text in no topic (fillers, by-lines, fragments)
    assignments: list[int]  # per unit, in index order: topic id, or -1 for other
    unit: str  # "sentence" or "chunk"
    k: int  # clusters made, before the miscellany was set aside
    k_auto: bool
    silhouette: dict[int, float]  # k -> cosine silhouette, for the k tried
    k_requested: int | None = None  # what -n asked for (None: k chosen by silhouette)
    k_note: str = ""  # how k was chosen: 'k = 11 by silhouette', 'k = 4 as asked', or why -n was capped
    index: str = ""
    model: str = ""
    latency_ms: float = 0.0
    by: str = DOCUMENT  # the field the rows are grouped on (``--by``); "document": each document alone
    groups: list[GroupInfo] | None = None  # the rows with ``--by``; None: the rows are ``sources``
    where: list[str] = field(default_factory=list)  # the ``--where`` conditions that chose the documents

    @property
    def grouped(self) -> bool:
        return self.groups is not None

    @property
    def noun(self) -> str:
        """What a row is, in words: 'source', or the field grouped on ('publisher')."""
        return self.by if self.grouped else "source"

    @property
    def rows(self) -> list[MapRow]:
        """The rows of ``matrix`` and ``other``: the groups with ``--by``, else the sources."""
        if self.groups is not None:
            return [MapRow(g.name, g.label, g.documents, g.units) for g in self.groups]
        return [MapRow(s.source, s.short_id, 1, s.units) for s in self.sources]

    @property
    def how_k(self) -> str:
        """How k was chosen, in words."""
        return self.k_note or (f"k = {self.k} by silhouette" if self.k_auto else f"k = {self.k} as asked")

    def leads(self) -> dict[str, list[Topic]]:
        """Per source (or group), the topics it covers that the others cover much less or not at all."""
        out: dict[str, list[Topic]] = {r.key: [] for r in self.rows}
        for t in self.topics:
            if t.lead is not None:
                out[t.lead].append(t)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``parallax topics --json`` (with ``by`` and ``groups`` for a grouped map, and
        ``where`` for a filtered one)."""
        head: dict[str, Any] = {"index": self.index, "model": self.model}
        if self.groups is not None:
            head["by"] = self.by
        if self.where:
            head["where"] = list(self.where)
        if self.groups is not None or self.where:
            head["documents"] = len(self.sources)  # the documents mapped
        rows = "sources" if self.groups is None else "groups"
        listed = [s.to_dict() for s in self.sources] if self.groups is None else [g.to_dict() for g in self.groups]
        return {
            **head,
            "unit": self.unit,
            "units": len(self.assignments),
            "k": self.k,
            "k_auto": self.k_auto,
            "k_requested": self.k_requested,
            "k_note": self.k_note,
            "silhouette": {str(k): round(v, 4) for k, v in self.silhouette.items()},
            "latency_ms": {"total": round(self.latency_ms, 3)},
            "topics": [t.to_dict() for t in self.topics],
            rows: listed,
            "coverage": {
                rows: [r.key for r in self.rows],
                "topics": [t.id for t in self.topics],
                "matrix": [[round(v, 4) for v in row] for row in self.matrix],
                "other": [round(v, 4) for v in self.other],
            },
        }
