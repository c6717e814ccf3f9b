"""Boilerplate: lines that are page furniture (widgets, captchas, footnote definitions, bare URLs,
navigation bars), not content.

Used when finding the blocks of a document that carry prose, when guessing a title, and when the
HTML report lays out a source's text.
"""

from __future__ import annotations

import re

from parallax.text.markup import to_plain

_BOILERPLATE = re.compile(
    r"""^(?:
        please\ follow\ and\ like\ us.*
      | enjoy\ this\ blog.*
      | post\ new\ comment
      | what'?s\ your\ reaction\??
      | (?:like|dislike|love|funny|angry|sad|wow|share|tweet|print|email|reply)
      | the\ content\ of\ this\ field\ is\ kept\ private.*
      | solve\ this\ simple\ math\ problem.*
      | contact\ us | subscribe.* | sign\ up.* | log\ ?in.* | cookies?\ (?:policy|settings).*
      | image\ source:?.* | source:\ .{0,80}
      | estimated\ reading\ time:.*
      | more\ >>
      | cc\ by(?:[\ -][a-z]{2}){0,4}(?:\ \d\.\d)?
      | (?:https?://|www\.)\S+
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# Navigation bars. GNU texinfo (and info) pages start with "Next: X, Previous: Y, Up: Z [Index]"; a
# target may hold commas ("Arrays, Unions, and Enumerations") but no colon or bracket. Two labelled
# links, or one followed by "[Index]"/"[Contents]", make a bar: one alone ("Next: we dry the leaves.")
# is prose. Other generators write bare link words: "Prev | Home | Next", "<< Previous | Up | Next >>".
_NAV_LINK = r"(?:node|next|prev(?:ious)?|up|forward|back|top)\s*:\s*[^:\[\]\n]{0,120}?"
_NAV_TAIL = r"(?:\[\s*(?:index|contents|top)\s*\]\s*)+"
_TEXINFO_NAV = re.compile(
    rf"^\s*(?:{_NAV_LINK}(?:\s*,\s*{_NAV_LINK})+\s*(?:{_NAV_TAIL})?|(?:{_NAV_LINK}\s*)?{_NAV_TAIL})$", re.IGNORECASE
)
_TEXINFO_NAV_START = re.compile(rf"^\s*(?:{_NAV_LINK}(?:\s*,\s*{_NAV_LINK})*\s*)?{_NAV_TAIL}", re.IGNORECASE)
_NAV_WORD = r"[\[(<«]*\s*(?:prev(?:ious)?|next|up|home|top|contents|index|back|forward)\s*[\])>»]*"
_NAV_WORDS = re.compile(
    rf"^\s*(?:[<«]+\s*)?{_NAV_WORD}(?:\s*[|·•/]?\s*{_NAV_WORD}){{1,7}}(?:\s*[>»]+)?\s*$", re.IGNORECASE
)
_FOOTNOTE_DEF = re.compile(r"^\s*(?:<sup>[^<]*</sup>\s*)+\S|^\s*\[\^[^\]]+\]:")
_HAS_WORD = re.compile(r"[^\W\d_]{2,}")


def is_navigation(plain: str) -> bool:
    """True for a navigation bar: "Next: X, Previous: Y, Up: Z [Index]", "Prev | Home | Next"."""
    if len(plain) > 400:
        return False
    return bool(_TEXINFO_NAV.match(plain) or _NAV_WORDS.match(plain))


def navigation_prefix(line: str) -> int:
    """The length of a texinfo navigation bar that starts ``line`` and ends in "[Index]" or "[Contents]", else 0.

    Extraction sometimes joins the bar to the page's first paragraph; this is where to cut it off.
    """
    m = _TEXINFO_NAV_START.match(line[:600])
    return m.end() if m and m.end() < len(line) and _TEXINFO_NAV.match(line[: m.end()]) else 0


def is_boilerplate(line: str) -> bool:
    """True for a line that is page furniture: widgets, captchas, footnote definitions, bare URLs, navigation."""
    plain = to_plain(line)
    if not _HAS_WORD.search(plain):
        return True  # "10 + 3 =", separators, empty headings
    if _FOOTNOTE_DEF.match(line):
        return True
    return bool(_BOILERPLATE.match(plain.strip(" .:")) or is_navigation(plain))
