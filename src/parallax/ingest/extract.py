"""Extraction: the text of HTML and PDF files, and a title for any document.

HTML goes through trafilatura's main-text extraction (headings kept as ``#`` lines, list items as
``- `` lines), with the regex block finder as the fallback when trafilatura finds nothing or fails
on a malformed page. PDF goes through pypdf page by page, pages separated by a blank line.

Extraction is the slow part of reading a folder (pypdf takes tens of ms a page), so an index keeps
what it extracted with the hash of the file's bytes and ``extractor_id()``, and an update reuses it
for files whose bytes and extractor have not changed.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parallax.ingest.blocks import html_blocks
from parallax.ingest.document import SkipFile
from parallax.text.boilerplate import is_boilerplate, navigation_prefix
from parallax.text.markup import to_plain

if TYPE_CHECKING:
    from configparser import ConfigParser

# Bump when the HTML or PDF extraction code changes: stored extractions are redone. 2: HTML titles in any
# case (never a DOCTYPE), texinfo navigation bars split from the text that follows them.
EXTRACTOR_VERSION = 2
EXTRACTED_FORMATS = ("html", "pdf")

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@lru_cache(maxsize=1)
def extractor_id() -> str:
    """This code's extraction, with the versions of the libraries that do it."""
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"parallax-extract {EXTRACTOR_VERSION}"]
    for lib in ("pypdf", "trafilatura"):
        try:
            parts.append(f"{lib} {version(lib)}")
        except PackageNotFoundError:
            parts.append(f"{lib} none")
    return "; ".join(parts)


def clean_extracted(text: str) -> str:
    """Extracted text: Unix newlines, no control characters, no trailing spaces."""
    text = _CONTROL_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


# --------------------------------------------------------------------------------------------
# PDF


def _pdf_failures() -> tuple[type[BaseException], ...]:
    """What pypdf raises on a damaged file.

    Its own errors derive from ``PyPdfError`` (plus ``DependencyError`` for a missing AES library),
    but its parsers also let Python's through from malformed objects: ``ValueError`` (bad numbers,
    ``UnicodeDecodeError``), ``LookupError`` (missing keys, indexes past an array), ``TypeError`` and
    ``AttributeError`` (an object of the wrong type where a dictionary or stream was expected),
    ``ArithmeticError`` (zero or huge sizes), ``RuntimeError`` (``NotImplementedError`` for unknown
    filters, ``RecursionError`` on reference loops), ``AssertionError``, ``OSError`` (``io``'s
    ``UnsupportedOperation``), and ``struct.error``/``zlib.error`` from decoding streams. Anything
    else is a bug in Parallax and is not hidden as "cannot read PDF".
    """
    from pypdf.errors import DependencyError, PyPdfError

    return (
        PyPdfError,
        DependencyError,
        ValueError,
        LookupError,
        TypeError,
        AttributeError,
        ArithmeticError,
        RuntimeError,
        AssertionError,
        OSError,
        struct.error,
        zlib.error,
    )


def read_pdf(data: bytes, path: Path) -> tuple[str, tuple[int, ...], str | None]:
    """Text of every page, pages separated by a blank line; the offset where each page starts; the title."""
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - a declared dependency
        raise SkipFile(f"{path}: reading PDF needs pypdf (pip install pypdf)", "unsupported") from None
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-but-readable files warn on every page
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SkipFile(f"{path} is an encrypted PDF (a password is needed)", "unreadable")
        parts: list[str] = []
        starts: list[int] = []
        pos = 0
        for page in reader.pages:
            text = clean_extracted(page.extract_text() or "")
            starts.append(pos)
            parts.append(text)
            pos += len(text) + 2
        title = None
        meta = reader.metadata
        if meta is not None and meta.title:
            title = " ".join(str(meta.title).split())[:200] or None
    except SkipFile:
        raise
    except _pdf_failures() as exc:  # evaluated only when pypdf raised: pypdf is imported by then
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        raise SkipFile(f"cannot read PDF {path}: {first}", "unreadable") from None
    return "\n\n".join(parts), tuple(starts), title


# --------------------------------------------------------------------------------------------
# HTML


@cache
def _trafilatura_config() -> ConfigParser:
    """trafilatura's settings for Parallax, made once per process."""
    from trafilatura.settings import use_config

    cfg = use_config()
    cfg.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no SIGALRM inside a library call
    cfg.set("DEFAULT", "MIN_EXTRACTED_SIZE", "10")  # short pages are pages too
    cfg.set("DEFAULT", "MAX_FILE_SIZE", str(10**10))  # Parallax applies its own --max-file-mb
    return cfg


