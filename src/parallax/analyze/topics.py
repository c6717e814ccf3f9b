"""A map of a corpus: its main topics, what each is about, and how much of each source covers it.

How topics are found (``discover_topics``):

1. **Units.** The stored sentence vectors when the index has them (a handful of articles give only
   dozens of chunks but hundreds of sentences), else the chunk vectors. Fragments of fewer than
   ``MIN_WORDS`` words (headings, by-lines, dates) do not shape the clusters; they join the nearest
   topic afterwards.
2. **Clustering.** The unit vectors are reduced to ``PCA_DIMS`` dimensions with PCA and
   re-normalised (sentence embeddings are noisy in 384 dimensions; the main directions carry the
   topics), then clustered with k-means (fixed seed and ``n_init``, so the map is deterministic).
   Without ``n_topics``, k is the one with the best cosine silhouette over ``2..K_MAX``.
3. **Miscellany.** A cluster that is tiny, or whose members lie far from their centroid in the full
   embedding space (coherence below ``MISC_COHERENCE`` × the median), collects discourse fillers,
   by-lines and disclaimers rather than a subject: its units go to ``other`` instead of a topic.
4. **Labels.** Class-based TF-IDF (as in BERTopic): word and two-word counts per cluster, weighted by
   ``log(1 + A / f_t)`` where ``A`` is the mean number of words per cluster and ``f_t`` the term's
   count over all clusters. The label is the top three terms with overlaps removed; ``query`` joins
   the top terms' words, ready for ``parallax compare "<query>"``.
5. **Coverage.** For each source and topic, the share of the source's text (characters of its units)
   in the topic. A topic *leads* with a source when that source's share is at least
   ``LEAD_SHARE`` and ``LEAD_RATIO`` times any other source's; a source *ignores* a topic when its
   share is below ``IGNORE_SHARE``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from parallax.analyze.distinct import class_weights, count_terms
from parallax.core.errors import InputError
from parallax.text.markup import to_plain

if TYPE_CHECKING:
    from parallax.index.core import Index

MIN_WORDS = 6
PCA_DIMS = 20
K_MIN = 2
K_MAX = 12
MIN_PER_TOPIC = 8  # units per topic when choosing the largest k to try
N_INIT = 10
MISC_COHERENCE = 0.75
TINY_SHARE = 0.02
LEAD_SHARE = 0.08
LEAD_RATIO = 2.0
IGNORE_SHARE = 0.02
LABEL_TERMS = 3
PHRASE_RATIO = 0.8
QUERY_WORDS = 4
EXAMPLES = 3

_WORDS = re.compile(r"[A-Za-z]{2,}")
_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z-]*[a-zA-Z]\b"
_EXTRA_STOP = frozenset(
    {
        "said",
        "says",
        "say",
        "like",
        "according",
        "just",
        "did",
        "does",
        "don",
        "doesn",
        "isn",
        "aren",
        "wasn",
        "won",
        "ll",
        "ve",
        "re",
        "et",
        "al",
        "per",
        "mr",
        "ms",
        "mrs",
        "dr",
        "prof",
        "yes",
        "way",
        "ways",
        "thing",
        "things",
        "lot",
        "really",
        "case",
        "cases",
        "non",
        "country",
        "countries",
    }
)


@dataclass(frozen=True)
class Passage:
    """One unit of a topic: an exact ``[start, end)`` span of a source, with its clean text."""

    source: str
    start: int
    end: int
    text: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "score": round(self.score, 4),
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


@dataclass
class Topic:
    id: int
    label: str
    terms: list[str]
    query: str
    size: int  # units (sentences or chunks)
    chars: int
    share: float  # of all the corpus's text
    coherence: float  # mean cosine of the members to their centroid, full embedding space
    coverage: dict[str, float]  # source -> share of that source's text in this topic
    lead: str | None = None  # the source that covers this topic and the others much less
    ignored_by: list[str] = field(default_factory=list)
    examples: list[Passage] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "terms": self.terms,
            "query": self.query,
            "size": self.size,
            "chars": self.chars,
            "share": round(self.share, 4),
            "coherence": round(self.coherence, 4),
            "coverage": {s: round(v, 4) for s, v in self.coverage.items()},
            "lead": self.lead,
            "ignored_by": self.ignored_by,
            "examples": [p.to_dict() for p in self.examples],
        }


@dataclass(frozen=True)
class SourceInfo:
    source: str
    title: str
    short_id: str
    units: int
    chars: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "short_id": self.short_id,
            "units": self.units,
            "chars": self.chars,
        }


@dataclass
class TopicMap:
    topics: list[Topic]
    sources: list[SourceInfo]
    matrix: list[list[float]]  # sources x topics: share of each source's text in each topic
    other: list[float]  # per source: share of its text in no topic (fillers, by-lines, fragments)
    assignments: list[int]  # per unit, in index order: topic id, or -1 for other
    unit: str  # "sentence" or "chunk"
    k: int  # clusters made, before the miscellany was set aside
    k_auto: bool
    silhouette: dict[int, float]  # k -> cosine silhouette, for the k tried
    index: str = ""
    model: str = ""
    latency_ms: float = 0.0

    def topic(self, topic_id: int) -> Topic:
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise KeyError(topic_id)

    def leads(self) -> dict[str, list[Topic]]:
        """Per source, the topics it covers that the others cover much less or not at all."""
        out: dict[str, list[Topic]] = {s.source: [] for s in self.sources}
        for t in self.topics:
            if t.lead is not None:
                out[t.lead].append(t)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "model": self.model,
            "unit": self.unit,
            "units": len(self.assignments),
            "k": self.k,
            "k_auto": self.k_auto,
            "silhouette": {str(k): round(v, 4) for k, v in self.silhouette.items()},
            "latency_ms": {"total": round(self.latency_ms, 3)},
            "topics": [t.to_dict() for t in self.topics],
            "sources": [s.to_dict() for s in self.sources],
            "coverage": {
                "sources": [s.source for s in self.sources],
                "topics": [t.id for t in self.topics],
                "matrix": [[round(v, 4) for v in row] for row in self.matrix],
                "other": [round(v, 4) for v in self.other],
            },
        }


# ---------------------------------------------------------------------------------------------
# Units.


@dataclass(frozen=True)
class _Units:
    vectors: np.ndarray
    sources: list[str]
    starts: list[int]
    ends: list[int]
    texts: list[str]
    kind: str


def _units(index: Index) -> _Units:
    sent = index.sentence_matrix()
    if sent is not None and len(sent):
        spans = index.sentence_spans()
        texts_by_source: dict[str, str] = {}
        texts = []
        for source, start, end in spans:
            if source not in texts_by_source:
                texts_by_source[source] = index.document_text(source)
            texts.append(to_plain(texts_by_source[source][start:end]))
        return _Units(
            np.asarray(sent, dtype=np.float32),
            [s for s, _, _ in spans],
            [a for _, a, _ in spans],
            [b for _, _, b in spans],
            texts,
            "sentence",
        )
    chunks = index.all_chunks()
    return _Units(
        np.asarray(index.chunk_matrix(), dtype=np.float32),
        [c.source for c in chunks],
        [c.start for c in chunks],
        [c.end for c in chunks],
        [c.embed_text for c in chunks],
        "chunk",
    )


# ---------------------------------------------------------------------------------------------
# Clustering.


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.asarray(x / np.where(norms > 0, norms, 1.0), dtype=np.float64)


def _reduce(vectors: np.ndarray, fit: np.ndarray) -> np.ndarray:
    from sklearn.decomposition import PCA

    n_fit = int(fit.sum())
    dims = min(PCA_DIMS, n_fit - 1, vectors.shape[1])
    if dims < 2:
        return _unit_rows(vectors)
    pca = PCA(n_components=dims, random_state=0).fit(vectors[fit])
    return _unit_rows(pca.transform(vectors))


def _kmeans(x: np.ndarray, k: int) -> Any:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=N_INIT, random_state=0).fit(x)


def _choose_k(x: np.ndarray) -> tuple[int, dict[int, float]]:
    from sklearn.metrics import silhouette_score

    n = len(x)
    k_max = min(K_MAX, n // MIN_PER_TOPIC, n - 1)
    scores: dict[int, float] = {}
    for k in range(K_MIN, k_max + 1):
        labels = _kmeans(x, k).labels_
        if len(set(labels.tolist())) < 2:
            continue
        scores[k] = float(silhouette_score(x, labels, metric="cosine"))
    if not scores:
        return (1 if n < 2 * MIN_PER_TOPIC else K_MIN), scores
    best = max(scores, key=lambda k: (round(scores[k], 6), -k))
    return best, scores


# ---------------------------------------------------------------------------------------------
# Labels: class-based TF-IDF.


def _ctfidf(texts: list[str], labels: np.ndarray, classes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """c-TF-IDF weights (classes x terms) and the vocabulary."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    vocab_min = 2 if len(texts) >= 20 else 1
    terms, counts = count_terms(texts, ENGLISH_STOP_WORDS | _EXTRA_STOP, token_pattern=_TOKEN, min_df=vocab_min)
    if not terms:  # no term survives (empty or stop-word-only corpus)
        return np.zeros((len(classes), 0)), np.array([], dtype=object)
    tf = np.vstack([counts[labels == c].sum(axis=0) for c in classes])
    weights = class_weights(tf, tf.sum(axis=1), tf.sum() / max(len(classes), 1))
    return weights, np.asarray(terms, dtype=object)


