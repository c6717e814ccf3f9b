"""index.ann: the structure chosen by size, and HNSW/IVF built, written, read memory-mapped and searched,
with the re-scored top 10 close to the exact one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from parallax.index import ann

DIM = 384


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    """4000 vectors in 80 topics (a centre plus noise, as embeddings cluster) and 50 queries near them."""
    rng = np.random.default_rng(0)
    centres = unit(rng.standard_normal((80, DIM)))
    vectors = unit(centres[rng.integers(0, 80, 4000)] + 0.08 * rng.standard_normal((4000, DIM)))
    queries = unit(vectors[rng.integers(0, 4000, 50)] + 0.05 * rng.standard_normal((50, DIM)))
    return vectors, queries


def test_choose_by_size() -> None:
    assert ann.choose(10).kind == "flat"
    assert ann.choose(60_000).kind == "flat"  # SciFact's sentence matrix stays exact
    assert ann.choose(ann.FLAT_BELOW - 1).kind == "flat"
    big = ann.choose(ann.FLAT_BELOW)
    assert big.kind == ann.DEFAULT_KIND and big.approximate
    assert big.params["candidates"] >= 10


def test_choose_requested_kind() -> None:
    assert ann.choose(5_000, "hnsw").kind == "hnsw"
    assert ann.choose(5_000, "ivf").kind == "ivf"
    assert ann.choose(5_000_000, "flat").kind == "flat"
    assert ann.choose(ann.MIN_ANN - 1, "hnsw").kind == "flat"  # tiny matrices are always exact
    with pytest.raises(ValueError, match="unknown ANN kind"):
        ann.choose(5_000, "lsh")


def test_ivf_cells_grow_with_size() -> None:
    small, large = ann.choose(10_000, "ivf"), ann.choose(1_000_000, "ivf")
    assert small.params["nlist"] < large.params["nlist"]
    assert large.params["nprobe"] <= large.params["nlist"]


def test_spec_round_trip() -> None:
    for spec in (ann.AnnSpec(), ann.choose(500_000, "hnsw"), ann.choose(500_000, "ivf")):
        assert ann.AnnSpec.from_dict(spec.to_dict()) == spec
    assert ann.AnnSpec.from_dict(None) == ann.AnnSpec()
    assert ann.choose(500_000, "ivf").file_name("sentences") == "sentences.ivf.faiss"


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_build_write_load_recall(kind: str, data: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    vectors, queries = data
    spec = ann.choose(len(vectors), kind)
    path = tmp_path / spec.file_name("chunks")
    ann.write(ann.build(vectors, spec), path)
    searcher = ann.AnnSearcher.load(path, spec)
    assert len(searcher) == len(vectors)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    hits = 0
    for q, truth in zip(queries, exact):
        ids, _ = searcher.search(q, searcher.candidates)
        assert ids.shape == (1, searcher.candidates)
        top, scores = ann.rescore(vectors, q, ids[0], 10)
        assert np.all(np.diff(scores) <= 0)
        np.testing.assert_allclose(scores, vectors[top] @ q, rtol=1e-5)  # true cosines, not codes
        hits += len(set(top.tolist()) & set(truth.tolist()))
    assert hits / (10 * len(queries)) >= 0.9


def test_rescore_ignores_padding() -> None:
    m = unit(np.eye(4, dtype=np.float32) + 0.01)
    top, scores = ann.rescore(m, m[2], np.array([0, -1, 2, 3, -1]), 2)
    assert top.tolist()[0] == 2 and len(top) == 2 and scores[0] == pytest.approx(1.0, abs=1e-5)


def test_flat_has_no_structure() -> None:
    with pytest.raises(ValueError, match="no FAISS structure"):
        ann.build(np.zeros((10, DIM), dtype=np.float32), ann.AnnSpec())
