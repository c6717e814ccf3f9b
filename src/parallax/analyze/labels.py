"""Topic labels: class-based TF-IDF terms (as in BERTopic), overlaps removed, and a compare query.

Word and two-word counts per cluster are weighted by ``log(1 + A / f_t)``, where ``A`` is the mean
number of words per cluster and ``f_t`` the term's count over all clusters. A label is the top
``LABEL_TERMS`` terms with overlaps removed (``pick_terms``); its query joins their words
(``query_for``), ready for ``parallax compare "<query>"``.
"""

from __future__ import annotations

import numpy as np

from parallax.analyze.distinct import class_weights, count_terms_by_class

LABEL_TERMS = 3
TERMS = 6  # terms kept per topic
RANKED = 30  # best-weighted terms considered per topic
PHRASE_RATIO = 0.8
QUERY_WORDS = 4

TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z-]*[a-zA-Z]\b"
EXTRA_STOP = frozenset(
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


def class_terms(texts: list[str], labels: np.ndarray, classes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """c-TF-IDF weights (classes x terms) of the texts grouped by label, and the vocabulary."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    vocab_min = 2 if len(texts) >= 20 else 1
    stop = ENGLISH_STOP_WORDS | EXTRA_STOP
    terms, tf = count_terms_by_class(texts, labels, classes, stop, token_pattern=TOKEN_PATTERN, min_df=vocab_min)
    if not terms:  # no term survives (empty or stop-word-only corpus)
        return np.zeros((len(classes), 0)), np.array([], dtype=object)
    weights = class_weights(tf, tf.sum(axis=1), tf.sum() / max(len(classes), 1))
    return weights, np.asarray(terms, dtype=object)


def ranked_terms(weights: np.ndarray, vocab: np.ndarray, row: int) -> list[tuple[str, float]]:
    """The best ``RANKED`` terms of one class with a positive weight, best first."""
    order = np.argsort(-weights[row], kind="stable") if len(vocab) else np.array([], dtype=np.int64)
    return [(str(vocab[i]), float(weights[row, i])) for i in order[:RANKED] if weights[row, i] > 0]


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
