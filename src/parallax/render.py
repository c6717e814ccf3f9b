"""Terminal rendering with rich: result tables, snippets with the query terms highlighted."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

from .corpus import to_plain

if TYPE_CHECKING:
    from .search import Hit

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


def terms_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Match each term as a word prefix, so 'summit' lights up 'summits'."""
    alts = sorted({re.escape(t) for t in terms if t}, key=len, reverse=True)
    if not alts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")\w*", re.IGNORECASE)


def highlighted(text: str, terms: Sequence[str], style: str = "bold yellow") -> Text:
    out = Text(text)
    pattern = terms_pattern(terms)
    if pattern:
        for m in pattern.finditer(text):
            out.stylize(style, m.start(), m.end())
    return out


def excerpt(text: str, terms: Sequence[str], width: int = 320) -> str:
    """At most about ``width`` characters of ``text``, from a little before its first term, cut at spaces."""
    if len(text) <= width * 1.25:
        return text
    pattern = terms_pattern(terms)
    m = pattern.search(text) if pattern else None
    begin = 0 if m is None else max(0, m.start() - width // 5)
    if begin:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < begin + 30 else begin
    end = min(len(text), begin + width)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > begin + width // 2 else end
    return ("… " if begin else "") + text[begin:end].strip() + (" …" if end < len(text) else "")


def snippet(raw: str, terms: Sequence[str], width: int = 320) -> Text:
    """The clean passage around its first query term, at most about ``width`` characters, highlighted."""
    return highlighted(excerpt(to_plain(raw), terms, width), terms)


def latency_line(embed_ms: float, search_ms: float, total_ms: float) -> str:
    return f"latency {total_ms:.1f} ms (embed {embed_ms:.1f} ms, search {search_ms:.1f} ms)"


def results_table(query: str, hits: Sequence[Hit], short_ids: dict[str, str], show_found_by: bool = False) -> Table:
    terms = query_terms(query)
    table = Table(show_header=True, header_style="bold", expand=True, show_lines=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("score", justify="right", width=6)
    table.add_column("source", ratio=1, min_width=16)
    table.add_column("passage", ratio=4)
    for hit in hits:
        src = Text(short_ids.get(hit.source, hit.source), style="bold cyan")
        src.append(f"\n{hit.title}", style="dim")
        src.append(f"\n[{hit.start}:{hit.end})", style="dim")
        if hit.page is not None:
            src.append(f" p. {hit.page}", style="dim")
        if show_found_by:
            src.append(f"\nvia {' + '.join(hit.found_by)}", style="dim italic")
        table.add_row(str(hit.rank), f"{hit.score:.3f}", src, snippet(hit.clean_text or hit.text, terms))
    return table


def titled(title: str, body: Table) -> Group:
    return Group(Text(title, style="bold"), body)
