"""Terminal rendering of a topic map: the topics, a sources x topics heat table, and each source's leads.

With ``--by`` the rows are groups of documents (named by the field: "publisher"), their names cut to
``NAME_WIDTH`` characters; when there are too many for the heat table, the ``MAX_TABLE_SOURCES`` largest
(most documents, then most text) are shown in the groups' order and the rest are counted.
"""

from __future__ import annotations

import shlex

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from parallax.analyze.topic_map import TopicMap

# Background shades for coverage cells, from no coverage to a large share of a source's text.
_SHADES = [
    (0.02, ""),
    (0.05, "on grey23"),
    (0.10, "on dark_cyan"),
    (0.20, "black on cyan3"),
    (1.01, "bold black on bright_cyan"),
]


def shade(share: float) -> str:
    for limit, style in _SHADES:
        if share < limit:
            return style
    return _SHADES[-1][1]


def percent(share: float) -> str:
    return f"{100 * share:.0f}%" if share >= 0.005 else "·"


NAMED = 3  # "ignored by" names this many sources at most; more are counted


def counted(n: int, noun: str) -> str:
    """'1 topic', '2 topics'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def ignored_text(names: list[str], noun: str = "source") -> str:
    """The sources that ignore a topic: their names when few, else how many ('37 sources')."""
    return ", ".join(names) if len(names) <= NAMED else counted(len(names), noun)


NAME_WIDTH = 28  # a group's name in the terminal, at most (a publisher can be a sentence long)


def clip(text: str, most: int = NAME_WIDTH) -> str:
    """``text`` cut to ``most`` characters, with an ellipsis when cut."""
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def row_names(tm: TopicMap) -> dict[str, str]:
    """Each row's key -> its name in the terminal: a source's short id, or a group's label (cut)."""
    return {r.key: (clip(r.shown) if tm.grouped else r.shown) for r in tm.rows}


def largest_rows(tm: TopicMap, most: int) -> list[int]:
    """The positions of the rows shown when only ``most`` fit: the first sources, or the largest groups
    (most documents, then most units) in the groups' own order (time order, unknown last)."""
    rows = tm.rows
    if len(rows) <= most:
        return list(range(len(rows)))
    if not tm.grouped:
        return list(range(most))
    ranked = sorted(range(len(rows)), key=lambda i: (-rows[i].documents, -rows[i].units, i))
    return sorted(ranked[:most])


def scope_flags(tm: TopicMap) -> str:
    """The ``--by`` and ``--where`` options of the map, to repeat on ``parallax compare`` ('' for none)."""
    parts = ([f"--by {shlex.quote(tm.by)}"] if tm.grouped else []) + [f"--where {shlex.quote(w)}" for w in tm.where]
    return "".join(f" {p}" for p in parts)


# Below this many columns the "compare query" column is left out: it would squeeze the labels into
# three-line cells, and a label's words work as a compare query too.
WIDE = 110


def topics_title(tm: TopicMap) -> str:
    how = tm.how_k
    set_aside = tm.k - len(tm.topics)
    if set_aside > 0:
        how += f"; {counted(set_aside, 'cluster')} of fillers set aside as other"
    where = f" of {counted(len(tm.sources), 'document')} where {' and '.join(tm.where)}" if tm.where else ""
    return f"{counted(len(tm.topics), 'topic')} in {counted(len(tm.assignments), tm.unit)}{where} ({how})"


