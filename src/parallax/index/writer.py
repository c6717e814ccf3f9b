"""Writing a whole index into a staged folder and swapping it in.

<index>/manifest.json     written last; records every other file's size
<index>/vectors.faiss     FAISS IndexFlatIP over the chunks' unit vectors (inner product = cosine)
<index>/sentences.faiss   the same for the sentences, when the index has sentence vectors
<index>/chunks.sqlite     documents (with their text), chunks, sentences (``parallax.index.store``)
<index>/bm25/             the BM25 index (``parallax.index.bm25``)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from parallax.core.files import atomic_write
from parallax.index import store
from parallax.index.flatfile import write_flat
from parallax.index.manifest import FAISS_FILE, MANIFEST_FILE, SENTENCES_FILE, STORE_FILE, Manifest, file_sizes
from parallax.index.staging import staged_dir
from parallax.index.store import SentenceSpan

if TYPE_CHECKING:
    from parallax.ingest.chunk import Chunk
    from parallax.ingest.corpus import Document


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


def write_index(
    dest: Path, contents: Contents, manifest: Manifest, extra_writers: Sequence[Callable[[Path], None]] = ()
) -> None:
    """Write a whole index into a staged folder and swap it in at ``dest``; ``extra_writers`` write
    more files into the folder. The manifest, written last, records every file's size, so a truncated
    file is caught at load. Call with the index lock held (see ``parallax.index.staging``)."""
    if len(contents.chunks) != contents.vectors.shape[0]:
        raise ValueError("one vector per chunk is required")
    with staged_dir(dest) as tmp:
        write_flat(tmp / FAISS_FILE, manifest.dim, contents.vectors)
        if contents.sentence_vectors is not None:
            write_flat(tmp / SENTENCES_FILE, manifest.dim, contents.sentence_vectors)
        store.write_store(tmp / STORE_FILE, contents.docs, contents.chunks, contents.sentences, contents.members)
        for writer in extra_writers:
            writer(tmp)
        manifest = replace(manifest, extras={**manifest.extras, "files": file_sizes(tmp)})
        atomic_write(tmp / MANIFEST_FILE, manifest.to_json())
