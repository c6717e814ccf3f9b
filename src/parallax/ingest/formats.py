"""Which files are read, and as what: from a file's name to its format, and gzip decompression.

A file is read by its suffix (``.txt``, ``.md``, ``.markdown``, ``.html``, ``.htm``, ``.pdf``). A file
with no suffix (``README``, ``copyright``, ``Makefile``), or whose name starts with a documentation
name (``README.Debian``, ``changelog.Debian``, ``NEWS.old``), is *sniffed*: read as plain text when
its bytes decode as text, and skipped as binary otherwise (``decode_bytes`` decides, on the one read
of the file). Other suffixes (``.c``, ``.py``, ``.json``, ``.png``...) are not sniffed: source code and
data are not prose. Any of these may be gzipped (``notes.txt.gz``, ``changelog.Debian.gz``), except
PDF: the name without ``.gz`` decides the format, and the decompressed text is what is read.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from pathlib import PurePath

from parallax.ingest.document import SkipFile

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
GZIP_SUFFIX = ".gz"
_FORMATS = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".pdf": "pdf"}
# Names of the documentation files that packages ship without a suffix (or with a qualifier: README.Debian).
DOC_NAMES = frozenset(
    {
        "readme",
        "changelog",
        "changes",
        "news",
        "copyright",
        "copying",
        "license",
        "licence",
        "authors",
        "contributors",
        "credits",
        "thanks",
        "todo",
        "install",
        "history",
        "bugs",
        "faq",
        "notice",
        "hacking",
        "maintainers",
    }
)
_CHUNK = 1 << 20  # bytes decompressed at a time


@dataclass(frozen=True)
class FileKind:
    """How a file is read: its ``format``, whether it is gzipped, whether it was judged by name only."""

    format: str  # "text", "markdown", "html" or "pdf"
    gzipped: bool = False
    sniffed: bool = False  # no known suffix: text if it decodes as text, else skipped as binary


def split_gzip(name: str) -> tuple[str, bool]:
    """A file name without ``.gz``, and whether it had it: ``notes.txt.gz`` -> ``("notes.txt", True)``."""
    gzipped = name.lower().endswith(GZIP_SUFFIX) and len(name) > len(GZIP_SUFFIX)
    return (name[: -len(GZIP_SUFFIX)] if gzipped else name), gzipped


def file_kind(path: PurePath) -> FileKind | None:
    """How ``path`` is read, or None when its type is not supported."""
    name, gzipped = split_gzip(path.name)
    inner = PurePath(name)
    fmt = _FORMATS.get(inner.suffix.lower())
    if fmt is not None:
        return None if gzipped and fmt == "pdf" else FileKind(fmt, gzipped)
    if not inner.suffix or inner.name.split(".", 1)[0].lower() in DOC_NAMES:
        return FileKind("text", gzipped, sniffed=True)
    return None


def describe_supported() -> str:
    """The supported types, for messages."""
    return f"{', '.join(SUPPORTED_SUFFIXES)}, text files without an extension, and these gzipped (.txt.gz)"


def gunzip(data: bytes, where: str, max_bytes: int | None) -> bytes:
    """The decompressed bytes of a gzip file, at most ``max_bytes`` of them.

    Decompressed in chunks, so that a small file that expands enormously (a decompression bomb) is
    stopped at the limit instead of filling memory. A damaged or truncated file is ``unreadable``.
    """
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if max_bytes is not None and len(out) > max_bytes:
                    raise SkipFile(
                        f"{where} decompresses to over {max_bytes / 1e6:g} MB, the limit (raise it with --max-file-mb)",
                        "too large",
                    )
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError; EOFError: cut short
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "the file ends too early"
        raise SkipFile(f"cannot read {where}: not a valid gzip file ({reason[:120]})", "unreadable") from None
    return bytes(out)
