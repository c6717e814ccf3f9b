"""Corpus loading: read files into ``Document`` records and find the spans that hold real content.

Plain text and Markdown keep their decoded text untouched, so every offset Parallax reports refers to
the file's own characters. Markup, footnote definitions and page boilerplate are not removed from the
text; instead ``content_blocks`` lists the ``[start, end)`` spans that carry prose, and ``to_plain``
turns any slice into the clean text that is embedded and matched.

HTML and PDF are converted first: HTML through trafilatura's main-text extraction (headings kept as
``#`` lines), PDF through pypdf page by page. Their ``Document.text`` is that extracted text, which the
index stores, and offsets refer to it; a PDF also records where each page starts.

Files are decoded by byte-order mark (UTF-8, UTF-16, UTF-32), then as UTF-8, then with
charset-normalizer (preferring cp1252 when it reads the same). Empty, binary, over-large, unreadable
and unsupported files are skipped with a reason (``Skipped``) inside folders, and refused when named
explicitly.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from parallax.core.errors import CorpusError
from parallax.core.settings import DEFAULT_MAX_FILE_MB
from parallax.text.markup import to_plain
from parallax.text.pages import page_at
from parallax.text.sources import short_name

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
METADATA_FILE = "sources.json"


@dataclass(frozen=True)
class Document:
    """One source file: its original text and what is known about it."""

    source: str  # path relative to the folder indexed (the file name for a file at its top), unique
    path: str
    title: str
    text: str
    sha256: str
    format: str  # "text", "markdown", "html" or "pdf"
    meta: dict[str, str | None] = field(default_factory=dict)
    pages: tuple[int, ...] = ()  # PDFs: the offset in ``text`` where each page starts
    encoding: str = "utf-8"  # how the file's bytes were decoded ("pdf" for extracted PDF text)
    file_sha256: str = ""  # of the file's bytes (HTML and PDF: lets an update skip re-extracting them)
    auto_title: str = ""  # the title found in the file or guessed from its text (``meta`` may override it)
    extractor: str = ""  # HTML and PDF: ``extractor_id()`` of the code that extracted ``text``

    @property
    def short_id(self) -> str:
        return self.meta.get("id") or short_name(self.source)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page that holds ``offset``, or None for a document without pages."""
        return page_at(self.pages, offset)


@dataclass(frozen=True)
class Block:
    """A span of a document that carries prose (a paragraph, a heading, a list item)."""

    start: int
    end: int
    heading: bool = False


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


_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n")


def _paragraph_blocks(text: str) -> list[Block]:
    """Paragraphs (runs of non-blank lines) of extracted PDF text: its lines are wrapped, not sentences."""
    blocks: list[Block] = []
    pos = 0
    for end in [m.start() for m in _BLANK_LINES.finditer(text)] + [len(text)]:
        raw = text[pos:end]
        lead = len(raw) - len(raw.lstrip())
        trail = len(raw) - len(raw.rstrip())
        start, stop = pos + lead, end - trail
        pos = end
        if stop <= start:
            continue
        para = text[start:stop]
        if is_boilerplate(para):
            continue
        heading = "\n" not in para and len(para) < 90 and not para.endswith((".", "?", "!", ":", ";", ","))
        blocks.append(Block(start, stop, heading))
    return blocks


def content_blocks(doc: Document) -> list[Block]:
    """The spans of ``doc.text`` that hold prose, in order and without overlap.

    HTML documents hold their extracted text, with headings as ``#`` lines, so they are read like Markdown.
    """
    if doc.format == "pdf":
        return _paragraph_blocks(doc.text)
    return _line_blocks(doc.text, markdown=doc.format in ("markdown", "html"))


# --------------------------------------------------------------------------------------------
# Reading files.


