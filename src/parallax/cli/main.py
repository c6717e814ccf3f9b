"""The ``parallax`` command line: resolve arguments, call one library function, format the output.

Heavy modules (numpy, faiss, torch) are imported inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

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

F = TypeVar("F", bound=Callable[..., Any])

IndexOpt = Annotated[
    str | None,
    typer.Option("--index", help="Index folder, or the name of an index in the Parallax home. Default: the seeds."),
]


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def fail(message: str, code: int = 1) -> typer.Exit:
    _stderr().print(f"[bold red]Error:[/] {message}", soft_wrap=True)
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
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr; yields ``update(done, total)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_stderr(),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _open_index(index: str | None) -> Any:
    """Load an index; the seeds index is built on first use, with a progress bar and a note."""
    from parallax.api import open_index

    stack: list[Any] = []

    def on_first_build(path: Path) -> Callable[[int, int], None]:
        _stderr().print(f"Building the seeds index at {path} (first run, about a minute)…")
        ctx = progress_bar("Embedding seeds")
        stack.append(ctx)
        return ctx.__enter__()

    try:
        return open_index(index, on_first_build=on_first_build)
    finally:
        for ctx in stack:
            ctx.__exit__(None, None, None)


@app.command("index")
@handles_errors
def index_cmd(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (.txt, .md, .html, .pdf). Default: the seeds.")
    ] = None,
    index: IndexOpt = None,
    max_tokens: Annotated[
        int | None, typer.Option(help="Chunk size in model word pieces (at most 254). Changing it rebuilds.")
    ] = None,
    overlap: Annotated[
        int | None, typer.Option(help="Sentences shared by consecutive chunks. Changing it rebuilds.")
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Start over: re-chunk and re-embed every document.")
    ] = False,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for another build of this index (default: fail at once).")
    ] = 0.0,
    max_file_mb: Annotated[
        float, typer.Option("--max-file-mb", help="Skip files larger than this many MB (0: no limit).")
    ] = 50.0,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every file: added, updated, skipped...")
    ] = False,
) -> None:
    """Create or update an index: only new and changed documents are embedded; deleted ones are dropped."""
    from parallax.api import index_paths

    with progress_bar("Embedding") as update:
        dest, stats = index_paths(
            paths or [],
            index=index,
            progress=update,
            max_tokens=max_tokens,
            overlap=overlap,
            rebuild=rebuild,
            wait=wait,
            max_file_mb=max_file_mb,
        )
    err = _stderr()
    from rich.markup import escape

    if verbose:
        for label, names in (
            ("added", stats.added),
            ("updated", stats.updated),
            ("removed", stats.removed),
            ("unchanged", stats.unchanged),
            ("moved", stats.moved),
        ):
            for name in names:
                err.print(f"{label:9} {escape(name)}", soft_wrap=True)
    shown = stats.skipped if verbose else stats.skipped[:5]
    for path, reason in shown:
        err.print(f"[yellow]skipped[/]   {escape(path)}: {escape(reason)}", soft_wrap=True)
    if len(stats.skipped) > len(shown):
        err.print(f"[yellow]skipped[/]   … and {len(stats.skipped) - len(shown)} more (--verbose lists them all)")
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(stats.skipped_kinds.items(), key=lambda kv: -kv[1]))
    head = f"Indexed {stats.documents} documents as {stats.chunks} chunks ({stats.sentences} sentence vectors)"
    if stats.reason:
        head += f"; {'rebuilt: ' if stats.rebuilt else ''}{stats.reason}"
    elif not stats.written:
        head += "; nothing changed"
    err.print(
        f"{head}. {len(stats.added)} added, {len(stats.updated)} updated, {len(stats.removed)} removed, "
        f"{len(stats.unchanged)} unchanged, {f'{len(stats.moved)} moved, ' if stats.moved else ''}"
        f"{len(stats.skipped)} skipped{f' ({kinds})' if kinds else ''}. "
        f"Embedded {stats.chunks_embedded} chunks and {stats.sentences_embedded} sentences in "
        f"{stats.seconds:.1f} s. Index: {dest}",
        soft_wrap=True,
    )
    hint = "" if index is None and not paths else f" --index {dest}"
    err.print(f'Search it with: parallax search "your question"{hint}', soft_wrap=True)


@app.command()
@handles_errors
def show(
    passage: Annotated[str, typer.Argument(help="SOURCE:START-END, as search prints it (source id or file name).")],
    context: Annotated[int, typer.Option("--context", "-c", help="Characters of context on each side.")] = 300,
    as_json: Annotated[bool, typer.Option("--json", help="Print the passage as one JSON object.")] = False,
    index: IndexOpt = None,
) -> None:
    """Show a passage of an indexed document, highlighted, with the text around it."""
    from parallax.api import parse_span, show_passage

    source, start, end = parse_span(passage)
    idx = _open_index(index)
    found = show_passage(idx, source, start, end, context=context)
    if as_json:
        print(json.dumps(found.to_dict(), ensure_ascii=False))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console()
    page = f" · page {found.page}" if found.page is not None else ""
    console.print(
        Text(f"{found.source} · {found.title}{page} · [{found.start}:{found.end}) of {found.chars}", style="bold")
    )
    body = Text()
    if found.start - len(found.before) > 0:
        body.append("… ", style="dim")
    body.append(found.before, style="dim")
    body.append(found.text, style="bold reverse")
    body.append(found.after, style="dim")
    if found.end + len(found.after) < found.chars:
        body.append(" …", style="dim")
    console.print(body, soft_wrap=True)


def _result_json(result: Any) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False)


@app.command()
@handles_errors
def search(
    query: Annotated[str | None, typer.Argument(help="What to look for.")] = None,
    k: Annotated[int, typer.Option("-k", "--top-k", help="How many passages to return.")] = 10,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (id or file name); repeatable.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per query.")] = False,
    queries: Annotated[
        Path | None, typer.Option("--queries", help="File with one query per line; prints JSON lines.")
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="dense, bm25 or hybrid.")] = "hybrid",
    index: IndexOpt = None,
) -> None:
    """Search an index and show the best passages with source, score and offsets.

    A "quoted phrase" in the query must appear in every hit.
    """
    from parallax.embed.registry import get_embedder
    from parallax.search.searcher import Searcher

    if queries is None and query is None:
        raise fail('give a query, e.g. parallax search "liaison office in Tokyo", or --queries FILE')
    if queries is not None and query is not None:
        raise fail("give either a query or --queries FILE, not both")
    lines: list[str] = []
    if queries is not None:
        try:
            lines = [ln for ln in queries.read_text(encoding="utf-8").splitlines() if ln.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read queries from {queries}: {getattr(exc, 'strerror', None) or exc}") from None
        if not lines:
            raise fail(f"{queries} holds no queries (one per line)")
    searcher = Searcher(_open_index(index), get_embedder())
    sources = source or []
    if queries is not None:
        for line in lines:
            print(_result_json(searcher.search(line, k=k, sources=sources, mode=mode)), flush=True)
        return
    assert query is not None
    result = searcher.search(query, k=k, sources=sources, mode=mode)
    if as_json:
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        print(_result_json(result))
        return
    from parallax.render.search import Style, format_hits, summary_line, terminal_width, wants_color

    short = {d.source: d.short_id for d in searcher.index.manifest.documents}
    out = Style(wants_color(sys.stdout))
    print(format_hits(query, result.hits, short, out, terminal_width(), show_found_by=result.mode == "hybrid"))
    err = Style(wants_color(sys.stderr))
    for note in result.notes:
        print(err("note:", "yellow"), note, file=sys.stderr)
    print(err(f"{summary_line(result)} · model load {searcher.load_ms:.0f} ms", "dim"), file=sys.stderr)


@app.command()
@handles_errors
def shell(index: IndexOpt = None) -> None:
    """An interactive prompt that keeps the model and index loaded; shows per-query latency."""
    from parallax.cli.shell import HELP, prompt_lines, run_shell
    from parallax.embed.registry import get_embedder
    from parallax.render.search import Style, format_hits, summary_line, terminal_width, wants_color
    from parallax.search.searcher import Searcher, SearchResult

    searcher = Searcher(_open_index(index), get_embedder())
    searcher.search("warm up", k=1)  # load the model and BM25 arrays before the first real query
    short = {d.source: d.short_id for d in searcher.index.manifest.documents}
    style = Style(wants_color(sys.stdout))

    def show(result: object) -> None:
        assert isinstance(result, SearchResult)
        hybrid = result.mode == "hybrid"
        print(format_hits(result.query, result.hits, short, style, terminal_width(), show_found_by=hybrid))
        print(style(summary_line(result), "dim"), flush=True)

    interactive = sys.stdin.isatty()
    if interactive:
        print(style(f"{searcher.index.path} · model loaded in {searcher.load_ms:.0f} ms · {HELP}", "dim"))
    lines = prompt_lines() if interactive else (ln for ln in sys.stdin)
    run_shell(searcher, lines, show, lambda msg: print(msg, flush=True))


@app.command()
@handles_errors
def info(index: IndexOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show an index: its corpus, chunk count, model, size and where it lives."""
    idx = _open_index(index)
    m = idx.manifest
    data = {
        "path": str(idx.path),
        "model": m.model_id,
        "dim": m.dim,
        "chunker": m.chunker,
        "documents": len(m.documents),
        "chunks": m.chunk_count,
        "size_bytes": idx.size_bytes(),
        "created_at": m.created_at,
        "format_version": m.format_version,
        "sources": [
            {"id": d.short_id, "source": d.source, "title": d.title, "chunks": d.chunks, "chars": d.chars}
            for d in m.documents
        ],
    }
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]Index[/] {idx.path}")
    console.print(
        f"model {m.model_id} (dim {m.dim}, normalised) · chunker {m.chunker} · "
        f"{len(m.documents)} documents, {m.chunk_count} chunks · "
        f"{data['size_bytes'] / 1024:.0f} KiB · built {m.created_at}"
    )
    table = Table(show_header=True, header_style="bold")
    for col in ("id", "title", "file", "chunks", "chars"):
        table.add_column(col, justify="right" if col in ("chunks", "chars") else "left")
    for d in m.documents:
        table.add_row(d.short_id, d.title, d.source, str(d.chunks), str(d.chars))
    console.print(table)


