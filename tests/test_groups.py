"""compare --by / --where: document fields, filters, groups and their verdicts, JSON, the time view, the
BASIL bench; on the fake embedder and a small newsroom corpus with ``sources.json`` files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from parallax.analyze.candidates import Budget
from parallax.analyze.compare import Comparer, Scope
from parallax.analyze.comparison import Comparison, DocumentCounts, SourceView
from parallax.analyze.coverage import CoverageFeatures
from parallax.core.errors import InputError
from parallax.index.builder import build_index
from parallax.index.fields import group, resolve_field, select, values, year_month
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus
from parallax.render.timeline import series, sparkline, svg
from parallax.render.wording import document_counts

from .conftest import assert_one_line_error, invoke, run
from .fakes import FakeEmbedder

VOLCANO = (
    "The volcano erupted on Sunday and ash covered the village. Villagers were evacuated as the volcano "
    "kept erupting. Officials said the eruption of the volcano was the largest in decades. "
)
ARTICLES = {
    "2014": {
        "planet-volcano.txt": ("Daily Planet", "2014-03-02", None, "Volcano erupts", VOLCANO * 2),
        "gazette-volcano.txt": ("Gotham Gazette", "2014-03-03", "Vicki Vale", "Ash and fear", VOLCANO),
        "planet-budget.txt": (
            "Daily Planet",
            "2014-11-20",
            None,
            "Budget passes",
            "The city council passed the budget on Tuesday. Taxes will rise by two percent next year. "
            "The mayor praised the council for its work on the budget.",
        ),
    },
    "2015": {
        "gazette-budget.txt": (
            "Gotham Gazette",
            "2015-01-05",
            "Vicki Vale",
            "Council budget",
            "The council budget was criticised by the opposition. Critics said the budget ignores schools. "
            "Schools will lose funding under the new budget plan.",
        ),
        "planet-football.txt": (
            "daily planet",  # another spelling of the same publisher
            "January 9, 2015",
            ["Lois Lane", "Clark Kent"],
            "Cup final",
            "The football team won the cup final on Saturday. Fans celebrated in the streets until dawn. "
            "The coach thanked the players for a great season.",
        ),
        "anon-volcano.txt": (None, None, None, "A volcano note", "A short note says the volcano erupted. " * 2),
    },
}
TOPIC = "volcano eruption and ash in the village"


def write_newsroom(folder: Path) -> Path:
    for year, files in ARTICLES.items():
        (folder / year).mkdir(parents=True)
        meta = {}
        for name, (publisher, date, author, title, text) in files.items():
            (folder / year / name).write_text(text, encoding="utf-8")
            meta[name] = {"publisher": publisher, "date": date, "author": author, "title": title}
        (folder / year / "sources.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_newsroom(tmp_path_factory.mktemp("news") / "news")
    dest = folder.parent / "index"
    build_index(load_corpus([folder]), FakeEmbedder(dim=64), dest, ChunkerConfig(max_tokens=48), inputs=[str(folder)])
    return dest


def _texts(index: Index) -> dict[str, str]:
    return {d.source: index.document_text(d.source) for d in index.manifest.documents}


# ---------------------------------------------------------------------------------------------
# Fields, filters and groups.


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2012-08-21", ("2012", "2012-08")),
        ("2023-07", ("2023", "2023-07")),
        ("2023", ("2023", None)),
        ("Aug 21, 2012", ("2012", "2012-08")),
        ("21 August 2012", ("2012", "2012-08")),
        (2019, ("2019", None)),
        ("2012-13-01", ("2012", None)),
        ("", (None, None)),
        (None, (None, None)),
        ("soon", (None, None)),
    ],
)
def test_year_and_month_from_dates(date: object, expected: tuple[str | None, str | None]) -> None:
    assert year_month(date) == expected


def test_fields_and_groups(newsroom: Path) -> None:
    records = Index.load(newsroom).manifest.documents
    by_name = {r.source: r for r in records}
    assert values(by_name["2015/planet-football.txt"], "author") == ["Lois Lane", "Clark Kent"]
    assert values(by_name["2015/planet-football.txt"], "month") == ["2015-01"]
    assert values(by_name["2014/planet-budget.txt"], "folder") == ["2014"]
    assert values(by_name["2015/anon-volcano.txt"], "publisher") == []
    publishers = group(records, "publisher")
    # the two spellings of Daily Planet are one group; the document without a publisher comes last
    assert [(g.key, len(g.members)) for g in publishers] == [("Daily Planet", 3), ("Gotham Gazette", 2), (None, 1)]
    assert [g.key for g in group(records, "month")] == ["2014-03", "2014-11", "2015-01", None]
    authors = {g.name: g.members for g in group(records, "author")}
    assert authors["Lois Lane"] == authors["Clark Kent"] == ["2015/planet-football.txt"]  # in each group
    assert len(authors["unknown"]) == 3
    assert resolve_field(records, "Publisher") == "publisher"
    with pytest.raises(InputError, match=r"no document has a 'colour' field; fields .*publisher"):
        resolve_field(records, "colour")


def test_where_keeps_alternatives_on_a_field_and_all_fields(newsroom: Path) -> None:
    records = Index.load(newsroom).manifest.documents

    def kept(*where: str) -> set[str]:
        return {r.source for r in select(records, where)}

    assert len(kept("publisher=daily planet")) == 3
    assert len(kept("publisher=Daily Planet", "publisher=Gotham Gazette")) == 5  # either
    assert kept("year=2014", "publisher=Gotham Gazette") == {"2014/gazette-volcano.txt"}  # both
    assert "2015/anon-volcano.txt" in kept("publisher!=Daily Planet")
    assert kept("document!=2014/planet-volcano.txt") == {r.source for r in records} - {"2014/planet-volcano.txt"}
    with pytest.raises(InputError, match="its values: Daily Planet, Gotham Gazette"):
        select(records, ["publisher=Nobody"])
    with pytest.raises(InputError, match="write FIELD=VALUE"):
        select(records, ["publisher"])


# ---------------------------------------------------------------------------------------------
# Grouped comparisons.


def test_a_group_is_judged_by_its_documents(newsroom: Path) -> None:
    """Counts come from each document's own verdict; a group covers when one of its documents covers;
    its passages come from its best documents, two at most each, as exact spans."""
    index = Index.load(newsroom)
    comparer = Comparer(index, FakeEmbedder(dim=64))
    alone = {v.source: v for v in comparer.compare(TOPIC).sources}
    grouped = comparer.compare(TOPIC, passages=3, scope=Scope("publisher"))
    texts = _texts(index)
    members = {g.name: g.members for g in group(index.manifest.documents, "publisher")}
    assert [v.source for v in grouped.sources] == ["Daily Planet", "Gotham Gazette", "unknown"]
    assert alone["2014/planet-volcano.txt"].coverage == "covers"
    for view in grouped.sources:
        verdicts = [alone[s].coverage for s in members[view.source]]
        assert view.documents == DocumentCounts(
            len(verdicts), verdicts.count("covers"), verdicts.count("mentions"), verdicts.count("silent")
        )
        best = max(("silent", "mentions", "covers").index(v) for v in verdicts)
        assert view.coverage == ("silent", "mentions", "covers")[best]
        assert view.score == max(alone[s].score for s in members[view.source])
        per_doc = [p.source for p in view.passages]
        assert set(per_doc) <= set(members[view.source]) and all(per_doc.count(s) <= 2 for s in per_doc)
        for p in view.passages:
            assert p.text == texts[p.source][p.start : p.end]
    planet = grouped.source("Daily Planet")
    assert planet.passages[0].source == "2014/planet-volcano.txt"  # from its best document
    assert grouped.verdicts == {s: v.coverage for s, v in alone.items()}


def test_grouped_json_schema(newsroom: Path) -> None:
    index = Index.load(newsroom)
    comparer = Comparer(index, FakeEmbedder(dim=64))
    data = comparer.compare(TOPIC, scope=Scope("publisher")).to_dict()
    assert data["topic"] == TOPIC and data["by"] == "publisher"
    assert set(data["latency_ms"]) == {"total"}
    texts = _texts(index)
    titles = {d.source: d.title for d in index.manifest.documents}
    for s in data["sources"]:
        assert {"source", "title", "documents", "coverage", "score", "passages", "distinctive_terms"} <= set(s)
        assert set(s["documents"]) == {"total", "covers", "mentions", "silent"}
        assert sum(s["documents"][k] for k in ("covers", "mentions", "silent")) == s["documents"]["total"]
        for p in s["passages"]:
            assert set(p) == {"score", "document", "title", "start", "end", "text"}
            assert p["text"] == texts[p["document"]][p["start"] : p["end"]]
            assert p["title"] == titles[p["document"]]
    assert data["sources"][-1]["title"] == "no publisher recorded"
    assert data["agreement"]["sources"] == [s["source"] for s in data["sources"]]
    assert len(data["agreement"]["matrix"]) == len(data["sources"])
    for point in data["common_ground"]:
        assert all(p["text"] == texts[p["document"]][p["start"] : p["end"]] for p in point["passages"])
    plain = comparer.compare(TOPIC).to_dict()
    assert "by" not in plain and "documents" not in plain["sources"][0]  # without --by: unchanged


def test_where_restricts_a_comparison(newsroom: Path) -> None:
    comparer = Comparer(Index.load(newsroom), FakeEmbedder(dim=64))
    only = comparer.compare(TOPIC, scope=Scope(where=("year=2014",)))
    assert {v.source for v in only.sources} == {
        "2014/planet-volcano.txt",
        "2014/gazette-volcano.txt",
        "2014/planet-budget.txt",
    }
    years = comparer.compare(TOPIC, scope=Scope("year", ("publisher=Gotham Gazette",)))
    assert [(v.source, v.documents.total if v.documents else 0) for v in years.sources] == [("2014", 1), ("2015", 1)]


def test_candidate_path_counts_every_document(newsroom: Path) -> None:
    """On the candidate path (a large index), reading two documents whole, every document still counts,
    with the verdict the whole table gives it."""
    index = Index.load(newsroom)
    whole = Comparer(index, FakeEmbedder(dim=64)).compare(TOPIC, scope=Scope("publisher"))
    small = Comparer(index, FakeEmbedder(dim=64), budget=Budget(top_n=3, max_sources=2, whole_table=0))
    assert small.by_candidates
    part = small.compare(TOPIC, scope=Scope("publisher"))
    assert [v.documents for v in part.sources] == [v.documents for v in whole.sources]
    assert [v.coverage for v in part.sources] == [v.coverage for v in whole.sources]
    assert part.verdicts == whole.verdicts


# ---------------------------------------------------------------------------------------------
# Rendering: counts, the time view.


def test_document_counts_wording() -> None:
    assert document_counts(DocumentCounts(52, 3, 4, 45)) == "3 of 52 documents cover it · 4 mention it · 45 are silent"
    assert document_counts(DocumentCounts(1, 1, 0, 0)) == "1 of 1 document covers it"
    assert document_counts(DocumentCounts(2, 0, 1, 1)) == "0 of 2 documents cover it · 1 mentions it · 1 is silent"


def _month_view(key: str, total: int, covers: int, mentions: int = 0) -> SourceView:
    label = "covers" if covers else ("mentions" if mentions else "silent")
    view = SourceView(key, key, key, label, 0.5, CoverageFeatures(0, 0, 0, 0), {})
    view.documents = DocumentCounts(total, covers, mentions, total - covers - mentions)
    return view


def test_time_series_fills_gaps_and_draws_them() -> None:
    views = [_month_view("2014-11", 4, 4), _month_view("2015-02", 2, 0, 1), _month_view("unknown", 3, 1)]
    cmp = Comparison("t", [], views, [], np.eye(3), [], [], 1.0, by="month")
    periods = series(cmp)
    assert [p.key for p in periods] == ["2014-11", "2014-12", "2015-01", "2015-02"]  # gaps filled, unknown out
    assert [p.share for p in periods] == [1.0, None, None, 0.0]
    assert sparkline(periods) == "█  ▁"  # full, two empty months, mentioned only
    drawn = svg(periods)
    assert drawn.count("<rect") == 4 and "2014-11: 4 of 4 documents cover it" in drawn
    assert series(Comparison("t", [], views, [], np.eye(3), [], [], 1.0, by="publisher")) == []


def test_terminal_by_month_fits_80_columns(newsroom: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = invoke(["compare", TOPIC, "--index", str(newsroom), "--by", "month"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any(line.startswith("Coverage over time") for line in lines)
    assert "documents cover it" in out or "document covers it" in out
    panels = [line for line in lines if line.startswith("╭─ ")]
    assert [p.split()[1] for p in panels][:3] == ["2014-03", "2014-11", "2015-01"]  # time order


# ---------------------------------------------------------------------------------------------
# The command line.


def test_cli_refuses_an_unknown_field_and_an_empty_filter(newsroom: Path) -> None:
    code, out = run("compare", TOPIC, "--index", str(newsroom), "--by", "colour")
    assert_one_line_error(code, out, "no document has a 'colour' field")
    code, out = run("compare", TOPIC, "--index", str(newsroom), "--where", "publisher=Nobody")
    assert_one_line_error(code, out, "its values: Daily Planet, Gotham Gazette")
    code, out = run("search", "budget", "--index", str(newsroom), "--where", "year")
    assert_one_line_error(code, out, "write FIELD=VALUE")


def test_search_where_keeps_only_matching_documents(newsroom: Path) -> None:
    result = invoke(["search", "budget council", "--index", str(newsroom), "--where", "year=2015", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["results"]
    assert hits and {h["source"] for h in hits} <= {"2015/gazette-budget.txt", "2015/planet-football.txt",
                                                      "2015/anon-volcano.txt"}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# bench compare --dataset basil, on a BASIL-shaped folder of two events.


def _tiny_basil(folder: Path) -> Path:
    events = {
        "e1": ("Volcano erupts and ash covers the village", VOLCANO),
        "e2": ("City council passes the school budget", "The city council passed the school budget. " * 4),
    }
    outlets = {"fox": "Fox News", "nyt": "The New York Times", "hpo": "HuffPost"}
    (folder / "corpus" / "2014").mkdir(parents=True)
    meta = {}
    lines = []
    for eid, (name, text) in events.items():
        articles = {}
        for short, publisher in outlets.items():
            file = f"{short}-{eid}.txt"
            own = f"{publisher} reporters wrote this {short} story."  # no two articles alike
            (folder / "corpus" / "2014" / file).write_text(f"{name}\n\n{text} {own}", encoding="utf-8")
            meta[file] = {"publisher": publisher, "title": name, "date": "2014-05-01"}
            articles[publisher] = {"file": f"2014/{file}", "title": name}
        lines.append(json.dumps({"triplet": eid, "main_event": name, "articles": articles}))
    (folder / "corpus" / "2014" / "sources.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_bench_basil_scores_every_event(tmp_path: Path) -> None:
    from parallax.bench.basil import bench_basil, load_events

    folder = _tiny_basil(tmp_path / "basil")
    dest = tmp_path / "idx"
    corpus = folder / "corpus"
    build_index(load_corpus([corpus]), FakeEmbedder(dim=64), dest, ChunkerConfig(), inputs=[str(corpus)])
    events = load_events(folder)
    assert [e.held_out for e in events] == [False, True]
    result = bench_basil(Index.load(dest), FakeEmbedder(dim=64), folder)
    assert [h.events for h in result.halves] == [2, 1, 1]
    for score in result.events:
        assert set(score.covers) == {"Fox News", "The New York Times", "HuffPost"}
        assert all(score.covers.values()) and all(score.own_first.values())  # each outlet's only article
        assert all(score.removed_not_covers.values())  # nothing else of the outlet is on the event
        assert sorted(score.search_rank) == [1, 2, 3]
    assert result.halves[0].covers == 1.0 and result.halves[0].false_covers == 0.0


def test_bench_basil_refuses_a_folder_without_events(tmp_path: Path) -> None:
    code, out = run("bench", "compare", "--dataset", str(tmp_path))
    assert_one_line_error(code, out, "is not a BASIL folder")


def test_chunks_of_thousands_of_sources(newsroom: Path) -> None:
    """A --where that keeps thousands of documents asks the chunk store in batches (SQLite caps the
    parameters of one statement)."""
    index = Index.load(newsroom)
    real = [d.source for d in index.manifest.documents]
    many = real + [f"missing-{i}.txt" for i in range(5000)]
    assert index.chunk_ids_for(many) == index.chunk_ids_for(real) == list(range(len(index)))


def test_many_documents_show_the_closest_and_say_so(newsroom: Path) -> None:
    """Without --by, an index of more documents than a comparison shows (50; here 2) shows the closest,
    judged as ever, and a note says how many more there are and how to group them."""
    index = Index.load(newsroom)
    every = Comparer(index, FakeEmbedder(dim=64)).compare(TOPIC)
    few = Comparer(index, FakeEmbedder(dim=64), budget=Budget(max_sources=2)).compare(TOPIC)
    assert not Comparer(index, FakeEmbedder(dim=64), budget=Budget(max_sources=2)).by_candidates
    best = sorted(every.sources, key=lambda v: -v.features.hybrid_max)[:2]
    assert {v.source for v in few.sources} == {v.source for v in best}
    assert [(v.coverage, v.score) for v in few.sources] == [
        (every.source(v.source).coverage, every.source(v.source).score) for v in few.sources
    ]
    assert few.agreement.shape == (2, 2)
    assert any("4 more sources are not shown" in n and "--by" in n for n in few.notes)


def test_passages_of_covering_documents_come_first() -> None:
    """Two passages at most per document; a covering document's second passage before a passage of a
    document that only mentions the topic; covering documents take turns."""
    from parallax.analyze.grouping import interleave
    from parallax.analyze.passage import Passage

    def three(doc: str) -> list[Passage]:
        return [Passage(doc, 1.0 - n / 10, n, n + 1, "x") for n in range(3)]

    docs = [three("a"), three("b"), three("m")]
    got = interleave(docs, ["covers", "covers", "mentions"], 6)
    assert [(p.source, p.start) for p in got] == [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("m", 0), ("m", 1)]
    assert [(p.source, p.start) for p in interleave(docs, ["covers", "mentions", "mentions"], 3)] == [
        ("a", 0),
        ("a", 1),
        ("b", 0),
    ]
