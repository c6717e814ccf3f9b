"""The torch-free query path: same vectors and rankings as sentence-transformers, and no torch imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from parallax.core.settings import MINILM_ID, seeds_dir
from parallax.embed.minilm import SentenceTransformerEmbedder
from parallax.index.builder import build_index
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus
from parallax.search.searcher import Searcher

from .probes import modules_loaded_by

pytestmark = pytest.mark.integration

QUERIES = [
    "Will Japan become a member of NATO?",
    "Which European country objects to a NATO office in Tokyo?",
    "South Korea and arms for Ukraine",
    "What did Xi Jinping say about Asian security in 2014?",
    "Paul Keating called Stoltenberg a supreme fool",
    "Is an Asian NATO likely?",
]


@pytest.fixture(scope="module")
def lean_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lean-home")


@pytest.fixture
def lean(lean_home: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """The ONNX encoder, exported once per module into its own home (export takes ~20 s)."""
    from parallax.embed.onnx import OnnxEmbedder

    monkeypatch.setenv("PARALLAX_HOME", str(lean_home))
    embedder = OnnxEmbedder()
    embedder.load()
    return embedder


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def test_lean_vectors_match_reference(lean: object, reference: SentenceTransformerEmbedder) -> None:
    chunks = []
    from parallax.ingest.chunk import chunk_document

    for doc in load_corpus([seeds_dir()]):
        chunks += [c.embed_text for c in chunk_document(doc, ChunkerConfig(), reference.count_tokens)]
    texts = chunks + QUERIES + ["", "🙂 émoji and نص عربي", "word " * 400]
    a = lean.embed(texts, batch_size=16)  # type: ignore[attr-defined]
    b = reference.embed(texts, batch_size=16)
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.999, float(cos.min())
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)


def test_lean_top10_matches_reference(lean: object, reference: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    build_index(load_corpus([seeds_dir()]), reference, tmp_path / "i")
    index = Index.load(tmp_path / "i", model_id=MINILM_ID)
    ref, fast = Searcher(index, reference), Searcher(index, lean)  # type: ignore[arg-type]
    for query in QUERIES:
        for mode in ("dense", "hybrid"):
            want = [h.chunk_id for h in ref.search(query, k=10, mode=mode).hits]
            got = [h.chunk_id for h in fast.search(query, k=10, mode=mode).hits]
            assert got == want, (query, mode)


def test_search_and_info_do_not_import_torch(lean_home: Path, lean: object) -> None:
    """A cold `parallax search` and `parallax info` on an existing index import no torch."""
    env = {**os.environ, "PARALLAX_HOME": str(lean_home), "PARALLAX_MODEL": MINILM_ID}
    build = subprocess.run([sys.executable, "-m", "parallax", "index"], env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    for args in (["search", "liaison office", "--json"], ["info", "--json"]):
        loaded, out = modules_loaded_by(args, env=env)
        assert loaded == [], (args, out.stderr[-500:])
        json.loads(out.stdout.strip().splitlines()[-1] if args[0] == "search" else out.stdout)


def test_int8_encoder_stays_close_to_float32(lean: object, lean_home: Path) -> None:
    """The optional int8 model (PARALLAX_BACKEND=onnx-int8) is a separate cached file with nearby vectors."""
    from parallax.embed.onnx import INT8_FILE, OnnxEmbedder, cache_dir

    int8 = OnnxEmbedder(int8=True)
    texts = [*QUERIES, "Japan’s defence budget will reach 2% of GDP by 2027.", "🙂 émoji and نص عربي"]
    a, b = int8.embed(texts), lean.embed(texts)  # type: ignore[attr-defined]
    assert (cache_dir() / INT8_FILE).is_file()
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.97, float(cos.min())
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)


def test_fusion_failure_keeps_the_plain_graph(tmp_path: Path) -> None:
    """Graph fusion is an optimisation: when onnxruntime's optimiser cannot read a model, it is left as it was."""
    from parallax.embed.onnx import _fuse

    model = tmp_path / "model.onnx"
    model.write_bytes(b"not an onnx graph")
    assert _fuse(model, heads=12, hidden=384) == {}
    assert model.read_bytes() == b"not an onnx graph"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_a_damaged_export_is_not_trusted(lean: object, lean_home: Path) -> None:
    """A truncated cached file makes the cache invalid, so it is exported again instead of failing forever."""
    from parallax.embed.minilm import packaged_model_dir
    from parallax.embed.onnx import WORDS_FILE, _valid_cache, cache_dir

    weights = packaged_model_dir() / "model.safetensors"
    assert _valid_cache(cache_dir(), weights)
    words = cache_dir() / WORDS_FILE
    data = words.read_bytes()
    try:
        words.write_bytes(data[:1000])
        assert not _valid_cache(cache_dir(), weights)
    finally:
        words.write_bytes(data)
    assert _valid_cache(cache_dir(), weights)
