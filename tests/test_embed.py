"""The embedder registry, the ONNX fallback and the quantiser's scoped logging, without a model."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Sequence

import numpy as np
import pytest

from parallax.core.errors import InputError, MissingExtraError
from parallax.core.settings import MINILM_ID
from parallax.embed.base import Embedder, Progress
from parallax.embed.fallback import FallbackEmbedder
from parallax.embed.onnx import root_logger_kept
from parallax.embed.registry import get_embedder, register

from .fakes import CHILD_PRELUDE, FAKE_MODEL, FakeEmbedder


def test_the_fake_is_registered_by_the_tests() -> None:
    embedder = get_embedder()  # PARALLAX_MODEL is the fake in every test
    assert isinstance(embedder, FakeEmbedder) and embedder.model_id == FAKE_MODEL
    assert isinstance(get_embedder(FAKE_MODEL), FakeEmbedder)


def test_unknown_model_and_backend_are_refused() -> None:
    with pytest.raises(InputError, match=f"unknown model 'parallax/fake-hash-32'; Parallax supports {MINILM_ID}"):
        get_embedder("parallax/fake-hash-32")  # only what is registered: no parsing of the id
    with pytest.raises(InputError, match="unknown backend 'tpu'; choose one of onnx, onnx-int8, torch"):
        get_embedder(MINILM_ID, backend="tpu")
    with pytest.raises(ValueError, match="register_backend"):
        register(MINILM_ID, FakeEmbedder)


def test_backends_are_built_from_the_registry() -> None:
    onnx = get_embedder(MINILM_ID, backend="onnx-int8")
    assert isinstance(onnx, FallbackEmbedder) and onnx.backend == "onnx-int8"
    assert get_embedder(MINILM_ID, backend="torch").backend == "torch"  # type: ignore[attr-defined]


def test_naming_an_embedder_imports_no_backend() -> None:
    code = CHILD_PRELUDE + (
        "import parallax.embed.registry\n"
        "print(sorted(m for m in ('numpy', 'parallax.embed.onnx', 'parallax.embed.minilm', 'tests.fakes')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


class _Failing:
    """A primary backend whose load raises ``error``."""

    model_id, dim, max_tokens = MINILM_ID, 64, 254

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def load(self) -> None:
        raise self.error

    def embed(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        raise AssertionError("not loaded")

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [0 for _ in texts]


@pytest.mark.parametrize(
    "error", [MissingExtraError("onnxruntime is not installed"), ImportError("torch"), OSError(28, "No space left")]
)
def test_fallback_notes_once_and_uses_the_reference(error: BaseException) -> None:
    notes: list[str] = []
    built: list[Embedder] = []

    def reference() -> Embedder:
        built.append(FakeEmbedder())
        return built[-1]

    embedder = FallbackEmbedder(_Failing(error), reference, notes.append)
    assert embedder.embed(["a cat"]).shape == (1, 64)
    embedder.embed(["a dog"])
    assert len(notes) == 1 and "fast ONNX encoder unavailable" in notes[0] and len(built) == 1


def test_fallback_does_not_hide_a_bug() -> None:
    embedder = FallbackEmbedder(_Failing(NameError("typo")), FakeEmbedder, lambda _: None)
    with pytest.raises(NameError):
        embedder.load()


def test_quiet_root_records_are_scoped(caplog: pytest.LogCaptureFixture) -> None:
    root = logging.getLogger()
    filters = list(root.filters)
    caplog.set_level(logging.INFO)
    with root_logger_kept(logging.ERROR):
        assert root.level == logging.INFO  # the root's level is left alone
        logging.warning("from the quantiser")  # on the root logger: dropped
        logging.getLogger("someone.else").warning("from another library")  # propagates: kept
        logging.error("an error")  # kept
    logging.warning("after the block")  # kept
    assert [r.getMessage() for r in caplog.records] == ["from another library", "an error", "after the block"]
    assert root.filters == filters


def test_root_logger_is_put_back_after_a_library_configures_it() -> None:
    """onnxruntime's quantisation package calls logging.basicConfig when imported: nothing of it may stay."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    with root_logger_kept(logging.ERROR):
        logging.basicConfig(level=logging.DEBUG, force=True)  # what an import inside the block may do
        assert root.level == logging.DEBUG
    assert root.handlers == handlers and root.level == level
