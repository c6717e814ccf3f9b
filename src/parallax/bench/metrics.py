"""Retrieval metrics, computed by ir-measures over pytrec_eval (never by hand), latency percentiles,
and TREC run files.

Runs and qrels are plain ``{query_id: {doc_id: score}}`` mappings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from parallax.core.errors import InputError
from parallax.core.files import replacing

METRICS = ("ndcg@10", "recall@10", "recall@100", "mrr@10", "map@100")
Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


_MEASURES = {"ndcg@10": "nDCG@10", "recall@10": "R@10", "recall@100": "R@100", "mrr@10": "RR@10", "map@100": "AP@100"}


def score(qrels: Qrels, run: Run, metrics: Sequence[str] = METRICS) -> dict[str, float]:
    """Mean of each metric over the judged queries (trec_eval's definitions, via ir-measures).

    A judged query with no results scores 0; queries without a relevant document are ignored.
    """
    import ir_measures

    qrels = {q: {d: int(r) for d, r in docs.items()} for q, docs in qrels.items() if any(r > 0 for r in docs.values())}
    if not qrels:
        raise InputError("no query has a relevant document")
    measures = [ir_measures.parse_measure(_MEASURES.get(m, m)) for m in metrics]
    per_query: dict[str, dict[str, float]] = {m: {} for m in metrics}
    run = {q: docs for q, docs in run.items() if q in qrels and docs}
    for r in ir_measures.iter_calc(measures, qrels, run):
        name = metrics[measures.index(r.measure)]
        per_query[name][r.query_id] = float(r.value)
    # trec_eval skips queries absent from the run; they count as 0 here, as in BEIR.
    return {m: sum(per_query[m].get(q, 0.0) for q in qrels) / len(qrels) for m in metrics}


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 of ``values``, rounded to 3 decimals (NaN when there are none)."""
    import numpy as np

    if not values:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan}
    arr = np.asarray(values, dtype=float)
    return {f"p{p}": round(float(np.percentile(arr, p)), 3) for p in (50, 95, 99)}


def write_trec(run: Run, path: Path, tag: str) -> None:
    """A TREC run file: ``qid Q0 docid rank score tag``, written atomically."""
    with replacing(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for qid, docs in run.items():
            ranked = sorted(docs.items(), key=lambda kv: -kv[1])
            for rank, (doc, s) in enumerate(ranked, start=1):
                fh.write(f"{qid} Q0 {doc} {rank} {s:.6f} {tag}\n")
