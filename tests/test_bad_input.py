"""Bad input gets a clear message and a non-zero exit where it is an error, never a traceback."""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

import pytest

from parallax.core.errors import CorpusError
from parallax.ingest.load import load_corpus
from parallax.text.query import MAX_QUERY_CHARS

from .conftest import assert_one_line_error, run


def json_lines(out: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(ln) for ln in out.splitlines() if ln.startswith("{")]


# ---------------------------------------------------------------------------------------------
# Queries


@pytest.mark.parametrize("query", ["", "   ", "\t\n  \r", "\x00\x07\x1b", '""', "\u200b\u200e"])
def test_empty_queries_are_refused(fake_index: Path, query: str) -> None:
    assert_one_line_error(*run("search", query, "--index", str(fake_index)), "the query is empty")


def test_very_long_query_is_cut_with_a_note(fake_index: Path) -> None:
    query = ("green tea leaves " * 3000)[:50_000]
    code, out = run("search", query, "--index", str(fake_index), "--json", "-k", "2")
    assert code == 0
    assert f"query cut to its first {MAX_QUERY_CHARS} characters" in out
    (data,) = json_lines(out)
    assert data["results"][0]["source"] == "tea.html"


@pytest.mark.parametrize(
    "query",
    ["green\x00 tea\x1b[31m leaves\x07", "🍵 green tea 🍃", "🍵🍃", "tea\u202eleaves", "“curly” ‘quotes’ — dash"],
)
def test_odd_characters_just_work(fake_index: Path, query: str) -> None:
    code, out = run("search", query, "--index", str(fake_index), "--json")
    assert code == 0, out
    assert len(json_lines(out)) == 1


@pytest.fixture
def rtl_index(tmp_path: Path) -> Path:
    folder = tmp_path / "rtl"
    folder.mkdir()
    (folder / "arabic.txt").write_text(
        "القهوة العربية مشروب تقليدي. تقدم القهوة للضيوف في فناجين صغيرة.\n", encoding="utf-8"
    )
    (folder / "hebrew.txt").write_text("ירושלים היא עיר עתיקה. בעיר יש שווקים רבים.\n", encoding="utf-8")
    (folder / "english.txt").write_text("Green tea is made from unoxidised leaves.\n", encoding="utf-8")
    dest = tmp_path / "rtl-idx"
    assert run("index", str(folder), "--index", str(dest))[0] == 0
    return dest


@pytest.mark.parametrize(("query", "source"), [("القهوة العربية", "arabic.txt"), ("ירושלים עיר", "hebrew.txt")])
def test_right_to_left_text_just_works(rtl_index: Path, query: str, source: str) -> None:
    for mode in ("bm25", "hybrid"):
        code, out = run("search", query, "--index", str(rtl_index), "--json", "--mode", mode)
        assert code == 0, out
        results = json_lines(out)[0]["results"]
        assert results[0]["source"] == source
        assert (
            results[0]["text"]
            == (rtl_index.parent / "rtl" / source).read_text(encoding="utf-8")[results[0]["start"] : results[0]["end"]]
        )
    code, out = run("search", query, "--index", str(rtl_index))  # the terminal table renders it
    assert code == 0


# ---------------------------------------------------------------------------------------------
# Files


def test_empty_binary_and_unsupported_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A good sentence about tea.", encoding="utf-8")
    (tmp_path / "zero.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n \t\n", encoding="utf-8")
    (tmp_path / "blob.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")
    corpus = load_corpus([tmp_path])
    assert [d.source for d in corpus] == ["good.txt"]
    kinds = {Path(s.path).name: s.kind for s in corpus.skipped}
    assert kinds == {"zero.txt": "empty", "blank.md": "empty", "blob.txt": "binary", "image.png": "unsupported"}
    assert_one_line_error(*run("index", str(tmp_path / "zero.txt"), "--index", str(tmp_path / "i")), "empty (0 bytes)")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Le café est très chaud. À bientôt, garçon!".encode("latin-1"), "cp1252"),
        ("naïve “quotes” — and a dash".encode("cp1252"), "cp1252"),
        ("\ufeffUTF-8 with a byte-order mark: café".encode(), "utf-8-sig"),
        ("\ufeffUTF-16 text: café, 東京".encode("utf-16-le"), "utf-16"),
        ("\ufeffUTF-16 text: café, 東京".encode("utf-16-be"), "utf-16"),
        ("UTF-16 without a mark: café and tea.".encode("utf-16-le"), "utf-16-le"),
        ("Привет, как дела? Всё хорошо, спасибо.".encode("cp1251"), "cp1251"),
    ],
)
def test_encodings_are_decoded(tmp_path: Path, data: bytes, encoding: str) -> None:
    path = tmp_path / "doc.txt"
    path.write_bytes(data)
    (doc,) = load_corpus([path]).documents
    assert doc.encoding == encoding
    expected = data.decode(encoding)
    assert doc.text == expected.lstrip("\ufeff") and "\ufffd" not in doc.text


