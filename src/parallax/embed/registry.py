"""The embedder registry: which code builds the embedder for a model id.

MiniLM (``sentence-transformers/all-MiniLM-L6-v2``) is the model Parallax ships, and it has
backends, chosen by ``PARALLAX_BACKEND`` or ``get_embedder(backend=...)``: ``onnx`` (default: fast,
no torch), ``onnx-int8`` (its int8 version) and ``torch`` (sentence-transformers, the reference).
All give the same model id: the ONNX vectors match the reference ones (cosine >= 0.999, tested).
Other models are registered with ``register(model_id, factory)`` (the tests register their fake).

A factory is called only when its embedder is asked for, and each imports its module then: this
module imports neither numpy nor a backend, so naming an embedder costs nothing.

The two tables below are the registry's state, filled here with the built-in entries and extended
by ``register``; that is the one piece of process-wide state in ``embed``, and it is the point of it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from parallax.core import settings
from parallax.core.errors import InputError
from parallax.core.report import note
from parallax.core.settings import MINILM_ID
from parallax.embed.base import Embedder

Factory = Callable[[], Embedder]

__all__ = ["MINILM_ID", "Embedder", "Factory", "default_model_id", "get_embedder", "register", "register_backend"]

_MODELS: dict[str, Factory] = {}  # model id -> factory, for models other than MiniLM
_BACKENDS: dict[str, Factory] = {}  # MiniLM backend name -> factory, in the order they are listed to users


def register(model_id: str, factory: Factory) -> None:
    """Make ``get_embedder(model_id)`` return ``factory()``; a later registration of the same id replaces it."""
    if model_id == MINILM_ID:
        raise ValueError(f"{MINILM_ID} is built by its backends: use register_backend")
    _MODELS[model_id] = factory


def register_backend(name: str, factory: Factory) -> None:
    """Add (or replace) a way to run MiniLM, chosen by ``PARALLAX_BACKEND=name``."""
    _BACKENDS[name] = factory


def default_model_id() -> str:
    """The model in use: ``$PARALLAX_MODEL`` or MiniLM."""
    return settings.model_id()


def get_embedder(model_id: str | None = None, backend: str | None = None, device: str | None = None) -> Embedder:
    """The embedder for a model id (default: ``default_model_id()``), built by its registered factory.

    For MiniLM, ``backend`` (default: ``$PARALLAX_BACKEND`` or ``onnx``) picks the factory. ``device``
    (``auto``, ``cpu`` or ``cuda``: ``parallax.embed.device``) may put MiniLM on a CUDA GPU instead;
    None leaves the backend where it runs (ONNX on the CPU). Other models run where their factory puts them.
    """
    model_id = model_id or default_model_id()
    if device not in (None, "cpu") and _on_cuda(device, model_id):
        from parallax.embed.device import CudaEmbedder

        return CudaEmbedder()
    if model_id == MINILM_ID:
        name = backend or settings.backend()
        factory = _BACKENDS.get(name)
        if factory is None:
            raise InputError(f"unknown backend {name!r}; choose one of {', '.join(_BACKENDS)}")
        return factory()
    factory = _MODELS.get(model_id)
    if factory is None:
        raise InputError(f"unknown model {model_id!r}; Parallax supports {MINILM_ID}")
    return factory()


def _on_cuda(device: str, model_id: str) -> bool:
    """Whether ``device`` (auto or cuda) puts ``model_id`` on a CUDA GPU; only MiniLM has a CUDA path."""
    from parallax.embed.device import choose_device, resolve_device

    if model_id != MINILM_ID:
        if device == "cuda":
            raise InputError(f"--device cuda runs {MINILM_ID} only, not {model_id!r}")
        choose_device(device, "")  # an unknown --device is still refused
        return False
    return resolve_device(device) == "cuda"


# ---------------------------------------------------------------------------------------------
# The built-in MiniLM backends.


def _torch() -> Embedder:
    from parallax.embed.minilm import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


def _onnx(int8: bool) -> Embedder:
    """onnxruntime, falling back to sentence-transformers (with a note) when the ONNX model cannot load."""
    from parallax.embed.fallback import FallbackEmbedder
    from parallax.embed.onnx import OnnxEmbedder

    return FallbackEmbedder(OnnxEmbedder(int8=int8), _torch, note)


register_backend("onnx", partial(_onnx, False))
register_backend("onnx-int8", partial(_onnx, True))
register_backend("torch", _torch)
