"""How `parallax topics` chooses its clusters, measured side by side on three real indexes (issue 12).

Each variant replaces only the clustering step of ``discover_topics`` (units, the miscellany rule,
labels and coverage are the same), and runs on the same indexes, built beforehand with the real model:

    PYTHONPATH=src python -m parallax index seeds --index /tmp/topics-k/seeds-idx
    PYTHONPATH=src python -m parallax index ../shared/datasets/basil-dev/corpus --index /tmp/topics-k/basil-idx
    PYTHONPATH=src python -m parallax index /tmp/messy --index /tmp/topics-k/messy-idx

(/tmp/messy: about 190 files of /usr/share/doc, copyrights, changelogs, READMEs, HTML and Markdown
pages, some gunzipped, the extensionless ones copied with a .txt suffix; never part of the repo.)

    PYTHONPATH=src python benchmarks/topics_k.py --seeds /tmp/topics-k/seeds-idx \
        --basil /tmp/topics-k/basil-idx --messy /tmp/topics-k/messy-idx

Per variant and corpus: the number of topics, the share of text left as "other", the largest topic's
share and the seconds taken; on the seeds, which of the subjects the integration test names appear in
the labels; on basil-dev (50 events x 3 outlets), NMI and ARI between each article's majority topic
and its event. Writes benchmarks/results/topics-k.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from parallax.analyze import clusters, topics
from parallax.analyze.clusters import Clustering, reduce
from parallax.analyze.topic_map import TopicMap
from parallax.bench.environment import environment
from parallax.index.reader import Index

HERE = Path(__file__).parent
BASIL = HERE.parent.parent / "shared" / "datasets" / "basil-dev"
SEEDS_SUBJECTS = ("liaison office", "south korea", "china", "ukraine", "vilnius", "japan")

Variant = Callable[[np.ndarray, np.ndarray, int | None], Clustering]


def _silhouette_over(ks: Callable[[int], range]) -> Variant:
    """k-means with the k of ``ks(units)`` that has the best cosine silhouette."""

    def run(vectors: np.ndarray, fit: np.ndarray, k: int | None = None) -> Clustering:
        saved = clusters.k_range
        clusters.k_range = ks  # type: ignore[assignment]
        try:
            return clusters.cluster(vectors, fit)
        finally:
            clusters.k_range = saved  # type: ignore[assignment]

    return run


def _hdbscan(assign_noise: bool) -> Variant:
    """BERTopic's clustering without UMAP: HDBSCAN (scikit-learn) on the PCA vectors, min_cluster_size
    grown with the corpus; noise left as other, or given to the nearest cluster."""

    def run(vectors: np.ndarray, fit: np.ndarray, k: int | None = None) -> Clustering:
        from sklearn.cluster import HDBSCAN
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            x, _ = reduce(vectors, fit)
            n_fit = int(fit.sum())
            found = HDBSCAN(min_cluster_size=max(10, n_fit // 100), copy=True).fit(x[fit]).labels_
        n = int(found.max()) + 1
        if n < 1:
            return Clustering(np.zeros(len(vectors), dtype=np.int64), 1, {})
        centroids = clusters.unit_rows(np.vstack([x[fit][found == c].mean(axis=0) for c in range(n)]))
        labels = np.argmax(x @ centroids.T, axis=1)
        fit_labels = labels[fit]
        if not assign_noise:
            fit_labels = np.where(found >= 0, found, -1)
        labels[fit] = fit_labels
        return Clustering(labels.astype(np.int64), n, {})

    return run


def _fixed_k(rule: Callable[[int], int]) -> Variant:
    def run(vectors: np.ndarray, fit: np.ndarray, k: int | None = None) -> Clustering:
        return clusters.cluster(vectors, fit, rule(int(fit.sum())))

    return run


def _adopted(vectors: np.ndarray, fit: np.ndarray, k: int | None = None) -> Clustering:
    return clusters.cluster(vectors, fit, k)


VARIANTS: dict[str, Variant] = {
    "silhouette 2..12 (before)": _silhouette_over(lambda n: range(2, min(12, n // 8, n - 1) + 1)),
    "silhouette 2..24": _silhouette_over(lambda n: range(2, min(24, n // 8, n - 1) + 1)),
    "hdbscan, noise other": _hdbscan(False),
    "hdbscan, noise assigned": _hdbscan(True),
    "k-means, k = sqrt(n/8)": _fixed_k(lambda n: int(np.clip(round(np.sqrt(n / 8)), 2, 40))),
    "silhouette, sqrt(n/8)..2x (adopted)": _adopted,
}


def run_variant(variant: Variant, index: Index) -> tuple[TopicMap, float]:
    saved = topics.cluster
    topics.cluster = variant  # type: ignore[assignment]
    try:
        t0 = time.perf_counter()
        tm = topics.discover_topics(index)
        return tm, time.perf_counter() - t0
    finally:
        topics.cluster = saved  # type: ignore[assignment]


def summary(tm: TopicMap, seconds: float) -> dict[str, Any]:
    total = sum(s.chars for s in tm.sources) or 1
    other = sum(o * s.chars for o, s in zip(tm.other, tm.sources)) / total
    return {
        "topics": len(tm.topics),
        "k": tm.k,
        "other": round(other, 4),
        "largest": round(max((t.share for t in tm.topics), default=0.0), 4),
        "seconds": round(seconds, 2),
        "labels": [t.label for t in tm.topics],
    }


def basil_scores(tm: TopicMap, index: Index, events: Path) -> dict[str, float]:
    """NMI and ARI between each article's majority topic (other counts as a label) and its event."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    event_of = {}
    for line in events.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        for article in event["articles"].values():
            event_of[article["file"]] = event["triplet"]
    units = [s for s, _, _ in _spans(index)]
    by_source: dict[str, Counter[int]] = {}
    for source, topic in zip(units, tm.assignments):
        by_source.setdefault(source, Counter())[topic] += 1
    truth, found = [], []
    for source, counts in by_source.items():
        event = next((e for f, e in event_of.items() if source.endswith(f)), None)
        if event is None:
            continue
        in_topics = Counter({t: c for t, c in counts.items() if t != -1}) or counts
        truth.append(event)
        found.append(in_topics.most_common(1)[0][0])
    return {
        "articles": len(truth),
        "nmi": round(float(normalized_mutual_info_score(truth, found)), 4),
        "ari": round(float(adjusted_rand_score(truth, found)), 4),
    }


