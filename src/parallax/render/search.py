"""Search results as terminal text: one block per hit, query terms highlighted, no table library.

Each hit is a header line (rank, score, source, title, offsets, page, how it was found) and an
excerpt of its passage, wrapped to the terminal and indented. The excerpt starts at the hit's best
sentence (``Hit.highlight``), or a little before its first query term when it has none:

     1  0.846  nikkei · Japan scraps plan for NATO office · [1204:2410) · dense + bm25
        … Macron said NATO should not expand into the Indo-Pacific, and France blocked …

Colours are ANSI codes, only on a terminal and never with ``NO_COLOR`` set (``FORCE_COLOR`` forces
them). Printing a result this way takes about a millisecond; laying out a rich table took ~35 ms
and importing rich ~40 ms of every cold ``parallax search``.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from parallax.text.markup import to_plain
from parallax.text.terms import excerpt, query_terms, terms_pattern

if TYPE_CHECKING:
    from parallax.search.searcher import Hit, SearchResult

_CODES = {"bold": "1", "dim": "2", "italic": "3", "reverse": "7", "cyan": "36", "yellow": "33", "red": "31"}
INDENT = 8
MAX_WIDTH = 110  # longer lines are hard to read, however wide the terminal


@dataclass(frozen=True)
class Style:
    """Wraps text in ANSI codes when ``color`` is on, and returns it unchanged otherwise."""

    color: bool = False

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not text or not styles:
            return text
        return "\x1b[" + ";".join(_CODES[s] for s in styles) + "m" + text + "\x1b[0m"


def wants_color(stream: TextIO) -> bool:
    """Colour for a terminal, unless ``NO_COLOR`` (https://no-color.org) or ``TERM=dumb``."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def terminal_width() -> int:
    """The width to wrap standard output to: the terminal's (or ``COLUMNS``), at most ``MAX_WIDTH``, at least 40."""
    return max(40, min(MAX_WIDTH, shutil.get_terminal_size((100, 24)).columns))


def summary_line(result: SearchResult) -> str:
    """How many results, in which mode, and how long the query took."""
    lat = result.latency
    n = len(result.hits)
    return (
        f"{n} result{'' if n == 1 else 's'} · {result.mode} · latency {lat.total_ms:.1f} ms "
        f"(embed {lat.embed_ms:.1f} ms, search {lat.search_ms:.1f} ms)"
    )


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)].rstrip() + "…"


def format_hit(
    hit: Hit, terms: Sequence[str], short_id: str, style: Style, width: int, show_found_by: bool = False
) -> str:
    """One hit: its header line and its highlighted, wrapped passage."""
    where = f"[{hit.start}:{hit.end})" + (f" p. {hit.page}" if hit.page is not None else "")
    via = " + ".join(hit.found_by) if show_found_by and hit.found_by else ""
    lead = f"{hit.rank:>3}  {hit.score:.3f}  "
    fixed = len(lead) + len(short_id) + len(where) + (len(via) + 3 if via else 0) + 6
    title = _shorten(hit.title, max(12, width - fixed))
    header = (
        f"{hit.rank:>3}  {style(f'{hit.score:.3f}', 'bold')}  {style(short_id, 'bold', 'cyan')}"
        f" · {title} · {style(where, 'dim')}" + (f" · {style(via, 'dim', 'italic')}" if via else "")
    )
    plain = to_plain(hit.clean_text or hit.text)
    passage = excerpt(plain, terms, at=_focus(hit, plain))
    lines = textwrap.wrap(passage, width=max(20, width - INDENT), break_on_hyphens=False) or [""]
    pattern = terms_pattern(terms) if style.color else None
    if pattern is not None:
        lines = [pattern.sub(lambda m: style(m.group(0), "bold", "yellow"), line) for line in lines]
    return "\n".join([header, *(" " * INDENT + line for line in lines)])


def _focus(hit: Hit, plain: str) -> int | None:
    """Where the hit's best sentence starts in ``plain`` (its clean text), or None when it has none."""
    if hit.highlight is None:
        return None
    start, end = hit.highlight[0] - hit.start, hit.highlight[1] - hit.start
    sentence = to_plain(hit.text[start:end])
    found = plain.find(sentence) if sentence else -1
    return found if found >= 0 else min(len(plain), len(to_plain(hit.text[:start])))


def format_hits(
    query: str,
    hits: Sequence[Hit],
    short_ids: dict[str, str],
    style: Style,
    width: int,
    show_found_by: bool = False,
) -> str:
    """Every hit as a block, a blank line between blocks; a note when there are none."""
    if not hits:
        return "No passages found."
    terms = query_terms(query)
    return "\n\n".join(
        format_hit(h, terms, short_ids.get(h.source, h.source), style, width, show_found_by) for h in hits
    )
