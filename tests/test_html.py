"""The HTML pages of ``compare --html`` and ``topics --html``: self-contained, escaped, complete.

The browser tests open each page from ``file://`` in headless Chromium with every host name mapped to
nowhere, record Chromium's net log, and prove that the page asked for nothing: a control page with a
remote stylesheet and image shows that the same check does see page requests. They are skipped only
when no Chromium is installed (``make browser`` installs Debian's).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from parallax.analyze.comparison import AlignedPassage, Comparison, Point, SourceView, UniqueAngle
from parallax.analyze.coverage import CoverageFeatures
from parallax.analyze.facts import Facts
from parallax.analyze.passage import Passage
from parallax.analyze.topic_map import TopicMap
from parallax.analyze.topics import discover_topics
from parallax.cli.main import app
from parallax.core.settings import seeds_dir
from parallax.index.builder import build_index
from parallax.index.reader import Index
from parallax.ingest.load import load_corpus
from parallax.render.html.compare import compare_html, write_compare_html
from parallax.render.html.page import heat_colour, highlight
from parallax.render.html.topics import topics_html, write_topics_html

from .fakes import FakeEmbedder

FIXTURE = Path(__file__).parent / "fixtures" / "compare_sample.json"


def _passage(p: dict[str, Any], source: str = "") -> Passage:
    return Passage(p.get("source", source), p["score"], p["start"], p["end"], p["text"], focus=p.get("focus"))


def comparison(data: dict[str, Any]) -> Comparison:
    """The comparison whose JSON is ``data`` (the pages take the typed result, not its JSON)."""
    views = []
    for s in data["sources"]:
        view = SourceView(
            s["source"], s["title"], s["short_id"], s["coverage"], s["score"], CoverageFeatures(0, 0, 0, 0), {}
        )
        view.passages = [_passage(p, s["source"]) for p in s["passages"]]
        view.distinctive_terms = s["distinctive_terms"]
        if s["distinctive_passage"]:
            view.distinctive_passage = _passage(s["distinctive_passage"], s["source"])
        views.append(view)
    points = [
        Point(
            p["label"],
            p["sources"],
            [AlignedPassage(_passage(a), Facts(**a["facts"])) for a in p["passages"]],
        )
        for p in data["common_ground"]
    ]
    angles = [UniqueAngle(a["source"], a["label"], _passage(a["passage"], a["source"])) for a in data["unique_angles"]]
    return Comparison(
        data["topic"],
        data["topic_terms"],
        views,
        data["agreement"]["sources"],
        np.asarray(data["agreement"]["matrix"], dtype=np.float64),
        points,
        angles,
        data["latency_ms"]["total"],
    )


@pytest.fixture
def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("html") / "seeds-idx"
    build_index(load_corpus([seeds_dir()]), FakeEmbedder(dim=64), dest, inputs=[str(seeds_dir())])
    return dest


@pytest.fixture(scope="module")
def topic_map(seeds_index: Path) -> TopicMap:
    return discover_topics(Index.load(seeds_index))


# Anything that makes a browser fetch: remote or protocol-relative src/href, scripts, stylesheets,
# imports, CSS url(), frames, objects, srcset, meta refresh.
_LOADERS = [
    r"""\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""",
    r"<script\b",
    r"<link\b",
    r"@import",
    r"url\(",
    r"<iframe\b",
    r"<object\b",
    r"<embed\b",
    r"\bsrcset\s*=",
    r"http-equiv\s*=\s*[\"']?refresh",
]


def assert_self_contained(page: str) -> None:
    for pattern in _LOADERS:
        found = re.search(pattern, page, re.IGNORECASE)
        assert found is None, f"{pattern!r} matches {page[max(0, found.start() - 60) : found.end() + 60]!r}"


def test_compare_page_has_everything(sample: dict[str, Any]) -> None:
    page = compare_html(comparison(sample))
    assert_self_contained(page)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "<h1>South Korea and arms for Ukraine</h1>" in page
    for heading in ("Coverage", "Agreement", "Key passages", "Distinctive", "Common ground", "Unique angles"):
        assert f"<h2>{heading}</h2>" in page
    for s in sample["sources"]:
        assert s["short_id"] in page and s["source"] in page
        assert f"badge {s['coverage']}" in page
    for row in sample["agreement"]["matrix"]:
        for value in row:
            if value != 1.0:  # the diagonal is drawn as a dash
                assert f">{value:.2f}</td>" in page
    assert "<mark>Korea</mark>" in page and "<mark>Ukraine</mark>" in page
    for point in sample["common_ground"]:
        assert point["label"] in page
        for p in point["passages"]:
            for name in p["facts"]["names"]:
                assert f"{name}</li>" in page
    for angle in sample["unique_angles"]:
        assert html_text(angle["label"]) in page
    assert "No passage on this topic." in page  # the silent source
    assert "latency <b>49 ms</b>" in page


def html_text(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_compare_page_escapes_everything(sample: dict[str, Any]) -> None:
    evil = copy.deepcopy(sample)
    bad = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    evil["topic"] = "Korea " + bad
    evil["topic_terms"] = ["korea", "<b>"]
    evil["sources"][0]["title"] = bad
    evil["sources"][0]["short_id"] = '"><script>1</script>'
    evil["sources"][0]["passages"][0]["text"] = "Korea &lt;script&gt;alert(2)&lt;/script&gt; " + bad
    evil["sources"][0]["distinctive_terms"] = [bad]
    evil["common_ground"][0]["label"] = bad
    evil["common_ground"][0]["passages"][0]["facts"]["quotes"] = [bad]
    evil["unique_angles"][0]["label"] = bad
    page = compare_html(comparison(evil))
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert_self_contained(page)


def test_compare_page_handles_empty_sections(sample: dict[str, Any]) -> None:
    data = {**sample, "common_ground": [], "unique_angles": [], "agreement": {"sources": [], "matrix": []}}
    page = compare_html(comparison(data))
    assert "No point is made by two or more sources." in page
    assert "No source makes a point the others do not." in page
    assert "Fewer than two sources speak to this topic." in page


def test_compare_page_shows_a_passage_from_its_best_sentence(sample: dict[str, Any]) -> None:
    """With ``focus`` (the best sentence's offset, written for the page only), the excerpt starts there."""
    data = copy.deepcopy(sample)
    filler = " ".join(f"filler{i}" for i in range(300))
    text = f"{filler} The decisive sentence is here. {filler}"
    passage = {"score": 0.9, "start": 100, "end": 100 + len(text), "text": text}
    data["sources"][0]["passages"] = [{**passage, "focus": 100 + text.index("The decisive")}]
    assert "The decisive sentence is here." in compare_html(comparison(data))
    data["sources"][0]["passages"] = [passage]  # without it: from the first topic term, here none
    assert "The decisive sentence is here." not in compare_html(comparison(data))


def test_highlight_and_colours() -> None:
    assert highlight("Summits & <b>summit</b>", ["summit"]) == (
        "<mark>Summits</mark> &amp; &lt;b&gt;<mark>summit</mark>&lt;/b&gt;"
    )
    assert highlight("a < b", []) == "a &lt; b"
    light, dark = heat_colour(0.0), heat_colour(1.0)
    assert light[1] != "#fff" and dark[1] == "#fff"
    assert heat_colour(-3.0) == light and heat_colour(7.0) == dark


def test_topics_page_has_everything(topic_map: TopicMap) -> None:
    page = topics_html(topic_map)
    assert_self_contained(page)
    for heading in ("Sources × topics", "Where one source leads", "Topics", "Sources"):
        assert f"<h2>{heading}</h2>" in page
    assert topic_map.topics
    words = re.sub(r"<[^>]+>", "", page)  # the text, without the highlights
    for t in topic_map.topics:
        assert html_text(t.label) in page
        assert f'parallax compare "{html_text(t.query)}"' in page
        assert t.examples and html_text(t.examples[0].plain[:60]) in words
    for s in topic_map.sources:
        assert s.short_id in page
    for row in topic_map.matrix:
        for value in row:
            shown = f"{100 * round(value, 4):.0f}%" if value >= 0.005 else "·"
            assert f">{shown}</td>" in page


def test_writers_create_folders(sample: dict[str, Any], topic_map: TopicMap, tmp_path: Path) -> None:
    write_compare_html(comparison(sample), tmp_path / "a" / "compare.html")
    write_topics_html(topic_map, tmp_path / "b" / "topics.html")
    assert (tmp_path / "a" / "compare.html").read_text(encoding="utf-8") == compare_html(comparison(sample))
    assert (tmp_path / "b" / "topics.html").read_text(encoding="utf-8") == topics_html(topic_map)
    assert not list(tmp_path.rglob(".*.tmp"))


def test_cli_compare_writes_the_page(seeds_index: Path, tmp_path: Path) -> None:
    """``parallax compare TOPIC --html FILE`` end to end: the page holds every source, every key passage
    (from its best sentence) and every cross-source section, and loads nothing."""
    page_path = tmp_path / "out" / "compare.html"
    topic = "NATO summit in Vilnius"
    args = ["compare", topic, "--index", str(seeds_index), "--html", str(page_path), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    page = page_path.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert f"<h1>{html_text(topic)}</h1>" in page
    passages = [p for s in data["sources"] for p in s["passages"]]
    assert passages and data["common_ground"] and data["unique_angles"]
    for s in data["sources"]:
        assert s["source"] in page and html_text(s["short_id"]) in page
        assert f'<span class="badge {s["coverage"]}">{s["coverage"]}</span>' in page
    for p in passages:
        assert f"[{p['start']}:{p['end']})" in page
    for point in data["common_ground"]:
        assert html_text(point["label"]) in page
    for angle in data["unique_angles"]:
        assert html_text(angle["label"]) in page
    assert "No passage on this topic." in page  # the silent source


# ---------------------------------------------------------------------------------------------
# Headless Chromium.


def chromium() -> str | None:
    for name in (os.environ.get("PARALLAX_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and (path := shutil.which(name)):
            return path
    return None


needs_chromium = pytest.mark.skipif(
    chromium() is None, reason="no chromium binary (install Debian's chromium, or run: make browser)"
)


def open_in_chromium(page: Path, work: Path) -> tuple[str, list[str], Path]:
    """Load ``page`` from file:// with no reachable host; return its DOM, the URLs the page itself
    requested (from the net log), and a 1400x2000 screenshot."""
    binary = chromium()
    assert binary is not None
    netlog, shot = work / f"{page.stem}.netlog.json", work / f"{page.stem}.png"
    cmd = [
        binary,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        f"--user-data-dir={work / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--log-net-log={netlog}",
        "--hide-scrollbars",
        "--window-size=1400,2000",
        f"--screenshot={shot}",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=work)
    assert out.returncode == 0, out.stderr[-2000:]
    log = json.loads(netlog.read_text(encoding="utf-8"))
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    requested = []
    for event in log["events"]:
        params = event.get("params") or {}
        if names.get(event["type"]) != "URL_REQUEST_START_JOB" or "url" not in params:
            continue
        # Chromium's own background requests (updates, time, sign-in) have no initiating origin;
        # whatever a page loads carries its origin (file:// pages have the opaque origin "null").
        if params.get("initiator") != "not an origin" or "file://" in str(params.get("network_isolation_key", "")):
            requested.append(params["url"])
    return out.stdout, requested, shot


@pytest.mark.browser
@needs_chromium
def test_chromium_sees_requests_of_a_page_that_makes_them(tmp_path: Path) -> None:
    control = tmp_path / "control.html"
    control.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="https://fonts.example.invalid/a.css"></head>'
        '<body><h1>control</h1><img src="http://img.example.invalid/b.png"></body></html>',
        encoding="utf-8",
    )
    dom, requested, _ = open_in_chromium(control, tmp_path)
    assert "<h1>control</h1>" in dom
    assert sorted(requested) == ["http://img.example.invalid/b.png", "https://fonts.example.invalid/a.css"]


def _looks_rendered(shot: Path) -> None:
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1400, 2000)
    assert len(data) > 50_000  # a blank page compresses to a few kB


@pytest.mark.browser
@needs_chromium
def test_compare_page_in_chromium_makes_no_request(sample: dict[str, Any], tmp_path: Path) -> None:
    page = tmp_path / "compare.html"
    write_compare_html(comparison(sample), page)
    dom, requested, shot = open_in_chromium(page, tmp_path)
    assert requested == []
    assert "<h1>South Korea and arms for Ukraine</h1>" in dom
    for heading in ("Coverage", "Agreement", "Key passages", "Common ground", "Unique angles"):
        assert f"<h2>{heading}</h2>" in dom
    for s in sample["sources"]:
        assert s["short_id"] in dom
    _looks_rendered(shot)


@pytest.mark.browser
@needs_chromium
def test_topics_page_in_chromium_makes_no_request(topic_map: TopicMap, tmp_path: Path) -> None:
    page = tmp_path / "topics.html"
    write_topics_html(topic_map, page)
    dom, requested, shot = open_in_chromium(page, tmp_path)
    assert requested == []
    assert "<h2>Sources × topics</h2>" in dom
    assert topic_map.topics
    for t in topic_map.topics:
        assert html_text(t.label) in dom
    _looks_rendered(shot)


def test_coverage_counts_and_agreement_read_the_same_in_html_and_terminal(sample: dict[str, Any]) -> None:
    from rich.console import Console

    from parallax.render.compare import comparison_renderables

    data = copy.deepcopy(sample)
    data["sources"][3]["coverage"] = "silent"  # 2 cover, 1 mentions, 2 silent
    cmp = comparison(data)
    page = compare_html(cmp)
    console = Console(width=300, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    for part in comparison_renderables(cmp):
        console.print(part)
    terminal = " ".join(console.export_text().split())
    summary = "2 cover it, 1 mentions it, 2 are silent"
    assert summary in terminal and summary in page
    assert "1 mentions," not in page.replace("1 mentions it", "")
    agreement = "mean best-match cosine of their topic sentences"
    assert agreement in terminal and agreement in page


def test_a_possessive_term_highlights_the_word_with_either_apostrophe_or_none() -> None:
    from parallax.text.terms import query_terms, terms_pattern

    terms = query_terms("Japan's military budget")
    assert "japan's" in terms or "japan" in terms
    text = "Japan spends more. Japan’s budget grew. Japan's navy too."
    assert highlight(text, terms).count("<mark>Japan") == 3
    pattern = terms_pattern(["japan’s"])
    assert pattern is not None and len(pattern.findall(text)) == 3
