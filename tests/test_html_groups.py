"""The ``compare --by`` page: group cards count their documents, passages name their documents, silent
groups are listed on one line, and ``--by year`` / ``month`` adds coverage over time as an inline SVG."""

from __future__ import annotations

import html
import itertools
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from parallax.analyze.comparison import (
    AlignedPassage,
    Comparison,
    DocumentCounts,
    Point,
    SourceView,
    UniqueAngle,
)
from parallax.analyze.coverage import CoverageFeatures
from parallax.analyze.facts import Facts
from parallax.analyze.passage import Passage
from parallax.render.html.compare import compare_html, write_compare_html

from .test_html import assert_self_contained, chromium, needs_chromium, open_in_chromium

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _text(doc: str) -> str:
    return f"Michael Steele said the war in Afghanistan was one of Obama's choosing ({doc})."


def _group(name: str, coverage: str, counts: tuple[int, int, int, int], docs: list[str], title: str = "") -> SourceView:
    view = SourceView(name, title or name, name, coverage, 0.9 if docs else 0.1, CoverageFeatures(0, 0, 0, 0), {})
    view.documents = DocumentCounts(*counts)
    view.passages = [Passage(d, 0.8 - i / 10, 10 * i, 10 * i + 70, _text(d)) for i, d in enumerate(docs)]
    if docs:
        view.distinctive_terms = ["choosing"]
        view.distinctive_passage = Passage(docs[0], 0.7, 200, 270, _text(docs[0]))
    return view


def grouped(by: str, views: list[SourceView], titles: dict[str, str]) -> Comparison:
    """A grouped comparison as ``Comparer.compare`` makes one: groups as sources, documents named."""
    talking = [v for v in views if v.passages]
    names = [v.source for v in views]
    agreement = np.eye(len(names))
    common = []
    if len(talking) >= 2:
        a, b = talking[0], talking[1]
        aligned = [AlignedPassage(v.passages[0], Facts([], [], ["Steele"], []), v.source) for v in (a, b)]
        common = [Point("Steele and the war", [a.source, b.source], aligned)]
    unique = [UniqueAngle(talking[0].source, "A war of choosing", talking[0].passages[-1])] if talking else []
    cmp = Comparison("Michael Steele", ["steele", "afghanistan"], views, names, agreement, common, unique, 12.0)
    cmp.by = by
    cmp.titles = titles
    cmp.short_ids = {doc: doc.split("/")[-1].removesuffix(".txt") for doc in titles}
    return cmp


def by_publisher() -> Comparison:
    views = [
        _group("Fox News", "covers", (50, 1, 1, 48), ["2010/fox-1.txt", "2010/fox-2.txt"]),
        _group("HuffPost", "mentions", (50, 0, 1, 49), ["2011/hpo-3.txt"]),
        _group("The New York Times", "silent", (50, 0, 0, 50), []),
        _group("unknown", "silent", (2, 0, 0, 2), [], title="no publisher recorded"),
    ]
    titles = {
        "2010/fox-1.txt": "Steele Criticized for Afghanistan Comments",
        "2010/fox-2.txt": "GOP Senators Keep Pressure on Steele",
        "2011/hpo-3.txt": "Trump Won't Go Forward With Debate",
    }
    return grouped("publisher", views, titles)


def by_year(by: str = "year", keys: tuple[str, ...] = ("2010", "2012", "2013")) -> Comparison:
    """Three periods with documents and a gap (2011 has none): covers, mentions, silent."""
    views = [
        _group(keys[0], "covers", (30, 3, 3, 24), ["2010/nyt-1.txt"]),
        _group(keys[1], "mentions", (30, 0, 1, 29), ["2012/nyt-2.txt"]),
        _group(keys[2], "silent", (30, 0, 0, 30), []),
    ]
    return grouped(by, views, {"2010/nyt-1.txt": "Steele Criticized", "2012/nyt-2.txt": "Debate"})


