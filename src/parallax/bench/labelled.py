"""The seeds' labelled queries: relevance is a source plus a verbatim phrase, so it does not depend
on how the documents are chunked.

``load_labelled_queries`` locates each phrase in its source; ``passage_run`` and ``passage_qrels`` turn
chunk hits into a run and judgements over the labelled passages, for ``metrics.score``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from parallax.core.errors import InputError


@dataclass(frozen=True)
class LabelledPassage:
    """A passage judged relevant to a query: a verbatim phrase of one source, wherever it occurs."""

    source: str
    phrase: str
    spans: tuple[tuple[int, int], ...]  # every occurrence of the phrase in the source


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    query: str
    kind: str
    relevant: tuple[LabelledPassage, ...]


def _spans(text: str, phrase: str) -> tuple[tuple[int, int], ...]:
    spans = []
    at = text.find(phrase)
    while at >= 0:
        spans.append((at, at + len(phrase)))
        at = text.find(phrase, at + 1)
    return tuple(spans)


def load_labelled_queries(path: Path, texts: Mapping[str, str]) -> list[LabelledQuery]:
    """Read ``seeds_queries.jsonl`` and locate each phrase in its source text."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        passages = []
        for rel in row["relevant"]:
            text = texts.get(rel["source"])
            if text is None:
                raise InputError(f"{path}:{n}: unknown source {rel['source']}")
            spans = _spans(text, rel["phrase"])
            if not spans:
                raise InputError(f"{path}:{n}: phrase not found in {rel['source']}: {rel['phrase']!r}")
            passages.append(LabelledPassage(rel["source"], rel["phrase"], spans))
        out.append(LabelledQuery(row["id"], row["query"], row.get("kind", ""), tuple(passages)))
    return out


def covers(start: int, end: int, span: tuple[int, int]) -> bool:
    """A chunk [start, end) holds a labelled phrase when it overlaps at least half of it."""
    overlap = min(end, span[1]) - max(start, span[0])
    return overlap * 2 >= span[1] - span[0] and overlap > 0


def passage_run(query: LabelledQuery, hits: Sequence[tuple[str, int, int]]) -> dict[str, float]:
    """Turn a ranked list of chunk hits ``(source, start, end)`` into a run over labelled passages.

    The first hit that holds passage i puts ``p<i>`` at that rank; a hit that holds no passage not
    already found is a non-relevant item. Scores encode the rank, so the order is kept exactly.
    """
    run: dict[str, float] = {}
    credited: set[int] = set()
    n = len(hits)
    for rank, (source, start, end) in enumerate(hits):
        new = [
            i
            for i, p in enumerate(query.relevant)
            if i not in credited and p.source == source and any(covers(start, end, s) for s in p.spans)
        ]
        if new:
            for i in new:
                run[f"p{i}"] = float(n - rank)
                credited.add(i)
        else:
            run[f"miss{rank}"] = float(n - rank)
    return run


def passage_qrels(query: LabelledQuery) -> dict[str, int]:
    """Judgements for ``passage_run``: every labelled passage ``p<i>`` is relevant."""
    return {f"p{i}": 1 for i in range(len(query.relevant))}
