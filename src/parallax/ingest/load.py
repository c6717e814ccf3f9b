"""Loading: files and folders into a ``Corpus`` of ``Document`` records.

Plain text and Markdown keep their decoded text untouched, so every offset Parallax reports refers to
the file's own characters. HTML and PDF are extracted first (see ``extract``): their ``Document.text``
is the extracted text, which the index stores, and a PDF also records where each page starts. Which
files are read, and as what (files without an extension, gzipped text), is ``formats``'s business; a
gzipped file's offsets refer to its decompressed text, which the index stores too.

Empty, binary, over-large, unreadable and unsupported files are skipped with a reason (``Skipped``)
inside folders, and refused when named explicitly. Metadata (id, title, publisher, author, date)
comes from a ``sources.json`` beside the files.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from parallax.core.errors import CorpusError
from parallax.core.settings import DEFAULT_MAX_FILE_MB
from parallax.ingest import extract
from parallax.ingest.decode import decode_bytes
from parallax.ingest.document import Corpus, Document, Extraction, Known, Reuse, SkipFile, Skipped, sha256_text
from parallax.ingest.formats import GZIP_SUFFIX, FileKind, describe_supported, file_kind, gunzip, split_gzip

METADATA_FILE = "sources.json"

Meta = dict[str, str | None]


def _type_of(path: Path) -> str:
    """The type a file's name gives, for messages: ``.png``, ``.json.gz``, ``(none)``."""
    inner, gzipped = split_gzip(path.name)
    return (Path(inner).suffix + (GZIP_SUFFIX if gzipped else "")) or "(none)"


def _stem(path: Path) -> str:
    """The file's name without its extension, nor ``.gz``: a title of last resort."""
    inner, _ = split_gzip(path.name)
    kind = file_kind(path)
    return inner if kind and kind.sniffed else Path(inner).stem


def load_metadata(folder: Path) -> dict[str, Meta]:
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


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SkipFile(f"cannot read {path}: {exc.strerror or exc}", "unreadable") from None


def _extracted(data: bytes, path: Path, kind: FileKind, max_bytes: int | None) -> Extraction:
    """The text of a file's bytes, with its pages, encoding and found (or guessed) title.

    A gzipped file is decompressed first (at most ``max_bytes``); its encoding gets ``+gzip``.
    """
    if kind.gzipped:
        data = gunzip(data, str(path), max_bytes)
    pages: tuple[int, ...] = ()
    found_title: str | None = None
    if kind.format == "pdf":
        text, pages, found_title = extract.read_pdf(data, path)
        encoding = "pdf"
    else:
        text, encoding = decode_bytes(data, str(path))
        if kind.format == "html":
            found_title = extract.guess_title(text, "html", "") or None
            text = extract.extract_html(text)
    if not text.strip():
        raise SkipFile(f"{path} holds no text", "empty")
    guess_as = "text" if kind.format == "html" else kind.format
    auto_title = found_title or extract.guess_title(text, guess_as, _stem(path))
    return Extraction(text, pages, auto_title, encoding + ("+gzip" if kind.gzipped else ""))


def load_document(
    path: Path,
    meta: Meta | None = None,
    max_bytes: int | None = None,
    source: str | None = None,
    reuse: Reuse | None = None,
    known: Known | None = None,
) -> Document:
    """Read one file into a ``Document``; ``SkipFile`` (a ``CorpusError``) says why it cannot be used.

    ``source`` is its id in the corpus (default: the file name). For HTML and PDF, ``reuse`` may
    return what an index stored for the same source, bytes and extractor; it is used instead of
    extracting again. ``known`` may return the document an index holds for a file whose size and mtime
    are as it recorded them: the file is then not read at all (a folder of 100,000 unchanged files is
    checked in a second). A file modified less than ``RACY_SECONDS`` ago records no mtime, so that a
    change within the clock's resolution is never missed.
    """
    kind = file_kind(path)
    if kind is None:
        raise SkipFile(f"unsupported type {_type_of(path)}", "unsupported")
    _check_size(path, max_bytes)
    fmt = kind.format
    source = source or path.name
    size, mtime_ns = _stat(path)
    if known is not None and mtime_ns >= 0:
        # the folder's real path, once per folder (a linked file then differs from its record: it is read)
        same = known(source, os.path.join(_real_dir(str(path.parent)), path.name), size, mtime_ns, dict(meta or {}))
        if same is not None:
            return same
    data = _read_bytes(path)
    file_sha256 = hashlib.sha256(data).hexdigest()
    extracted = fmt in extract.EXTRACTED_FORMATS
    stored = reuse(source, file_sha256, extract.extractor_id()) if reuse and extracted else None
    found = stored if stored is not None else _extracted(data, path, kind, max_bytes)
    meta = dict(meta or {})
    return Document(
        source=source,
        path=str(path.resolve()),
        title=meta.get("title") or found.auto_title,
        text=found.text,
        sha256=sha256_text(found.text),
        format=fmt,
        meta=meta,
        pages=found.pages,
        encoding=found.encoding,
        file_sha256=file_sha256,
        auto_title=found.auto_title,
        extractor=extract.extractor_id() if extracted else "",
        file_size=size,
        file_mtime_ns=mtime_ns,
    )


