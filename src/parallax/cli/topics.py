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
) -> None:
    """Map the corpus: its main topics, their labels, and how much of each source covers each one.

    Each topic comes with a query to pass to: parallax compare "<query>".
    """
    from parallax.analyze.topics import discover_topics

    if n is not None and n < 1:
        raise fail("-n must be at least 1")
    tm = discover_topics(open_index_with_progress(index), n_topics=n)
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
