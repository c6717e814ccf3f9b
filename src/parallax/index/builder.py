"""Building and updating an index: the only part of ``parallax.index`` that chunks and embeds.

``update_index`` takes the index lock once, tidies what a dead build left, decides whether the old
index's vectors can be reused, plans what changed (``plan``), assembles the new rows (``assemble``)
and writes them (``writer``). Unchanged documents keep their stored chunks, sentences and vectors;
only new and changed ones are chunked and embedded. When nothing changed, nothing is written.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from parallax.core.errors import InputError
from parallax.embed.device import devices_record
from parallax.index.assemble import Rows, Vectors
from parallax.index.bm25 import BM25Config, BM25Index
from parallax.index.delta import record_of
from parallax.index.engine import LOCAL, Engine, Maker, maker_for
from parallax.index.known import filled
from parallax.index.lock import index_lock
from parallax.index.manifest import Manifest, is_index_dir, read_manifest
from parallax.index.plan import Plan, plan_update
from parallax.index.reuse import Previous, reusable
from parallax.index.staging import check_destination, tidy
from parallax.index.writer import Contents, write_index

if TYPE_CHECKING:
    from typing import Unpack

    from parallax.embed.registry import Embedder
    from parallax.index.reader import Index
    from parallax.ingest.chunk import ChunkerConfig
    from parallax.ingest.document import Corpus, Document

DEFAULT_SENTENCE_WEIGHT = 0.7


@dataclass(frozen=True)
class BuildOptions:
    """How an index is built, beyond its chunker: embedding batch size, BM25 settings, and whether
    sentences get vectors of their own (and their weight against the chunk's in dense scores)."""

    # 8, measured side by side on this project's 2-core CPU (benchmarks/throughput.py): SciFact's chunks and
    # sentences embedded in one call run 1.54x faster than at 64 (results/throughput-batch.json), and 8
    # beat 16, 32 and 64 on the seeds' and SciFact's chunks and sentences alike (results/throughput.json).
    batch_size: int = 8
    bm25: BM25Config | None = None
    sentence_vectors: bool = True
    sentence_weight: float = DEFAULT_SENTENCE_WEIGHT
    ann: str | None = None  # auto|flat|hnsw|ivf (parallax.index.ann); None keeps the index's choice (auto when new)
    engine: Engine = LOCAL  # where new documents are chunked and embedded (parallax.index.engine)


@dataclass
class BuildStats:
    documents: int
    chunks: int
    sentences: int
    skipped: list[tuple[str, str]]
    seconds: float
    embed_seconds: float


@dataclass
class UpdateStats(BuildStats):
    """What an index run did, by document (source names) and by count of vectors computed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # "old -> new": same text under a new name, vectors kept
    skipped_kinds: dict[str, int] = field(default_factory=dict)  # e.g. {"unsupported": 2, "empty": 1}
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    skipped_as_before: bool = False  # the same files were left out by the build before, for the same reasons
    rebuilt: bool = True  # every document chunked and embedded afresh
    reason: str = ""  # why, when an index was there before
    written: bool = True  # False: nothing changed, the index on disk was left as it was
    delta: str = ""  # written as a delta segment beside the base: what it holds, e.g. "delta-000002 (2 segments)"


class RunArgs(TypedDict, total=False):
    """The keywords of ``update_index`` that ``build_index`` passes on."""

    inputs: Sequence[str]
    progress: Callable[[int, int], None] | None
    options: BuildOptions
    wait: float


def update_index(
    corpus: Corpus,
    embedder: Embedder,
    dest: Path,
    config: ChunkerConfig | None = None,
    *,
    inputs: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    options: BuildOptions = BuildOptions(),
    rebuild: bool = False,
    wait: float = 0.0,
) -> UpdateStats:
    """Bring the index at ``dest`` in line with ``corpus``, embedding only what is new or changed.

    Documents are matched by source name and compared by the sha256 of their text: unchanged ones
    keep their chunks, sentences and vectors (copied into the new folder), changed and new ones are
    chunked and embedded, and documents no longer in the corpus are dropped. BM25 is rebuilt over all
    chunks. ``config=None`` keeps the index's chunker settings (defaults for a new index); a config
    that differs from the index's rebuilds it, as does ``rebuild=True``. An index built with another
    model raises ``IndexMismatchError`` unless ``rebuild``. The new index is written to a staged
    folder and swapped in, under the index lock (``wait`` seconds for another build, then
    ``IndexBusyError``). When nothing changed, nothing is written. ``inputs`` (the paths indexed)
    are recorded in the manifest.

    ``progress(done, total)`` is called as texts are embedded. The model is loaded before the clock
    starts, so ``seconds`` is the indexing time proper. With ``options.engine`` remote, the new documents
    are chunked and embedded there (``parallax.index.ray_engine``) and no model is loaded here.
    """
    maker = maker_for(options.engine, embedder, options.batch_size, progress)
    if not options.engine.remote:
        embedder.load()
    t0 = time.perf_counter()
    dest = Path(dest)
    check_destination(dest)
    with index_lock(dest, wait):
        tidy(dest)
        previous = _previous(dest, embedder, config, options.sentence_vectors, rebuild)
        try:
            return _update(corpus, embedder, dest, previous, inputs, progress, options, t0, maker)
        finally:
            if previous.index is not None:
                previous.index.close()
            maker.close()


def build_index(
    corpus: Corpus, embedder: Embedder, dest: Path, config: ChunkerConfig | None = None, **run: Unpack[RunArgs]
) -> UpdateStats:
    """Chunk, embed and write a corpus as a new index at ``dest``, replacing any index there:
    ``update_index(..., rebuild=True)``."""
    return update_index(corpus, embedder, dest, config, rebuild=True, **run)


def write_rows(
    dest: Path,
    docs: Sequence[Document],
    rows: Rows,
    vectors: Vectors,
    embedder: Embedder,
    config: ChunkerConfig,
    *,
    inputs: Sequence[str] = (),
    options: BuildOptions = BuildOptions(),
) -> Manifest:
    """Write a new index at ``dest`` from rows and vectors made elsewhere (another engine, a benchmark)
    exactly as ``update_index`` writes one: the same manifest, ANN structures, BM25 and staged swap,
    under the index lock. ``embedder`` names the model (``model_id``, ``dim``); it is not called."""
    dest = Path(dest)
    check_destination(dest)
    with index_lock(dest, 0.0):
        tidy(dest)
        manifest = _manifest(embedder, config, docs, rows, inputs, options.sentence_weight)
        manifest.ann = _ann(options.ann or "auto", rows)
        _write(dest, docs, rows, vectors, manifest, options.bm25)
    return manifest


def _previous(
    dest: Path, embedder: Embedder, config: ChunkerConfig | None, sentence_vectors: bool, rebuild: bool
) -> Previous:
    """What the index at ``dest`` offers this build (call with the lock held, after ``tidy``)."""
    if not rebuild:
        return reusable(dest, embedder, config, sentence_vectors)
    from parallax.ingest.chunk import ChunkerConfig

    old = read_manifest(dest) if is_index_dir(dest) else None
    return Previous(
        index=None,
        records=tuple(old.documents) if old else (),
        config=config or ChunkerConfig(),
        reason="--rebuild" if is_index_dir(dest) else "",
        skipped=old.recorded_skipped() if old else None,
    )


def _update(
    corpus: Corpus,
    embedder: Embedder,
    dest: Path,
    previous: Previous,
    inputs: Sequence[str],
    progress: Callable[[int, int], None] | None,
    options: BuildOptions,
    t0: float,
    maker: Maker,
) -> UpdateStats:
    config = previous.config
    if config.max_tokens > embedder.max_tokens:
        raise InputError(
            f"max_tokens {config.max_tokens} exceeds what {embedder.model_id} reads ({embedder.max_tokens})"
        )
    docs = list(corpus.documents)
    plan = plan_update(previous.records, docs, previous.stale)
    reason = previous.reason
    if plan.redo:
        reason = f"{len(plan.redo)} Markdown/HTML documents re-chunked: the index predates heading paths"
    old = previous.index
    skipped = _skipped(corpus)
    if old is not None and _delta_allowed(old, options):
        done = _try_delta(corpus, embedder, dest, previous, plan, options, progress, skipped, maker)
        if done is not None:
            done.seconds = time.perf_counter() - t0
            done.skipped_as_before = bool(skipped) and previous.skipped == skipped
            return done
    docs = filled(docs, old, dest)
    reuse = old.reusable_rows(plan.keep) if old is not None else {}
    rows = maker.rows(docs, plan, reuse, config, embedder, options.sentence_vectors)
    vectors = maker.vectors(rows, embedder, old, options.batch_size, progress)
    manifest = _manifest(embedder, config, docs, rows, inputs, options.sentence_weight)
    manifest.ann = _ann(options.ann or (old.manifest.ann.get("requested") if old else None) or "auto", rows)
    manifest.extras["skipped"] = [list(pair) for pair in sorted(skipped)]
    kept = any(o >= 0 for o in rows.chunk_origin)
    manifest.extras.update(
        devices_record(
            old.manifest.extras if old else None, embedder, kept, bool(rows.new_chunks or rows.new_sentences)
        )
    )
    written = not (old is not None and _nothing_new(rows, manifest, old.manifest, options.bm25))
    if written:
        _write(dest, docs, rows, vectors, manifest, options.bm25)
    stats = _stats(corpus, rows, plan, vectors, t0, rebuilt=old is None, reason=reason, written=written)
    stats.skipped_as_before = bool(skipped) and previous.skipped == skipped
    return stats


def _delta_allowed(old: Index, options: BuildOptions) -> bool:
    """Whether the options leave the index's settings as they are (a change of settings rewrites it)."""
    m = old.manifest
    recorded = m.extras.get("bm25", {})
    same_bm25 = options.bm25 is None or (recorded.get("k1"), recorded.get("b")) == (options.bm25.k1, options.bm25.b)
    same_weight = not m.sentence_count or m.dense.get("sentence_weight") == options.sentence_weight
    return options.ann in (None, m.ann.get("requested")) and same_bm25 and same_weight


def _try_delta(
    corpus: Corpus,
    embedder: Embedder,
    dest: Path,
    previous: Previous,
    plan: Plan,
    options: BuildOptions,
    progress: Callable[[int, int], None] | None,
    skipped: frozenset[tuple[str, str]],
    maker: Maker,
) -> UpdateStats | None:
    """Write the update as a delta segment when ``parallax.index.delta.fits`` says it may; None otherwise."""
    from parallax.index import delta
    from parallax.index.delta import DeltaUpdate, fits, write_delta

    old = previous.index
    assert old is not None
    fresh = set(plan.added) | set(plan.updated)
    if not fresh and not plan.removed:
        return None  # nothing changed: the full path finds that nothing is to be written
    docs = list(corpus.documents)
    fresh_docs = [d for d in docs if d.source in fresh]
    rows = Rows()
    if fresh_docs:
        with_sentences = bool(old.manifest.sentence_count)
        rows = maker.rows(fresh_docs, Plan(added=tuple(fresh)), {}, previous.config, embedder, with_sentences)
    if not fits(old, plan, len(rows.chunks) + len(rows.sentences)):
        return None
    vectors = maker.vectors(rows, embedder, None, options.batch_size, progress)
    update = DeltaUpdate(fresh_docs, rows if rows.chunks else None, vectors)
    extras = {
        "skipped": [list(pair) for pair in sorted(skipped)],
        **devices_record(old.manifest.extras, embedder, True, bool(rows.chunks)),
    }
    manifest = write_delta(dest, old, docs, plan, update, extras)
    stats = _stats(corpus, rows, plan, vectors, 0.0, rebuilt=False, reason="", written=True)
    stats.chunks, stats.sentences = manifest.live_counts()
    stored = sum(int(x["chunks"]) + int(x["sentences"]) for x in manifest.segments)
    stats.delta = (
        f"{len(manifest.segments)} delta segments of {stored:,} vectors beside the base, "
        f"merged into it past {delta.DELTA_LIMIT:,}"
    )
    return stats


def _skipped(corpus: Corpus) -> frozenset[tuple[str, str]]:
    """The files a corpus left out, by absolute path (the same file, whatever folder a run starts in)."""
    return frozenset((os.path.abspath(s.path), s.reason) for s in corpus.skipped)


def _manifest(
    embedder: Embedder,
    config: ChunkerConfig,
    docs: Sequence[Document],
    rows: Rows,
    inputs: Sequence[str],
    sentence_weight: float,
) -> Manifest:
    """The manifest of the new index, before BM25 settings and file sizes are recorded."""
    per_doc: dict[str, int] = {}
    for c in rows.chunks:
        per_doc[c.source] = per_doc.get(c.source, 0) + 1
    with_sentences = bool(rows.sentences)
    return Manifest(
        model_id=embedder.model_id,
        dim=embedder.dim,
        chunker=config.to_dict(),
        documents=[record_of(d, per_doc.get(d.source, 0)) for d in docs],
        chunk_count=len(rows.chunks),
        inputs=[str(Path(p).expanduser().resolve()) for p in inputs],
        created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        sentence_count=len(rows.sentences),
        dense={
            "sentence_vectors": with_sentences,
            "chunk_weight": round(1 - sentence_weight, 4) if with_sentences else 1.0,
            "sentence_weight": sentence_weight if with_sentences else 0.0,
        },
    )


def _ann(requested: str, rows: Rows) -> dict[str, Any]:
    """The ANN structure of each matrix for ``requested``, as the manifest records them
    (``parallax.index.ann.choose_for_index``)."""
    from parallax.index.ann import choose_for_index

    specs = choose_for_index(len(rows.chunks), len(rows.sentences), requested)
    out: dict[str, Any] = {"requested": requested, "chunks": specs["chunks"].to_dict()}
    if rows.sentences:
        out["sentences"] = specs["sentences"].to_dict()
    return out


def _nothing_new(rows: Rows, manifest: Manifest, old: Manifest, bm25: BM25Config | None) -> bool:
    """Nothing to embed, nothing gone, same settings: the index on disk is already this one (and
    bm25s need not be imported)."""
    if rows.new_chunks or rows.new_sentences:
        return False
    old_bm25 = old.extras.get("bm25")
    if not isinstance(old_bm25, dict):
        return False
    if any(old_bm25.get(k) != v for k, v in asdict(bm25 or BM25Config()).items()):
        return False
    return replace(manifest, extras={**manifest.extras, "bm25": old_bm25}).same_content(old)


def _write(
    dest: Path, docs: Sequence[Document], rows: Rows, vectors: Vectors, manifest: Manifest, bm25: BM25Config | None
) -> None:
    index = BM25Index.build([c.embed_text for c in rows.chunks], bm25)
    contents = Contents(
        docs=docs,
        chunks=rows.chunks,
        vectors=vectors.chunks,
        sentences=rows.sentences,
        sentence_vectors=vectors.sentences if rows.sentences else None,
        members=rows.members,
    )
    write_index(
        dest, contents, replace(manifest, extras={**manifest.extras, "bm25": index.config.to_dict()}), [index.save]
    )


def _stats(
    corpus: Corpus, rows: Rows, plan: Plan, vectors: Vectors, t0: float, *, rebuilt: bool, reason: str, written: bool
) -> UpdateStats:
    kinds: dict[str, int] = {}
    for s in corpus.skipped:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    return UpdateStats(
        documents=len(corpus.documents),
        chunks=len(rows.chunks),
        sentences=len(rows.sentences),
        skipped=[(s.path, s.reason) for s in corpus.skipped],
        seconds=time.perf_counter() - t0,
        embed_seconds=vectors.embed_seconds,
        added=list(plan.added),
        updated=list(plan.updated),
        removed=list(plan.removed),
        unchanged=list(plan.unchanged),
        moved=[f"{old} -> {new}" for new, old in plan.moved],
        skipped_kinds=kinds,
        chunks_embedded=len(rows.new_chunks),
        sentences_embedded=len(rows.new_sentences),
        rebuilt=rebuilt,
        reason=reason,
        written=written,
    )
