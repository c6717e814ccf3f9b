"""Shared fixtures. Every test gets its own Parallax home; unit tests use the fake embedder (registered here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from parallax.core.settings import seeds_dir
from parallax.index.builder import build_index
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
