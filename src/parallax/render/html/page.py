"""The page shell shared by the HTML pages: CSS, escaping, highlighting, heat colours, chips, matrix tables.

Each page is one file: inline CSS, no script, no font, image, stylesheet or link that loads anything,
so it opens offline, can be mailed or archived, and makes no network request (tested in headless
Chromium). Every piece of text from the corpus is escaped with ``html.escape``. The heat maps are
table cells coloured with inline CSS.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence

from parallax.text.terms import terms_pattern

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
.counts { font-size: 13px; margin-top: 6px; font-variant-numeric: tabular-nums; }
.passage .where .doc { color: var(--muted); overflow-wrap: anywhere; }
.passage .where .doc-id { font-weight: 650; color: var(--accent); }
.silent-groups { margin-top: 12px; font-size: 13px; color: var(--muted); }
.silent-groups ul { display: inline; margin: 0; padding: 0; list-style: none; }
.silent-groups li { display: inline-block; margin: 2px 10px 2px 0; }
.silent-groups .src { font-weight: 600; }
.silent-groups .n { color: var(--faint); font-size: 12px; }
svg.timeline { display: block; width: 100%; max-width: 760px; height: auto; background: var(--card);
  border: 1px solid var(--line); border-radius: 10px; }
svg.timeline .bar { fill: var(--covers); }
svg.timeline .bar-mention { fill: var(--mentions); }
svg.timeline .bar-none { fill: var(--line); }
svg.timeline .axis { stroke: var(--faint); stroke-width: 1; }
svg.timeline text { font-size: 11px; fill: var(--muted); font-variant-numeric: tabular-nums; }
.key { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 12px; color: var(--muted); margin-top: 8px; }
.key .sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px;
  vertical-align: -1px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.key .sw.covers { background: var(--covers); }
.key .sw.mentions { background: var(--mentions); }
.key .sw.none { background: var(--line); }
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


def as_shown(value: float) -> float:
    """A score as the JSON gives it (four decimals): the page shows what ``--json`` prints."""
    return round(float(value), 4)


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


def empty_section(anchor: str, title: str, message: str) -> str:
    return f'<section id="{anchor}"><h2>{esc(title)}</h2><p class="empty">{esc(message)}</p></section>'


def page(title: str, body: str) -> str:
    """A whole HTML document: the title, the inline CSS and ``body`` in a ``<main>``."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def heat_colour(value: float, lo: float = 0.0, hi: float = 1.0) -> tuple[str, str]:
    """Background and text colour for a heat-map cell: white through blue, white text on dark cells."""
    span = hi - lo or 1.0
    t = min(1.0, max(0.0, (value - lo) / span))
    lightness = 97 - 57 * t
    saturation = 35 + 35 * t
    return f"hsl(214, {saturation:.0f}%, {lightness:.0f}%)", "#fff" if lightness < 62 else "#1d2330"


def legend(lo: str, hi: str) -> str:
    stops = ", ".join(heat_colour(x / 4)[0] for x in range(5))
    return (
        f'<div class="legend"><span>{esc(lo)}</span>'
        f'<span class="bar" style="background: linear-gradient(90deg, {stops})"></span><span>{esc(hi)}</span></div>'
    )


def chips(items: Iterable[str], kind: str, label: str = "") -> str:
    items = [i for i in items if str(i).strip()]
    if not items:
        return ""
    tag = f'<span class="chip-kind">{esc(label)}</span>' if label else ""
    return "".join(f'<li class="chip {kind}">{tag}{esc(i)}</li>' for i in items)


def matrix_table(
    rows: Sequence[str],
    cols: Sequence[str],
    matrix: Sequence[Sequence[float]],
    fmt: Callable[[float], str],
    diag: bool,
    bounds: tuple[float, float] = (0.0, 1.0),
    subtitles: dict[str, str] | None = None,
) -> str:
    """A heat-map table: ``rows`` x ``cols``, each cell coloured by its value within ``bounds``."""
    lo, hi = bounds
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
