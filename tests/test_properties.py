"""Property tests (hypothesis) of the chunker and of incremental indexing, on the fake embedder."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parallax.index.builder import build_index, update_index
from parallax.ingest.chunk import ChunkerConfig, chunk_document, sentence_units
from parallax.ingest.document import Document, sha256_text
from parallax.ingest.load import load_corpus

from .fakes import FakeEmbedder

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_WORDS = st.sampled_from(
    ["tea", "NATO", "Japan", "liaison", "office", "e.g.", "Dr.", "3.5", "—", "«quoted»", "naïve", "عربي", "שלום", "🙂"]
)
_LONG_WORD = st.text(alphabet="ab.,:;-/", min_size=30, max_size=90)  # one "word" over any small budget
_SENTENCE = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(st.one_of(_WORDS, _WORDS, _WORDS, _LONG_WORD), min_size=1, max_size=40),
    st.sampled_from([".", "?", "!", "", "…"]),
)
_PARAGRAPH = st.builds(lambda ss: " ".join(ss), st.lists(_SENTENCE, min_size=1, max_size=6))
_HEADING = st.builds(
    lambda level, words: "#" * level + " " + " ".join(words),
    st.integers(1, 4),
    st.lists(_WORDS, min_size=1, max_size=30),
)
_LINE = st.one_of(_PARAGRAPH, _PARAGRAPH, _HEADING, st.just(""), st.just("   "), st.just("Please follow and like us:"))
TEXTS = st.builds(
    lambda lines, sep: sep.join(lines),
    st.lists(_LINE, min_size=0, max_size=12),
    st.sampled_from(["\n", "\n\n", "\r\n"]),
)


def _doc(text: str, fmt: str) -> Document:
    return Document("d.md" if fmt == "markdown" else "d.txt", "/d", "d", text, sha256_text(text), fmt)


@FAST
@given(text=TEXTS, fmt=st.sampled_from(["text", "markdown"]), budget=st.integers(8, 48), overlap=st.integers(0, 2))
def test_chunks_are_exact_ordered_cover_and_within_budget(text: str, fmt: str, budget: int, overlap: int) -> None:
    fake = FakeEmbedder(dim=16)
    doc = _doc(text, fmt)
    config = ChunkerConfig(max_tokens=budget, overlap_sentences=overlap)
    chunks = chunk_document(doc, config, fake.count_tokens)
    units = sentence_units(doc, budget, fake.count_tokens, headings=True)
    for c in chunks:
        assert c.text == text[c.start : c.end]  # each chunk's text is exactly its slice
        assert fake.count_tokens([c.vector_text])[0] <= budget  # heading path included
        assert c.embed_text.strip()
    # In order: starts and ends strictly increase; only overlap sentences are shared.
    assert all(a.start < b.start and a.end < b.end for a, b in itertools.pairwise(chunks))
    # Cover: every sentence piece of the text lies inside some chunk, and no chunk holds anything else.
    for unit, _ in units:
        assert any(c.start <= unit.start and unit.end <= c.end for c in chunks), unit
    assert bool(chunks) == bool(units)
    if chunks:
        assert chunks[0].start == units[0][0].start and chunks[-1].end == units[-1][0].end


_DOC_TEXT = st.lists(_PARAGRAPH, min_size=1, max_size=4).map("\n\n".join)


@SLOW
@given(texts=st.lists(_DOC_TEXT, min_size=1, max_size=4, unique=True), edit=st.integers(0, 3))
def test_reindexing_unchanged_input_embeds_nothing(texts: list[str], edit: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder, dest = Path(tmp) / "docs", Path(tmp) / "idx"
        folder.mkdir()
        for i, text in enumerate(texts):
            (folder / f"doc{i}.md").write_text(text, encoding="utf-8")
        config = ChunkerConfig(max_tokens=24)
        first = build_index(load_corpus([folder]), FakeEmbedder(dim=16), dest, config)
        counting = FakeEmbedder(dim=16)
        again = update_index(load_corpus([folder]), counting, dest)
        assert counting.texts_embedded == 0 and again.chunks_embedded == 0 and not again.written
        assert again.chunks == first.chunks
        # Editing one document re-embeds exactly that document's chunks and sentences.
        target = folder / f"doc{edit % len(texts)}.md"
        target.write_text(target.read_text(encoding="utf-8") + "\n\nA new closing line.", encoding="utf-8")
        counting = FakeEmbedder(dim=16)
        after = update_index(load_corpus([folder]), counting, dest)
        assert after.updated == [target.name]
        assert counting.texts_embedded == after.chunks_embedded + after.sentences_embedded
        (edited,) = [d for d in load_corpus([folder]) if d.source == target.name]
        assert after.chunks_embedded == len(chunk_document(edited, config, counting.count_tokens))
