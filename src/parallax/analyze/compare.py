"""The viewpoint comparer: how each source in an index treats one topic, side by side.

For every source: a coverage verdict (``coverage.py``), its key passages on the topic (hybrid search
restricted to that source, exact offsets), its distinctive terms (c-TF-IDF, ``distinct.py``) and the
passage no other source echoes. Across sources, at sentence granularity: an agreement matrix, the
common ground and the unique angles (``points.py``). The result and its scores: ``comparison.py``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from parallax.analyze.comparison import Comparison, SourceView
from parallax.analyze.coverage import CALIBRATED_FOR, CoverageFeatures, decide, features, sentence_scores
from parallax.analyze.coverage import SENTENCE_LEVEL as ON_TOPIC
from parallax.analyze.distinct import c_tf_idf
from parallax.analyze.passage import Passage
from parallax.analyze.points import find_points
from parallax.analyze.units import SentenceTable
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

__all__ = ["Comparer", "Comparison", "Passage", "compare", "uncalibrated_note"]


def uncalibrated_note(model_id: str) -> list[str]:
    """A caveat when the coverage rule runs on another model than the one it was calibrated for."""
    if model_id == CALIBRATED_FOR:
        return []
    calibrated = CALIBRATED_FOR.rsplit("/", 1)[-1]
    return [f"coverage verdicts are calibrated for {calibrated}; with {model_id} they are uncalibrated"]


class Comparer:
    """Holds an index, an embedder and the sentence table; compares sources on any number of topics."""

    def __init__(self, index: Index, embedder: Embedder, searcher: Searcher | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.searcher = searcher or Searcher(index, embedder)
        self._table: SentenceTable | None = None
        self.load_ms = 0.0

    def load(self) -> None:
        """Load the model, the BM25 arrays and the sentences before any clock starts."""
        t0 = time.perf_counter()
        self.embedder.load()
        self.index.bm25  # noqa: B018 - loads the arrays
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
        return self.table.document(source)

    def _tokens(self, texts: Sequence[str]) -> list[list[str]]:
        bm25 = self.index.bm25
        return tokenize(texts, bm25.config, bm25.stopwords)

    # -----------------------------------------------------------------------------------------
    # Topic scores.

    def _lexical(self, text: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Per sentence: IDF-weighted share of the topic's stems, and the rarest stem's relative IDF."""
        postings = self.table.postings(self._tokens)
        stems = list(dict.fromkeys(self._tokens([text])[0]))
        lexical = np.zeros(n, dtype=np.float64)
        rare = np.zeros(n, dtype=np.float64)
        if not stems:
            return lexical, rare
        idf = {w: math.log(1 + n / (1 + len(postings.get(w, ())))) for w in stems}
        total, top = sum(idf.values()), max(idf.values())
        for w in stems:
            ids = postings.get(w)
            if ids is not None and len(ids):
                lexical[ids] += idf[w] / total
                rare[ids] = np.maximum(rare[ids], idf[w] / top)
        return lexical, rare

    def topic_scores(self, topic: str) -> tuple[np.ndarray, np.ndarray]:
        """(topic score, dense cosine) of every sentence of the index."""
        parsed = parse_query(topic)
        q = self.embedder.embed([parsed.text])[0]
        dense = np.asarray(self.table.matrix @ q, dtype=np.float64)
        lexical, rare = self._lexical(parsed.text, len(self.table))
        return sentence_scores(dense, lexical, rare), dense

    def source_features(self, topic: str) -> dict[str, CoverageFeatures]:
        """The coverage rule's features of every source for ``topic`` (used for calibration)."""
        scores, _ = self.topic_scores(topic)
        return {d.source: features(scores[self.table.source_rows(d.source)]) for d in self.index.manifest.documents}

    # -----------------------------------------------------------------------------------------
    # The comparison.

    def compare(self, topic: str, passages: int = 3) -> Comparison:
        """How every source treats ``topic``, with at most ``passages`` key passages per source."""
        if passages < 1:
            from parallax.core.errors import InputError

            raise InputError(f"--passages must be at least 1 (got {passages})")
        parsed = parse_query(topic)  # refuses an empty topic
        self.load()
        t0 = time.perf_counter()
        terms = query_terms(parsed.text)
        scores, dense = self.topic_scores(topic)
        views: list[SourceView] = []
        topic_rows: dict[str, np.ndarray] = {}
        for doc in self.index.manifest.documents:
            rows = self.table.source_rows(doc.source)
            feats = features(scores[rows])
            verdict = decide(feats)
            view = SourceView(
                doc.source, doc.title, doc.short_id, verdict.label, verdict.score, feats, verdict.probabilities
            )
            views.append(view)
            if verdict.label == "silent" or not len(rows):
                continue
            topic_rows[doc.source] = self._topic_sentences(rows, scores)
            view.passages = self._key_passages(topic, doc.source, passages, scores, dense)
        self._distinctive(views, topic_rows, terms)
        names = [v.source for v in views]
        agreement = self._agreement(names, topic_rows)
        common, unique = find_points(self.table, topic_rows, scores, terms)
        latency = (time.perf_counter() - t0) * 1000
        notes = uncalibrated_note(self.index.manifest.model_id)
        return Comparison(topic, terms, views, names, agreement, common, unique, latency, notes)

    def _topic_sentences(self, rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """A source's sentences on the topic, best first (at least its best one), for the cross-source view."""
        order = rows[np.argsort(-scores[rows], kind="stable")]
        order = np.asarray([r for r in order if len(self.table.plain[int(r)].split()) >= MIN_WORDS] or order[:1])
        chosen = order[scores[order] >= ON_TOPIC][:MAX_TOPIC_SENTENCES]
        return chosen if len(chosen) else order[:1]

    def _key_passages(self, topic: str, source: str, k: int, scores: np.ndarray, dense: np.ndarray) -> list[Passage]:
        """The source's best chunks for the topic: hybrid candidates re-ranked by their best sentence."""
        hits = self.searcher.search(topic, k=max(k, CANDIDATES), sources=[source], mode="hybrid").hits
        ranked = sorted(self._judged(hits, scores, dense), key=lambda r: (-r[0], r[2]))
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

    def _judged(
        self, hits: Sequence[Hit], scores: np.ndarray, dense: np.ndarray
    ) -> list[tuple[float, float, int, Hit, str, int | None]]:
        """Each hit judged by its best sentence: (its score, best cosine, rank, hit, its text, its start)."""
        if not hits:
            return []
        indptr, members = self.index.chunk_members()
        by_sentence = self.table.kind == "sentence"
        judged = []
        for rank, hit in enumerate(hits):
            ids = members[indptr[hit.chunk_id] : indptr[hit.chunk_id + 1]]
            if not by_sentence:
                ids = np.asarray([hit.chunk_id])  # the units are the chunks
            elif not len(ids):
                continue  # no sentence to judge it by
            top = int(ids[int(np.argmax(scores[ids]))])
            key = " ".join(self.table.plain[top].lower().split())
            focus = self.table.spans[top][1] if by_sentence else None
            judged.append((float(scores[top]), float(dense[ids].max()), rank, hit, key, focus))
        return judged

    def _distinctive(self, views: list[SourceView], topic_rows: dict[str, np.ndarray], terms: list[str]) -> None:
        """Each speaking source's distinctive terms, and its topic sentence least echoed elsewhere."""
        table = self.table
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

    def _agreement(self, names: list[str], topic_rows: dict[str, np.ndarray]) -> np.ndarray:
        """Mean best-match cosine between each pair of sources' topic sentences, averaged both ways."""
        matrix = self.table.matrix
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


def compare(index: Index, embedder: Embedder, topic: str, passages: int = 3) -> Comparison:
    """How every source of ``index`` treats ``topic``; see ``Comparer`` to compare many topics."""
    return Comparer(index, embedder).compare(topic, passages=passages)
