"""A map of a corpus: its main topics, what each is about, and how much of each source covers it.

How topics are found (``discover_topics``):

1. **Units.** The sentence table (``units.py``): stored sentences, or chunks for an index without
   sentence vectors. Fragments of fewer than ``MIN_WORDS`` words (headings, by-lines, dates) do not
   shape the clusters; they join the nearest topic afterwards.
2. **Clustering.** PCA, then k-means with k by cosine silhouette within a range that grows with the
   corpus, or k as asked, capped at what the units allow (``clusters.py``); ``k_note`` says which.
3. **Miscellany.** A cluster that is tiny (under ``TINY_SHARE`` of the units, or under a fifth of
   the mean cluster when there are many), or whose members lie far from their centroid in the full
   embedding space (coherence below ``MISC_COHERENCE`` × the median), collects discourse fillers,
   by-lines and disclaimers rather than a subject: its units go to ``other`` instead of a topic.
4. **Labels.** Class-based TF-IDF over the topics and the miscellany (``labels.py``).
5. **Coverage.** For each source and topic, the share of the source's text (characters of its units)
   in the topic. A topic *leads* with a source when that source's share is at least
   ``LEAD_SHARE`` and ``LEAD_RATIO`` times any other source's; a source *ignores* a topic when its
   share is below ``IGNORE_SHARE``.

Grouped and filtered (``scope``: ``topics --by FIELD --where FIELD=VALUE``, ``index/fields.py``):

- ``--where`` restricts the map to the documents kept: only their units are clustered, labelled and
  counted, so the topics are those of that subset (the map of one publisher's articles), not the whole
  corpus's topics shown for a few documents.
- ``--by`` changes only what the figures are per: the clusters and labels are those of the documents
  mapped, and each group's coverage of a topic is the share of its documents' text (pooled) in the
  topic (``census.py``); the lead and ``ignored_by`` rules apply to groups as they do to sources.

At scale: an index of more than ``FIT_MAX`` live units is clustered on a fixed random sample of
``FIT_MAX`` of them (PCA and k-means on 20,000 units take a few seconds and estimate a topic's share of
the corpus to within about 1 %, where k-means on 800,000 would take minutes and gigabytes); every unit
is then assigned to its nearest centroid in batches and counted (``census.py``). Only the sample's
texts are read: the labels are c-TF-IDF over the sample, the examples are sampled units. Below the
bound nothing changes.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from parallax.analyze.census import Census, Rows
from parallax.analyze.clusters import K_ASKED_MAX, MIN_PER_TOPIC, cluster, coherence, max_k, unit_rows
from parallax.analyze.grouping import Chosen, Scope, group_title
from parallax.analyze.labels import LABEL_TERMS, TERMS, class_terms, pick_terms, query_for, ranked_terms
from parallax.analyze.passage import Passage
from parallax.analyze.topic_map import GroupInfo, SourceInfo, Topic, TopicMap
from parallax.analyze.units import SentenceTable, live_units, unit_ids_for, unit_kind
from parallax.core.errors import InputError

if TYPE_CHECKING:
    from parallax.index.reader import Index

MIN_WORDS = 6
MISC_COHERENCE = 0.75
TINY_SHARE = 0.02
LEAD_SHARE = 0.08
LEAD_RATIO = 2.0
IGNORE_SHARE = 0.02
EXAMPLES = 3
FIT_MAX = 20_000

_WORDS = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class _Units:
    """The sentence table with what the map measures of each unit."""

    table: SentenceTable
    words: np.ndarray  # words per unit
    chars: np.ndarray  # characters of clean text per unit
    sources: np.ndarray  # the source of each unit
    full: np.ndarray  # unit vectors, full embedding space, float64

    @classmethod
    def of(cls, table: SentenceTable) -> _Units:
        chars = np.array([len(t) for t in table.plain], dtype=np.float64)
        sources = np.array(table.sources, dtype=object)
        words = np.array([len(_WORDS.findall(t)) for t in table.plain])
        return cls(table, words, chars, sources, unit_rows(table.matrix))

    def fit_mask(self) -> np.ndarray:
        """The units that shape the clusters: those of ``MIN_WORDS`` words or more (all, if under two)."""
        fit = self.words >= MIN_WORDS
        return fit if fit.sum() >= 2 else np.ones(len(fit), dtype=bool)

    def examples(self, members: np.ndarray) -> list[Passage]:
        """The members closest to their centroid (full space), fragments left out, best first."""
        centroid = self.full[members].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        sims = self.full[members] @ centroid
        ranked = sorted(enumerate(members), key=lambda p: (-sims[p[0]], p[1]))
        return [self.table.passage(int(i), float(sims[j])) for j, i in ranked if self.words[i] >= MIN_WORDS][:EXAMPLES]


def _kept_clusters(units: _Units, labels: np.ndarray, k: int) -> tuple[list[int], dict[int, float]]:
    """The clusters that are topics (big and coherent enough), and every cluster's coherence."""
    coherent = coherence(units.full, labels, k)
    median = float(np.median(list(coherent.values()))) if coherent else 0.0
    tiny = min(TINY_SHARE, 1 / (5 * k))  # with many clusters, a fifth of the mean cluster
    min_size = max(3, int(np.ceil(tiny * len(labels)))) if k > 1 else 1
    kept = [
        c
        for c in sorted(coherent)
        if (labels == c).sum() >= min_size and (k == 1 or coherent[c] >= MISC_COHERENCE * median)
    ]
    if not kept:  # never leave a corpus without a topic
        kept = [max(coherent, key=lambda c: (labels == c).sum())]
    return kept, coherent


