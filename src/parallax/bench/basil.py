"""``parallax bench compare --dataset basil``: the comparer by publisher on BASIL's news events.

BASIL (Fan et al., EMNLP 2019) has news events each reported by Fox News, The New York Times and
HuffPost; ``basil-dev`` holds 50 of them (150 articles) in the layout a user would have: ``corpus/<year>/``
with a ``sources.json`` giving each file's publisher, title and date, and ``events.jsonl`` naming each
event (``main_event``) and its three articles. For every event, ``compare "<event>" --by publisher``
on the index of all 150 articles is scored on:

- **covers**: each outlet that reported the event is ``covers`` (3 outlets x 50 events);
- **own evidence**: that outlet's first key passage comes from its own article on the event;
- **removed**: with the outlet's article left out (``--where document!=<it>``: its rows are masked, the
  rest of the index is unchanged), the outlet is not ``covers``: none of its other 49 articles is
  taken to cover the event;
- **false covers**: the share of the other articles (not the event's) judged to cover it;
- **search**: ``search "<event>"`` puts the event's three articles among the first 3 (and 5) documents;
- the latency of ``compare --by publisher`` (model and index loaded; one warm-up off the record).

Events are split as the coverage rule's calibration split them (sorted by id: even positions
calibrated the rule, odd positions are held out); both halves are reported, the held-out half is the
honest figure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from parallax.analyze.compare import Comparer, Scope
from parallax.analyze.comparison import Comparison, SourceView
from parallax.bench.environment import environment
from parallax.bench.metrics import percentiles
from parallax.core.errors import InputError
from parallax.core.files import atomic_write
from parallax.embed.registry import Embedder
from parallax.index.reader import Index
from parallax.search.searcher import Searcher

BY = "publisher"
SEARCH_DEPTH = 60  # chunks read to rank the first documents


@dataclass(frozen=True)
class Event:
    """One BASIL event: its id, name and each outlet's article (its source id in the index)."""

    id: str
    name: str
    articles: dict[str, str]  # publisher -> source id ("2010/fox-2b95d2cf.txt")
    held_out: bool


def load_events(folder: Path) -> list[Event]:
    """The events of a BASIL folder (``events.jsonl``), split by id: odd positions held out."""
    path = folder / "events.jsonl"
    try:
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read BASIL events from {path}: {exc}; give the basil-dev folder") from None
    lines.sort(key=lambda e: str(e["triplet"]))
    return [
        Event(
            str(e["triplet"]),
            str(e["main_event"]),
            {publisher: str(a["file"]) for publisher, a in e["articles"].items()},
            i % 2 == 1,
        )
        for i, e in enumerate(lines)
    ]


@dataclass(frozen=True)
class EventScore:
    """What one event gave: per outlet, covered / own first passage / not covers once removed."""

    event: str
    name: str
    held_out: bool
    covers: dict[str, bool]
    own_first: dict[str, bool]
    removed_not_covers: dict[str, bool]
    false_covers: int  # the event's non-articles judged to cover it
    others: int  # how many those are
    search_rank: list[int]  # each article's rank among the documents search returns (0: not found)
    latency_ms: float


@dataclass
class Half:
    """The figures over one half of the events."""

    name: str
    events: int
    covers: float
    own_evidence: float
    removed_not_covers: float
    false_covers: float
    search_top3: float
    search_top5: float
    latency_ms: dict[str, float]


@dataclass
class BasilResult:
    model: str
    index: str
    documents: int
    halves: list[Half]
    events: list[EventScore] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _document_ranks(searcher: Searcher, event: Event) -> list[int]:
    """The rank of each of the event's articles among the distinct documents of ``search "<event>"``."""
    hits = searcher.search(event.name, k=SEARCH_DEPTH).hits
    order = list(dict.fromkeys(h.source for h in hits))
    return [order.index(s) + 1 if s in order else 0 for s in event.articles.values()]


def score_event(comparer: Comparer, searcher: Searcher, event: Event) -> EventScore:
    """Compare one event by publisher, then once per outlet with its article left out."""
    cmp = comparer.compare(event.name, scope=Scope(BY))
    covers, own = {}, {}
    for publisher, article in event.articles.items():
        view = _view(cmp, publisher)
        covers[publisher] = view.coverage == "covers"
        own[publisher] = bool(view.passages) and view.passages[0].source == article
    removed = {}
    for publisher, article in event.articles.items():
        left = comparer.compare(event.name, scope=Scope(BY, (f"document!={article}",)))
        removed[publisher] = _view(left, publisher).coverage != "covers"
    mine = set(event.articles.values())
    false_covers = sum(1 for s, label in cmp.verdicts.items() if label == "covers" and s not in mine)
    others = len(cmp.verdicts) - len(mine)
    ranks = _document_ranks(searcher, event)
    return EventScore(
        event.id, event.name, event.held_out, covers, own, removed, false_covers, others, ranks, cmp.latency_ms
    )


