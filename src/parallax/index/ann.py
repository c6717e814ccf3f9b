"""Approximate nearest-neighbour structures over an index's unit vectors, chosen by size.

Below ``FLAT_BELOW`` vectors a matrix is searched exactly (one matrix product; no file here). From
there on, a FAISS structure proposes ``candidates`` ids and the caller re-scores them exactly from the
stored float32 vectors (``rescore``), so scores stay true cosines and only recall is approximate:

    hnsw   IndexHNSWSQ (graph over 8-bit scalar-quantised codes; codes "flat": IndexHNSWFlat)
    ivf    IndexIVFScalarQuantizer (k-means cells, 8-bit codes; codes "flat": IndexIVFFlat)

The file is ``<matrix>.<kind>.faiss`` (``AnnSpec.file_name``), written with ``faiss.write_index`` and
read with ``IO_FLAG_MMAP_IFC`` (IVF lists and HNSW codes mapped in place), so a cold query maps the
codes instead of reading them (the HNSW graph itself is read).

The threshold, the default kind and its parameters were chosen with ``benchmarks/scale.py`` on
SciFact's MiniLM vectors and vectors generated around them, 10k to 1M per matrix, on 2 cores (figures
in ``benchmarks/results/scale.json``):
    size   flat p50   hnsw-sq8 M32, ef 512 (p50, recall@10, cold)   ivf-sq8, nprobe 64 (p50, recall, cold)
    10k     1.0 ms    0.95 ms, 1.000, 0.22 s                         2.0 ms, 0.960, 0.09 s (nlist 512)
    100k   18.5 ms    1.68 ms, 0.999, 0.71 s                         3.1 ms, 0.960, 0.29 s (nlist 1024)
    1M      204 ms    1.55 ms, 0.953, 6.4 s / 366 MB RSS             4.2 ms, 0.978, 0.8 s / 61 MB (nlist 4096)

(recall@10 of the re-scored top 10 against the exact one, SciFact's 1109 queries; the machine was
shared, load average 3.5 to 9, so latencies are high-side.) Flat stays exact below 100k per matrix:
SciFact's 10k chunks and 50k sentences keep their figures, and from 100k the scan costs ~18 ms where
HNSW answers in under 2 ms. IVF is the default above it: a search is a new process, and
HNSW's graph is read, not mapped, at every start (6.4 s and 366 MB at 1M from a cold page cache,
against IVF's 0.8 s and 61 MB), which breaks a 1-second cold search; IVF at nprobe 64 keeps recall
>= 0.96 at every size for 2-4 ms. HNSW stays one flag away (``--ann hnsw``) for a long-lived process
such as the shell: 1.55 ms at 1M, recall 0.953; it also builds slower (222 s at 1M on 2 cores, IVF
142 s). SQ8 codes re-scored match flat codes' recall at a third of the file (codes "flat" kept as
an option). The 1M set is 60k real vectors plus generated ones (a real vector plus noise, sigma 0.3),
denser than real data, so its recall is likely on the low side.
The manifest records the kind and parameters of each structure, so a later change of defaults does
not change how an existing index is searched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

KINDS = ("auto", "flat", "hnsw", "ivf")
FLAT_BELOW = 100_000  # vectors in one matrix; SciFact (10k chunks, 50k sentences) stays exact
DEFAULT_KIND = "ivf"  # what auto builds at FLAT_BELOW vectors and above (cold start: see above)
MIN_ANN = 1_000  # fewer vectors than this are always searched exactly, whatever was asked
TRAIN_PER_CELL = 40  # IVF k-means trains on at most this many vectors per cell (FAISS warns below 39)
TRAIN_ITERATIONS = 10
# HNSW over 8-bit codes, M 32, efConstruction 40; efSearch and the candidates re-scored: benchmarks/scale.py
HNSW_DEFAULTS: dict[str, Any] = {"M": 32, "ef_construction": 40, "ef_search": 512, "codes": "sq8", "candidates": 512}
IVF_NPROBE = 64  # cells probed, of nlist about 4 sqrt(n): recall@10 >= 0.96 at 10k, 100k and 1M
IVF_CANDIDATES = 100


@dataclass(frozen=True)
class AnnSpec:
    """How one matrix of vectors is searched: ``kind`` and its FAISS parameters."""

    kind: str = "flat"
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.params}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AnnSpec:
        if not data:
            return cls()
        rest = {k: v for k, v in data.items() if k != "kind"}
        return cls(str(data.get("kind", "flat")), rest)

    @property
    def approximate(self) -> bool:
        return self.kind != "flat"

    def file_name(self, matrix: str) -> str:
        """The structure's file in the index folder, for ``matrix`` "chunks" or "sentences"."""
        return f"{matrix}.{self.kind}.faiss"


