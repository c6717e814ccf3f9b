"""What an index already knows about the files it was built from, so that an update reads less.

- ``known_files``: the size and mtime recorded per document. A file with the same resolved path,
  size and mtime is not read at all; the update takes it as unchanged (``Document.stored``) and
  ``filled`` fetches its text from the index only when the whole index is rewritten. Checking a
  folder of 100,000 unchanged files costs a ``stat`` each.
- ``stored_extractions``: the text extracted from HTML and PDF files, reused when a file's bytes
  are the same (the file is read and hashed, not extracted again).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from parallax.index.manifest import STORE_FILE, read_manifest
from parallax.index.store import open_for_extractions, stored_document

if TYPE_CHECKING:
    from parallax.index.reader import Index
    from parallax.ingest.document import Document, Known, Reuse


def known_files(dest: Path) -> Known | None:
    """A lookup for ``load_corpus(known=...)``: the document the index at ``dest`` recorded for a source
    whose file has the same resolved path, size and mtime, as a ``stored`` stand-in (text not read);
    None when there is no readable index."""
    manifest = read_manifest(dest)
    if manifest is None:
        return None
    records = {r.source: r for r in manifest.documents if r.mtime_ns >= 0}
    from parallax.ingest.document import Document

    def lookup(source: str, path: str, size: int, mtime_ns: int, meta: dict[str, str | None]) -> Document | None:
        r = records.get(source)
        if r is None or (r.path, r.size, r.mtime_ns) != (path, size, mtime_ns):
            return None
        return Document(
            r.source, r.path, meta.get("title") or r.title, "", r.sha256, r.format, meta, file_size=size,
            file_mtime_ns=mtime_ns, stored=True, auto_title=r.title,
        )  # fmt: skip

    return lookup


@contextmanager
def stored_extractions(dest: Path) -> Iterator[Reuse | None]:
    """What the index at ``dest`` extracted from its HTML and PDF files, for ``load_corpus(reuse=...)``.

    Yields a lookup ``(source, file sha256, extractor id) -> Extraction`` that answers only when the
    stored document came from the same bytes through the same extractor, or None when there is no
    readable index (then every file is extracted). Read-only and lock-free: at worst, a build swapping
    the index meanwhile makes a file be extracted again.
    """
    conn = open_for_extractions(dest / STORE_FILE)
    if conn is None:
        yield None
        return
    from parallax.ingest.document import Extraction

    def lookup(source: str, file_sha256: str, extractor: str) -> Extraction | None:
        found = stored_document(conn, source)
        if found is None:
            return None
        text, info = found
        if info.get("file_sha256") != file_sha256 or info.get("extractor") != extractor:
            return None
        pages = tuple(int(p) for p in info.get("pages") or ())
        return Extraction(text, pages, str(info.get("auto_title") or ""), str(info.get("encoding") or ""))

    try:
        yield lookup
    finally:
        conn.close()


def filled(docs: list[Document], old: Index | None, dest: Path) -> list[Document]:
    """The documents with the text and extraction details of every ``stored`` one (a file unchanged since
    the index recorded it, not read) taken from the index at ``dest``."""
    stored = [d.source for d in docs if d.stored]
    if not stored:
        return docs
    from parallax.index.reader import Index

    index = old if old is not None else Index.load(dest)
    by_source = {d.source: d for d in docs}
    try:
        filled = {}
        for source in stored:
            info = index.document_info(source)
            filled[source] = replace(
                by_source[source],
                text=index.document_text(source),
                stored=False,
                pages=tuple(int(p) for p in info.get("pages") or ()),
                encoding=str(info.get("encoding") or "utf-8"),
                file_sha256=str(info.get("file_sha256") or ""),
                auto_title=str(info.get("auto_title") or ""),
                extractor=str(info.get("extractor") or ""),
            )
    finally:
        if index is not old:
            index.close()
    return [filled.get(d.source, d) for d in docs]