def _plain(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_group_cards_count_their_documents_and_silent_groups_share_one_line() -> None:
    page = compare_html(by_publisher())
    assert_self_contained(page)
    text = _plain(page)
    assert "4 groups by publisher (1 covers it, 1 mentions it, 2 are silent) · 3 documents" in text
    assert "1 of 50 documents covers it · 1 mentions it · 48 are silent" in text
    assert "0 of 50 documents cover it · 1 mentions it · 49 are silent" in text
    assert page.count('<div class="card">') == 2 + 1  # two speaking groups, one unique angle
    silent = page[page.index('<div class="silent-groups">') :]
    silent = silent[: silent.index("</div>")]
    assert "The New York Times" in silent and "unknown" in silent and "2 documents" in silent
    assert "Fox News" not in silent
    columns = page[page.index('<section id="passages">') : page.index('<section id="distinctive">')]
    assert "Fox News" in columns and "HuffPost" in columns and "The New York Times" not in columns
    assert "Coverage over time" not in page and "<svg" not in page


def test_every_passage_names_its_document() -> None:
    cmp = by_publisher()
    page = compare_html(cmp)
    for doc, title in cmp.titles.items():
        short = cmp.short_ids[doc]
        named = (
            rf'\) · <span class="doc" title="{re.escape(doc)}"><span class="doc-id">{short}</span> '
            rf'<span class="doc-title">{re.escape(html.escape(title))}</span></span></div>'
        )
        assert re.search(named, page), doc
    sections = {m.group(1): m.start() for m in re.finditer(r'<section id="(\w+)"', page)}
    for section in ("passages", "distinctive", "common", "unique"):
        start = sections[section]
        end = min((v for v in sections.values() if v > start), default=len(page))
        assert 'class="doc-id">fox-' in page[start:end], section
    common = page[sections["common"] : sections["unique"]]
    heads = re.findall(r'<div class="head"><span class="src">([^<]+)</span></div>', common)
    assert heads == ["Fox News", "HuffPost"]  # a column per group, not per document


def test_coverage_over_time_only_by_year_or_month() -> None:
    for by, keys, gap in (
        ("year", ("2010", "2012", "2013"), "2011"),
        ("month", ("2010-11", "2011-01", "2011-02"), "2010-12"),
    ):
        page = compare_html(by_year(by, keys))
        assert_self_contained(page)
        assert "<h2>Coverage over time</h2>" in page
        assert page.index('id="timeline"') < page.index('id="coverage"')  # near the top
        svg = page[page.index("<svg") : page.index("</svg>")]
        rects = re.findall(r'<rect class="([\w-]+)"', svg)
        assert rects == ["bar", "bar-none", "bar-mention", "bar-none"]  # one per period, the gap included
        assert f">{gap}<" in svg or f"{gap}: 0 of 0" in svg
    assert "<svg" not in compare_html(by_publisher())


def test_the_timeline_is_styled_like_the_badges() -> None:
    page = compare_html(by_year())
    for rule in (
        "svg.timeline .bar { fill: var(--covers); }",
        "svg.timeline .bar-mention { fill: var(--mentions); }",
        "svg.timeline .bar-none { fill: var(--line); }",
    ):
        assert rule in page


def test_a_hostile_group_and_document_title_are_escaped() -> None:
    views = [
        _group(EVIL, "covers", (3, 1, 0, 2), ["a.txt"], title=EVIL),
        _group("B" + EVIL, "mentions", (3, 0, 1, 2), ["b.txt"]),
        _group("C" + EVIL, "silent", (3, 0, 0, 3), []),
    ]
    cmp = grouped("publisher", views, {"a.txt": EVIL, "b.txt": "fine"})
    cmp.short_ids["a.txt"] = '"><script>1</script>'
    page = compare_html(cmp)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert_self_contained(page)


def test_fifty_groups_stay_compact() -> None:
    views = [
        _group("2000", "covers", (50, 1, 1, 48), ["x/a.txt"]),
        _group("2001", "mentions", (50, 0, 1, 49), ["x/b.txt"]),
    ]
    views += [_group(str(2002 + i), "silent", (50, 0, 0, 50), []) for i in range(48)]
    page = compare_html(grouped("year", views, {"x/a.txt": "A", "x/b.txt": "B"}))
    assert page.count('<div class="card"><div><span class="src">') == 2 + 1  # two groups, one unique angle
    assert page.count('<div class="column">') == 2 + 2 + 2  # key passages, distinctive, common ground
    assert page.count('<li><span class="src">') == 48
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count("<rect") == 50
    agreement = page[page.index('<section id="agreement">') : page.index('<section id="passages">')]
    assert agreement.count("<tr>") == 3  # silent groups are left out of the matrix


def test_a_plain_comparison_has_no_group_parts() -> None:
    cmp = by_publisher()
    cmp.by = "document"
    page = compare_html(cmp)
    assert 'class="doc-id"' not in page and 'class="silent-groups"' not in page and "<svg" not in page


# ---------------------------------------------------------------------------------------------
# Headless Chromium.


def _scroll_width(page: Path, work: Path, width: int) -> tuple[int, int]:
    """(scrollWidth, clientWidth) of the page at ``width``: a copy with a probe script, read back from the DOM."""
    probe = work / f"{page.stem}.probe.html"
    script = (
        '<script>document.body.setAttribute("data-width", '
        'document.documentElement.scrollWidth + "/" + document.documentElement.clientWidth)</script>'
    )
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", script + "</body>"), encoding="utf-8")
    binary = chromium()
    assert binary is not None
    cmd = [
        binary,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={work / 'profile-narrow'}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--hide-scrollbars",
        f"--window-size={width},1000",
        "--dump-dom",
        probe.resolve().as_uri(),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=work)
    assert out.returncode == 0, out.stderr[-2000:]
    found = re.search(r'data-width="(\d+)/(\d+)"', out.stdout)
    assert found, out.stdout[-500:]
    return int(found.group(1)), int(found.group(2))


@pytest.mark.browser
@needs_chromium
def test_grouped_page_in_chromium_makes_no_request_and_fits_a_narrow_window(tmp_path: Path) -> None:
    page = tmp_path / "grouped.html"
    write_compare_html(by_year(), page)
    dom, requested, _ = open_in_chromium(page, tmp_path)
    assert requested == []
    for heading in ("Coverage over time", "Coverage", "Agreement", "Key passages", "Common ground"):
        assert f"<h2>{heading}</h2>" in dom
    assert "<svg" in dom and 'class="doc-id"' in dom
    scroll, client = _scroll_width(page, tmp_path, 480)
    assert scroll <= client, f"the page is {scroll}px wide in a {client}px window"


def test_timeline_labels_do_not_crowd_the_last_one() -> None:
    from parallax.render.timeline import Period, svg

    for n in (1, 5, 8, 17, 59):
        periods = [Period(f"p{i}", 1, 0, 0) for i in range(n)]
        shown = [int(x) for x in re.findall(r">p(\d+)</text>", svg(periods))]
        assert shown[-1] == n - 1 and shown == sorted(set(shown))
        gaps = [b - a for a, b in itertools.pairwise(shown)]
        assert all(g > max(1, n // 8) // 2 for g in gaps), (n, shown)