class SkipFile(CorpusError):
    """A file that cannot be indexed; ``kind`` groups the reasons in summaries."""

    def __init__(self, message: str, kind: str = "unreadable") -> None:
        super().__init__(message)
        self.kind = kind


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix == ".pdf":
        return "pdf"
    return "text"


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: it starts with the UTF-16 LE mark
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1b")


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NUL bytes sit at every other position, as in ASCII-heavy UTF-16."""
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even = sum(1 for i in range(0, 2 * pairs, 2) if head[i] == 0)
    odd = sum(1 for i in range(1, 2 * pairs, 2) if head[i] == 0)
    if odd > 0.4 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > 0.4 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch not in _TEXT_CONTROLS and unicodedata.category(ch) == "Cc")
    return controls > max(2, len(sample) // 100)


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """A file that is not UTF-8: charset-normalizer's best guess, cp1252 when that reads the same."""
    try:
        western: str | None = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        matches = []
    else:
        matches = list(from_bytes(data))
    if matches:
        best = min(m.chaos for m in matches)
        top = [m for m in matches if m.chaos <= best + 1e-9]
        sample = data[:65536]
        if western is not None and any(
            sample.decode(m.encoding, errors="replace") == sample.decode("cp1252", errors="replace") for m in top
        ):
            return western, "cp1252"
        return str(top[0]), top[0].encoding
    if western is not None:
        return western, "cp1252"
    return data.decode("latin-1"), "latin-1"


def decode_bytes(data: bytes, where: str = "file") -> tuple[str, str]:
    """Decode a text file: byte-order mark, else UTF-8, else a detected legacy encoding.

    Returns the text and the encoding used. Binary data raises ``SkipFile`` (kind ``binary``).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                raise SkipFile(
                    f"{where} starts with a {encoding} byte-order mark but is not {encoding}", "binary"
                ) from None
    head = data[:8192]
    if b"\x00" in head:
        encoding16 = _utf16_without_bom(head)
        if encoding16:
            try:
                text = data.decode(encoding16)
            except UnicodeDecodeError:
                pass
            else:
                if not _looks_binary(text):
                    return text, encoding16
        raise SkipFile(f"{where} looks like a binary file, not text", "binary")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text, encoding = _decode_legacy(data)
    if _looks_binary(text):
        raise SkipFile(f"{where} looks like a binary file, not text", "binary")
    return text, encoding


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SkipFile(f"cannot read {path}: {exc.strerror or exc}", "unreadable") from None


def read_text(path: Path) -> str:
    """Decode a text file (see ``decode_bytes``). Binary and unreadable files raise ``CorpusError``."""
    return decode_bytes(_read_bytes(path), str(path))[0]


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _clean_extracted(text: str) -> str:
    """Extracted text: Unix newlines, no control characters, no trailing spaces."""
    text = _CONTROL_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _read_pdf(data: bytes, path: Path) -> tuple[str, tuple[int, ...], str | None]:
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
            text = _clean_extracted(page.extract_text() or "")
            starts.append(pos)
            parts.append(text)
            pos += len(text) + 2
        title = None
        meta = reader.metadata
        if meta is not None and meta.title:
            title = " ".join(str(meta.title).split())[:200] or None
    except SkipFile:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        raise SkipFile(f"cannot read PDF {path}: {first}", "unreadable") from None
    return "\n\n".join(parts), tuple(starts), title


_traf_config: Any = None


def _trafilatura_blocks(raw: str) -> list[str]:
    """Main-text blocks of an HTML page by trafilatura; headings as ``#`` lines, list items as ``- `` lines."""
    global _traf_config
    import trafilatura
    from trafilatura.settings import use_config

    if _traf_config is None:
        cfg = use_config()
        cfg.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no SIGALRM inside a library call
        cfg.set("DEFAULT", "MIN_EXTRACTED_SIZE", "10")  # short pages are pages too
        cfg.set("DEFAULT", "MAX_FILE_SIZE", str(10**10))  # Parallax applies its own --max-file-mb
        _traf_config = cfg
    doc = trafilatura.bare_extraction(
        raw,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        config=_traf_config,
    )
    body = getattr(doc, "body", None)
    if body is None:
        return []

    def flat(el: Any) -> str:
        for lb in el.iter("lb"):
            lb.tail = " " + (lb.tail or "")
        return " ".join(" ".join(el.itertext()).split())

    blocks: list[str] = []
    for el in body:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "head":
            rend = str(el.get("rend") or "h2")
            level = int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2
            text = flat(el)
            if text:
                blocks.append("#" * min(max(level, 1), 6) + " " + text)
        elif tag == "list":
            blocks.extend(f"- {t}" for t in (flat(item) for item in el.iter("item")) if t)
        elif tag == "table":
            for row in el.iter("row"):
                cells = [flat(c) for c in row.iter("cell")]
                if any(cells):
                    blocks.append(" | ".join(cells))
        elif tag != "graphic":
            text = flat(el)
            if text:
                blocks.append(text)
    return blocks


