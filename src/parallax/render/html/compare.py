"""The page of ``parallax compare --html``: coverage, agreement, key passages, distinctive, common ground,
unique angles, each source side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from parallax.analyze.comparison import Comparison, SourceView
from parallax.analyze.facts import Facts
from parallax.analyze.passage import Passage
from parallax.core.files import atomic_write
from parallax.render.html import compare_groups as groups
from parallax.render.html.compare_groups import DocumentName, document_namer
from parallax.render.html.page import as_shown, chips, empty_section, esc, highlight, legend, matrix_table, page
from parallax.render.wording import AGREEMENT, coverage_summary
from parallax.text.boilerplate import is_boilerplate
from parallax.text.markup import to_plain
from parallax.text.terms import excerpt

PASSAGE_CHARS = 700  # longer passages (whole chunks) are shown from just before their first topic term
COVERAGES = ("covers", "mentions", "silent")


def _clean(text: str) -> str:
    """A passage's readable text: footnote definitions, widgets and bare URLs dropped, markup removed."""
    kept = [line for line in text.splitlines() if not is_boilerplate(line)]
    return to_plain("\n".join(kept)) or to_plain(text)


def _where(p: Passage, doc: str = "") -> str:
    return f'<div class="where">score {as_shown(p.score):.3f} · [{esc(p.start)}:{esc(p.end)}){doc}</div>'


def _passage(p: Passage, terms: Sequence[str], extra: str = "", doc: DocumentName = groups.no_name) -> str:
    """A passage's excerpt, from its best sentence when known, else from just before its first term;
    ``doc`` names the document that holds it (with ``--by``)."""
    at = len(_clean(p.text[: p.focus - p.start])) if p.focus is not None else None
    text = excerpt(_clean(p.text), terms, PASSAGE_CHARS, at)
    return f'<div class="passage">{_where(p, doc(p))}<p>{highlight(text, terms)}</p>{extra}</div>'


def _names(sources: Sequence[SourceView]) -> dict[str, str]:
    """File name -> short id, for labels."""
    return {s.source: s.short_id or s.source for s in sources}


def _badge_class(coverage: str) -> str:
    return coverage if coverage in COVERAGES else "silent"


def _source_head(s: SourceView) -> str:
    """A column's head: the source's id, badge and title; a group's document counts under its label."""
    under = esc(s.title) if s.documents is None else groups.head_line(s)
    return (
        f'<div class="head"><span class="src">{esc(s.short_id or s.source)}</span> '
        f'<span class="badge {_badge_class(s.coverage)}">{esc(s.coverage)}</span>'
        f'<div class="title">{under}</div></div>'
    )