def _parse_modes(value: str) -> list[str]:
    from parallax.search.searcher import MODES

    modes = [m.strip() for m in value.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise fail(f"unknown mode {', '.join(bad) or value!r}; choose from {', '.join(MODES)}")
    return modes


@app.command()
@handles_errors
def bench(
    target: Annotated[str, typer.Argument(help="'seeds', or a data set folder in BEIR layout.")] = "seeds",
    modes: Annotated[str, typer.Option("--modes", help="Comma-separated modes to run.")] = "dense,bm25,hybrid",
    split: Annotated[str, typer.Option(help="BEIR qrels split.")] = "test",
    limit_queries: Annotated[int | None, typer.Option(help="Only the first N queries (smoke runs).")] = None,
    sample_docs: Annotated[int | None, typer.Option(help="Only N documents, judged ones always kept.")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Chunk size in word pieces.")] = None,
    overlap: Annotated[int | None, typer.Option(help="Sentences shared by consecutive chunks.")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for results.json and the TREC run files.")] = None,
    index: Annotated[str | None, typer.Option("--index", help="compare only: the seeds index to use.")] = None,
) -> None:
    """Score retrieval quality (nDCG@10, recall, MRR, MAP) and latency for every mode.

    'compare' scores the viewpoint comparer's coverage verdicts on the labelled seeds instead.
    """
    import tempfile

    if target == "compare":
        _bench_compare(index, out)
        return

    from rich.console import Console
    from rich.table import Table

    from parallax.bench.retrieval import (
        LATENCY_HEADER,
        QUALITY_HEADER,
        bench_beir,
        bench_seeds,
        latency_rows,
        quality_rows,
        write_result,
    )
    from parallax.embed.registry import get_embedder
    from parallax.ingest.chunk import ChunkerConfig

    mode_list = _parse_modes(modes)
    embedder = get_embedder()
    base = ChunkerConfig(max_tokens=embedder.max_tokens) if target != "seeds" else ChunkerConfig()
    try:
        config = ChunkerConfig(
            max_tokens=max_tokens if max_tokens is not None else base.max_tokens,
            overlap_sentences=overlap if overlap is not None else base.overlap_sentences,
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="parallax-bench-") as tmp, progress_bar("Indexing") as update:
        runs_dir = out / "runs" if out else None
        if target == "seeds":
            result = bench_seeds(
                embedder,
                Path(tmp),
                mode_list,
                config=config,
                limit_queries=limit_queries,
                progress=update,
                runs_dir=runs_dir,
            )
        else:
            result = bench_beir(
                Path(target),
                embedder,
                Path(tmp),
                mode_list,
                split=split,
                limit_queries=limit_queries,
                sample_docs=sample_docs,
                config=config,
                progress=update,
                runs_dir=runs_dir,
            )
    if out:
        options = {
            "--modes": modes,
            "--split": split,
            "--limit-queries": limit_queries,
            "--sample-docs": sample_docs,
            "--max-tokens": max_tokens,
            "--overlap": overlap,
            "--out": out,
        }
        command = " ".join(["parallax bench", target, *(f"{k} {v}" for k, v in options.items() if v is not None)])
        write_result(result, out / f"{result.dataset}-{result.split}.json", command)
    console = Console()
    title = (
        f"{result.dataset} ({result.split}): {result.queries} queries, {result.documents} documents, "
        f"{result.chunks} chunks; indexed in {result.index_seconds:.1f} s ({result.chunks_per_second:.1f} chunks/s)"
    )
    for caption, header, rows in (
        (title, QUALITY_HEADER, quality_rows(result)),
        ("query latency, ms (model load excluded)", LATENCY_HEADER, latency_rows(result)),
    ):
        table = Table(title=caption, title_justify="left")
        for col in header:
            table.add_column(col, justify="left" if col == "mode" else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    console.print(f"best on nDCG@10: [bold]{result.best_mode()}[/]")


def _bench_compare(index: str | None, out: Path | None) -> None:
    """``parallax bench compare``: coverage accuracy, evidence in the top passage and latency per half."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from parallax.analyze.coverage import LABELS
    from parallax.bench.compare import (
        COMPARE_HEADER,
        COMPARE_NOTE,
        bench_compare,
        compare_rows,
        confusion_rows,
        write_compare_result,
    )
    from parallax.embed.registry import get_embedder

    idx = _open_index(index)
    result = bench_compare(idx, get_embedder(idx.manifest.model_id))
    if out:
        command = " ".join(
            ["parallax bench compare", *(f"{k} {v}" for k, v in (("--index", index), ("--out", out)) if v)]
        )
        write_compare_result(result, out / "compare-seeds.json", command)
    console = Console()
    table = Table(
        title=f"compare on the labelled seeds ({result.model})",
        title_justify="left",
        caption=COMPARE_NOTE,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        collapse_padding=True,
    )
    for col in COMPARE_HEADER:
        table.add_column(col, justify="left" if col == "half" else "right", no_wrap=True)
    for row in compare_rows(result):
        table.add_row(*row)
    console.print(table)
    for half in result.halves:
        console.print(f"\n[bold]{half.name}[/]: true label (rows) x verdict (columns)", soft_wrap=True)
        confusion = Table()
        confusion.add_column("")
        for label in LABELS:
            confusion.add_column(label, justify="right")
        for row in confusion_rows(half):
            confusion.add_row(*row)
        console.print(confusion)


from parallax.cli import compare, topics  # noqa: E402, F401 - they register their commands on ``app``


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


if __name__ == "__main__":  # python -m parallax.cli.main: run the imported module, where the commands registered
    from parallax.cli.main import main as registered_main

    registered_main()
