"""``parallax shell``: its loop on scripted input, Ctrl-C and Ctrl-D, and its messages for bad commands."""

from __future__ import annotations

import os
import pty
import select
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from parallax.cli.shell import HELP, prompt_lines, run_shell
from parallax.index.reader import Index
from parallax.search.searcher import Searcher, SearchResult

from .fakes import FakeEmbedder, parallax_argv


@pytest.fixture
def searcher(fake_index: Path) -> Searcher:
    return Searcher(Index.load(fake_index), FakeEmbedder(dim=64))


def converse(searcher: Searcher, lines: list[str]) -> tuple[list[str], list[SearchResult]]:
    """Run the shell's loop on ``lines``: what it said, and the results it showed."""
    said: list[str] = []
    shown: list[SearchResult] = []
    run_shell(searcher, lines, shown.append, said.append)
    return said, shown


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (":foo", "unknown command :foo (try :help)"),
        (":k abc", "k must be a whole number of at least 1, e.g. :k 5"),
        (":k 0", "k must be a whole number of at least 1, e.g. :k 5"),
        (":k", "k must be a whole number of at least 1, e.g. :k 5"),
        (":mode xyz", "unknown mode 'xyz'; choose one of dense, bm25, hybrid, e.g. :mode bm25"),
        (":mode", "give a mode: one of dense, bm25, hybrid, e.g. :mode bm25"),
        (":source", "give a source id or file name, e.g. :source cats, or :source all for every source"),
        (":help", HELP),
    ],
)
def test_bad_commands_say_what_is_wrong(searcher: Searcher, line: str, message: str) -> None:
    said, _ = converse(searcher, [line])
    assert said == [message]


def test_good_commands_still_work(searcher: Searcher) -> None:
    said, shown = converse(searcher, [":k 2", ":mode bm25", ":source tea", "tea leaves", ":quit", "not reached"])
    assert said == ["k = 2", "mode = bm25", "sources = tea"]
    assert len(shown) == 1 and shown[0].mode == "bm25" and {h.source for h in shown[0].hits} == {"tea.html"}


def scripted(*steps: str | type[BaseException]) -> Callable[[str], str]:
    """An ``input`` replacement: each call returns the next line or raises the next exception."""
    queue: Iterator[str | type[BaseException]] = iter(steps)

    def read(prompt: str) -> str:
        step = next(queue)
        if isinstance(step, str):
            return step
        raise step

    return read


def test_ctrl_c_clears_the_line_and_ctrl_d_quits(searcher: Searcher, capsys: pytest.CaptureFixture[str]) -> None:
    lines = prompt_lines(read=scripted(KeyboardInterrupt, "green tea", KeyboardInterrupt, EOFError))
    said, shown = converse(searcher, list(lines))
    assert said == [] and [r.query for r in shown] == ["green tea"]


def test_ctrl_c_during_a_query_cancels_only_that_query(searcher: Searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    real = searcher.search
    calls: list[str] = []

    def interrupted_once(query: str, **kwargs: object) -> SearchResult:
        calls.append(query)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real(query, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(searcher, "search", interrupted_once)
    said, shown = converse(searcher, ["slow query", "green tea"])
    assert said == ["query cancelled"] and [r.query for r in shown] == ["green tea"]


def _read_until(fd: int, needle: bytes, seen: bytearray, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while needle not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no {needle!r} in {bytes(seen)!r}")
        try:
            seen.extend(os.read(fd, 4096))
        except OSError:  # the child closed the terminal
            raise AssertionError(f"no {needle!r} in {bytes(seen)!r}") from None


def test_ctrl_c_and_ctrl_d_in_a_real_terminal(fake_index: Path) -> None:
    """A partial line, Ctrl-C, a query, then Ctrl-D, typed into the shell on a pseudo-terminal."""
    argv = parallax_argv("shell", "--index", str(fake_index))
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm"}
    pid, main = pty.fork()  # the child's controlling terminal is the pty, so Ctrl-C sends it SIGINT
    if pid == 0:
        os.execve(argv[0], argv, env)
    seen = bytearray()
    try:
        _read_until(main, b"parallax> ", seen)
        time.sleep(0.5)  # the prompt is printed just before readline takes the terminal: let it settle
        os.write(main, b"partial query")
        _read_until(main, b"partial query", seen)
        time.sleep(0.5)
        del seen[:]
        os.write(main, b"\x03")  # Ctrl-C
        _read_until(main, b"parallax> ", seen)
        assert b"Error" not in seen
        del seen[:]
        os.write(main, b"green tea\r")
        _read_until(main, b"latency", seen)
        _read_until(main, b"parallax> ", seen)
        os.write(main, b"\x04")  # Ctrl-D
        assert _exit_code(pid) == 0
    finally:
        os.close(main)
    assert b"tea" in seen and b"Error" not in seen


def _exit_code(pid: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the shell did not quit on Ctrl-D")