def _mark_leads(topics: list[Topic], n_sources: int) -> None:
    """Set each topic's lead source (or group), if one, and the sources that ignore it."""
    for t in topics:
        ranked_sources = sorted(t.coverage.items(), key=lambda kv: -kv[1])
        if len(ranked_sources) > 1:
            (best, top), (_, second) = ranked_sources[0], ranked_sources[1]
            if top >= LEAD_SHARE and top >= LEAD_RATIO * second:
                t.lead = best
        t.ignored_by = [s for s, v in t.coverage.items() if v < IGNORE_SHARE] if n_sources > 1 else []


def _topics(
    units: _Units,
    sample: np.ndarray,
    census: Census,
    kept: list[int],
    coherent: dict[int, float],
    rows: Rows | None,
) -> list[Topic]:
    """The kept clusters as topics, numbered from 1 in ``kept`` order, labelled with c-TF-IDF over them
    and the miscellany (label -1, so that its fillers do not label a topic); ``units`` are the units
    whose texts are read (all, or the sample), ``census`` counts every unit; coverage is per source, or
    per group of ``rows``."""
    classes = [*sorted(kept), -1]
    weights, vocab = class_terms(units.table.plain, sample, classes)
    labels = census.labels
    total_chars = float(census.chars.sum()) or 1.0
    topics = []
    for topic_id, c in enumerate(kept, start=1):
        terms = pick_terms(ranked_terms(weights, vocab, classes.index(c)), TERMS)
        label_terms = terms[:LABEL_TERMS]
        members = np.where(labels == c)[0]
        chars = float(census.chars[members].sum())
        topics.append(
            Topic(
                id=topic_id,
                label=" · ".join(label_terms) or f"topic {topic_id}",
                terms=terms,
                query=query_for(label_terms) or f"topic {topic_id}",
                size=len(members),
                chars=int(chars),
                share=chars / total_chars,
                coherence=coherent[c],
                coverage=census.shares(labels == c, rows),
                examples=units.examples(np.where(sample == c)[0]),
            )
        )
    _mark_leads(topics, len(census.documents) if rows is None else len(rows.names))
    return topics


def k_note(asked: int | None, k: int, n_fit: int, unit: str) -> str:
    """How k was chosen, and why when ``-n`` was capped ('k = 40: -n 500 capped at 8 sentences of 6+
    words per topic (320 such)')."""
    if asked is None:
        return f"k = {k} by silhouette"
    if k >= asked:
        return f"k = {k} as asked"
    if max_k(n_fit) == K_ASKED_MAX:
        return f"k = {k}: -n {asked} capped at {K_ASKED_MAX}, the most a map is made of"
    fit = f"{unit}s of {MIN_WORDS}+ words" if unit == "sentence" else f"{unit}s"
    return f"k = {k}: -n {asked} capped at {MIN_PER_TOPIC} {fit} per topic ({n_fit} such)"


