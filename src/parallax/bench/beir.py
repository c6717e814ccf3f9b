"""Reading data sets in BEIR layout: ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv``."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

from parallax.core.errors import InputError
from parallax.ingest.document import Document, sha256_text


@dataclass
class BeirDataset:
    name: str
    corpus: dict[str, tuple[str, str]]  # doc id -> (title, text)
    queries: dict[str, str]  # only the queries that have judgements in the split
    qrels: dict[str, dict[str, int]]


def _read_jsonl(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InputError(f"{path} is missing; a BEIR data set holds corpus.jsonl, queries.jsonl and qrels/<split>.tsv")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    raise InputError(f"{path}:{n} is not valid JSON") from None
    return rows


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise InputError(f"{path} is missing; BEIR judgements live in qrels/<split>.tsv")
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 3 or row[0] == "query-id":
                continue
            qid, did, rel = row[0].strip(), row[1].strip(), int(row[-1].strip())
            qrels.setdefault(qid, {})[did] = rel
    return qrels


def load_beir(folder: Path, split: str = "test") -> BeirDataset:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"no such data set folder: {folder}")
    corpus = {
        str(r["_id"]): (str(r.get("title") or ""), str(r.get("text") or ""))
        for r in _read_jsonl(folder / "corpus.jsonl")
    }
    all_queries = {str(r["_id"]): str(r["text"]) for r in _read_jsonl(folder / "queries.jsonl")}
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    queries = {q: all_queries[q] for q in qrels if q in all_queries}
    if not queries:
        raise InputError(f"no query in {folder}/qrels/{split}.tsv is in queries.jsonl")
    return BeirDataset(folder.name, corpus, queries, {q: qrels[q] for q in queries})


def subset(ds: BeirDataset, limit_queries: int | None, sample_docs: int | None, seed: int = 13) -> BeirDataset:
    """A smaller data set for smoke runs: the first N queries, and a random sample of documents that
    always keeps every document judged for the kept queries."""
    qids = sorted(ds.queries)[:limit_queries] if limit_queries else sorted(ds.queries)
    qrels = {q: ds.qrels[q] for q in qids}
    corpus = ds.corpus
    if sample_docs and sample_docs < len(corpus):
        judged = {d for docs in qrels.values() for d in docs if d in corpus}
        others = sorted(set(corpus) - judged)
        rng = random.Random(seed)
        keep = judged | set(rng.sample(others, max(0, min(len(others), sample_docs - len(judged)))))
        corpus = {d: corpus[d] for d in sorted(keep)}
    return BeirDataset(ds.name, corpus, {q: ds.queries[q] for q in qids}, qrels)


def to_documents(ds: BeirDataset) -> list[Document]:
    """One Document per BEIR document: the title on its own line, then the text.

    The chunker joins the title and the first sentences with a space, so the first chunk is embedded
    as ``title + " " + text``, the way MTEB embeds BEIR documents.
    """
    docs = []
    for did, (title, body) in ds.corpus.items():
        text = f"{title}\n{body}" if title else body
        docs.append(Document(did, f"{ds.name}/corpus.jsonl#{did}", title or did, text, sha256_text(text), "text"))
    return docs
