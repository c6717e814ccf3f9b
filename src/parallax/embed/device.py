"""Where an index's vectors are made: ``parallax index --device auto|cpu|cuda``.

The CPU path is the ONNX encoder, unchanged. The CUDA path is the reference backend
(sentence-transformers on torch) on the GPU in float16, with batches sized to the GPU's memory: it
needs no second onnxruntime (``onnxruntime`` and ``onnxruntime-gpu`` cannot be installed side by side,
microsoft/onnxruntime#26996), and its vectors match the ONNX ones within cosine 0.999, so an index
built on one device can be updated on the other (``tests/test_device.py`` checks it where a GPU is).

``choose_device`` is the rule, a pure function; ``cuda_problem`` looks at the machine, and imports
torch only when a GPU device node is there (or when ``cuda`` is asked for), so that ``auto`` on a
machine without a GPU costs nothing. Nothing here imports numpy or torch at module level.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parallax.core.errors import InputError, MissingExtraError

if TYPE_CHECKING:
    import numpy as np

    from parallax.embed.base import Progress
    from parallax.embed.minilm import SentenceTransformerEmbedder

DEVICES = ("auto", "cpu", "cuda")
GPU_HINT = "pip install 'parallax[gpu]'"
CPU_BATCH = 64  # the builder's default batch (BuildOptions.batch_size)
MAX_GPU_BATCH = 1024
BYTES_PER_TEXT = 4 << 20  # float16 activations of one 256-token text through MiniLM, with room to spare


def choose_device(requested: str, problem: str | None) -> str:
    """``cpu`` or ``cuda`` for a ``--device`` value, given why CUDA cannot be used (None: it can).

    ``auto`` takes CUDA when it can be used and the CPU otherwise, silently; an explicit ``cuda`` that
    cannot be used is an error, on one line, naming the GPU extra.
    """
    if requested not in DEVICES:
        raise InputError(f"unknown --device {requested!r}; choose one of {', '.join(DEVICES)}")
    if requested == "cpu":
        return "cpu"
    if problem is None:
        return "cuda"
    if requested == "auto":
        return "cpu"
    raise MissingExtraError(f"--device cuda cannot be used: {problem}; install the GPU packages with: {GPU_HINT}")


def gpu_batch(free_bytes: int) -> int:
    """The embedding batch for a GPU with ``free_bytes`` of free memory: the largest power of two whose
    activations fill at most half of it, between the CPU's batch and ``MAX_GPU_BATCH``."""
    batch = CPU_BATCH
    while batch * 2 <= MAX_GPU_BATCH and batch * 2 * BYTES_PER_TEXT <= free_bytes // 2:
        batch *= 2
    return batch


def gpu_visible() -> bool:
    """Whether this machine shows an NVIDIA GPU, looked up without importing anything.

    Linux: a ``/dev/nvidia0``-like node (``CUDA_VISIBLE_DEVICES`` empty or -1 hides them); WSL2:
    ``/dev/dxg`` with WSL's libcuda; Windows: the driver's ``nvcuda.dll``. Elsewhere (macOS) none.
    """
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
    if hidden is not None and hidden.strip() in ("", "-1"):
        return False
    if sys.platform.startswith("linux"):
        if any(Path("/dev").glob("nvidia[0-9]*")):
            return True
        return Path("/dev/dxg").exists() and any(Path("/usr/lib/wsl/lib").glob("libcuda.so*"))
    if sys.platform == "win32":
        return (Path(os.environ.get("SYSTEMROOT", r"C:\Windows")) / "System32" / "nvcuda.dll").is_file()
    return False


def cuda_problem() -> str | None:
    """Why CUDA cannot be used here (None: it can): no GPU visible, torch missing or a CPU build, or
    torch finding no usable GPU. torch is imported only once a GPU is visible."""
    if not gpu_visible():
        return "no CUDA GPU is visible"
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if torch.version.cuda is None:
        return f"torch {torch.__version__} is a CPU build (pip uninstall torch first)"
    if not torch.cuda.is_available():
        return f"torch {torch.__version__} finds no usable CUDA GPU (driver?)"
    return None


def resolve_device(requested: str) -> str:
    """``choose_device`` on this machine: CUDA is looked for only when it may be chosen."""
    return choose_device(requested, None if requested == "cpu" else cuda_problem())


class CudaEmbedder:
    """MiniLM through sentence-transformers on a CUDA GPU, in float16, in batches sized to the GPU.

    A batch asked for below the GPU's size is raised to it (the builder asks for the CPU's 64, which
    would leave most of a GPU idle); a larger one is kept.
    """

    backend = "torch"
    device = "cuda"
    dtype = "float16"

    def __init__(self) -> None:
        from parallax.embed.minilm import SentenceTransformerEmbedder

        self.inner: SentenceTransformerEmbedder = SentenceTransformerEmbedder(device="cuda", half=True)
        self.model_id = self.inner.model_id
        self.dim = self.inner.dim
        self.max_tokens = self.inner.max_tokens
        self.batch_size = CPU_BATCH
        self._loaded = False

    def load(self) -> None:
        """Load the model onto the GPU and size the batch to the memory left free (once: torch's
        allocator keeps what a batch used, which would read as less free memory afterwards)."""
        if self._loaded:
            return
        import torch

        self.inner.load()
        free, _total = torch.cuda.mem_get_info()
        self.batch_size = gpu_batch(int(free))
        self._loaded = True

    def embed(
        self, texts: Sequence[str], *, batch_size: int = CPU_BATCH, progress: Progress | None = None
    ) -> np.ndarray:
        self.load()
        return self.inner.embed(texts, batch_size=max(batch_size, self.batch_size), progress=progress)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)


def devices_after(recorded: Sequence[str] | None, kept_vectors: bool, embedded: bool, device: str) -> list[str]:
    """The devices that made an index's vectors after a build (manifest ``extras["devices"]``).

    ``recorded``: the old index's list (None for one written before it was recorded: its devices are
    "unknown"); ``kept_vectors``: whether the build kept vectors of the old index; ``embedded``:
    whether it made new ones, on ``device``.
    """
    out: set[str] = set()
    if kept_vectors:
        out.update(recorded if recorded is not None else ["unknown"])
    if embedded:
        out.add(device)
    return sorted(out)


def device_of(embedder: object) -> str:
    """The device an embedder makes its vectors on (an embedder that does not say runs on the CPU)."""
    return str(getattr(embedder, "device", "cpu"))


__all__ = [
    "DEVICES",
    "GPU_HINT",
    "CudaEmbedder",
    "choose_device",
    "cuda_problem",
    "device_of",
    "devices_after",
    "gpu_batch",
    "gpu_visible",
    "resolve_device",
]


def devices_record(
    old_extras: Mapping[str, Any] | None, embedder: object, kept: bool, embedded: bool
) -> dict[str, Any]:
    """``{"devices": [...]}`` for a manifest's extras: the devices that made the index's vectors, or
    nothing for an index written before they were recorded whose vectors are all kept as they were."""
    found = old_extras.get("devices") if old_extras else None
    recorded = [str(d) for d in found] if isinstance(found, list) else None
    if recorded is None and kept and not embedded:
        return {}
    return {"devices": devices_after(recorded, kept, embedded, device_of(embedder))}
