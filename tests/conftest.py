"""Shared fixtures and helpers. Every test gets its own Parallax home; unit tests use the fake embedder
(registered here). Test modules import the helpers below from here, never from each other.

Under ``CliRunner`` an uncaught exception never reaches ``result.output`` (it is kept in
``result.exception``), so ``invoke`` checks there that a command ended in an exit code, not a traceback.
"""

from __future__ import annotations

import os
import shutil
import traceback
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from parallax.cli.main import app
from parallax.core.settings import seeds_dir
from parallax.index.builder import build_index
from parallax.index.reader import Index
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus

from .fakes import FAKE_MODEL, FakeEmbedder, register_fake

register_fake()  # every test, in this process: get_embedder(FAKE_MODEL) builds the fake


@pytest.fixture(autouse=True)
def parallax_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("parallax-home")
    monkeypatch.setenv("PARALLAX_HOME", str(home))
    monkeypatch.setenv("PARALLAX_MODEL", FAKE_MODEL)
    return home


@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder(dim=64)


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "seeds"
    shutil.copytree(seeds_dir(), dest)
    return dest


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "cats.txt").write_text(
        "Cats\n\nCats are small carnivorous mammals. They sleep for most of the day.\n"
        "Domestic cats purr when they are content.\n",
        encoding="utf-8",
    )
    (folder / "rockets.md").write_text(
        "# Rockets\n\nA rocket engine burns propellant to produce thrust. Orbital launches need "
        "staging.\n\nPlease follow and like us:\n",
        encoding="utf-8",
    )
    (folder / "tea.html").write_text(
        "<html><head><title>Tea</title><style>p {color: red}</style></head><body>"
        "<nav>Home | About</nav><h1>Tea</h1><p>Green tea is made from <b>unoxidised</b> leaves.</p>"
        "<p>Black tea is fully oxidised &amp; stronger.</p><footer>Contact us</footer></body></html>",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def fake_index(small_corpus: Path, tmp_path: Path, fake: FakeEmbedder) -> Path:
    dest = tmp_path / "idx"
    build_index(load_corpus([small_corpus]), fake, dest, ChunkerConfig(max_tokens=32), inputs=[str(small_corpus)])
    return dest


# Helpers shared by test modules.

runner = CliRunner()


def invoke(args: Sequence[str], stdin: str | None = None) -> Result:
    """Run ``parallax ARGS`` in-process; fail the test if the command raised instead of exiting."""
    result = runner.invoke(app, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raised = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else repr(result.exception)
        raise AssertionError(f"parallax {' '.join(args)} raised instead of exiting:\n{raised}")
    return result


def run(*args: str) -> tuple[int, str]:
    """``invoke`` for the common case: the exit code and everything printed (stdout and stderr)."""
    result = invoke(args)
    return result.exit_code, result.output


def assert_one_line_error(code: int, output: str, needle: str) -> None:
    """A failed command printed exactly one ``Error:`` line, and it holds ``needle``."""
    assert code != 0
    errors = [ln for ln in output.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, output
    assert needle in errors[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: two equal snapshots mean nothing on disk changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def rows(index: Index) -> list[tuple[str, int, int, str, str]]:
    """``(source, start, end, embed_text, context)`` of every chunk, in id order."""
    stored = index.reusable_rows([d.source for d in index.manifest.documents])
    by_id = sorted((cid, src, a, b, t, c) for src, r in stored.items() for cid, a, b, t, c in r.chunks)
    assert [row[0] for row in by_id] == list(range(len(index)))
    return [(src, a, b, t, c) for _, src, a, b, t, c in by_id]


def pytest_report_header() -> str:
    """Say up front whether the HTML page tests can open a browser (``make test`` never installs one)."""
    for name in (os.environ.get("PARALLAX_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return f"browser tests: headless Chromium at {shutil.which(name)}"
    return "browser tests: skipped, no Chromium found (install it with: make browser, which runs apt-get as root)"


def assert_same_index(a: Path, b: Path, atol: float = 0.0) -> None:
    """Two indexes hold the same documents, chunks (offsets and texts), sentences and manifest (but for
    when it was written), and vectors within ``atol``: what another engine must reproduce."""
    import numpy as np

    ia, ib = Index.load(a), Index.load(b)
    try:
        ma, mb = dict(vars(ia.manifest)), dict(vars(ib.manifest))
        ma.pop("created_at"), mb.pop("created_at")
        assert ma == mb
        assert rows(ia) == rows(ib)
        assert ia.sentence_spans() == ib.sentence_spans()
        assert [ia.document_text(d.source) for d in ia.manifest.documents] == [
            ib.document_text(d.source) for d in ib.manifest.documents
        ]
        for vectors in ("chunk_vectors", "sentence_vectors"):
            total = ia.manifest.chunk_count if vectors == "chunk_vectors" else ia.manifest.sentence_count
            ids = np.arange(total, dtype=np.int64)
            va, vb = getattr(ia, vectors)(ids), getattr(ib, vectors)(ids)
            assert va.shape == vb.shape and np.abs(va - vb).max(initial=0.0) <= atol, vectors
        assert (ia.chunk_members()[0] == ib.chunk_members()[0]).all()
        assert (ia.chunk_members()[1] == ib.chunk_members()[1]).all()
    finally:
        ia.close()
        ib.close()
