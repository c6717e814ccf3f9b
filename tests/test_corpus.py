from __future__ import annotations

from pathlib import Path

import pytest

from parallax.core.errors import CorpusError
from parallax.core.settings import seeds_dir
from parallax.ingest.blocks import content_blocks
from parallax.ingest.load import load_corpus
from parallax.text.boilerplate import is_boilerplate
from parallax.text.markup import to_plain


def test_seeds_load_with_metadata() -> None:
    corpus = load_corpus([seeds_dir()])
    assert len(corpus) == 5
    ids = {d.short_id for d in corpus}
    assert ids == {"bipss", "ecci", "asian-affairs", "conversation", "panda"}
    bipss = next(d for d in corpus if d.short_id == "bipss")
    assert bipss.title == "Expansion of NATO in Asia: Myth or Reality?"
    assert len(bipss.sha256) == 64
    assert corpus.skipped == []


def test_seeds_copy_is_unchanged() -> None:
    shared = seeds_dir().parents[1] / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds not present")
    for original in shared.glob("*.txt"):
        assert (seeds_dir() / original.name).read_bytes() == original.read_bytes()


@pytest.mark.parametrize(
    "line",
    [
        "Please follow and like us:",
        "Enjoy this blog? Please spread the word :)",
        "Post new comment",
        "What's Your Reaction?",
        "dislike",
        "10 + 3 =",
        "www.bipss.org.bd",
        "<sup>&</sup><sup>2</sup> Nato, “NATO’s Purpose,” NATO, June 29, 2022",
        "Estimated reading time: 11 minutes",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    ["NATO looks to Asia", "Japan likes the idea of a liaison office in Tokyo.", "## The Asia Pacific region"],
)
def test_content_lines_are_kept(line: str) -> None:
    assert not is_boilerplate(line)


def test_to_plain_strips_markup() -> None:
    raw = "expansion of NATO.<sup>3</sup> Japan, **Australia** &amp; [Korea](http://x) <b>too</b>"
    assert to_plain(raw) == "expansion of NATO. Japan, Australia & Korea too"


def test_boilerplate_is_not_in_any_block() -> None:
    corpus = load_corpus([seeds_dir()])
    for doc in corpus:
        for block in content_blocks(doc):
            text = doc.text[block.start : block.end]
            assert "Please follow and like us" not in text
            assert "Post new comment" not in text
            assert not text.startswith("<sup>&</sup>")


def test_html_blocks_skip_markup(small_corpus: Path) -> None:
    doc = next(d for d in load_corpus([small_corpus]) if d.format == "html")
    assert doc.title == "Tea"
    texts = [to_plain(doc.text[b.start : b.end]) for b in content_blocks(doc)]
    assert "Green tea is made from unoxidised leaves." in texts
    assert "Black tea is fully oxidised & stronger." in texts
    assert not any("color" in t or "Home" in t or "Contact" in t for t in texts)


def test_missing_path() -> None:
    with pytest.raises(CorpusError, match="no such file or folder"):
        load_corpus([Path("/nonexistent/folder")])


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no readable documents"):
        load_corpus([tmp_path])


def test_binary_file_named_explicitly(tmp_path: Path) -> None:
    path = tmp_path / "blob.txt"
    path.write_bytes(b"\x00\x01\x02binary\x00")
    with pytest.raises(CorpusError, match="binary"):
        load_corpus([path])


def test_non_utf8_file_named_explicitly_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("café au lait".encode("latin-1"))
    (doc,) = load_corpus([path]).documents
    assert doc.text == "café au lait" and doc.encoding == "cp1252"


def test_folder_skips_unreadable_and_unsupported(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A good sentence about tea.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02 not text")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    corpus = load_corpus([tmp_path])
    assert [d.source for d in corpus] == ["good.txt"]
    reasons = {Path(s.path).name: s.reason for s in corpus.skipped}
    assert set(reasons) == {"bad.txt", "image.png"}
    assert "unsupported" in reasons["image.png"]


def test_same_document_twice_is_loaded_once(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("One sentence.", encoding="utf-8")
    corpus = load_corpus([tmp_path, tmp_path / "a.txt"])
    assert len(corpus) == 1
    assert "duplicate" in corpus.skipped[0].reason


def _nested(root: Path) -> Path:
    for folder, text in (("2023", "Tea harvests fell in 2023."), ("2024", "Tea harvests rose in 2024.")):
        (root / folder).mkdir(parents=True)
        (root / folder / "summary.txt").write_text(text, encoding="utf-8")
    (root / "intro.txt").write_text("An introduction to tea.", encoding="utf-8")
    return root


def test_same_file_name_in_two_subfolders_are_two_documents(tmp_path: Path) -> None:
    corpus = load_corpus([_nested(tmp_path / "reports")])
    assert [d.source for d in corpus] == ["2023/summary.txt", "2024/summary.txt", "intro.txt"]
    assert [d.short_id for d in corpus] == ["2023/summary", "2024/summary", "intro"]
    assert not corpus.skipped


def test_metadata_from_the_files_folder_or_by_relative_path(tmp_path: Path) -> None:
    root = _nested(tmp_path / "reports")
    (root / "2023" / "sources.json").write_text('{"summary.txt": {"title": "Harvest 2023"}}', encoding="utf-8")
    (root / "sources.json").write_text('{"2024/summary.txt": {"id": "h24", "title": "Harvest 2024"}}', encoding="utf-8")
    docs = {d.source: d for d in load_corpus([root])}
    assert docs["2023/summary.txt"].title == "Harvest 2023"
    assert (docs["2024/summary.txt"].title, docs["2024/summary.txt"].short_id) == ("Harvest 2024", "h24")


def test_one_name_in_two_folders_given_is_an_error(tmp_path: Path) -> None:
    for folder, text in (("a", "First text."), ("b", "Second text.")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.txt").write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match="both notes.txt .* index their common parent folder"):
        load_corpus([tmp_path / "a", tmp_path / "b"])
    assert [d.source for d in load_corpus([tmp_path])] == ["a/notes.txt", "b/notes.txt"]


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("if x < 5 and y > 3 then", "if x < 5 and y > 3 then"),
        ("growth of <2% and >1% a year", "growth of <2% and >1% a year"),
        ("a <b>bold</b> word", "a bold word"),
        ("kept<!-- a comment -->text", "kept text"),
        ('<a href="x">link</a> and <br/> break', "link and break"),
    ],
)
def test_to_plain_removes_tags_not_comparisons(raw: str, plain: str) -> None:
    assert to_plain(raw) == plain


# Files without an extension, documentation names, navigation bars, titles (issue 12).


def test_extensionless_text_is_sniffed_and_binary_is_not(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("This package reads tea leaves.\n", encoding="utf-8")
    (tmp_path / "copyright").write_bytes("Copyright 2024 Zoë Tea.\n".encode("latin-1"))
    (tmp_path / "Makefile").write_text("all:\n\techo tea\n", encoding="utf-8")
    (tmp_path / "tool").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00" * 40)
    (tmp_path / "main.c").write_text("int main(void) { return 0; }\n", encoding="utf-8")
    (tmp_path / "data.json").write_text('{"tea": 1}\n', encoding="utf-8")
    (tmp_path / ".profile").write_text("export TEA=1\n", encoding="utf-8")
    corpus = load_corpus([tmp_path])
    docs = {d.source: d for d in corpus}
    assert set(docs) == {"Makefile", "README", "copyright"}
    assert docs["README"].format == "text" and docs["README"].text == "This package reads tea leaves.\n"
    assert docs["copyright"].encoding == "cp1252" and "Zoë" in docs["copyright"].text
    kinds = {Path(s.path).name: s.kind for s in corpus.skipped}
    assert kinds == {"tool": "binary", "main.c": "unsupported", "data.json": "unsupported"}  # hidden: not listed


def test_documentation_names_with_a_qualifier_are_sniffed(tmp_path: Path) -> None:
    (tmp_path / "README.Debian").write_text("Notes for Debian users.\n", encoding="utf-8")
    (tmp_path / "NEWS.old").write_text("Version 2 brews faster.\n", encoding="utf-8")
    (tmp_path / "inputrc.arrows").write_text("set editing-mode vi\n", encoding="utf-8")
    corpus = load_corpus([tmp_path])
    assert sorted(d.source for d in corpus) == ["NEWS.old", "README.Debian"]
    assert [Path(s.path).name for s in corpus.skipped] == ["inputrc.arrows"]


def test_extensionless_file_named_explicitly(tmp_path: Path) -> None:
    (tmp_path / "TODO").write_text("Write the manual.\n", encoding="utf-8")
    (tmp_path / "blob").write_bytes(b"\x00\x01\x02\x03" * 100)
    assert load_corpus([tmp_path / "TODO"]).documents[0].text == "Write the manual.\n"
    with pytest.raises(CorpusError, match="binary"):
        load_corpus([tmp_path / "blob"])


@pytest.mark.parametrize(
    "line",
    [
        "Next: Multiple ABIs, Previous: Simple Example, Up: Using libffi [Index]",
        "Next: Arrays, Unions, and Enumerations, Previous: Structures, Up: Types [Index]",
        "Previous: Missing Features, Up: libffi [Index]",
        "Next: What is libffi? [Index]",
        "Next: Multiple ABIs , Previous: Simple Example , Up: Using libffi [ Index ]",
        "Next: Invoking, Prev: Overview, Up: Top",
        "Node: Top, Next: Overview, Up: (dir)",
        "[Contents][Index]",
        "Prev | Home | Next",
        "<< Previous | Up | Next >>",
    ],
)
def test_navigation_bars_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Next: we look at how the leaves are dried.",
        "Up: 3% on the year, the index closed higher.",
        "Previous attempts failed, and next year looks no better.",
        "Next steps",
        "Table of Contents",
    ],
)
def test_prose_about_next_and_previous_is_kept(line: str) -> None:
    assert not is_boilerplate(line)


TEXINFO_PAGE = """<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<html>
<!-- Created by GNU Texinfo 6.8, https://www.gnu.org/software/texinfo/ -->
<head><title>Types (libtea)</title></head>
<body lang="en">
<div class="section" id="Types">
<div class="header">
<p>
Next: <a href="Multiple-ABIs.html" accesskey="n" rel="next">Multiple ABIs</a>, Previous: <a href="Simple.html">Simple
Example</a>, Up: <a href="Using.html" rel="up">Using libtea</a> &nbsp; [<a href="Index.html">Index</a>]</p>
</div>
<hr>
<h3 class="section">2.3 Types</h3>
<p>Every argument passed to a brewing function has a type, and libtea must be told about each one.</p>
<p>The primitive types cover integers, floating point numbers and pointers to leaves.</p>
</div>
</body>
</html>
"""


def test_texinfo_navigation_never_reaches_a_chunk(tmp_path: Path) -> None:
    from parallax.ingest.chunk import ChunkerConfig, chunk_document

    from .fakes import FakeEmbedder

    (tmp_path / "Types.html").write_text(TEXINFO_PAGE, encoding="utf-8")
    doc = load_corpus([tmp_path]).documents[0]
    blocks = " ".join(doc.text[b.start : b.end] for b in content_blocks(doc))
    assert "Previous:" not in blocks and "Every argument passed" in blocks and "pointers to leaves" in blocks
    chunks = chunk_document(doc, ChunkerConfig(), FakeEmbedder().count_tokens)
    assert chunks and not [c for c in chunks if "Previous" in c.embed_text]


UPPER_TITLE = """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN""http://www.w3.org/TR/html4/loose.dtd">
<HTML
><HEAD
><TITLE
>Users and Groups in the Debian System</TITLE
></HEAD
><BODY
><P
>Each user of the system has an entry in the password file, and each group one in the group file.</P
></BODY
></HTML
>
"""


@pytest.mark.parametrize(
    ("html", "title"),
    [
        (UPPER_TITLE, "Users and Groups in the Debian System"),
        (
            "<!DOCTYPE html>\n<HTML><BODY><H1 CLASS=x>Brewing Guide</H1><P>Boil the water first.</P></BODY></HTML>",
            "Brewing Guide",
        ),
        (
            "<!DOCTYPE html>\n<!-- generated -->\n<html><body><p>Boil the water first, then wait.</p></body></html>",
            "Boil the water first, then wait.",
        ),
    ],
)
def test_html_title_ignores_case_and_doctype(tmp_path: Path, html: str, title: str) -> None:
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    doc = load_corpus([tmp_path]).documents[0]
    assert doc.title == title


TEXINFO_MENU = """<!DOCTYPE html>
<html><head><title>Types (libtea)</title></head>
<body lang="en">
<div class="section" id="Types">
<div class="header">
<p>
Next: <a href="Multiple-ABIs.html" rel="next">Multiple ABIs</a>, Previous: <a href="Simple.html">Simple Example</a>,
Up: <a href="Using.html" rel="up">Using libtea</a> &nbsp; [<a href="Index.html" title="Index">Index</a>]</p>
</div>
<hr>
<h3 class="section">2.3 Types</h3>
<ul class="section-toc">
<li><a href="Primitive-Types.html" accesskey="1">Primitive Types</a></li>
<li><a href="Structures.html" accesskey="2">Structures</a></li>
</ul>
</div>
</body>
</html>
"""


def test_navigation_joined_to_a_menu_is_cut_off(tmp_path: Path) -> None:
    """trafilatura returns a texinfo menu page as one line, navigation first: the bar becomes its own line."""
    (tmp_path / "Types.html").write_text(TEXINFO_MENU, encoding="utf-8")
    doc = load_corpus([tmp_path]).documents[0]
    blocks = [doc.text[b.start : b.end] for b in content_blocks(doc)]
    assert blocks and not [b for b in blocks if "Previous" in b]
    assert any("Primitive Types" in b for b in blocks)


@pytest.mark.parametrize(
    ("line", "rest"),
    [
        ("Next: Types , Previous: Basics , Up: Using [ Index ] 2.3 Types Primitive Types", "2.3 Types Primitive Types"),
        ("Next: What is libtea? [Index] Contents", "Contents"),
        ("Next: Types, Up: Using and more text without brackets", None),  # no end to the bar: nothing cut
        ("Next: Types, Up: Using [Index]", None),  # the whole line is the bar: is_boilerplate's business
        ("Plain prose. [Index] More prose.", None),
    ],
)
def test_navigation_prefix(line: str, rest: str | None) -> None:
    from parallax.text.boilerplate import navigation_prefix

    n = navigation_prefix(line)
    assert (line[n:].strip() if n else None) == rest
