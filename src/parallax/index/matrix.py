"""Arrays of an index on disk: ``.npy`` files, memory-mapped on read.

Vectors are float32 unit rows (``vectors.npy``, ``sentences.npy``); the chunk-sentence membership is
two int64 CSR arrays per direction. ``np.load(mmap_mode="r")`` maps a file instead of reading it,
so a query touches only the pages it needs: a cold search on a million-passage index does not read
every vector. Indexes written before format 2 hold FAISS flat files (``vectors.faiss``), read with
``parallax.index.flatfile``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parallax.index.flatfile import FlatFileError, read_flat


class MatrixError(ValueError):
    """The file is not an array of the expected shape and type."""


def write_array(path: Path, array: np.ndarray, dtype: str) -> None:
    """Write ``array`` as a ``.npy`` file of ``dtype`` (``<f4`` or ``<i8``), never pickled."""
    with open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(array, dtype=dtype), allow_pickle=False)


def read_array(path: Path, dtype: str, shape: tuple[int | None, ...]) -> np.ndarray:
    """The array at ``path``, memory-mapped read-only; ``None`` in ``shape`` accepts any length.

    Raises ``MatrixError`` (or ``OSError`` when the file cannot be read).
    """
    if path.stat().st_size == 0:
        raise MatrixError("empty file")
    try:
        out: np.ndarray = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        raise MatrixError(f"not a .npy array ({exc})") from None
    if out.dtype != np.dtype(dtype):
        raise MatrixError(f"{out.dtype} values, expected {np.dtype(dtype)}")
    if len(out.shape) != len(shape) or any(want is not None and got != want for got, want in zip(out.shape, shape)):
        raise MatrixError(f"shape {out.shape}, expected {tuple('any' if s is None else s for s in shape)}")
    return out


def read_vectors(path: Path, dim: int, count: int) -> np.ndarray:
    """``count`` unit vectors of ``dim`` floats: a ``.npy`` file (mapped), or a legacy FAISS flat file (read)."""
    if path.suffix == ".faiss":
        try:
            return read_flat(path, dim, count)
        except FlatFileError as exc:
            raise MatrixError(str(exc)) from None
    if count == 0 and not path.exists():
        return np.zeros((0, dim), dtype=np.float32)
    return np.asarray(read_array(path, "<f4", (count, dim)))


def csr(pairs: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """``(indptr, ids)`` of ``(row, id)`` pairs sorted by row: row ``i`` owns ``ids[indptr[i]:indptr[i + 1]]``."""
    counts = np.bincount(pairs[:, 0], minlength=rows) if len(pairs) else np.zeros(rows, np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return indptr, np.ascontiguousarray(pairs[:, 1], dtype=np.int64)
