"""Heuristic fact extraction: the numbers, dates, names and quoted words a passage states.

Regular expressions only, no model: percentages and money, other figures, years and calendar dates,
capitalised multi-word names, and text in quotes (“…”, "…", ‘…’). The point is to line up what two
sources say about the same thing (one gives 2027, another 2028), not to parse every sentence.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?"
)
_SCALE = r"(?:trillion|billion|million|thousand|bn|tn|mn)"
_CURRENCY_WORD = r"(?:dollars?|euros?|yen|won|pounds?|yuan|rupees?)"

_DATE = re.compile(
    rf"\b(?:\d{{1,2}}\s+(?:{_MONTHS})(?:,?\s+\d{{4}})?"  # 12 July 2023, 12 July
    rf"|(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,\s*\d{{4}})?"  # July 12, 2023
    rf"|(?:{_MONTHS})\s+\d{{4}}"  # July 2023
    r"|\d{4}-\d{2}-\d{2}"  # 2023-07-12
    r"|(?:19|20)\d{2}s?(?:[–-](?:19|20)?\d{2})?)\b"  # 2027, 1990s, 2022-23
)
_PERCENT = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?\s?(?:%|per\s?cent\b|percent\b|percentage points?\b)")
_MONEY = re.compile(
    rf"(?:(?:US|A|NZ|C|HK)?[$€£¥₩]\s?\d[\d,]*(?:\.\d+)?(?:\s?{_SCALE})?"
    rf"|\b\d[\d,]*(?:\.\d+)?\s?{_SCALE}?\s?{_CURRENCY_WORD}\b"
    rf"|\b\d[\d,]*(?:\.\d+)?\s?{_SCALE}\b)"
)
# Other figures: a number with an optional unit-like word after it (155mm, 1,000 troops, 32 members).
_NUMBER = re.compile(r"(?<![\w.,])\d[\d,]*(?:\.\d+)?(?:mm|km|kg|th|st|nd|rd)?(?![\w%])")
_QUOTES = (
    re.compile(r"“([^“”]{2,300})”"),
    re.compile(r'"([^"]{2,300})"'),
    re.compile(r"(?<!\w)‘([^‘’]{2,300}?)’(?!\w)"),
    re.compile(r"(?<![\w'])'([^']{2,300}?)'(?![\w'])"),
)
_CAP = r"(?:[A-Z][\w’'.-]*[\w]|[A-Z])"
_NAME = re.compile(rf"{_CAP}(?:\s+(?:of|the|de|von|van|and|for|al|bin)\s+{_CAP}|\s+{_CAP})+")
# Capitalised only because they start a sentence or are everyday words: never the start of a name.
_LEADING = frozenset(
    [
        "A",
        "An",
        "The",
        "In",
        "On",
        "At",
        "As",
        "And",
        "But",
        "For",
        "From",
        "If",
        "Of",
        "Or",
        "So",
        "To",
        "With",
        "When",
        "While",
        "After",
        "Before",
        "During",
        "Since",
        "Under",
        "This",
        "That",
        "These",
        "Those",
        "Its",
        "It",
        "Their",
        "There",
        "However",
        "Meanwhile",
        "Moreover",
        "Although",
        "Though",
        "Yet",
        "Nor",
        "Not",
        "Also",
        "By",
        "Into",
        "Over",
        "About",
        "Against",
        "Between",
        "Both",
        "Each",
        "Every",
        "Many",
        "Most",
        "Some",
        "Such",
        "What",
        "Which",
        "Who",
        "Why",
        "How",
        "Unlike",
        "According",
        "Despite",
        "Indeed",
        "Still",
        "Even",
        "Then",
        "Thus",
        "Hence",
        "Here",
        "Now",
        "Today",
        "Yesterday",
        "Last",
        "Next",
    ]
)


@dataclass(frozen=True)
class Facts:
    numbers: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[str]]:
        return asdict(self)

    def __bool__(self) -> bool:
        return bool(self.numbers or self.dates or self.names or self.quotes)


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        item = " ".join(item.split()).strip(" ,.;:")
        if item and item not in seen:
            seen[item] = None
    return list(seen)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def _names(text: str) -> list[str]:
    out = []
    for m in _NAME.finditer(text):
        words = m.group(0).split()
        while words and words[0] in _LEADING:
            words = words[1:]
        while words and words[-1] in ("of", "the", "de", "von", "van", "and", "for", "al", "bin"):
            words = words[:-1]
        if len(words) >= 2:
            out.append(" ".join(words))
    return out


def extract_facts(text: str) -> Facts:
    """The facts a (clean, plain-text) passage states, each list in order of appearance, no duplicates."""
    dates = [m for m in _DATE.finditer(text)]
    rest = _blank(text, [m.span() for m in dates])
    money_and_pct = sorted([*_PERCENT.finditer(rest), *_MONEY.finditer(rest)], key=lambda m: m.start())
    kept: list[re.Match[str]] = []
    for m in money_and_pct:  # drop a match inside an earlier, longer one
        if kept and m.start() < kept[-1].end():
            if m.end() - m.start() > kept[-1].end() - kept[-1].start():
                kept[-1] = m
            continue
        kept.append(m)
    rest = _blank(rest, [m.span() for m in kept])
    figures = sorted([*kept, *_NUMBER.finditer(rest)], key=lambda m: m.start())
    quotes = sorted((m for pattern in _QUOTES for m in pattern.finditer(text)), key=lambda m: m.start())
    return Facts(
        numbers=_unique([m.group(0) for m in figures]),
        dates=_unique([m.group(0) for m in dates]),
        names=_unique(_names(text)),
        quotes=_unique([m.group(1) for m in quotes]),
    )
