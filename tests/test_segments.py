"""Large indexes: ANN structures, delta segments for small updates, deleted rows, merges (issue 13).

The seeds are tiny, so these tests lower the sizes at which the large-index paths start
(``ann.MIN_ANN``) and build with ``ann="hnsw"`` or ``"ivf"``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from parallax.index import ann, delta
from parallax.index.builder import BuildOptions, build_index, update_index
from parallax.index.reader import Index
from parallax.ingest.load import load_corpus
from parallax.search.dense import nearest_sentences
from parallax.search.searcher import Searcher

from .conftest import rows, run, snapshot
from .fakes import FakeEmbedder

PANDA = "004_0394954a670df23c.txt"
QUERIES = ["Japan and NATO", "liaison office in Tokyo", "South Korea weapons", "Chinese foreign ministry", "AUKUS"]


@pytest.fixture(autouse=True)
def small_ann(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ann, "MIN_ANN", 10)
    monkeypatch.setattr(delta, "DELETED_SHARE", 0.9)  # the seeds are five documents: two are half the chunks


def _build(folder: Path, dest: Path, kind: str = "hnsw") -> Index:
    build_index(load_corpus([folder]), FakeEmbedder(dim=64), dest, options=BuildOptions(ann=kind))
    return Index.load(dest)


def _update(folder: Path, dest: Path) -> Index:
    update_index(load_corpus([folder]), FakeEmbedder(dim=64), dest)
    return Index.load(dest)


def _edit(seeds: Path) -> None:
    """Change one document, add one, remove one."""
    panda = seeds / PANDA
    panda.write_text(panda.read_text(encoding="utf-8") + "\n\nA zebra crossing appeared near the summit venue.\n")
    (seeds / "new.txt").write_text("Quokka diplomacy\n\nThe quokka summit discussed Pacific security.\n")
    os.remove(next(p for p in sorted(seeds.glob("*.txt")) if p.name not in (PANDA, "new.txt")))


def _results(index: Index, mode: str, exact: bool = True) -> list[list[tuple[str, int, int, float]]]:
    searcher = Searcher(index, FakeEmbedder(dim=64), exact=exact)
    return [
        [(h.source, h.start, h.end, round(h.score, 5)) for h in searcher.search(q, k=10, mode=mode).hits]
        for q in QUERIES
    ]


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_ann_index_records_its_structures_and_rescored_hits_are_exact_cosines(
    seeds_copy: Path, tmp_path: Path, kind: str
) -> None:
    index = _build(seeds_copy, tmp_path / "idx", kind)
    assert index.manifest.ann["requested"] == kind
    assert index.manifest.ann["sentences"]["kind"] == kind
    assert (tmp_path / "idx" / f"sentences.{kind}.faiss").is_file()
    approx, exact = _results(index, "dense", exact=False), _results(index, "dense", exact=True)
    overlap = np.mean([len({r[:3] for r in a} & {r[:3] for r in e}) / max(len(e), 1) for a, e in zip(approx, exact)])
    assert overlap >= 0.9
    for a, e in zip(approx, exact):  # the same chunk has the same (exact) score in both
        scores = {r[:3]: r[3] for r in e}
        assert all(abs(scores[r[:3]] - r[3]) <= 2e-5 for r in a if r[:3] in scores)


def test_small_update_writes_a_delta_segment_and_links_the_base(seeds_copy: Path, tmp_path: Path) -> None:
    dest = tmp_path / "idx"
    before = _build(seeds_copy, dest)
    base_inode = os.stat(dest / "sentences.hnsw.faiss").st_ino
    removed_count = len(before.manifest.documents)
    before.close()
    _edit(seeds_copy)
    after = _update(seeds_copy, dest)
    m = after.manifest
    assert [s["name"] for s in m.segments] == ["delta-000001"]
    assert os.stat(dest / "sentences.hnsw.faiss").st_ino == base_inode  # the ANN structure was not rebuilt
    assert {d.source: d.segment for d in m.documents}[PANDA] == "delta-000001"
    assert m.deleted["chunks"] and m.deleted["sentences"]
    assert len(m.documents) == removed_count  # one added, one removed
    live = after.live_chunks()
    assert live is not None and live.sum() < len(after)


@pytest.mark.parametrize("kind", ["hnsw", "flat"])
def test_delta_index_answers_as_a_full_rebuild_does(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setattr(delta, "DELTA_FROM", 100)  # a "large" flat index: deltas too, searched exactly
    dest = tmp_path / "idx"
    _build(seeds_copy, dest, kind).close()
    _edit(seeds_copy)
    updated = _update(seeds_copy, dest)
    assert updated.manifest.segments
    fresh = _build(seeds_copy, tmp_path / "fresh", kind)
    assert _results(updated, "dense") == _results(fresh, "dense")
    gone = {d.source for d in fresh.manifest.documents} ^ {d.source for d in updated.manifest.documents}
    assert not gone
    hits = Searcher(updated, FakeEmbedder(dim=64)).search("quokka zebra", k=5, mode="bm25").hits
    assert {h.source for h in hits} == {"new.txt", PANDA}
    for mode in ("bm25", "hybrid"):
        for result in _results(updated, mode):
            assert all(r[0] in {d.source for d in updated.manifest.documents} for r in result)
    ids, _ = nearest_sentences(updated, FakeEmbedder(dim=64).embed(["quokka summit"])[0], 20)
    sources = {s for s, _, _ in updated.sentence_rows(list(ids))}
    assert "new.txt" in sources and sources <= {d.source for d in updated.manifest.documents}


def test_panda_text_comes_from_its_delta_segment(seeds_copy: Path, tmp_path: Path) -> None:
    dest = tmp_path / "idx"
    _build(seeds_copy, dest).close()
    _edit(seeds_copy)
    index = _update(seeds_copy, dest)
    assert index.document_text(PANDA).endswith("summit venue.\n")
    chunks = index.chunks(index.chunk_ids_for([PANDA]))
    assert any("zebra" in c.text for c in chunks)
    assert all(index.document_text(c.source)[c.start : c.end] == c.text for c in chunks)


def test_deltas_past_the_bound_are_merged(seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "idx"
    _build(seeds_copy, dest).close()
    _edit(seeds_copy)
    assert _update(seeds_copy, dest).manifest.segments
    monkeypatch.setattr(delta, "DELTA_LIMIT", 1)
    (seeds_copy / "more.txt").write_text("Wombat\n\nA wombat joined the talks.\n")
    merged = _update(seeds_copy, dest)
    assert merged.manifest.segments == [] and merged.manifest.deleted == {}
    assert not list(dest.glob("delta-*"))
    assert merged.live_chunks() is None
    assert {d.segment for d in merged.manifest.documents} == {""}


def test_a_failed_delta_write_leaves_the_index_as_it_was(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "idx"
    _build(seeds_copy, dest).close()
    before = snapshot(dest)
    _edit(seeds_copy)

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(delta, "write_segment", boom)
    with pytest.raises(OSError):
        update_index(load_corpus([seeds_copy]), FakeEmbedder(dim=64), dest)
    assert snapshot(dest) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".idx.") and p.suffix != ".lock"]


def test_cli_ann_exact_and_info(seeds_copy: Path, tmp_path: Path) -> None:
    dest = tmp_path / "idx"
    code, out = run("index", str(seeds_copy), "--index", str(dest), "--ann", "ivf")
    assert code == 0, out
    code, out = run("info", "--index", str(dest), "--json")
    assert code == 0 and '"ivf"' in out
    outputs = []
    for extra in ([], ["--exact"]):
        code, out = run("search", "NATO in Asia", "--index", str(dest), "--json", "--mode", "dense", *extra)
        assert code == 0, out
        outputs.append({(r["source"], r["start"]): r["score"] for r in json.loads(out)["results"]})
    approx, exact = outputs
    assert len(exact) == 10 and len(set(approx) & set(exact)) >= 8
    assert all(abs(approx[key] - exact[key]) < 1e-5 for key in set(approx) & set(exact))
    code, out = run("index", str(seeds_copy), "--index", str(dest), "--ann", "annoy")
    assert code != 0 and "auto, flat, hnsw, ivf" in out
    shutil.rmtree(dest)


def test_unchanged_files_are_not_read_again(seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file with the size and mtime the index recorded is not read; a full rewrite takes its text
    from the index, and the result is the index a fresh build makes."""
    from parallax.api import index_paths
    from parallax.ingest import load

    dest = tmp_path / "idx"
    index_paths([seeds_copy], index=dest, embedder=FakeEmbedder(dim=64))
    assert all(r.mtime_ns > 0 for r in Index.load(dest).manifest.documents)  # copies keep their old mtimes
    real_read = load._read_bytes
    read: list[str] = []

    def spy(path: Path) -> bytes:
        read.append(path.name)
        return real_read(path)

    monkeypatch.setattr(load, "_read_bytes", spy)
    before = snapshot(dest)
    _, stats = index_paths([seeds_copy], index=dest, embedder=FakeEmbedder(dim=64))
    assert read == [] and not stats.written and snapshot(dest) == before
    (seeds_copy / "new.txt").write_text("Quokka diplomacy\n\nThe quokka summit discussed Pacific security.\n")
    _, stats = index_paths([seeds_copy], index=dest, embedder=FakeEmbedder(dim=64))
    assert read == ["new.txt"] and stats.added == ["new.txt"] and stats.written
    fresh = tmp_path / "fresh"
    index_paths([seeds_copy], index=fresh, embedder=FakeEmbedder(dim=64), rebuild=True)
    assert rows(Index.load(dest)) == rows(Index.load(fresh))
    assert [Index.load(dest).document_text(d.source) for d in Index.load(fresh).manifest.documents] == [
        Index.load(fresh).document_text(d.source) for d in Index.load(fresh).manifest.documents
    ]


def test_index_help_names_the_thresholds_the_code_uses() -> None:
    code, out = run("index", "--help")
    assert code == 0 and f"{ann.FLAT_BELOW:,}" in " ".join(out.split())
