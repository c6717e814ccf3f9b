"""``parallax topics``: clustering, labels, coverage, JSON and the command line, on the fake embedder."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from parallax.analyze.grouping import Scope
from parallax.analyze.labels import pick_terms, query_for
from parallax.analyze.topic_map import SourceInfo, Topic, TopicMap
from parallax.analyze.topics import IGNORE_SHARE, LEAD_RATIO, LEAD_SHARE, discover_topics
from parallax.cli.main import app
from parallax.core.settings import seeds_dir
from parallax.index.builder import BuildOptions, build_index
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus
from parallax.render.topics import render_topic_map

from .conftest import FAKE_MODEL, assert_one_line_error, invoke, run
from .fakes import FakeEmbedder
from .probes import modules_loaded_by

runner = CliRunner()


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds indexed with the fake embedder, once for the module (tests only read it)."""
    dest = tmp_path_factory.mktemp("topics") / "seeds-idx"
    build_index(load_corpus([seeds_dir()]), FakeEmbedder(dim=64), dest, inputs=[str(seeds_dir())])
    return dest


@pytest.fixture(scope="module")
def seeds_map(seeds_index: Path) -> TopicMap:
    return discover_topics(Index.load(seeds_index))


def test_every_sentence_is_assigned_once(seeds_index: Path, seeds_map: TopicMap) -> None:
    index = Index.load(seeds_index)
    assert seeds_map.unit == "sentence"
    assert len(seeds_map.assignments) == index.manifest.sentence_count
    ids = {t.id for t in seeds_map.topics}
    assert ids == set(range(1, len(seeds_map.topics) + 1))
    assert set(seeds_map.assignments) <= ids | {-1}
    for t in seeds_map.topics:
        assert t.size == seeds_map.assignments.count(t.id) > 0
    assert sum(t.size for t in seeds_map.topics) + seeds_map.assignments.count(-1) == len(seeds_map.assignments)


def test_topics_are_deterministic(seeds_index: Path, seeds_map: TopicMap) -> None:
    again = discover_topics(Index.load(seeds_index))
    first, second = seeds_map.to_dict(), again.to_dict()
    first.pop("latency_ms"), second.pop("latency_ms")
    assert first == second


def test_labels_queries_and_examples(seeds_map: TopicMap) -> None:
    assert len(seeds_map.topics) >= 2
    for t in seeds_map.topics:
        assert t.label and t.label == " · ".join(t.terms[:3])
        assert t.query and len(t.query.split()) <= 4
        assert all(w in " ".join(t.terms[:3]).split() for w in t.query.split())
        assert t.examples and all(e.text for e in t.examples)
        assert [e.score for e in t.examples] == sorted((e.score for e in t.examples), reverse=True)
    labels = [t.label for t in seeds_map.topics]
    assert len(set(labels)) == len(labels)


def test_coverage_rows_sum_to_one_with_other(seeds_map: TopicMap) -> None:
    assert len(seeds_map.matrix) == len(seeds_map.sources) == 5
    for s, row, other in zip(seeds_map.sources, seeds_map.matrix, seeds_map.other):
        assert len(row) == len(seeds_map.topics)
        assert all(0.0 <= v <= 1.0 for v in row)
        assert sum(row) + other == pytest.approx(1.0, abs=1e-6), s.source
        for t, v in zip(seeds_map.topics, row):
            assert t.coverage[s.source] == v
    assert sum(t.share for t in seeds_map.topics) <= 1.0 + 1e-9
    # Topics are numbered by size, largest first.
    chars = [t.chars for t in seeds_map.topics]
    assert chars == sorted(chars, reverse=True)


