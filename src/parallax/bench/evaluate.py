"""Retrieval metrics, computed by ir-measures over pytrec_eval (never by hand).

Also chunk-independent relevance for the seeds' labelled queries.

Runs and qrels are plain ``{query_id: {doc_id: score}}`` mappings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from parallax.core.errors import InputError

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
    import numpy as np

    if not values:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan}
    arr = np.asarray(values, dtype=float)
    return {f"p{p}": round(float(np.percentile(arr, p)), 3) for p in (50, 95, 99)}


def write_trec(run: Run, path: Path, tag: str) -> None:
    """A TREC run file: ``qid Q0 docid rank score tag``."""
    with open(path, "w", encoding="utf-8") as fh:
        for qid, docs in run.items():
            ranked = sorted(docs.items(), key=lambda kv: -kv[1])
            for rank, (doc, s) in enumerate(ranked, start=1):
                fh.write(f"{qid} Q0 {doc} {rank} {s:.6f} {tag}\n")


# ---------------------------------------------------------------------------------------------
# The seeds' labelled queries: relevance is a source plus a verbatim phrase, so it does not depend
# on how the documents are chunked.


@dataclass(frozen=True)
class Passage:
    source: str
    phrase: str
    spans: tuple[tuple[int, int], ...]  # every occurrence of the phrase in the source


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    query: str
    kind: str
    relevant: tuple[Passage, ...]


def load_labelled_queries(path: Path, texts: Mapping[str, str]) -> list[LabelledQuery]:
    """Read ``seeds_queries.jsonl`` and locate each phrase in its source text."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        passages = []
        for rel in row["relevant"]:
            text = texts.get(rel["source"])
            if text is None:
                raise InputError(f"{path}:{n}: unknown source {rel['source']}")
            spans = []
            at = text.find(rel["phrase"])
            while at >= 0:
                spans.append((at, at + len(rel["phrase"])))
                at = text.find(rel["phrase"], at + 1)
            if not spans:
                raise InputError(f"{path}:{n}: phrase not found in {rel['source']}: {rel['phrase']!r}")
            passages.append(Passage(rel["source"], rel["phrase"], tuple(spans)))
        out.append(LabelledQuery(row["id"], row["query"], row.get("kind", ""), tuple(passages)))
    return out


def covers(start: int, end: int, span: tuple[int, int]) -> bool:
    """A chunk [start, end) holds a labelled phrase when it overlaps at least half of it."""
    overlap = min(end, span[1]) - max(start, span[0])
    return overlap * 2 >= span[1] - span[0] and overlap > 0


def passage_run(query: LabelledQuery, hits: Sequence[tuple[str, int, int]]) -> dict[str, float]:
    """Turn a ranked list of chunk hits ``(source, start, end)`` into a run over labelled passages.

    The first hit that holds passage i puts ``p<i>`` at that rank; a hit that holds no passage not
    already found is a non-relevant item. Scores encode the rank, so the order is kept exactly.
    """
    run: dict[str, float] = {}
    credited: set[int] = set()
    n = len(hits)
    for rank, (source, start, end) in enumerate(hits):
        new = [
            i
            for i, p in enumerate(query.relevant)
            if i not in credited and p.source == source and any(covers(start, end, s) for s in p.spans)
        ]
        if new:
            for i in new:
                run[f"p{i}"] = float(n - rank)
                credited.add(i)
        else:
            run[f"miss{rank}"] = float(n - rank)
    return run


def passage_qrels(query: LabelledQuery) -> dict[str, int]:
    return {f"p{i}": 1 for i in range(len(query.relevant))}
