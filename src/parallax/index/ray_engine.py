"""``--engine ray``: new and changed documents chunked and embedded on a Ray cluster with Ray Data.

What runs where. The driver (the process running ``parallax index``) reads the files, plans the
update exactly as the local engine does (``plan``, ``reuse``, ``known``: unchanged files are not even
read) and writes the index (``builder``: same manifest, lock and staged swap). Only the documents to
embed go to the cluster, their text shipped with them: the workers need not see the files. There,
``map_batches`` hands batches of documents to a pool of actors, each holding one model (a GPU each
when the cluster has GPUs); an actor chunks its documents with the same code as the local engine
(``Rows.chunk_afresh``) and embeds their chunks and sentences. The driver puts the rows and vectors
back in corpus order, beside the stored ones of the documents it keeps.

Ray is imported only when a build has something to send to the cluster; ``require_ray`` checks
it is installed before anything is read (``pip install 'parallax[ray]'``).
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from parallax.core.errors import InputError, MissingExtraError, ParallaxError
from parallax.index.assemble import Rows, Vectors, vectors_for
from parallax.index.engine import RAY_INSTALL_HINT, Engine

if TYPE_CHECKING:
    from parallax.embed.base import Embedder, Progress
    from parallax.index.plan import Plan
    from parallax.index.reader import Index
    from parallax.index.store import ReusableRows
    from parallax.index.writer import SentenceSpan
    from parallax.ingest.chunk import Chunk, ChunkerConfig
    from parallax.ingest.document import Document

CPUS_PER_ACTOR = 4  # the ONNX encoder runs min(cores, 4) threads: a CPU actor reserves as many


def require_ray() -> Any:
    """The ``ray`` module with Ray Data, or ``MissingExtraError`` naming the install command."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise MissingExtraError(f"--engine ray needs Ray Data, which is not installed: {RAY_INSTALL_HINT}") from None
    return ray


@dataclass
class DocRows:
    """One document chunked and embedded by a worker. ``members`` count sentences from the document's
    first; the vectors are in the order of ``chunks`` and ``sentences``."""

    source: str
    sha256: str
    chunks: list[Chunk]
    sentences: list[SentenceSpan]
    members: list[list[int]]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray


def chunk_and_embed(
    docs: Sequence[Document], embedder: Embedder, config: ChunkerConfig, sentence_vectors: bool, batch_size: int
) -> list[DocRows]:
    """What a worker does with a batch of documents: chunk each as the local engine does, then embed
    all their chunks and sentences in one call (chunks first, as ``vectors_for`` does)."""
    per_doc = []
    for doc in docs:
        rows = Rows()
        rows.chunk_afresh(doc, config, embedder, sentence_vectors)
        per_doc.append(rows)
    texts = [c.vector_text for r in per_doc for c in r.chunks] + [s.plain for r in per_doc for s in r.sentences]
    vectors = embedder.embed(texts, batch_size=batch_size) if texts else np.zeros((0, embedder.dim), np.float32)
    n_chunks = sum(len(r.chunks) for r in per_doc)
    chunk_vecs, sent_vecs = vectors[:n_chunks], vectors[n_chunks:]
    out, c, s = [], 0, 0
    for doc, r in zip(docs, per_doc):
        nc, ns = len(r.chunks), len(r.sentences)
        out.append(
            DocRows(
                doc.source, doc.sha256, r.chunks, r.sentences, r.members, chunk_vecs[c : c + nc], sent_vecs[s : s + ns]
            )
        )
        c, s = c + nc, s + ns
    return out


# What sends documents somewhere to be chunked and embedded: (documents, chunker, sentence vectors?) -> their rows.
Runner = Callable[[Sequence["Document"], "ChunkerConfig", bool], Iterator[DocRows]]


