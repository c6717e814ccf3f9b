"""``parallax compare``: how each source treats a topic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from parallax.cli.common import IndexOpt, handles_errors, open_index_with_progress, stderr, wrote

if TYPE_CHECKING:
    from parallax.analyze.comparison import Comparison


@handles_errors
def compare_cmd(
    topic: Annotated[str, typer.Argument(help="The topic, as you would search for it.")],
    index: IndexOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the comparison as an HTML page.")] = None,
    passages: Annotated[int, typer.Option("--passages", help="Key passages per source.")] = 3,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="Compare groups of documents: document (default), publisher, author, year, month, folder, "
            "or any key of sources.json.",
        ),
    ] = "document",
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Only documents with FIELD=VALUE (or FIELD!=VALUE); repeatable."),
    ] = None,
) -> None:
    """Put the sources side by side on one topic: who covers it, their key passages, what they share.

    For every source: covers / mentions / silent with a score, key passages, distinctive terms and the
    passage no other source echoes; then an agreement matrix, common ground with the facts each source
    states, and unique angles. With --by publisher (or year, author, ...), the sources are groups of
    documents: a group covers the topic when one of its documents does, and says how many do.
    """
    from parallax.core.errors import InputError
    from parallax.embed.registry import get_embedder
    from parallax.text.query import parse_query

    if not topic.strip():
        raise InputError('the topic is empty; give words to compare on, e.g. parallax compare "Japan and NATO"')
    parse_query(topic)  # refuses an empty topic before the model loads
    if passages < 1:
        raise InputError(f"--passages must be at least 1 (got {passages})")
    from parallax.analyze.compare import Comparer, Scope

    idx = open_index_with_progress(index)
    comparer = Comparer(idx, get_embedder(idx.manifest.model_id))  # the model loads in compare(), after the scope
    result = comparer.compare(topic, passages=passages, scope=Scope(by, tuple(where or ())))
    _show(result, html, as_json, comparer.load_ms)


def _show(result: Comparison, html: Path | None, as_json: bool, load_ms: float) -> None:
    """Notes on stderr, then the JSON or the terminal view; the HTML page when asked for."""
    for note in result.notes:  # caveats on stderr; the JSON stays as it is
        stderr().print(f"Note: {note}", style="yellow", markup=False, soft_wrap=True)
    if html is not None:
        from parallax.render.html.compare import write_compare_html

        write_compare_html(result, html)
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        if html is not None:
            wrote(html)
        return
    from rich.console import Console

    from parallax.render.compare import comparison_renderables

    console = Console()
    for part in comparison_renderables(result):
        console.print(part)
    if html is not None:
        wrote(html)
    stderr().print(f"[dim]compare {result.latency_ms:.0f} ms · model load {load_ms:.0f} ms[/]")
