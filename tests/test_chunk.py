from __future__ import annotations

import itertools

import pytest

from parallax.core.settings import seeds_dir
from parallax.ingest.chunk import ChunkerConfig, chunk_document, split_sentences
from parallax.ingest.document import Document, sha256_text
from parallax.ingest.load import load_corpus
from parallax.text.markup import to_plain

from .fakes import FakeEmbedder


def make_doc(text: str, fmt: str = "text") -> Document:
    return Document("d.txt", "/d.txt", "d", text, sha256_text(text), fmt)


def test_sentence_split_keeps_abbreviations() -> None:
    text = "Mr. Kishida met Dr. Lee in the U.S. on Monday. They spoke. “Is it over?” Yes."
    spans = split_sentences(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == [
        "Mr. Kishida met Dr. Lee in the U.S. on Monday.",
        "They spoke.",
        "“Is it over?”",
        "Yes.",
    ]


@pytest.mark.parametrize("max_tokens", [16, 64, 128, 254])
def test_seed_chunks_are_exact_slices_within_budget(max_tokens: int) -> None:
    fake = FakeEmbedder()
    config = ChunkerConfig(max_tokens=max_tokens, overlap_sentences=1)
    for doc in load_corpus([seeds_dir()]):
        chunks = chunk_document(doc, config, fake.count_tokens)
        assert chunks
        for c in chunks:
            assert c.text == doc.text[c.start : c.end]
            assert 0 <= c.start < c.end <= len(doc.text)
            assert fake.count_tokens([c.embed_text])[0] <= max_tokens
            assert "<sup>" not in c.embed_text
        starts = [c.start for c in chunks]
        assert starts == sorted(starts)


def test_overlap_repeats_last_sentence() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(12))
    fake = FakeEmbedder()
    chunks = chunk_document(make_doc(text), ChunkerConfig(max_tokens=20, overlap_sentences=1), fake.count_tokens)
    assert len(chunks) > 2
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.end  # one sentence shared
    no_overlap = chunk_document(make_doc(text), ChunkerConfig(max_tokens=20, overlap_sentences=0), fake.count_tokens)
    for a, b in itertools.pairwise(no_overlap):
        assert b.start >= a.end


def test_long_sentence_is_split_not_truncated() -> None:
    text = "word " * 500 + "end."
    fake = FakeEmbedder()
    chunks = chunk_document(
        make_doc(text.strip()), ChunkerConfig(max_tokens=50, overlap_sentences=0), fake.count_tokens
    )
    assert len(chunks) >= 10
    assert all(fake.count_tokens([c.embed_text])[0] <= 50 for c in chunks)
    covered = " ".join(c.embed_text for c in chunks)
    assert covered == to_plain(text)


def test_boilerplate_only_document_has_no_chunks() -> None:
    doc = make_doc("Please follow and like us:\n\nPost new comment\n\n10 + 3 =\n")
    assert chunk_document(doc, ChunkerConfig(), FakeEmbedder().count_tokens) == []


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        ChunkerConfig(max_tokens=2)
    with pytest.raises(ValueError):
        ChunkerConfig(overlap_sentences=-1)
