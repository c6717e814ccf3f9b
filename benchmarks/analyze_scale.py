"""compare and topics on a large index: the whole-table path against the candidate / sample path.

Each measurement runs in a child process of its own, which reports its wall seconds and its peak RSS
(``resource.getrusage``), so that one path's memory does not hide the other's. compare: the whole
table (every sentence scored, as before issue 13) against the topic's candidates (``candidates.py``),
forced on whatever the index's size; the verdicts of the sources the candidate path shows are
checked against the whole table's. topics: every unit clustered against a sample of ``FIT_MAX``
(``topics.py``); the agreement of the two assignments is the adjusted Rand index.

    .venv/bin/python benchmarks/analyze_scale.py                    # the SciFact index, built if missing
    .venv/bin/python benchmarks/analyze_scale.py --index PATH

Writes benchmarks/results/analyze-scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DEFAULT_INDEX = HERE / "results" / "tmp" / "scifact-index"
SCIFACT = HERE.parents[1] / "shared" / "datasets" / "scifact"
OUT = HERE / "results" / "analyze-scale.json"
TOPICS = (
    "vitamin D and bone fractures",
    "tumour suppressor genes in breast cancer",
    "antibiotic resistance in bacteria",
)


def _fake() -> Any:
    """The unit tests' hashed bag-of-words embedder, registered (``--fake``: no model, a quick build)."""
    sys.path.insert(0, str(HERE.parent))
    from tests.fakes import FakeEmbedder, register_fake

    register_fake()
    return FakeEmbedder(dim=64)


def build(folder: Path, data: Path = SCIFACT, fake: bool = False) -> None:
    """The SciFact corpus indexed with the real model (or the fake), as benchmarks/scifact.py indexes it."""
    from parallax.bench.beir import load_beir, to_documents
    from parallax.index.builder import build_index
    from parallax.ingest.chunk import ChunkerConfig
    from parallax.ingest.document import Corpus

    if fake:
        embedder = _fake()
        config = ChunkerConfig(overlap_sentences=1)
    else:
        from parallax.embed.minilm import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder()
        config = ChunkerConfig(max_tokens=embedder.max_tokens, overlap_sentences=1)
    build_index(Corpus(to_documents(load_beir(data, "test"))), embedder, folder, config=config)


def child(kind: str, path: str, mode: str) -> dict[str, Any]:
    """One measurement: ``kind`` compare or topics, ``mode`` old (whole table) or new."""
    from parallax.embed.registry import get_embedder
    from parallax.index.reader import Index

    index = Index.load(Path(path))
    if index.manifest.model_id.startswith("parallax/fake-hash"):
        _fake()
    t0 = time.perf_counter()
    out: dict[str, Any] = {}
    if kind == "compare":
        from parallax.analyze.candidates import Budget
        from parallax.analyze.compare import Comparer

        budget = Budget(whole_table=10**12) if mode == "old" else Budget(whole_table=0)
        comparer = Comparer(index, get_embedder(index.manifest.model_id), budget=budget)
        comparer.load()
        out["results"] = {t: {v.source: [v.coverage, v.score] for v in comparer.compare(t).sources} for t in TOPICS}
    else:
        from parallax.analyze.topics import discover_topics

        found = discover_topics(index, fit_max=10**12 if mode == "old" else 20_000)
        out["k"], out["topics"], out["assignments"] = found.k, len(found.topics), found.assignments
    out["seconds"] = round(time.perf_counter() - t0, 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _run(kind: str, path: Path, mode: str) -> dict[str, Any]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, __file__, "--child", kind, mode, "--index", str(path)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def _compare_agreement(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    shown = same = labels = 0
    speaking = []
    for topic, views in new["results"].items():
        whole = old["results"][topic]
        shown += len(views)
        same += sum(whole[s] == v for s, v in views.items())
        labels += sum(whole[s][0] == v[0] for s, v in views.items())
        talk = {s for s, (label, _) in whole.items() if label != "silent"}
        speaking.append(len(talk & set(views)) / max(len(talk), 1))
    return {
        "sources_shown": shown,
        "identical_verdicts": labels,
        "identical_verdicts_and_scores": same,
        "speaking_sources_shown": speaking,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--data", type=Path, default=SCIFACT, help="the SciFact folder, to build a missing index")
    parser.add_argument("--fake", action="store_true", help="build a missing index with the fake embedder")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "MODE"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], str(args.index), args.child[1])))
        return 0
    if not (args.index / "manifest.json").exists():
        build(args.index, args.data, args.fake)
    from sklearn.metrics import adjusted_rand_score

    from parallax.index.reader import Index

    index = Index.load(args.index)
    report: dict[str, Any] = {
        "command": " ".join(["benchmarks/analyze_scale.py", *sys.argv[1:]]),
        "model": index.manifest.model_id,
        "index": {"documents": len(index.manifest.documents), "chunks": len(index)},
    }
    report["index"]["sentences"] = index.manifest.sentence_count
    for kind in ("compare", "topics"):
        old, new = _run(kind, args.index, "old"), _run(kind, args.index, "new")
        row = {m: {"seconds": r["seconds"], "peak_rss_mb": r["peak_rss_mb"]} for m, r in (("old", old), ("new", new))}
        if kind == "compare":
            row["agreement"] = _compare_agreement(old, new)
        else:
            ari = adjusted_rand_score(old.pop("assignments"), new.pop("assignments"))
            row["agreement"] = {"k": [old["k"], new["k"]], "topics": [old["topics"], new["topics"]], "ari": ari}
        report[kind] = row
        print(kind, json.dumps(row))
    OUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
