"""Terminal rendering of a comparison with rich: one panel per source, then the cross-source view."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from parallax.analyze.comparison import Comparison, SourceView
from parallax.analyze.passage import Passage
from parallax.index.fields import TIME_FIELDS
from parallax.render.rich_text import highlighted, snippet
from parallax.render.timeline import series, sparkline
from parallax.render.wording import AGREEMENT, coverage_summary, document_counts

MATRIX_MOST = 8  # sources in the terminal's agreement matrix (the JSON and HTML hold all)
COMPACT_FROM = 5  # past this many sources, the silent ones are named on one line rather than in panels
SILENT_NAMED = 20

BADGE = {"covers": "bold white on green", "mentions": "bold black on yellow", "silent": "bold white on grey42"}


def badge(coverage: str, score: float) -> Text:
    out = Text(f" {coverage.upper()} ", style=BADGE.get(coverage, "bold"))
    out.append(f" {score:.2f}", style="bold")
    return out


def _document_line(n: int, p: Passage, cmp: Comparison) -> Text:
    """Which document of a group passage ``n`` comes from: its short id and title."""
    line = Text(f"{n}. ", style="bold")
    line.append(cmp.short_ids.get(p.source, p.source), style="cyan")
    title = cmp.titles.get(p.source, "")
    if title:
        line.append(f" · {title}", style="italic")
    return line


def _source_panel(view: SourceView, cmp: Comparison) -> Panel:
    terms = cmp.topic_terms
    head = badge(view.coverage, view.score)
    if view.documents is not None:
        head.append(f"  {document_counts(view.documents)}", style="dim")
    else:
        head.append(f"  {view.title}", style="dim")
    parts: list[RenderableType] = [head]
    if view.coverage == "silent" and not view.passages:
        parts.append(Text("Says nothing on the topic.", style="dim italic"))
    for n, p in enumerate(view.passages, start=1):
        line = Text(f"{n}. ", style="bold")
        if cmp.grouped and (n == 1 or view.passages[n - 2].source != p.source):  # a document named once in a row
            parts.append(_document_line(n, p, cmp))
            line = Text("   ")
        line.append(f"[{p.start}:{p.end}) {p.score:.2f}  ", style="dim")
        if p.focus is not None:
            line.append_text(snippet(p.text, terms, width=300, at=p.focus - p.start))
        else:
            line.append_text(snippet(p.plain or p.text, terms, width=300))
        parts.append(line)
    if view.distinctive_terms:
        line = Text("distinctive: ", style="bold magenta")
        line.append(", ".join(view.distinctive_terms), style="magenta")
        parts.append(line)
    d = view.distinctive_passage
    if d is not None and view.coverage != "silent":
        line = Text("only here: ", style="bold magenta")
        line.append(f"[{d.start}:{d.end}) ", style="dim")
        line.append_text(snippet(d.plain or d.text, terms, width=220))
        parts.append(line)
    title = view.title if view.documents is not None else view.short_id
    return Panel(Group(*parts), title=Text(title, style="bold cyan"), title_align="left", expand=True)


def _agreement_table(cmp: Comparison, short: dict[str, str]) -> Table:
    names = _matrix_sources(cmp)
    at = {name: i for i, name in enumerate(cmp.agreement_sources)}
    title = f"Agreement: {AGREEMENT}"
    if len(names) < len(cmp.agreement_sources):
        title += f"; the {len(names)} sources that cover it most (--json or --html: all {len(cmp.agreement_sources)})"
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for name in names:
        table.add_column(short.get(name, name), justify="right")
    for name in names:
        cells = []
        for other in names:
            v = float(cmp.agreement[at[name], at[other]])
            style = "dim" if name == other or v == 0 else ("bold green" if v >= 0.6 else "")
            cells.append(Text("—" if name == other else f"{v:.2f}", style=style))
        table.add_row(Text(short.get(name, name), style="cyan"), *cells)
    return table


def _matrix_sources(cmp: Comparison) -> list[str]:
    """The sources of the terminal's agreement matrix: all of them, or the ``MATRIX_MOST`` best-covering."""
    names = cmp.agreement_sources
    if len(names) <= MATRIX_MOST:
        return list(names)
    score = {v.source: v.score for v in cmp.sources}
    best = set(sorted(names, key=lambda n: -score.get(n, 0.0))[:MATRIX_MOST])
    return [n for n in names if n in best]


def _facts_line(facts: dict[str, list[str]]) -> Text:
    out = Text()
    for key, style in (("numbers", "bold yellow"), ("dates", "bold yellow"), ("names", "bold"), ("quotes", "italic")):
        values = facts.get(key) or []
        if values:
            if out:
                out.append("  ")
            out.append(f"{key}: ", style="dim")
            shown = [f"“{v}”" for v in values] if key == "quotes" else values
            out.append(", ".join(shown[:5]), style=style)
    return out