def _same_word(a: str, b: str) -> bool:
    """Inflections of one word: 'japan'/'japanese', 'partnership'/'partnerships', 'asia'/'asian'."""
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    common = 0
    for x, y in zip(shorter, longer):
        if x != y:
            break
        common += 1
    return common >= 4 and common >= 0.6 * len(shorter)


def _has_word(words: list[str], word: str) -> bool:
    return any(_same_word(w, word) for w in words)


def _words(term: str) -> list[str]:
    return term.replace("-", " ").split()


def pick_terms(ranked: list[tuple[str, float]], n: int) -> list[str]:
    """The first ``n`` terms of ``ranked`` (``(term, weight)``, best first) without repeating a word.

    A phrase replaces the words it contains when it weighs at least ``PHRASE_RATIO`` of them
    ('liaison office' for 'liaison'). A phrase sharing a word with a chosen term in the same
    position ('north korea' after 'south korea') is kept whole; one that continues it ('office
    tokyo' after 'liaison office') adds only its new word ('tokyo').
    """
    chosen: list[str] = []
    weight: dict[str, float] = {}
    for term, w in ranked:
        words = _words(term)
        chosen_words = [x for c in chosen for x in _words(c)]
        inside = [c for c in chosen if all(_has_word(words, x) for x in _words(c))]
        if inside and w >= PHRASE_RATIO * max(weight[c] for c in inside):
            at = chosen.index(inside[0])
            chosen = [c for c in chosen if c not in inside]
            chosen.insert(min(at, len(chosen)), term)
            weight[term] = w
            continue
        new = [x for x in words if not _has_word(chosen_words, x)]
        if not new:
            continue
        if len(chosen) >= n:
            break
        parallel = any(
            len(_words(c)) == len(words) and any(_same_word(x, y) and x not in new for x, y in zip(words, _words(c)))
            for c in chosen
        )
        for piece in [term] if len(new) == len(words) or parallel else new:
            chosen.append(piece)
            weight[piece] = w
    return chosen[:n]


