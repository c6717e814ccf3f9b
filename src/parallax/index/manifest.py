"""The manifest of an index: ``manifest.json``, what the folder holds and how it was made.

It records the format version, the model and dimension, the chunker settings, one record (with the
text's sha256) per document, the counts of chunks and sentences, and the size of every other file in
the folder, so that a truncated file is caught at load. It is written last, so a folder with a
manifest is a whole index.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from parallax import __version__
from parallax.core.errors import CorruptIndexError, IndexNotFoundError
from parallax.text.sources import short_name

FORMAT_VERSION = 2  # 2: vectors as .npy, ANN structures, delta segments; format 1 is still read
READABLE_VERSIONS = (1, 2)
MANIFEST_FILE = "manifest.json"
VECTORS_FILE = "vectors.npy"
STORE_FILE = "chunks.sqlite"
LEGACY_FAISS_FILE = "vectors.faiss"  # format 1: FAISS flat files
COMPACT_FROM = 1_000  # documents: a larger manifest is written without indentation


def rebuild_hint(path: Path) -> str:
    return f"parallax index PATH... --index {path} --rebuild"


def is_index_dir(path: Path) -> bool:
    """Whether ``path`` holds an index, whole or damaged (a manifest, vectors or a chunk store)."""
    return any((path / name).is_file() for name in (MANIFEST_FILE, VECTORS_FILE, STORE_FILE, LEGACY_FAISS_FILE))


def documents_not_index(folder: Path) -> str:
    """What to say when ``--index`` names a folder of documents: what it is and what to run instead."""
    return (
        f"{folder} holds documents, not a Parallax index; to index them, run: parallax index {folder} "
        f"(it builds the named index {folder.name!r}: search it with --index {folder.name}), "
        f"or: parallax index {folder} --index NEW_FOLDER"
    )


@dataclass(frozen=True)
class DocumentRecord:
    source: str
    path: str
    title: str
    sha256: str
    format: str
    chars: int
    chunks: int
    meta: dict[str, str | None] = field(default_factory=dict)
    segment: str = ""  # the folder of the segment holding its rows ("" for the base segment)
    size: int = -1  # the file's bytes and mtime (ns) when indexed: unchanged ones are not read again
    mtime_ns: int = -1

    @property
    def short_id(self) -> str:
        return self.meta.get("id") or short_name(self.source)


_RECORD_FIELDS = frozenset(DocumentRecord.__dataclass_fields__)


def _record(data: dict[str, Any]) -> DocumentRecord:
    """A document record from its JSON: filled in directly when it has exactly the record's fields
    (three times faster than the constructor, for manifests of 100,000 documents), else through it."""
    if data.keys() == _RECORD_FIELDS:
        record = object.__new__(DocumentRecord)
        record.__dict__.update(data)
        return record
    return DocumentRecord(**data)


@dataclass
class Manifest:
    model_id: str
    dim: int
    chunker: dict[str, Any]
    documents: list[DocumentRecord]
    chunk_count: int
    inputs: list[str]
    normalized: bool = True
    metric: str = "inner_product"
    faiss_index: str = "IndexFlatIP"
    format_version: int = FORMAT_VERSION
    parallax_version: str = __version__
    created_at: str = ""
    sentence_count: int = 0
    dense: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    # {"requested": "auto", "chunks": {"kind": ...params}, "sentences": {...}} (parallax.index.ann)
    ann: dict[str, Any] = field(default_factory=dict)
    # delta segments after the base, in order: {"name", "chunks", "sentences"} (parallax.index.segment)
    segments: list[dict[str, Any]] = field(default_factory=list)
    # rows of removed or replaced documents still in a segment: {"chunks": [[start, end], ...], "sentences": ...}
    deleted: dict[str, list[list[int]]] = field(default_factory=dict)

    def to_json(self) -> str:
        """The manifest as JSON: indented for people, compact past ``COMPACT_FROM`` documents (a third
        smaller, and read faster by every command)."""
        data = {**self.__dict__, "documents": [vars(r) for r in self.documents]}  # asdict copies deeply: slow
        indent = 2 if len(self.documents) < COMPACT_FROM else None
        return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        hint = rebuild_hint(where.parent)
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CorruptIndexError(f"{where} is not valid JSON ({exc}); rebuild with: {hint}") from None
        if not isinstance(data, dict):
            raise CorruptIndexError(f"{where} is not a Parallax manifest; rebuild with: {hint}")
        version = data.get("format_version")
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise CorruptIndexError(
                f"{where.parent} was written by a newer Parallax (index format {version}, this one reads "
                f"{FORMAT_VERSION}); upgrade Parallax or rebuild with: {hint}"
            )
        try:
            docs = [_record(d) for d in data.pop("documents")]
            manifest = cls(documents=docs, **data)
        except (KeyError, TypeError) as exc:
            raise CorruptIndexError(
                f"{where} is missing fields or has unknown ones ({exc}); rebuild with: {hint}"
            ) from None
        if manifest.format_version not in READABLE_VERSIONS:
            raise CorruptIndexError(f"{where} has unknown format version {version!r}; rebuild with: {hint}")
        return manifest

    def live_counts(self) -> tuple[int, int]:
        """Chunks and sentences of live documents: the stored rows minus the deleted ones."""
        gone = {k: sum(b - a for a, b in v) for k, v in self.deleted.items()}
        return self.chunk_count - gone.get("chunks", 0), self.sentence_count - gone.get("sentences", 0)

    def document(self, source: str) -> DocumentRecord:
        for doc in self.documents:
            if doc.source == source:
                return doc
        raise KeyError(source)

    def recorded_skipped(self) -> frozenset[tuple[str, str]] | None:
        """The files the build that wrote this index left out, as ``(absolute path, reason)`` pairs
        (``extras["skipped"]``); None for an index written before they were recorded."""
        found = self.extras.get("skipped")
        if not isinstance(found, list):
            return None
        return frozenset((str(x[0]), str(x[1])) for x in found if isinstance(x, list | tuple) and len(x) == 2)

    def same_content(self, other: Manifest) -> bool:
        """Whether two manifests describe the same index, ignoring when and by which version it was
        written and the recorded file sizes."""
        return _comparable(self) == _comparable(other)


def _comparable(manifest: Manifest) -> dict[str, Any]:
    data = asdict(manifest)
    for key in ("created_at", "parallax_version"):
        data.pop(key, None)
    data["extras"] = {k: v for k, v in data["extras"].items() if k != "files"}
    return data


def load_manifest(folder: Path) -> Manifest:
    """The manifest of the index at ``folder``; raises ``IndexNotFoundError`` when there is no index
    and ``CorruptIndexError`` when the manifest is missing from a non-empty folder or cannot be read."""
    where = folder / MANIFEST_FILE
    if not where.is_file():
        if folder.is_dir() and any(folder.iterdir()) and not is_index_dir(folder):
            raise IndexNotFoundError(documents_not_index(folder))
        if folder.is_dir() and any(folder.iterdir()):
            raise CorruptIndexError(f"{folder} has no {MANIFEST_FILE}; rebuild with: {rebuild_hint(folder)}")
        raise IndexNotFoundError(f"no index at {folder}; create one with: {rebuild_hint(folder)}")
    try:
        st = where.stat()
        key = (str(where.resolve()), st.st_mtime_ns, st.st_size, st.st_ino)
        if key not in _PARSED:
            text = where.read_text(encoding="utf-8")
            _PARSED.clear()
            _PARSED[key] = Manifest.from_json(text, where)
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptIndexError(f"cannot read {where} ({exc}); rebuild with: {rebuild_hint(folder)}") from None
    m = _PARSED[key]
    return replace(  # a copy for each caller: the records are shared, never changed in place
        m, documents=list(m.documents), dense=dict(m.dense), extras=dict(m.extras), ann=dict(m.ann),
        segments=list(m.segments), deleted=dict(m.deleted), chunker=dict(m.chunker), inputs=list(m.inputs),
    )  # fmt: skip


# The last manifest parsed, by (path, mtime, size, inode): an update reads the same one three times, and
# a manifest of 100,000 documents takes most of a second to parse.
_PARSED: dict[tuple[str, int, int, int], Manifest] = {}


def read_manifest(folder: Path) -> Manifest | None:
    """The manifest of the index at ``folder``, or None when there is none or it cannot be read."""
    try:
        return load_manifest(folder)
    except (OSError, IndexNotFoundError, CorruptIndexError):
        return None


def file_sizes(folder: Path) -> dict[str, int]:
    """The size of every file under ``folder`` but the manifest, by relative path, as the manifest records them."""
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST_FILE
    }


def check_sizes(folder: Path, manifest: Manifest) -> None:
    """Every file the manifest lists must be there with the size it was written with."""
    files = manifest.extras.get("files")
    if not isinstance(files, dict):
        return  # an index written before sizes were recorded
    for name, size in files.items():
        target = folder / name
        try:
            actual = target.stat().st_size
        except OSError:
            raise CorruptIndexError(f"{target} is missing; rebuild with: {rebuild_hint(folder)}") from None
        if actual != size:
            raise CorruptIndexError(
                f"{target} is {actual} bytes but was written as {size} (truncated or overwritten); "
                f"rebuild with: {rebuild_hint(folder)}"
            )
