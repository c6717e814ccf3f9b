"""The viewpoint comparer: coverage rule, facts, c-TF-IDF, the JSON contract and the command."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from parallax.analyze.compare import Comparer, compare, uncalibrated_note
from parallax.analyze.coverage import (
    CALIBRATED_FOR,
    SENTENCE_LEVEL,
    CoverageFeatures,
    decide,
    features,
    sentence_scores,
)
from parallax.analyze.distinct import c_tf_idf
from parallax.analyze.facts import extract_facts
from parallax.cli.main import app
from parallax.core.settings import seeds_dir
from parallax.index.builder import BuildOptions, build_index
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus
from parallax.render.rich_text import snippet
from parallax.text.terms import excerpt

from .conftest import invoke
from .fakes import CHILD_PRELUDE, FakeEmbedder

runner = CliRunner()
KOREA = "002_1619fb158eec5a78.txt"


@pytest.fixture(scope="module")
def fake_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("cmp") / "seeds"
    build_index(load_corpus([seeds_dir()]), FakeEmbedder(dim=64), dest, ChunkerConfig(), inputs=[str(seeds_dir())])
    return dest


# ---------------------------------------------------------------------------------------------
# The coverage rule.


def _unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    return a / np.linalg.norm(a)


def test_verdicts_on_known_geometry() -> None:
    """Topic along e1: sentences pointing at it (and sharing its words), partly, or orthogonal."""
    topic = _unit([1, 0, 0, 0])
    on = _unit([0.95, 0.3, 0, 0])
    off = _unit([0, 0, 1, 0.2])
    sources = {
        "covers": ([on, on, _unit([0.9, 0, 0.4, 0]), on, off], [1.0, 1.0, 0.8, 1.0, 0.0]),
        "mentions": ([on, off, off, off, off], [1.0, 0.0, 0.0, 0.0, 0.0]),
        "silent": ([off, off, _unit([0, 1, 0, 0]), off], [0.0, 0.0, 0.0, 0.0]),
    }
    for want, (vectors, lexical) in sources.items():
        dense = np.vstack(vectors) @ topic
        lex = np.asarray(lexical)
        scores = sentence_scores(dense, lex, (lex > 0).astype(float))
        verdict = decide(features(scores))
        assert verdict.label == want, (want, verdict, features(scores))
        assert 0.0 <= verdict.score <= 1.0
        assert math.isclose(sum(verdict.probabilities.values()), 1.0, abs_tol=1e-3)


def test_score_orders_the_verdicts() -> None:
    silent = decide(CoverageFeatures(0.6, 0.0, 0.0, 0.0))
    mentions = decide(CoverageFeatures(1.2, math.log1p(1), 1.0, 0.0))
    covers = decide(CoverageFeatures(1.6, math.log1p(8), 1.0, 1.0))
    assert (silent.label, mentions.label, covers.label) == ("silent", "mentions", "covers")
    assert silent.score < mentions.score < covers.score


def test_features_count_sentences_on_topic() -> None:
    f = features(np.asarray([SENTENCE_LEVEL + 0.1, SENTENCE_LEVEL, 0.2]))
    assert f.on_topic == pytest.approx(math.log1p(2)) and f.has_one == 1.0 and f.has_two == 1.0
    assert features(np.zeros(0)) == CoverageFeatures(0.0, 0.0, 0.0, 0.0)


# ---------------------------------------------------------------------------------------------
# Facts and distinctive terms.


def test_facts_percent_money_years_dates() -> None:
    f = extract_facts(
        "Japan will spend 2% of GDP by 2027, up from 1.1 per cent, some $320 billion, said on 12 July 2023."
    )
    assert f.numbers == ["2%", "1.1 per cent", "$320 billion"]
    assert f.dates == ["2027", "12 July 2023"]


def test_facts_names_and_quotes() -> None:
    f = extract_facts(
        'In Tokyo, Paul Keating called Jens Stoltenberg a “supreme fool”; Mao Ning urged "extra caution".'
    )
    assert f.names == ["Paul Keating", "Jens Stoltenberg", "Mao Ning"]  # "In Tokyo" is not a name
    assert f.quotes == ["supreme fool", "extra caution"]
    assert not extract_facts("nothing to see here")
    assert extract_facts("Russia’s war and ‘extra cautious’ words").quotes == ["extra cautious"]


def test_c_tf_idf_prefers_what_is_rare_elsewhere() -> None:
    docs = {
        "a": "liaison office Tokyo liaison office France objects Macron",
        "b": "liaison office Tokyo China warns China reacts",
        "c": "",
    }
    terms = c_tf_idf(docs, top=3, exclude=["Tokyo"])
    assert terms["c"] == []
    assert "china" in terms["b"] and "liaison" not in " ".join(terms["b"])
    assert any("macron" in t or "france" in t for t in terms["a"])


# ---------------------------------------------------------------------------------------------
# The comparison and its JSON contract.

PASSAGE_KEYS = {"score", "start", "end", "text"}


def _check_passage(p: dict[str, object], texts: dict[str, str], source: str) -> None:
    assert isinstance(p["score"], float) and isinstance(p["start"], int) and isinstance(p["end"], int)
    assert p["text"] == texts[source][p["start"] : p["end"]]  # type: ignore[misc]


def test_json_schema_on_the_seeds(fake_seeds: Path) -> None:
    index = Index.load(fake_seeds)
    data = compare(index, FakeEmbedder(dim=64), "NATO summit in Vilnius", passages=2).to_dict()
    json.dumps(data)
    assert set(data) == {"topic", "latency_ms", "topic_terms", "sources", "agreement", "common_ground", "unique_angles"}
    assert set(data["latency_ms"]) == {"total"} and isinstance(data["latency_ms"]["total"], float)
    assert data["topic_terms"] == ["nato", "summit", "vilnius"]
    # On this topic every part of the schema is filled, so no loop below runs over nothing.
    coverages = {s["coverage"] for s in data["sources"]}
    assert coverages == {"covers", "mentions", "silent"}, coverages
    assert data["common_ground"] and data["unique_angles"]
    texts = {d.source: index.document_text(d.source) for d in index.manifest.documents}
    assert [s["source"] for s in data["sources"]] == sorted(texts)  # every source listed, silent ones too
    for s in data["sources"]:
        assert set(s) == {
            "source",
            "title",
            "short_id",
            "coverage",
            "score",
            "passages",
            "distinctive_terms",
            "distinctive_passage",
        }
        assert s["coverage"] in ("covers", "mentions", "silent") and 0.0 <= s["score"] <= 1.0
        assert isinstance(s["title"], str) and isinstance(s["short_id"], str)
        assert all(isinstance(t, str) for t in s["distinctive_terms"])
        assert len(s["passages"]) <= 2
        for p in s["passages"]:
            assert set(p) == PASSAGE_KEYS
            _check_passage(p, texts, s["source"])
        if s["coverage"] == "silent":
            assert s["passages"] == [] and s["distinctive_passage"] is None
        else:
            assert s["passages"] and set(s["distinctive_passage"]) == PASSAGE_KEYS
            _check_passage(s["distinctive_passage"], texts, s["source"])
    assert any(s["coverage"] != "silent" for s in data["sources"])
    m = data["agreement"]["matrix"]
    assert data["agreement"]["sources"] == [s["source"] for s in data["sources"]]
    assert len(m) == 5 and all(len(row) == 5 for row in m)
    for i in range(5):
        assert m[i][i] == 1.0
        for j in range(5):
            assert m[i][j] == m[j][i] and isinstance(m[i][j], float)
            if "silent" in (data["sources"][i]["coverage"], data["sources"][j]["coverage"]) and i != j:
                assert m[i][j] == 0.0
    for point in data["common_ground"]:
        assert set(point) == {"label", "sources", "passages"} and isinstance(point["label"], str)
        assert len(set(point["sources"])) >= 2 and point["sources"] == [p["source"] for p in point["passages"]]
        for p in point["passages"]:
            assert set(p) == {"source", *PASSAGE_KEYS, "facts"}
            assert set(p["facts"]) == {"numbers", "dates", "names", "quotes"}
            _check_passage(p, texts, p["source"])
    for angle in data["unique_angles"]:
        assert set(angle) == {"source", "label", "passage"}
        _check_passage(angle["passage"], texts, angle["source"])


def test_sentence_table_rows_and_chunk_units(fake_seeds: Path, tmp_path: Path) -> None:
    """The table holds the stored sentences (clean text of each exact span); an index without sentence
    vectors gives its chunks, with the text that was embedded, and compare runs on them."""
    from parallax.analyze.units import SentenceTable
    from parallax.text.markup import to_plain

    index = Index.load(fake_seeds)
    table = SentenceTable.from_index(index)
    assert table.kind == "sentence" and len(table) == index.manifest.sentence_count == len(table.matrix)
    for row in range(0, len(table), 37):
        source, start, end = table.spans[row]
        assert table.plain[row] == to_plain(index.document_text(source)[start:end])
        assert row in table.rows[source]
    assert sorted(int(r) for rows in table.rows.values() for r in rows) == list(range(len(table)))
    dest = tmp_path / "nosent"
    build_index(
        load_corpus([seeds_dir()]),
        FakeEmbedder(dim=64),
        dest,
        ChunkerConfig(),
        options=BuildOptions(sentence_vectors=False),
    )
    index = Index.load(dest)
    table = SentenceTable.from_index(index)
    chunks = index.all_chunks()
    assert table.kind == "chunk" and table.plain == [c.embed_text for c in chunks]
    assert table.spans == [(c.source, c.start, c.end) for c in chunks]
    cmp = compare(index, FakeEmbedder(dim=64), "NATO summit in Vilnius")
    spoken = [p for v in cmp.sources for p in v.passages]
    assert spoken and all(p.focus is None for p in spoken)
    assert all(p.text == index.document_text(p.source)[p.start : p.end] for p in spoken)


def test_comparer_reuses_its_state_and_refuses_bad_input(fake_seeds: Path) -> None:
    from parallax.core.errors import InputError

    comparer = Comparer(Index.load(fake_seeds), FakeEmbedder(dim=64))
    a = comparer.compare("liaison office in Tokyo").to_dict()
    b = comparer.compare("liaison office in Tokyo").to_dict()
    a.pop("latency_ms"), b.pop("latency_ms")
    assert a == b
    with pytest.raises(InputError):
        comparer.compare("   ")
    with pytest.raises(InputError):
        comparer.compare("Tokyo", passages=0)


def test_key_passages_do_not_repeat_a_point(tmp_path: Path) -> None:
    """A pull quote repeats a sentence, and overlapping chunks share one: each point is shown once."""
    point = "The liaison office in Tokyo will open next year, officials said."
    filler = [f"Filler sentence number {i} talks about weather and harvests and rivers." for i in range(30)]
    body = [*filler[:10], point, *filler[10:20], point, *filler[20:]]
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(" ".join(body), encoding="utf-8")
    (folder / "b.txt").write_text("Nothing on the matter here. Only cooking and recipes today.", encoding="utf-8")
    dest = tmp_path / "index"
    build_index(load_corpus([folder]), FakeEmbedder(dim=64), dest, ChunkerConfig(max_tokens=60))
    index = Index.load(dest)
    assert len(index.all_chunks()) >= 4  # the two copies of the point are in different chunks
    view = compare(index, FakeEmbedder(dim=64), "liaison office in Tokyo", passages=3).source("a.txt")
    holding = [p for p in view.passages if "liaison office in Tokyo" in p.text]
    assert len(holding) == 1, [(p.start, p.end) for p in view.passages]
    # The excerpt shown is around the passage's best sentence, wherever it lies in the chunk.
    top = holding[0]
    assert top.focus is not None and top.start <= top.focus < top.end
    document = index.document_text("a.txt")
    assert document[top.focus :].startswith(point)
    assert point in snippet(top.text, ["weather"], width=120, at=top.focus - top.start).plain
    assert "focus" not in top.to_dict()  # the JSON has no focus; the pages read it from the passage


def test_excerpt_starts_just_before_the_given_offset() -> None:
    text = " ".join(f"word{i}" for i in range(200))
    at = text.index("word150")
    cut = excerpt(text, ["word3"], width=100, at=at)
    assert "word150" in cut and "word3 " not in cut and cut.startswith("… ")
    assert excerpt(text, ["word3"], width=100).startswith("word0")  # no offset: around the first term
    tail = excerpt(text, [], width=100, at=len(text) - 3)  # near the end: the last ``width`` characters
    assert tail.endswith("word199") and len(tail) >= 90


# ---------------------------------------------------------------------------------------------
# The command.


def test_cli_json_is_one_object(fake_seeds: Path) -> None:
    result = runner.invoke(app, ["compare", "Japan defence spending 2% of GDP", "--json", "--index", str(fake_seeds)])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert json.loads(lines[0])["topic"] == "Japan defence spending 2% of GDP"


def test_uncalibrated_model_is_noted_on_stderr_not_in_the_json(fake_seeds: Path) -> None:
    """The coverage rule was calibrated for MiniLM: on another model the verdicts come with a note."""
    assert uncalibrated_note(CALIBRATED_FOR) == []
    cmp = compare(Index.load(fake_seeds), FakeEmbedder(dim=64), "liaison office in Tokyo")
    assert cmp.notes == [
        "coverage verdicts are calibrated for all-MiniLM-L6-v2; with parallax/fake-hash-64 they are uncalibrated"
    ]
    assert "notes" not in cmp.to_dict()
    result = runner.invoke(app, ["compare", "liaison office in Tokyo", "--json", "--index", str(fake_seeds)])
    assert result.exit_code == 0, result.output
    assert "uncalibrated" in result.stderr and "uncalibrated" not in result.stdout
    assert "notes" not in json.loads(result.stdout)


def test_cli_terminal_output(fake_seeds: Path) -> None:
    result = runner.invoke(app, ["compare", "liaison office in Tokyo", "--index", str(fake_seeds)])
    assert result.exit_code == 0, result.output
    assert "Topic:" in result.output and "Agreement" in result.output
    assert "COVERS" in result.output or "MENTIONS" in result.output


def test_bench_compare_scores_each_half(fake_seeds: Path, tmp_path: Path) -> None:
    """``parallax bench compare`` on the fake index: every labelled cell scored once, the figures agree
    with the cells, the result file holds the command, and the table fits 80 columns."""
    result = runner.invoke(
        app, ["bench", "compare", "--index", str(fake_seeds), "--out", str(tmp_path)], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    assert all(len(line) <= 80 for line in result.stdout.splitlines()) and "…" not in result.stdout
    assert "held-out" in result.stdout and "calibration" in result.stdout
    data = json.loads((tmp_path / "compare-seeds.json").read_text(encoding="utf-8"))
    assert data["command"] == f"parallax bench compare --index {fake_seeds} --out {tmp_path}"
    labelled = json.loads((seeds_dir().parent / "benchmarks" / "data" / "seeds_coverage.json").read_text())
    assert len(data["cells"]) == 5 * len(labelled["topics"])
    for half, name in zip(data["halves"], ("calibration", "held-out")):
        cells = [c for c in data["cells"] if c["half"] == name]
        assert half["cells"] == len(cells) == sum(sum(row.values()) for row in half["confusion"].values())
        assert half["accuracy"] == pytest.approx(
            sum(c["label"] == c["predicted"] for c in cells) / len(cells), abs=1e-4
        )
        covered = [c for c in cells if c["label"] == "covers"]
        assert half["covered_cells"] == len(covered)
        assert half["evidence_rate"] == pytest.approx(
            sum(c["evidence_in_top"] for c in covered) / len(covered), abs=1e-4
        )


@pytest.mark.parametrize("topic", ["", "   ", '""'])
def test_cli_empty_topic_is_a_one_line_error(fake_seeds: Path, topic: str) -> None:
    result = invoke(["compare", topic, "--index", str(fake_seeds)])
    assert result.exit_code != 0
    errors = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and "empty" in errors[0], result.output


def test_compare_imports_no_torch(fake_seeds: Path) -> None:
    probe = (
        "import sys\n"
        "from parallax.cli.main import app\n"
        "from typer.testing import CliRunner\n"
        f"r = CliRunner().invoke(app, ['compare', 'Tokyo office', '--json', '--index', {str(fake_seeds)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('HEAVY=' + ','.join(m for m in ('torch', 'sentence_transformers') if m in sys.modules))\n"
    )
    env = {**os.environ, "PARALLAX_MODEL": "parallax/fake-hash-64"}
    out = subprocess.run([sys.executable, "-c", CHILD_PRELUDE + probe], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-800:]
    assert "HEAVY=\n" in out.stdout


# ---------------------------------------------------------------------------------------------
# The real model on the seeds.


@pytest.mark.integration
def test_real_model_verdicts_on_plain_topics(tmp_path_factory: pytest.TempPathFactory) -> None:
    from parallax.embed.registry import MINILM_ID, get_embedder

    embedder = get_embedder(MINILM_ID)
    dest = tmp_path_factory.mktemp("cmp-real") / "seeds"
    build_index(load_corpus([seeds_dir()]), embedder, dest, ChunkerConfig(), inputs=[str(seeds_dir())])
    comparer = Comparer(Index.load(dest, model_id=MINILM_ID), embedder)
    korea = comparer.compare("South Korea and arms for Ukraine")
    assert korea.source(KOREA).coverage == "covers"
    top = korea.source(KOREA).passages[0]
    assert "Korea" in top.text and "Ukraine" in top.text
    assert korea.source("003_192fbbb1ad7936c7.txt").coverage == "silent"
    keating = comparer.compare("Paul Keating's criticism of Stoltenberg")
    assert keating.source("003_192fbbb1ad7936c7.txt").coverage != "silent"
    assert "Keating" in keating.source("003_192fbbb1ad7936c7.txt").passages[0].text
    assert [v.coverage for v in keating.sources].count("silent") >= 3
    philippines = comparer.compare("Philippines and NATO")
    assert philippines.source("000_860f4563b2473f64.txt").coverage == "covers"
    assert philippines.source("003_192fbbb1ad7936c7.txt").coverage == "silent"


def test_term_counts_match_scikit_learn() -> None:
    """``count_terms`` counts exactly what scikit-learn's CountVectorizer counts with the same settings."""
    from sklearn.feature_extraction.text import CountVectorizer

    from parallax.analyze.distinct import TOKEN_PATTERN, count_terms
    from parallax.text.terms import STOPWORDS

    texts = [d.text for d in load_corpus([seeds_dir()])]
    texts += [
        "Japan’s 2% of GDP by 2027, it's the U.S.-led bloc's plan; NATO-Japan ties — ‘Asian NATO’.",
        "the and of it's",  # stop words only
        "Émigrés in Zürich; naïve café owners, 50% off, 3.5% up, x2 y2",
        "",
    ]
    terms, tf = count_terms(texts)
    vectorizer = CountVectorizer(ngram_range=(1, 2), stop_words=sorted(STOPWORDS), token_pattern=TOKEN_PATTERN)
    want = vectorizer.fit_transform(texts).toarray()
    assert terms == list(vectorizer.get_feature_names_out())
    assert np.array_equal(tf, want)
    # As ``parallax topics`` counts: its token pattern and stop words, and terms in two texts or more.
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from parallax.analyze import labels

    stop = ENGLISH_STOP_WORDS | labels.EXTRA_STOP
    terms, tf = count_terms(texts, stop, token_pattern=labels.TOKEN_PATTERN, min_df=2)
    vectorizer = CountVectorizer(
        ngram_range=(1, 2), stop_words=sorted(stop), token_pattern=labels.TOKEN_PATTERN, min_df=2
    )
    want = vectorizer.fit_transform(texts).toarray()
    assert terms == list(vectorizer.get_feature_names_out())
    assert np.array_equal(tf, want)


