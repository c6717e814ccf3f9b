"""Terminal rendering of a comparison with rich: one panel per source, then the cross-source view."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from parallax.analyze.comparison import Comparison, SourceView
from parallax.render.rich_text import highlighted, snippet
from parallax.render.wording import AGREEMENT, coverage_summary

BADGE = {"covers": "bold white on green", "mentions": "bold black on yellow", "silent": "bold white on grey42"}


def badge(coverage: str, score: float) -> Text:
    out = Text(f" {coverage.upper()} ", style=BADGE.get(coverage, "bold"))
    out.append(f" {score:.2f}", style="bold")
    return out


def _source_panel(view: SourceView, terms: list[str]) -> Panel:
    head = badge(view.coverage, view.score)
    head.append(f"  {view.title}", style="dim")
    parts: list[RenderableType] = [head]
    if view.coverage == "silent" and not view.passages:
        parts.append(Text("Says nothing on the topic.", style="dim italic"))
    for n, p in enumerate(view.passages, start=1):
        line = Text(f"{n}. ", style="bold")
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
    return Panel(Group(*parts), title=Text(view.short_id, style="bold cyan"), title_align="left", expand=True)


def _agreement_table(cmp: Comparison, short: dict[str, str]) -> Table:
    table = Table(title=f"Agreement: {AGREEMENT}", title_justify="left")
    table.add_column("")
    names = cmp.agreement_sources
    for name in names:
        table.add_column(short.get(name, name), justify="right")
    for i, name in enumerate(names):
        cells = []
        for j in range(len(names)):
            v = float(cmp.agreement[i, j])
            style = "dim" if i == j or v == 0 else ("bold green" if v >= 0.6 else "")
            cells.append(Text("—" if i == j else f"{v:.2f}", style=style))
        table.add_row(Text(short.get(name, name), style="cyan"), *cells)
    return table


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


def _common_ground(cmp: Comparison, short: dict[str, str], terms: list[str]) -> Table:
    table = Table(
        title="Common ground (a point made by two or more sources, facts lined up)",
        title_justify="left",
        show_lines=True,
        expand=True,
    )
    table.add_column("point", ratio=2)
    table.add_column("source", width=14, no_wrap=True)
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
                Text(f"{short.get(ap.passage.source, ap.passage.source)}\n{ap.passage.score:.2f}", style="cyan"),
                says,
            )
    return table


def _unique_angles(cmp: Comparison, short: dict[str, str], terms: list[str]) -> Table:
    table = Table(title="Unique angles (said by one source only)", title_justify="left", show_lines=True, expand=True)
    table.add_column("source", width=14, no_wrap=True)
    table.add_column("angle", ratio=2)
    table.add_column("passage", ratio=6)
    for u in cmp.unique_angles:
        table.add_row(
            Text(short.get(u.source, u.source), style="cyan"),
            Text(u.label, style="bold"),
            highlighted(u.passage.plain or u.passage.text, terms),
        )
    return table


def comparison_renderables(cmp: Comparison) -> Iterator[RenderableType]:
    short = {v.source: v.short_id for v in cmp.sources}
    terms = cmp.topic_terms
    yield Text.assemble(
        ("Topic: ", "bold"),
        (cmp.topic, "bold yellow"),
        (f"  ·  {len(cmp.sources)} sources: {coverage_summary(v.coverage for v in cmp.sources)}", "dim"),
    )
    order = sorted(cmp.sources, key=lambda v: -v.score)
    for view in order:
        yield _source_panel(view, terms)
    yield _agreement_table(cmp, short)
    if cmp.common_ground:
        yield _common_ground(cmp, short, terms)
    else:
        yield Text("No common ground: no point is made by two sources.", style="dim")
    if cmp.unique_angles:
        yield _unique_angles(cmp, short, terms)
