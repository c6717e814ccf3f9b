"""Writing a whole index into a staged folder and swapping it in.

<index>/manifest.json     written last; records every other file's size
<index>/vectors.npy       the chunks' unit vectors, float32 (inner product = cosine)
<index>/sentences.npy     the same for the sentences, when the index has sentence vectors
<index>/members.*.npy, owners.*.npy   which sentences each chunk holds, both ways (CSR)
<index>/chunks.<kind>.faiss, sentences.<kind>.faiss   ANN structures of large matrices (``index.ann``)
<index>/chunks.sqlite     documents with their text, chunks, sentences (schema below, read by ``index.store``)
<index>/bm25/             the BM25 index (``parallax.index.bm25``)

``write_segment`` writes the same files but BM25 into any folder: the base, or a delta segment.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from parallax.core.files import atomic_write
from parallax.index import ann
from parallax.index.manifest import MANIFEST_FILE, Manifest, file_sizes
from parallax.index.matrix import csr, write_array
from parallax.index.segment import MEMBERS, OWNERS, SENTENCES, STORE, VECTORS
from parallax.index.staging import staged_dir

if TYPE_CHECKING:
    from parallax.ingest.chunk import Chunk
    from parallax.ingest.document import Document


_SCHEMA = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL UNIQUE, path TEXT NOT NULL, title TEXT NOT NULL,
    sha256 TEXT NOT NULL, format TEXT NOT NULL, meta TEXT NOT NULL, text TEXT NOT NULL,
    info TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, embed_text TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT ''
);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE TABLE sentences (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE TABLE chunk_sentences (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id), sentence_id INTEGER NOT NULL REFERENCES sentences(id),
    PRIMARY KEY (chunk_id, sentence_id)
);
"""


@dataclass(frozen=True)
class SentenceSpan:
    """A sentence of a document to store; ``plain`` is the text to embed ("" for a reused one)."""

    source: str
    start: int
    end: int
    plain: str


def _document_info(doc: Document) -> str:
    return json.dumps(
        {
            "encoding": doc.encoding,
            "pages": list(doc.pages),
            "file_sha256": doc.file_sha256,
            "auto_title": doc.auto_title,
            "extractor": doc.extractor,
        }
    )


def write_store(
    path: Path,
    docs: Sequence[Document],
    chunks: Sequence[Chunk],
    sentences: Sequence[SentenceSpan] = (),
    members: Sequence[Sequence[int]] = (),
) -> None:
    """Write a new store at ``path``: documents, chunks and sentences get ids in the order given;
    ``members[i]`` are the sentence ids of chunk ``i``."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(_SCHEMA)
        doc_ids = {}
        for i, doc in enumerate(docs):
            doc_ids[doc.source] = i
            conn.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    i, doc.source, doc.path, doc.title, doc.sha256, doc.format, json.dumps(doc.meta), doc.text,
                    _document_info(doc),
                ),
            )  # fmt: skip
        conn.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
            ((i, doc_ids[c.source], c.start, c.end, c.embed_text, c.context) for i, c in enumerate(chunks)),
        )
        conn.executemany(
            "INSERT INTO sentences VALUES (?, ?, ?, ?)",
            ((i, doc_ids[x.source], x.start, x.end) for i, x in enumerate(sentences)),
        )
        conn.executemany(
            "INSERT INTO chunk_sentences VALUES (?, ?)",
            ((cid, sid) for cid, sids in enumerate(members) for sid in sids),
        )
        conn.commit()
    finally:
        conn.close()


@dataclass(frozen=True)
class Contents:
    """What an index holds: documents, chunks with one vector each, and optionally sentences with
    theirs; ``members[i]`` are the sentence ids of chunk ``i``."""

    docs: Sequence[Document]
    chunks: Sequence[Chunk]
    vectors: np.ndarray
    sentences: Sequence[SentenceSpan] = ()
    sentence_vectors: np.ndarray | None = None
    members: Sequence[Sequence[int]] = ()


def _write_members(folder: Path, members: Sequence[Sequence[int]], sentences: int) -> None:
    pairs = np.asarray([(c, x) for c, ids in enumerate(members) for x in ids], dtype=np.int64).reshape(-1, 2)
    for names, rows, ordered in (
        (MEMBERS, len(members), pairs),
        (OWNERS, sentences, pairs[:, ::-1][np.lexsort((pairs[:, 0], pairs[:, 1]))] if len(pairs) else pairs),
    ):
        indptr, ids = csr(ordered, rows)
        write_array(folder / names[0], indptr, "<i8")
        write_array(folder / names[1], ids, "<i8")


def write_segment(folder: Path, contents: Contents, specs: dict[str, ann.AnnSpec]) -> None:
    """Write a segment's vectors, membership arrays, ANN structures and chunk store into ``folder``."""
    if len(contents.chunks) != contents.vectors.shape[0]:
        raise ValueError("one vector per chunk is required")
    write_array(folder / VECTORS, contents.vectors, "<f4")
    matrices = {"chunks": contents.vectors}
    if contents.sentence_vectors is not None:
        write_array(folder / SENTENCES, contents.sentence_vectors, "<f4")
        matrices["sentences"] = contents.sentence_vectors
        _write_members(folder, contents.members, len(contents.sentences))
    for name, matrix in matrices.items():
        spec = specs.get(name)
        if spec is not None and spec.approximate:
            ann.write(ann.build(matrix, spec), folder / spec.file_name(name))
    write_store(folder / STORE, contents.docs, contents.chunks, contents.sentences, contents.members)


def write_index(
    dest: Path, contents: Contents, manifest: Manifest, extra_writers: Sequence[Callable[[Path], None]] = ()
) -> None:
    """Write a whole index into a staged folder and swap it in at ``dest``; ``extra_writers`` write
    more files into the folder. The manifest, written last, records every file's size, so a truncated
    file is caught at load. Call with the index lock held (see ``parallax.index.staging``)."""
    specs = {m: ann.AnnSpec.from_dict(manifest.ann.get(m)) for m in ("chunks", "sentences")}
    with staged_dir(dest) as tmp:
        write_segment(tmp, contents, specs)
        for writer in extra_writers:
            writer(tmp)
        manifest = replace(manifest, extras={**manifest.extras, "files": file_sizes(tmp)})
        atomic_write(tmp / MANIFEST_FILE, manifest.to_json())