def _who(cmp: Comparison, short: dict[str, str], owner: str, p: Passage) -> str:
    """The source column of a passage: the source, and for a group the document that says it."""
    if not cmp.grouped:
        return short.get(p.source, p.source)
    return f"{short.get(owner, owner)}\n{cmp.short_ids.get(p.source, p.source)}"


def _common_ground(cmp: Comparison, short: dict[str, str], terms: list[str]) -> Table:
    table = Table(
        title="Common ground (a point made by two or more sources, facts lined up)",
        title_justify="left",
        show_lines=True,
        expand=True,
    )
    table.add_column("point", ratio=2)
    table.add_column("source", width=18 if cmp.grouped else 14, no_wrap=not cmp.grouped, overflow="fold")
    table.add_column("what it says", ratio=6)
    for point in cmp.common_ground:
        for k, ap in enumerate(point.passages):
            says = highlighted(ap.passage.plain or ap.passage.text, terms)
            facts = _facts_line(ap.facts.to_dict())
            if facts:
                says.append("\n")
                says.append_text(facts)
            table.add_row(
                Text(point.label, style="bold") if k == 0 else Text(""),
                Text(f"{_who(cmp, short, ap.owner, ap.passage)}\n{ap.passage.score:.2f}", style="cyan"),
                says,
            )
    return table


def _unique_angles(cmp: Comparison, short: dict[str, str], terms: list[str]) -> Table:
    table = Table(title="Unique angles (said by one source only)", title_justify="left", show_lines=True, expand=True)
    table.add_column("source", width=18 if cmp.grouped else 14, no_wrap=not cmp.grouped, overflow="fold")
    table.add_column("angle", ratio=2)
    table.add_column("passage", ratio=6)
    for u in cmp.unique_angles:
        table.add_row(
            Text(_who(cmp, short, u.source, u.passage), style="cyan"),
            Text(u.label, style="bold"),
            highlighted(u.passage.plain or u.passage.text, terms),
        )
    return table


def _timeline(cmp: Comparison) -> Text | None:
    """Coverage over time as a sparkline, for ``--by year`` or ``month``."""
    periods = series(cmp)
    if len(periods) < 2:
        return None
    out = Text("Coverage over time ", style="bold")
    out.append(f"(share of each {cmp.by}'s documents that cover it): ", style="dim")
    out.append(f"{periods[0].key} ", style="dim")
    out.append(sparkline(periods), style="bold green")
    out.append(f" {periods[-1].key}", style="dim")
    peak = max(periods, key=lambda p: (p.share or 0.0, p.covers))
    if peak.covers:
        out.append(f"  · most: {peak.key}, {peak.covers} of {peak.total}", style="dim")
    return out


def _silent_line(views: list[SourceView]) -> Text:
    """Silent sources named on one line, the first ``SILENT_NAMED`` of them."""
    names = [v.title if v.documents is not None else v.short_id for v in views]
    shown = ", ".join(names[:SILENT_NAMED]) + (
        f" and {len(names) - SILENT_NAMED} more" if len(names) > SILENT_NAMED else ""
    )
    return Text.assemble(("Silent ", "bold"), (f"({len(names)}): ", "dim"), (shown, "dim"))


def comparison_renderables(cmp: Comparison) -> Iterator[RenderableType]:
    short = {v.source: v.short_id for v in cmp.sources}
    terms = cmp.topic_terms
    kind = f"{cmp.by} groups" if cmp.grouped else "sources"
    yield Text.assemble(
        ("Topic: ", "bold"),
        (cmp.topic, "bold yellow"),
        (f"  ·  {len(cmp.sources)} {kind}: {coverage_summary(v.coverage for v in cmp.sources)}", "dim"),
    )
    line = _timeline(cmp)
    if line is not None:
        yield line
    order = list(cmp.sources) if cmp.by in TIME_FIELDS else sorted(cmp.sources, key=lambda v: -v.score)
    compact = len(order) > COMPACT_FROM
    quiet = [v for v in order if compact and v.coverage == "silent" and not v.passages]
    for view in order:
        if view not in quiet:
            yield _source_panel(view, cmp)
    if quiet:
        yield _silent_line(quiet)
    yield _agreement_table(cmp, short)
    if cmp.common_ground:
        yield _common_ground(cmp, short, terms)
    else:
        yield Text("No common ground: no point is made by two sources.", style="dim")
    if cmp.unique_angles:
        yield _unique_angles(cmp, short, terms)
