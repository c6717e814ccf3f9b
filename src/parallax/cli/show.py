"""``parallax show``: a passage of an indexed document, highlighted, with the text around it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from parallax.cli.common import IndexOpt, handles_errors, open_index_with_progress

if TYPE_CHECKING:
    from parallax.api import PassageInContext


@handles_errors
def show_cmd(
    passage: Annotated[
        str,
        typer.Argument(
            help="SOURCE [START:END) as search prints it (quoted), SOURCE:[START:END) or SOURCE:START-END; "
            "SOURCE is a source id or file name."
        ),
    ],
    context: Annotated[int, typer.Option("--context", "-c", help="Characters of context on each side.")] = 300,
    as_json: Annotated[bool, typer.Option("--json", help="Print the passage as one JSON object.")] = False,
    index: IndexOpt = None,
) -> None:
    """Show a passage of an indexed document, highlighted, with the text around it."""
    from parallax.api import parse_span, show_passage

    source, start, end = parse_span(passage)
    found = show_passage(open_index_with_progress(index), source, start, end, context=context)
    if as_json:
        print(json.dumps(found.to_dict(), ensure_ascii=False))
        return
    _print(found)


def _print(found: PassageInContext) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console()
    page = f" · page {found.page}" if found.page is not None else ""
    console.print(
        Text(f"{found.source} · {found.title}{page} · [{found.start}:{found.end}) of {found.chars}", style="bold")
    )
    body = Text()
    if found.start - len(found.before) > 0:
        body.append("… ", style="dim")
    body.append(found.before, style="dim")
    body.append(found.text, style="bold reverse")
    body.append(found.after, style="dim")
    if found.end + len(found.after) < found.chars:
        body.append(" …", style="dim")
    console.print(body, soft_wrap=True)
