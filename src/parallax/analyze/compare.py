"""The viewpoint comparer: how each source in an index treats one topic, side by side.

For every source: a coverage verdict (``coverage.py``), its key passages on the topic (hybrid search
restricted to that source, exact offsets), its distinctive terms (c-TF-IDF, ``distinct.py``) and the
passage no other source echoes. Across sources, at sentence granularity: an agreement matrix, the
common ground and the unique angles (``points.py``). The result and its scores: ``comparison.py``.

A small index is compared on its whole sentence table; a large one on the topic's candidate
sentences, read through the index (``candidates.py``), with the same verdicts for the sources shown.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from parallax.analyze.candidates import Budget, Candidates, TopicStats, gather, shown_sources, topic_scores
from parallax.analyze.comparison import Comparison, SourceView
from parallax.analyze.coverage import CALIBRATED_FOR, CoverageFeatures, features
from parallax.analyze.coverage import SENTENCE_LEVEL as ON_TOPIC
from parallax.analyze.distinct import c_tf_idf
from parallax.analyze.grouping import (
    PER_DOCUMENT,
    Chosen,
    Judged,
    Scope,
    group_view,
    interleave,
    judge_all,
    merged_rows,
    speaking,
)
from parallax.analyze.passage import Passage
from parallax.analyze.points import find_points
from parallax.analyze.units import SentenceTable, live_units, unit_kind
from parallax.index.bm25 import tokenize
from parallax.search.searcher import Searcher
from parallax.text.query import parse_query
from parallax.text.terms import query_terms

if TYPE_CHECKING:
    from parallax.embed.registry import Embedder
    from parallax.index.reader import Index
    from parallax.search.searcher import Hit

MAX_TOPIC_SENTENCES = 8  # per source, for the cross-source view
MIN_WORDS = 6  # shorter sentences (headings, captions) make no point of their own
CANDIDATES = 10  # hybrid hits per source re-ranked for the key passages

__all__ = ["Comparer", "Comparison", "Passage", "Scope", "compare", "uncalibrated_note"]


def uncalibrated_note(model_id: str) -> list[str]:
    """A caveat when the coverage rule runs on another model than the one it was calibrated for."""
    if model_id == CALIBRATED_FOR:
        return []
    calibrated = CALIBRATED_FOR.rsplit("/", 1)[-1]
    return [f"coverage verdicts are calibrated for {calibrated}; with {model_id} they are uncalibrated"]


class Comparer:
    """Holds an index, an embedder and the sentence table; compares sources on any number of topics."""

    def __init__(
        self, index: Index, embedder: Embedder, searcher: Searcher | None = None, budget: Budget | None = None
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.searcher = searcher or Searcher(index, embedder)
        self.budget = budget or Budget()
        self._table: SentenceTable | None = None
        self._texts: dict[str, str] = {}
        self.load_ms = 0.0

    @property
    def by_candidates(self) -> bool:
        """Whether topics are compared on their candidate sentences rather than the whole table."""
        return unit_kind(self.index) == "sentence" and live_units(self.index) > self.budget.whole_table

    def load(self) -> None:
        """Load the model, the BM25 arrays and the sentences before any clock starts."""
        t0 = time.perf_counter()
        self.embedder.load()
        self.index.bm25  # noqa: B018 - loads the arrays
        if not self.by_candidates:
            self.table.postings(self._tokens)
        import scipy.cluster.hierarchy  # noqa: F401 - a cold import costs ~0.6 s: load time, not query time

        self.load_ms += (time.perf_counter() - t0) * 1000

    @property
    def table(self) -> SentenceTable:
        """The index's sentences (or its chunks, for an index without sentence vectors), built once."""
        if self._table is None:
            self._table = SentenceTable.from_index(self.index)
        return self._table

    def text(self, source: str) -> str:
        """The whole text of ``source``."""
        if self._table is not None or not self.by_candidates:
            return self.table.document(source)
        if source not in self._texts:
            self._texts[source] = self.index.document_text(source)
        return self._texts[source]

    def _tokens(self, texts: Sequence[str]) -> list[list[str]]:
        bm25 = self.index.bm25
        return tokenize(texts, bm25.config, bm25.stopwords)

    # -----------------------------------------------------------------------------------------
    # Topic scores.

    def _stems(self, text: str) -> list[str]:
        return list(dict.fromkeys(self._tokens([text])[0]))

    def candidates(
        self, topic: str, chosen: Chosen | None = None
    ) -> tuple[Candidates, np.ndarray, np.ndarray, np.ndarray]:
        """The sentences ``topic`` is compared on and the sources read whole (the whole table of a small
        index, the topic's candidates on a large one: ``candidates.py``), with their (topic score, dense
        cosine), and the topic's vector. ``chosen``: the documents and groups in scope (default: all)."""
        text = parse_query(topic).text
        stems = self._stems(text)
        q = self.embedder.embed([text])[0]
        chosen = chosen or Scope().resolve(self.index.manifest.documents)
        if self.by_candidates:
            groups = [g.members for g in chosen.groups or ()]
            found = gather(self.index, q, stems, self._tokens, self.budget, (chosen.sources, groups))
        else:
            found = Candidates(self.table, chosen.sources, TopicStats.of_table(self.table, stems, self._tokens), 0)
        scores, dense = topic_scores(found.table, q, stems, found.stats, self._tokens)
        return found, scores, dense, q

    def topic_scores(self, topic: str) -> tuple[np.ndarray, np.ndarray]:
        """(topic score, dense cosine) of every row of the topic's table (``candidates``)."""
        _, scores, dense, _ = self.candidates(topic)
        return scores, dense

    def source_features(self, topic: str) -> dict[str, CoverageFeatures]:
        """The coverage rule's features of every source shown for ``topic`` (used for calibration)."""
        found, scores, _, _ = self.candidates(topic)
        return {s: features(scores[found.table.source_rows(s)]) for s in found.sources}

    # -----------------------------------------------------------------------------------------
    # The comparison.

    def compare(self, topic: str, passages: int = 3, scope: Scope | None = None) -> Comparison:
        """How every source treats ``topic``, with at most ``passages`` key passages per source.

        ``scope``: the documents compared (``--where``) and what they are grouped on (``--by``)."""
        if passages < 1:
            from parallax.core.errors import InputError

            raise InputError(f"--passages must be at least 1 (got {passages})")
        parsed = parse_query(topic)  # refuses an empty topic
        chosen = (scope or Scope()).resolve(self.index.manifest.documents)
        self.load()
        t0 = time.perf_counter()
        terms = query_terms(parsed.text)
        found, scores, dense, q = self.candidates(topic, chosen)
        if chosen.groups is None and len(found.sources) > self.budget.max_sources:  # a small index, many documents
            shown, left_out = shown_sources(found.sources, found.table, scores, self.budget.max_sources)
            found = Candidates(found.table, shown, found.stats, left_out)
        topical = _Topical(topic, q, (scores, dense), passages)
        judged = judge_all(chosen.sources if chosen.groups else found.sources, found.table.source_rows, scores)
        if chosen.groups is None:
            views, topic_rows = self._document_views(found, topical, judged)
        else:
            views, topic_rows = self._group_views(found, chosen, topical, judged)
        table = found.table
        _distinctive(table, views, topic_rows, terms)
        names = [v.source for v in views]
        agreement = _agreement(table.matrix, names, topic_rows)
        common, unique = find_points(table, topic_rows, scores, terms)
        latency = (time.perf_counter() - t0) * 1000
        notes = uncalibrated_note(self.index.manifest.model_id) + _left_out_note(found, chosen)
        cmp = Comparison(topic, terms, views, names, agreement, common, unique, latency, notes, by=chosen.by)
        if chosen.groups is not None:  # the documents that hold a group's passages, named in its output
            named = _passage_documents(cmp)
            cmp.titles = {r.source: r.title for r in chosen.records if r.source in named}
            cmp.short_ids = {r.source: r.short_id for r in chosen.records if r.source in named}
            cmp.verdicts = {s: j.verdict.label for s, j in judged.items()}
        return cmp

    def _document_views(
        self, found: Candidates, topical: _Topical, judged: dict[str, Judged]
    ) -> tuple[list[SourceView], dict[str, np.ndarray]]:
        """One view per document read whole, with its key passages and topic sentences."""
        table, (scores, _) = found.table, topical.scored
        titles = {d.source: d for d in self.index.manifest.documents}
        views: list[SourceView] = []
        topic_rows: dict[str, np.ndarray] = {}
        for source in found.sources:
            doc, j = titles[source], judged[source]
            view = SourceView(
                source, doc.title, doc.short_id, j.verdict.label, j.verdict.score, j.features, j.verdict.probabilities
            )
            views.append(view)
            rows = table.source_rows(source)
            if j.verdict.label == "silent" or not len(rows):
                continue
            topic_rows[source] = _topic_sentences(table, rows, scores)
            view.passages = self._key_passages(table, source, topical.passages, topical)
        return views, topic_rows

    def _group_views(
        self, found: Candidates, chosen: Chosen, topical: _Topical, judged: dict[str, Judged]
    ) -> tuple[list[SourceView], dict[str, np.ndarray]]:
        """One view per group: its verdict and counts from every document's verdict, its key passages
        and topic sentences from its best documents (``grouping.py``)."""
        table, (scores, _) = found.table, topical.scored
        readable = set(found.sources)
        views: list[SourceView] = []
        topic_rows: dict[str, np.ndarray] = {}
        assert chosen.groups is not None
        for g in chosen.groups:
            view = group_view(chosen.by, g, judged)
            views.append(view)
            best = speaking(g, judged, readable, topical.passages)
            if not best:
                continue
            per_doc = [self._key_passages(table, s, PER_DOCUMENT, topical) for s in best]
            view.passages = interleave(per_doc, [judged[s].verdict.label for s in best], topical.passages)
            rows = [_topic_sentences(table, table.source_rows(s), scores) for s in best]
            topic_rows[view.source] = merged_rows(rows, scores)
        return views, topic_rows

    def _key_passages(self, table: SentenceTable, source: str, k: int, topical: _Topical) -> list[Passage]:
        """The source's best chunks for the topic: hybrid candidates re-ranked by their best sentence."""
        found = self.searcher.search(topical.topic, k=max(k, CANDIDATES), sources=[source], vector=topical.vector)
        ranked = sorted(_judged(self.index, table, found.hits, *topical.scored), key=lambda r: (-r[0], r[2]))
        out: list[Passage] = []
        shown: list[str] = []  # the best sentence of each passage kept
        for best, cosine, _, hit, key, focus in ranked:
            if out and (len(out) >= k or best < ON_TOPIC):
                break
            if any(key in seen or seen in key for seen in shown):
                continue  # the same point again: an overlapping chunk, or a pull quote of a sentence shown
            shown.append(key)
            out.append(Passage(source, cosine, hit.start, hit.end, hit.text, hit.clean_text, focus))
        return out