RACY_SECONDS = 2.0


@lru_cache(maxsize=4096)
def _real_dir(folder: str) -> str:
    return os.path.realpath(folder)


def _stat(path: Path) -> tuple[int, int]:
    """The file's size and mtime (ns); mtime -1 when the file changed too recently to trust it."""
    try:
        st = path.stat()
    except OSError:
        return -1, -1
    fresh = time.time_ns() - st.st_mtime_ns < RACY_SECONDS * 1e9
    return st.st_size, -1 if fresh else st.st_mtime_ns


def _real_folders(folder: Path) -> set[str]:
    """The real paths of the folders under ``folder`` reached without following links, hidden ones left out."""
    real_tree = set()
    for dirpath, dirnames, _ in os.walk(folder):
        real_tree.add(os.path.realpath(dirpath))
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
    return real_tree


def _walk(folder: Path, skipped: list[Skipped]) -> list[Path]:
    """Files under ``folder`` in path order, hidden ones left out.

    Symbolic links to folders are followed, each folder is walked once: a link to a folder that is
    walked anyway (a loop back up, or a second way to the same folder) is skipped and reported, so
    the walk always ends and no file is read twice. Real folders win over links to them.
    """
    real_tree = _real_folders(folder)
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


def _load_folder(
    root: Path, max_bytes: int | None, lookups: tuple[Reuse | None, Known | None], skipped: list[Skipped]
) -> list[Document]:
    """The documents in a folder; other files are added to ``skipped`` with the reason."""
    documents: list[Document] = []
    metadata = {root: load_metadata(root)}
    for path in _walk(root, skipped):
        if path.name == METADATA_FILE:
            continue
        if file_kind(path) is None:
            skipped.append(Skipped(str(path), f"unsupported type {_type_of(path)}", "unsupported"))
            continue
        rel = path.relative_to(root).as_posix()
        if path.parent not in metadata:
            metadata[path.parent] = load_metadata(path.parent)
        meta = metadata[path.parent].get(path.name) or metadata[root].get(rel)
        try:
            documents.append(load_document(path, meta, max_bytes, rel, *lookups))
        except SkipFile as exc:
            skipped.append(Skipped(str(path), str(exc), exc.kind))
    return documents


def _load_file(path: Path, max_bytes: int | None, lookups: tuple[Reuse | None, Known | None]) -> Document:
    """A file named explicitly: it must be of a supported type and readable."""
    if file_kind(path) is None:
        raise CorpusError(f"{path}: unsupported file type {_type_of(path)}; supported: {describe_supported()}")
    return load_document(path, load_metadata(path.parent).get(path.name), max_bytes, None, *lookups)


def _unique(documents: list[Document], skipped: list[Skipped]) -> list[Document]:
    """Each text once: a second copy (two paths, or two names) is added to ``skipped`` as a duplicate."""
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
    return unique


def load_corpus(
    paths: Sequence[Path],
    max_file_mb: float | None = DEFAULT_MAX_FILE_MB,
    reuse: Reuse | None = None,
    known: Known | None = None,
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
    ``reuse`` lets unchanged HTML and PDF files skip extraction, ``known`` lets files unchanged since
    an index recorded them skip reading (see ``load_document``).
    """
    if not paths:
        raise CorpusError("no input paths given")
    max_bytes = int(max_file_mb * 1e6) if max_file_mb else None
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for given in paths:
        root = Path(given).expanduser()
        if not root.exists():
            raise CorpusError(f"no such file or folder: {root}")
        if root.is_dir():
            documents.extend(_load_folder(root, max_bytes, (reuse, known), skipped))
        else:
            documents.append(_load_file(root, max_bytes, (reuse, known)))
    unique = _unique(documents, skipped)
    if not unique:
        where = ", ".join(str(p) for p in paths)
        why = f"; skipped {len(skipped)}, e.g. {skipped[0].reason}" if skipped else ""
        raise CorpusError(f"no readable documents in {where} (looked for {describe_supported()}){why}")
    return Corpus(unique, skipped)
