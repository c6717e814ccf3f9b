from __future__ import annotations

from pathlib import Path

import pytest

from parallax.core.errors import InputError
from parallax.index.reader import Index
from parallax.search.searcher import Searcher
from parallax.text.query import parse_query

from .fakes import FakeEmbedder


@pytest.fixture
def searcher(fake_index: Path) -> Searcher:
    return Searcher(Index.load(fake_index), FakeEmbedder(dim=64))


def test_finds_the_right_document(searcher: Searcher) -> None:
    result = searcher.search("rocket engine thrust", k=3)
    assert result.hits[0].source == "rockets.md"
    assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert result.latency.total_ms >= result.latency.embed_ms >= 0


def test_source_filter(searcher: Searcher) -> None:
    result = searcher.search("rocket engine thrust", k=5, sources=["tea"])
    assert result.hits and all(h.source == "tea.html" for h in result.hits)


def test_unknown_source(searcher: Searcher) -> None:
    with pytest.raises(InputError, match="known sources: cats, rockets, tea"):
        searcher.search("tea", sources=["coffee"])


def test_k_larger_than_index(searcher: Searcher) -> None:
    assert len(searcher.search("tea", k=1000).hits) == len(searcher.index)


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "\x00\x01"])
def test_empty_query(searcher: Searcher, query: str) -> None:
    with pytest.raises(InputError, match="query is empty"):
        searcher.search(query)


def test_bad_k(searcher: Searcher) -> None:
    with pytest.raises(InputError, match="-k"):
        searcher.search("tea", k=0)


def test_parse_query() -> None:
    assert parse_query("  green\x00 tea\n ").text == "green tea"
    assert parse_query("نحن 🍵 tea").text == "نحن 🍵 tea"
    parsed = parse_query('office "Liaison  Office" in “Tokyo’s” heart')
    assert parsed.text == "office Liaison Office in Tokyo’s heart"
    assert parsed.phrases == ("liaison office", "tokyo's")


def test_multi_vector_scores_match_brute_force(searcher: Searcher) -> None:
    import numpy as np

    index = searcher.index
    query = "black tea oxidised leaves"
    q = FakeEmbedder(dim=64).embed([query])[0]
    hits = searcher.search(query, k=len(index), mode="dense").hits
    assert len(hits) == len(index) > 1  # every chunk is scored, so none is skipped below
    wc, ws = index.manifest.dense["chunk_weight"], index.manifest.dense["sentence_weight"]
    assert ws > 0  # the sentence vectors take part
    indptr, ids = index.chunk_members()
    sentences = index.sentence_matrix()
    assert sentences is not None
    for hit in hits:
        members = ids[indptr[hit.chunk_id] : indptr[hit.chunk_id + 1]]
        expected = wc * float(index.chunk_matrix()[hit.chunk_id] @ q) + ws * float(np.max(sentences[members] @ q))
        assert abs(hit.score - expected) < 1e-5


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_mode_finds_the_right_document(searcher: Searcher, mode: str) -> None:
    result = searcher.search("rocket engine propellant thrust", k=3, mode=mode)
    assert result.hits[0].source == "rockets.md"
    assert result.mode == mode


def test_hybrid_reports_how_each_hit_was_found(searcher: Searcher) -> None:
    result = searcher.search("green tea", k=10, mode="hybrid")
    assert all(set(h.found_by) <= {"dense", "bm25"} and h.found_by for h in result.hits)
    assert any("bm25" in h.found_by for h in result.hits)
    assert all(h.found_by == ("dense",) for h in searcher.search("green tea", k=5, mode="dense").hits)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_quoted_phrase_is_in_every_hit(searcher: Searcher, mode: str) -> None:
    result = searcher.search('tea "fully oxidised"', k=10, mode=mode)
    assert result.hits
    assert all("fully oxidised" in h.clean_text.lower() for h in result.hits)
    assert searcher.search('"no such phrase anywhere"', k=10, mode=mode).hits == []


def test_unknown_mode(searcher: Searcher) -> None:
    with pytest.raises(InputError, match="unknown mode"):
        searcher.search("tea", mode="magic")


