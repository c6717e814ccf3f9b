"""Formats: PDF with page numbers, HTML through trafilatura, Markdown heading paths, ``parallax show``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parallax.api import parse_span, show_passage
from parallax.cli.main import app
from parallax.core.errors import CorpusError, InputError
from parallax.index.builder import build_index
from parallax.index.reader import Index
from parallax.ingest import extract
from parallax.ingest.chunk import ChunkerConfig, chunk_document, sentence_units
from parallax.ingest.load import load_corpus, load_document
from parallax.search.searcher import Searcher

from .conftest import invoke
from .fakes import FakeEmbedder

runner = CliRunner()


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A small valid PDF: one Helvetica text line per string, one page per list."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    page_ids = [4 + 2 * i for i in range(len(pages))]
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for pid, lines in zip(page_ids, pages):
        stream = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({esc(ln)}) Tj T*" for ln in lines) + " ET"
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {pid + 1} 0 R >>".encode()
        )
        objs.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream".encode())
    info = None
    if title:
        objs.append(f"<< /Title ({esc(title)}) >>".encode())
        info = len(objs)
    out = b"%PDF-1.4\n"
    offsets = []
    for k, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{k} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    trailer = f"/Size {len(objs) + 1} /Root 1 0 R" + (f" /Info {info} 0 R" if info else "")
    out += f"trailer\n<< {trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


PAGES = [
    ["Volcanoes of Iceland", "Iceland sits on the Mid-Atlantic Ridge.", "Its volcanoes erupt often."],
    ["Glaciers cover a tenth of the island.", "Meltwater floods are called jokulhlaups."],
    ["Geothermal power heats most homes in Reykjavik.", "Hot springs are popular with visitors."],
]


@pytest.fixture
def mixed(tmp_path: Path, small_corpus: Path) -> Path:
    (small_corpus / "iceland.pdf").write_bytes(make_pdf(PAGES, title="Iceland notes"))
    return small_corpus


def test_pdf_pages_are_recorded(mixed: Path) -> None:
    doc = load_document(mixed / "iceland.pdf")
    assert doc.format == "pdf" and doc.title == "Iceland notes" and len(doc.pages) == 3
    assert doc.pages[0] == 0
    for number, lines in enumerate(PAGES, start=1):
        at = doc.text.index(lines[0])
        assert doc.page_at(at) == number
        assert doc.text[doc.pages[number - 1] :].startswith(lines[0])


def test_pdf_hits_carry_page_numbers(mixed: Path, tmp_path: Path) -> None:
    dest = tmp_path / "i"
    build_index(load_corpus([mixed]), FakeEmbedder(dim=64), dest, ChunkerConfig(max_tokens=16, overlap_sentences=0))
    index = Index.load(dest)
    doc = load_document(mixed / "iceland.pdf")
    searcher = Searcher(index, FakeEmbedder(dim=64))
    pages = set()
    for query in ("Iceland volcanoes ridge", "glaciers meltwater", "geothermal hot springs visitors"):
        for hit in searcher.search(query, k=10, sources=["iceland"], mode="bm25").hits:
            assert hit.page == doc.page_at(hit.start) and hit.to_dict()["page"] == hit.page  # the page it starts on
            assert hit.text == index.document_text("iceland.pdf")[hit.start : hit.end]
            pages.add(hit.page)
    assert pages == {1, 2, 3}
    # Non-PDF hits have no page, and their JSON keeps exactly the old keys.
    other = Searcher(index, FakeEmbedder(dim=64)).search("green tea leaves", k=1, mode="bm25").hits[0]
    assert other.page is None and "page" not in other.to_dict()


def test_search_json_has_page_key_for_pdf(mixed: Path, tmp_path: Path) -> None:
    dest = tmp_path / "i"
    assert runner.invoke(app, ["index", str(mixed), "--index", str(dest), "--max-tokens", "16"]).exit_code == 0
    out = runner.invoke(app, ["search", "glaciers meltwater floods", "--index", str(dest), "--json", "-k", "1"]).output
    hit = json.loads(out.strip().splitlines()[-1])["results"][0]
    assert hit["source"] == "iceland.pdf" and hit["page"] == 2


def test_broken_and_empty_pdfs_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("A readable sentence.", encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf at all")
    (tmp_path / "blank.pdf").write_bytes(make_pdf([[]]))
    corpus = load_corpus([tmp_path])
    reasons = {Path(s.path).name: s for s in corpus.skipped}
    assert reasons["broken.pdf"].kind == "unreadable" and "cannot read PDF" in reasons["broken.pdf"].reason
    assert reasons["blank.pdf"].kind == "empty"
    with pytest.raises(CorpusError, match="cannot read PDF"):
        load_corpus([tmp_path / "broken.pdf"])


ARTICLE = """<html><head><title>NATO looks east</title><script>var tracking = "NATO NATO";</script></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li></ul></nav>
<article><h1>NATO looks east</h1>
<p>The <b>liaison office</b> in Tokyo was discussed at the <a href="/v">Vilnius summit</a>, where leaders argued
about the role of the alliance in Asia.</p>
<h2>Reactions</h2>
<p>France objected to the plan, saying the alliance should remain focused on the North Atlantic.</p>
<ul><li>Japan welcomed the idea.</li><li>China protested.</li></ul>
</article>
<aside>Related stories: celebrity gossip</aside><footer>Contact us · Privacy policy · Cookie settings</footer>
</body></html>"""


def test_html_main_text_by_trafilatura(tmp_path: Path) -> None:
    path = tmp_path / "nato.html"
    path.write_text(ARTICLE, encoding="utf-8")
    doc = load_document(path)
    assert doc.title == "NATO looks east" and doc.format == "html"
    assert "The liaison office in Tokyo was discussed at the Vilnius summit" in doc.text  # inline tags joined
    assert "## Reactions" in doc.text and "- Japan welcomed the idea." in doc.text
    for noise in ("tracking", "Home", "About us", "Privacy", "<"):
        assert noise not in doc.text
    units = sentence_units(doc, 40, FakeEmbedder().count_tokens, headings=True)
    france = next(u for u, _ in units if u.plain.startswith("France objected"))
    assert france.context == "NATO looks east > Reactions"  # heading path of the section
    heading = next(u for u, _ in units if u.plain == "Reactions")
    assert heading.context == "NATO looks east"  # a heading's own path is its parents


def test_html_fallback_when_trafilatura_finds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "trafilatura_blocks", lambda raw: [])
    path = tmp_path / "tea.html"
    path.write_text(
        "<html><head><title>Tea</title><style>p {color: red}</style></head><body><nav>Home | About</nav>"
        "<h1>Tea</h1><p>Green tea is made from <b>unoxidised</b> leaves.</p></body></html>",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert "Green tea is made from unoxidised leaves." in doc.text
    assert "color" not in doc.text and "Home" not in doc.text


def test_html_fallback_when_trafilatura_fails_but_not_on_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    from lxml.etree import ParserError

    page = "<html><body><h1>Tea</h1><p>Green tea is made from <b>unoxidised</b> leaves.</p></body></html>"

    def fails(error: Exception) -> None:
        def blocks(raw: str) -> list[str]:
            raise error

        monkeypatch.setattr(extract, "trafilatura_blocks", blocks)

    fails(ParserError("Document is empty"))
    assert extract.extract_html(page) == "## Tea\n\nGreen tea is made from unoxidised leaves."
    fails(RecursionError("maximum recursion depth exceeded"))
    assert "Green tea" in extract.extract_html(page)
    fails(ZeroDivisionError("a bug"))
    with pytest.raises(ZeroDivisionError):
        extract.extract_html(page)


def test_markdown_heading_path_is_embedded_not_stored(tmp_path: Path) -> None:
    path = tmp_path / "rockets.md"
    text = (
        "# Rockets\n\nRockets burn propellant.\n\n## Staging\n\nEmpty stages are dropped to save mass.\n\n"
        "### Boosters\n\nBoosters add thrust at lift-off.\n\n## Landing\n\nSome first stages land again.\n"
    )
    path.write_text(text, encoding="utf-8")
    doc = load_document(path)
    count = FakeEmbedder().count_tokens
    contexts = {u.plain: u.context for u, _ in sentence_units(doc, 40, count, headings=True)}
    assert contexts["Boosters add thrust at lift-off."] == "Rockets > Staging > Boosters"
    assert contexts["Some first stages land again."] == "Rockets > Landing"
    assert contexts["Rockets burn propellant."] == "Rockets" and contexts["Rockets"] == ""
    for budget in (8, 12, 40):
        chunks = chunk_document(doc, ChunkerConfig(max_tokens=budget, overlap_sentences=0), count)
        for c in chunks:
            assert c.text == text[c.start : c.end]  # offsets are the file's own
            assert count([c.vector_text])[0] <= budget  # the path counts against the budget
            assert c.vector_text == (f"{c.context}: {c.embed_text}" if c.context else c.embed_text)
    # With room, the path is kept whole; in a tight budget it is cut to the nearest heading.
    roomy = chunk_document(doc, ChunkerConfig(max_tokens=20, overlap_sentences=0), count)
    assert [c.vector_text for c in roomy][1:] == [
        "Rockets > Staging: Boosters Boosters add thrust at lift-off.",
        "Rockets: Landing Some first stages land again.",
    ]
    tight = chunk_document(doc, ChunkerConfig(max_tokens=12, overlap_sentences=0), count)
    boosters = next(c for c in tight if "Boosters add" in c.embed_text)
    assert boosters.context in ("Boosters", "Staging")


def test_heading_context_can_be_turned_off(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# Title\n\nOne sentence here.\n", encoding="utf-8")
    chunks = chunk_document(load_document(path), ChunkerConfig(heading_context=False), FakeEmbedder().count_tokens)
    assert all(c.context == "" for c in chunks)


def test_show_passage_and_cli(mixed: Path, tmp_path: Path) -> None:
    dest = tmp_path / "i"
    build_index(load_corpus([mixed]), FakeEmbedder(dim=64), dest, ChunkerConfig(max_tokens=32))
    index = Index.load(dest)
    text = index.document_text("cats.txt")
    start = text.index("They sleep")
    end = start + len("They sleep for most of the day.")
    found = show_passage(index, "cats", start, end, context=10)
    assert found.text == "They sleep for most of the day." and found.before == text[start - 10 : start]
    assert found.after == text[end : end + 10] and found.page is None
    pdf_text = index.document_text("iceland.pdf")
    at = pdf_text.index("Geothermal")
    assert show_passage(index, "iceland.pdf", at, at + 10).page == 3
    for spec in (f"cats:{start}-{end}", f"cats.txt:{start}-{end}"):
        result = runner.invoke(app, ["show", spec, "--index", str(dest), "--context", "20"])
        assert result.exit_code == 0, result.output
        assert "They sleep for most of the day." in result.output and "cats.txt" in result.output
    result = runner.invoke(app, ["show", f"iceland:{at}-{at + 10}", "--index", str(dest), "--json"])
    data = json.loads(result.output)
    assert data["page"] == 3 and data["text"] == "Geothermal"


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("cats", "SOURCE:START-END"),
        ("cats:5", "SOURCE:START-END"),
        ("cats:a-b", "whole numbers"),
        ("cats:50-10", "0 <= START < END"),
        ("cats:0-99999", "0 <= START < END"),
        ("nowhere:0-5", "no source 'nowhere'"),
    ],
)
def test_show_bad_specs(fake_index: Path, spec: str, needle: str) -> None:
    result = invoke(["show", spec, "--index", str(fake_index)])
    assert result.exit_code == 1
    assert needle in result.output


def test_parse_span_allows_colons_in_names() -> None:
    assert parse_span("C:/docs/a.txt:3-9") == ("C:/docs/a.txt", 3, 9)
    with pytest.raises(InputError):
        parse_span("a.txt:3")


def _count_extractions(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"pdf": 0, "html": 0}
    real_pdf, real_html = extract.read_pdf, extract.extract_html

    def pdf(data: bytes, path: Path) -> tuple[str, tuple[int, ...], str | None]:
        calls["pdf"] += 1
        return real_pdf(data, path)

    def html(raw: str) -> str:
        calls["html"] += 1
        return real_html(raw)

    monkeypatch.setattr(extract, "read_pdf", pdf)
    monkeypatch.setattr(extract, "extract_html", html)
    return calls


def test_unchanged_html_and_pdf_are_not_extracted_again(
    mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parallax.api import index_paths

    fake, dest = FakeEmbedder(dim=64), tmp_path / "idx"
    index_paths([mixed], index=dest, embedder=fake)
    before = Index.load(dest)
    texts = {d.source: before.document_text(d.source) for d in before.manifest.documents}
    titles = {d.source: d.title for d in before.manifest.documents}
    calls = _count_extractions(monkeypatch)

    _dest, stats = index_paths([mixed], index=dest, embedder=fake)
    assert calls == {"pdf": 0, "html": 0}
    assert not stats.written and stats.chunks_embedded == 0
    after = Index.load(dest)
    assert {d.source: after.document_text(d.source) for d in after.manifest.documents} == texts
    assert {d.source: d.title for d in after.manifest.documents} == titles
    assert after.page_of("iceland.pdf", len(texts["iceland.pdf"]) - 1) == 3

    # New bytes are extracted; so is everything with --rebuild, or after the extractor changes.
    (mixed / "iceland.pdf").write_bytes(make_pdf([*PAGES, ["A fourth page on puffins."]], title="Iceland notes"))
    _dest, stats = index_paths([mixed], index=dest, embedder=fake)
    assert calls == {"pdf": 1, "html": 0} and stats.updated == ["iceland.pdf"]
    index_paths([mixed], index=dest, embedder=fake, rebuild=True)
    assert calls == {"pdf": 2, "html": 1}
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", extract.EXTRACTOR_VERSION + 1)
    extract.extractor_id.cache_clear()
    try:
        index_paths([mixed], index=dest, embedder=fake)
    finally:
        extract.extractor_id.cache_clear()
    assert calls == {"pdf": 3, "html": 2}


def test_title_from_sources_json_still_applies_to_a_reused_extraction(
    mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parallax.api import index_paths

    fake, dest = FakeEmbedder(dim=64), tmp_path / "idx"
    index_paths([mixed], index=dest, embedder=fake)
    (mixed / "sources.json").write_text('{"iceland.pdf": {"title": "Field notes", "id": "ice"}}', encoding="utf-8")
    calls = _count_extractions(monkeypatch)
    index_paths([mixed], index=dest, embedder=fake)
    docs = {d.source: d for d in Index.load(dest).manifest.documents}
    assert calls["pdf"] == 0
    assert (docs["iceland.pdf"].title, docs["iceland.pdf"].short_id) == ("Field notes", "ice")


# Gzipped text (issue 12): .txt.gz, .md.gz, .html.gz and documentation names such as changelog.gz.

CHANGELOG = (
    "tea (2.0) unstable; urgency=low\n\n  * Brew green tea at eighty degrees.\n  * Steep black tea for four minutes.\n"
)


def test_gzipped_text_is_read_as_its_inner_format(tmp_path: Path) -> None:
    import gzip
    import hashlib

    notes = "Oolong tea is partly oxidised. It sits between green and black tea.\n"
    (tmp_path / "notes.txt.gz").write_bytes(gzip.compress(notes.encode("utf-8")))
    (tmp_path / "guide.md.gz").write_bytes(gzip.compress(b"# Guide\n\nWhite tea is the least processed.\n"))
    (tmp_path / "page.html.gz").write_bytes(
        gzip.compress(
            b"<html><head><title>Matcha</title></head><body><p>Matcha is powdered green tea.</p></body></html>"
        )
    )
    (tmp_path / "changelog.gz").write_bytes(gzip.compress(CHANGELOG.encode("utf-8")))
    (tmp_path / "changelog.Debian.gz").write_bytes(gzip.compress(CHANGELOG.replace("2.0", "2.0-1").encode()))
    (tmp_path / "blob.gz").write_bytes(gzip.compress(b"\x00\x01\x02\x03" * 50))
    (tmp_path / "data.json.gz").write_bytes(gzip.compress(b'{"tea": 1}'))
    corpus = load_corpus([tmp_path])
    docs = {d.source: d for d in corpus}
    assert set(docs) == {"notes.txt.gz", "guide.md.gz", "page.html.gz", "changelog.gz", "changelog.Debian.gz"}
    notes_doc = docs["notes.txt.gz"]
    assert notes_doc.text == notes and notes_doc.format == "text" and notes_doc.encoding == "utf-8+gzip"
    assert notes_doc.file_sha256 == hashlib.sha256((tmp_path / "notes.txt.gz").read_bytes()).hexdigest()
    assert notes_doc.short_id == "notes"
    assert docs["guide.md.gz"].format == "markdown" and docs["guide.md.gz"].text.startswith("# Guide")
    assert docs["page.html.gz"].format == "html" and docs["page.html.gz"].title == "Matcha"
    assert "Matcha is powdered green tea." in docs["page.html.gz"].text
    assert docs["changelog.gz"].text == CHANGELOG and docs["changelog.gz"].format == "text"
    kinds = {Path(s.path).name: s.kind for s in corpus.skipped}
    assert kinds == {"blob.gz": "binary", "data.json.gz": "unsupported"}


def test_corrupt_and_truncated_gzip_are_skipped_with_one_line(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "ok.txt").write_text("A readable sentence.", encoding="utf-8")
    (tmp_path / "fake.txt.gz").write_bytes(b"this was never gzip")
    (tmp_path / "cut.txt.gz").write_bytes(gzip.compress(b"Green tea. " * 500)[:40])
    corpus = load_corpus([tmp_path])
    assert [d.source for d in corpus] == ["ok.txt"]
    skipped = {Path(s.path).name: s for s in corpus.skipped}
    assert set(skipped) == {"fake.txt.gz", "cut.txt.gz"}
    for s in skipped.values():
        assert s.kind == "unreadable" and "\n" not in s.reason and "gzip" in s.reason
    with pytest.raises(CorpusError, match="gzip"):
        load_corpus([tmp_path / "fake.txt.gz"])


def test_gzip_bomb_is_stopped_at_the_size_limit(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"tea " * 1_000_000))  # 4 MB from a few KB
    (tmp_path / "ok.txt").write_text("A readable sentence.", encoding="utf-8")
    corpus = load_corpus([tmp_path], max_file_mb=1)
    (skipped,) = corpus.skipped
    assert skipped.kind == "too large" and "decompress" in skipped.reason and "--max-file-mb" in skipped.reason
    assert len(load_corpus([tmp_path], max_file_mb=5)) == 2
    assert len(load_corpus([tmp_path], max_file_mb=0)) == 2  # no limit


def test_gzipped_text_end_to_end_search_and_show(tmp_path: Path) -> None:
    import gzip

    folder = tmp_path / "docs"
    folder.mkdir()
    text = "Brewing\n\nGreen tea wants water below boiling. Black tea takes boiling water and four minutes.\n"
    (folder / "brew.txt.gz").write_bytes(gzip.compress(text.encode("utf-8")))
    (folder / "other.txt").write_text("Coffee is roasted and ground before brewing.\n", encoding="utf-8")
    dest = tmp_path / "i"
    assert invoke(["index", str(folder), "--index", str(dest)]).exit_code == 0
    out = invoke(["search", "black tea boiling water", "--index", str(dest), "--json", "-k", "1"]).output
    hit = json.loads(out.strip().splitlines()[-1])["results"][0]
    assert hit["source"] == "brew.txt.gz"
    start, end = hit["start"], hit["end"]
    result = invoke(["show", f"brew.txt.gz:{start}-{end}", "--index", str(dest), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["text"] == text[start:end]
    assert "Black tea takes boiling water" in text[start:end]
