"""``parallax bench``: retrieval quality and latency on the seeds or a BEIR data set, or (``bench compare``)
the comparer's coverage verdicts on the labelled seeds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from parallax.cli.common import fail, handles_errors, open_index_with_progress, progress_bar

if TYPE_CHECKING:
    from rich.table import Table

    from parallax.bench.basil import BasilResult
    from parallax.bench.compare import CompareBenchResult
    from parallax.bench.retrieval import BenchResult
    from parallax.index.reader import Index


@handles_errors
def bench_cmd(
    target: Annotated[str, typer.Argument(help="'seeds', or a data set folder in BEIR layout.")] = "seeds",
    modes: Annotated[str, typer.Option("--modes", help="Comma-separated modes to run.")] = "dense,bm25,hybrid",
    split: Annotated[str, typer.Option(help="BEIR qrels split.")] = "test",
    limit_queries: Annotated[int | None, typer.Option(help="Only the first N queries (smoke runs).")] = None,
    sample_docs: Annotated[int | None, typer.Option(help="Only N documents, judged ones always kept.")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Chunk size in word pieces.")] = None,
    overlap: Annotated[int | None, typer.Option(help="Sentences shared by consecutive chunks.")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for results.json and the TREC run files.")] = None,
    index: Annotated[
        str | None, typer.Option("--index", help="compare only: the index to use (seeds, or BASIL's corpus).")
    ] = None,
    dataset: Annotated[
        str,
        typer.Option(
            "--dataset",
            help="compare only: 'seeds' (the labelled seeds), 'basil' (../shared/datasets/basil-dev) or a "
            "BASIL folder.",
        ),
    ] = "seeds",
) -> None:
    """Score retrieval quality (nDCG@10, recall, MRR, MAP) and latency for every mode.

    'compare' scores the viewpoint comparer's coverage verdicts on the labelled seeds instead, or with
    --dataset basil, compare --by publisher on BASIL's news events.
    """
    import tempfile

    if target == "compare" and dataset != "seeds":
        _bench_basil(dataset, index, out)
        return
    if target == "compare":
        _bench_compare(index, out)
        return

    from parallax.bench.retrieval import RunSettings, bench_beir, bench_chunker, bench_seeds, write_result
    from parallax.embed.registry import get_embedder

    mode_list = _parse_modes(modes)
    embedder = get_embedder()
    settings = RunSettings(config=bench_chunker(embedder, target == "seeds", max_tokens, overlap))
    with tempfile.TemporaryDirectory(prefix="parallax-bench-") as tmp, progress_bar("Indexing") as update:
        runs_dir = out / "runs" if out else None
        if target == "seeds":
            result = bench_seeds(embedder, Path(tmp), mode_list, settings, limit_queries=limit_queries,
                                 progress=update, runs_dir=runs_dir)  # fmt: skip
        else:
            result = bench_beir(Path(target), embedder, Path(tmp), mode_list, settings, split=split,
                                limit_queries=limit_queries, sample_docs=sample_docs, progress=update,
                                runs_dir=runs_dir)  # fmt: skip
    if out:
        options = {"--modes": modes, "--split": split, "--limit-queries": limit_queries, "--sample-docs": sample_docs,
                   "--max-tokens": max_tokens, "--overlap": overlap, "--out": out}  # fmt: skip
        command = " ".join(["parallax bench", target, *(f"{k} {v}" for k, v in options.items() if v is not None)])
        write_result(result, out / f"{result.dataset}-{result.split}.json", command)
    _print_retrieval(result)


def _parse_modes(value: str) -> list[str]:
    from parallax.search.searcher import MODES

    modes = [m.strip() for m in value.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise fail(f"unknown mode {', '.join(bad) or value!r}; choose from {', '.join(MODES)}")
    return modes


def _print_retrieval(result: BenchResult) -> None:
    from rich.console import Console
    from rich.table import Table

    from parallax.bench.retrieval import LATENCY_HEADER, QUALITY_HEADER, latency_rows, quality_rows

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
    from parallax.bench.compare import bench_compare, write_compare_result
    from parallax.embed.registry import get_embedder

    idx = open_index_with_progress(index)
    result = bench_compare(idx, get_embedder(idx.manifest.model_id))
    if out:
        command = " ".join(
            ["parallax bench compare", *(f"{k} {v}" for k, v in (("--index", index), ("--out", out)) if v)]
        )
        write_compare_result(result, out / "compare-seeds.json", command)
    _print_compare(result)


def _bench_basil(dataset: str, index: str | None, out: Path | None) -> None:
    """``parallax bench compare --dataset basil``: compare --by publisher on BASIL's events."""
    import tempfile

    from parallax.bench.basil import bench_basil, write_basil_result
    from parallax.core.settings import basil_dir
    from parallax.embed.registry import get_embedder

    folder = basil_dir() if dataset == "basil" else Path(dataset)
    if not (folder / "events.jsonl").is_file():
        raise fail(f"{folder} is not a BASIL folder (no events.jsonl); give --dataset basil or the basil-dev folder")
    with tempfile.TemporaryDirectory(prefix="parallax-basil-") as tmp:
        idx = _basil_index(folder, index, Path(tmp))
        result = bench_basil(idx, get_embedder(idx.manifest.model_id), folder)
    if out:
        options = (("--dataset", dataset), ("--index", index), ("--out", out))
        command = " ".join(["parallax bench compare", *(f"{k} {v}" for k, v in options if v)])
        write_basil_result(result, out / "compare-basil.json", command)
    _print_basil(result)


def _basil_index(folder: Path, index: str | None, tmp: Path) -> Index:
    """The index given, else BASIL's corpus indexed into ``tmp`` (about two minutes on two cores)."""
    if index is not None:
        return open_index_with_progress(index)
    from parallax.api import index_paths, open_index

    with progress_bar("Indexing BASIL") as update:
        index_paths([folder / "corpus"], index=str(tmp / "basil"), progress=update)
    return open_index(str(tmp / "basil"))


def _results_table(title: str, note: str, header: list[str], rows: list[list[str]]) -> Table:
    """A compact results table: its first column left-aligned, the figures right-aligned, a note below."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        caption=note,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        collapse_padding=True,
    )
    for n, col in enumerate(header):
        table.add_column(col, justify="left" if n == 0 else "right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table


def _print_basil(result: BasilResult) -> None:
    from rich.console import Console

    from parallax.bench.basil import BASIL_HEADER, BASIL_NOTE, basil_rows

    title = f"compare --by publisher on BASIL: {result.documents} articles ({result.model})"
    Console().print(_results_table(title, BASIL_NOTE, BASIL_HEADER, basil_rows(result)))


def _print_compare(result: CompareBenchResult) -> None:
    from rich.console import Console
    from rich.table import Table

    from parallax.analyze.coverage import LABELS
    from parallax.bench.compare import COMPARE_HEADER, COMPARE_NOTE, compare_rows, confusion_rows

    console = Console()
    title = f"compare on the labelled seeds ({result.model})"
    console.print(_results_table(title, COMPARE_NOTE, COMPARE_HEADER, compare_rows(result)))
    for half in result.halves:
        console.print(f"\n[bold]{half.name}[/]: true label (rows) x verdict (columns)", soft_wrap=True)
        confusion = Table()
        confusion.add_column("")
        for label in LABELS:
            confusion.add_column(label, justify="right")
        for row in confusion_rows(half):
            confusion.add_row(*row)
        console.print(confusion)
