"""The page of ``parallax topics --html``: a sources x topics heat map, the leads, the topics, the sources.

With ``--by`` the rows are groups of documents, named in full; beyond ``HTML_ROWS`` groups the heat map
and the group cards show the largest (most documents, then most text) and count the rest, which the
JSON lists.
"""

from __future__ import annotations

from pathlib import Path

from parallax.analyze.topic_map import Topic, TopicMap
from parallax.core.files import atomic_write
from parallax.render.html.page import as_shown, chips, esc, highlight, legend, matrix_table, page
from parallax.render.topics import counted, ignored_text, largest_rows, percent, scope_flags

EXAMPLES_SHOWN = 2
HTML_ROWS = 200  # groups shown in the heat map and the cards, at most


def _shorten(text: str, width: int = 240) -> str:
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return text[: cut if cut > width // 2 else width].rstrip(" ,;:") + " …"


def _topic_row(t: Topic, names: dict[str, str], docs: dict[str, str], noun: str, flags: str) -> str:
    share = as_shown(t.share)
    lead = t.lead or ""
    ignored = ignored_text([names.get(s, s) for s in t.ignored_by], noun)
    examples = "".join(
        f'<li><span class="src">{esc(docs.get(e.source, e.source))}</span> {highlight(_shorten(e.plain), t.terms)}</li>'
        for e in t.examples[:EXAMPLES_SHOWN]
    )
    bar = f'<div class="sharebar"><span style="width:{min(100.0, 400 * share):.0f}%"></span></div>'
    return (
        f'<tr><td class="num">{esc(t.id)}</td>'
        f'<td><div class="label">{esc(t.label)}</div>'
        f'<ul class="chips">{chips(t.terms, "term")}</ul>'
        + (f'<ol class="examples">{examples}</ol>' if examples else "")
        + f'</td><td class="num">{esc(t.size)}{bar}'
        f'<div class="score">{percent(share)} of the text</div></td>'
        f"<td>{esc(names.get(lead, lead))}</td>"
        f'<td class="score">{esc(ignored)}</td>'
        f'<td><span class="query">parallax compare "{esc(t.query)}"{esc(flags)}</span></td></tr>'
    )


def _lead_item(t: Topic, source: str) -> str:
    coverage = {k: as_shown(v) for k, v in t.coverage.items()}
    others = max([v for k, v in coverage.items() if k != source] or [0.0])
    return f"#{esc(t.id)} {esc(t.label)} ({percent(coverage.get(source, 0.0))} of its text, others ≤ {percent(others)})"


def _header(tm: TopicMap) -> str:
    def count(n: int, noun: str) -> str:
        return f"<b>{n}</b> {esc(counted(n, noun).split(' ', 1)[1])}"

    rows = count(len(tm.rows), tm.noun)
    if tm.grouped:
        rows += f" of {count(len(tm.sources), 'document')}"
    where = f" · where {esc(' and '.join(tm.where))}" if tm.where else ""
    return (
        '<header class="page"><p class="kicker">Parallax · topics</p>'
        f"<h1>Topics in {esc(Path(tm.index).name or 'the corpus')}</h1>"
        f'<p class="meta">{count(len(tm.topics), "topic")} · {rows}{where} · '
        f"{esc(counted(len(tm.assignments), tm.unit))} · {esc(tm.how_k)} · {esc(tm.model)}</p></header>"
    )


def _topics_section(tm: TopicMap, names: dict[str, str], docs: dict[str, str]) -> str:
    rows = "".join(_topic_row(t, names, docs, tm.noun, scope_flags(tm)) for t in tm.topics)
    unit, noun = esc(tm.unit), esc(tm.noun)
    return (
        '<section id="topics"><h2>Topics</h2>'
        '<p class="lead">Each topic with its top terms (class-based TF-IDF), the passages closest to its centre, '
        f"its size, the {noun} that leads on it and the {noun}s that ignore it, and a query for "
        "<code>parallax compare</code>.</p>"
        f'<table class="topics"><tr><th>#</th><th>topic</th><th>{unit}s</th><th>led by</th>'
        f"<th>ignored by</th><th>compare</th></tr>{rows}</table></section>"
    )


def _shown(tm: TopicMap) -> list[int]:
    """The rows on the page: every source, or the ``HTML_ROWS`` largest groups."""
    return largest_rows(tm, HTML_ROWS) if tm.grouped else list(range(len(tm.rows)))


def _fewer(tm: TopicMap, shown: int) -> str:
    """What a page that leaves groups out says of it ('' when it shows them all)."""
    total = len(tm.rows)
    if shown >= total:
        return ""
    return (
        f" The {shown} largest of {total} {esc(tm.noun)}s (most documents), in their order; "
        "<code>--json</code> lists every one."
    )


def _heat_section(tm: TopicMap, names: dict[str, str]) -> str:
    shown = _shown(tm)
    matrix = [[as_shown(v) for v in tm.matrix[i]] for i in shown]
    cols = [f"#{t.id}" for t in tm.topics]
    heat_rows = [names[tm.rows[i].key] for i in shown]
    hi = max([max(r) for r in matrix if r] or [0.0]) or 1.0
    subtitles = {f"#{t.id}": t.label for t in tm.topics}
    heat = matrix_table(heat_rows, cols, matrix, percent, False, (0.0, hi), subtitles)
    other_line = ""
    if tm.other:
        other_line = (
            '<p class="score">Not in any topic (fillers, by-lines, fragments): '
            + ", ".join(f"{esc(n)} {percent(as_shown(tm.other[i]))}" for n, i in zip(heat_rows, shown))
            + "</p>"
        )
    noun = esc(tm.noun)
    return (
        f'<section id="coverage"><h2>{noun.capitalize()}s × topics</h2>'
        f'<p class="lead">The share of each {noun}\'s text in each topic.{_fewer(tm, len(shown))}</p>'
        f"{heat}{legend('0%', percent(hi))}{other_line}</section>"
    )


def _leads_section(tm: TopicMap, names: dict[str, str]) -> str:
    leads = []
    for source, mine in tm.leads().items():
        if mine:
            items = "; ".join(_lead_item(t, source) for t in mine)
            leads.append(f'<li><span class="src">{esc(names.get(source, source))}</span>: {items}</li>')
    noun = esc(tm.noun)
    return (
        f'<section id="leads"><h2>Where one {noun} leads</h2>'
        f'<p class="lead">Topics one {noun} covers and the others cover much less or not at all.</p>'
        + (f"<ul>{''.join(leads)}</ul>" if leads else '<p class="empty">None: every topic is shared.</p>')
        + "</section>"
    )


def _sources_section(tm: TopicMap) -> str:
    cards = "".join(
        f'<div class="card"><span class="src">{esc(s.short_id)}</span>'
        f'<div class="title">{esc(s.title)}</div>'
        f'<div class="file">{esc(s.source)} · {esc(counted(s.units, tm.unit))}</div></div>'
        for s in tm.sources
    )
    return f'<section id="sources"><h2>Sources</h2><div class="cards">{cards}</div></section>'


def _groups_section(tm: TopicMap) -> str:
    assert tm.groups is not None
    shown = _shown(tm)
    cards = "".join(
        f'<div class="card"><div class="title">{esc(g.label)}</div>'
        f'<div class="file">{esc(counted(g.documents, "document"))} · {esc(counted(g.units, tm.unit))}</div></div>'
        for g in (tm.groups[i] for i in shown)
    )
    fewer = f'<p class="lead">{_fewer(tm, len(shown)).strip()}</p>' if len(shown) < len(tm.groups) else ""
    title = f"{esc(tm.noun).capitalize()}s"
    return f'<section id="sources"><h2>{title}</h2>{fewer}<div class="cards">{cards}</div></section>'


def topics_html(tm: TopicMap) -> str:
    """The page of a topic map."""
    docs = {s.source: s.short_id or s.source for s in tm.sources}
    names = {r.key: r.shown or r.key for r in tm.rows}
    footer = "<footer>parallax topics · a self-contained page: it loads nothing from the network.</footer>"
    sections = [
        _header(tm),
        _heat_section(tm, names),
        _leads_section(tm, names),
        _topics_section(tm, names, docs),
        _groups_section(tm) if tm.grouped else _sources_section(tm),
        footer,
    ]
    return page("Parallax · topics", "\n".join(sections))


def write_topics_html(tm: TopicMap, path: Path) -> None:
    """Write a topic map as one self-contained HTML file (atomically; missing folders are made)."""
    atomic_write(path, topics_html(tm))
