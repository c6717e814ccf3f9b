"""Self-contained HTML pages for ``parallax compare --html`` and ``parallax topics --html``.

Each page is one file: inline CSS, no script, no font, image, stylesheet or link that loads anything,
so it opens offline, can be mailed or archived, and makes no network request (tested in headless
Chromium). Every piece of text from the corpus is escaped with ``html.escape``. The heat maps are
table cells coloured with inline CSS.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from parallax.ingest.corpus import is_boilerplate
from parallax.text.markup import to_plain
from parallax.text.terms import excerpt, terms_pattern

PASSAGE_CHARS = 700  # longer passages (whole chunks) are shown from just before their first topic term

_CSS = """
:root {
  --ink: #1d2330; --muted: #5d6677; --faint: #8a93a3; --line: #e3e6ec; --bg: #f6f7f9; --card: #ffffff;
  --accent: #2556a8; --covers: #17803d; --mentions: #a86a00; --silent: #8a93a3; --mark: #fff0a8;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans",
    sans-serif;
}
main { max-width: 1320px; margin: 0 auto; padding: 32px 28px 48px; }
header.page { border-bottom: 1px solid var(--line); padding-bottom: 18px; margin-bottom: 8px; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--muted); margin: 0 0 6px; }
h1 { font-size: 30px; line-height: 1.2; margin: 0 0 10px; font-weight: 650; }
h2 { font-size: 19px; margin: 36px 0 4px; font-weight: 650; }
h3 { font-size: 15px; margin: 0 0 6px; font-weight: 650; }
.lead { color: var(--muted); margin: 0 0 14px; max-width: 75ch; }
.meta { color: var(--muted); margin: 0; }
.meta b { color: var(--ink); font-weight: 600; }
code, .query { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 13px; }
.query { background: #eef3fb; color: #173d7a; border: 1px solid #d5e1f5; border-radius: 6px; padding: 2px 7px;
  white-space: nowrap; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px; }
