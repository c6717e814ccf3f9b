"""Small updates of a large index: a delta segment and tombstones instead of a rebuilt ANN structure.

When the index has ANN structures (it is large) and an update adds or changes few documents, the new
index is the old one's files, hard-linked into the staged folder (no copy, no rewrite), plus:

- a new delta segment ``delta-NNNNNN/`` holding only the new and changed documents' rows, vectors
  and BM25 term frequencies (``parallax.index.bm25_delta``), searched exactly beside the base;
- the rows of changed and removed documents recorded as deleted ranges in the manifest, masked out
  of every search (``Index.live_chunks``).

The staged folder is swapped in as any build is (``parallax.index.staging``): a crash at any point
leaves the old index or the new one. Every file is written once and never changed, so the two
folders can share them. When the deltas would hold more than ``DELTA_LIMIT`` vectors, or deleted
rows pass ``DELETED_SHARE`` of the index, the update writes the whole index instead (a merge): one
segment, new ANN structures, BM25 statistics recomputed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parallax.core.files import atomic_write
from parallax.index.bm25_delta import DeltaTerms
from parallax.index.manifest import MANIFEST_FILE, DocumentRecord, Manifest, file_sizes
from parallax.index.plan import Plan
from parallax.index.staging import staged_dir
from parallax.index.writer import Contents, write_segment

if TYPE_CHECKING:
    from parallax.index.assemble import Rows, Vectors
    from parallax.index.reader import Index
    from parallax.ingest.document import Document

DELTA_FROM = 50_000  # passages (chunks and sentences): a smaller index is rewritten whole, as before
DELTA_LIMIT = 50_000  # vectors (chunks and sentences) in all delta segments together
DELETED_SHARE = 0.10  # of the index's chunks, deleted but still stored


def ranges(ids: Sequence[int]) -> list[list[int]]:
    """Sorted ids as ``[start, end)`` runs."""
    out: list[list[int]] = []
    for i in sorted(int(x) for x in ids):
        if out and out[-1][1] == i:
            out[-1][1] = i + 1
        else:
            out.append([i, i + 1])
    return out


def fits(old: Index, plan: Plan, new_vectors: int) -> bool:
    """Whether this update can be a delta on ``old``: a large index (ANN structures, or ``DELTA_FROM``
    passages), BM25 statistics recorded, no renames or re-chunking, and the deltas and deletions stay
    within their bounds."""
    m = old.manifest
    large = old.approximate or m.chunk_count + m.sentence_count >= DELTA_FROM
    if not large or plan.moved or plan.redo or old.bm25_avgdl() <= 0:
        return False
    in_deltas = sum(int(s["chunks"]) + int(s["sentences"]) for s in m.segments) + new_vectors
    changed = {*plan.updated, *plan.removed}
    gone = sum(r.chunks for r in m.documents if r.source in changed) + m.chunk_count - m.live_counts()[0]
    return in_deltas <= DELTA_LIMIT and gone <= DELETED_SHARE * max(m.chunk_count, 1)


def link_tree(src: Path, dst: Path) -> None:
    """Hard-link every file under ``src`` but the manifest into ``dst`` (copy where links fail)."""
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif path.name != MANIFEST_FILE or path.parent != src:
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)


@dataclass(frozen=True)
class DeltaUpdate:
    """What a delta adds: the new and changed documents (in corpus order), their rows and vectors."""

    docs: Sequence[Document]
    rows: Rows | None
    vectors: Vectors | None


def _deleted(old: Index, sources: Sequence[str]) -> dict[str, list[list[int]]]:
    """The old index's deleted ranges plus the rows of ``sources``."""
    chunk_ids = old.chunk_ids_for(sources) if sources else []
    by_source = old.sentence_ids_for(sources) if sources else {}
    sentence_ids = sorted({int(i) for ids in by_source.values() for i in ids})
    out = {k: [list(r) for r in v] for k, v in old.manifest.deleted.items()}
    out.setdefault("chunks", []).extend(ranges(chunk_ids))
    out.setdefault("sentences", []).extend(ranges(sentence_ids))
    return {k: sorted(v) for k, v in out.items() if v}


def _next_name(manifest: Manifest) -> str:
    numbers = [int(str(s["name"]).rsplit("-", 1)[-1]) for s in manifest.segments]
    return f"delta-{max(numbers, default=0) + 1:06d}"


def record_of(doc: Document, chunks: int, segment: str = "") -> DocumentRecord:
    """The manifest's record of a document (``doc.text`` must be the real text, not a stored stand-in)."""
    return DocumentRecord(
        doc.source, doc.path, doc.title, doc.sha256, doc.format, len(doc.text), chunks, doc.meta, segment,
        doc.file_size, doc.file_mtime_ns,
    )  # fmt: skip


def _records(old: Manifest, docs: Sequence[Document], update: DeltaUpdate, name: str) -> list[DocumentRecord]:
    """Records of every document in corpus order: kept ones as they were, new ones in segment ``name``."""
    kept = {r.source: r for r in old.documents}
    fresh = {d.source for d in update.docs}
    per_doc: dict[str, int] = {}
    for c in update.rows.chunks if update.rows else []:
        per_doc[c.source] = per_doc.get(c.source, 0) + 1
    out = []
    for d in docs:
        if d.source in fresh:
            out.append(record_of(d, per_doc.get(d.source, 0), name))
        else:
            out.append(replace(kept[d.source], meta=d.meta, title=d.title, size=d.file_size, mtime_ns=d.file_mtime_ns))
    return out


def write_delta(
    dest: Path, old: Index, docs: Sequence[Document], plan: Plan, update: DeltaUpdate, extras: dict[str, Any]
) -> Manifest:
    """Write the index ``old`` plus ``update`` (and minus the plan's changed and removed documents) as a
    staged folder of hard links and one new delta segment, and swap it in. Call with the lock held."""
    m = old.manifest
    name = _next_name(m)
    segments = list(m.segments)
    added_chunks = added_sentences = 0
    with staged_dir(dest) as tmp:
        link_tree(dest, tmp)
        if update.rows is not None and update.vectors is not None and update.rows.chunks:
            rows, vectors = update.rows, update.vectors
            folder = tmp / name
            folder.mkdir()
            contents = Contents(
                update.docs, rows.chunks, vectors.chunks, rows.sentences,
                vectors.sentences if rows.sentences else None, rows.members,
            )  # fmt: skip
            write_segment(folder, contents, {})
            bm25 = old.bm25
            DeltaTerms.build([c.embed_text for c in rows.chunks], bm25.config, bm25.stopwords).save(folder)
            added_chunks, added_sentences = len(rows.chunks), len(rows.sentences) if m.sentence_count else 0
            segments.append({"name": name, "chunks": added_chunks, "sentences": added_sentences})
        manifest = replace(
            m,
            documents=_records(m, docs, update, name),
            chunk_count=m.chunk_count + added_chunks,
            sentence_count=m.sentence_count + added_sentences,
            segments=segments,
            deleted=_deleted(old, [*plan.updated, *plan.removed]),
            extras={**m.extras, **extras},
        )
        manifest.extras["files"] = file_sizes(tmp)
        atomic_write(tmp / MANIFEST_FILE, manifest.to_json())
    return manifest


__all__ = ["DELTA_LIMIT", "DeltaUpdate", "fits", "link_tree", "ranges", "write_delta"]
