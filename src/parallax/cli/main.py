"""The ``parallax`` command line: the typer app, every command registered on it, and the entry point.

Each command lives in a module of its own (``cli/index.py``, ``cli/search.py``...) as a plain function;
this module alone imports them and registers them, in the order ``parallax --help`` lists them. Heavy
modules (rich, numpy, faiss, torch) are imported inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import contextlib
import os
import sys

import typer

from parallax.cli.bench import bench_cmd
from parallax.cli.compare import compare_cmd
from parallax.cli.index import index_cmd
from parallax.cli.info import info_cmd
from parallax.cli.search import search_cmd
from parallax.cli.shell import shell_cmd
from parallax.cli.show import show_cmd
from parallax.cli.topics import topics_cmd

app = typer.Typer(
    help="Parallax: local semantic search that shows how different sources treat the same topic.\n\n"
    "With no --index, every command works on the bundled seeds corpus.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help pulls in rich.markdown and markdown-it, which would double
    # the time of `parallax --help` (benchmarks/latency.py measures it).
    rich_markup_mode=None,
)

# Each command with the one line `parallax --help` gives it, in the order listed: click cuts a longer
# line with "..." (its help is at most 78 columns wide, however wide the terminal), so each fits in 65.
COMMANDS = (
    ("index", index_cmd, "Create or update an index from files and folders."),
    ("show", show_cmd, "Show a passage of a document, highlighted, in its context."),
    ("search", search_cmd, "Search an index: the best passages with source and offsets."),
    ("shell", shell_cmd, "An interactive search prompt that keeps the model loaded."),
    ("info", info_cmd, "Describe an index: corpus, chunks, model, size and place."),
    ("bench", bench_cmd, "Score retrieval quality (nDCG@10, recall, MRR, MAP) or compare."),
    ("compare", compare_cmd, "Put the sources side by side on one topic: who says what."),
    ("topics", topics_cmd, "Map the corpus: its main topics and which sources cover them."),
)
for _name, _command, _short in COMMANDS:
    app.command(_name, short_help=_short)(_command)


def main() -> None:
    """Run the command line, then leave at once.

    Once the output is flushed, the interpreter's teardown (freeing the model, stopping
    onnxruntime's threads, clearing every module) only delays the prompt by ~50 ms. Commands close
    and sync what they write before they return, so nothing is lost by skipping it.
    """
    code: int
    try:
        app()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (parallax search … | head -1)
            stream.flush()
    os._exit(code)
