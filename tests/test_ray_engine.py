"""``--engine ray`` without Ray: the one-line error naming the extra, the options reaching the library, and
the driver's side of the engine (planning, assembly, writing) with the cluster replaced by this process."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from parallax.api import Engine, index_paths
from parallax.index.builder import BuildOptions, update_index
from parallax.index.ray_engine import DocRows, RemoteRows, chunk_and_embed
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.document import Document
from parallax.ingest.load import load_corpus

from .conftest import assert_one_line_error, assert_same_index, run
from .fakes import FakeEmbedder
from .probes import modules_loaded_by


def test_engine_ray_without_the_extra_names_the_install_command(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    code, out = run("index", str(small_corpus), "--index", str(tmp_path / "idx"), "--engine", "ray")
    assert_one_line_error(code, out, "pip install 'parallax[ray]'")
    assert not (tmp_path / "idx").exists()  # failed before anything was read or written


def test_help_imports_no_ray() -> None:
    for args in (["--help"], ["index", "--help"]):
        loaded, out = modules_loaded_by(args, ("ray", "parallax.index.ray_engine"))
        assert out.returncode == 0, out.stderr
        assert ("--engine" in out.stdout) == (args != ["--help"])
        assert loaded == []


def test_engine_options_reach_the_library(small_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Engine] = []

    def fake_index_paths(paths: Sequence[Path], **kwargs: object) -> object:
        seen.append(kwargs["engine"])  # type: ignore[arg-type]
        raise KeyboardInterrupt("stopped by the test")

    import parallax.api

    monkeypatch.setattr(parallax.api, "index_paths", fake_index_paths)
    run("index", str(small_corpus), "--engine", "ray", "--address", "head:6379")
    run("index", str(small_corpus))
    assert seen == [Engine("ray", "head:6379"), Engine("local", None)]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--engine", "spark"), "unknown --engine 'spark'; choose one of local, ray"),
        (("--address", "head:6379"), "--address names a Ray cluster: use it with --engine ray"),
    ],
)
def test_bad_engine_options_are_one_line_errors(small_corpus: Path, args: tuple[str, ...], needle: str) -> None:
    code, out = run("index", str(small_corpus), *args)
    assert_one_line_error(code, out, needle)


class InProcess:
    """The cluster's part, done here: what ``RayRunner`` asks of each actor, and what it was sent."""

    def __init__(self, embedder: FakeEmbedder) -> None:
        self.embedder, self.sent = embedder, []  # type: list[list[str]]
        self.closed = False

    def __call__(self, docs: Sequence[Document], config: ChunkerConfig, sentence_vectors: bool) -> Iterator[DocRows]:
        self.sent.append([d.source for d in docs])
        for i in range(0, len(docs), 2):  # batches of two documents, as map_batches would hand them out
            yield from chunk_and_embed(docs[i : i + 2], self.embedder, config, sentence_vectors, batch_size=8)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch, fake: FakeEmbedder) -> InProcess:
    runner = InProcess(fake)
    import parallax.index.ray_engine as ray_engine

    monkeypatch.setattr(ray_engine, "ray_rows", lambda *args: RemoteRows(runner))
    return runner


def test_remote_engine_writes_the_local_index_and_sends_only_what_changed(
    seeds_copy: Path, tmp_path: Path, fake: FakeEmbedder, in_process: InProcess
) -> None:
    remote, local = BuildOptions(engine=Engine("ray")), BuildOptions()
    inputs = [str(seeds_copy)]
    for options, dest in ((remote, tmp_path / "remote"), (local, tmp_path / "local")):
        update_index(
            load_corpus([seeds_copy]), fake, dest, ChunkerConfig(max_tokens=64), inputs=inputs, options=options
        )
    assert len(in_process.sent) == 1 and len(in_process.sent[0]) == 5 and in_process.closed
    assert_same_index(tmp_path / "remote", tmp_path / "local")

    changed = sorted(seeds_copy.glob("*.txt"))[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA new closing paragraph.\n", encoding="utf-8")
    (seeds_copy / "new.md").write_text("# New\n\nA note that was not there before.\n", encoding="utf-8")
    for path in (changed, seeds_copy / "new.md"):  # not "changed a moment ago" for one build and not the other
        os.utime(path, ns=(time.time_ns() - 10**10,) * 2)
    stats = {}
    for options, dest in ((remote, tmp_path / "remote"), (local, tmp_path / "local")):
        stats[dest.name] = update_index(load_corpus([seeds_copy]), fake, dest, inputs=inputs, options=options)
    assert in_process.sent[1:] == [[changed.name, "new.md"]]
    assert stats["remote"].updated == [changed.name] and stats["remote"].added == ["new.md"]
    assert stats["remote"].chunks_embedded == stats["local"].chunks_embedded > 0
    assert_same_index(tmp_path / "remote", tmp_path / "local")

    (seeds_copy / "new.md").unlink()  # nothing to embed: the cluster is not asked
    update_index(load_corpus([seeds_copy]), fake, tmp_path / "remote", inputs=inputs, options=remote)
    assert len(in_process.sent) == 2


def test_index_paths_passes_the_engine_to_the_builder(
    small_corpus: Path, tmp_path: Path, in_process: InProcess
) -> None:
    _, stats = index_paths([small_corpus], index=tmp_path / "idx", engine=Engine("ray"))
    assert stats.chunks_embedded > 0 and in_process.sent == [["cats.txt", "rockets.md", "tea.html"]]
