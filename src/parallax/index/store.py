"""The chunk store, ``chunks.sqlite``: documents (with their text), chunks, sentences and which
sentences each chunk holds: every query a loaded index asks of it (``parallax.index.writer`` creates it).

Offsets are character offsets into the stored document text; row ids are the row numbers of the
vectors of the store's segment (chunk ``i`` is row ``i`` of ``vectors.npy``, sentence ``j`` row ``j``
of ``sentences.npy``; see ``parallax.index.segment``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from parallax.core.errors import CorruptIndexError
from parallax.index.manifest import rebuild_hint

_BATCH = 900  # sources per query


@dataclass
class ReusableRows:
    """One document's stored rows, by old id: chunks ``(id, start, end, embed_text, context)``,
    sentences ``(id, start, end)`` and the sentence ids of each chunk."""

    chunks: list[tuple[int, int, int, str, str]] = field(default_factory=list)
    sentences: list[tuple[int, int, int]] = field(default_factory=list)
    members: dict[int, list[int]] = field(default_factory=dict)


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


class Store:
    """A read-only connection to an index's chunk store and the queries a loaded index asks of it."""

    def __init__(self, conn: sqlite3.Connection, has_info: bool = True) -> None:
        self._conn = conn
        self._has_info = has_info  # an index written before document info was stored has none

    @classmethod
    def open(cls, path: Path, chunk_count: int, index_path: Path | None = None) -> Store:
        """Open the store at ``path``, which must hold ``chunk_count`` chunks (``CorruptIndexError`` if not);
        ``index_path`` is the index folder (the store's own folder by default), for the rebuild hint."""
        hint = rebuild_hint(index_path or path.parent)
        try:
            if not path.is_file():
                raise sqlite3.DatabaseError("file is missing")
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            (count,) = conn.execute("SELECT count(*) FROM chunks").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CorruptIndexError(f"{path} is missing or corrupt ({exc}); rebuild with: {hint}") from None
        if count != chunk_count:
            conn.close()
            raise CorruptIndexError(
                f"{path} holds {count} chunks, the manifest says {chunk_count}; rebuild with: {hint}"
            )
        try:
            columns = _columns(conn, "documents")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CorruptIndexError(f"{path} is corrupt ({exc}); rebuild with: {hint}") from None
        return cls(conn, "info" in columns)

    def close(self) -> None:
        self._conn.close()

    def document(self, doc_id: int) -> tuple[str, str]:
        """``(source, text)`` of a document by id."""
        row = self._conn.execute("SELECT source, text FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return str(row[0]), str(row[1])

    def document_text(self, source: str) -> str:
        row = self._conn.execute("SELECT text FROM documents WHERE source = ?", (source,)).fetchone()
        if row is None:
            raise KeyError(source)
        return str(row[0])

    def document_info(self, source: str) -> dict[str, Any]:
        """What the store records about a document beyond its text (``encoding``, ``pages``, ...)."""
        if not self._has_info:
            return {}
        row = self._conn.execute("SELECT info FROM documents WHERE source = ?", (source,)).fetchone()
        if row is None:
            raise KeyError(source)
        try:
            info = json.loads(row[0])
        except ValueError:
            return {}
        return info if isinstance(info, dict) else {}

    def chunk_rows(self, ids: Sequence[int]) -> list[tuple[int, int, int, int, str]]:
        """``(id, doc_id, start, end, embed_text)`` of the chunks ``ids``, in no particular order."""
        marks = ",".join("?" * len(ids))
        return self._conn.execute(
            f'SELECT id, doc_id, start, "end", embed_text FROM chunks WHERE id IN ({marks})', [int(i) for i in ids]
        ).fetchall()

    def chunk_ids_for(self, sources: Sequence[str]) -> list[int]:
        """The ids of the chunks of ``sources``, sorted; asked ``_BATCH`` sources at a time (SQLite caps
        the parameters of one statement: 999 before 3.32)."""
        out: list[int] = []
        for at in range(0, len(sources), _BATCH):
            part = list(sources[at : at + _BATCH])
            marks = ",".join("?" * len(part))
            query = f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.source IN ({marks})"
            out.extend(r[0] for r in self._conn.execute(query, part).fetchall())
        return sorted(out)

    def embed_texts(self) -> list[str]:
        """Every chunk's clean text, in id order."""
        return [str(r[0]) for r in self._conn.execute("SELECT embed_text FROM chunks ORDER BY id").fetchall()]

    def sentence_spans(self) -> list[tuple[str, int, int]]:
        """``(source, start, end)`` of every stored sentence, in sentence-id order."""
        rows = self._conn.execute(
            'SELECT d.source, s.start, s."end" FROM sentences s JOIN documents d ON d.id = s.doc_id ORDER BY s.id'
        ).fetchall()
        return [(str(src), int(a), int(b)) for src, a, b in rows]

    def member_spans(self, chunk_ids: Sequence[int]) -> list[tuple[int, int, int, int]]:
        """``(chunk_id, sentence_id, start, end)`` of the sentences of ``chunk_ids``, in sentence order per chunk."""
        marks = ",".join("?" * len(chunk_ids))
        rows = self._conn.execute(
            f'SELECT cs.chunk_id, s.id, s.start, s."end" FROM chunk_sentences cs JOIN sentences s '
            f"ON s.id = cs.sentence_id WHERE cs.chunk_id IN ({marks}) ORDER BY cs.chunk_id, s.id",
            [int(i) for i in chunk_ids],
        )
        return [(int(c), int(i), int(a), int(b)) for c, i, a, b in rows.fetchall()]

    def sentence_rows(self, ids: Sequence[int]) -> list[tuple[int, str, int, int]]:
        """``(id, source, start, end)`` of the sentences ``ids``, in no particular order."""
        marks = ",".join("?" * len(ids))
        rows = self._conn.execute(
            f'SELECT s.id, d.source, s.start, s."end" FROM sentences s JOIN documents d ON d.id = s.doc_id '
            f"WHERE s.id IN ({marks})",
            [int(i) for i in ids],
        )
        return [(int(i), str(src), int(a), int(b)) for i, src, a, b in rows.fetchall()]

    def member_pairs(self) -> np.ndarray:
        """``(chunk_id, sentence_id)`` rows, sorted, as an ``(n, 2)`` int64 array."""
        rows = self._conn.execute("SELECT chunk_id, sentence_id FROM chunk_sentences ORDER BY chunk_id, sentence_id")
        return np.asarray(rows.fetchall(), dtype=np.int64).reshape(-1, 2)

    def reusable_rows(self, sources: Sequence[str]) -> dict[str, ReusableRows]:
        """The stored chunk and sentence rows of ``sources``, to copy into an updated index."""
        wanted = set(sources)
        out: dict[str, ReusableRows] = {s: ReusableRows() for s in wanted}
        if not wanted:
            return out
        ids = {
            int(doc_id): str(src)
            for doc_id, src in self._conn.execute("SELECT id, source FROM documents")
            if src in wanted
        }
        context = "context" if "context" in _columns(self._conn, "chunks") else "''"
        rows = self._conn.execute(f'SELECT id, doc_id, start, "end", embed_text, {context} FROM chunks ORDER BY id')
        chunk_doc: dict[int, str] = {}
        for cid, doc_id, start, end, embed_text, ctx in rows:
            src = ids.get(doc_id)
            if src is not None:
                out[src].chunks.append((int(cid), int(start), int(end), str(embed_text), str(ctx)))
                chunk_doc[int(cid)] = src
        for sid, doc_id, start, end in self._conn.execute('SELECT id, doc_id, start, "end" FROM sentences ORDER BY id'):
            src = ids.get(doc_id)
            if src is not None:
                out[src].sentences.append((int(sid), int(start), int(end)))
        pairs = self._conn.execute("SELECT chunk_id, sentence_id FROM chunk_sentences ORDER BY chunk_id, sentence_id")
        for cid, sid in pairs:
            src = chunk_doc.get(int(cid))
            if src is not None:
                out[src].members.setdefault(int(cid), []).append(int(sid))
        return out


def open_for_extractions(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to the store at ``path`` if it records document info; None otherwise."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True) if path.is_file() else None
        if conn is not None and "info" not in _columns(conn, "documents"):
            conn.close()
            conn = None
    except sqlite3.Error:
        conn = None
    return conn


def stored_document(conn: sqlite3.Connection, source: str) -> tuple[str, dict[str, Any]] | None:
    """``(text, info)`` of the stored document ``source``; None when absent or unreadable."""
    try:
        row = conn.execute("SELECT text, info FROM documents WHERE source = ?", (source,)).fetchone()
        info = json.loads(row[1]) if row else None
    except (sqlite3.Error, ValueError):
        return None
    return (str(row[0]), info) if isinstance(info, dict) else None