def _spans(index: Index) -> list[tuple[str, int, int]]:
    matrix = index.sentence_matrix()
    if matrix is not None and len(matrix):
        return index.sentence_spans()
    return [(c.source, c.start, c.end) for c in index.all_chunks()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=Path)
    parser.add_argument("--basil", type=Path)
    parser.add_argument("--messy", type=Path)
    parser.add_argument("--events", type=Path, default=BASIL / "events.jsonl", help="basil-dev's events.jsonl")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "topics-k.json")
    parser.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    args = parser.parse_args(argv)
    corpora = {"seeds": args.seeds, "basil-dev": args.basil, "messy": args.messy}
    results: dict[str, dict[str, Any]] = {}
    for corpus, path in corpora.items():
        if path is None:
            continue
        index = Index.load(path)
        for name, variant in VARIANTS.items():
            if args.only and name not in args.only:
                continue
            tm, seconds = run_variant(variant, index)
            row = summary(tm, seconds)
            if corpus == "seeds":
                labels = " | ".join(row["labels"])
                row["subjects"] = [s for s in SEEDS_SUBJECTS if s in labels]
            if corpus == "basil-dev":
                row |= basil_scores(tm, index, args.events)
            results.setdefault(name, {})[corpus] = row
            print(f"{corpus:10} {name:36} {json.dumps({k: v for k, v in row.items() if k != 'labels'})}", flush=True)
    _table(results)
    record = {
        "command": "PYTHONPATH=src python " + " ".join([sys.argv[0], *(argv if argv is not None else sys.argv[1:])]),
        "environment": environment(),
        "indexes": {c: str(p) for c, p in corpora.items()},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Wrote {args.out}")
    return 0


def _table(results: dict[str, dict[str, Any]]) -> None:
    head = f"{'variant':36} | {'seeds: n other subj':20} | {'basil: n other big NMI ARI s':34} | "
    head += f"{'messy: n other big s':24}"
    print("\n" + head + "\n" + "-" * len(head))
    for name, rows in results.items():
        s, b, m = rows.get("seeds", {}), rows.get("basil-dev", {}), rows.get("messy", {})
        seeds = f"{s.get('topics', '')!s:>3} {s.get('other', 0):5.0%} {len(s.get('subjects', [])):>2}/6" if s else ""
        basil = (
            f"{b['topics']:>3} {b['other']:5.0%} {b['largest']:4.0%} {b['nmi']:.2f} {b['ari']:.2f} {b['seconds']:5.1f}"
            if b
            else ""
        )
        messy = f"{m['topics']:>3} {m['other']:5.0%} {m['largest']:4.0%} {m['seconds']:5.1f}" if m else ""
        print(f"{name:36} | {seeds:20} | {basil:34} | {messy:24}")


if __name__ == "__main__":
    raise SystemExit(main())