.cards.wide { grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); }
.src { font-weight: 650; color: var(--accent); }
.title { color: var(--muted); font-size: 13px; }
.file { color: var(--faint); font-size: 12px; font-family: ui-monospace, Menlo, Consolas, monospace; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: 12px; font-weight: 650;
  letter-spacing: .02em; color: #fff; }
.badge.covers { background: var(--covers); }
.badge.mentions { background: var(--mentions); }
.badge.silent { background: var(--silent); }
.score { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.chips { display: flex; flex-wrap: wrap; gap: 5px; margin: 6px 0; padding: 0; list-style: none; }
.chip { border-radius: 6px; padding: 1px 7px; font-size: 12px; background: #eef0f4; color: #333b4a; }
.chip.term { background: var(--mark); color: #4a3b00; }
.chip.number { background: #e4f1ff; color: #12427a; }
.chip.date { background: #e8f6ea; color: #1b5a2a; }
.chip.name { background: #f1e9fb; color: #4b2a78; }
.chip.quote { background: #fdebea; color: #7a2320; font-style: italic; }
.chip-kind { font-size: 11px; color: var(--faint); margin-right: 2px; }
mark { background: var(--mark); color: inherit; border-radius: 2px; padding: 0 1px; }
.scroll { overflow-x: auto; padding-bottom: 6px; }
.columns { display: grid; gap: 12px; grid-auto-flow: column; grid-auto-columns: minmax(232px, 1fr); }
.column { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.column > .head { padding: 2px 2px 4px; border-bottom: 2px solid var(--line); }
.passage { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px;
  font-size: 14px; }
.passage p { margin: 4px 0 0; }
.passage .where { font-size: 12px; color: var(--faint); font-variant-numeric: tabular-nums; }
.empty { color: var(--faint); font-style: italic; font-size: 14px; padding: 10px 2px; }
table.heat { border-collapse: separate; border-spacing: 3px; font-variant-numeric: tabular-nums; }
table.heat th { font-size: 12px; font-weight: 600; color: var(--muted); padding: 4px 8px; text-align: left;
  white-space: nowrap; }
table.heat th.col { text-align: center; vertical-align: bottom; }
table.heat th.col small { display: block; font-weight: 500; color: var(--faint); white-space: normal;
  max-width: 96px; margin: 2px auto 0; line-height: 1.25; }
table.heat td { min-width: 58px; height: 40px; text-align: center; font-size: 13px; border-radius: 6px;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
table.heat td.diag { color: var(--faint); }
.legend { display: flex; align-items: center; gap: 8px; font-size: 12px; color: var(--muted); margin-top: 8px; }
.legend .bar { width: 220px; height: 12px; border-radius: 6px; border: 1px solid var(--line);
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.point { margin-top: 14px; }
.point > h3 { margin-bottom: 2px; }
.point .sources { color: var(--muted); font-size: 13px; margin-bottom: 8px; }
table.topics { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line);
  border-radius: 10px; overflow: hidden; }
table.topics th, table.topics td { text-align: left; vertical-align: top; padding: 10px 12px;
  border-bottom: 1px solid var(--line); }
table.topics th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; }
table.topics td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.label { font-weight: 650; }
.sharebar { height: 6px; background: #e9edf3; border-radius: 3px; margin-top: 5px; width: 90px; }
.sharebar span { display: block; height: 6px; border-radius: 3px; background: var(--accent);
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.examples { margin: 6px 0 0; padding-left: 18px; color: #3a4252; font-size: 13px; }
.examples li { margin: 2px 0; }
footer { margin-top: 40px; color: var(--faint); font-size: 12px; border-top: 1px solid var(--line); padding-top: 12px; }
@media print {
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .scroll { overflow: visible; }
  .columns { grid-auto-flow: row; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); }
  .card, .passage, .point, tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def highlight(text: str, terms: Sequence[str]) -> str:
    """Escaped text with each term (as a word prefix) wrapped in <mark>."""
    pattern = terms_pattern(terms)
    if pattern is None:
        return esc(text)
    out: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        out.append(esc(text[last : m.start()]))
        out.append(f"<mark>{esc(m.group(0))}</mark>")
        last = m.end()
    out.append(esc(text[last:]))
    return "".join(out)


def _clean(text: str) -> str:
    """A passage's readable text: footnote definitions, widgets and bare URLs dropped, markup removed."""
    kept = [line for line in text.splitlines() if not is_boilerplate(line)]
    return to_plain("\n".join(kept)) or to_plain(text)


def _empty_section(anchor: str, title: str, message: str) -> str:
    return f'<section id="{anchor}"><h2>{esc(title)}</h2><p class="empty">{esc(message)}</p></section>'


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _write(path: Path, text: str) -> None:
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def heat_colour(value: float, lo: float = 0.0, hi: float = 1.0) -> tuple[str, str]:
    """Background and text colour for a heat-map cell: white through blue, white text on dark cells."""
    span = hi - lo or 1.0
    t = min(1.0, max(0.0, (value - lo) / span))
    lightness = 97 - 57 * t
    saturation = 35 + 35 * t
    return f"hsl(214, {saturation:.0f}%, {lightness:.0f}%)", "#fff" if lightness < 62 else "#1d2330"


def _legend(lo: str, hi: str) -> str:
    stops = ", ".join(heat_colour(x / 4)[0] for x in range(5))
    return (
        f'<div class="legend"><span>{esc(lo)}</span>'
        f'<span class="bar" style="background: linear-gradient(90deg, {stops})"></span><span>{esc(hi)}</span></div>'
    )


def _chips(items: Iterable[str], kind: str, label: str = "") -> str:
    items = [i for i in items if str(i).strip()]
    if not items:
        return ""
    tag = f'<span class="chip-kind">{esc(label)}</span>' if label else ""
    return "".join(f'<li class="chip {kind}">{tag}{esc(i)}</li>' for i in items)


def _where(p: dict[str, Any]) -> str:
    score = p.get("score")
    score_txt = f"score {float(score):.3f} · " if isinstance(score, (int, float)) else ""
    return f'<div class="where">{score_txt}[{esc(p.get("start", ""))}:{esc(p.get("end", ""))})</div>'


def _passage(p: dict[str, Any], terms: Sequence[str], extra: str = "") -> str:
    raw = str(p.get("text", ""))
    focus, start = p.get("focus"), p.get("start")
    at = len(_clean(raw[: focus - start])) if isinstance(focus, int) and isinstance(start, int) else None
    text = excerpt(_clean(raw), terms, PASSAGE_CHARS, at)
    return f'<div class="passage">{_where(p)}<p>{highlight(text, terms)}</p>{extra}</div>'


# ---------------------------------------------------------------------------------------------
# compare


def _names(sources: Sequence[dict[str, Any]]) -> dict[str, str]:
    """File name -> short id, for labels."""
    return {str(s.get("source")): str(s.get("short_id") or s.get("source")) for s in sources}


def _source_head(s: dict[str, Any]) -> str:
    cov = str(s.get("coverage", "silent"))
    cls = cov if cov in ("covers", "mentions", "silent") else "silent"
    return (
        f'<div class="head"><span class="src">{esc(s.get("short_id") or s.get("source"))}</span> '
        f'<span class="badge {cls}">{esc(cov)}</span>'
        f'<div class="title">{esc(s.get("title", ""))}</div></div>'
    )


def _coverage_section(sources: Sequence[dict[str, Any]]) -> str:
    cards = []
    for s in sources:
        cov = str(s.get("coverage", "silent"))
        cls = cov if cov in ("covers", "mentions", "silent") else "silent"
        score = s.get("score")
        score_txt = f"{float(score):.3f}" if isinstance(score, (int, float)) else "–"
        cards.append(
            f'<div class="card"><div><span class="src">{esc(s.get("short_id") or s.get("source"))}</span></div>'
            f'<div class="title">{esc(s.get("title", ""))}</div>'
            f'<div class="file">{esc(s.get("source", ""))}</div>'
            f'<div style="margin-top:8px"><span class="badge {cls}">{esc(cov)}</span> '
            f'<span class="score">score {esc(score_txt)}</span></div></div>'
        )
    return (
        '<section id="coverage"><h2>Coverage</h2>'
        '<p class="lead">How much each source says about the topic: it <b>covers</b> it, only '
        "<b>mentions</b> it, or is <b>silent</b>.</p>"
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def _matrix_table(
    rows: Sequence[str],
    cols: Sequence[str],
    matrix: Sequence[Sequence[float]],
    fmt: Callable[[float], str],
    diag: bool,
    lo: float,
    hi: float,
    subtitles: dict[str, str] | None = None,
) -> str:
    head = "".join(f'<th class="col" scope="col">{esc(c)}{_sub(c, subtitles)}</th>' for c in cols)
    body = []
    for i, (name, row) in enumerate(zip(rows, matrix)):
        cells = []
        for j, value in enumerate(row):
            v = float(value)
            if diag and i == j:
                cells.append(f'<td class="diag" title="{esc(name)}">—</td>')
                continue
            bg, fg = heat_colour(v, lo, hi)
            title = f"{esc(name)} × {esc(cols[j])}"
            cells.append(f'<td style="background:{bg};color:{fg}" title="{title}">{esc(fmt(v))}</td>')
        body.append(f'<tr><th scope="row">{esc(name)}</th>{"".join(cells)}</tr>')
    return f'<div class="scroll"><table class="heat"><tr><th></th>{head}</tr>{"".join(body)}</table></div>'


def _sub(col: str, subtitles: dict[str, str] | None) -> str:
    text = (subtitles or {}).get(col)
    return f"<small>{esc(text)}</small>" if text else ""


def _agreement_section(data: dict[str, Any], names: dict[str, str]) -> str:
    agreement = data.get("agreement") or {}
    srcs = [names.get(str(s), str(s)) for s in agreement.get("sources", [])]
    matrix = agreement.get("matrix") or []
    if not srcs or not matrix:
        return _empty_section("agreement", "Agreement", "Fewer than two sources speak to this topic.")
    return (
        '<section id="agreement"><h2>Agreement</h2>'
        '<p class="lead">How close what two sources say about the topic is (cosine of their passages, 0–1).</p>'
        + _matrix_table(srcs, srcs, matrix, lambda v: f"{v:.2f}", True, 0.0, 1.0)
        + _legend("0", "1")
        + "</section>"
    )


def _passages_section(sources: Sequence[dict[str, Any]], terms: Sequence[str]) -> str:
    columns = []
    for s in sources:
        passages = s.get("passages") or []
        inner = "".join(_passage(p, terms) for p in passages) or '<div class="empty">No passage on this topic.</div>'
        columns.append(f'<div class="column">{_source_head(s)}{inner}</div>')
    return (
        '<section id="passages"><h2>Key passages</h2>'
        '<p class="lead">The best passages of each source on the topic, side by side; topic terms are highlighted.</p>'
        f'<div class="scroll"><div class="columns">{"".join(columns)}</div></div></section>'
    )


def _distinctive_section(sources: Sequence[dict[str, Any]], terms: Sequence[str]) -> str:
    columns = []
    for s in sources:
        words = s.get("distinctive_terms") or []
        passage = s.get("distinctive_passage")
        chips = f'<ul class="chips">{_chips(words, "term")}</ul>' if words else ""
        inner = chips + (_passage(passage, [*words, *terms]) if passage else "")
        if not inner:
            inner = '<div class="empty">Nothing distinctive.</div>'
        columns.append(f'<div class="column">{_source_head(s)}{inner}</div>')
    return (
        '<section id="distinctive"><h2>Distinctive</h2>'
        '<p class="lead">What sets each source apart on this topic: its own terms and the passage that carries '
        "them.</p>"
        f'<div class="scroll"><div class="columns">{"".join(columns)}</div></div></section>'
    )


def _facts(facts: dict[str, Any] | None) -> str:
    if not facts:
        return ""
    chips = "".join(
        _chips(facts.get(key) or [], cls, label)
        for key, cls, label in (
            ("numbers", "number", "#"),
            ("dates", "date", "date"),
            ("names", "name", "name"),
            ("quotes", "quote", "“”"),
        )
    )
    return f'<ul class="chips">{chips}</ul>' if chips else ""


def _common_section(data: dict[str, Any], sources: Sequence[dict[str, Any]], terms: Sequence[str]) -> str:
    names = _names(sources)
    points = data.get("common_ground") or []
    if not points:
        return _empty_section("common", "Common ground", "No point is made by two or more sources.")
    blocks = []
    for point in points:
        who = ", ".join(names.get(str(s), str(s)) for s in point.get("sources", []))
        by_source: dict[str, list[dict[str, Any]]] = {}
        for p in point.get("passages") or []:
            by_source.setdefault(str(p.get("source")), []).append(p)
        columns = []
        for src, passages in by_source.items():
            inner = "".join(_passage(p, terms, _facts(p.get("facts"))) for p in passages)
            head = f'<div class="head"><span class="src">{esc(names.get(src, src))}</span></div>'
            columns.append(f'<div class="column">{head}{inner}</div>')
        blocks.append(
            f'<div class="point"><h3>{esc(point.get("label", ""))}</h3><div class="sources">{esc(who)}</div>'
            f'<div class="scroll"><div class="columns">{"".join(columns)}</div></div></div>'
        )
    return (
        '<section id="common"><h2>Common ground</h2>'
        '<p class="lead">Points several sources make, each source’s passage side by side with the facts it gives: '
        "numbers, dates, names and quotes.</p>"
        f"{''.join(blocks)}</section>"
    )


def _unique_section(data: dict[str, Any], sources: Sequence[dict[str, Any]], terms: Sequence[str]) -> str:
    names = _names(sources)
    angles = data.get("unique_angles") or []
    if not angles:
        return _empty_section("unique", "Unique angles", "No source makes a point the others do not.")
    cards = []
    for a in angles:
        passage = a.get("passage")
        src = str(a.get("source", ""))
        cards.append(
            f'<div class="card"><div><span class="src">{esc(names.get(src, src))}</span></div>'
            f"<h3>{esc(a.get('label', ''))}</h3>{_passage(passage, terms) if passage else ''}</div>"
        )
    return (
        '<section id="unique"><h2>Unique angles</h2>'
        '<p class="lead">Points only one source makes.</p>'
        f'<div class="cards wide">{"".join(cards)}</div></section>'
    )


def compare_html(data: dict[str, Any]) -> str:
    """The page for ``Comparison.to_dict()``."""
    sources = data.get("sources") or []
    terms = [str(t) for t in data.get("topic_terms") or []]
    topic = str(data.get("topic", ""))
    total = (data.get("latency_ms") or {}).get("total")
    latency = f" · latency <b>{float(total):.0f} ms</b>" if isinstance(total, (int, float)) else ""
    counts = {c: sum(1 for s in sources if s.get("coverage") == c) for c in ("covers", "mentions", "silent")}
    summary = ", ".join(f"{n} {c}" for c, n in counts.items() if n)
    term_chips = f'<ul class="chips">{_chips(terms, "term")}</ul>' if terms else ""
    header = (
        '<header class="page"><p class="kicker">Parallax · compare</p>'
        f"<h1>{esc(topic)}</h1>"
        f'<p class="meta"><b>{len(sources)}</b> sources ({esc(summary)}){latency}</p>{term_chips}</header>'
    )
    names = _names(sources)
    body = "\n".join(
        [
            header,
            _coverage_section(sources),
            _agreement_section(data, names),
            _passages_section(sources, terms),
            _distinctive_section(sources, terms),
            _common_section(data, sources, terms),
            _unique_section(data, sources, terms),
            f'<footer>parallax compare "{esc(topic)}" · a self-contained page: it loads nothing from the '
            "network.</footer>",
        ]
    )
    return _page(f"Parallax · compare: {topic}", body)


def write_compare_html(data: dict[str, Any], path: Path) -> None:
    """Write the JSON of ``parallax compare`` as one self-contained HTML file."""
    _write(path, compare_html(data))


# ---------------------------------------------------------------------------------------------
# topics


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%" if value >= 0.005 else "·"


def _shorten(text: str, width: int = 240) -> str:
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return text[: cut if cut > width // 2 else width].rstrip(" ,;:") + " …"


def _topic_row(t: dict[str, Any], names: dict[str, str]) -> str:
    share = float(t.get("share", 0.0))
    lead = str(t.get("lead") or "")
    ignored = ", ".join(names.get(str(s), str(s)) for s in t.get("ignored_by") or [])
    terms = [str(x) for x in t.get("terms") or []]
    examples = "".join(
        f'<li><span class="src">{esc(names.get(str(e.get("source")), str(e.get("source"))))}</span> '
        f"{highlight(_shorten(str(e.get('text', ''))), terms)}</li>"
        for e in (t.get("examples") or [])[:2]
    )
    bar = f'<div class="sharebar"><span style="width:{min(100.0, 400 * share):.0f}%"></span></div>'
    return (
        f'<tr><td class="num">{esc(t.get("id"))}</td>'
        f'<td><div class="label">{esc(t.get("label", ""))}</div>'
        f'<ul class="chips">{_chips(terms, "term")}</ul>'
        + (f'<ol class="examples">{examples}</ol>' if examples else "")
        + f'</td><td class="num">{esc(t.get("size", ""))}{bar}'
        f'<div class="score">{_pct(share)} of the text</div></td>'
        f"<td>{esc(names.get(lead, lead))}</td>"
        f'<td class="score">{esc(ignored)}</td>'
        f'<td><span class="query">parallax compare "{esc(t.get("query", ""))}"</span></td></tr>'
    )


def _lead_item(t: dict[str, Any], source: str) -> str:
    coverage = {str(k): float(v) for k, v in (t.get("coverage") or {}).items()}
    others = max([v for k, v in coverage.items() if k != source] or [0.0])
    return (
        f"#{esc(t.get('id'))} {esc(t.get('label', ''))} "
        f"({_pct(coverage.get(source, 0.0))} of its text, others ≤ {_pct(others)})"
    )


def topics_html(data: dict[str, Any]) -> str:
    """The page for ``TopicMap.to_dict()``."""
    topics = data.get("topics") or []
    sources = data.get("sources") or []
    names = _names(sources)
    coverage = data.get("coverage") or {}
    unit = str(data.get("unit", "sentence"))
    k_note = f"k = {data.get('k')} by silhouette" if data.get("k_auto") else f"k = {data.get('k')} as asked"
    header = (
        '<header class="page"><p class="kicker">Parallax · topics</p>'
        f"<h1>Topics in {esc(Path(str(data.get('index', ''))).name or 'the corpus')}</h1>"
        f'<p class="meta"><b>{len(topics)}</b> topics · <b>{len(sources)}</b> sources · '
        f"{esc(data.get('units', ''))} {esc(unit)}s · {esc(k_note)} · {esc(data.get('model', ''))}</p></header>"
    )
    rows = "".join(_topic_row(t, names) for t in topics)
    table = (
        '<section id="topics"><h2>Topics</h2>'
        '<p class="lead">Each topic with its top terms (class-based TF-IDF), the passages closest to its centre, '
        "its size, the source that leads on it and the sources that ignore it, and a query for "
        "<code>parallax compare</code>.</p>"
        f'<table class="topics"><tr><th>#</th><th>topic</th><th>{esc(unit)}s</th><th>led by</th>'
        f"<th>ignored by</th><th>compare</th></tr>{rows}</table></section>"
    )
    matrix = coverage.get("matrix") or []
    other = coverage.get("other") or []
    cols = [f"#{t.get('id')}" for t in topics]
    heat_rows = [names.get(str(s), str(s)) for s in coverage.get("sources", [])]
    hi = max([max(r) for r in matrix if r] or [0.0]) or 1.0
    subtitles = {f"#{t.get('id')}": str(t.get("label", "")) for t in topics}
    heat = _matrix_table(heat_rows, cols, matrix, _pct, False, 0.0, hi, subtitles)
    other_line = ""
    if other:
        other_line = (
            '<p class="score">Not in any topic (fillers, by-lines, fragments): '
            + ", ".join(f"{esc(n)} {_pct(float(v))}" for n, v in zip(heat_rows, other))
            + "</p>"
        )
    heat_section = (
        '<section id="coverage"><h2>Sources × topics</h2>'
        '<p class="lead">The share of each source\'s text in each topic.</p>'
        f"{heat}{_legend('0%', _pct(hi))}{other_line}</section>"
    )
    leads = []
    for s in sources:
        source = str(s.get("source"))
        mine = [t for t in topics if t.get("lead") == source]
        if mine:
            items = "; ".join(_lead_item(t, source) for t in mine)
            leads.append(f'<li><span class="src">{esc(names.get(source, source))}</span>: {items}</li>')
    leads_section = (
        '<section id="leads"><h2>Where one source leads</h2>'
        '<p class="lead">Topics one source covers and the others cover much less or not at all.</p>'
        + (f"<ul>{''.join(leads)}</ul>" if leads else '<p class="empty">None: every topic is shared.</p>')
        + "</section>"
    )
    src_cards = "".join(
        f'<div class="card"><span class="src">{esc(s.get("short_id"))}</span>'
        f'<div class="title">{esc(s.get("title", ""))}</div>'
        f'<div class="file">{esc(s.get("source", ""))} · {esc(s.get("units", ""))} {esc(unit)}s</div></div>'
        for s in sources
    )
    sources_section = f'<section id="sources"><h2>Sources</h2><div class="cards">{src_cards}</div></section>'
    footer = "<footer>parallax topics · a self-contained page: it loads nothing from the network.</footer>"
    return _page("Parallax · topics", "\n".join([header, heat_section, leads_section, table, sources_section, footer]))


def write_topics_html(data: dict[str, Any], path: Path) -> None:
    """Write the JSON of ``parallax topics`` as one self-contained HTML file."""
    _write(path, topics_html(data))
