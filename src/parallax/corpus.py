"""Corpus loading: read files into ``Document`` records and find the spans that hold real content.

A document keeps its original text untouched, so that every offset Parallax reports refers to the
file's own characters. Markup, footnote definitions and page boilerplate are not removed from the
text; instead ``content_blocks`` lists the ``[start, end)`` spans that carry prose, and ``to_plain``
turns any slice into the clean text that is embedded and matched.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
METADATA_FILE = "sources.json"


@dataclass(frozen=True)
class Document:
    """One source file: its original text and what is known about it."""

    source: str  # file name, unique within a corpus
    path: str
    title: str
    text: str
    sha256: str
    format: str  # "text", "markdown" or "html"
    meta: dict[str, str | None] = field(default_factory=dict)

    @property
    def short_id(self) -> str:
        return self.meta.get("id") or Path(self.source).stem


@dataclass(frozen=True)
class Block:
    """A span of a document that carries prose (a paragraph, a heading, a list item)."""

    start: int
    end: int
    heading: bool = False


# --------------------------------------------------------------------------------------------
# Cleaning: from an exact slice of the original to the text that is embedded.

_FOOTNOTE_REF = re.compile(r"<sup>[^<]{0,12}</sup>")
_TAG = re.compile(r"<[^>]{0,2000}>")
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


# --------------------------------------------------------------------------------------------
# Boilerplate: lines that are page furniture, not content.

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


def _line_blocks(text: str, markdown: bool) -> list[Block]:
    blocks: list[Block] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        start, end = pos, pos + len(line)
        pos = end
        stripped = line.strip()
        if not stripped or is_boilerplate(stripped):
            continue
        lead = len(line) - len(line.lstrip())
        trail = len(line) - len(line.rstrip())
        heading = stripped.startswith("#") or (
            not markdown and len(stripped) < 90 and not stripped.endswith((".", "?", "!", ":", ";"))
        )
        blocks.append(Block(start + lead, end - trail, heading))
    return blocks


_HTML_SKIP = ("script", "style", "noscript", "template", "svg", "nav", "footer", "form", "head", "button")
_HTML_BLOCK = re.compile(
    r"^(?:p|div|h[1-6]|li|ul|ol|table|tr|td|th|br|hr|section|article|header|main|aside|blockquote|"
    r"pre|title|dd|dt|dl|figure|figcaption|body|html)$"
)
_HTML_TOKEN = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>|<![^>]*>", re.DOTALL)


def _html_blocks(text: str) -> list[Block]:
    """Spans of visible prose in an HTML file, in the file's own offsets.

    Inline tags (``<a>``, ``<b>``, ``<sup>``) stay inside a block; block-level tags end one.
    Text inside script, style, navigation, footers and forms is skipped.
    """
    blocks: list[Block] = []
    skip_depth = 0
    cur_start: int | None = None
    cur_end = 0
    cur_heading = False

    def flush() -> None:
        nonlocal cur_start
        if cur_start is not None:
            raw = text[cur_start:cur_end]
            if not is_boilerplate(to_plain(raw)):
                lead = len(raw) - len(raw.lstrip())
                trail = len(raw) - len(raw.rstrip())
                blocks.append(Block(cur_start + lead, cur_end - trail, cur_heading))
        cur_start = None

    pos = 0
    for m in _HTML_TOKEN.finditer(text):
        if m.start() > pos and skip_depth == 0 and text[pos : m.start()].strip():
            if cur_start is None:
                cur_start = pos
            cur_end = m.start()
        pos = m.end()
        name = (m.group(2) or "").lower()
        closing = m.group(1) == "/"
        if name in _HTML_SKIP:
            skip_depth = max(0, skip_depth + (-1 if closing else 1))
            flush()
        elif _HTML_BLOCK.match(name):
            flush()
            cur_heading = bool(re.match(r"h[1-6]|title", name)) and not closing
    if pos < len(text) and skip_depth == 0 and text[pos:].strip():
        if cur_start is None:
            cur_start = pos
        cur_end = len(text)
    flush()
    return blocks


def content_blocks(doc: Document) -> list[Block]:
    """The spans of ``doc.text`` that hold prose, in order and without overlap."""
    if doc.format == "html":
        return _html_blocks(doc.text)
    return _line_blocks(doc.text, markdown=doc.format == "markdown")


# --------------------------------------------------------------------------------------------
# Reading files.


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    return "text"


def read_text(path: Path) -> str:
    """Decode a file as UTF-8 (a BOM is allowed). Binary and non-UTF-8 files raise ``CorpusError``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{path} looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{path} is not valid UTF-8 (byte {exc.start}); convert it with: iconv -f LATIN1 -t UTF-8"
        ) from None


