"""Words the terminal and the HTML pages share, so that both describe a comparison alike."""

from __future__ import annotations

from collections.abc import Iterable

from parallax.analyze.comparison import DocumentCounts

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


def document_counts(counts: DocumentCounts) -> str:
    """ "3 of 52 documents cover it · 4 mention it · 45 are silent": a group's documents by verdict."""
    noun = "document" if counts.total == 1 else "documents"
    first = f"{counts.covers} of {counts.total} {noun} {'covers' if counts.covers == 1 else 'cover'} it"
    parts = [first]
    if counts.mentions:
        parts.append(f"{counts.mentions} {'mentions' if counts.mentions == 1 else 'mention'} it")
    if counts.silent:
        parts.append(f"{counts.silent} {'is' if counts.silent == 1 else 'are'} silent")
    return " · ".join(parts)