def test_offsets_refer_to_the_decoded_text(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "latin.txt").write_bytes("Le café est très chaud. Le thé vert est doux.".encode("latin-1"))
    dest = tmp_path / "i"
    assert run("index", str(folder), "--index", str(dest))[0] == 0
    _code, out = run("search", "thé vert doux", "--index", str(dest), "--json", "--mode", "bm25")
    hit = json_lines(out)[0]["results"][0]
    assert "thé vert" in hit["text"]
    decoded = (folder / "latin.txt").read_bytes().decode("cp1252")
    assert hit["text"] == decoded[hit["start"] : hit["end"]]


def test_huge_file_is_refused_from_its_size(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "ok.txt").write_text("A small readable file.", encoding="utf-8")
    huge = folder / "huge.txt"
    with open(huge, "wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: 200 MB without writing them
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    corpus = load_corpus([folder])
    assert time.perf_counter() - t0 < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 20 * 1024  # KiB: never read
    (skipped,) = corpus.skipped
    assert skipped.kind == "too large" and "--max-file-mb" in skipped.reason and "210 MB" in skipped.reason
    assert_one_line_error(*run("index", str(huge), "--index", str(tmp_path / "i")), "over the 50 MB limit")
    small_limit = load_corpus([folder / "ok.txt"], max_file_mb=1)
    assert len(small_limit) == 1
    with pytest.raises(CorpusError, match="over the 1e-05 MB limit"):
        load_corpus([folder / "ok.txt"], max_file_mb=0.00001)


# ---------------------------------------------------------------------------------------------
# Folders


def test_symlink_loops_end(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text("Alpha sentence here.", encoding="utf-8")
    os.symlink(root, root / "sub" / "loop")  # root/sub/loop -> root
    os.symlink(root / "sub", root / "again")  # a second way into sub
    os.symlink(root / "missing.txt", root / "dangling.txt")
    t0 = time.perf_counter()
    corpus = load_corpus([root])
    assert time.perf_counter() - t0 < 5
    assert [d.source for d in corpus] == ["sub/a.txt"]  # its path inside the folder indexed
    kinds = sorted((Path(s.path).name, s.kind) for s in corpus.skipped)
    assert kinds == [("again", "link"), ("dangling.txt", "link"), ("loop", "link")]


def test_unreadable_file_is_skipped(small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "cats.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)  # tests run as root, where chmod 000 does not stop reads
    corpus = load_corpus([small_corpus])
    assert "cats.txt" not in {d.source for d in corpus}
    (skipped,) = corpus.skipped
    assert skipped.kind == "unreadable" and "Permission denied" in skipped.reason
    code, out = run("index", str(small_corpus), "--index", str(tmp_path / "i"))
    assert code == 0 and "1 skipped (1 unreadable)" in out
    explicit = run("index", str(small_corpus / "cats.txt"), "--index", str(tmp_path / "j"))
    assert_one_line_error(*explicit, "Permission denied")


def test_same_document_twice_is_indexed_once(small_corpus: Path, tmp_path: Path) -> None:
    (small_corpus / "copy-of-cats.txt").write_bytes((small_corpus / "cats.txt").read_bytes())
    code, out = run("index", str(small_corpus), str(small_corpus / "tea.html"), "--index", str(tmp_path / "i"))
    assert code == 0, out
    assert "3 added" in out and "2 skipped (2 duplicate)" in out
    corpus = load_corpus([small_corpus, small_corpus / "tea.html"])
    reasons = sorted(s.reason for s in corpus.skipped)
    assert any("the same text as" in r and r.endswith("cats.txt") for r in reasons)
    assert any("the same file as" in r for r in reasons)
