"""The coverage verdict on BASIL: does each outlet's own article cover its event, and nothing else?

    PYTHONPATH=src .venv/bin/python benchmarks/coverage_basil.py [--basil PATH] [--basil-index DIR]

``basil-dev`` (default ``../shared/datasets/basil-dev`` next to the repository, or next to the
main checkout when run from a git worktree) holds 150 news articles:
50 events (2010-2014), each reported by Fox News, The New York Times and HuffPost. The topic is the
event's ``main_event``; the event's three articles cover it, the other 147 documents are taken as not
covering it (mostly silent; a few report a related event and may rightly "mention" it). Events are sorted
by ``triplet``: even positions (0, 2, ...) are the calibration half (``calibrate_coverage.py`` fits on
them), odd positions the held-out half, scored here.

Figures per half, from the shipped rule (``coverage.decide`` on ``Comparer.source_features``):

- document level: ``covers_recall`` (the event's own articles judged "covers"), ``false_covers`` (the
  share of the other documents judged "covers"), ``false_mentions`` (same, "mentions");
- group level, a group being one publisher's 50 documents, which "covers" when at least one of them does:
  ``group_covers`` (share of (event, outlet) pairs whose outlet group covers the event) and
  ``group_removed_not_covers`` (the same group with the outlet's own article removed is *not* "covers":
  none of its 49 other documents is judged "covers").

Without ``--basil-index`` the corpus is indexed in a temporary folder (default settings, about a minute).
Writes ``benchmarks/results/coverage-basil.json`` (with ``--out``) and prints the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parallax.analyze.compare import Comparer
from parallax.analyze.coverage import SENTENCE_LEVEL, CoverageFeatures, decide
from parallax.bench.environment import environment
from parallax.embed.registry import get_embedder
from parallax.index.reader import Index

REPO = Path(__file__).resolve().parents[1]


def _default_basil() -> Path:
    """``../shared/datasets/basil-dev`` next to the repository (the main checkout, from a git worktree)."""
    roots = [REPO]
    git = REPO / ".git"
    if git.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
        roots.append(Path(git.read_text(encoding="utf-8").split(":", 1)[1].strip()).parents[2])
    found = [root.parent / "shared" / "datasets" / "basil-dev" for root in roots]
    return next((p for p in found if p.is_dir()), found[0])


DEFAULT_BASIL = _default_basil()
RESULTS = REPO / "benchmarks" / "results"


@dataclass(frozen=True)
class Event:
    triplet: str
    topic: str  # main_event
    articles: dict[str, str]  # publisher -> source id (``2010/fox-2b95d2cf.txt``)


@dataclass(frozen=True)
class Cell:
    event: str
    source: str
    publisher: str
    own: bool  # the source is one of the event's articles
    features: CoverageFeatures


def load_events(basil: Path) -> list[Event]:
    """The events sorted by ``triplet``."""
    lines = (basil / "events.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines if line.strip()]
    out = [Event(e["triplet"], e["main_event"], {p: a["file"] for p, a in e["articles"].items()}) for e in events]
    return sorted(out, key=lambda e: e.triplet)


def split(events: Sequence[Event]) -> tuple[list[Event], list[Event]]:
    """(calibration, held-out): events at even and at odd positions in ``triplet`` order."""
    return list(events[0::2]), list(events[1::2])


@contextmanager
def basil_index(basil: Path, index: Path | None) -> Iterator[Index]:
    """The given BASIL index, or one built from ``basil/corpus`` in a temporary folder."""
    if index is not None:
        yield Index.load(index)
        return
    from parallax.core.settings import model_id
    from parallax.index.builder import build_index
    from parallax.ingest.load import load_corpus

    with tempfile.TemporaryDirectory(prefix="parallax-basil-") as tmp:
        print(f"indexing {basil / 'corpus'} (about a minute)…", file=sys.stderr)
        build_index(load_corpus([basil / "corpus"]), get_embedder(model_id()), Path(tmp) / "basil")
        yield Index.load(Path(tmp) / "basil")


def collect(index: Index, events: Sequence[Event], all_events: Sequence[Event]) -> list[Cell]:
    """The rule's features of every document of the index for each event's topic."""
    publisher = {source: p for e in all_events for p, source in e.articles.items()}
    comparer = Comparer(index, get_embedder(index.manifest.model_id))
    comparer.load()
    cells = []
    for event in events:
        own = set(event.articles.values())
        for source, feats in comparer.source_features(event.topic).items():
            cells.append(Cell(event.triplet, source, publisher[source], source in own, feats))
    return cells


def figures(cells: Sequence[Cell], predicted: Sequence[str]) -> dict[str, Any]:
    """Document- and group-level figures (see the module docstring) of one half."""
    own = [p for c, p in zip(cells, predicted) if c.own]
    rest = [p for c, p in zip(cells, predicted) if not c.own]
    pairs = covered = removed_not = 0
    by_group: dict[tuple[str, str], list[tuple[bool, str]]] = {}
    for c, p in zip(cells, predicted):
        by_group.setdefault((c.event, c.publisher), []).append((c.own, p))
    for members in by_group.values():
        if not any(is_own for is_own, _ in members):
            continue  # the outlet did not report the event (every outlet did in basil-dev)
        pairs += 1
        covered += any(p == "covers" for _, p in members)
        removed_not += not any(p == "covers" for is_own, p in members if not is_own)
    return {
        "events": len({c.event for c in cells}),
        "documents": len(cells),
        "covers_recall": round(own.count("covers") / len(own), 4),
        "false_covers": round(rest.count("covers") / len(rest), 5),
        "false_covers_count": rest.count("covers"),
        "false_mentions": round(rest.count("mentions") / len(rest), 5),
        "group_pairs": pairs,
        "group_covers": round(covered / pairs, 4),
        "group_removed_not_covers": round(removed_not / pairs, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--basil", type=Path, default=DEFAULT_BASIL, help="The basil-dev folder.")
    parser.add_argument("--basil-index", type=Path, default=None, help="An index of basil/corpus (else built).")
    parser.add_argument("--out", type=Path, default=None, help="Folder for coverage-basil.json.")
    args = parser.parse_args()
    events = load_events(args.basil)
    halves = dict(zip(("calibration (even positions)", "held-out (odd positions)"), split(events)))
    result: dict[str, Any] = {}
    with basil_index(args.basil, args.basil_index) as index:
        model = index.manifest.model_id
        for name, half in halves.items():
            cells = collect(index, half, events)
            result[name] = figures(cells, [decide(c.features).label for c in cells])
    for name, figs in result.items():
        print(name)
        for key, value in figs.items():
            print(f"  {key}: {value}")
    if args.out:
        command = " ".join(["python benchmarks/coverage_basil.py", *sys.argv[1:]])
        data = {
            "command": command,
            "environment": environment(),
            "model": model,
            "sentence_level": SENTENCE_LEVEL,
            "split": "events sorted by triplet; even positions: calibration, odd positions: held-out",
            "halves": result,
        }
        (args.out / "coverage-basil.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
