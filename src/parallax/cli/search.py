"""``parallax search``: the best passages for a query, or for every line of a file, in any mode."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from parallax.cli.common import IndexOpt, fail, handles_errors, open_index_with_progress

if TYPE_CHECKING:
    from parallax.search.searcher import SearchResult


@handles_errors
def search_cmd(
    query: Annotated[str | None, typer.Argument(help="What to look for.")] = None,
    k: Annotated[int, typer.Option("-k", "--top-k", help="How many passages to return.")] = 10,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (id or file name); repeatable.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per query.")] = False,
    queries: Annotated[
        Path | None, typer.Option("--queries", help="File with one query per line; prints JSON lines.")
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="dense, bm25 or hybrid.")] = "hybrid",
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Only documents with FIELD=VALUE (or FIELD!=VALUE), e.g. publisher='Fox News'."),
    ] = None,
    exact: Annotated[
        bool,
        typer.Option("--exact", help="Score every chunk exactly, even where the index searches approximately."),
    ] = False,
    index: IndexOpt = None,
) -> None:
    """Search an index and show the best passages with source, score and offsets.

    A "quoted phrase" in the query must appear in every hit.
    """
    from parallax.embed.registry import get_embedder
    from parallax.search.searcher import Searcher

    if queries is None and query is None:
        raise fail('give a query, e.g. parallax search "liaison office in Tokyo", or --queries FILE')
    if queries is not None and query is not None:
        raise fail("give either a query or --queries FILE, not both")
    lines = _read_queries(queries) if queries is not None else []
    from parallax.index.fields import sources_where

    searcher = Searcher(open_index_with_progress(index), get_embedder(), exact=exact)
    sources = [*(source or []), *sources_where(searcher.index.manifest.documents, where or [])]
    if queries is not None:
        for line in lines:
            print(_result_json(searcher.search(line, k=k, sources=sources, mode=mode)), flush=True)
        return
    assert query is not None
    result = searcher.search(query, k=k, sources=sources, mode=mode)
    if as_json:
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        print(_result_json(result))
        return
    from parallax.render.search import Style, format_hits, summary_line, terminal_width, wants_color

    short = {d.source: d.short_id for d in searcher.index.manifest.documents}
    out = Style(wants_color(sys.stdout))
    print(format_hits(query, result.hits, short, out, terminal_width(), show_found_by=result.mode == "hybrid"))
    err = Style(wants_color(sys.stderr))
    for note in result.notes:
        print(err("note:", "yellow"), note, file=sys.stderr)
    print(err(f"{summary_line(result)} · model load {searcher.load_ms:.0f} ms", "dim"), file=sys.stderr)


def _read_queries(path: Path) -> list[str]:
    """The non-blank lines of a --queries file; an unreadable or empty file is an error."""
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read queries from {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not lines:
        raise fail(f"{path} holds no queries (one per line)")
    return lines


def _result_json(result: SearchResult) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False)
