"""The sentence of each hit that answers the query best: the span its excerpt is centred on.

With the query's vector (dense and hybrid modes), the hit's sentence with the highest cosine to it: a
few dot products per hit, on the sentence vectors the index already holds. In bm25 mode, with no query
vector, the hit's sentence holding the most distinct query terms (the first such; none when no sentence
holds one). Sentences under ``MIN_WORDS`` words (headings, captions, credits) make no point of their
own and are passed over when the hit has a longer one (that holds a query term, in bm25 mode), as
``compare`` does. An index without sentence vectors gives no highlight, and its excerpts start at the
first query term as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from parallax.index.reader import Index, StoredChunk
from parallax.text.terms import query_terms, terms_pattern

Span = tuple[int, int]
Members = list[tuple[int, int, int]]  # (sentence id, start, end) of a chunk's sentences
MIN_WORDS = 6


def highlights(index: Index, chunks: Sequence[StoredChunk], q: np.ndarray | None, query: str) -> list[Span | None]:
    """Per chunk, the ``[start, end)`` (document offsets) of its best sentence for the query, or None."""
    if not index.manifest.sentence_count or not chunks:
        return [None] * len(chunks)
    members = index.member_spans([c.id for c in chunks])
    candidates = [_candidates(c, members[c.id]) for c in chunks]
    if q is not None:
        return [_by_vector(m, index, q) for m in candidates]
    terms = query_terms(query)
    pattern = terms_pattern(terms)
    return [
        _by_terms(c, m, terms, pattern) or _by_terms(c, members[c.id], terms, pattern)
        for c, m in zip(chunks, candidates)
    ]


def _candidates(chunk: StoredChunk, members: Members) -> Members:
    """The chunk's sentences of at least ``MIN_WORDS`` words, or all of them when it has none."""
    long = [m for m in members if len(chunk.text[m[1] - chunk.start : m[2] - chunk.start].split()) >= MIN_WORDS]
    return long or members


def _by_vector(members: Members, index: Index, q: np.ndarray) -> Span | None:
    if not members:
        return None
    sims = index.sentence_vectors(np.asarray([sid for sid, _, _ in members], dtype=np.int64)) @ q
    _, start, end = members[int(np.argmax(sims))]
    return start, end


def _by_terms(chunk: StoredChunk, members: Members, terms: list[str], pattern: re.Pattern[str] | None) -> Span | None:
    if pattern is None:
        return None
    best: Span | None = None
    most = 0
    for _, start, end in members:
        words = {m.group(0).lower() for m in pattern.finditer(chunk.text[start - chunk.start : end - chunk.start])}
        found = sum(1 for t in terms if any(w.startswith(t) for w in words))
        if found > most:
            best, most = (start, end), found
    return best
