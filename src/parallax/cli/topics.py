"""``parallax topics``: a map of the corpus's main topics."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from parallax.cli.common import IndexOpt, fail, handles_errors, open_index_with_progress, stderr, wrote


@handles_errors
def topics_cmd(
    index: IndexOpt = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML page.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    n: Annotated[
        int | None,
        typer.Option(
            "-n",
            "--topics",
            help="Number of clusters (default: chosen by silhouette, more for a larger corpus; at most 100).",
        ),
    ] = None,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="Coverage per group of documents: document (default), publisher, author, year, month, folder, "
            "or any key of sources.json.",
        ),
    ] = "document",
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Map only documents with FIELD=VALUE (or FIELD!=VALUE); repeatable."),
    ] = None,
) -> None:
    """Map the corpus: its main topics, their labels, and how much of each source covers each one.

    Each topic comes with a query to pass to: parallax compare "<query>". With --by publisher (or year,
    author, ...), each figure is per group of documents: the share of the group's text in each topic.
    With --where, only the documents kept are clustered and shown.
    """
    from parallax.analyze.grouping import Scope
    from parallax.analyze.topics import discover_topics

    if n is not None and n < 1:
        raise fail("-n must be at least 1")
    scope = Scope(by, tuple(where or ()))
    tm = discover_topics(open_index_with_progress(index), n_topics=n, scope=scope)
    if html is not None:
        from parallax.render.html.topics import write_topics_html

        write_topics_html(tm, html)
    if as_json:
        print(json.dumps(tm.to_dict(), ensure_ascii=False), flush=True)
        if html is not None:
            wrote(html)
        return
    from rich.console import Console

    from parallax.render.topics import render_topic_map

    console = Console()
    console.print(render_topic_map(tm, console.width))
    sys.stdout.flush()
    if html is not None:
        wrote(html)
    stderr().print(f"[dim]{tm.model} · {tm.index} · {tm.latency_ms:.0f} ms[/]", soft_wrap=True)
