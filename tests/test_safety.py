"""Safety of the index: one build at a time, a killed build never corrupts, damage is caught at load."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from parallax.cli.main import app
from parallax.core.errors import CorruptIndexError, IndexBusyError, InputError
from parallax.index.builder import build_index, update_index
from parallax.index.lock import index_lock, lock_path
from parallax.index.manifest import FORMAT_VERSION, MANIFEST_FILE, STORE_FILE
from parallax.index.reader import Index
from parallax.index.segment import SENTENCES as SENTENCES_FILE
from parallax.index.segment import VECTORS as FAISS_FILE
from parallax.ingest.chunk import ChunkerConfig
from parallax.ingest.load import load_corpus

from .conftest import assert_one_line_error, rows, snapshot
from .fakes import CHILD_PRELUDE, FakeEmbedder

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


HOLD_LOCK = """
import sys, time
from pathlib import Path
from parallax.index.lock import index_lock
with index_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(dest: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(dest), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_second_build_fails_at_once_with_the_holders_pid(fake_index: Path, small_corpus: Path) -> None:
    before = snapshot(fake_index)
    holder = hold_lock(fake_index, 30)
    try:
        t0 = time.perf_counter()
        code, out = invoke(*["index", str(small_corpus), "--index", str(fake_index)])
        assert time.perf_counter() - t0 < 5
        assert_one_line_error(code, out, f"another parallax index is running on {fake_index} (pid {holder.pid})")
        assert "--wait" in out
        assert snapshot(fake_index) == before
    finally:
        holder.kill()
        holder.wait()
    # The kernel dropped the dead holder's lock: the next build runs.
    update_index(load_corpus([small_corpus]), FakeEmbedder(dim=64), fake_index)


def test_wait_for_the_other_build(fake_index: Path, small_corpus: Path) -> None:
    holder = hold_lock(fake_index, 1.0)
    try:
        with pytest.raises(IndexBusyError):
            update_index(load_corpus([small_corpus]), FakeEmbedder(dim=64), fake_index)
        (small_corpus / "new.txt").write_text("Owls hunt at night.", encoding="utf-8")
        result = runner.invoke(app, ["index", str(small_corpus), "--index", str(fake_index), "--wait", "30"])
        assert result.exit_code == 0, result.output
        assert "1 added" in result.output
    finally:
        holder.wait()


def test_lock_lives_beside_the_index_and_is_held_once(fake_index: Path) -> None:
    assert lock_path(fake_index) == fake_index.parent / ".idx.lock"
    with index_lock(fake_index):
        assert lock_path(fake_index).read_text().strip() == str(os.getpid())
        # Not re-entrant: a second holder, even in this process, is refused (a build takes it once).
        with pytest.raises(IndexBusyError, match=f"pid {os.getpid()}"), index_lock(fake_index):
            pass
    with index_lock(fake_index):  # released on exit
        pass


CRASH = r"""
import os, shutil, sys
from pathlib import Path
from parallax.index import builder, writer
from parallax.ingest.load import load_corpus
from tests.fakes import FakeEmbedder

point = sys.argv[3]
real_rename, real_rmtree = os.rename, shutil.rmtree
renames = 0


def rename(a, b):
    global renames
    renames += 1
    if point == "between-renames" and renames == 2:
        os._exit(9)  # the old index moved aside, the new one not in place
    real_rename(a, b)
    if point == "after-swap" and renames == 2:
        os._exit(9)


def rmtree(path, *args, **kwargs):
    if point == "during-cleanup" and ".old-" in str(path):
        next(iter(sorted(Path(path).rglob("*.npy")))).unlink()  # half removed
        os._exit(9)
    return real_rmtree(path, *args, **kwargs)


def die(*args, **kwargs):
    os._exit(9)


if point == "while-writing":
    writer.write_store = die
os.rename = rename
shutil.rmtree = rmtree
builder.update_index(load_corpus([Path(sys.argv[1])]), FakeEmbedder(dim=64), Path(sys.argv[2]))
"""


@pytest.mark.parametrize(
    ("point", "expected"),
    [("while-writing", "old"), ("between-renames", "old"), ("after-swap", "new"), ("during-cleanup", "new")],
)
def test_killed_build_leaves_a_whole_index(
    fake_index: Path, small_corpus: Path, tmp_path: Path, point: str, expected: str
) -> None:
    old_rows = rows(Index.load(fake_index))
    (small_corpus / "cats.txt").write_text("Cats climb trees. Cats chase mice at dusk.", encoding="utf-8")
    reference = tmp_path / "reference"
    build_index(load_corpus([small_corpus]), FakeEmbedder(dim=64), reference, ChunkerConfig(max_tokens=32))
    new_rows = rows(Index.load(reference))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD_PRELUDE + CRASH, str(small_corpus), str(fake_index), point],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 9, proc.stderr
    loaded = rows(Index.load(fake_index))  # a reader repairs a half-done swap
    assert loaded == (old_rows if expected == "old" else new_rows)
    # The next build cleans up what the killed one left and completes.
    update_index(load_corpus([small_corpus]), FakeEmbedder(dim=64), fake_index)
    assert rows(Index.load(fake_index)) == new_rows
    leftovers = [p.name for p in fake_index.parent.iterdir() if ".idx.tmp-" in p.name or ".idx.old-" in p.name]
    assert leftovers == []


