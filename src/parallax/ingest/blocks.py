"""Content blocks: the ``[start, end)`` spans of a document's text that carry prose.

Markup, footnote definitions and page boilerplate are not removed from a document's text; the
blocks skip them instead, so that every offset still refers to the text as stored. Plain text and
Markdown are read line by line, extracted PDF text paragraph by paragraph (its lines are wrapped),
and raw HTML (the fallback when trafilatura finds no main text) tag by tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parallax.ingest.document import Document
from parallax.text.boilerplate import is_boilerplate
from parallax.text.markup import to_plain

_SENTENCE_END = (".", "?", "!", ":", ";")


@dataclass(frozen=True)
class Block:
    """A span of a document that carries prose (a paragraph, a heading, a list item)."""

    start: int
    end: int
    heading: bool = False


def _trimmed(text: str, start: int, end: int, heading: bool) -> Block:
    """The block ``[start, end)`` without the white space at either end."""
    raw = text[start:end]
    lead = len(raw) - len(raw.lstrip())
    trail = len(raw) - len(raw.rstrip())
    return Block(start + lead, end - trail, heading)


def line_blocks(text: str, markdown: bool) -> list[Block]:
    """One block per line that is neither blank nor boilerplate; short unpunctuated lines of plain text are headings."""
    blocks: list[Block] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        start, end = pos, pos + len(line)
        pos = end
        stripped = line.strip()
        if not stripped or is_boilerplate(stripped):
            continue
        short = len(stripped) < 90 and not stripped.endswith(_SENTENCE_END)
        heading = stripped.startswith("#") or (not markdown and short)
        blocks.append(_trimmed(text, start, end, heading))
    return blocks


_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n")


def paragraph_blocks(text: str) -> list[Block]:
    """Paragraphs (runs of non-blank lines) of extracted PDF text: its lines are wrapped, not sentences."""
    blocks: list[Block] = []
    pos = 0
    for end in [m.start() for m in _BLANK_LINES.finditer(text)] + [len(text)]:
        block = _trimmed(text, pos, end, False)
        pos = end
        if block.end <= block.start:
            continue
        para = text[block.start : block.end]
        if is_boilerplate(para):
            continue
        heading = "\n" not in para and len(para) < 90 and not para.endswith((*_SENTENCE_END, ","))
        blocks.append(Block(block.start, block.end, heading))
    return blocks


_HTML_SKIP = ("script", "style", "noscript", "template", "svg", "nav", "footer", "form", "head", "button")
_HTML_BLOCK = re.compile(
    r"^(?:p|div|h[1-6]|li|ul|ol|table|tr|td|th|br|hr|section|article|header|main|aside|blockquote|"
    r"pre|title|dd|dt|dl|figure|figcaption|body|html)$"
)
_HTML_HEADING = re.compile(r"h[1-6]|title")
_HTML_TOKEN = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>|<![^>]*>", re.DOTALL)


class _HtmlBlocks:
    """The state of one pass over an HTML file's tags: the block being read and the blocks found."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.blocks: list[Block] = []
        self.skip_depth = 0  # inside how many script, style, navigation... elements
        self.start: int | None = None
        self.end = 0
        self.heading = False

    def visible(self, start: int, end: int) -> None:
        """Text between two tags: it extends the current block unless it is hidden or blank."""
        if self.skip_depth == 0 and self.text[start:end].strip():
            if self.start is None:
                self.start = start
            self.end = end

    def tag(self, name: str, closing: bool) -> None:
        if name in _HTML_SKIP:
            self.skip_depth = max(0, self.skip_depth + (-1 if closing else 1))
            self.flush()
        elif _HTML_BLOCK.match(name):
            self.flush()
            self.heading = bool(_HTML_HEADING.match(name)) and not closing

    def flush(self) -> None:
        if self.start is not None and not is_boilerplate(to_plain(self.text[self.start : self.end])):
            self.blocks.append(_trimmed(self.text, self.start, self.end, self.heading))
        self.start = None


def html_blocks(text: str) -> list[Block]:
    """Spans of visible prose in an HTML file, in the file's own offsets.

    Inline tags (``<a>``, ``<b>``, ``<sup>``) stay inside a block; block-level tags end one.
    Text inside script, style, navigation, footers and forms is skipped.
    """
    state = _HtmlBlocks(text)
    pos = 0
    for m in _HTML_TOKEN.finditer(text):
        if m.start() > pos:
            state.visible(pos, m.start())
        pos = m.end()
        state.tag((m.group(2) or "").lower(), m.group(1) == "/")
    if pos < len(text):
        state.visible(pos, len(text))
    state.flush()
    return state.blocks


def content_blocks(doc: Document) -> list[Block]:
    """The spans of ``doc.text`` that hold prose, in order and without overlap.

    HTML documents hold their extracted text, with headings as ``#`` lines, so they are read like Markdown.
    """
    if doc.format == "pdf":
        return paragraph_blocks(doc.text)
    return line_blocks(doc.text, markdown=doc.format in ("markdown", "html"))
