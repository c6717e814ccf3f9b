from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from parallax.cli.main import app
from parallax.index.builder import build_index
from parallax.index.manifest import MANIFEST_FILE
from parallax.ingest.load import load_corpus

from .conftest import assert_one_line_error, invoke, run, runner, snapshot
from .fakes import FakeEmbedder, parallax_argv
from .probes import HEAVY, modules_loaded_by


def test_search_json_schema_on_seeds() -> None:
    code, out = run("search", "Vilnius summit agenda", "--json", "-k", "4")
    assert code == 0, out
    line = [ln for ln in out.splitlines() if ln.startswith("{")]
    assert len(line) == 1
    data = json.loads(line[0])
    assert set(data) == {"query", "k", "latency_ms", "results"}
    assert data["query"] == "Vilnius summit agenda" and data["k"] == 4
    assert set(data["latency_ms"]) == {"embed", "search", "total"}
    assert len(data["results"]) == 4
    from parallax.core.settings import seeds_dir

    for i, r in enumerate(data["results"], start=1):
        assert set(r) - {"highlight"} == {"rank", "score", "source", "title", "start", "end", "text", "found_by"}
        assert set(r["found_by"]) <= {"dense", "bm25"} and r["found_by"]
        assert r["rank"] == i
        assert r["text"] == (seeds_dir() / r["source"]).read_text(encoding="utf-8")[r["start"] : r["end"]]


def test_first_search_builds_seeds_index_and_says_so() -> None:
    code, out = run("search", "liaison office")
    assert code == 0
    assert "Building the seeds index" in out
    code, out = run("search", "liaison office")
    assert "Building" not in out
    assert "latency" in out


def test_queries_file(tmp_path: Path) -> None:
    qfile = tmp_path / "q.txt"
    qfile.write_text("liaison office\n\nSouth Korea weapons\n", encoding="utf-8")
    code, out = run("search", "--queries", str(qfile), "-k", "2")
    assert code == 0, out
    rows = [json.loads(ln) for ln in out.splitlines() if ln.startswith("{")]
    assert [r["query"] for r in rows] == ["liaison office", "South Korea weapons"]
    assert all(len(r["results"]) == 2 for r in rows)


def test_source_filter_by_short_id() -> None:
    _code, out = run("search", "NATO", "--json", "--source", "panda", "-k", "3")
    data = json.loads(out.strip().splitlines()[-1])
    assert {r["source"] for r in data["results"]} == {"004_0394954a670df23c.txt"}


def test_index_and_search_own_folder(small_corpus: Path, tmp_path: Path) -> None:
    dest = tmp_path / "myindex"
    code, out = run("index", str(small_corpus), "--index", str(dest), "--max-tokens", "40")
    assert code == 0, out
    assert "Indexed 3 documents" in out
    code, out = run("search", "green tea leaves", "--index", str(dest), "--json")
    data = json.loads(out.strip().splitlines()[-1])
    assert data["results"][0]["source"] == "tea.html"
    code, out = run("info", "--index", str(dest), "--json")
    info = json.loads(out)
    assert info["documents"] == 3 and info["chunker"]["max_tokens"] == 40


