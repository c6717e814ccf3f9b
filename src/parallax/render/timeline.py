"""Coverage over time: ``compare --by year`` (or ``month``) as a series, a sparkline and an inline SVG.

Each period is a group of the comparison; the series also holds the periods between the first and
the last that have no document at all (drawn as gaps, so that time reads evenly). A period's value is
the share of its documents that cover the topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from parallax.analyze.comparison import Comparison
from parallax.index.fields import TIME_FIELDS

BARS = "▁▂▃▄▅▆▇█"
MAX_PERIODS = 600  # 50 years of months; a longer span is not filled in


@dataclass(frozen=True)
class Period:
    """One period of the series: its documents and how many cover or mention the topic."""

    key: str
    total: int
    covers: int
    mentions: int

    @property
    def share(self) -> float | None:
        """The share of its documents that cover the topic; None for a period without documents."""
        return self.covers / self.total if self.total else None


def _next(key: str, by: str) -> str:
    if by == "year":
        return str(int(key) + 1)
    year, month = (int(x) for x in key.split("-"))
    return f"{year + month // 12}-{month % 12 + 1:02d}"


def _valid(key: str, by: str) -> bool:
    parts = key.split("-")
    return all(p.isdigit() for p in parts) and len(parts) == (1 if by == "year" else 2)


def series(cmp: Comparison) -> list[Period]:
    """The comparison's periods in time order, gaps filled in; empty unless it is grouped on time."""
    if cmp.by not in TIME_FIELDS:
        return []
    found = {
        v.source: Period(v.source, v.documents.total, v.documents.covers, v.documents.mentions)
        for v in cmp.sources
        if v.documents is not None and _valid(v.source, cmp.by)
    }
    if not found:
        return []
    keys = sorted(found)
    out = [found[keys[0]]]
    while out[-1].key < keys[-1] and len(out) < MAX_PERIODS:
        key = _next(out[-1].key, cmp.by)
        out.append(found.get(key, Period(key, 0, 0, 0)))
    return out if out[-1].key == keys[-1] else [found[k] for k in keys]


def peak_share(periods: list[Period]) -> float:
    """The highest share of covering documents over the periods: the top of the chart (1.0 when none)."""
    return max((p.share or 0.0 for p in periods), default=0.0) or 1.0


def sparkline(periods: list[Period]) -> str:
    """One character per period: its share of covering documents, scaled to the highest share (a full
    block); ``▁`` for mentions only, ``·`` for silence, a space for a period without documents."""
    top = peak_share(periods)
    out = []
    for p in periods:
        share = p.share
        if share is None:
            out.append(" ")
        elif share == 0:
            out.append("·" if p.mentions == 0 else BARS[0])
        else:
            out.append(BARS[min(len(BARS) - 1, 1 + int(share / top * (len(BARS) - 2) + 0.5))])
    return "".join(out)


def svg(periods: list[Period], width: int = 640, height: int = 120) -> str:
    """An inline SVG bar chart of the share of documents covering the topic per period, scaled to the
    highest share (marked at the top), labelled."""
    if not periods:
        return ""
    pad, base = 28, height - 22
    top = peak_share(periods)
    step = (width - 2 * pad) / len(periods)
    bars = []
    for i, p in enumerate(periods):
        x = pad + i * step
        share = p.share or 0.0
        h = max(1.0, share / top * (base - 14)) if p.total else 0.0
        tip = f"{p.key}: {p.covers} of {p.total} documents cover it, {p.mentions} mention it"
        cls = "bar" if p.covers else ("bar-mention" if p.mentions else "bar-none")
        bars.append(
            f'<rect class="{cls}" x="{x + step * 0.1:.1f}" y="{base - h:.1f}" width="{step * 0.8:.1f}" '
            f'height="{h:.1f}"><title>{escape(tip)}</title></rect>'
        )
    scale = f'<text x="{pad}" y="10" class="scale">top: {top:.0%} of documents cover it</text>'
    every, last = max(1, len(periods) // 8), len(periods) - 1
    labels = [  # every ``every``-th period and the last, but no label too close before the last one
        f'<text x="{pad + (i + 0.5) * step:.1f}" y="{height - 6}" text-anchor="middle">{escape(p.key)}</text>'
        for i, p in enumerate(periods)
        if i == last or (i % every == 0 and last - i > every // 2)
    ]
    axis = f'<line x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}" class="axis"/>'
    return (
        f'<svg class="timeline" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="share of documents covering the topic per period">{axis}{scale}{"".join(bars)}'
        f"{''.join(labels)}</svg>"
    )
