"""Terminal rendering of a topic map: the topics, a sources x topics heat table, and each source's leads."""

from __future__ import annotations

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


def ignored_text(names: list[str]) -> str:
    """The sources that ignore a topic: their names when few, else how many ('37 sources')."""
    return ", ".join(names) if len(names) <= NAMED else counted(len(names), "source")


# Below this many columns the "compare query" column is left out: it would squeeze the labels into
# three-line cells, and a label's words work as a compare query too.
WIDE = 110


def topics_title(tm: TopicMap) -> str:
    how = tm.how_k
    set_aside = tm.k - len(tm.topics)
    if set_aside > 0:
        how += f"; {counted(set_aside, 'cluster')} of fillers set aside as other"
    return f"{counted(len(tm.topics), 'topic')} in {counted(len(tm.assignments), tm.unit)} ({how})"


def topics_table(tm: TopicMap, width: int = WIDE) -> Table:
    short = {s.source: s.short_id for s in tm.sources}
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
        table.add_column("sources", max_width=max(14, width // 4))  # leaves the rest to the labels
    for t in tm.topics:
        lead = short.get(t.lead or "", "")
        ignored = ignored_text([short[s] for s in t.ignored_by])
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
    name = max((len(s.short_id) for s in tm.sources), default=6)
    needed = name + 4 + 7 * (len(tm.topics) + 1)  # a cell is " 100% " plus its border
    return len(tm.sources) <= MAX_TABLE_SOURCES and needed <= width


def coverage_lines(tm: TopicMap) -> list[Text]:
    """Each source's main topics with their share of its text, for a map too big for the heat table."""
    lines = [Text(f"Each source's main topics (share of its text; {MAIN_TOPICS} at most)", style="bold")]
    shown = tm.sources[:MAX_TABLE_SOURCES]
    pad = max(len(s.short_id) for s in shown) if shown else 0
    for s, row in zip(shown, tm.matrix):
        ranked = sorted(range(len(row)), key=lambda j: (-row[j], j))[:MAIN_TOPICS]
        parts = [f"#{tm.topics[j].id} {percent(row[j])}" for j in ranked if row[j] >= MIN_MAIN_SHARE]
        line = Text(f"{s.short_id:<{pad}}  ", style="bold cyan")
        line.append(" · ".join(parts) or "no topic holds 2% of its text", style="" if parts else "dim")
        lines.append(line)
    rest = len(tm.sources) - len(shown)
    if rest > 0:
        lines.append(
            Text(
                f"… and {counted(rest, 'more source')}: parallax topics --html FILE shows the whole table, "
                "--json holds it",
                style="dim",
            )
        )
    return lines


def coverage_table(tm: TopicMap) -> Table:
    table = Table(
        title="Share of each source's text per topic",
        title_justify="left",
        show_header=True,
        header_style="bold",
    )
    table.add_column("source")
    for t in tm.topics:
        table.add_column(f"#{t.id}", justify="right")
    table.add_column("other", justify="right", style="dim")
    for s, row, other in zip(tm.sources, tm.matrix, tm.other):
        cells: list[RenderableType] = [Text(s.short_id, style="bold cyan")]
        cells += [Text(percent(v), style=shade(v)) for v in row]
        cells.append(percent(other))
        table.add_row(*cells)
    return table


def leads_lines(tm: TopicMap) -> list[Text]:
    """One line per source that covers a topic the others cover much less."""
    short = {s.source: s.short_id for s in tm.sources}
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
    parts.append(Text("Topics one source covers that the others barely touch:", style="bold"))
    parts += leads or [Text("none: every topic is shared by at least two sources.", style="dim")]
    if tm.topics:
        parts.append(Text(f'\nSee how the sources treat one: parallax compare "{tm.topics[0].query}"', style="dim"))
    return Group(*parts)