def choose(count: int, requested: str = "auto") -> AnnSpec:
    """The structure for ``count`` vectors: ``requested`` unless it is ``auto`` (flat below
    ``FLAT_BELOW``, else ``DEFAULT_KIND``); tiny matrices are always flat."""
    if requested not in KINDS:
        raise ValueError(f"unknown ANN kind {requested!r}; choose one of {', '.join(KINDS)}")
    kind = requested
    if kind == "auto":
        kind = "flat" if count < FLAT_BELOW else DEFAULT_KIND
    if count < MIN_ANN:
        kind = "flat"
    if kind == "hnsw":
        return AnnSpec("hnsw", dict(HNSW_DEFAULTS))
    if kind == "ivf":
        nlist = max(16, 2 ** round(math.log2(4 * math.sqrt(count))))
        nprobe = min(nlist, IVF_NPROBE)
        return AnnSpec("ivf", {"nlist": nlist, "nprobe": nprobe, "codes": "sq8", "candidates": IVF_CANDIDATES})
    return AnnSpec()


ANN_MATRIX_FROM = 20_000  # in an approximate index, a smaller matrix (often the chunks) is still scanned: ~1 ms


def choose_for_index(chunks: int, sentences: int, requested: str = "auto") -> dict[str, AnnSpec]:
    """The structure of each matrix of an index. ``auto`` goes by the whole index (chunks and
    sentences together): flat below ``FLAT_BELOW``, else ``DEFAULT_KIND`` for each matrix of at least
    ``ANN_MATRIX_FROM`` vectors, a smaller one being cheaper to scan. A kind asked for by name applies
    to every matrix of at least ``MIN_ANN`` vectors."""
    out = {}
    for name, count in (("chunks", chunks), ("sentences", sentences)):
        if requested == "auto":
            kind = choose(chunks + sentences, "auto").kind
            out[name] = choose(count, kind) if count >= ANN_MATRIX_FROM else AnnSpec()
        else:
            out[name] = choose(count, requested)
    return out


def build(vectors: np.ndarray, spec: AnnSpec) -> Any:
    """A FAISS structure over ``vectors`` (unit rows, float32) as ``spec`` describes; not for flat."""
    import faiss

    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if spec.kind == "hnsw":
        graph = _hnsw(x.shape[1], spec.params)
        graph.train(x)
        graph.add(x)
        return graph
    if spec.kind == "ivf":
        p = spec.params
        nlist = int(p["nlist"])
        quantizer = faiss.IndexFlatIP(x.shape[1])
        index: Any
        if p.get("codes", "sq8") == "flat":
            index = faiss.IndexIVFFlat(quantizer, x.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFScalarQuantizer(
                quantizer, x.shape[1], nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
            )
        index.cp.niter = int(p.get("train_iterations", TRAIN_ITERATIONS))
        sample = x
        per_cell = int(p.get("train_per_cell", TRAIN_PER_CELL))
        if len(x) > per_cell * nlist:
            rng = np.random.default_rng(0)
            sample = x[np.sort(rng.choice(len(x), per_cell * nlist, replace=False))]
        index.train(sample)
        index.add(x)
        return index
    raise ValueError(f"no FAISS structure to build for kind {spec.kind!r}")


def _hnsw(d: int, p: dict[str, Any]) -> Any:
    import faiss

    index: Any
    if p.get("codes", "sq8") == "flat":
        index = faiss.IndexHNSWFlat(d, int(p["M"]), faiss.METRIC_INNER_PRODUCT)
    else:
        qt: Any = faiss.ScalarQuantizer.QT_8bit  # the stubs type it as a quantizer, FAISS takes the enum
        index = faiss.IndexHNSWSQ(d, qt, int(p["M"]), faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = int(p["ef_construction"])
    return index


def rescore(matrix: np.ndarray, query: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best of candidate ``ids`` (-1 ignored) for one ``query``, by exact cosine against the
    stored unit rows of ``matrix``: (ids, scores), best first."""
    ids = ids[ids >= 0]
    scores = matrix[ids] @ np.asarray(query, dtype=np.float32).reshape(-1)
    order = np.argsort(-scores, kind="stable")[:k]
    return ids[order], scores[order]


def write(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


class AnnSearcher:
    """A FAISS structure read from disk (memory-mapped), proposing candidate ids for queries."""

    def __init__(self, index: Any, spec: AnnSpec) -> None:
        self.index = index
        self.spec = spec
        self._configure()

    @classmethod
    def load(cls, path: Path, spec: AnnSpec) -> AnnSearcher:
        import faiss

        # MMAP_IFC maps IVF lists and HNSW codes in place; IO_FLAG_MMAP's OnDiskInvertedLists answered
        # 6x slower (3.5 against 0.54 ms per query, IVF at 100k)
        return cls(faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY), spec)

    def _configure(self) -> None:
        p = self.spec.params
        if self.spec.kind == "hnsw":
            self.index.hnsw.efSearch = int(p["ef_search"])
        elif self.spec.kind == "ivf":
            self.index.nprobe = int(p["nprobe"])

    @property
    def candidates(self) -> int:
        return int(self.spec.params.get("candidates", 200))

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``k`` candidate ids per query row and their approximate scores; -1 pads missing ones."""
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if self.spec.kind == "hnsw":
            self.index.hnsw.efSearch = max(int(self.spec.params["ef_search"]), k)
        scores, ids = self.index.search(q, k)
        return ids, scores
