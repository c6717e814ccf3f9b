"""Where an index's new documents are chunked and embedded: in this process (``local``, the default) or
on a Ray cluster (``ray``, ``parallax.index.ray_engine``; ``pip install 'parallax[ray]'``). ``maker_for``
gives the builder the engine's way of making rows and vectors.

Either way the process that runs the build plans the update and writes the index: the engine only
turns new and changed documents into rows and vectors. This module imports nothing heavy (numpy, a
model and Ray are imported when a build runs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from parallax.core.errors import InputError

if TYPE_CHECKING:
    from parallax.embed.base import Embedder
    from parallax.index.assemble import Rows, Vectors
    from parallax.index.plan import Plan
    from parallax.index.reader import Index
    from parallax.index.store import ReusableRows
    from parallax.ingest.chunk import ChunkerConfig
    from parallax.ingest.document import Document

ENGINES = ("local", "ray")
RAY_INSTALL_HINT = "pip install 'parallax[ray]'"


@dataclass(frozen=True)
class Engine:
    """``kind``: local or ray. ``address``: the Ray cluster to join (``ray.init(address=...)``: host:6379,
    ``ray://host:10001``, ``auto``); None reads ``$RAY_ADDRESS``, else starts a Ray on this machine.
    ``actors``: models loaded at once (one per actor); None: one per GPU of the cluster, or one per CPU
    when it has none. ``docs_per_batch``: documents an actor is handed at a time."""

    kind: str = "local"
    address: str | None = None
    actors: int | None = None
    docs_per_batch: int = 16

    @property
    def remote(self) -> bool:
        return self.kind != "local"


LOCAL = Engine()


class Maker(Protocol):
    """What makes an update's rows and vectors for the builder: ``assemble`` and ``vectors_for`` (local), or
    an engine's stand-ins for them (``ray_engine.RemoteRows``)."""

    def rows(
        self,
        docs: Sequence[Document],
        plan: Plan,
        reuse: Mapping[str, ReusableRows],
        config: ChunkerConfig,
        embedder: Embedder,
        sentence_vectors: bool,
    ) -> Rows: ...

    def vectors(
        self,
        rows: Rows,
        embedder: Embedder,
        previous: Index | None,
        batch_size: int,
        progress: Callable[[int, int], None] | None,
    ) -> Vectors: ...

    def close(self) -> None: ...


class LocalRows:
    """The local engine: chunk and embed in this process."""

    def rows(
        self,
        docs: Sequence[Document],
        plan: Plan,
        reuse: Mapping[str, ReusableRows],
        config: ChunkerConfig,
        embedder: Embedder,
        sentence_vectors: bool,
    ) -> Rows:
        from parallax.index.assemble import assemble

        return assemble(docs, plan, reuse, config, embedder, sentence_vectors)

    def vectors(
        self,
        rows: Rows,
        embedder: Embedder,
        previous: Index | None,
        batch_size: int,
        progress: Callable[[int, int], None] | None,
    ) -> Vectors:
        from parallax.index.assemble import vectors_for

        return vectors_for(rows, embedder, previous, batch_size, progress)

    def close(self) -> None:
        return None


def maker_for(
    engine: Engine, embedder: Embedder, batch_size: int, progress: Callable[[int, int], None] | None
) -> Maker:
    """The rows and vectors of a build on ``engine`` (``ray``: checks Ray is installed; starts nothing yet)."""
    if engine.kind == "ray":
        from parallax.index.ray_engine import ray_rows

        return ray_rows(engine, embedder, batch_size, progress)
    if engine.remote:
        raise InputError(f"unknown engine {engine.kind!r}; choose one of {', '.join(ENGINES)}")
    return LocalRows()
