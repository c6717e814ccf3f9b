"""The document model: one source file as a ``Document``, a folder's worth as a ``Corpus``.

A file that cannot be used raises ``SkipFile`` (a ``CorpusError``) with the reason; inside a folder
it is listed as ``Skipped`` instead. ``Extraction`` is what an index stores of an HTML or PDF file's
extracted text, so that an update can ``Reuse`` it when the file's bytes have not changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from parallax.core.errors import CorpusError
from parallax.text.pages import page_at
from parallax.text.sources import short_name


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
    file_size: int = -1  # bytes of the file when it was read, and its mtime in ns (-1: not to be trusted)
    file_mtime_ns: int = -1
    stored: bool = False  # not read: unchanged since the index recorded it (``text`` is "": take the index's)

    @property
    def short_id(self) -> str:
        return self.meta.get("id") or short_name(self.source)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page that holds ``offset``, or None for a document without pages."""
        return page_at(self.pages, offset)


def sha256_text(text: str) -> str:
    """The hash of a document's text, as indexes record it."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class SkipFile(CorpusError):
    """A file that cannot be indexed; ``kind`` groups the reasons in summaries."""

    def __init__(self, message: str, kind: str = "unreadable") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Skipped:
    """A file left out of a corpus, and why."""

    path: str
    reason: str
    kind: str = "unreadable"  # unsupported, empty, binary, too large, unreadable, duplicate, link


@dataclass(frozen=True)
class Corpus:
    """The documents read from the inputs, and the files left out."""

    documents: list[Document]
    skipped: list[Skipped] = field(default_factory=list)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)


@dataclass(frozen=True)
class Extraction:
    """What extracting an HTML or PDF file gave, as an index stores it."""

    text: str
    pages: tuple[int, ...]
    auto_title: str
    encoding: str


Reuse = Callable[[str, str, str], Extraction | None]  # (source, file sha256, extractor id) -> stored
# (source, resolved path, size, mtime ns, metadata) -> a ``stored`` Document for a file unchanged since it
# was indexed, with the metadata given
Known = Callable[[str, str, int, int, dict[str, str | None]], Document | None]