@dataclass(frozen=True)
class _Topical:
    """What every source's passages are chosen with: the topic, its vector, the rows' (score, cosine)."""

    topic: str
    vector: np.ndarray
    scored: tuple[np.ndarray, np.ndarray]
    passages: int


def _passage_documents(cmp: Comparison) -> set[str]:
    """The documents that hold a passage of the comparison (their titles and ids are shown)."""
    passages = [p for v in cmp.sources for p in (*v.passages, v.distinctive_passage) if p is not None]
    passages += [ap.passage for point in cmp.common_ground for ap in point.passages]
    passages += [u.passage for u in cmp.unique_angles]
    return {p.source for p in passages}


def _left_out_note(found: Candidates, chosen: Chosen) -> list[str]:
    if not found.left_out and not found.stats.estimated:
        return []
    notes = []
    if found.left_out and chosen.groups is not None:
        notes.append(
            f"{found.left_out} documents near the topic were judged on their candidate sentences only "
            "(not read whole); their verdicts count in their groups"
        )
    elif found.left_out:
        notes.append(
            f"{found.left_out} more sources are not shown: the {len(found.sources)} closest to the topic are "
            "(group them with --by publisher, year...; narrow them with --where)"
        )
    if found.stats.estimated:
        notes.append(f"the weights of common topic words ({', '.join(found.stats.estimated)}) are estimated")
    return notes


