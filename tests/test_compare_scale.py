"""compare and topics at scale: the candidate path gives what the whole table gives; dead rows never show."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from parallax.analyze.candidates import Budget
from parallax.analyze.compare import Comparer
from parallax.analyze.units import SentenceTable
from parallax.core.settings import seeds_dir
from parallax.index.builder import build_index
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus

from .fakes import FakeEmbedder

TOPICS = (
    "South Korea and arms for Ukraine",
    "NATO liaison office in Tokyo",
    "China's reaction to NATO in Asia",
    "Vilnius summit",
)
KOREA = "002_1619fb158eec5a78.txt"


@pytest.fixture(scope="module")
def fake_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("scale") / "seeds"
    build_index(load_corpus([seeds_dir()]), FakeEmbedder(dim=64), dest, ChunkerConfig(), inputs=[str(seeds_dir())])
    return dest


@pytest.fixture(scope="module")
def without_korea(fake_seeds: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds index with one document removed the way an update leaves it: rows kept, masked."""
    dest = tmp_path_factory.mktemp("dead") / "seeds"
    shutil.copytree(fake_seeds, dest)
    index = Index.load(dest)
    chunks = index.chunk_ids_for([KOREA])
    sentences = index.sentence_ids_for([KOREA])[KOREA].tolist()
    index.close()
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"] = [d for d in manifest["documents"] if d["source"] != KOREA]
    manifest["deleted"] = {"chunks": [[c, c + 1] for c in chunks], "sentences": [[s, s + 1] for s in sentences]}
    (dest / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return dest


def _json(comparer: Comparer, topic: str) -> dict[str, Any]:
    out = comparer.compare(topic).to_dict()
    out.pop("latency_ms")
    return out


def test_candidate_path_gives_the_whole_table_result(fake_seeds: Path) -> None:
    """Forced onto the candidate path (a few nearest sentences only), compare's JSON is unchanged."""
    index = Index.load(fake_seeds)
    whole = Comparer(index, FakeEmbedder(dim=64))
    small = Comparer(index, FakeEmbedder(dim=64), budget=Budget(top_n=5, whole_table=0))
    assert not whole.by_candidates and small.by_candidates
    for topic in TOPICS:
        assert _json(small, topic) == _json(whole, topic)
    assert small._table is None  # the whole table was never read


def test_sources_shown_keep_their_verdicts_and_passages(fake_seeds: Path) -> None:
    """With fewer sources shown than the index holds, each one shown is judged as on the whole table."""
    index = Index.load(fake_seeds)
    whole = Comparer(index, FakeEmbedder(dim=64))
    few = Comparer(index, FakeEmbedder(dim=64), budget=Budget(top_n=5, max_sources=2, whole_table=0))
    for topic in TOPICS:
        full = {v["source"]: v for v in _json(whole, topic)["sources"]}
        shown = _json(few, topic)["sources"]
        assert len(shown) == 2
        for view in shown:
            mine, theirs = dict(view), dict(full[view["source"]])
            for key in ("distinctive_terms", "distinctive_passage"):  # measured against the others shown
                mine.pop(key), theirs.pop(key)
            assert mine == theirs
        best = sorted(full.values(), key=lambda v: -v["score"])[:2]
        assert {v["source"] for v in shown} <= set(full) and shown[0]["score"] >= min(v["score"] for v in best) - 0.2


def test_tables_leave_out_removed_documents(without_korea: Path) -> None:
    index = Index.load(without_korea)
    live = index.live_sentences()
    assert live is not None and not live.all()
    table = SentenceTable.from_index(index)
    assert KOREA not in table.rows and KOREA not in {s for s, _, _ in table.spans}
    assert len(table) == int(live.sum()) and bool(live[table.ids].all())
    some = SentenceTable.from_rows(index, np.arange(len(live)))
    assert some.spans == table.spans and np.array_equal(some.matrix, table.matrix)


@pytest.mark.parametrize("budget", [None, Budget(top_n=5, whole_table=0)], ids=["whole", "candidates"])
def test_compare_never_shows_a_removed_document(without_korea: Path, budget: Budget | None) -> None:
    comparer = Comparer(Index.load(without_korea), FakeEmbedder(dim=64), budget=budget)
    for topic in ("South Korea and arms for Ukraine", "Korea condemned Russia’s actions"):
        data = _json(comparer, topic)
        assert KOREA not in json.dumps(data)
        assert len(data["sources"]) == 4


def test_topics_on_a_sample_assign_every_unit(fake_seeds: Path) -> None:
    """Fitted on a sample (a bound below the index's size), every live unit is still counted and assigned."""
    from parallax.analyze.topics import discover_topics

    index = Index.load(fake_seeds)
    whole = discover_topics(index, n_topics=4)
    sampled = discover_topics(index, n_topics=4, fit_max=200)
    n = index.manifest.sentence_count
    assert len(whole.assignments) == len(sampled.assignments) == n > 200
    assert [s.units for s in sampled.sources] == [s.units for s in whole.sources]  # chars: span lengths
    assert sum(t.size for t in sampled.topics) + sampled.assignments.count(-1) == n
    for row, other in zip(sampled.matrix, sampled.other):
        assert abs(sum(row) + other - 1.0) < 1e-6
    assert all(t.examples for t in sampled.topics)


def test_topics_never_count_a_removed_document(without_korea: Path) -> None:
    from parallax.analyze.topics import discover_topics

    index = Index.load(without_korea)
    live = index.live_sentences()
    assert live is not None
    for fit_max in (20_000, 200):
        found = discover_topics(index, n_topics=3, fit_max=fit_max)
        assert len(found.assignments) == int(live.sum())
        assert KOREA not in json.dumps(found.to_dict())