def _flat(el: Any) -> str:
    """The text of an element of trafilatura's output tree, line breaks as spaces, on one line."""
    for lb in el.iter("lb"):
        lb.tail = " " + (lb.tail or "")
    return " ".join(" ".join(el.itertext()).split())


def _element_blocks(el: Any) -> list[str]:
    """The blocks of one element of trafilatura's body: a heading, list items, table rows or a paragraph."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "head":
        rend = str(el.get("rend") or "h2")
        level = int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2
        text = _flat(el)
        return ["#" * min(max(level, 1), 6) + " " + text] if text else []
    if tag == "list":
        return [f"- {t}" for t in (_flat(item) for item in el.iter("item")) if t]
    if tag == "table":
        rows = ([_flat(c) for c in row.iter("cell")] for row in el.iter("row"))
        return [" | ".join(cells) for cells in rows if any(cells)]
    if tag == "graphic":
        return []
    text = _flat(el)
    return [text] if text else []


def trafilatura_blocks(raw: str) -> list[str]:
    """Main-text blocks of an HTML page by trafilatura; headings as ``#`` lines, list items as ``- `` lines."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        raw,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        config=_trafilatura_config(),
    )
    body = getattr(doc, "body", None)
    if body is None:
        return []
    return [block for el in body for block in _element_blocks(el)]


def _trafilatura_failures() -> tuple[type[BaseException], ...]:
    """What can escape trafilatura on a malformed page.

    trafilatura catches lxml's parse errors and its own ``TypeError``/``ValueError`` around loading
    and extraction (it then returns None), but its tree clean-up and scoring run lxml and XPath on
    odd trees: ``lxml.etree.LxmlError`` (``ParserError``, ``XMLSyntaxError``, ``XPathError``...),
    ``ValueError``/``TypeError`` (bad text, e.g. NUL bytes, or a node of an unexpected kind),
    ``AttributeError`` (a missing parent or text), ``LookupError``, and ``RecursionError`` on very
    deeply nested pages. ``ImportError`` keeps the fallback working where trafilatura's own
    dependencies (``lxml_html_clean``) are missing. Anything else is a bug and is not hidden.
    """
    failures: tuple[type[BaseException], ...] = (
        ImportError,
        ValueError,
        TypeError,
        AttributeError,
        LookupError,
        RecursionError,
    )
    try:
        from lxml.etree import LxmlError
    except ImportError:  # pragma: no cover - trafilatura depends on lxml
        return failures
    return (LxmlError, *failures)


def extract_html(raw: str) -> str:
    """The main text of an HTML page, one block per paragraph; the regex block finder when trafilatura finds none."""
    try:
        blocks = trafilatura_blocks(raw)
    except _trafilatura_failures():  # fall back to the regex block finder below
        blocks = []
    if not blocks:
        for b in html_blocks(raw):
            plain = to_plain(raw[b.start : b.end])
            if plain:
                blocks.append(f"## {plain}" if b.heading else plain)
    return clean_extracted("\n\n".join(part for block in blocks for part in _without_navigation(block)))


def _without_navigation(block: str) -> list[str]:
    """A block, with a navigation bar joined to its start (texinfo menu pages) split off as a block of its own."""
    cut = navigation_prefix(block)
    return [block[:cut].strip(), block[cut:].strip()] if cut else [block]


# --------------------------------------------------------------------------------------------
# Titles

# Case-insensitive, and a closing tag may hold white space before its ">" (``</TITLE\n>``).
_HTML_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>|<h1\b[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_DECLARATION = re.compile(r"^\s*<[!?]")  # <!DOCTYPE ...>, <!-- ... -->, <?xml ...?>: never a title


def guess_title(text: str, fmt: str, fallback: str) -> str:
    """An HTML page's ``<title>`` or first ``<h1>``, else ``fallback``; other formats: the first line of
    content (not a declaration or comment such as ``<!DOCTYPE html>``), else ``fallback``."""
    if fmt == "html":
        m = _HTML_TITLE.search(text)
        title = to_plain(m.group(1) or m.group(2) or "") if m else ""
        return title[:200] if title else fallback
    for line in text.splitlines():
        plain = to_plain(line)
        if plain and not _DECLARATION.match(line) and not is_boilerplate(line):
            return plain[:200]
    return fallback
