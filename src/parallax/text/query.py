"""Query parsing: quoted phrases that every hit must contain, and the text given to the models."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from parallax.core.errors import InputError

MAX_QUERY_CHARS = 10_000
_QUOTED = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # what the models see: the whole query with quote marks removed
    phrases: tuple[str, ...]  # normalised phrases that must appear in every hit
    truncated: bool = False


def normalise(text: str) -> str:
    """Case-, quote- and space-insensitive form used to match phrases."""
    return " ".join(text.translate(_FOLD).casefold().split())


def parse_query(query: str) -> ParsedQuery:
    """Strip control characters, find quoted phrases, refuse an empty query."""
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in query)
    text = " ".join(text.split())
    truncated = len(text) > MAX_QUERY_CHARS
    text = text[:MAX_QUERY_CHARS]
    phrases = tuple(p for p in (normalise(m) for m in _QUOTED.findall(text)) if p)
    model_text = " ".join(_QUOTED.sub(lambda m: m.group(1), text).replace('"', " ").split())
    if not model_text:
        raise InputError('the query is empty; give words to search for, e.g. parallax search "liaison office in Tokyo"')
    return ParsedQuery(model_text, phrases, truncated)


def contains_all(haystack_normalised: str, phrases: tuple[str, ...]) -> bool:
    return all(p in haystack_normalised for p in phrases)