def _topic_sentences(table: SentenceTable, rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """A source's sentences on the topic, best first (at least its best one), for the cross-source view."""
    order = rows[np.argsort(-scores[rows], kind="stable")]
    order = np.asarray([r for r in order if len(table.plain[int(r)].split()) >= MIN_WORDS] or order[:1])
    chosen = order[scores[order] >= ON_TOPIC][:MAX_TOPIC_SENTENCES]
    return chosen if len(chosen) else order[:1]


def _judged(
    index: Index, table: SentenceTable, hits: Sequence[Hit], scores: np.ndarray, dense: np.ndarray
) -> list[tuple[float, float, int, Hit, str, int | None]]:
    """Each hit judged by its best sentence: (its score, best cosine, rank, hit, its text, its start)."""
    if not hits:
        return []
    indptr, members = index.chunk_members()
    by_sentence = table.kind == "sentence"
    judged = []
    for rank, hit in enumerate(hits):
        ids = members[indptr[hit.chunk_id] : indptr[hit.chunk_id + 1]]
        if not by_sentence:
            ids = np.asarray([hit.chunk_id])  # the units are the chunks
        ids = table.rows_of(ids)
        ids = ids[ids >= 0]
        if not len(ids):
            continue  # no sentence to judge it by
        top = int(ids[int(np.argmax(scores[ids]))])
        key = " ".join(table.plain[top].lower().split())
        focus = table.spans[top][1] if by_sentence else None
        judged.append((float(scores[top]), float(dense[ids].max()), rank, hit, key, focus))
    return judged


def _distinctive(
    table: SentenceTable, views: list[SourceView], topic_rows: dict[str, np.ndarray], terms: list[str]
) -> None:
    """Each speaking source's distinctive terms, and its topic sentence least echoed elsewhere."""
    docs = {
        v.source: " ".join(dict.fromkeys(table.plain[int(r)] for r in topic_rows[v.source]))
        for v in views
        if v.source in topic_rows
    }
    weighted = c_tf_idf(docs, top=6, exclude=terms)
    for view in views:
        rows = topic_rows.get(view.source)
        if rows is None:
            continue
        view.distinctive_terms = weighted.get(view.source, [])
        others = [r for s, rr in topic_rows.items() if s != view.source for r in rr]
        if not others:
            view.distinctive_passage = table.passage(int(rows[0]), 1.0)
            continue
        echo = (table.matrix[rows] @ table.matrix[np.asarray(others)].T).max(axis=1)
        i = int(np.argmin(echo))
        view.distinctive_passage = table.passage(int(rows[i]), 1.0 - float(echo[i]))


def _agreement(matrix: np.ndarray, names: list[str], topic_rows: dict[str, np.ndarray]) -> np.ndarray:
    """Mean best-match cosine between each pair of sources' topic sentences, averaged both ways."""
    n = len(names)
    out = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            a, b = topic_rows.get(names[i]), topic_rows.get(names[j])
            if a is None or b is None:
                continue
            sims = matrix[a] @ matrix[b].T
            out[i, j] = out[j, i] = 0.5 * (float(sims.max(axis=1).mean()) + float(sims.max(axis=0).mean()))
    return out


def compare(index: Index, embedder: Embedder, topic: str, passages: int = 3, scope: Scope | None = None) -> Comparison:
    """How every source of ``index`` treats ``topic``; see ``Comparer`` to compare many topics."""
    return Comparer(index, embedder).compare(topic, passages=passages, scope=scope)
