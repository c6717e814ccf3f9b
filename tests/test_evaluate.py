from __future__ import annotations

import math
from pathlib import Path

import pytest

from parallax.bench.beir import load_beir, read_qrels, subset, to_documents
from parallax.bench.compare import CompareBenchResult, HalfResult, compare_rows
from parallax.bench.labelled import LabelledPassage, LabelledQuery, covers, passage_qrels, passage_run
from parallax.bench.metrics import score
from parallax.core.errors import InputError


def test_ndcg_worked_by_hand() -> None:
    # Two relevant documents, a and c; the run puts them at ranks 1 and 3.
    # DCG@10  = 1/log2(1+1) + 1/log2(3+1) = 1 + 1/2
    # IDCG@10 = 1/log2(1+1) + 1/log2(2+1) = 1 + 1/log2(3)
    expected_ndcg = (1 + 1 / 2) / (1 + 1 / math.log2(3))  # 0.91972...
    # AP = (1/1 + 2/3) / 2; MRR = 1/1; Recall@10 = 2/2.
    expected_map = (1 + 2 / 3) / 2
    got = score({"q": {"a": 1, "c": 1}}, {"q": {"a": 3.0, "b": 2.0, "c": 1.0}})
    assert got["ndcg@10"] == pytest.approx(expected_ndcg, abs=1e-9)
    assert got["map@100"] == pytest.approx(expected_map, abs=1e-9)
    assert got["mrr@10"] == pytest.approx(1.0)
    assert got["recall@10"] == pytest.approx(1.0)


def test_query_without_results_scores_zero() -> None:
    got = score({"q1": {"a": 1}, "q2": {"b": 1}}, {"q1": {"a": 1.0}})
    assert got["ndcg@10"] == pytest.approx(0.5)
    assert got["recall@100"] == pytest.approx(0.5)


def test_passage_credit_is_chunk_independent() -> None:
    relevant = (LabelledPassage("a.txt", "xx", ((100, 120),)), LabelledPassage("b.txt", "yy", ((5, 9),)))
    q = LabelledQuery("q", "?", "paraphrase", relevant)
    # Two overlapping chunks both hold passage 0: only the first is credited.
    run = passage_run(q, [("a.txt", 90, 130), ("a.txt", 110, 200), ("b.txt", 0, 50)])
    assert run == {"p0": 3.0, "miss1": 2.0, "p1": 1.0}
    assert passage_qrels(q) == {"p0": 1, "p1": 1}
    assert covers(110, 200, (100, 120))  # half of the phrase
    assert not covers(115, 200, (100, 120))  # a quarter is not enough


@pytest.fixture
def tiny_beir(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    (folder / "qrels").mkdir(parents=True)
    docs = {
        "d1": ("Volcanoes", "Lava is molten rock that erupts from volcanoes."),
        "d2": ("Tea", "Green tea is made from unoxidised leaves."),
        "d3": ("Rockets", "A rocket engine burns propellant to make thrust."),
        "d4": ("", "Bees make honey from nectar."),
    }
    import json

    (folder / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "title": t, "text": x}) for k, (t, x) in docs.items()), encoding="utf-8"
    )
    queries = {"q1": "molten rock eruption", "q2": "green tea leaves", "q3": "rocket propellant", "q9": "unjudged"}
    (folder / "queries.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "text": v}) for k, v in queries.items()), encoding="utf-8"
    )
    (folder / "qrels" / "test.tsv").write_bytes(
        b"query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\nq2\td2\t1\r\nq3\td3\t1\r\n"
    )
    return folder


def test_beir_loader(tiny_beir: Path) -> None:
    ds = load_beir(tiny_beir)
    assert set(ds.queries) == {"q1", "q2", "q3"}
    assert ds.qrels["q1"] == {"d1": 1}
    docs = {d.source: d for d in to_documents(ds)}
    assert docs["d1"].text == "Volcanoes\nLava is molten rock that erupts from volcanoes."
    assert docs["d4"].text == "Bees make honey from nectar."
    small = subset(ds, limit_queries=1, sample_docs=2)
    assert list(small.queries) == ["q1"] and "d1" in small.corpus and len(small.corpus) == 2
    assert read_qrels(tiny_beir / "qrels" / "test.tsv")["q3"] == {"d3": 1}


def test_compare_table_uses_short_half_names_and_results_omit_them() -> None:
    latency = {"p50": 1.0, "p95": 2.0}
    halves = [
        HalfResult("calibration (odd ids)", 12, 60, 0.5, 0.5, 0.5, {}, 0.5, 18, latency, short_name="calibration"),
        HalfResult("held-out (even ids)", 12, 60, 0.5, 0.5, 0.5, {}, 0.5, 20, latency, short_name="held-out"),
    ]
    result = CompareBenchResult("m", "i", halves)
    assert [row[0] for row in compare_rows(result)] == ["calibration", "held-out"]
    data = result.to_dict()
    assert list(data) == ["model", "index", "halves", "cells", "environment"]
    assert [h["name"] for h in data["halves"]] == ["calibration (odd ids)", "held-out (even ids)"]
    assert all("short_name" not in h for h in data["halves"])


def test_beir_loader_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such data set"):
        load_beir(tmp_path / "missing")
    with pytest.raises(InputError, match=r"corpus\.jsonl is missing"):
        load_beir(tmp_path)


def test_bench_end_to_end_on_tiny_beir(tiny_beir: Path, tmp_path: Path) -> None:
    import json

    from .conftest import invoke

    out = tmp_path / "out"
    result = invoke(["bench", str(tiny_beir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for mode in ("dense", "bm25", "hybrid"):
        assert mode in result.output
        assert (out / "runs" / f"tiny-test-{mode}.trec").read_text().startswith("q1 Q0 d1 1 ")
    data = json.loads((out / "tiny-test.json").read_text())
    assert data["command"].startswith("parallax bench")
    assert {m["mode"] for m in data["modes"]} == {"dense", "bm25", "hybrid"}
    for m in data["modes"]:
        assert m["metrics"]["recall@100"] == 1.0
        assert set(m["latency_ms"]) == {"embed", "search", "total"}
        assert set(m["latency_ms"]["total"]) == {"p50", "p95", "p99"}
    assert data["chunks_per_second"] > 0


def test_bench_seeds_smoke(tmp_path: Path) -> None:
    from parallax.bench.retrieval import bench_seeds

    from .fakes import FakeEmbedder

    result = bench_seeds(FakeEmbedder(), tmp_path, limit_queries=10)
    assert result.queries == 10 and result.documents == 5
    assert {m.mode for m in result.modes} == {"dense", "bm25", "hybrid"}
    assert all(0 <= m.metrics["ndcg@10"] <= 1 for m in result.modes)
