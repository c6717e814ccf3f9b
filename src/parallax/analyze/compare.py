"""The viewpoint comparer: how each source in an index treats one topic, side by side.

For every source: a coverage verdict (``coverage.py``), its key passages on the topic (hybrid search
restricted to that source, exact offsets), its distinctive terms (c-TF-IDF, ``distinct.py``) and the
passage no other source echoes. Across sources, at sentence granularity: an agreement matrix, the
common ground (points made by two or more sources, their facts lined up, ``facts.py``) and the unique
angles (points made by one source only).

Scores, each documented where it is set:

- ``SourceView.score``: the coverage rule's expected coverage in [0, 1].
- key passage ``score``: cosine of the topic with the passage's best sentence.
- ``distinctive_passage`` and unique angle ``score``: 1 - the passage's highest cosine with any topic
  sentence of another source (1.0: nothing like it elsewhere).
- common ground passage ``score``: cosine of the sentence with its point's centroid.
- agreement: mean best-match cosine between two sources' topic sentences, averaged both ways; 1.0 on
  the diagonal; 0.0 for any pair with a silent source (there is nothing to compare, and the matrix stays
  a plain matrix of floats).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from parallax.analyze.coverage import SENTENCE_LEVEL as ON_TOPIC
from parallax.analyze.coverage import CoverageFeatures, Verdict, decide, features, sentence_scores
from parallax.analyze.distinct import c_tf_idf
from parallax.analyze.facts import Facts, extract_facts
from parallax.embed.registry import Embedder
from parallax.index.bm25 import tokenize
from parallax.index.core import Index
from parallax.search.searcher import Searcher
from parallax.text.markup import to_plain
from parallax.text.query import parse_query
from parallax.text.terms import query_terms

MAX_TOPIC_SENTENCES = 8  # per source, for the cross-source view
POINT_SIMILARITY = 0.6  # sentences closer than this (cosine) make the same point
MAX_POINTS = 6
MAX_UNIQUE = 8
MIN_WORDS = 6  # shorter sentences (headings, captions) make no point of their own
CANDIDATES = 10  # hybrid hits per source re-ranked for the key passages


@dataclass(frozen=True)
class Passage:
    """An exact span of a source: ``text == document[start:end]``; ``plain`` is its clean text."""

    source: str
    score: float
    start: int
    end: int
    text: str
    plain: str = ""
    focus: int | None = None  # where its best sentence starts, in document offsets: what an excerpt shows

    def to_dict(self, with_source: bool = False, focus: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source} if with_source else {}
        out.update({"score": round(float(self.score), 4), "start": self.start, "end": self.end, "text": self.text})
        if focus and self.focus is not None:
            out["focus"] = self.focus
        return out


@dataclass
class SourceView:
    source: str
    title: str
    short_id: str
    coverage: str
    score: float
    features: CoverageFeatures
    probabilities: dict[str, float]
    passages: list[Passage] = field(default_factory=list)
    distinctive_terms: list[str] = field(default_factory=list)
    distinctive_passage: Passage | None = None

    def to_dict(self, focus: bool = False) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "short_id": self.short_id,
            "coverage": self.coverage,
            "score": round(float(self.score), 4),
            "passages": [p.to_dict(focus=focus) for p in self.passages],
            "distinctive_terms": list(self.distinctive_terms),
            "distinctive_passage": self.distinctive_passage.to_dict() if self.distinctive_passage else None,
        }


@dataclass(frozen=True)
class AlignedPassage:
    passage: Passage
    facts: Facts

    def to_dict(self) -> dict[str, Any]:
        return {**self.passage.to_dict(with_source=True), "facts": self.facts.to_dict()}


@dataclass(frozen=True)
class Point:
    """A point made by two or more sources: one passage per source, with the facts each states."""

    label: str
    sources: list[str]
    passages: list[AlignedPassage]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "sources": list(self.sources), "passages": [p.to_dict() for p in self.passages]}


@dataclass(frozen=True)
class UniqueAngle:
    source: str
    label: str
    passage: Passage

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "label": self.label, "passage": self.passage.to_dict()}


@dataclass
class Comparison:
    topic: str
    topic_terms: list[str]
    sources: list[SourceView]
    agreement_sources: list[str]
    agreement: np.ndarray
    common_ground: list[Point]
    unique_angles: list[UniqueAngle]
    latency_ms: float

    def source(self, name: str) -> SourceView:
        for view in self.sources:
            if name in (view.source, view.short_id):
                return view
        raise KeyError(name)

    def to_dict(self, focus: bool = False) -> dict[str, Any]:
        """The JSON object. ``focus`` adds each key passage's best-sentence offset (for the HTML page)."""
        return {
            "topic": self.topic,
            "latency_ms": {"total": round(self.latency_ms, 3)},
            "topic_terms": list(self.topic_terms),
            "sources": [v.to_dict(focus) for v in self.sources],
            "agreement": {
                "sources": list(self.agreement_sources),
                "matrix": [[round(float(x), 4) for x in row] for row in self.agreement],
            },
            "common_ground": [p.to_dict() for p in self.common_ground],
            "unique_angles": [u.to_dict() for u in self.unique_angles],
        }


