"""Query terms: the content words of a query, a pattern that finds them, and excerpts around them.

Plain string work with no terminal library, shared by the search output, compare, topics and HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "says",
        "said",
        "also",
        "its",
        "it's",
        "does",
    ]
)
_TERM = re.compile(r"[\w'’-]+", re.UNICODE)


def query_terms(query: str) -> list[str]:
    """Content words of a query, lower-cased, for highlighting."""
    seen: list[str] = []
    for word in _TERM.findall(query.lower()):
        word = word.strip("'’-")
        if len(word) >= 3 and word not in STOPWORDS and word not in seen:
            seen.append(word)
    return seen


def _term_regex(term: str) -> str:
    """A term with either apostrophe for one; a possessive ('s or ’s) optional: "japan's" finds Japan, Japan’s."""
    base = term[:-2] if len(term) > 3 and term[-2] in "'’" and term[-1] in "sS" else term
    escaped = "['’]".join(re.escape(part) for part in re.split("['’]", base))
    return escaped + ("(?:['’]s)?" if base != term else "")


def terms_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Match each term as a word prefix, so 'summit' lights up 'summits' (and "japan's" Japan and Japan’s)."""
    alts = [_term_regex(t) for t in sorted({t for t in terms if t}, key=lambda t: (-len(t), t))]
    if not alts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")\w*", re.IGNORECASE)


def excerpt(text: str, terms: Sequence[str], width: int = 320, at: int | None = None) -> str:
    """At most about ``width`` characters of ``text``, cut at spaces.

    With ``at`` (where the sentence that matters starts), the excerpt starts there, or earlier when the
    sentence is near the end; else it starts a little before the first term.
    """
    if len(text) <= width * 1.25:
        return text
    if at is not None:
        begin = max(0, min(at, len(text) - width))
        exact = begin == at
    else:
        pattern = terms_pattern(terms)
        m = pattern.search(text) if pattern else None
        begin = 0 if m is None else max(0, m.start() - width // 5)
        exact = False
    if begin and not exact:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < begin + 30 else begin
    end = min(len(text), begin + width)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > begin + width // 2 else end
    return ("… " if begin else "") + text[begin:end].strip() + (" …" if end < len(text) else "")
