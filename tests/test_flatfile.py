"""The numpy reader of FAISS flat files agrees with FAISS and refuses damaged files."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from parallax.index.flatfile import FlatFileError, read_flat


def _write(path: Path, vectors: np.ndarray, metric: str = "ip") -> None:
    index = faiss.IndexFlatIP(vectors.shape[1]) if metric == "ip" else faiss.IndexFlatL2(vectors.shape[1])
    if len(vectors):
        index.add(vectors)
    faiss.write_index(index, str(path))


@pytest.mark.parametrize("metric", ["ip", "l2"])
@pytest.mark.parametrize("shape", [(0, 8), (1, 3), (37, 384)])
def test_reads_what_faiss_wrote(tmp_path: Path, metric: str, shape: tuple[int, int]) -> None:
    vectors = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    path = tmp_path / "v.faiss"
    _write(path, vectors, metric)
    got = read_flat(path, dim=shape[1], count=shape[0])
    assert got.dtype == np.float32 and got.shape == shape
    assert np.array_equal(got, vectors)
    back = faiss.read_index(str(path))
    if shape[0]:
        assert np.array_equal(got, back.reconstruct_n(0, back.ntotal))
    assert not got.flags.writeable


def test_search_equals_faiss_search(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((200, 16)).astype(np.float32)
    path = tmp_path / "v.faiss"
    _write(path, vectors)
    q = rng.standard_normal((1, 16)).astype(np.float32)
    scores, ids = faiss.read_index(str(path)).search(q, 10)
    ours = read_flat(path) @ q[0]
    assert list(np.argsort(-ours)[:10]) == list(ids[0])
    assert np.allclose(np.sort(ours)[::-1][:10], scores[0], atol=1e-5)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "v.faiss"
    _write(path, np.ones((4, 8), dtype=np.float32))
    return path


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[:20], "shorter than a FAISS header"),
        (lambda b: b[:60], "truncated"),
        (lambda b: b + b"\0", "trailing bytes"),
        (lambda b: b"IxHF" + b[4:], "not a FAISS flat index"),
        (lambda b: b"", "shorter than a FAISS header"),
    ],
)
def test_damaged_files_are_refused(good: Path, damage, message: str) -> None:  # type: ignore[no-untyped-def]
    good.write_bytes(damage(good.read_bytes()))
    with pytest.raises(FlatFileError, match=message):
        read_flat(good)


def test_shape_must_match_the_manifest(good: Path) -> None:
    assert read_flat(good, dim=8, count=4).shape == (4, 8)
    with pytest.raises(FlatFileError, match="dim 8, expected 384"):
        read_flat(good, dim=384)
    with pytest.raises(FlatFileError, match="4 vectors, expected 5"):
        read_flat(good, count=5)