def test_lead_and_ignored_follow_the_shares(seeds_index: Path) -> None:
    """A source leads a topic exactly when its share is large and far above every other source's; it
    ignores a topic exactly when its share is tiny. With eight topics the fake seeds map has both."""
    tm = discover_topics(Index.load(seeds_index), n_topics=8)
    assert any(t.lead for t in tm.topics) and any(t.ignored_by for t in tm.topics)
    for t in tm.topics:
        assert t.ignored_by == [s for s, v in t.coverage.items() if v < IGNORE_SHARE]
        best, *rest = sorted(t.coverage, key=lambda s: -t.coverage[s])
        top, second = t.coverage[best], max(t.coverage[s] for s in rest)
        leads = top >= LEAD_SHARE and top >= LEAD_RATIO * second
        assert t.lead == (best if leads else None), (t.id, t.coverage)
    leads_by_source = tm.leads()
    assert set(leads_by_source) == {s.source for s in tm.sources}
    assert sorted(t.id for ts in leads_by_source.values() for t in ts) == [t.id for t in tm.topics if t.lead]


def test_n_topics_is_honoured(seeds_index: Path) -> None:
    tm = discover_topics(Index.load(seeds_index), n_topics=4)
    assert tm.k == 4 and not tm.k_auto and tm.silhouette == {}
    assert 1 <= len(tm.topics) <= 4


def test_auto_k_records_silhouettes(seeds_map: TopicMap) -> None:
    assert seeds_map.k_auto
    assert seeds_map.silhouette and seeds_map.k in seeds_map.silhouette
    assert seeds_map.silhouette[seeds_map.k] == max(seeds_map.silhouette.values())


def test_tiny_corpus_and_chunk_units(fake_index: Path, tmp_path: Path, small_corpus: Path, fake: FakeEmbedder) -> None:
    tm = discover_topics(Index.load(fake_index))
    assert tm.topics and all(t.label for t in tm.topics)
    # An index without sentence vectors clusters its chunks.
    dest = tmp_path / "nosent"
    build_index(
        load_corpus([small_corpus]),
        fake,
        dest,
        ChunkerConfig(max_tokens=32),
        options=BuildOptions(sentence_vectors=False),
    )
    tm = discover_topics(Index.load(dest))
    assert tm.unit == "chunk" and len(tm.assignments) == len(Index.load(dest))


def test_json_schema(seeds_map: TopicMap) -> None:
    data = json.loads(json.dumps(seeds_map.to_dict()))
    assert set(data) >= {"index", "model", "unit", "units", "k", "k_auto", "topics", "sources", "coverage"}
    topic = data["topics"][0]
    assert set(topic) == {
        "id",
        "label",
        "terms",
        "query",
        "size",
        "chars",
        "share",
        "coherence",
        "coverage",
        "lead",
        "ignored_by",
        "examples",
    }
    assert set(topic["examples"][0]) == {"source", "score", "start", "end", "text"}
    assert data["coverage"]["topics"] == [t["id"] for t in data["topics"]]
    assert len(data["coverage"]["matrix"]) == len(data["sources"]) == len(data["coverage"]["other"])


def test_examples_are_exact_spans(seeds_index: Path, seeds_map: TopicMap) -> None:
    """Each example is an exact span with its clean text; the JSON gives the clean text."""
    from parallax.text.markup import to_plain

    index = Index.load(seeds_index)
    for t, data in zip(seeds_map.topics, seeds_map.to_dict()["topics"], strict=True):
        assert t.examples
        for e, shown in zip(t.examples, data["examples"], strict=True):
            assert index.document_text(e.source)[e.start : e.end] == e.text
            assert to_plain(e.text) == e.plain == shown["text"]


def test_pick_terms_removes_overlaps() -> None:
    ranked = [("liaison", 0.16), ("liaison office", 0.15), ("office", 0.15), ("office tokyo", 0.12), ("tokyo", 0.1)]
    assert pick_terms(ranked, 3) == ["liaison office", "tokyo"]
    ranked = [("korea", 0.17), ("south korea", 0.15), ("south", 0.14), ("north korea", 0.05), ("seoul", 0.04)]
    assert pick_terms(ranked, 3) == ["south korea", "north korea", "seoul"]
    # A weak phrase does not replace a strong word; inflections count as one word.
    assert pick_terms([("summit", 0.16), ("nato summit", 0.08), ("summits", 0.07), ("vilnius", 0.05)], 2) == [
        "summit",
        "nato",
    ]
    assert query_for(["south korea", "north korea", "nato"]) == "south korea nato"
    assert query_for(["liaison office", "tokyo", "nato", "japan"]) == "liaison office tokyo nato"