_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>|<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)


def guess_title(text: str, fmt: str, fallback: str) -> str:
    if fmt == "html":
        m = _HTML_TITLE.search(text)
        if m:
            title = to_plain(m.group(1) or m.group(2) or "")
            if title:
                return title[:200]
    for line in text.splitlines():
        plain = to_plain(line)
        if plain and not is_boilerplate(line):
            return plain[:200]
    return fallback


def load_metadata(folder: Path) -> dict[str, dict[str, str | None]]:
    """Per-file metadata from ``sources.json`` in a folder: id, title, publisher, author, date."""
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CorpusError(f"{path} must map file names to objects")
    return {str(k): dict(v) for k, v in data.items() if isinstance(v, dict)}


def load_document(path: Path, meta: dict[str, str | None] | None = None) -> Document:
    text = read_text(path)
    fmt = _format_of(path)
    meta = dict(meta or {})
    title = meta.get("title") or guess_title(text, fmt, path.stem)
    return Document(
        source=path.name,
        path=str(path.resolve()),
        title=title,
        text=text,
        sha256=sha256_text(text),
        format=fmt,
        meta=meta,
    )


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class Corpus:
    documents: list[Document]
    skipped: list[Skipped] = field(default_factory=list)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)


def _walk(folder: Path) -> Iterable[Path]:
    for path in sorted(folder.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if path.is_file():
            yield path


def load_corpus(paths: Sequence[Path]) -> Corpus:
    """Load documents from folders and files.

    A file named explicitly must be readable, or ``CorpusError`` says why. Inside a folder,
    files of other types and unreadable files are skipped and listed with the reason.
    """
    if not paths:
        raise CorpusError("no input paths given")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for root in paths:
        root = Path(root).expanduser()
        if not root.exists():
            raise CorpusError(f"no such file or folder: {root}")
        if root.is_dir():
            meta = load_metadata(root)
            for path in _walk(root):
                if path.name == METADATA_FILE:
                    continue
                if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    skipped.append(Skipped(str(path), f"unsupported type {path.suffix or '(none)'}"))
                    continue
                try:
                    documents.append(load_document(path, meta.get(path.name)))
                except CorpusError as exc:
                    skipped.append(Skipped(str(path), str(exc)))
        else:
            if root.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise CorpusError(
                    f"{root}: unsupported file type {root.suffix or '(none)'}; "
                    f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
                )
            meta = load_metadata(root.parent)
            documents.append(load_document(root, meta.get(root.name)))
    unique: list[Document] = []
    for doc in documents:
        if doc.source in seen:
            if seen[doc.source] == doc.sha256:
                skipped.append(Skipped(doc.path, "duplicate of a file already loaded"))
                continue
            raise CorpusError(f"two different files are named {doc.source}; index them separately or rename one")
        seen[doc.source] = doc.sha256
        unique.append(doc)
    if not unique:
        where = ", ".join(str(p) for p in paths)
        raise CorpusError(f"no readable documents in {where} (looked for {', '.join(SUPPORTED_SUFFIXES)})")
    return Corpus(unique, skipped)
