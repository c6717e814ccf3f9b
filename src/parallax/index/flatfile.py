"""The FAISS flat index files of an index: written with FAISS, read with numpy alone.

An index's vectors are written by FAISS (``faiss.write_index`` of an ``IndexFlatIP``), so any FAISS
tool can open them. Searching a flat index is one matrix product, so the query path does not need
FAISS itself: importing it costs ~60 ms of a cold ``parallax search``. This module reads the file's
documented layout (faiss/impl/index_write.cpp) and checks every field, so a truncated or foreign
file is refused rather than misread::

    "IxFI" (inner product) or "IxF2" (L2)        4 bytes
    d                                            int32
    ntotal                                       int64
    two unused fields (1 << 20)                  int64, int64
    is_trained                                   uint8
    metric_type                                  int32
    n = ntotal * d (count of float32 values)     uint64
    the vectors, row-major                       n * float32

All integers are little-endian. ``tests/test_flatfile.py`` checks this reader against FAISS.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_HEADER = struct.Struct("<4siqqq?iQ")
_METRICS = {b"IxFI": 0, b"IxF2": 1}  # fourcc -> FAISS metric_type (METRIC_INNER_PRODUCT, METRIC_L2)


class FlatFileError(ValueError):
    """The file is not a FAISS flat index of the expected shape."""


def read_flat(path: Path, dim: int | None = None, count: int | None = None) -> np.ndarray:
    """The ``(ntotal, d)`` float32 vectors of the FAISS flat index at ``path``.

    With ``dim`` and ``count``, the file must hold exactly that many vectors of that dimension.
    Raises ``FlatFileError`` (or ``OSError`` when the file cannot be read).
    """
    with open(path, "rb") as f:
        head = f.read(_HEADER.size)
        if len(head) < _HEADER.size:
            raise FlatFileError(f"{len(head)} bytes, shorter than a FAISS header")
        fourcc, d, ntotal, _, _, _, metric, n = _HEADER.unpack(head)
        if fourcc not in _METRICS or metric != _METRICS[fourcc]:
            raise FlatFileError(f"not a FAISS flat index (header {fourcc!r}, metric {metric})")
        if d <= 0 or ntotal < 0 or n != ntotal * d:
            raise FlatFileError(f"inconsistent header (d={d}, ntotal={ntotal}, values={n})")
        if dim is not None and d != dim:
            raise FlatFileError(f"vectors of dim {d}, expected {dim}")
        if count is not None and ntotal != count:
            raise FlatFileError(f"{ntotal} vectors, expected {count}")
        data = np.fromfile(f, dtype="<f4", count=n)
        if len(data) != n:
            raise FlatFileError(f"{len(data)} of {n} values present (truncated)")
        if f.read(1):
            raise FlatFileError("trailing bytes after the vectors")
    out = data.astype(np.float32, copy=False).reshape(ntotal, d)
    out.flags.writeable = False
    return out


def write_flat(path: Path, dim: int, vectors: np.ndarray) -> None:
    """Write ``vectors`` (unit rows of ``dim`` floats) as a FAISS ``IndexFlatIP`` file at ``path``."""
    import faiss

    index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(path))
