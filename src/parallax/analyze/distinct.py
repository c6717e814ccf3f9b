"""Distinctive terms by class-based TF-IDF (c-TF-IDF, as in BERTopic).

Each class (a source, or a cluster of passages) is one document: the concatenation of its passages.
A term's weight in class c is ``tf(t, c) / |c| * log(1 + A / f(t))``, where ``|c|`` is the number of
words in c, ``A`` the average number of words per class and ``f(t)`` the frequency of t over all
classes: frequent in this class and rare in the others ranks high.

Terms are counted the way scikit-learn's ``CountVectorizer(ngram_range=(1, 2))`` counts them, with
the token pattern and stop words below (``parallax topics`` passes its own); ``tests/test_compare.py``
checks ``count_terms`` against it with both settings.
Counting here rather than importing scikit-learn keeps ~2.4 s of imports (scikit-learn pulls in
scipy.stats) out of every ``parallax compare``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

import numpy as np

from parallax.text.terms import STOPWORDS

TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w’'-]*[^\W_]|\b\d+%"
_TOKEN = re.compile(TOKEN_PATTERN)


def _counters(texts: Sequence[str], stop_words: frozenset[str], token_pattern: str) -> list[Counter[str]]:
    """Unigram and bigram counts of each text."""
    token = _TOKEN if token_pattern == TOKEN_PATTERN else re.compile(token_pattern)
    counts = []
    for text in texts:
        tokens = [t for t in token.findall(text.lower()) if t not in stop_words]
        counts.append(Counter(tokens + [f"{a} {b}" for a, b in pairwise(tokens)]))
    return counts


def _vocabulary(counts: Sequence[Counter[str]], min_df: int) -> list[str]:
    df = Counter(term for c in counts for term in c)
    return sorted(term for term, n in df.items() if n >= min_df)


def count_terms(
    texts: Sequence[str],
    stop_words: frozenset[str] = STOPWORDS,
    token_pattern: str = TOKEN_PATTERN,
    min_df: int = 1,
) -> tuple[list[str], np.ndarray]:
    """Unigram and bigram counts of each text (texts x terms) and the terms, sorted.

    As ``CountVectorizer(ngram_range=(1, 2), stop_words=..., token_pattern=..., min_df=...)``: the
    text is lower-cased, tokens matching the pattern are kept unless they are stop words, bigrams are
    formed from the tokens that remain, and terms found in fewer than ``min_df`` texts are dropped.
    """
    counts = _counters(texts, stop_words, token_pattern)
    terms = _vocabulary(counts, min_df)
    column = {t: j for j, t in enumerate(terms)}
    tf = np.zeros((len(texts), len(terms)), dtype=float)
    for i, c in enumerate(counts):
        for term, n in c.items():
            if term in column:
                tf[i, column[term]] = n
    return terms, tf


def count_terms_by_class(
    texts: Sequence[str],
    labels: Sequence[int] | np.ndarray,
    classes: Sequence[int],
    stop_words: frozenset[str] = STOPWORDS,
    token_pattern: str = TOKEN_PATTERN,
    min_df: int = 1,
) -> tuple[list[str], np.ndarray]:
    """``count_terms`` summed over the texts of each class (classes x terms; a text whose label is not in
    ``classes`` counts only towards ``min_df``), without the texts x terms matrix: 20,000 sentences
    hold some 50,000 terms, which as a dense matrix would take 8 GB."""
    counts = _counters(texts, stop_words, token_pattern)
    terms = _vocabulary(counts, min_df)
    column = {t: j for j, t in enumerate(terms)}
    row = {int(c): i for i, c in enumerate(classes)}
    tf = np.zeros((len(classes), len(terms)), dtype=float)
    for c, label in zip(counts, labels):
        i = row.get(int(label))
        if i is None:
            continue
        for term, n in c.items():
            j = column.get(term)
            if j is not None:
                tf[i, j] += n
    return terms, tf


def class_weights(tf: np.ndarray, words_per_class: np.ndarray, avg_words: float) -> np.ndarray:
    """c-TF-IDF weights (classes x terms) from term counts per class: the formula above."""
    freq = tf.sum(axis=0)
    idf = np.log1p(avg_words / np.maximum(freq, 1.0))
    return np.asarray(tf / np.maximum(words_per_class, 1.0)[:, None] * idf[None, :], dtype=np.float64)


def _stem_set(terms: Iterable[str]) -> set[str]:
    return {t.lower()[:5] for term in terms for t in term.split()}


def c_tf_idf(docs: Mapping[str, str], top: int = 6, exclude: Sequence[str] = ()) -> dict[str, list[str]]:
    """The ``top`` most distinctive terms (unigrams and bigrams) of each class, best first.

    ``exclude`` holds words every class shares by construction (the topic's own words): a term made
    of them only is skipped, as is a term that shares a word with one already chosen.
    """
    names = [n for n, text in docs.items() if text.strip()]
    out: dict[str, list[str]] = {n: [] for n in docs}
    if not names:
        return out
    terms, tf = count_terms([docs[n] for n in names])
    if not terms:  # nothing but stop words
        return out
    unigram = np.array([" " not in t for t in terms])
    words_per_class = tf[:, unigram].sum(axis=1)
    weights = class_weights(tf, words_per_class, max(float(words_per_class.mean()), 1.0))
    skip = _stem_set(exclude)
    for row, name in enumerate(names):
        chosen: list[str] = []
        used: set[str] = set()
        lengths = np.array([len(t) for t in terms])
        for j in np.lexsort((-lengths, -weights[row])):  # ties: the longer (more specific) term first
            if weights[row, j] <= 0 or len(chosen) >= top:
                break
            term = str(terms[j])
            words = term.split()
            if all(w[:5] in skip for w in words) or len(term) < 3:
                continue
            if tf[row, j] < 2 and len(words) > 1:
                continue  # a bigram seen once is an accident of phrasing
            if any(w in used for w in words):
                continue  # says again what a chosen term says
            chosen.append(term)
            used.update(words)
        out[name] = chosen
    return out
