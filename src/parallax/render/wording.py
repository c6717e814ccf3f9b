"""Words the terminal and the HTML pages share, so that both describe a comparison alike."""

from __future__ import annotations

from collections.abc import Iterable

# What the agreement matrix holds (``analyze.compare``): the same sentence under the table and on the page.
AGREEMENT = (
    "how closely two sources agree on the topic: the mean best-match cosine of their topic sentences "
    "(0 where one is silent)"
)

_COVERAGE = (
    ("covers", "covers it", "cover it"),
    ("mentions", "mentions it", "mention it"),
    ("silent", "is silent", "are silent"),
)


def coverage_summary(verdicts: Iterable[str]) -> str:
    """ "2 cover it, 1 mentions it, 2 are silent": how many sources got each verdict (none left out)."""
    counted = list(verdicts)
    parts = []
    for verdict, one, many in _COVERAGE:
        n = counted.count(verdict)
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


def document_counts(total: int, covers: int, mentions: int, silent: int) -> str:
    """ "1 of 50 documents covers it · 1 mentions it · 48 are silent": a group's documents by verdict."""
    noun = "document" if total == 1 else "documents"
    parts = [f"{covers} of {total} {noun} {'covers it' if covers == 1 else 'cover it'}"]
    for n, (_, one, many) in zip((mentions, silent), _COVERAGE[1:]):
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return " · ".join(parts)
