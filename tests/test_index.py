from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from parallax.core.errors import CorruptIndexError, IndexMismatchError, IndexNotFoundError, InputError
from parallax.index.builder import BuildOptions, build_index
from parallax.index.manifest import FORMAT_VERSION, MANIFEST_FILE, STORE_FILE
from parallax.index.reader import Index
from parallax.index.segment import MEMBERS, OWNERS
from parallax.index.segment import SENTENCES as SENTENCES_FILE
from parallax.index.segment import VECTORS as FAISS_FILE
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus

from .conftest import snapshot
from .fakes import FakeEmbedder


def test_index_folder_layout_and_manifest(fake_index: Path) -> None:
    assert sorted(p.name for p in fake_index.iterdir()) == sorted(
        [FAISS_FILE, SENTENCES_FILE, STORE_FILE, MANIFEST_FILE, "bm25", *MEMBERS, *OWNERS]
    )
    manifest = json.loads((fake_index / MANIFEST_FILE).read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model_id"] == "parallax/fake-hash-64"
    assert manifest["dim"] == 64
    assert manifest["normalized"] is True
    assert manifest["chunker"] == {
        "method": "sentences",
        "max_tokens": 32,
        "overlap_sentences": 1,
        "heading_context": True,
    }
    assert {d["source"] for d in manifest["documents"]} == {"cats.txt", "rockets.md", "tea.html"}
    assert all(len(d["sha256"]) == 64 for d in manifest["documents"])
    assert manifest["parallax_version"]
    assert manifest["extras"]["bm25"]["library"] == "bm25s"
    # Open formats only: nothing pickled anywhere (a pickle starts with the PROTO opcode 0x80).
    for path in fake_index.rglob("*"):
        if path.is_file():
            assert not path.read_bytes().startswith(b"\x80"), path
            assert path.suffix in (".json", ".faiss", ".sqlite", ".npy"), path


def test_chunks_round_trip(fake_index: Path) -> None:
    index = Index.load(fake_index, model_id="parallax/fake-hash-64")
    chunks = index.all_chunks()
    assert len(chunks) == index.manifest.chunk_count == len(index.chunk_matrix())
    for c in chunks:
        assert c.text == index.document_text(c.source)[c.start : c.end]
        record = index.manifest.document(c.source)
        if record.format in ("text", "markdown"):  # HTML offsets refer to the extracted text, stored in the index
            assert c.text == Path(record.path).read_text()[c.start : c.end]


def test_other_model_is_refused(fake_index: Path) -> None:
    with pytest.raises(IndexMismatchError, match="fake-hash-64.*all-MiniLM-L6-v2.*rebuild"):
        Index.load(fake_index, model_id="sentence-transformers/all-MiniLM-L6-v2")


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="create one with"):
        Index.load(tmp_path / "nothing")


def test_corrupt_manifest(fake_index: Path) -> None:
    (fake_index / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(CorruptIndexError, match="not valid JSON.*rebuild"):
        Index.load(fake_index)


def test_manifest_from_newer_version(fake_index: Path) -> None:
    data = json.loads((fake_index / MANIFEST_FILE).read_text())
    data["format_version"] = FORMAT_VERSION + 1
    (fake_index / MANIFEST_FILE).write_text(json.dumps(data))
    with pytest.raises(CorruptIndexError, match="newer Parallax"):
        Index.load(fake_index)


def test_truncated_faiss_file(fake_index: Path) -> None:
    path = fake_index / FAISS_FILE
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(CorruptIndexError, match="vectors.npy"):
        Index.load(fake_index)


def test_failed_rebuild_keeps_existing_index(fake_index: Path, tmp_path: Path) -> None:
    before = snapshot(fake_index)

    class Exploding(FakeEmbedder):
        def embed(self, texts, *, batch_size=64, progress=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk on fire")

    corpus = load_corpus([fake_index.parent / "docs"])
    with pytest.raises(RuntimeError):
        build_index(corpus, Exploding(dim=64), fake_index, ChunkerConfig(max_tokens=32))
    assert snapshot(fake_index) == before
    assert not list(fake_index.parent.glob(".idx.tmp-*"))
    Index.load(fake_index)


def test_crash_between_renames_is_recovered(fake_index: Path) -> None:
    backup = fake_index.parent / ".idx.old-deadbeef"
    os.rename(fake_index, backup)  # as if a build died after moving the old index aside
    index = Index.load(fake_index)
    assert index.manifest.chunk_count > 0
    assert not backup.exists()


def test_refuses_to_replace_a_folder_that_is_not_an_index(tmp_path: Path, small_corpus: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    with pytest.raises(InputError, match="not a Parallax index"):
        build_index(load_corpus([small_corpus]), FakeEmbedder(), precious)
    assert (precious / "thesis.txt").read_text() == "do not delete"


def test_rebuild_replaces_index(fake_index: Path, small_corpus: Path) -> None:
    (small_corpus / "new.txt").write_text("Volcanoes erupt molten rock called lava.", encoding="utf-8")
    build_index(load_corpus([small_corpus]), FakeEmbedder(), fake_index, ChunkerConfig(max_tokens=32))
    index = Index.load(fake_index)
    assert "new.txt" in {d.source for d in index.manifest.documents}
    assert not list(fake_index.parent.glob(".idx.tmp-*")) and not list(fake_index.parent.glob(".idx.old-*"))


def test_sentence_vectors_belong_to_their_chunks(fake_index: Path) -> None:
    index = Index.load(fake_index)
    assert index.manifest.sentence_count > index.manifest.chunk_count
    indptr, ids = index.chunk_members()
    sentences = index.sentence_matrix()
    assert sentences is not None and sentences.shape == (index.manifest.sentence_count, 64)
    spans = index.sentence_spans()
    assert len(spans) == index.manifest.sentence_count
    for chunk in index.all_chunks():
        members = ids[indptr[chunk.id] : indptr[chunk.id + 1]]
        assert len(members) >= 1
        for sid in members:
            source, start, end = spans[int(sid)]
            assert source == chunk.source and chunk.start <= start < end <= chunk.end
    # Each sentence vector is the embedding of that sentence's clean text.
    text = index.document_text("cats.txt")
    first = next(i for i, (s, a, b) in enumerate(spans) if s == "cats.txt" and text[a:b].startswith("Cats are small"))
    _, start, end = spans[first]
    expected = FakeEmbedder(dim=64).embed([text[start:end]])[0]
    assert abs(float(sentences[first] @ expected) - 1.0) < 1e-5


def test_without_sentence_vectors(small_corpus: Path, tmp_path: Path) -> None:
    dest = tmp_path / "plain"
    build_index(load_corpus([small_corpus]), FakeEmbedder(), dest, options=BuildOptions(sentence_vectors=False))
    index = Index.load(dest)
    assert index.sentence_matrix() is None
    assert index.manifest.dense["chunk_weight"] == 1.0
    assert not (dest / SENTENCES_FILE).exists()
