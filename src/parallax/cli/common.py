"""What every command shares: the --index option, one-line errors, the progress bar, the stderr console,
and opening an index with a progress bar the first time the seeds index is built.

Heavy modules (rich, numpy, faiss) are imported inside the functions, so ``--help`` stays fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from parallax.index.reader import Index

F = TypeVar("F", bound=Callable[..., Any])
ProgressUpdate = Callable[[int, int], None]

IndexOpt = Annotated[
    str | None,
    typer.Option("--index", help="Index folder, or the name of an index in the Parallax home. Default: the seeds."),
]


def stderr() -> Console:
    """A rich console on standard error, for messages, notes and progress."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def wrote(path: Path) -> None:
    """Say on stderr that a file was written (``--html``)."""
    stderr().print(f"Wrote {path}", markup=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``Error: message`` on stderr, as written (brackets are not markup: ``pip install 'parallax[ray]'``);
    the caller raises the returned exit."""
    from rich.markup import escape

    stderr().print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


def handles_errors(func: F) -> F:
    """Turn domain and OS errors into a one-line message and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from parallax.core.errors import ParallaxError

        try:
            return func(*args, **kwargs)
        except ParallaxError as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            raise fail(f"{exc.strerror or exc}{where}") from None
        except KeyboardInterrupt as exc:  # the library may say what the interruption left behind
            raise fail(str(exc) or "interrupted", 130) from None

    return wrapper  # type: ignore[return-value]


def _no_progress(done: int, total: int) -> None:
    return None


@contextmanager
def progress_bar(description: str) -> Iterator[ProgressUpdate]:
    """A rich progress bar on stderr; yields ``update(done, total)``.

    Only on a terminal: elsewhere (a pipe, a log file) rich prints no bar but ends with an empty line,
    which would start the command's output.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = stderr()
    if not console.is_interactive:
        yield _no_progress
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def open_index_with_progress(index: str | None) -> Index:
    """Load an index; the seeds index is built on first use, with a progress bar and a note."""
    from parallax.api import open_index

    stack: list[AbstractContextManager[ProgressUpdate]] = []

    def on_first_build(path: Path) -> ProgressUpdate:
        stderr().print(f"Building the seeds index at {path} (first run, about a minute)…")
        ctx = progress_bar("Embedding seeds")
        stack.append(ctx)
        return ctx.__enter__()

    try:
        return open_index(index, on_first_build=on_first_build)
    finally:
        for ctx in stack:
            ctx.__exit__(None, None, None)