def extract_html(raw: str) -> str:
    """The main text of an HTML page, one block per paragraph; the regex block finder when trafilatura finds none."""
    blocks: list[str] = []
    try:
        blocks = _trafilatura_blocks(raw)
    except Exception:  # trafilatura fails on some malformed pages: use the fallback below
        blocks = []
    if not blocks:
        for b in _html_blocks(raw):
            plain = to_plain(raw[b.start : b.end])
            if plain:
                blocks.append(f"## {plain}" if b.heading else plain)
    return _clean_extracted("\n\n".join(blocks))


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


def _check_size(path: Path, max_bytes: int | None) -> None:
    """Refuse empty and over-large files from ``stat()``, before reading a byte."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SkipFile(f"cannot read {path}: {exc.strerror or exc}", "unreadable") from None
    if size == 0:
        raise SkipFile(f"{path} is empty (0 bytes)", "empty")
    if max_bytes is not None and size > max_bytes:
        raise SkipFile(
            f"{path} is {size / 1e6:,.0f} MB, over the {max_bytes / 1e6:g} MB limit (raise it with --max-file-mb)",
            "too large",
        )


# --------------------------------------------------------------------------------------------
# Extraction of HTML and PDF is the slow part of reading a folder (pypdf takes tens of ms a page), so
# an index keeps what it extracted with the hash of the file's bytes, and an update reuses it for
# files whose bytes have not changed.

EXTRACTOR_VERSION = 1  # bump when the HTML or PDF extraction code changes: stored extractions are redone
EXTRACTED_FORMATS = ("html", "pdf")


@dataclass(frozen=True)
class Extraction:
    """What extracting an HTML or PDF file gave, as an index stores it."""

    text: str
    pages: tuple[int, ...]
    auto_title: str
    encoding: str


Reuse = Callable[[str, str, str], Extraction | None]  # (source, file sha256, extractor id) -> stored


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


def load_document(
    path: Path,
    meta: dict[str, str | None] | None = None,
    max_bytes: int | None = None,
    source: str | None = None,
    reuse: Reuse | None = None,
) -> Document:
    """Read one file into a ``Document``; ``SkipFile`` (a ``CorpusError``) says why it cannot be used.

    ``source`` is its id in the corpus (default: the file name). For HTML and PDF, ``reuse`` may
    return what an index stored for the same source, bytes and extractor; it is used instead of
    extracting again.
    """
    _check_size(path, max_bytes)
    fmt = _format_of(path)
    data = _read_bytes(path)
    file_sha256 = hashlib.sha256(data).hexdigest()
    source = source or path.name
    stored = reuse(source, file_sha256, extractor_id()) if reuse and fmt in EXTRACTED_FORMATS else None
    if stored is not None:
        text, pages, encoding, auto_title = stored.text, stored.pages, stored.encoding, stored.auto_title
    else:
        pages = ()
        found_title: str | None = None
        if fmt == "pdf":
            text, pages, found_title = _read_pdf(data, path)
            encoding = "pdf"
        else:
            text, encoding = decode_bytes(data, str(path))
            if fmt == "html":
                found_title = guess_title(text, "html", "") or None
                text = extract_html(text)
        if not text.strip():
            raise SkipFile(f"{path} holds no text", "empty")
        auto_title = found_title or guess_title(text, "text" if fmt == "html" else fmt, path.stem)
    meta = dict(meta or {})
    return Document(
        source=source,
        path=str(path.resolve()),
        title=meta.get("title") or auto_title,
        text=text,
        sha256=sha256_text(text),
        format=fmt,
        meta=meta,
        pages=pages,
        encoding=encoding,
        file_sha256=file_sha256,
        auto_title=auto_title,
        extractor=extractor_id() if fmt in EXTRACTED_FORMATS else "",
    )


@dataclass
class Skipped:
    path: str
    reason: str
    kind: str = "unreadable"  # unsupported, empty, binary, too large, unreadable, duplicate, link


@dataclass
class Corpus:
    documents: list[Document]
    skipped: list[Skipped] = field(default_factory=list)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)


def _walk(folder: Path, skipped: list[Skipped]) -> Iterable[Path]:
    """Files under ``folder`` in path order, hidden ones left out.

    Symbolic links to folders are followed, each folder is walked once: a link to a folder that is
    walked anyway (a loop back up, or a second way to the same folder) is skipped and reported, so
    the walk always ends and no file is read twice. Real folders win over links to them.
    """
    real_tree = set()
    for dirpath, dirnames, _ in os.walk(folder):
        real_tree.add(os.path.realpath(dirpath))
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
    visited: set[str] = set()
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        here = Path(dirpath)
        keep = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            sub = here / name
            real = os.path.realpath(sub)
            if (sub.is_symlink() and real in real_tree) or real in visited:
                skipped.append(Skipped(str(sub), f"{sub} links to a folder walked anyway ({real})", "link"))
                continue
            if real not in real_tree:
                visited.add(real)
            keep.append(name)
        dirnames[:] = keep
        for name in filenames:
            if name.startswith("."):
                continue
            path = here / name
            if path.is_symlink() and not path.exists():
                skipped.append(Skipped(str(path), f"{path} is a broken symbolic link", "link"))
                continue
            if path.is_file():
                files.append(path)
    files.sort(key=lambda p: p.relative_to(folder).parts)
    return files


def load_corpus(
    paths: Sequence[Path], max_file_mb: float | None = DEFAULT_MAX_FILE_MB, reuse: Reuse | None = None
) -> Corpus:
    """Load documents from folders and files.

    A file named explicitly must be readable, or ``CorpusError`` says why. Inside a folder, files
    of other types, empty, binary, unreadable and over-large files (``max_file_mb``, checked from the
    file size before reading; None or 0 for no limit) are skipped and listed with the reason. The
    same text twice (two paths, or two names) is indexed once and the copy listed as a duplicate.

    Inside a folder a document's source id is its path relative to that folder (``2023/summary.pdf``),
    so files with one name in different subfolders are distinct documents; a file at the folder's
    top, or named explicitly, is known by its name. Metadata comes from ``sources.json`` in the
    file's own folder (keyed by file name) or in the folder indexed (keyed by the relative path).
    ``reuse`` lets unchanged HTML and PDF files skip extraction (see ``load_document``).
    """
    if not paths:
        raise CorpusError("no input paths given")
    max_bytes = int(max_file_mb * 1e6) if max_file_mb else None
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for root in paths:
        root = Path(root).expanduser()
        if not root.exists():
            raise CorpusError(f"no such file or folder: {root}")
        if root.is_dir():
            metadata = {root: load_metadata(root)}
            for path in _walk(root, skipped):
                if path.name == METADATA_FILE:
                    continue
                if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    skipped.append(Skipped(str(path), f"unsupported type {path.suffix or '(none)'}", "unsupported"))
                    continue
                rel = path.relative_to(root).as_posix()
                if path.parent not in metadata:
                    metadata[path.parent] = load_metadata(path.parent)
                meta = metadata[path.parent].get(path.name) or metadata[root].get(rel)
                try:
                    documents.append(load_document(path, meta, max_bytes, source=rel, reuse=reuse))
                except SkipFile as exc:
                    skipped.append(Skipped(str(path), str(exc), exc.kind))
        else:
            if root.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise CorpusError(
                    f"{root}: unsupported file type {root.suffix or '(none)'}; "
                    f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
                )
            documents.append(load_document(root, load_metadata(root.parent).get(root.name), max_bytes, reuse=reuse))
    unique: list[Document] = []
    by_source: dict[str, Document] = {}
    by_hash: dict[str, Document] = {}
    for doc in documents:
        same_name = by_source.get(doc.source)
        if same_name is not None and same_name.sha256 != doc.sha256:
            raise CorpusError(
                f"two different files are both {doc.source} (one in each of two folders given); "
                "index the folders separately, or index their common parent folder"
            )
        first = same_name or by_hash.get(doc.sha256)
        if first is not None:
            what = "the same file" if first.path == doc.path else "the same text"
            skipped.append(Skipped(doc.path, f"duplicate: {what} as {first.path}", "duplicate"))
            continue
        by_source[doc.source] = by_hash[doc.sha256] = doc
        unique.append(doc)
    if not unique:
        where = ", ".join(str(p) for p in paths)
        why = f"; skipped {len(skipped)}, e.g. {skipped[0].reason}" if skipped else ""
        raise CorpusError(f"no readable documents in {where} (looked for {', '.join(SUPPORTED_SUFFIXES)}){why}")
    return Corpus(unique, skipped)
