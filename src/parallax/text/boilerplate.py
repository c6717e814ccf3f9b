"""Boilerplate: lines that are page furniture (widgets, captchas, footnote definitions, bare URLs), not content.

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
_FOOTNOTE_DEF = re.compile(r"^\s*(?:<sup>[^<]*</sup>\s*)+\S|^\s*\[\^[^\]]+\]:")
_HAS_WORD = re.compile(r"[^\W\d_]{2,}")


def is_boilerplate(line: str) -> bool:
    """True for a line that is page furniture: widgets, captchas, footnote definitions, bare URLs."""
    plain = to_plain(line)
    if not _HAS_WORD.search(plain):
        return True  # "10 + 3 =", separators, empty headings
    if _FOOTNOTE_DEF.match(line):
        return True
    return bool(_BOILERPLATE.match(plain.strip(" .:")))
