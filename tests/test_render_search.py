"""Search results as terminal text: readable blocks, ANSI colour only where asked for, fitted to the width."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest

from parallax.render.search import Style, format_hits, summary_line, wants_color
from parallax.search.searcher import Hit

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TEXT = "Tokyo was to host a NATO **liaison office**, the first in Asia, until France objected. " * 6


def hit(rank: int = 1, page: int | None = None, found_by: tuple[str, ...] = ("dense", "bm25")) -> Hit:
    return Hit(rank, 0.8123, 7, "nikkei.md", "Japan and NATO " * 8, 120, 640, TEXT, TEXT, found_by, page)


def test_plain_blocks_hold_everything_a_reader_needs() -> None:
    out = format_hits(
        "liaison office in Tokyo", [hit(1), hit(2, page=3)], {"nikkei.md": "nikkei"}, Style(False), 80, True
    )
    assert not ANSI.search(out)
    blocks = out.split("\n\n")
    assert len(blocks) == 2
    header, *body = blocks[0].splitlines()
    assert header.startswith("  1  0.812  nikkei · Japan and NATO")
    assert header.endswith("[120:640) · dense + bm25")
    assert "[120:640) p. 3" in blocks[1].splitlines()[0]
    assert all(len(line) <= 80 for line in out.splitlines())
    assert all(line.startswith(" " * 8) for line in body)
    assert "liaison office" in " ".join(body)  # the excerpt is around the query terms
    assert "**" not in out  # markdown marks are cleaned


def test_found_by_only_when_asked() -> None:
    out = format_hits("liaison", [hit()], {}, Style(False), 100, show_found_by=False)
    assert "dense" not in out.splitlines()[0]


def test_colour_highlights_terms_without_changing_the_text() -> None:
    plain = format_hits("liaison office", [hit()], {}, Style(False), 90, show_found_by=True)
    coloured = format_hits("liaison office", [hit()], {}, Style(True), 90, show_found_by=True)
    assert ANSI.search(coloured)
    assert "\x1b[1;33mliaison\x1b[0m" in coloured
    assert ANSI.sub("", coloured) == plain


def test_no_hits() -> None:
    assert format_hits("anything", [], {}, Style(False), 80) == "No passages found."


def test_colour_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    for var in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(var, raising=False)
    assert wants_color(Tty()) and not wants_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_color(Tty())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert wants_color(io.StringIO())


def test_excerpt_is_centred_on_the_highlighted_sentence() -> None:
    filler = "Background about other things entirely, repeated to fill the passage. " * 8
    answer = "The answer sentence says the budget doubled by 2027."
    text = "Budget talk starts here. " + filler + answer + " " + filler
    start = 120 + text.index(answer)
    found = Hit(1, 0.9, 3, "doc.txt", "Doc", 120, 120 + len(text), text, text, highlight=(start, start + len(answer)))
    out = format_hits("budget", [found], {}, Style(False), 100)
    assert "Budget talk starts here" in format_hits("budget", [replace(found, highlight=None)], {}, Style(False), 100)
    body = " ".join(line.strip() for line in out.splitlines()[1:])
    assert answer in body
    assert body.startswith("… The answer sentence")


def test_summary_line_grammar() -> None:
    from parallax.search.searcher import Latency, SearchResult

    one = SearchResult("q", 5, [hit()], Latency(1.0, 1.0, 2.0))
    assert summary_line(one).startswith("1 result · hybrid")
    assert summary_line(replace(one, hits=[hit(1), hit(2)])).startswith("2 results · ")
