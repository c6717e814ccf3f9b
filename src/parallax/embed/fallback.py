"""A fast backend with a safety net: when it cannot load, say so once and use the reference backend."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from parallax.core.errors import ParallaxError
from parallax.core.report import Notify
from parallax.embed.base import Embedder, Progress
from parallax.embed.onnx import native_failures

if TYPE_CHECKING:
    import numpy as np


def _load_failures() -> tuple[type[BaseException], ...]:
    """What loading the ONNX backend raises when the reference backend may still work.

    - ``ParallaxError``: ``MissingExtraError`` when onnxruntime is not installed.
    - ``ImportError``: torch, transformers or onnx missing or broken when the model must be exported.
    - ``OSError``: the model cache cannot be written or read (read-only home, full disk, a damaged file).
    - ``RuntimeError``: torch's ONNX export (``OnnxExporterError`` derives from it) and the quantiser.
    - ``ValueError``, ``LookupError``: transformers or the quantiser on a model they cannot read.
    - ``TypeError``, ``AttributeError``: an installed torch, transformers or onnxruntime whose API
      differs from the one the export was written for.
    - the native libraries' own exception classes, which derive from ``Exception`` directly:
      onnxruntime's ``Fail``, ``InvalidGraph``, ``NoSuchFile``..., protobuf's ``DecodeError``, onnx's
      ``ValidationError``, safetensors' ``SafetensorError`` (see ``onnx.native_failures``).

    This is evaluated only when ``load`` raised (an ``except`` clause's expression is), so it costs
    nothing on the normal path and names only classes of libraries already imported.
    """
    python = (ParallaxError, ImportError, OSError, RuntimeError, ValueError, LookupError, TypeError, AttributeError)
    return (*python, *native_failures())


class FallbackEmbedder:
    """Use the fast backend; if it cannot load, say so once and build ``fallback`` (sentence-transformers) instead."""

    def __init__(self, primary: Embedder, fallback: Callable[[], Embedder], notify: Notify) -> None:
        self.primary = primary
        self.active: Embedder = primary
        self.model_id = primary.model_id
        self.dim = primary.dim
        self.max_tokens = primary.max_tokens
        self._notify = notify
        self._fallback = fallback
        self._checked = False

    @property
    def backend(self) -> str:
        return str(getattr(self.active, "backend", "torch"))

    @property
    def device(self) -> str:
        return str(getattr(self.active, "device", "cpu"))

    def load(self) -> None:
        if self._checked:
            return
        self._checked = True
        try:
            self.primary.load()
        except _load_failures() as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self._notify(f"note: fast ONNX encoder unavailable ({reason}); using sentence-transformers")
            self.active = self._fallback()
            self.active.load()

    def embed(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        self.load()
        return self.active.embed(texts, batch_size=batch_size, progress=progress)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.active.count_tokens(texts)