@dataclass
class RemoteRows:
    """The rows and vectors of an update whose new documents ``run`` chunks and embeds elsewhere; the
    builder's stand-in for ``assemble`` and ``vectors_for``. A document is sent once per build, even
    when the builder asks twice (a delta that does not fit is written again in full)."""

    run: Runner
    seconds: float = 0.0  # spent waiting for the runner
    _done: dict[tuple[str, str, bool], DocRows] = field(default_factory=dict)
    _fresh: dict[int, tuple[Rows, np.ndarray]] = field(default_factory=dict)  # id(rows) -> new vectors in order

    def rows(
        self,
        docs: Sequence[Document],
        plan: Plan,
        reuse: Mapping[str, ReusableRows],
        config: ChunkerConfig,
        embedder: Embedder,
        sentence_vectors: bool,
    ) -> Rows:
        """``assemble``'s rows, the new ones made by ``run``."""
        moved = dict(plan.moved)

        def stored(doc: Document) -> ReusableRows | None:
            return reuse.get(moved.get(doc.source, doc.source))

        def key(doc: Document) -> tuple[str, str, bool]:
            return (doc.source, doc.sha256, sentence_vectors)

        todo = [d for d in docs if stored(d) is None and key(d) not in self._done]
        if todo:
            t0 = time.perf_counter()
            for got in self.run(todo, config, sentence_vectors):
                self._done[(got.source, got.sha256, sentence_vectors)] = got
            self.seconds += time.perf_counter() - t0
        rows, chunk_vecs, sent_vecs = Rows(), [], []
        for doc in docs:
            kept = stored(doc)
            if kept is not None:
                rows.copy_stored(doc, kept)
                continue
            got = self._done[key(doc)]
            first = len(rows.sentences)
            rows.sentences.extend(got.sentences)
            rows.sentence_origin.extend([-1] * len(got.sentences))
            rows.chunks.extend(got.chunks)
            rows.chunk_origin.extend([-1] * len(got.chunks))
            rows.members.extend([first + j for j in m] for m in got.members)
            chunk_vecs.append(got.chunk_vectors)
            sent_vecs.append(got.sentence_vectors)
        if not rows.chunks:
            raise InputError("the documents hold no text to index")
        if not sentence_vectors:
            rows.members = []
        fresh = np.concatenate([*chunk_vecs, *sent_vecs]) if chunk_vecs else np.zeros((0, embedder.dim), np.float32)
        self._fresh[id(rows)] = (rows, fresh)
        return rows

    def vectors(
        self,
        rows: Rows,
        embedder: Embedder,
        previous: Index | None,
        batch_size: int,
        progress: Callable[[int, int], None] | None,
    ) -> Vectors:
        """``vectors_for``'s vectors: the new ones as ``run`` made them, the kept ones copied from ``previous``."""
        made, fresh = self._fresh.pop(id(rows), (rows, np.zeros((0, embedder.dim), np.float32)))
        assert made is rows, "vectors() is asked for the rows that rows() returned"
        got = vectors_for(rows, _Made(embedder, fresh), previous, batch_size, None)
        return replace(got, embed_seconds=self.seconds)

    def close(self) -> None:
        close = getattr(self.run, "close", None)
        if close is not None:
            close()


