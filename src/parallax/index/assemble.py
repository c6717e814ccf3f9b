"""The rows and vectors of an updated index: stored ones copied for kept documents, new ones made by
chunking and embedding the rest.

Chunk and sentence ids are assigned in corpus order. Each row remembers where it came from: the id of
its stored row in the old index, or -1 for one to embed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from parallax.core.errors import InputError
from parallax.index.plan import Plan
from parallax.index.store import ReusableRows
from parallax.index.writer import SentenceSpan

if TYPE_CHECKING:
    from parallax.embed.registry import Embedder
    from parallax.index.reader import Index
    from parallax.ingest.chunk import Chunk, ChunkerConfig
    from parallax.ingest.document import Document


@dataclass
class Rows:
    """Chunks and sentences of the new index, with the old id of each (-1: to embed) and each chunk's sentences."""

    chunks: list[Chunk] = field(default_factory=list)
    chunk_origin: list[int] = field(default_factory=list)
    sentences: list[SentenceSpan] = field(default_factory=list)
    sentence_origin: list[int] = field(default_factory=list)
    members: list[list[int]] = field(default_factory=list)

    @property
    def new_chunks(self) -> list[int]:
        return [i for i, o in enumerate(self.chunk_origin) if o < 0]

    @property
    def new_sentences(self) -> list[int]:
        return [i for i, o in enumerate(self.sentence_origin) if o < 0]

    def copy_stored(self, doc: Document, rows: ReusableRows) -> None:
        """Append a kept document's stored rows, renumbered."""
        new_ids = {}
        for old_id, start, end in rows.sentences:
            new_ids[old_id] = len(self.sentences)
            self.sentences.append(SentenceSpan(doc.source, start, end, ""))
            self.sentence_origin.append(old_id)
        from parallax.ingest.chunk import Chunk

        for old_id, start, end, embed_text, context in rows.chunks:
            self.chunks.append(Chunk(doc.source, start, end, doc.text[start:end], embed_text, context))
            self.chunk_origin.append(old_id)
            self.members.append([new_ids[i] for i in rows.members.get(old_id, ())])

    def chunk_afresh(self, doc: Document, config: ChunkerConfig, embedder: Embedder, sentence_vectors: bool) -> None:
        """Append a new or changed document's chunks (and sentences), to embed."""
        from parallax.ingest.chunk import pack, sentence_units

        units = sentence_units(doc, config.max_tokens, embedder.count_tokens, config.heading_context)
        first = len(self.sentences)
        if sentence_vectors:
            self.sentences.extend(SentenceSpan(doc.source, u.start, u.end, u.plain) for u, _ in units)
            self.sentence_origin.extend([-1] * len(units))
        for chunk in pack(doc, units, config):
            self.chunks.append(chunk)
            self.chunk_origin.append(-1)
            self.members.append(
                [first + j for j, (u, _) in enumerate(units) if u.start >= chunk.start and u.end <= chunk.end]
                if sentence_vectors
                else []
            )


def assemble(
    docs: Sequence[Document],
    plan: Plan,
    reuse: Mapping[str, ReusableRows],
    config: ChunkerConfig,
    embedder: Embedder,
    sentence_vectors: bool,
) -> Rows:
    """Every document's rows: ``reuse``'s stored ones for the documents the plan keeps, new ones for the rest."""
    moved = dict(plan.moved)
    rows = Rows()
    for doc in docs:
        stored = reuse.get(moved.get(doc.source, doc.source))
        if stored is not None:
            rows.copy_stored(doc, stored)
        else:
            rows.chunk_afresh(doc, config, embedder, sentence_vectors)
    if not rows.chunks:
        raise InputError("the documents hold no text to index")
    if not sentence_vectors:
        rows.members = []
    return rows


@dataclass(frozen=True)
class Vectors:
    """The vectors of every chunk and sentence, and the seconds spent embedding the new ones."""

    chunks: np.ndarray
    sentences: np.ndarray
    embed_seconds: float


def vectors_for(
    rows: Rows,
    embedder: Embedder,
    previous: Index | None,
    batch_size: int,
    progress: Callable[[int, int], None] | None,
) -> Vectors:
    """Embed the new rows (``progress(done, total)`` as they go) and copy the stored vectors of the others."""
    new_chunks, new_sentences = rows.new_chunks, rows.new_sentences
    total = len(new_chunks) + len(new_sentences)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    t1 = time.perf_counter()
    texts = [rows.chunks[i].vector_text for i in new_chunks] + [rows.sentences[i].plain for i in new_sentences]
    fresh = embedder.embed(texts, batch_size=batch_size, progress=tick) if texts else None
    embed_seconds = time.perf_counter() - t1
    vectors = np.zeros((len(rows.chunks), embedder.dim), dtype=np.float32)
    sent_vectors = np.zeros((len(rows.sentences), embedder.dim), dtype=np.float32)
    if fresh is not None:
        vectors[new_chunks] = fresh[: len(new_chunks)]
        sent_vectors[new_sentences] = fresh[len(new_chunks) :]
    if previous is not None:  # stored vectors, read segment by segment (never the whole index at once)
        kept = [i for i, o in enumerate(rows.chunk_origin) if o >= 0]
        if kept:
            vectors[kept] = previous.chunk_vectors(np.asarray([rows.chunk_origin[i] for i in kept], dtype=np.int64))
        kept = [i for i, o in enumerate(rows.sentence_origin) if o >= 0]
        if kept and previous.manifest.sentence_count:
            origins = np.asarray([rows.sentence_origin[i] for i in kept], dtype=np.int64)
            sent_vectors[kept] = previous.sentence_vectors(origins)
    return Vectors(vectors, sent_vectors, embed_seconds)