def test_point_clusters_match_scikit_learn() -> None:
    """Parallax's point clustering groups sentences exactly as scikit-learn's AgglomerativeClustering
    (average linkage, cosine, cut at 1 - POINT_SIMILARITY) does, and orders clusters by their first row."""
    from sklearn.cluster import AgglomerativeClustering

    from parallax.analyze.points import POINT_SIMILARITY, cluster_points

    assert cluster_points(np.zeros((0, 8))) == []
    assert [c.tolist() for c in cluster_points(np.ones((1, 8)))] == [[0]]
    rng = np.random.default_rng(3)
    for n in (2, 5, 30, 80):
        centres = rng.standard_normal((4, 32))
        x = centres[rng.integers(0, 4, n)] + 0.6 * rng.standard_normal((n, 32))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        clusters = cluster_points(x)
        ours = np.empty(n, dtype=int)
        for c, members in enumerate(clusters):
            ours[members] = c
        assert sorted(int(i) for m in clusters for i in m) == list(range(n))  # each row in one cluster
        assert [int(m[0]) for m in clusters] == sorted(int(m[0]) for m in clusters)
        theirs = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=1 - POINT_SIMILARITY
        ).fit_predict(x)
        assert 1 < len(clusters) < n or n == 2, (n, len(clusters))  # the cut matters on this data
        pairs_ours = ours[:, None] == ours[None, :]
        pairs_theirs = theirs[:, None] == theirs[None, :]
        assert np.array_equal(pairs_ours, pairs_theirs), n


def test_compare_does_not_import_scikit_learn(tmp_path: Path) -> None:
    """scikit-learn's import costs seconds (it loads scipy.stats); compare needs none of it."""
    code = (
        "import sys\n"
        "from parallax.ingest.load import load_corpus\nfrom tests.fakes import FakeEmbedder\n"
        "from parallax.index.builder import build_index\nfrom parallax.index.reader import Index\n"
        "from parallax.analyze.compare import compare\n"
        "from parallax.core.settings import seeds_dir\nfrom pathlib import Path\n"
        f"p = Path({str(tmp_path / 'i')!r})\n"
        "build_index(load_corpus([seeds_dir()]), FakeEmbedder(dim=64), p)\n"
        "compare(Index.load(p), FakeEmbedder(dim=64), 'NATO liaison office in Tokyo')\n"
        "print([m for m in ('sklearn', 'torch') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", CHILD_PRELUDE + code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
