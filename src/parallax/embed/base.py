"""What the rest of Parallax sees of an embedding model: the ``Embedder`` protocol.

An embedder has a model id, a dimension, a token budget, a token counter and ``embed``, which
returns unit-length float32 rows. This module imports no numpy at run time, so that the registry
(which names embedders without building one) stays free to import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

Progress = Callable[[int], None]  # called with the number of texts embedded since the last call


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


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to unit length (zero rows stay zero), as contiguous float32."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)
