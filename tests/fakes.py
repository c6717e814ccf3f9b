"""The fake embedder of the unit tests, and how a child process gets it too.

``FakeEmbedder`` is deterministic and instant: a hashed bag of words, stable across runs and
machines. ``conftest.py`` registers it as ``parallax/fake-hash-64`` (the model id that test indexes
record) for every test. A test that starts another Python needs it registered there as well: start
``-c`` code with ``CHILD_PRELUDE``, or run the CLI with ``parallax_argv(...)``.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from parallax.embed.base import Progress, normalise_rows
from parallax.embed.registry import register

FAKE_MODEL = "parallax/fake-hash-64"
FAKE_DIM = 64
ROOT = Path(__file__).resolve().parents[1]

_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    """Deterministic lexical embedder for tests: each word adds a hashed signed unit to the vector.

    Texts that share words are similar; texts that share none are orthogonal (up to hash
    collisions), which gives tests known geometry without a model.
    """

    def __init__(self, dim: int = FAKE_DIM, max_tokens: int = 254) -> None:
        self.dim = dim
        self.max_tokens = max_tokens
        self.model_id = f"parallax/fake-hash-{dim}"
        self.calls = 0
        self.texts_embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
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
        return normalise_rows(out)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_TOKEN.findall(t)) for t in texts]

    def load(self) -> None:
        return None


def register_fake() -> None:
    """Make ``get_embedder("parallax/fake-hash-64")`` (and ``PARALLAX_MODEL`` set to it) build the fake."""
    register(FAKE_MODEL, FakeEmbedder)


# Python code that registers the fake in a child process. It imports neither numpy nor this module
# until the fake is built, so that a child can still check which modules a command imports.
CHILD_PRELUDE = (
    "import sys\n"
    f"sys.path.insert(0, {str(ROOT)!r})\n"
    "from parallax.embed.registry import register as _register\n"
    "def _fake():\n"
    "    from tests.fakes import FakeEmbedder\n"
    "    return FakeEmbedder()\n"
    f"_register({FAKE_MODEL!r}, _fake)\n"
)

_RUN_PARALLAX = "import runpy\nrunpy.run_module('parallax', run_name='__main__', alter_sys=True)\n"


def parallax_argv(*args: str) -> list[str]:
    """``python -m parallax ARGS`` with the fake registered: the same entry point, exit codes and output."""
    return [sys.executable, "-c", CHILD_PRELUDE + _RUN_PARALLAX, *args]