def _view(cmp: Comparison, publisher: str) -> SourceView:
    try:
        return cmp.source(publisher)
    except KeyError:
        raise InputError(f"no {BY} {publisher!r} in the index: is it a BASIL index with its sources.json?") from None


def _share(flags: Sequence[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else float("nan")


def summarise(name: str, scores: Sequence[EventScore]) -> Half:
    """The figures over ``scores``: shares of (event, outlet) pairs, of other articles, of articles found."""
    covers = [v for s in scores for v in s.covers.values()]
    own = [v for s in scores for v in s.own_first.values()]
    removed = [v for s in scores for v in s.removed_not_covers.values()]
    others = sum(s.others for s in scores)
    ranks = [r for s in scores for r in s.search_rank]
    return Half(
        name=name,
        events=len(scores),
        covers=_share(covers),
        own_evidence=_share(own),
        removed_not_covers=_share(removed),
        false_covers=round(sum(s.false_covers for s in scores) / others, 5) if others else float("nan"),
        search_top3=_share([0 < r <= 3 for r in ranks]),
        search_top5=_share([0 < r <= 5 for r in ranks]),
        latency_ms=percentiles([s.latency_ms for s in scores]),
    )


def bench_basil(index: Index, embedder: Embedder, folder: Path) -> BasilResult:
    """Score every event of ``folder`` on ``index`` (the BASIL corpus indexed with its sources.json)."""
    events = load_events(folder)
    known = {d.source for d in index.manifest.documents}
    missing = sorted({s for e in events for s in e.articles.values()} - known)
    if missing:
        raise InputError(
            f"{index.path} lacks {len(missing)} BASIL articles (e.g. {missing[0]}); "
            f"index the corpus with: parallax index {folder / 'corpus'} --index NEW_FOLDER"
        )
    comparer = Comparer(index, embedder)
    searcher = Searcher(index, embedder)
    comparer.load()
    comparer.compare(events[0].name, scope=Scope(BY))  # warm-up, off the record
    t0 = time.perf_counter()
    scores = [score_event(comparer, searcher, e) for e in events]
    halves = [
        summarise("all", scores),
        summarise("calibration", [s for s in scores if not s.held_out]),
        summarise("held-out", [s for s in scores if s.held_out]),
    ]
    env = {**environment(), "seconds": round(time.perf_counter() - t0, 1)}
    return BasilResult(embedder.model_id, str(index.path), len(known), halves, scores, env)


def write_basil_result(result: BasilResult, path: Path, command: str) -> None:
    """Save a result as JSON, with the command that produced it first."""
    atomic_write(path, json.dumps({"command": command, **result.to_dict()}, indent=2, ensure_ascii=False) + "\n")


BASIL_HEADER = ["events", "n", "covers", "own 1st", "removed", "false", "top 3", "top 5", "p50 ms", "p95 ms"]
BASIL_GOALS = ["goal", "", "≥ .95", "≥ .90", "≥ .90", "", "", "", "≤ 100", ""]
BASIL_NOTE = (
    "events: calibration (even positions by id) calibrated the coverage rule; held-out (odd) did not · "
    "covers, own 1st, removed: shares of (event, outlet) pairs · false: share of the other articles judged "
    "to cover the event · top 3, top 5: the event's articles among the first documents of search · "
    "latency of one compare --by publisher"
)


def basil_rows(result: BasilResult) -> list[list[str]]:
    rows = [
        [
            h.name,
            str(h.events),
            f"{h.covers:.3f}",
            f"{h.own_evidence:.3f}",
            f"{h.removed_not_covers:.3f}",
            f"{h.false_covers:.4f}",
            f"{h.search_top3:.3f}",
            f"{h.search_top5:.3f}",
            f"{h.latency_ms['p50']:.1f}",
            f"{h.latency_ms['p95']:.1f}",
        ]
        for h in result.halves
    ]
    return [*rows, BASIL_GOALS]