def test_named_index_in_home(
    small_corpus: Path, parallax_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A folder named like the index in the working directory must not receive the index.
    cwd = tmp_path / "cwd"
    (cwd / "docs").mkdir(parents=True)
    monkeypatch.chdir(cwd)
    code, out = run("index", str(small_corpus))
    assert code == 0 and "--index" in out
    assert (parallax_home / "indexes" / "docs" / "manifest.json").is_file()
    assert not any((cwd / "docs").iterdir())
    code, out = run("info", "--index", str(parallax_home / "indexes" / "docs"))
    assert code == 0 and "cats.txt" in out


def test_info_on_seeds() -> None:
    code, out = run("info")
    assert code == 0
    for word in ("bipss", "panda", "chunks", "fake-hash-64"):
        assert word in out


def test_error_empty_query() -> None:
    assert_one_line_error(*run("search", "   "), "query is empty")


def test_error_missing_path(tmp_path: Path) -> None:
    assert_one_line_error(*run("index", str(tmp_path / "nope"), "--index", str(tmp_path / "i")), "no such file")


def test_error_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert_one_line_error(
        *run("index", str(tmp_path / "empty"), "--index", str(tmp_path / "i")), "no readable documents"
    )


def test_error_binary_file(tmp_path: Path) -> None:
    blob = tmp_path / "blob.txt"
    blob.write_bytes(b"\x00\x01\x02\x03")
    assert_one_line_error(*run("index", str(blob), "--index", str(tmp_path / "i")), "binary")


def test_non_utf8_file_is_decoded(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Le déjà vu est une impression étrange.".encode("latin-1"))
    code, out = run("index", str(latin), "--index", str(tmp_path / "i"))
    assert code == 0, out


def test_error_index_of_another_model(fake_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARALLAX_MODEL", "sentence-transformers/all-MiniLM-L6-v2")
    assert_one_line_error(*run("search", "tea", "--index", str(fake_index)), "was built with parallax/fake-hash-64")


def test_error_corrupt_manifest(fake_index: Path) -> None:
    (fake_index / MANIFEST_FILE).write_text("{")
    assert_one_line_error(*run("search", "tea", "--index", str(fake_index)), "manifest.json is not valid JSON")


def test_error_missing_index(tmp_path: Path) -> None:
    assert_one_line_error(*run("search", "tea", "--index", str(tmp_path / "none")), "create one with")


def test_failed_rebuild_keeps_index(fake_index: Path, tmp_path: Path) -> None:
    before = snapshot(fake_index)
    (tmp_path / "empty").mkdir()
    code, _ = run("index", str(tmp_path / "empty"), "--index", str(fake_index))
    assert code != 0
    assert snapshot(fake_index) == before


def test_reindex_from_recorded_inputs(fake_index: Path) -> None:
    code, out = run("index", "--index", str(fake_index))
    assert code == 0, out
    assert "Indexed 3 documents" in out


def test_new_chunk_size_rebuilds_from_the_recorded_inputs(fake_index: Path) -> None:
    code, out = run("index", "--index", str(fake_index), "--max-tokens", "40")
    assert code == 0, out
    assert "Indexed 3 documents" in out and "rebuilt: chunker settings changed (max_tokens 32 -> 40)" in out


def test_new_chunk_size_for_the_seeds_index_reads_the_seeds() -> None:
    code, out = run("index", "--overlap", "0")
    assert code == 0, out
    assert "Indexed 5 documents" in out


def test_help_through_the_installed_script_imports_nothing_heavy() -> None:
    """The console script pip installs (pyproject's entry point) runs, prints the usage, imports no model."""
    script = Path(sys.executable).parent / "parallax"
    assert script.is_file(), f"no console script at {script}: install the package (make install)"
    loaded, out = modules_loaded_by(["--help"], (*HEAVY, "faiss", "numpy", "onnxruntime"), script=script)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Usage: parallax [OPTIONS] COMMAND [ARGS]..."), out.stdout[:200]
    assert "search " in out.stdout and "compare " in out.stdout
    assert loaded == []


def test_shell_answers_queries_and_commands() -> None:
    script = "liaison office\n:k 2\n:mode bm25\n:json\nSouth Korea weapons\n:source nowhere\n:quit\nnot reached\n"
    result = invoke(["shell"], stdin=script)
    assert result.exit_code == 0, result.output
    assert "k = 2" in result.output and "mode = bm25" in result.output
    rows = [json.loads(ln) for ln in result.output.splitlines() if ln.startswith("{")]
    assert len(rows) == 1 and rows[0]["query"] == "South Korea weapons" and len(rows[0]["results"]) == 2
    assert "Error: no source 'nowhere'" in result.output
    assert "not reached" not in result.output
    assert "latency" in result.output


def test_entry_point_keeps_exit_codes_and_output(fake_index: Path) -> None:
    """``main`` leaves through os._exit after flushing: exit codes and every byte of output survive."""
    env = {**os.environ}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(parallax_argv(*args), env=env, capture_output=True, text=True)

    ok = cli("search", "tea", "--index", str(fake_index), "--json", "-k", "50")
    assert ok.returncode == 0 and json.loads(ok.stdout)["results"]
    bad = cli("search", "   ", "--index", str(fake_index))
    assert bad.returncode == 1 and "query is empty" in bad.stderr and "Traceback" not in bad.stderr
    usage = cli("search", "tea", "--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr
    assert cli("--help").stdout.rstrip().endswith(tuple("abcdefghijklmnopqrstuvwxyz.)"))


def test_a_folder_of_documents_as_index_says_what_to_run(small_corpus: Path) -> None:
    """--index naming a folder of documents: say what it is and how to index it, never suggest --rebuild
    (which is refused there)."""
    for args in (
        ("search", "tea", "--index", str(small_corpus)),
        ("index", str(small_corpus), "--index", str(small_corpus)),
    ):
        code, out = run(*args)
        assert_one_line_error(code, out, f"{small_corpus} holds documents, not a Parallax index")
        assert f"parallax index {small_corpus}" in out and "--index NEW_FOLDER" in out
        assert "--rebuild" not in out


def test_index_output_and_errors_start_without_an_empty_line(small_corpus: Path, tmp_path: Path) -> None:
    code, out = run("index", str(small_corpus), "--index", str(tmp_path / "i"))
    assert code == 0 and out.startswith("Indexed 3 documents"), repr(out[:80])
    code, out = run("index", str(tmp_path / "empty-nope"), "--index", str(tmp_path / "j"))
    assert code == 1 and out.startswith("Error:"), repr(out[:80])


def test_info_describes_the_chunker_in_words(fake_index: Path) -> None:
    code, out = run("info", "--index", str(fake_index))
    assert code == 0, out
    assert "chunks of 32 word pieces, 1 sentence overlap, heading context" in " ".join(out.split())
    assert "{" not in out


@pytest.mark.parametrize("columns", ["80", "160"])
def test_help_lists_every_command_without_cutting_its_description(columns: str) -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": columns})
    assert result.exit_code == 0
    listing = result.output.split("Commands:", 1)[1].strip().splitlines()
    assert len(listing) == 8
    for line in listing:
        assert not line.rstrip().endswith("..."), line
        assert len(line) <= 80, line


def test_show_accepts_the_span_as_search_prints_it() -> None:
    code, out = run("show", "panda:100-200", "--json")  # builds the seeds index first, and says so
    assert code == 0, out
    expected = json.loads(out.splitlines()[-1])
    for spec in ("panda:[100:200)", "panda [100:200)", "panda [100:200) "):
        code, out = run("show", spec, "--json")
        assert code == 0, out
        assert json.loads(out) == expected
    result = runner.invoke(app, ["show", "--help"], env={"COLUMNS": "160"})
    assert "[START:END)" in result.output
    assert_one_line_error(*run("show", "panda 100 200"), "SOURCE:START-END")


def test_unknown_source_on_a_large_index_suggests_the_closest(tmp_path: Path, fake: FakeEmbedder) -> None:
    docs = tmp_path / "many"
    docs.mkdir()
    names = [
        "panda",
        "pandemic",
        "koala",
        "kangaroo",
        "wombat",
        "platypus",
        "echidna",
        "dingo",
        "emu",
        "quokka",
        "numbat",
        "bilby",
        "possum",
        "dugong",
        "cassowary",
        "kookaburra",
        "lyrebird",
        "galah",
        "cockatoo",
        "budgie",
    ]
    for name in names:
        (docs / f"{name}.txt").write_text(f"The {name} is an animal. It lives somewhere warm.\n", encoding="utf-8")
    dest = tmp_path / "idx"
    build_index(load_corpus([docs]), fake, dest, inputs=[str(docs)])
    code, out = run("search", "animal", "--index", str(dest), "--source", "pandda")
    assert_one_line_error(code, out, f"no source 'pandda' in {dest} (20 sources); did you mean: panda")
    assert f"parallax info --index {dest}" in out
    assert "wombat" not in out  # not every id


def test_topics_and_compare_say_wrote_alike(tmp_path: Path) -> None:
    for command in ("compare", "topics"):
        args = [
            command,
            *(["NATO summit"] if command == "compare" else []),
            "--html",
            str(tmp_path / f"{command}.html"),
        ]
        code, out = run(*args)
        assert code == 0, out
        assert f"Wrote {tmp_path / command}.html" in " ".join(out.split()), out[-300:]