def _coverage_section(sources: Sequence[SourceView]) -> str:
    cards = [
        f'<div class="card"><div><span class="src">{esc(s.short_id or s.source)}</span></div>'
        f'<div class="title">{esc(s.title)}</div>'
        f'<div class="file">{esc(s.source)}</div>'
        f'<div style="margin-top:8px"><span class="badge {_badge_class(s.coverage)}">{esc(s.coverage)}</span> '
        f'<span class="score">score {esc(f"{as_shown(s.score):.3f}")}</span></div></div>'
        for s in sources
    ]
    return (
        '<section id="coverage"><h2>Coverage</h2>'
        '<p class="lead">How much each source says about the topic: it <b>covers</b> it, only '
        "<b>mentions</b> it, or is <b>silent</b>.</p>"
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def _agreement_section(cmp: Comparison, names: dict[str, str]) -> str:
    shown, agreement = groups.agreement_of_speaking(cmp) if cmp.grouped else (cmp.agreement_sources, cmp.agreement)
    srcs = [names.get(s, s) for s in shown]
    matrix = [[as_shown(x) for x in row] for row in agreement]
    if not srcs or not matrix:
        return empty_section("agreement", "Agreement", "Fewer than two sources speak to this topic.")
    return (
        '<section id="agreement"><h2>Agreement</h2>'
        f'<p class="lead">{esc(AGREEMENT[0].upper() + AGREEMENT[1:])}.</p>'
        + matrix_table(srcs, srcs, matrix, lambda v: f"{v:.2f}", True)
        + legend("0", "1")
        + "</section>"
    )


def _passages_section(sources: Sequence[SourceView], terms: Sequence[str], doc: DocumentName) -> str:
    columns = []
    for s in sources:
        inner = "".join(_passage(p, terms, doc=doc) for p in s.passages)
        inner = inner or '<div class="empty">No passage on this topic.</div>'
        columns.append(f'<div class="column">{_source_head(s)}{inner}</div>')
    return (
        '<section id="passages"><h2>Key passages</h2>'
        '<p class="lead">The best passages of each source on the topic, side by side; topic terms are highlighted.</p>'
        f'<div class="scroll"><div class="columns">{"".join(columns)}</div></div></section>'
    )


def _distinctive_section(sources: Sequence[SourceView], terms: Sequence[str], doc: DocumentName) -> str:
    columns = []
    for s in sources:
        words = s.distinctive_terms
        passage = s.distinctive_passage
        inner = f'<ul class="chips">{chips(words, "term")}</ul>' if words else ""
        inner += _passage(passage, [*words, *terms], doc=doc) if passage else ""
        if not inner:
            inner = '<div class="empty">Nothing distinctive.</div>'
        columns.append(f'<div class="column">{_source_head(s)}{inner}</div>')
    return (
        '<section id="distinctive"><h2>Distinctive</h2>'
        '<p class="lead">What sets each source apart on this topic: its own terms and the passage that carries '
        "them.</p>"
        f'<div class="scroll"><div class="columns">{"".join(columns)}</div></div></section>'
    )


def _facts(facts: Facts) -> str:
    found = "".join(
        chips(values, cls, label)
        for values, cls, label in (
            (facts.numbers, "number", "#"),
            (facts.dates, "date", "date"),
            (facts.names, "name", "name"),
            (facts.quotes, "quote", "“”"),
        )
    )
    return f'<ul class="chips">{found}</ul>' if found else ""


def _common_section(cmp: Comparison, names: dict[str, str], terms: Sequence[str]) -> str:
    if not cmp.common_ground:
        return empty_section("common", "Common ground", "No point is made by two or more sources.")
    blocks = []
    doc = document_namer(cmp)
    for point in cmp.common_ground:
        who = ", ".join(names.get(s, s) for s in point.sources)
        by_source: dict[str, list[str]] = {}  # a column per source (per group with --by: owner)
        for ap in point.passages:
            owner = (ap.owner or ap.passage.source) if cmp.grouped else ap.passage.source
            by_source.setdefault(owner, []).append(_passage(ap.passage, terms, _facts(ap.facts), doc))
        columns = [
            f'<div class="column"><div class="head"><span class="src">{esc(names.get(src, src))}</span></div>'
            f"{''.join(shown)}</div>"
            for src, shown in by_source.items()
        ]
        blocks.append(
            f'<div class="point"><h3>{esc(point.label)}</h3><div class="sources">{esc(who)}</div>'
            f'<div class="scroll"><div class="columns">{"".join(columns)}</div></div></div>'
        )
    return (
        '<section id="common"><h2>Common ground</h2>'
        '<p class="lead">Points several sources make, each source’s passage side by side with the facts it gives: '
        "numbers, dates, names and quotes.</p>"
        f"{''.join(blocks)}</section>"
    )


def _unique_section(cmp: Comparison, names: dict[str, str], terms: Sequence[str]) -> str:
    if not cmp.unique_angles:
        return empty_section("unique", "Unique angles", "No source makes a point the others do not.")
    cards = [
        f'<div class="card"><div><span class="src">{esc(names.get(a.source, a.source))}</span></div>'
        f"<h3>{esc(a.label)}</h3>{_passage(a.passage, terms, doc=document_namer(cmp))}</div>"
        for a in cmp.unique_angles
    ]
    return (
        '<section id="unique"><h2>Unique angles</h2>'
        '<p class="lead">Points only one source makes.</p>'
        f'<div class="cards wide">{"".join(cards)}</div></section>'
    )


def _header(cmp: Comparison) -> str:
    terms = cmp.topic_terms
    latency = f" · latency <b>{round(cmp.latency_ms, 3):.0f} ms</b>"
    summary = coverage_summary(s.coverage for s in cmp.sources)
    meta = groups.group_meta(cmp) if cmp.grouped else f"<b>{len(cmp.sources)}</b> sources ({esc(summary)})"
    term_chips = f'<ul class="chips">{chips(terms, "term")}</ul>' if terms else ""
    return (
        '<header class="page"><p class="kicker">Parallax · compare</p>'
        f'<h1>{esc(cmp.topic)}</h1><p class="meta">{meta}{latency}</p>{term_chips}</header>'
    )


def compare_html(cmp: Comparison) -> str:
    """The page of a comparison."""
    terms = cmp.topic_terms
    names = _names(cmp.sources)
    doc = document_namer(cmp)
    shown = groups.speaking(cmp.sources) if cmp.grouped else cmp.sources  # silent groups get no column
    parts = [
        _header(cmp),
        groups.timeline_section(cmp),
        groups.coverage_section(cmp) if cmp.grouped else _coverage_section(cmp.sources),
        _agreement_section(cmp, names),
        _passages_section(shown, terms, doc),
        _distinctive_section(shown, terms, doc),
        _common_section(cmp, names, terms),
        _unique_section(cmp, names, terms),
        f'<footer>parallax compare "{esc(cmp.topic)}" · a self-contained page: it loads nothing from the '
        "network.</footer>",
    ]
    body = "\n".join(part for part in parts if part)  # the timeline is there only with --by year or month
    return page(f"Parallax · compare: {cmp.topic}", body)


def write_compare_html(cmp: Comparison, path: Path) -> None:
    """Write a comparison as one self-contained HTML file (atomically; missing folders are made)."""
    atomic_write(path, compare_html(cmp))