def _table(index: Index, fit_max: int, ids: np.ndarray | None = None) -> tuple[SentenceTable, bool]:
    """Every live unit of a small index (True), or a fixed random sample of ``fit_max`` of them (False);
    only the units ``ids`` when given (``--where``)."""
    if ids is not None:
        if len(ids) <= fit_max:
            return SentenceTable.from_rows(index, ids), True
        sample = np.random.default_rng(0).choice(ids, fit_max, replace=False)
        return SentenceTable.from_rows(index, np.sort(sample)), False
    total = live_units(index)
    if total <= fit_max:
        return SentenceTable.from_index(index), True
    sentences = unit_kind(index) == "sentence"
    live = index.live_sentences() if sentences else index.live_chunks()
    ids = np.arange(total, dtype=np.int64) if live is None else np.flatnonzero(live)
    sample = np.random.default_rng(0).choice(ids, fit_max, replace=False)
    return SentenceTable.from_rows(index, np.sort(sample)), False


def _chosen_units(index: Index, scope: Scope | None) -> tuple[Chosen, np.ndarray | None]:
    """The documents mapped and their groups, and the ids of their units when ``--where`` left some out
    (None: every live unit)."""
    chosen = (scope or Scope()).resolve(index.manifest.documents)
    if len(chosen.records) == len(index.manifest.documents):
        return chosen, None
    return chosen, unit_ids_for(index, chosen.sources)


def _groups(chosen: Chosen, census: Census) -> tuple[Rows | None, list[GroupInfo] | None]:
    """The groups of a map made ``--by`` a field, with their sizes (None, None: one row per document)."""
    if chosen.groups is None:
        return None, None
    rows = Rows.of_groups(census.documents, chosen.groups)
    units, chars = census.row_totals(rows)
    infos = [
        GroupInfo(g.name, g.key, group_title(chosen.by, g), len(g.members), int(units[i]), int(chars[i]))
        for i, g in enumerate(chosen.groups)
    ]
    return rows, infos


def discover_topics(
    index: Index, n_topics: int | None = None, fit_max: int = FIT_MAX, scope: Scope | None = None
) -> TopicMap:
    """Cluster the index's sentence (or chunk) vectors into labelled topics with per-source coverage
    (fitted on a sample of ``fit_max`` units when the index holds more). ``scope``: the documents mapped
    (``--where``) and the field their coverage is grouped on (``--by``); default every document alone."""
    t0 = time.perf_counter()
    if n_topics is not None and n_topics < 1:
        raise InputError("the number of topics must be at least 1")
    chosen, ids = _chosen_units(index, scope)
    table, whole = _table(index, fit_max, ids)
    if len(table) == 0:
        kept_note = " in the documents --where keeps" if ids is not None else ""
        raise InputError(f"{index.path} holds no text{kept_note} to find topics in")
    names = chosen.sources
    units = _Units.of(table)
    fit = units.fit_mask()
    clustering = cluster(table.matrix, fit, n_topics)
    kept, coherent = _kept_clusters(units, clustering.labels, clustering.k)
    if whole:
        census = Census.of_table(names, units.sources, units.chars, clustering.labels)
    else:
        census = Census.of_index(index, names, clustering, ids)
    sample = np.where(np.isin(clustering.labels, kept), clustering.labels, -1)
    labels = np.where(np.isin(census.labels, kept), census.labels, -1)
    census = replace(census, labels=labels)
    kept.sort(key=lambda c: (-census.chars[labels == c].sum(), c))  # topics by size, largest first
    rows, groups = _groups(chosen, census)
    topics = _topics(units, sample, census, kept, coherent, rows)
    new_id = {c: t.id for c, t in zip(kept, topics)}
    keys = chosen.sources if groups is None else [g.name for g in groups]
    other = census.shares(labels == -1, rows)
    return TopicMap(
        topics=topics,
        sources=_sources(chosen, census),
        matrix=[[t.coverage[key] for t in topics] for key in keys],
        other=[other[key] for key in keys],
        assignments=[new_id.get(int(c), -1) for c in labels.tolist()],
        unit=table.kind,
        k=clustering.k,
        k_auto=n_topics is None,
        k_requested=n_topics,
        k_note=k_note(n_topics, clustering.k, int(fit.sum()), table.kind),
        silhouette=clustering.silhouette,
        index=str(index.path),
        model=index.manifest.model_id,
        latency_ms=(time.perf_counter() - t0) * 1000,
        by=chosen.by,
        groups=groups,
        where=[str(w) for w in chosen.where],
    )


def _sources(chosen: Chosen, census: Census) -> list[SourceInfo]:
    """The documents mapped, with their units and characters."""
    counted, chars = census.source_units(), census.source_chars()
    return [SourceInfo(d.source, d.title, d.short_id, counted[d.source], int(chars[d.source])) for d in chosen.records]
