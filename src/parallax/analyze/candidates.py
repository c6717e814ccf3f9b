"""The sentences a comparison reads on a large index: the topic's candidates, not every sentence.

A sentence's topic score is ``cosine + 0.5 * lexical + 0.5 * rare`` (``coverage.sentence_scores``),
and it is on the topic at ``SENTENCE_LEVEL`` = 1.10. A sentence holding none of the topic's stemmed
words scores its cosine alone, below 1: **every on-topic sentence holds a topic word**. So the
coverage rule's counts need only the sentences holding a topic word, which the BM25 postings name
(the chunks holding the word, then their sentences, whose clean texts are tokenised to check), and
the IDF of each topic word is counted on the same rows, exactly as over the whole table.

What is read (``gather``):

1. the ``top_n`` sentences nearest to the topic (``nearest_sentences``: exact on a small index, ANN
   candidates re-scored exactly on a large one); ``TOP_N`` = 2,000 is some four times what a
   comparison can show (``max_sources`` panels of at most 8 topic sentences each) and reaches the
   sources that speak of the topic in other words; reading 2,000 sentence texts costs tens of ms;
2. every sentence holding a topic word, rarest word first, while they number at most
   ``lexical_rows`` (20,000: the texts of a few hundred documents, about a second of reading and
   tokenising; a word in at most ``STEM_SAMPLE`` chunks is always read). A word found in more is so
   common that its IDF weight is low: its document frequency is the share of the sentences of
   ``STEM_SAMPLE`` of its chunks holding it times the sentences of all its chunks (within 3 % on
   SciFact), and its rows are read only when they are candidates for another reason (an
   approximation, named in the comparison's notes: the scores shift in the third decimal);
3. every sentence of the sources shown: all of them when the index has at most ``max_sources``
   documents, else the ``max_sources`` whose candidates score best. A shown source is read whole, so
   its verdict, topic sentences and key passages are what the whole table gives; a source not shown
   has no view (a note counts them), which keeps the output and the agreement matrix bounded when an
   index holds tens of thousands of documents.

An index of at most ``whole_table`` live sentences (50,000: its table takes ~80 MB and a few seconds
to read) reads every sentence instead, as before; so does an index without sentence vectors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from parallax.analyze.coverage import sentence_scores
from parallax.analyze.units import SentenceTable, Tokenizer, chunk_sentences, live_units
from parallax.search.dense import nearest_sentences

if TYPE_CHECKING:
    from parallax.index.reader import Index

TOP_N = 2_000
LEXICAL_ROWS = 20_000
STEM_SAMPLE = 500
MAX_SOURCES = 50
WHOLE_TABLE = 50_000


@dataclass(frozen=True)
class Budget:
    """How much of a large index a comparison reads (see the module docstring)."""

    top_n: int = TOP_N
    lexical_rows: int = LEXICAL_ROWS
    max_sources: int = MAX_SOURCES
    whole_table: int = WHOLE_TABLE


@dataclass(frozen=True)
class TopicStats:
    """What the lexical part of the topic score needs of the whole index: its live units and, per topic
    stem, how many of them hold it (``estimated``: stems counted on a sample)."""

    units: int
    df: dict[str, float]
    estimated: list[str] = field(default_factory=list)

    @classmethod
    def of_table(cls, table: SentenceTable, stems: Sequence[str], tokens: Tokenizer) -> TopicStats:
        """The counts over a table that holds every live unit."""
        postings = table.postings(tokens)
        return cls(len(table), {w: float(len(postings.get(w, ()))) for w in stems})


def topic_scores(
    table: SentenceTable, q: np.ndarray, stems: Sequence[str], stats: TopicStats, tokens: Tokenizer
) -> tuple[np.ndarray, np.ndarray]:
    """(topic score, dense cosine) of every row of ``table``; IDF from ``stats`` (the whole index)."""
    dense = np.asarray(table.matrix @ q, dtype=np.float64)
    n = len(table)
    lexical = np.zeros(n, dtype=np.float64)
    rare = np.zeros(n, dtype=np.float64)
    if stems:
        postings = table.postings(tokens)
        idf = {w: math.log(1 + stats.units / (1 + stats.df.get(w, 0.0))) for w in stems}
        total, top = sum(idf.values()), max(idf.values())
        for w in stems:
            ids = postings.get(w)
            if ids is not None and len(ids):
                lexical[ids] += idf[w] / total
                rare[ids] = np.maximum(rare[ids], idf[w] / top)
    return sentence_scores(dense, lexical, rare), dense


@dataclass(frozen=True)
class Candidates:
    """The rows a comparison reads, the sources it shows (index order) and the index-wide counts."""

    table: SentenceTable
    sources: list[str]
    stats: TopicStats
    left_out: int  # sources with candidate sentences that are not shown


def _stem_chunks(index: Index, stem: str) -> np.ndarray:
    """The live chunks holding ``stem``, from the BM25 postings."""
    chunks = index.bm25.postings(stem)
    live = index.live_chunks()
    return chunks if live is None else chunks[live[chunks]]


def stem_rows(
    index: Index, stems: Sequence[str], tokens: Tokenizer, budget: Budget, units: int
) -> tuple[SentenceTable, TopicStats]:
    """The sentences holding each topic stem (rarest first, up to ``budget.lexical_rows``) and the stats."""
    indptr, _ = index.chunk_members()
    by_stem = {w: _stem_chunks(index, w) for w in stems}
    sizes = {w: int((indptr[c + 1] - indptr[c]).sum()) for w, c in by_stem.items()}
    seen = SentenceTable.from_rows(index, np.zeros(0, np.int64))
    df: dict[str, float] = {}
    estimated: list[str] = []
    left = budget.lexical_rows
    for w in sorted(stems, key=lambda s: sizes[s]):
        chunks = by_stem[w]
        sample = len(chunks) > STEM_SAMPLE and sizes[w] > left
        if sample:
            chunks = chunks[np.linspace(0, len(chunks) - 1, STEM_SAMPLE).astype(np.int64)]
        ids = chunk_sentences(index, chunks)
        part = SentenceTable.from_rows(index, ids, known=seen)
        holding = int(sum(w in words for words in tokens(part.plain)))
        if sample:  # the share of the sample's sentences holding it, times the sentences of all its chunks
            df[w] = holding * len(chunk_sentences(index, by_stem[w])) / max(len(ids), 1)
            estimated.append(w)
            continue
        df[w] = float(holding)
        left -= len(ids)
        seen = SentenceTable.from_rows(index, np.concatenate([seen.ids, ids]), known=seen)
    return seen, TopicStats(units, df, estimated)


def shown_sources(
    documents: Sequence[str], table: SentenceTable, scores: np.ndarray, most: int, groups: Sequence[Sequence[str]] = ()
) -> tuple[list[str], int]:
    """The sources read whole, in index order: every document when they are few, else the best-scoring
    ones; with ``groups`` (``--by``), the best of each group in turn (the groups' best first)."""
    if len(documents) <= most:
        return list(documents), 0
    wanted = set(documents)
    touched = {s: float(scores[rows].max()) for s, rows in table.rows.items() if len(rows) and s in wanted}
    ranked = sorted(touched, key=lambda s: (-touched[s], s))
    if groups:
        lists = [sorted((s for s in g if s in touched), key=lambda s: (-touched[s], s)) for g in groups]
        lists = sorted((g for g in lists if g), key=lambda g: (-touched[g[0]], g[0]))
        turns: list[str] = []
        for turn in range(max(map(len, lists), default=0)):
            turns.extend(g[turn] for g in lists if turn < len(g))
        ranked = list(dict.fromkeys(turns))
    best = set(ranked[:most])
    return [s for s in documents if s in best], max(0, len(touched) - most)


def gather(
    index: Index,
    q: np.ndarray,
    stems: Sequence[str],
    tokens: Tokenizer,
    budget: Budget,
    scope: tuple[Sequence[str], Sequence[Sequence[str]]],
) -> Candidates:
    """The candidate table for a topic (query vector ``q``, its BM25 stems) and the sources read whole,
    among ``scope``'s documents (index order) and groups (empty without ``--by``)."""
    documents, groups = scope
    seen, stats = stem_rows(index, stems, tokens, budget, live_units(index))
    nearest, _ = nearest_sentences(index, q, budget.top_n)
    seen = SentenceTable.from_rows(index, np.concatenate([seen.ids, nearest]), known=seen)
    scores, _ = topic_scores(seen, q, stems, stats, tokens)
    sources, left_out = shown_sources(documents, seen, scores, budget.max_sources, groups)
    rows = index.sentence_ids_for(sources)
    whole = np.concatenate([seen.ids, *rows.values()])
    return Candidates(SentenceTable.from_rows(index, whole, known=seen), sources, stats, left_out)
