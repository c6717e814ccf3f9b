"""Cleaning: from an exact slice of an original document to the text that is embedded and shown.

Small and free of heavy imports, so that printing search results does not load the file readers.
"""

from __future__ import annotations

import html
import re

_FOOTNOTE_REF = re.compile(r"<sup>[^<]{0,12}</sup>")
# A tag starts with a letter or "/" after "<" (or is a comment), so "x < 5 and y > 3" is left alone.
_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]{0,2000}|!--.{0,2000}?--)>", re.DOTALL)
_MD_MARK = re.compile(r"(^|\s)#{1,6}\s+|\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)|`")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_WS = re.compile(r"\s+")


def to_plain(raw: str) -> str:
    """Clean text for embedding and matching: no footnote markers, tags, entities or markdown marks."""
    text = _FOOTNOTE_REF.sub("", raw)
    text = _MD_LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = _MD_MARK.sub(lambda m: m.group(1) or "", text)
    return _WS.sub(" ", text).strip()