def topics_table(tm: TopicMap, width: int = WIDE) -> Table:
    short = row_names(tm)
    wide = width >= WIDE
    table = Table(
        title=topics_title(tm),
        title_justify="left",
        show_header=True,
        header_style="bold",
        show_lines=False,
        box=box.HEAVY_HEAD if wide else box.SIMPLE_HEAD,
        pad_edge=wide,
    )
    table.add_column("#", justify="right")
    table.add_column("topic")
    table.add_column(tm.unit + "s" if wide else "size", justify="right")
    table.add_column("share", justify="right")
    if wide:
        table.add_column("led by")
        table.add_column("ignored by", style="dim")
        table.add_column("compare query", style="green")
    else:
        table.add_column(f"{tm.noun}s", max_width=max(14, width // 4))  # leaves the rest to the labels
    for t in tm.topics:
        lead = short.get(t.lead or "", "")
        ignored = ignored_text([short[s] for s in t.ignored_by], tm.noun)
        cells: list[RenderableType] = [str(t.id), Text(t.label, style="bold"), str(t.size), percent(t.share)]
        if wide:
            cells += [lead, ignored, t.query]
        else:
            note = Text()
            if lead:
                note.append(f"led by {lead}")
            if ignored:
                note.append(("; " if lead else "") + f"ignored by {ignored}", style="dim")
            cells.append(note)
        table.add_row(*cells)
    return table


# The sources x topics heat table is shown when it fits: at most this many sources (rows), and every topic
# column at least 5 characters wide. Otherwise each source gets a line naming its main topics.
MAX_TABLE_SOURCES = 30
MAIN_TOPICS = 3  # per source, in the compact view
MIN_MAIN_SHARE = 0.02


def coverage_fits(tm: TopicMap, width: int) -> bool:
    """Whether the sources x topics heat table can be read at ``width`` columns."""
    name = max((len(n) for n in row_names(tm).values()), default=6)
    needed = name + 4 + 7 * (len(tm.topics) + 1)  # a cell is " 100% " plus its border
    return len(tm.rows) <= MAX_TABLE_SOURCES and needed <= width


def _more_rows(tm: TopicMap, rest: int) -> Text:
    if not tm.grouped:
        return Text(
            f"… and {counted(rest, 'more source')}: parallax topics --html FILE shows the whole table, --json holds it",
            style="dim",
        )
    return Text(
        f"… and {counted(rest, f'more {tm.noun}')} with fewer documents: parallax topics --html FILE shows "
        "the largest, --json holds every one",
        style="dim",
    )


def coverage_lines(tm: TopicMap) -> list[Text]:
    """Each source's main topics with their share of its text, for a map too big for the heat table."""
    lines = [Text(f"Each {tm.noun}'s main topics (share of its text; {MAIN_TOPICS} at most)", style="bold")]
    rows, names = tm.rows, row_names(tm)
    shown = largest_rows(tm, MAX_TABLE_SOURCES)
    pad = max(len(names[rows[i].key]) for i in shown) if shown else 0
    for i in shown:
        row = tm.matrix[i]
        ranked = sorted(range(len(row)), key=lambda j: (-row[j], j))[:MAIN_TOPICS]
        parts = [f"#{tm.topics[j].id} {percent(row[j])}" for j in ranked if row[j] >= MIN_MAIN_SHARE]
        line = Text(f"{names[rows[i].key]:<{pad}}  ", style="bold cyan")
        line.append(" · ".join(parts) or "no topic holds 2% of its text", style="" if parts else "dim")
        lines.append(line)
    rest = len(rows) - len(shown)
    if rest > 0:
        lines.append(_more_rows(tm, rest))
    return lines


def coverage_table(tm: TopicMap) -> Table:
    table = Table(
        title=f"Share of each {tm.noun}'s text per topic",
        title_justify="left",
        show_header=True,
        header_style="bold",
    )
    table.add_column(tm.noun)
    for t in tm.topics:
        table.add_column(f"#{t.id}", justify="right")
    table.add_column("other", justify="right", style="dim")
    names = row_names(tm)
    for r, row, other in zip(tm.rows, tm.matrix, tm.other):
        cells: list[RenderableType] = [Text(names[r.key], style="bold cyan")]
        cells += [Text(percent(v), style=shade(v)) for v in row]
        cells.append(percent(other))
        table.add_row(*cells)
    return table


def leads_lines(tm: TopicMap) -> list[Text]:
    """One line per source (or group) that covers a topic the others cover much less."""
    short = row_names(tm)
    lines = []
    for source, topics in tm.leads().items():
        if not topics:
            continue
        line = Text(f"{short[source]}: ", style="bold cyan")
        for i, t in enumerate(topics):
            others = max(v for s, v in t.coverage.items() if s != source)
            if i:
                line.append("; ")
            line.append(f"#{t.id} {t.label}", style="bold")
            line.append(f" ({percent(t.coverage[source])} of its text, others ≤ {percent(others)})")
        lines.append(line)
    return lines


def render_topic_map(tm: TopicMap, width: int = WIDE) -> Group:
    """The whole map for a terminal ``width`` columns wide."""
    coverage: list[RenderableType] = [coverage_table(tm)] if coverage_fits(tm, width) else list(coverage_lines(tm))
    parts: list[RenderableType] = [topics_table(tm, width), Text(""), *coverage, Text("")]
    leads = leads_lines(tm)
    noun = tm.noun
    parts.append(Text(f"Topics one {noun} covers that the others barely touch:", style="bold"))
    parts += leads or [Text(f"none: every topic is shared by at least two {noun}s.", style="dim")]
    if tm.topics:
        command = f'parallax compare "{tm.topics[0].query}"{scope_flags(tm)}'
        parts.append(Text(f"\nSee how the {noun}s treat one: {command}", style="dim"))
    return Group(*parts)