def test_search_one_of_two_same_named_files(tmp_path: Path) -> None:
    """Files sharing a name in different subfolders are separate sources that --source can pick."""
    from parallax.index.builder import build_index
    from parallax.index.reader import Index
    from parallax.ingest.load import load_corpus
    from parallax.search.searcher import Searcher

    from .fakes import FakeEmbedder

    for folder, text in (("2023", "Tea harvests fell in 2023 after a drought."), ("2024", "Tea harvests rose.")):
        (tmp_path / "r" / folder).mkdir(parents=True)
        (tmp_path / "r" / folder / "summary.txt").write_text(text, encoding="utf-8")
    embedder = FakeEmbedder(dim=64)
    build_index(load_corpus([tmp_path / "r"]), embedder, tmp_path / "i")
    searcher = Searcher(Index.load(tmp_path / "i"), embedder)
    assert {h.source for h in searcher.search("tea harvests", k=5).hits} == {"2023/summary.txt", "2024/summary.txt"}
    hits = searcher.search("tea harvests", k=5, sources=["2023/summary"]).hits
    assert [h.source for h in hits] == ["2023/summary.txt"]
    assert hits[0].text == "Tea harvests fell in 2023 after a drought."


def _member_spans(index: Index, chunk_id: int) -> list[tuple[int, int]]:
    indptr, ids = index.chunk_members()
    spans = index.sentence_spans()
    return [spans[int(i)][1:] for i in ids[indptr[chunk_id] : indptr[chunk_id + 1]]]


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_highlight_is_the_member_sentence_closest_to_the_query(searcher: Searcher, mode: str) -> None:
    """Closest by cosine among the hit's sentences of six words or more (all of them when none is that long)."""
    import numpy as np

    index = searcher.index
    query = "black tea oxidised leaves"
    q = FakeEmbedder(dim=64).embed([query])[0]
    sentences = index.sentence_matrix()
    assert sentences is not None
    indptr, ids = index.chunk_members()
    for hit in searcher.search(query, k=len(index), mode=mode).hits:
        assert hit.highlight is not None
        start, end = hit.highlight
        members = ids[indptr[hit.chunk_id] : indptr[hit.chunk_id + 1]]
        text = index.document_text(hit.source)
        spans = index.sentence_spans()
        long = [int(i) for i in members if len(text[spans[i][1] : spans[i][2]].split()) >= 6]
        members = np.asarray(long) if long else members
        best = int(members[int(np.argmax(sentences[members] @ q))])
        assert (start, end) == index.sentence_spans()[best][1:]
        assert hit.start <= start < end <= hit.end
        assert index.document_text(hit.source)[start:end] == hit.text[start - hit.start : end - hit.start]


def test_bm25_highlight_is_the_member_sentence_with_most_query_terms(searcher: Searcher) -> None:
    hits = searcher.search("purr content", k=1, mode="bm25").hits
    assert hits[0].source == "cats.txt" and hits[0].highlight in _member_spans(searcher.index, hits[0].chunk_id)
    start, end = hits[0].highlight
    assert searcher.index.document_text("cats.txt")[start:end] == "Domestic cats purr when they are content."


def test_json_carries_the_highlight_only_when_there_is_one(searcher: Searcher, tmp_path: Path) -> None:
    from parallax.index.builder import BuildOptions, build_index
    from parallax.ingest.load import load_corpus

    result = searcher.search("green tea leaves", k=3)
    for hit, r in zip(result.hits, result.to_dict()["results"], strict=True):
        start, end = r["highlight"]
        assert (start, end) in _member_spans(searcher.index, hit.chunk_id)
        assert searcher.index.document_text(r["source"])[start:end] == r["text"][start - r["start"] : end - r["start"]]
    folder = tmp_path / "flat-docs"
    folder.mkdir()
    (folder / "tea.txt").write_text("Green tea is made from leaves. Black tea is oxidised.", encoding="utf-8")
    embedder = FakeEmbedder(dim=64)
    build_index(load_corpus([folder]), embedder, tmp_path / "flat", options=BuildOptions(sentence_vectors=False))
    plain = Searcher(Index.load(tmp_path / "flat"), embedder).search("green tea", k=3)
    assert plain.hits and all(h.highlight is None for h in plain.hits)
    assert all("highlight" not in r for r in plain.to_dict()["results"])


def test_bm25_highlight_falls_back_to_a_short_sentence_holding_the_term(searcher: Searcher) -> None:
    """Only the heading holds "rockets" (the other sentences say "rocket"): it is the highlight."""
    hit = searcher.search("rockets", k=1, mode="bm25").hits[0]
    assert hit.source == "rockets.md" and hit.highlight is not None
    start, end = hit.highlight
    assert searcher.index.document_text("rockets.md")[start:end].lstrip("# ") == "Rockets"
