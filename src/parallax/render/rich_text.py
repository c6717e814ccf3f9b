"""Rich text for compare and topics: passages cut around the query terms, with the terms highlighted."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from parallax.text.markup import to_plain
from parallax.text.terms import excerpt, terms_pattern


def highlighted(text: str, terms: Sequence[str], style: str = "bold yellow") -> Text:
    out = Text(text)
    pattern = terms_pattern(terms)
    if pattern:
        for m in pattern.finditer(text):
            out.stylize(style, m.start(), m.end())
    return out


def snippet(raw: str, terms: Sequence[str], width: int = 320, at: int | None = None) -> Text:
    """The clean passage, at most about ``width`` characters, highlighted: from offset ``at`` of ``raw``
    (its best sentence) when given, else from just before its first query term."""
    focus = None if at is None else len(to_plain(raw[:at]))
    return highlighted(excerpt(to_plain(raw), terms, width, focus), terms)