def query_for(terms: list[str], n_words: int = QUERY_WORDS) -> str:
    """A search query from the best terms: their words, at most about ``n_words``, a phrase never cut
    and a phrase that repeats a word already in the query ('north korea' after 'south korea') left out."""
    words: list[str] = []
    for term in terms:
        new = term.split()
        if any(w in words for w in new):
            continue
        if words and len(words) + len(new) > n_words:
            break
        words.extend(new)
    return " ".join(words)


# ---------------------------------------------------------------------------------------------


def discover_topics(index: Index, n_topics: int | None = None) -> TopicMap:
    """Cluster the index's sentence (or chunk) vectors into labelled topics with per-source coverage."""
    t0 = time.perf_counter()
    if n_topics is not None and n_topics < 1:
        raise InputError("the number of topics must be at least 1")
    units = _units(index)
    n = len(units.texts)
    if n == 0:
        raise InputError(f"{index.path} holds no text to find topics in")
    words = np.array([len(_WORDS.findall(t)) for t in units.texts])
    fit = words >= MIN_WORDS
    if fit.sum() < 2:
        fit = np.ones(n, dtype=bool)
    from threadpoolctl import threadpool_limits

    # The data are small: one thread is fastest, and spare threads spin badly on a busy machine.
    with threadpool_limits(limits=1):
        x = _reduce(units.vectors, fit)
        x_fit = x[fit]
        scores: dict[int, float] = {}
        if n_topics is not None:
            k = min(n_topics, int(fit.sum()))
        else:
            k, scores = _choose_k(x_fit)
        if k <= 1:
            labels = np.zeros(n, dtype=np.int64)
            k = 1
        else:
            model = _kmeans(x_fit, k)
            labels = np.asarray(model.predict(x), dtype=np.int64)  # fragments join their nearest cluster

    # Coherence in the full embedding space; tiny or incoherent clusters become "other".
    full = _unit_rows(units.vectors)
    coherence: dict[int, float] = {}
    for c in range(k):
        members = full[labels == c]
        if len(members):
            centroid = members.mean(axis=0)
            norm = float(np.linalg.norm(centroid))
            coherence[c] = float((members @ (centroid / norm)).mean()) if norm > 0 else 0.0
    median = float(np.median(list(coherence.values()))) if coherence else 0.0
    min_size = max(3, int(np.ceil(TINY_SHARE * n))) if k > 1 else 1
    kept = [
        c
        for c in sorted(coherence)
        if (labels == c).sum() >= min_size and (k == 1 or coherence[c] >= MISC_COHERENCE * median)
    ]
    if not kept:  # never leave a corpus without a topic
        kept = [max(coherence, key=lambda c: (labels == c).sum())]
    other_class = k
    labels = np.where(np.isin(labels, kept), labels, other_class)

    # Label with c-TF-IDF over the topics and the miscellany (so its fillers do not label a topic).
    classes = [*kept, other_class]
    weights, vocab = _ctfidf(units.texts, labels, classes)
    chars = np.array([len(t) for t in units.texts], dtype=np.float64)
    docs = index.manifest.documents
    source_chars = {d.source: float(chars[[s == d.source for s in units.sources]].sum()) for d in docs}
    source_arr = np.array(units.sources, dtype=object)

    # Order topics by size (largest first) and number them from 1.
    kept.sort(key=lambda c: (-chars[labels == c].sum(), c))
    topics: list[Topic] = []
    new_id = {c: i + 1 for i, c in enumerate(kept)}
    total_chars = float(chars.sum()) or 1.0
    for c in kept:
        row = classes.index(c)
        order = np.argsort(-weights[row], kind="stable") if len(vocab) else np.array([], dtype=np.int64)
        ranked = [(str(vocab[i]), float(weights[row, i])) for i in order[:30] if weights[row, i] > 0]
        terms = pick_terms(ranked, 6)
        label_terms = terms[:LABEL_TERMS]
        members = np.where(labels == c)[0]
        centroid = full[members].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        sims = full[members] @ centroid
        examples = [
            Passage(units.sources[i], units.starts[i], units.ends[i], units.texts[i], float(sims[j]))
            for j, i in sorted(enumerate(members), key=lambda p: (-sims[p[0]], p[1]))
            if words[i] >= MIN_WORDS
        ][:EXAMPLES]
        in_topic = labels == c
        coverage = {
            d.source: float(chars[in_topic & (source_arr == d.source)].sum()) / (source_chars[d.source] or 1.0)
            for d in docs
        }
        topics.append(
            Topic(
                id=new_id[c],
                label=" · ".join(label_terms) or f"topic {new_id[c]}",
                terms=terms,
                query=query_for(label_terms) or f"topic {new_id[c]}",
                size=len(members),
                chars=int(chars[members].sum()),
                share=float(chars[members].sum()) / total_chars,
                coherence=coherence[c],
                coverage=coverage,
                examples=examples,
            )
        )
    for t in topics:
        ranked_sources = sorted(t.coverage.items(), key=lambda kv: -kv[1])
        if len(ranked_sources) > 1:
            (best, top), (_, second) = ranked_sources[0], ranked_sources[1]
            if top >= LEAD_SHARE and top >= LEAD_RATIO * second:
                t.lead = best
        t.ignored_by = [s for s, v in t.coverage.items() if v < IGNORE_SHARE] if len(docs) > 1 else []

    in_other = labels == other_class
    assignments = [new_id.get(int(c), -1) for c in labels]
    return TopicMap(
        topics=topics,
        sources=[
            SourceInfo(d.source, d.title, d.short_id, int((source_arr == d.source).sum()), int(source_chars[d.source]))
            for d in docs
        ],
        matrix=[[t.coverage[d.source] for t in topics] for d in docs],
        other=[float(chars[in_other & (source_arr == d.source)].sum()) / (source_chars[d.source] or 1.0) for d in docs],
        assignments=assignments,
        unit=units.kind,
        k=k,
        k_auto=n_topics is None,
        silhouette=scores,
        index=str(index.path),
        model=index.manifest.model_id,
        latency_ms=(time.perf_counter() - t0) * 1000,
    )