def test_render_topic_map(seeds_map: TopicMap) -> None:
    from rich.console import Console

    console = Console(record=True, width=160)
    console.print(render_topic_map(seeds_map))
    text = console.export_text()
    assert "parallax compare" in text and "other" in text
    for t in seeds_map.topics:
        assert t.label in text and t.query in text
    for s in seeds_map.sources:
        assert s.short_id in text


def test_topics_table_fits_a_narrow_terminal(seeds_map: TopicMap) -> None:
    """At 80 columns the compare-query column goes, and every label and source name is shown whole."""
    import re

    from rich.console import Console

    from parallax.render.topics import topics_table

    console = Console(record=True, width=80)
    console.print(topics_table(seeds_map, 80))
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "compare query" not in text
    words = set(re.findall(r"[\w’'-]+", text))
    for t in seeds_map.topics:
        assert set(re.findall(r"[\w’'-]+", t.label)) <= words, t.label
        names = {s.short_id for s in seeds_map.sources if s.source in t.ignored_by or s.source == t.lead}
        assert names <= words, names
    if seeds_map.k > len(seeds_map.topics):
        assert "set aside as other" in " ".join(text.split())


def test_cli_topics_json_is_one_object(seeds_index: Path) -> None:
    result = runner.invoke(app, ["topics", "--index", str(seeds_index), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["topics"] and data["sources"]


def test_cli_topics_table_and_html(seeds_index: Path, tmp_path: Path) -> None:
    page = tmp_path / "out" / "topics.html"
    args = ["topics", "--index", str(seeds_index), "-n", "5", "--html", str(page)]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "parallax compare" in result.stdout
    assert page.is_file() and "Sources × topics" in page.read_text(encoding="utf-8")


def test_cli_topics_missing_index_is_one_line(tmp_path: Path) -> None:
    result = invoke(["topics", "--index", str(tmp_path / "nope")])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:") and "parallax index" in lines[0]


def test_cli_topics_rejects_bad_n(seeds_index: Path) -> None:
    result = invoke(["topics", "--index", str(seeds_index), "-n", "0"])
    assert result.exit_code != 0 and result.output.startswith("Error:")


def test_topics_does_not_import_torch(seeds_index: Path) -> None:
    env = {**os.environ, "PARALLAX_MODEL": FAKE_MODEL}
    loaded, out = modules_loaded_by(["topics", "--json", "-n", "4", "--index", str(seeds_index)], env=env)
    assert loaded == [], out.stderr[-500:]
    assert json.loads(out.stdout)["topics"]


@pytest.mark.integration
def test_real_model_finds_the_seeds_topics(tmp_path: Path) -> None:
    """With MiniLM, the seeds' topics are the ones a reader of the five articles would name."""
    from parallax.core.settings import MINILM_ID
    from parallax.embed.minilm import SentenceTransformerEmbedder

    dest = tmp_path / "seeds"
    build_index(load_corpus([seeds_dir()]), SentenceTransformerEmbedder(), dest, inputs=[str(seeds_dir())])
    tm = discover_topics(Index.load(dest, model_id=MINILM_ID))
    assert 6 <= len(tm.topics) <= 12
    labels = " | ".join(t.label for t in tm.topics)
    for subject in ("liaison office", "south korea", "china", "ukraine", "vilnius", "japan"):
        assert subject in labels, labels
    liaison = next(t for t in tm.topics if "liaison office" in t.label)
    assert "tokyo" in liaison.query


def _nested_blobs(groups: int = 4, per_group: int = 4, size: int = 40, dim: int = 24) -> np.ndarray:
    """``groups`` far-apart groups of ``per_group`` subjects each: a broad split that a silhouette alone
    prefers, over the subjects a reader wants on the map."""
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(groups):
        centre = rng.normal(size=dim) * 6
        for _ in range(per_group):
            subject = centre + rng.normal(size=dim) * 2.5
            rows.append(subject + rng.normal(size=(size, dim)) * 0.4)
    return np.vstack(rows)


def test_auto_k_finds_the_subjects_not_the_broad_split() -> None:
    """On 640 units of 16 subjects in 4 broad groups, the map shows the subjects (issue 12: a real
    folder got k = 2 by silhouette, one topic and everything else other)."""
    from parallax.analyze.clusters import cluster

    x = _nested_blobs()
    found = cluster(x, np.ones(len(x), dtype=bool))
    assert found.k == 16, found.silhouette
    assert len(set(found.labels.tolist())) == 16


def test_clustering_never_leaks_library_warnings() -> None:
    """Asking for more clusters than distinct points made scikit-learn print a ConvergenceWarning."""
    import warnings

    from parallax.analyze.clusters import cluster

    rng = np.random.default_rng(1)
    distinct = rng.normal(size=(5, 16))
    x = distinct[np.arange(120) % 5]  # 120 units, only 5 distinct vectors
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = cluster(x, np.ones(len(x), dtype=bool), 12)
        auto = cluster(x, np.ones(len(x), dtype=bool))
    assert found.k <= 12 and auto.k >= 1


def test_capped_n_says_so(seeds_index: Path) -> None:
    """-n beyond what the units allow is capped, and the map says by how much and why."""
    tm = discover_topics(Index.load(seeds_index), n_topics=500)
    assert tm.k < 500 and tm.k_requested == 500
    assert "-n 500 capped" in tm.k_note and str(tm.k) in tm.k_note
    data = tm.to_dict()
    assert data["k_requested"] == 500 and data["k_note"] == tm.k_note
    assert len(tm.topics) > 1
    asked = discover_topics(Index.load(seeds_index), n_topics=4)
    assert asked.k_requested == 4 and asked.k_note == "k = 4 as asked"


def test_cli_capped_n_in_title_html_and_json(seeds_index: Path, tmp_path: Path) -> None:
    page = tmp_path / "topics.html"
    result = runner.invoke(app, ["topics", "--index", str(seeds_index), "-n", "500", "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    assert "-n 500 capped" in " ".join(result.stdout.split())
    assert "-n 500 capped" in page.read_text(encoding="utf-8")
    result = runner.invoke(app, ["topics", "--index", str(seeds_index), "-n", "500", "--json"])
    assert "-n 500 capped" in json.loads(result.stdout)["k_note"]


def _synthetic_map(n_sources: int, n_topics: int = 1) -> TopicMap:
    """A map with ``n_sources`` sources, every one of which ignores topic 1 but the first."""
    from parallax.analyze.topic_map import SourceInfo, Topic

    sources = [SourceInfo(f"doc-{i:02d}.txt", f"Doc {i}", f"doc-{i:02d}", 10, 1000) for i in range(n_sources)]
    coverage = {s.source: (0.5 if i == 0 else 0.0) for i, s in enumerate(sources)}
    topics = [
        Topic(
            id=j + 1,
            label=f"alpha{j} · beta · gamma",
            terms=[f"alpha{j}", "beta", "gamma"],
            query=f"alpha{j} beta gamma",
            size=5,
            chars=500,
            share=0.05,
            coherence=0.5,
            coverage=dict(coverage),
            ignored_by=[s.source for s in sources[1:]],
        )
        for j in range(n_topics)
    ]
    return TopicMap(
        topics=topics,
        sources=sources,
        matrix=[[t.coverage[s.source] for t in topics] for s in sources],
        other=[1.0 - sum(t.coverage[s.source] for t in topics) for s in sources],
        assignments=[1] * 5 + [-1] * (10 * n_sources - 5),
        unit="sentence",
        k=n_topics,
        k_auto=True,
        silhouette={},
    )


def test_long_ignored_lists_are_summarised() -> None:
    """'ignored by' names at most three sources; more are counted (terminal and HTML); JSON keeps all."""
    from rich.console import Console

    from parallax.render.html.topics import topics_html

    tm = _synthetic_map(38)
    for width in (80, 200):
        console = Console(record=True, width=width)
        console.print(render_topic_map(tm, width))
        text = " ".join(console.export_text().split())
        topics_part = text.split("Share of each")[0].split("Each source's main topics")[0]  # before the coverage
        assert "37 sources" in topics_part and "doc-05" not in topics_part, width
    page = topics_html(tm)
    assert "37 sources" in page and "doc-05</td>" not in page
    assert len(tm.to_dict()["topics"][0]["ignored_by"]) == 37
    few = _synthetic_map(4)
    console = Console(record=True, width=200)
    console.print(render_topic_map(few, 200))
    assert "doc-01, doc-02, doc-03" in console.export_text()
    assert "doc-01, doc-02, doc-03" in topics_html(few)


def test_counts_are_singular_when_one() -> None:
    from rich.console import Console

    from parallax.render.html.topics import topics_html
    from parallax.render.topics import topics_title

    tm = _synthetic_map(1)
    assert topics_title(tm).startswith("1 topic in 10 sentences")
    console = Console(record=True, width=200)
    console.print(render_topic_map(tm, 200))
    assert "1 topics" not in console.export_text()
    page = topics_html(tm)
    assert "<b>1</b> topic ·" in page and "<b>1</b> source ·" in page


def _wide_map(n_sources: int, n_topics: int) -> TopicMap:
    """A synthetic map: source i puts most of its text in topic i % n_topics, a little in the next one."""
    sources = [SourceInfo(f"doc{i:03d}.txt", f"Doc {i}", f"doc{i:03d}", 10, 1000) for i in range(n_sources)]
    matrix = [[0.0] * n_topics for _ in range(n_sources)]
    for i, row in enumerate(matrix):
        row[i % n_topics], row[(i + 1) % n_topics] = 0.6, 0.25
    topics = [
        Topic(
            t + 1,
            f"label {t + 1}",
            [],
            f"query {t + 1}",
            5,
            500,
            1 / n_topics,
            0.5,
            {s.source: matrix[i][t] for i, s in enumerate(sources)},
        )
        for t in range(n_topics)
    ]
    return TopicMap(topics, sources, matrix, [0.15] * n_sources, [], "sentence", n_topics, True, {})


def _printed(tm: TopicMap, width: int) -> str:
    from rich.console import Console

    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(render_topic_map(tm, width))
    return console.export_text()


@pytest.mark.parametrize("width", [80, 160])
def test_coverage_of_many_sources_and_topics_stays_readable(width: int) -> None:
    """150 sources x 22 topics cannot be a heat table in a terminal: each source's main topics instead."""
    out = _printed(_wide_map(150, 22), width)
    assert "…" not in out.replace("… and", "")  # no cell cut to an ellipsis
    assert "doc000" in out and "#1 60%" in out and "#2 25%" in out
    assert "and 120 more sources" in out and "--html" in out
    assert max(len(line.rstrip()) for line in out.splitlines()) <= width


def test_coverage_of_few_sources_is_a_heat_table() -> None:
    out = _printed(_wide_map(5, 6), 100)
    assert "Share of each source's text per topic" in out and "#6" in out and "other" in out


# --by and --where: a small press corpus with publishers and dates in sources.json.

_SUBJECTS = {
    "ships": "harbour pilots cargo ships breakwater tide anchor crane freighter dock sailors quay",
    "farms": "farmers wheat harvest tractor barley orchard soil cattle barn meadow plough seed",
    "music": "orchestra violin concert choir melody symphony piano rehearsal opera tenor chord score",
}
_PRESS = {  # file: (sentences per subject, sources.json entry)
    "a.txt": ({"ships": 8, "farms": 4}, {"publisher": "Daily Planet", "date": "2021-03-02"}),
    "b.txt": ({"farms": 6, "music": 6}, {"publisher": "Daily Planet", "date": "5 May 2020"}),
    "c.txt": ({"music": 10, "ships": 2}, {"publisher": "Gotham Gazette", "date": "2021-03"}),
    "d.txt": ({"ships": 8}, {"publisher": "gotham gazette", "date": None}),
    "e.txt": ({"farms": 8, "music": 4}, {"date": "2020"}),
}


def _press_text(counts: dict[str, int]) -> str:
    sentences = []
    for subject, n in counts.items():
        words = _SUBJECTS[subject].split()
        for i in range(n):
            picked = [words[(3 * i + j) % len(words)] for j in range(8)]
            sentences.append(" ".join(picked).capitalize() + ".")
    return " ".join(sentences) + "\n"


@pytest.fixture(scope="module")
def press_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("press") / "docs"
    folder.mkdir()
    for name, (counts, _) in _PRESS.items():
        (folder / name).write_text(_press_text(counts), encoding="utf-8")
    (folder / "sources.json").write_text(json.dumps({name: meta for name, (_, meta) in _PRESS.items()}), "utf-8")
    dest = folder.parent / "idx"
    build_index(load_corpus([folder]), FakeEmbedder(dim=64), dest, inputs=[str(folder)])
    return dest


def _scope(by: str = "document", *where: str) -> Scope:
    return Scope(by, tuple(where))


def test_group_shares_are_the_groups_text_pooled_by_hand() -> None:
    """Three documents, six units: a group's share of a topic is its documents' characters in the topic over
    all their characters; a document with two values counts in both groups."""
    from parallax.analyze.census import Census, Rows
    from parallax.index.fields import Group

    census = Census.of_table(
        ["a", "b", "c"],
        np.array(["a", "a", "b", "b", "b", "c"], dtype=object),
        np.array([10, 30, 20, 20, 60, 50], dtype=np.float64),
        np.array([0, 1, 0, 0, 1, 1]),
    )
    rows = Rows.of_groups(census.documents, [Group("X", ["a", "b"]), Group("Y", ["b"]), Group(None, ["c"])])
    shares = census.shares(census.labels == 0, rows)
    assert shares == pytest.approx({"X": 50 / 140, "Y": 40 / 100, "unknown": 0.0})  # (10+20+20) / (40+100)
    units, chars = census.row_totals(rows)
    assert units.tolist() == [5, 3, 1] and chars.tolist() == [140, 100, 50]
    # Without groups, each document alone, as before.
    assert census.shares(census.labels == 0) == pytest.approx({"a": 0.25, "b": 0.4, "c": 0.0})


def test_topics_by_publisher_pool_their_documents(press_index: Path) -> None:
    index = Index.load(press_index)
    alone = discover_topics(index, n_topics=3)
    grouped = discover_topics(index, n_topics=3, scope=_scope("publisher"))
    assert [t.label for t in grouped.topics] == [t.label for t in alone.topics]  # --by changes no cluster
    assert grouped.grouped and grouped.by == "publisher" and grouped.groups is not None
    assert [(g.name, g.label, g.documents) for g in grouped.groups] == [
        ("Daily Planet", "Daily Planet", 2),
        ("Gotham Gazette", "Gotham Gazette", 2),  # "gotham gazette" is the same publisher
        ("unknown", "no publisher recorded", 1),
    ]
    members = {"Daily Planet": ["a.txt", "b.txt"], "Gotham Gazette": ["c.txt", "d.txt"], "unknown": ["e.txt"]}
    chars = {s.source: s.chars for s in alone.sources}
    for g, row, other in zip(grouped.groups, grouped.matrix, grouped.other):
        assert sum(row) + other == pytest.approx(1.0, abs=1e-6)
        assert g.chars == sum(chars[s] for s in members[g.name])
        for t, alone_t, v in zip(grouped.topics, alone.topics, row):
            pooled = sum(chars[s] * alone_t.coverage[s] for s in members[g.name]) / g.chars
            assert t.coverage[g.name] == v == pytest.approx(pooled, abs=1e-3)
            assert (g.name in t.ignored_by) == (v < IGNORE_SHARE)


def test_unknown_group_last_and_months_in_time_order(press_index: Path) -> None:
    tm = discover_topics(Index.load(press_index), n_topics=3, scope=_scope("month"))
    assert tm.groups is not None
    assert [g.name for g in tm.groups] == ["2020-05", "2021-03", "unknown"]
    assert tm.groups[-1].value is None and tm.groups[-1].label == "no month recorded"
    assert [r.key for r in tm.rows] == [g.name for g in tm.groups] == tm.to_dict()["coverage"]["groups"]


@pytest.mark.parametrize("fit_max", [20_000, 10])
def test_where_restricts_the_documents_clustered(press_index: Path, fit_max: int) -> None:
    """--where maps only the documents kept: their units alone are clustered and counted (also when the
    clusters are fitted on a sample and every unit is then assigned)."""
    index = Index.load(press_index)
    units = {s.source: s.units for s in discover_topics(index, n_topics=3).sources}
    scope = _scope("publisher", "publisher=daily planet", "publisher=Gotham Gazette")
    tm = discover_topics(index, n_topics=3, scope=scope, fit_max=fit_max)
    assert [s.source for s in tm.sources] == ["a.txt", "b.txt", "c.txt", "d.txt"]
    assert len(tm.assignments) == sum(units[s] for s in ("a.txt", "b.txt", "c.txt", "d.txt"))
    assert [s.units for s in tm.sources] == [units[s.source] for s in tm.sources]
    assert {e.source for t in tm.topics for e in t.examples} <= {"a.txt", "b.txt", "c.txt", "d.txt"}
    assert tm.groups is not None and [g.name for g in tm.groups] == ["Daily Planet", "Gotham Gazette"]
    data = tm.to_dict()
    assert data["where"] == ["publisher=daily planet", "publisher=Gotham Gazette"] and data["documents"] == 4
    alone = discover_topics(index, scope=_scope("document", "publisher!=Daily Planet"))
    assert [s.source for s in alone.sources] == ["c.txt", "d.txt", "e.txt"] and not alone.grouped
    assert alone.to_dict()["coverage"]["sources"] == ["c.txt", "d.txt", "e.txt"]


def test_grouped_json_schema(press_index: Path) -> None:
    index = Index.load(press_index)
    plain = discover_topics(index, n_topics=3).to_dict()
    assert not {"by", "groups", "where", "documents"} & set(plain)
    as_document = discover_topics(index, n_topics=3, scope=_scope("document")).to_dict()
    plain.pop("latency_ms"), as_document.pop("latency_ms")
    assert as_document == plain  # --by document is the map without --by
    data = json.loads(json.dumps(discover_topics(index, n_topics=3, scope=_scope("Publisher")).to_dict()))
    assert data["by"] == "publisher" and data["documents"] == 5 and "sources" not in data
    assert set(data) == (set(plain) - {"sources"}) | {"by", "documents", "groups", "latency_ms"}
    for g in data["groups"]:
        assert set(g) == {"name", "value", "label", "documents", "units", "chars"}
    names = [g["name"] for g in data["groups"]]
    assert data["groups"][-1]["value"] is None and names[-1] == "unknown"
    assert data["coverage"]["groups"] == names and set(data["coverage"]) == {"groups", "topics", "matrix", "other"}
    assert len(data["coverage"]["matrix"]) == len(names) == len(data["coverage"]["other"])
    for t in data["topics"]:
        assert list(t["coverage"]) == names and set(t["ignored_by"]) <= set(names)
        assert t["lead"] is None or t["lead"] in names


def test_cli_topics_unknown_field_is_one_line(press_index: Path) -> None:
    code, output = run("topics", "--index", str(press_index), "--by", "nope")
    assert_one_line_error(code, output, "no document has a 'nope' field")
    assert "publisher" in output  # the fields there are
    code, output = run("topics", "--index", str(press_index), "--where", "publisher=Nobody")
    assert_one_line_error(code, output, "no document meets --where publisher=Nobody")


def test_cli_topics_by_publisher_at_80_columns(press_index: Path, tmp_path: Path) -> None:
    page = tmp_path / "by.html"
    args = ["topics", "--index", str(press_index), "-n", "3", "--by", "publisher", "--html", str(page)]
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 80
    assert "publishers" in out and "Share of each publisher's text per topic" in out
    table = out.split("Share of each publisher's text per topic")[1]
    names = [ln.split("│")[1].strip() for ln in table.splitlines() if ln.startswith("│")]
    assert names == ["Daily Planet", "Gotham Gazette", "no publisher recorded"]  # unknown last
    assert 'parallax compare "' in out and "--by publisher" in " ".join(out.split())
    html = page.read_text(encoding="utf-8")
    assert "Publishers × topics" in html and "no publisher recorded" in html and "2 documents" in html
    result = runner.invoke(app, [*args[:-2], "--json", "--where", "publisher!=Daily Planet"])
    data = json.loads(result.stdout)
    assert data["by"] == "publisher" and [g["label"] for g in data["groups"]] == [
        "Gotham Gazette",
        "no publisher recorded",
    ]


def _authors_map(n_groups: int, n_topics: int = 4) -> TopicMap:
    """A grouped map of ``n_groups`` authors (author i has i % 7 + 1 documents) and an unknown group."""
    from parallax.analyze.topic_map import GroupInfo

    groups = [
        GroupInfo(f"Author {i:04d}", f"Author {i:04d}", f"Author {i:04d}", i % 7 + 1, 10, 1000) for i in range(n_groups)
    ]
    groups.append(GroupInfo("unknown", None, "no author recorded", 1, 10, 1000))
    matrix = [[0.6 if (i % n_topics) == t else 0.1 for t in range(n_topics)] for i in range(len(groups))]
    topics = [
        Topic(
            t + 1,
            f"label {t + 1}",
            [],
            f"query {t + 1}",
            5,
            500,
            0.2,
            0.5,
            {g.name: matrix[i][t] for i, g in enumerate(groups)},
        )
        for t in range(n_topics)
    ]
    for t in topics:
        t.ignored_by = [g for g, v in t.coverage.items() if v < 0.2]
    sources = [SourceInfo(f"doc{i}.txt", f"Doc {i}", f"doc{i}", 10, 1000) for i in range(10)]
    return TopicMap(
        topics, sources, matrix, [0.0] * len(groups), [], "sentence", n_topics, True, {}, by="author", groups=groups
    )


def test_thousands_of_groups_stay_readable() -> None:
    """2,000 authors: the terminal names the 30 largest and counts the rest, the page shows the 200 largest,
    the JSON lists every one."""
    from parallax.render.html.topics import HTML_ROWS, topics_html

    tm = _authors_map(2000)
    out = _printed(tm, 80)
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 80
    assert "Each author's main topics" in out and "and 1971 more authors" in out
    assert "Author 0006" in out and "Author 0000" not in out  # 7 documents beats 1
    assert "ignored by 1501 authors" in " ".join(out.split())
    page = topics_html(tm)
    assert f"The {HTML_ROWS} largest of 2001 authors" in page and page.count('<tr><th scope="row">') == HTML_ROWS
    assert len(tm.to_dict()["groups"]) == 2001 and len(tm.to_dict()["coverage"]["matrix"]) == 2001
    few = _printed(_authors_map(3), 120)
    lines = [ln for ln in few.splitlines() if ln.startswith("│")]
    assert "no author recorded" in lines[-1]  # unknown last in the heat table
