"""The BM25 query path: bm25s's own tokenisation and scores, without importing bm25s at query time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bm25s
import numpy as np
import pytest
import Stemmer

from parallax.core.settings import seeds_dir
from parallax.index.bm25 import BM25Config, BM25Index, library_stopwords, tokenize
from parallax.ingest.load import load_corpus

CONFIG = BM25Config()
QUERIES = [
    "Japan liaison office in Tokyo",
    "Will NATO expand into the Indo-Pacific? NATO NATO",  # repeated words count again, as in bm25s
    "Keating's 'supreme fool' remark",
    "2% of GDP by 2027",
    "zzzz unknownword",
    "the of and",  # stopwords only
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    corpus = load_corpus([seeds_dir()])
    return [p for d in corpus for p in d.text.split("\n\n") if p.strip()]


def test_tokenize_matches_bm25s(texts: list[str]) -> None:
    stop = frozenset(library_stopwords("en"))
    ours = tokenize(texts + QUERIES, CONFIG, stop)
    theirs = bm25s.tokenize(
        texts + QUERIES, stopwords="en", stemmer=Stemmer.Stemmer("english"), return_ids=False, show_progress=False
    )
    assert ours == [list(t) for t in theirs]


def test_scores_match_bm25s(texts: list[str], tmp_path: Path) -> None:
    built = BM25Index.build(texts, CONFIG)
    built.save(tmp_path)
    loaded = BM25Index.load(tmp_path)
    reference = bm25s.BM25.load(str(tmp_path / "bm25"), mmap=False, show_progress=False)
    for query in QUERIES:
        tokens = tokenize([query], CONFIG, loaded.stopwords)[0]
        known = [t for t in tokens if t in reference.vocab_dict]
        expected = reference.get_scores(known) if known else np.zeros(len(texts))
        np.testing.assert_allclose(loaded.scores(query), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(built.scores(query), expected, rtol=1e-5, atol=1e-6)


def test_search_top_k_mask_and_ties(texts: list[str]) -> None:
    index = BM25Index.build(texts, CONFIG)
    scores = index.scores("liaison office Tokyo")
    ids, got = index.search("liaison office Tokyo", k=5)
    assert got == sorted(got, reverse=True) and len(ids) == 5
    assert got[0] == pytest.approx(float(scores.max()))
    assert all(s > 0 for s in got)
    allowed = np.zeros(len(texts), dtype=bool)
    allowed[ids[1:3]] = True
    masked, _ = index.search("liaison office Tokyo", k=5, allowed=allowed)
    assert masked == ids[1:3]
    assert index.search("zzzz unknownword", k=5) == ([], [])
    twins = BM25Index.build(["tokyo office", "tokyo office", "paris"], CONFIG)
    assert twins.search("tokyo", k=3)[0] == [0, 1]


def test_load_rejects_inconsistent_arrays(texts: list[str], tmp_path: Path) -> None:
    BM25Index.build(texts, CONFIG).save(tmp_path)
    np.save(tmp_path / "bm25" / "indptr.csc.index.npy", np.arange(3))  # ends at 2, not len(data)
    from parallax.core.errors import CorruptIndexError

    with pytest.raises(CorruptIndexError, match="rebuild with"):
        BM25Index.load(tmp_path)


def test_query_path_does_not_import_bm25s_or_scipy(texts: list[str], tmp_path: Path) -> None:
    BM25Index.build(texts, CONFIG).save(tmp_path)
    code = (
        "import sys; from pathlib import Path; from parallax.index.bm25 import BM25Index; "
        f"i = BM25Index.load(Path({str(tmp_path)!r})); assert i.search('Tokyo office', 3)[0]; "
        "print(sorted(m for m in ('bm25s', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
