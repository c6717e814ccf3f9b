"""The parts of the ``compare --html`` page that differ with ``--by`` (groups of documents).

A group's card counts its documents by verdict; every passage names the document that holds it (short
id and title); silent groups are listed on one line rather than each in a card, so that a page of fifty
years or publishers stays short; with ``--by year`` or ``month`` an inline SVG shows coverage over time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from parallax.analyze.comparison import Comparison, SourceView
from parallax.analyze.passage import Passage
from parallax.render.html.page import as_shown, esc
from parallax.render.timeline import series, svg
from parallax.render.wording import coverage_summary, document_counts

DocumentName = Callable[[Passage], str]  # a passage -> the HTML that names its document ("" without --by)


def no_name(_: Passage) -> str:
    return ""


def document_namer(cmp: Comparison) -> DocumentName:
    """What names a passage's document beside its offsets: its short id and title, only with ``--by``."""
    if not cmp.grouped:
        return no_name

    def name(p: Passage) -> str:
        short = cmp.short_ids.get(p.source) or p.source
        title = cmp.titles.get(p.source, "")
        shown = f' <span class="doc-title">{esc(title)}</span>' if title and title != short else ""
        return f' · <span class="doc" title="{esc(p.source)}"><span class="doc-id">{esc(short)}</span>{shown}</span>'

    return name


def speaking(sources: Sequence[SourceView]) -> list[SourceView]:
    """The groups that cover or mention the topic (silent ones get no column)."""
    return [s for s in sources if s.coverage != "silent"]


def agreement_of_speaking(cmp: Comparison) -> tuple[list[str], np.ndarray]:
    """The agreement matrix without its silent groups (their rows are all zero)."""
    silent = {s.source for s in cmp.sources if s.coverage == "silent"}
    keep = [i for i, name in enumerate(cmp.agreement_sources) if name not in silent]
    matrix = np.asarray(cmp.agreement)
    if not keep or matrix.ndim != 2 or matrix.shape[0] < len(cmp.agreement_sources):
        return [], np.zeros((0, 0))
    return [cmp.agreement_sources[i] for i in keep], matrix[np.ix_(keep, keep)]


def _counts(s: SourceView) -> str:
    """ "1 of 50 documents covers it · 1 mentions it · 48 are silent", escaped ("" for a single document)."""
    d = s.documents
    return esc(document_counts(d)) if d is not None else ""


def head_line(s: SourceView) -> str:
    """Under a group's column head: its label when it differs from its name, and its document counts."""
    label = s.title if s.title != (s.short_id or s.source) else ""
    return " · ".join(x for x in (esc(label), _counts(s)) if x)


def _group_card(s: SourceView) -> str:
    label = f'<div class="title">{esc(s.title)}</div>' if s.title != (s.short_id or s.source) else ""
    return (
        f'<div class="card"><div><span class="src">{esc(s.short_id or s.source)}</span></div>{label}'
        f'<div class="counts">{_counts(s)}</div>'
        f'<div style="margin-top:8px"><span class="badge {esc(s.coverage)}">{esc(s.coverage)}</span> '
        f'<span class="score">score {esc(f"{as_shown(s.score):.3f}")}</span></div></div>'
    )


def _silent_line(silent: Sequence[SourceView]) -> str:
    if not silent:
        return ""
    items = []
    for s in silent:
        n = s.documents.total if s.documents is not None else 0
        count = f'<span class="n">{n} document{"" if n == 1 else "s"}</span>'
        items.append(f'<li><span class="src">{esc(s.short_id or s.source)}</span> {count}</li>')
    many = f"{len(silent)} group{'' if len(silent) == 1 else 's'}"
    return (
        f'<div class="silent-groups"><span class="badge silent">silent</span> '
        f'<span class="many">{many}, none of whose documents speaks to the topic:</span> '
        f"<ul>{''.join(items)}</ul></div>"
    )


def coverage_section(cmp: Comparison) -> str:
    """A card for each group that covers or mentions the topic, then the silent groups on one line."""
    talking = speaking(cmp.sources)
    cards = "".join(_group_card(s) for s in talking)
    shown = f'<div class="cards">{cards}</div>' if cards else '<p class="empty">No group speaks to this topic.</p>'
    silent = [s for s in cmp.sources if s.coverage == "silent"]
    return (
        '<section id="coverage"><h2>Coverage</h2>'
        f'<p class="lead">How much each {esc(cmp.by)} says about the topic: a group <b>covers</b> it when one of '
        "its documents does, else <b>mentions</b> it when one mentions it, else is <b>silent</b>.</p>"
        f"{shown}{_silent_line(silent)}</section>"
    )


def timeline_section(cmp: Comparison) -> str:
    """Coverage over time (``--by year`` or ``month``): a bar per period, gaps included; else nothing."""
    periods = series(cmp)
    if not periods:
        return ""
    key = (
        '<div class="key"><span><i class="sw covers"></i>share of documents that cover it</span>'
        '<span><i class="sw mentions"></i>only mentioned</span>'
        '<span><i class="sw none"></i>silent, or no documents</span></div>'
    )
    return (
        '<section id="timeline"><h2>Coverage over time</h2>'
        f'<p class="lead">Each bar is a {esc(cmp.by)}: its height is the share of that {esc(cmp.by)}’s documents '
        "that cover the topic, the tallest bar being the highest share (hover a bar for its counts).</p>"
        f"{svg(periods)}{key}</section>"
    )


def group_meta(cmp: Comparison) -> str:
    """The header line of a grouped page: groups, their verdicts, and the documents they hold."""
    summary = coverage_summary(s.coverage for s in cmp.sources)
    documents = len(cmp.titles) or sum(s.documents.total for s in cmp.sources if s.documents is not None)
    groups = f"group{'' if len(cmp.sources) == 1 else 's'}"
    return (
        f"<b>{len(cmp.sources)}</b> {groups} by {esc(cmp.by)} ({esc(summary)}) · "
        f"<b>{documents}</b> document{'' if documents == 1 else 's'}"
    )
