"""Incremental indexing: only new and changed documents are embedded; the rest is copied."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from parallax.api import index_paths
from parallax.cli.main import app
from parallax.core.errors import IndexMismatchError
from parallax.index.builder import UpdateStats, build_index, update_index
from parallax.index.manifest import MANIFEST_FILE
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus
from parallax.search.searcher import Searcher

from .conftest import rows, snapshot
from .fakes import FakeEmbedder

runner = CliRunner()
PANDA = "004_0394954a670df23c.txt"


def sentence_rows(index: Index) -> list[tuple[str, int, int, tuple[int, ...]]]:
    """Sentences with the chunk ids they belong to, comparable across indexes."""
    indptr, ids = index.chunk_members()
    owners: dict[int, list[int]] = {}
    for cid in range(len(index)):
        for sid in ids[indptr[cid] : indptr[cid + 1]]:
            owners.setdefault(int(sid), []).append(cid)
    return [(src, a, b, tuple(owners.get(sid, []))) for sid, (src, a, b) in enumerate(index.sentence_spans())]


@pytest.fixture
def seeds_index(seeds_copy: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "seeds-idx"
    build_index(load_corpus([seeds_copy]), FakeEmbedder(dim=64), dest, inputs=[str(seeds_copy)])
    return dest


def test_unchanged_seeds_embed_nothing_and_write_nothing(seeds_copy: Path, seeds_index: Path) -> None:
    before = snapshot(seeds_index)
    counting = FakeEmbedder(dim=64)
    stats = update_index(load_corpus([seeds_copy]), counting, seeds_index, inputs=[str(seeds_copy)])
    assert isinstance(stats, UpdateStats)
    assert stats.chunks_embedded == 0 and stats.sentences_embedded == 0 and counting.texts_embedded == 0
    assert (len(stats.added), len(stats.updated), len(stats.removed), len(stats.unchanged)) == (0, 0, 0, 5)
    assert not stats.written and not stats.rebuilt
    assert snapshot(seeds_index) == before


def test_one_file_edit_reembeds_only_that_file(seeds_copy: Path, seeds_index: Path, tmp_path: Path) -> None:
    old = Index.load(seeds_index)
    old_rows, old_vectors = rows(old), old.chunk_matrix().copy()
    old.close()
    path = seeds_copy / PANDA
    path.write_text(path.read_text(encoding="utf-8") + "\nA closing remark about the Vilnius summit.\n", "utf-8")
    counting = FakeEmbedder(dim=64)
    stats = update_index(load_corpus([seeds_copy]), counting, seeds_index, inputs=[str(seeds_copy)])
    assert stats.updated == [PANDA] and not stats.added and not stats.removed and len(stats.unchanged) == 4
    new = Index.load(seeds_index)
    panda_chunks = [r for r in rows(new) if r[0] == PANDA]
    panda_sentences = [r for r in sentence_rows(new) if r[0] == PANDA]
    assert stats.chunks_embedded == len(panda_chunks) < stats.chunks
    assert stats.sentences_embedded == len(panda_sentences)
    assert counting.texts_embedded == len(panda_chunks) + len(panda_sentences)
    # Other documents' chunks and vectors are copied bit for bit.
    for r, v in zip(old_rows, old_vectors):
        if r[0] != PANDA:
            assert np.array_equal(new.chunk_matrix()[rows(new).index(r)], v)
    # The incremental index is the index a full rebuild makes.
    fresh_dest = tmp_path / "fresh"
    build_index(load_corpus([seeds_copy]), FakeEmbedder(dim=64), fresh_dest, inputs=[str(seeds_copy)])
    fresh = Index.load(fresh_dest)
    assert rows(new) == rows(fresh)
    assert sentence_rows(new) == sentence_rows(fresh)
    assert np.allclose(new.chunk_matrix(), fresh.chunk_matrix(), atol=1e-6)
    assert np.allclose(new.sentence_matrix(), fresh.sentence_matrix(), atol=1e-6)  # type: ignore[arg-type]
    a = Searcher(new, FakeEmbedder(dim=64)).search("Vilnius summit agenda", k=5)
    b = Searcher(fresh, FakeEmbedder(dim=64)).search("Vilnius summit agenda", k=5)
    assert [(h.source, h.start, round(h.score, 5)) for h in a.hits] == [
        (h.source, h.start, round(h.score, 5)) for h in b.hits
    ]


def test_added_and_removed_documents(seeds_copy: Path, seeds_index: Path) -> None:
    (seeds_copy / PANDA).unlink()
    (seeds_copy / "new.md").write_text("# Volcanoes\n\nVolcanoes erupt molten rock called lava.\n", "utf-8")
    stats = update_index(load_corpus([seeds_copy]), FakeEmbedder(dim=64), seeds_index)
    assert stats.added == ["new.md"] and stats.removed == [PANDA] and not stats.updated
    index = Index.load(seeds_index)
    assert {d.source for d in index.manifest.documents} == {d.source for d in load_corpus([seeds_copy])}
    assert PANDA not in {r[0] for r in rows(index)}
    hit = Searcher(index, FakeEmbedder(dim=64)).search("molten lava volcanoes", k=1).hits[0]
    assert hit.source == "new.md"


def test_another_model_needs_rebuild(seeds_copy: Path, seeds_index: Path) -> None:
    before = snapshot(seeds_index)
    with pytest.raises(IndexMismatchError, match=r"fake-hash-64.*fake-hash-32.*--rebuild"):
        update_index(load_corpus([seeds_copy]), FakeEmbedder(dim=32), seeds_index)
    assert snapshot(seeds_index) == before
    stats = update_index(load_corpus([seeds_copy]), FakeEmbedder(dim=32), seeds_index, rebuild=True)
    assert stats.rebuilt and stats.reason == "--rebuild" and stats.chunks_embedded == stats.chunks
    assert Index.load(seeds_index).manifest.dim == 32


def test_chunker_settings_kept_or_rebuilt(small_corpus: Path, fake_index: Path) -> None:
    # No settings given: the index's own (max_tokens 32) are kept and nothing is re-embedded.
    stats = update_index(load_corpus([small_corpus]), FakeEmbedder(dim=64), fake_index)
    assert stats.chunks_embedded == 0 and Index.load(fake_index).manifest.chunker["max_tokens"] == 32
    # Other settings given explicitly: rebuilt, and the summary says why.
    stats = update_index(load_corpus([small_corpus]), FakeEmbedder(dim=64), fake_index, ChunkerConfig(max_tokens=40))
    assert stats.rebuilt and "max_tokens 32 -> 40" in stats.reason and stats.chunks_embedded == stats.chunks
    assert stats.unchanged == ["cats.txt", "rockets.md", "tea.html"]


def test_index_from_before_heading_paths_rechunks_only_markdown_and_html(
    small_corpus: Path, fake_index: Path, tmp_path: Path
) -> None:
    manifest = json.loads((fake_index / MANIFEST_FILE).read_text())
    del manifest["chunker"]["heading_context"]  # as an older Parallax wrote it
    (fake_index / MANIFEST_FILE).write_text(json.dumps(manifest))
    stats = update_index(load_corpus([small_corpus]), FakeEmbedder(dim=64), fake_index)
    assert not stats.rebuilt and "2 Markdown/HTML documents re-chunked" in stats.reason
    index = Index.load(fake_index)
    assert stats.chunks_embedded == sum(1 for r in rows(index) if r[0] in ("rockets.md", "tea.html"))  # not cats.txt
    assert index.manifest.chunker["heading_context"] is True
    fresh = tmp_path / "fresh"
    build_index(load_corpus([small_corpus]), FakeEmbedder(dim=64), fresh, ChunkerConfig(max_tokens=32))
    assert rows(index) == rows(Index.load(fresh))


def test_unknown_chunker_needs_rebuild(small_corpus: Path, fake_index: Path) -> None:
    manifest = json.loads((fake_index / MANIFEST_FILE).read_text())
    manifest["chunker"]["method"] = "tokens"
    (fake_index / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="chunker settings.*--rebuild"):
        update_index(load_corpus([small_corpus]), FakeEmbedder(dim=64), fake_index)


def test_partial_cli_settings_keep_the_others(small_corpus: Path, fake_index: Path) -> None:
    # --overlap alone: max_tokens stays the index's 32, so only the overlap change rebuilds.
    _dest, stats = index_paths([small_corpus], index=fake_index, embedder=FakeEmbedder(dim=64), overlap=0)
    assert stats.rebuilt and stats.reason == "chunker settings changed (overlap_sentences 1 -> 0)"
    assert Index.load(fake_index).manifest.chunker["max_tokens"] == 32


def test_cli_summary_and_verbose(seeds_copy: Path, tmp_path: Path) -> None:
    dest = tmp_path / "i"
    (seeds_copy / "notes.png").write_bytes(b"\x89PNG....")
    (seeds_copy / "empty.txt").write_bytes(b"")
    result = runner.invoke(app, ["index", str(seeds_copy), "--index", str(dest)])
    assert result.exit_code == 0, result.output
    assert "5 added, 0 updated, 0 removed, 0 unchanged, 2 skipped (1 empty, 1 unsupported)" in result.output
    (seeds_copy / PANDA).write_text("Short replacement text about tea.", encoding="utf-8")
    result = runner.invoke(app, ["index", str(seeds_copy), "--index", str(dest), "--verbose"])
    assert result.exit_code == 0, result.output
    assert "0 added, 1 updated, 0 removed, 4 unchanged" in result.output
    assert "Embedded 1 chunks and 1 sentences" in result.output
    assert f"updated   {PANDA}" in result.output and "unchanged" in result.output
    result = runner.invoke(app, ["index", "--index", str(dest)])  # the recorded inputs
    assert "nothing changed" in result.output and "Embedded 0 chunks" in result.output
    result = runner.invoke(app, ["index", "--index", str(dest), "--rebuild"])
    assert "rebuilt: --rebuild" in result.output and "Embedded 0 chunks" not in result.output


def test_moved_file_with_same_name_is_unchanged(seeds_copy: Path, seeds_index: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(seeds_copy, moved)
    stats = update_index(load_corpus([moved]), FakeEmbedder(dim=64), seeds_index, inputs=[str(moved)])
    assert stats.chunks_embedded == 0 and stats.written  # paths changed in the manifest, vectors reused
    assert all(d.path.startswith(str(moved)) for d in Index.load(seeds_index).manifest.documents)


def test_renamed_or_moved_document_keeps_its_vectors(seeds_copy: Path, seeds_index: Path, tmp_path: Path) -> None:
    """Same text under a new name (renamed, or moved into a subfolder) is not embedded again."""
    before = Index.load(seeds_index)
    name = before.manifest.documents[0].source
    old_rows = [r for r in rows(before) if r[0] == name]
    old_vectors = before.chunk_matrix()[[i for i, r in enumerate(rows(before)) if r[0] == name]].copy()
    (seeds_copy / "2024").mkdir()
    (seeds_copy / name).rename(seeds_copy / "2024" / "renamed.txt")
    stats = update_index(load_corpus([seeds_copy]), FakeEmbedder(dim=64), seeds_index, inputs=[str(seeds_copy)])
    assert stats.chunks_embedded == 0 and stats.sentences_embedded == 0 and stats.written
    assert stats.moved == [f"{name} -> 2024/renamed.txt"] and not stats.added and not stats.removed
    after = Index.load(seeds_index)
    new_ids = [i for i, r in enumerate(rows(after)) if r[0] == "2024/renamed.txt"]
    assert [r[1:] for r in rows(after) if r[0] == "2024/renamed.txt"] == [r[1:] for r in old_rows]
    assert np.array_equal(after.chunk_matrix()[new_ids], old_vectors)
    fresh = tmp_path / "fresh"
    build_index(load_corpus([seeds_copy]), FakeEmbedder(dim=64), fresh)
    assert np.allclose(after.chunk_matrix(), Index.load(fresh).chunk_matrix(), atol=1e-6)


def test_rebuild_summary_calls_nothing_unchanged(seeds_copy: Path, tmp_path: Path) -> None:
    dest = tmp_path / "i"
    assert runner.invoke(app, ["index", str(seeds_copy), "--index", str(dest)]).exit_code == 0
    result = runner.invoke(app, ["index", "--index", str(dest), "--rebuild"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "rebuilt: --rebuild. 5 documents re-embedded" in out
    assert "unchanged" not in out
    result = runner.invoke(app, ["index", "--index", str(dest), "--rebuild", "-v"])
    assert "unchanged" not in result.output and f"rebuilt   {PANDA}" in result.output


def test_skipped_files_are_listed_once_then_counted_as_before(seeds_copy: Path, tmp_path: Path) -> None:
    dest = tmp_path / "i"
    (seeds_copy / "notes.png").write_bytes(b"\x89PNG....")
    (seeds_copy / "empty.txt").write_bytes(b"")
    first = runner.invoke(app, ["index", str(seeds_copy), "--index", str(dest)])
    assert first.exit_code == 0, first.output
    assert "notes.png" in first.output and "as before" not in first.output
    recorded = json.loads((dest / MANIFEST_FILE).read_text(encoding="utf-8"))["extras"]["skipped"]
    assert sorted(Path(r[0]).name for r in recorded) == ["empty.txt", "notes.png"]
    (seeds_copy / PANDA).write_text("Short replacement text about tea.", encoding="utf-8")
    again = runner.invoke(app, ["index", "--index", str(dest)])
    assert again.exit_code == 0, again.output
    assert "notes.png" not in again.output
    assert "2 skipped, as before (1 empty, 1 unsupported)" in " ".join(again.output.split())
    verbose = runner.invoke(app, ["index", "--index", str(dest), "-v"])
    assert "notes.png" in verbose.output and "as before" in verbose.output
    (seeds_copy / "other.png").write_bytes(b"\x89PNG....")
    changed = runner.invoke(app, ["index", "--index", str(dest)])
    assert "other.png" in changed.output and "as before" not in changed.output


def test_an_index_without_a_skipped_record_lists_the_skipped_files(seeds_copy: Path, tmp_path: Path) -> None:
    dest = tmp_path / "i"
    (seeds_copy / "notes.png").write_bytes(b"\x89PNG....")
    assert runner.invoke(app, ["index", str(seeds_copy), "--index", str(dest)]).exit_code == 0
    manifest = json.loads((dest / MANIFEST_FILE).read_text(encoding="utf-8"))
    del manifest["extras"]["skipped"]  # as written before the record existed
    (dest / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    result = runner.invoke(app, ["index", "--index", str(dest)])
    assert result.exit_code == 0, result.output
    assert "notes.png" in result.output and "as before" not in result.output