def test_stale_temporary_folders_are_removed(fake_index: Path, small_corpus: Path) -> None:
    dead = fake_index.parent / ".idx.tmp-999999-deadbeef"
    dead.mkdir()
    (dead / "vectors.faiss").write_bytes(b"partial")
    half_deleted_backup = fake_index.parent / ".idx.old-cafebabe"
    half_deleted_backup.mkdir()
    (small_corpus / "new.txt").write_text("Owls hunt at night.", encoding="utf-8")
    update_index(load_corpus([small_corpus]), FakeEmbedder(dim=64), fake_index)
    assert not dead.exists() and not half_deleted_backup.exists()


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])


@pytest.mark.parametrize(
    ("damage", "needle"),
    [
        (lambda d: _truncate(d / FAISS_FILE), "vectors.npy is"),
        (lambda d: _truncate(d / SENTENCES_FILE), "sentences.npy is"),
        (lambda d: _truncate(d / STORE_FILE), "chunks.sqlite is"),
        (lambda d: _truncate(next((d / "bm25").glob("*.npy"))), "truncated or overwritten"),
        (lambda d: (d / FAISS_FILE).unlink(), "vectors.npy is missing"),
        (lambda d: _truncate(d / MANIFEST_FILE), "manifest.json is not valid JSON"),
        (lambda d: (d / MANIFEST_FILE).write_text(""), "manifest.json is not valid JSON"),
        (lambda d: (d / MANIFEST_FILE).write_text("[1, 2]"), "not a Parallax manifest"),
        (
            lambda d: (d / MANIFEST_FILE).write_text(
                json.dumps({**json.loads((d / MANIFEST_FILE).read_text()), "format_version": FORMAT_VERSION + 1})
            ),
            "newer Parallax",
        ),
    ],
    ids=["faiss", "sentences", "sqlite", "bm25", "no-faiss", "manifest", "manifest-empty", "manifest-list", "newer"],
)
def test_damage_is_caught_at_load_with_a_recovery_hint(
    fake_index: Path, small_corpus: Path, damage: Callable[[Path], object], needle: str
) -> None:
    damage(fake_index)
    with pytest.raises(CorruptIndexError, match="rebuild with: parallax index PATH... --index .* --rebuild"):
        Index.load(fake_index)
    code, out = invoke(*["search", "tea", "--index", str(fake_index)])
    assert_one_line_error(code, out, needle)
    assert "--rebuild" in out
    # An update cannot build on a damaged index; --rebuild can.
    code, out = invoke(*["index", str(small_corpus), "--index", str(fake_index)])
    assert_one_line_error(code, out, "--rebuild")
    result = runner.invoke(app, ["index", str(small_corpus), "--index", str(fake_index), "--rebuild"])
    assert result.exit_code == 0, result.output
    assert Index.load(fake_index).manifest.chunk_count > 0


def test_index_path_under_a_file(tmp_path: Path, small_corpus: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, out = invoke(*["index", str(small_corpus), "--index", str(blocker / "idx")])
    assert_one_line_error(code, out, "cannot create")


def test_read_only_folder_leaves_the_index_untouched(
    fake_index: Path, small_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(fake_index)
    (small_corpus / "new.txt").write_text("Owls hunt at night.", encoding="utf-8")

    real_mkdir = Path.mkdir

    def read_only(self: Path, *args: Any, **kwargs: Any) -> None:
        if ".idx.tmp-" in self.name:
            raise OSError(errno.EROFS, "Read-only file system")
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)  # the staged folder cannot be created
    code, out = invoke(*["index", str(small_corpus), "--index", str(fake_index)])
    assert_one_line_error(code, out, "Read-only file system")
    monkeypatch.undo()
    assert snapshot(fake_index) == before
    assert not list(fake_index.parent.glob(".idx.tmp-*"))


def test_lock_file_cannot_be_created(fake_index: Path, small_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from filelock import FileLock

    def denied(self: object, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(FileLock, "acquire", denied)
    with pytest.raises(InputError, match=r"cannot write an index in .*Permission denied.*nothing was changed"):
        update_index(load_corpus([small_corpus]), FakeEmbedder(dim=64), fake_index)


def test_ctrl_c_during_a_rebuild_leaves_the_index_as_it_was(fake_index: Path, small_corpus: Path) -> None:
    """A KeyboardInterrupt from the embedder's progress callback: the staged build is discarded, the
    lock released, and the message says the index is intact."""
    from parallax.api import index_paths

    before = snapshot(fake_index)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt, match=f"interrupted; the index at {fake_index} was left as it was"):
        index_paths([small_corpus], index=fake_index, progress=interrupt, rebuild=True)
    assert snapshot(fake_index) == before
    assert not list(fake_index.parent.glob(f".{fake_index.name}.tmp-*"))
    with index_lock(fake_index):  # released
        pass


def test_ctrl_c_in_the_cli_says_so(
    fake_index: Path, small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(fake_index)

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(FakeEmbedder, "embed", interrupted)
    code, out = invoke("index", "--index", str(fake_index), "--rebuild")
    assert code == 130
    assert_one_line_error(code, out, f"interrupted; the index at {fake_index} was left as it was")
    assert snapshot(fake_index) == before
    code, out = invoke("index", str(small_corpus), "--index", str(tmp_path / "new"))
    assert_one_line_error(code, out, f"interrupted; no index was written at {tmp_path / 'new'}")
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())