@dataclass
class _Units:
    """The index's sentences (or its chunks, for an index without sentence vectors)."""

    spans: list[tuple[str, int, int]]
    matrix: np.ndarray
    plain: list[str]
    postings: dict[str, np.ndarray]
    rows: dict[str, np.ndarray]  # source -> unit rows


class Comparer:
    """Holds an index, an embedder and the sentence data; compares sources on any number of topics."""

    def __init__(self, index: Index, embedder: Embedder, searcher: Searcher | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.searcher = searcher or Searcher(index, embedder)
        self._units: _Units | None = None
        self._texts: dict[str, str] = {}
        self.load_ms = 0.0

    def load(self) -> None:
        """Load the model, the BM25 arrays and the sentences before any clock starts."""
        t0 = time.perf_counter()
        self.embedder.load()
        self.index.bm25  # noqa: B018 - loads the arrays
        self._sentences()
        import scipy.cluster.hierarchy  # noqa: F401 - a cold import costs ~0.6 s: load time, not query time

        self.load_ms += (time.perf_counter() - t0) * 1000

    def text(self, source: str) -> str:
        if source not in self._texts:
            self._texts[source] = self.index.document_text(source)
        return self._texts[source]

    def _tokens(self, texts: Sequence[str]) -> list[list[str]]:
        bm25 = self.index.bm25
        return tokenize(texts, bm25.config, bm25.stopwords)

    def _sentences(self) -> _Units:
        if self._units is None:
            matrix = self.index.sentence_matrix()
            if matrix is not None:
                spans = self.index.sentence_spans()
            else:
                matrix = self.index.chunk_matrix()
                spans = [(c.source, c.start, c.end) for c in self.index.all_chunks()]
            plain = [to_plain(self.text(s)[a:b]) for s, a, b in spans]
            postings: dict[str, list[int]] = {}
            for i, words in enumerate(self._tokens(plain)):
                for w in set(words):
                    postings.setdefault(w, []).append(i)
            rows: dict[str, list[int]] = {d.source: [] for d in self.index.manifest.documents}
            for i, (s, _, _) in enumerate(spans):
                rows.setdefault(s, []).append(i)
            self._units = _Units(
                spans,
                matrix,
                plain,
                {w: np.asarray(ids, dtype=np.int64) for w, ids in postings.items()},
                {s: np.asarray(ids, dtype=np.int64) for s, ids in rows.items()},
            )
        return self._units

    # -----------------------------------------------------------------------------------------
    # Topic scores.

    def _lexical(self, text: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Per sentence: IDF-weighted share of the topic's stems, and the rarest stem's relative IDF."""
        units = self._sentences()
        stems = list(dict.fromkeys(self._tokens([text])[0]))
        lexical = np.zeros(n, dtype=np.float64)
        rare = np.zeros(n, dtype=np.float64)
        if not stems:
            return lexical, rare
        idf = {w: math.log(1 + n / (1 + len(units.postings.get(w, ())))) for w in stems}
        total, top = sum(idf.values()), max(idf.values())
        for w in stems:
            ids = units.postings.get(w)
            if ids is not None and len(ids):
                lexical[ids] += idf[w] / total
                rare[ids] = np.maximum(rare[ids], idf[w] / top)
        return lexical, rare

    def topic_scores(self, topic: str) -> tuple[np.ndarray, np.ndarray]:
        """(topic score, dense cosine) of every sentence of the index."""
        parsed = parse_query(topic)
        units = self._sentences()
        q = self.embedder.embed([parsed.text])[0]
        dense = np.asarray(units.matrix @ q, dtype=np.float64)
        lexical, rare = self._lexical(parsed.text, len(units.spans))
        return sentence_scores(dense, lexical, rare), dense

    def source_features(self, topic: str) -> dict[str, CoverageFeatures]:
        """The coverage rule's features of every source for ``topic`` (used for calibration)."""
        scores, _ = self.topic_scores(topic)
        rows = self._sentences().rows
        return {
            d.source: features(scores[rows.get(d.source, np.zeros(0, np.int64))]) for d in self.index.manifest.documents
        }

    # -----------------------------------------------------------------------------------------
    # The comparison.

    def compare(self, topic: str, passages: int = 3) -> Comparison:
        if passages < 1:
            from parallax.core.errors import InputError

            raise InputError(f"--passages must be at least 1 (got {passages})")
        parsed = parse_query(topic)  # refuses an empty topic
        self.load()
        t0 = time.perf_counter()
        units = self._sentences()
        scores, dense = self.topic_scores(topic)
        views: list[SourceView] = []
        topic_rows: dict[str, np.ndarray] = {}
        for doc in self.index.manifest.documents:
            rows = units.rows.get(doc.source, np.zeros(0, np.int64))
            feats = features(scores[rows])
            verdict: Verdict = decide(feats)
            view = SourceView(
                doc.source, doc.title, doc.short_id, verdict.label, verdict.score, feats, verdict.probabilities
            )
            views.append(view)
            if verdict.label == "silent" or not len(rows):
                continue
            order = rows[np.argsort(-scores[rows], kind="stable")]
            order = np.asarray([r for r in order if len(units.plain[int(r)].split()) >= MIN_WORDS] or order[:1])
            chosen = order[scores[order] >= ON_TOPIC][:MAX_TOPIC_SENTENCES]
            topic_rows[doc.source] = chosen if len(chosen) else order[:1]
            view.passages = self._key_passages(topic, doc.source, passages, scores, dense)
        self._distinctive(views, topic_rows, dense, query_terms(parsed.text))
        names = [v.source for v in views]
        agreement = self._agreement(names, topic_rows)
        common, unique = self._points(topic_rows, scores, query_terms(parsed.text))
        latency = (time.perf_counter() - t0) * 1000
        return Comparison(topic, query_terms(parsed.text), views, names, agreement, common, unique, latency)

    def _key_passages(self, topic: str, source: str, k: int, scores: np.ndarray, dense: np.ndarray) -> list[Passage]:
        """The source's best chunks for the topic: hybrid candidates re-ranked by their best sentence."""
        hits = self.searcher.search(topic, k=max(k, CANDIDATES), sources=[source], mode="hybrid").hits
        if not hits:
            return []
        indptr, members = self.index.chunk_members()
        units = self._sentences()
        by_sentence = self.index.sentence_matrix() is not None
        ranked: list[tuple[float, float, int, Any, str, int | None]] = []
        for rank, hit in enumerate(hits):
            ids = members[indptr[hit.chunk_id] : indptr[hit.chunk_id + 1]]
            if not by_sentence:
                ids = np.asarray([hit.chunk_id])  # the units are the chunks
            elif not len(ids):
                continue  # no sentence to judge it by
            top = int(ids[int(np.argmax(scores[ids]))])
            key = " ".join(units.plain[top].lower().split())
            focus = units.spans[top][1] if by_sentence else None
            ranked.append((float(scores[top]), float(dense[ids].max()), rank, hit, key, focus))
        ranked.sort(key=lambda r: (-r[0], r[2]))
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

    def _passage(self, row: int, score: float) -> Passage:
        units = self._sentences()
        source, start, end = units.spans[row]
        return Passage(source, score, start, end, self.text(source)[start:end], units.plain[row])

    def _distinctive(
        self, views: list[SourceView], topic_rows: dict[str, np.ndarray], dense: np.ndarray, terms: list[str]
    ) -> None:
        units = self._sentences()
        docs = {}
        for view in views:
            rows = topic_rows.get(view.source)
            if rows is None:
                continue
            docs[view.source] = " ".join(dict.fromkeys(units.plain[int(r)] for r in rows))
        weighted = c_tf_idf(docs, top=6, exclude=terms)
        for view in views:
            rows = topic_rows.get(view.source)
            if rows is None:
                continue
            view.distinctive_terms = weighted.get(view.source, [])
            others = [r for s, rr in topic_rows.items() if s != view.source for r in rr]
            if not others:
                view.distinctive_passage = self._passage(int(rows[0]), 1.0)
                continue
            sims = units.matrix[rows] @ units.matrix[np.asarray(others)].T
            echo = sims.max(axis=1)
            i = int(np.argmin(echo))
            view.distinctive_passage = self._passage(int(rows[i]), 1.0 - float(echo[i]))

    def _agreement(self, names: list[str], topic_rows: dict[str, np.ndarray]) -> np.ndarray:
        units = self._sentences()
        n = len(names)
        out = np.eye(n)
        for i in range(n):
            for j in range(i + 1, n):
                a, b = topic_rows.get(names[i]), topic_rows.get(names[j])
                if a is None or b is None:
                    continue
                sims = units.matrix[a] @ units.matrix[b].T
                out[i, j] = out[j, i] = 0.5 * (float(sims.max(axis=1).mean()) + float(sims.max(axis=0).mean()))
        return out

    def _points(
        self, topic_rows: dict[str, np.ndarray], scores: np.ndarray, exclude: Sequence[str] = ()
    ) -> tuple[list[Point], list[UniqueAngle]]:
        """Cluster the topic sentences of all sources; shared clusters are common ground, others unique."""
        units = self._sentences()
        rows = np.asarray([r for rr in topic_rows.values() for r in rr], dtype=np.int64)
        if len(rows) == 0:
            return [], []
        owners = [units.spans[int(r)][0] for r in rows]
        vectors = units.matrix[rows].astype(np.float64)
        if len(rows) == 1:
            labels = np.zeros(1, dtype=int)
        else:
            from scipy.cluster.hierarchy import fcluster, linkage

            # Average-linkage agglomerative clustering on cosine distance, cut where merging would join
            # passages less similar than POINT_SIMILARITY.
            tree = linkage(vectors, method="average", metric="cosine")
            labels = fcluster(tree, t=1 - POINT_SIMILARITY, criterion="distance")
        # Clusters in the order of their first passage, whatever numbers the clustering gave them.
        _, first = np.unique(labels, return_index=True)
        clusters = [np.flatnonzero(labels == c) for c in labels[np.sort(first)]]
        cluster_text = {
            str(c): " ".join(units.plain[int(rows[i])] for i in members) for c, members in enumerate(clusters)
        }
        cluster_terms = c_tf_idf(cluster_text, top=3, exclude=exclude)
        common: list[tuple[tuple[int, float], Point]] = []
        singles: list[tuple[float, UniqueAngle]] = []
        sims_all = vectors @ vectors.T
        for c, members in enumerate(clusters):
            label = _label(cluster_text[str(c)], cluster_terms.get(str(c), []), exclude)
            srcs = list(dict.fromkeys(owners[i] for i in members))
            if len(srcs) >= 2:
                centroid = vectors[members].mean(axis=0)
                centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
                aligned = []
                for src in sorted(srcs, key=list(topic_rows).index):
                    mine = [i for i in members if owners[i] == src]
                    best = max(mine, key=lambda i: float(vectors[i] @ centroid))
                    passage = self._passage(int(rows[best]), float(vectors[best] @ centroid))
                    aligned.append(AlignedPassage(passage, extract_facts(passage.plain)))
                strength = float(np.mean([scores[int(rows[i])] for i in members]))
                common.append(((len(srcs), strength), Point(label, [p.passage.source for p in aligned], aligned)))
            else:
                best = max(members, key=lambda i: float(scores[int(rows[i])]))
                if scores[int(rows[best])] < ON_TOPIC:
                    continue
                others = [j for j in range(len(rows)) if owners[j] != owners[best]]
                echo = float(sims_all[best, others].max()) if others else 0.0
                singles.append(
                    (
                        float(scores[int(rows[best])]),
                        UniqueAngle(srcs[0], label, self._passage(int(rows[best]), 1 - echo)),
                    )
                )
        common.sort(key=lambda kv: (-kv[0][0], -kv[0][1]))
        singles.sort(key=lambda kv: -kv[0])
        unique: list[UniqueAngle] = []
        per_source: dict[str, int] = {}
        for _, angle in singles:
            if per_source.get(angle.source, 0) < 2 and len(unique) < MAX_UNIQUE:
                unique.append(angle)
                per_source[angle.source] = per_source.get(angle.source, 0) + 1
        return [p for _, p in common[:MAX_POINTS]], unique


def _label(text: str, terms: Sequence[str], exclude: Sequence[str]) -> str:
    """A short name for a point: the names it states that the topic does not, else its c-TF-IDF terms."""
    skip = {w.lower() for w in exclude}
    names = [n for n in extract_facts(text).names if not any(w.lower() in skip for w in n.split())]
    parts = names[:2] or list(terms)
    return " · ".join(parts) or " ".join(text.split()[:8])


def compare(index: Index, embedder: Embedder, topic: str, passages: int = 3) -> Comparison:
    """How every source of ``index`` treats ``topic``; see ``Comparer`` to compare many topics."""
    return Comparer(index, embedder).compare(topic, passages=passages)
