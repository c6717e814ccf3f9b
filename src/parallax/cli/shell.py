"""``parallax shell``: a prompt that keeps the model and index loaded, for many queries in a row.

Lines are queries; lines starting with ``:`` change settings (``:k 5``, ``:mode bm25``,
``:source panda``, ``:source all``, ``:json``, ``:help``, ``:quit``). History is kept in the
Parallax home between sessions. Ctrl-C clears the line being typed (or cancels the query running);
Ctrl-D quits.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from parallax.cli.common import IndexOpt, handles_errors, open_index_with_progress

if TYPE_CHECKING:  # imported by the functions that need them, so that --help imports none of them
    from parallax.search.searcher import Searcher, SearchResult

HELP = (
    "Type a query, or a command: :k N · :mode dense|bm25|hybrid · :source ID (repeat to add) · "
    ":source all · :json (toggle) · :help · :quit"
)


@handles_errors
def shell_cmd(index: IndexOpt = None) -> None:
    """An interactive prompt that keeps the model and index loaded; shows per-query latency."""
    from parallax.embed.registry import get_embedder
    from parallax.render.search import Style, format_hits, summary_line, terminal_width, wants_color
    from parallax.search.searcher import Searcher

    searcher = Searcher(open_index_with_progress(index), get_embedder())
    searcher.search("warm up", k=1)  # load the model and BM25 arrays before the first real query
    short = {d.source: d.short_id for d in searcher.index.manifest.documents}
    style = Style(wants_color(sys.stdout))

    def show(result: SearchResult) -> None:
        hybrid = result.mode == "hybrid"
        print(format_hits(result.query, result.hits, short, style, terminal_width(), show_found_by=hybrid))
        print(style(summary_line(result), "dim"), flush=True)

    interactive = sys.stdin.isatty()
    if interactive:
        print(style(f"{searcher.index.path} · model loaded in {searcher.load_ms:.0f} ms · {HELP}", "dim"))
    lines = prompt_lines() if interactive else (ln for ln in sys.stdin)
    run_shell(searcher, lines, show, lambda msg: print(msg, flush=True))


@dataclass
class ShellState:
    """The settings ``:`` commands change: results per query, mode, sources and JSON output."""

    k: int = 5
    mode: str = "hybrid"
    sources: list[str] = field(default_factory=list)
    as_json: bool = False


K_HINT = "k must be a whole number of at least 1, e.g. :k 5"


def _set_k(arg: str, state: ShellState, searcher: Searcher) -> str:
    if not (arg.isdigit() and int(arg) > 0):
        return K_HINT
    state.k = int(arg)
    return f"k = {state.k}"


def _set_mode(arg: str, state: ShellState, searcher: Searcher) -> str:
    from parallax.search.searcher import MODES

    choices = f"one of {', '.join(MODES)}, e.g. :mode bm25"
    if not arg:
        return f"give a mode: {choices}"
    if arg not in MODES:
        return f"unknown mode {arg!r}; choose {choices}"
    state.mode = arg
    return f"mode = {arg}"


def _add_source(arg: str, state: ShellState, searcher: Searcher) -> str:
    if not arg:
        docs = searcher.index.manifest.documents
        example = f"e.g. :source {docs[0].short_id}, " if docs else ""
        return f"give a source id or file name, {example}or :source all for every source"
    if arg == "all":
        state.sources = []
    else:
        searcher.index.resolve_sources([arg])  # raises with the known ids if unknown
        state.sources.append(arg)
    return f"sources = {', '.join(state.sources) or 'all'}"


def _toggle_json(arg: str, state: ShellState, searcher: Searcher) -> str:
    state.as_json = not state.as_json
    return f"json = {'on' if state.as_json else 'off'}"


COMMANDS: Mapping[str, Callable[[str, ShellState, Searcher], str]] = MappingProxyType(
    {
        "k": _set_k,
        "mode": _set_mode,
        "source": _add_source,
        "json": _toggle_json,
        "help": lambda arg, state, searcher: HELP,
    }
)


def _command(line: str, state: ShellState, searcher: Searcher) -> str | None:
    """Apply a ``:`` command; return a message, or None to quit."""
    name, _, arg = line[1:].strip().partition(" ")
    if name in ("q", "quit", "exit"):
        return None
    action = COMMANDS.get(name or "help")
    if action is None:
        return f"unknown command :{name} (try :help)"
    return action(arg.strip(), state, searcher)


def run_shell(
    searcher: Searcher,
    lines: Iterable[str],
    show: Callable[[SearchResult], None],
    say: Callable[[str], None],
) -> int:
    """Answer each line; return the number of queries run. ``show`` prints a result, ``say`` a message."""
    from parallax.core.errors import ParallaxError

    state = ShellState()
    count = 0
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.startswith(":"):
            try:
                message = _command(line, state, searcher)
            except ParallaxError as exc:
                message = f"Error: {exc}"
            if message is None:
                break
            say(message)
            continue
        try:
            result = searcher.search(line, k=state.k, sources=state.sources, mode=state.mode)
        except ParallaxError as exc:
            say(f"Error: {exc}")
            continue
        except KeyboardInterrupt:  # Ctrl-C while a query runs cancels that query, not the shell
            say("query cancelled")
            continue
        count += 1
        if state.as_json:
            say(json.dumps(result.to_dict(), ensure_ascii=False))
        else:
            show(result)
    return count


def prompt_lines(prompt: str = "parallax> ", read: Callable[[str], str] = input) -> Iterable[str]:
    """Read lines with readline editing and a history file: Ctrl-C drops the line being typed and
    prompts again, as every REPL does; end of input (Ctrl-D) stops."""
    from parallax.core.settings import home

    history = home() / "shell_history"
    try:
        import readline

        history.parent.mkdir(parents=True, exist_ok=True)
        if history.exists():
            readline.read_history_file(str(history))
        readline.set_history_length(1000)
    except (ImportError, OSError):
        readline = None  # type: ignore[assignment]
    try:
        while True:
            try:
                yield read(prompt)
            except KeyboardInterrupt:
                print(flush=True)  # readline has dropped the line; the next prompt goes on a line of its own
            except EOFError:
                print(flush=True)
                return
    finally:
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(str(history))