class _Made:
    """An embedder that answers with vectors already made, in the order ``vectors_for`` asks for them."""

    def __init__(self, embedder: Embedder, vectors: np.ndarray) -> None:
        self.model_id, self.dim, self.max_tokens = embedder.model_id, embedder.dim, embedder.max_tokens
        self._vectors = vectors

    def embed(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        if len(texts) != len(self._vectors):
            raise AssertionError(f"{len(texts)} texts to embed, {len(self._vectors)} vectors made")
        return self._vectors

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        raise AssertionError("the texts were chunked on the cluster")

    def load(self) -> None:
        return None


class ChunkEmbedActor:
    """A Ray Data actor: one model, loaded once; each call chunks and embeds a batch of documents."""

    def __init__(
        self, model_id: str, backend: str, config: ChunkerConfig, sentence_vectors: bool, batch_size: int
    ) -> None:
        from parallax.embed.registry import get_embedder

        self.embedder = get_embedder(model_id, backend=backend, device="auto")  # a GPU actor embeds on its GPU
        self.embedder.load()
        self.config, self.sentence_vectors, self.batch_size = config, sentence_vectors, batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        docs = [pickle.loads(blob) for blob in batch["doc"]]
        done = chunk_and_embed(docs, self.embedder, self.config, self.sentence_vectors, self.batch_size)
        return {"rows": np.array([pickle.dumps(d, protocol=5) for d in done], dtype=object)}


class RayRunner:
    """Sends documents to a Ray cluster (``engine.address``, ``$RAY_ADDRESS``, or a Ray started here on
    first use and stopped by ``close``) and yields their rows as actors finish them."""

    def __init__(
        self,
        engine: Engine,
        model_id: str,
        backend: str,
        batch_size: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.engine, self.model_id, self.backend, self.batch_size = engine, model_id, backend, batch_size
        self.progress = progress
        self._started = False

    def __call__(self, docs: Sequence[Document], config: ChunkerConfig, sentence_vectors: bool) -> Iterator[DocRows]:
        ray = self._connect()
        actors, gpus, cpus = self._pool(ray, len(docs))
        ds = ray.data.from_items([{"doc": pickle.dumps(d, protocol=5)} for d in docs])
        out = ds.map_batches(
            ChunkEmbedActor,
            fn_constructor_kwargs={
                "model_id": self.model_id,
                "backend": self.backend,
                "config": config,
                "sentence_vectors": sentence_vectors,
                "batch_size": self.batch_size,
            },
            batch_size=max(1, min(self.engine.docs_per_batch, math.ceil(len(docs) / actors))),
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=cpus,
            num_gpus=gpus or None,
        )
        done = 0
        try:
            for batch in out.iter_batches(batch_size=None, batch_format="numpy"):
                for blob in batch["rows"]:
                    done += 1
                    if self.progress:
                        self.progress(done, len(docs))
                    yield pickle.loads(blob)
        except ParallaxError:
            raise
        except Exception as exc:  # a worker's error, wrapped by Ray: its last line says what it was
            lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
            raise ParallaxError(
                f"the Ray cluster failed to embed the documents: {lines[-1] if lines else exc!r}"
            ) from exc

    def _connect(self) -> Any:
        ray = require_ray()
        if not ray.is_initialized():
            address = self.engine.address or os.environ.get("RAY_ADDRESS") or None
            local = {} if address else {"include_dashboard": False}
            try:
                ray.init(address=address, logging_level=logging.WARNING, configure_logging=True, **local)
            except (ConnectionError, TimeoutError, ValueError) as exc:
                raise InputError(
                    f"cannot join the Ray cluster at {address}: {exc} (a cluster started by `ray start` with Ray "
                    "2.59 or later checks a token: set RAY_AUTH_MODE=token, and RAY_AUTH_TOKEN to the output "
                    "of `ray get-auth-token` on its head when this machine is not the head)"
                ) from None
            self._started = True
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # the CLI shows its own bar, by document
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # not a line per dataset started and finished
        return ray

    def _pool(self, ray: Any, n_docs: int) -> tuple[int, int, float]:
        """Actors, GPUs per actor and CPUs per actor: a GPU each where the cluster has GPUs."""
        resources = ray.cluster_resources()
        gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 1))
        per_actor = 1 if gpus else max(1, min(CPUS_PER_ACTOR, cpus))
        actors = self.engine.actors or gpus or max(1, cpus // per_actor)
        return max(1, min(actors, n_docs)), 1 if gpus else 0, per_actor

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False


def ray_rows(
    engine: Engine, embedder: Embedder, batch_size: int, progress: Callable[[int, int], None] | None
) -> RemoteRows:
    """The builder's rows and vectors for ``--engine ray``: the model that ``embedder`` names, run on the cluster's
    actors with the backend this process would use (``$PARALLAX_BACKEND``)."""
    from parallax.core.settings import backend

    require_ray()
    return RemoteRows(RayRunner(engine, embedder.model_id, backend(), batch_size, progress))
