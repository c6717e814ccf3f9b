"""``parallax index``: create or update an index from files and folders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from parallax.cli.common import IndexOpt, handles_errors, progress_bar, stderr

if TYPE_CHECKING:
    from parallax.index.builder import UpdateStats


DeviceOpt = Annotated[
    str,
    typer.Option(
        "--device",
        help="Where to embed: auto (a CUDA GPU when one is visible and the GPU packages are installed, "
        "else the CPU), cpu or cuda (pip install 'parallax[gpu]').",
    ),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where new and changed documents are chunked and embedded: local (this process) or ray "
        "(a Ray cluster; pip install 'parallax[ray]'). The index is written here either way.",
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="With --engine ray: the cluster to use (HEAD:6379, ray://HEAD:10001, auto). "
        "Default: $RAY_ADDRESS, else a Ray started on this machine.",
    ),
]


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
    ann: Annotated[
        str | None,
        typer.Option(
            "--ann",
            help="Vector search structure: auto (exact below 100,000 vectors, approximate above), flat (always "
            "exact), hnsw or ivf. Default: the index's, auto for a new one. Changing it rewrites the index.",
        ),
    ] = None,
    device: DeviceOpt = "auto",
    engine: EngineOpt = "local",
    address: AddressOpt = None,
) -> None:
    """Create or update an index: only new and changed documents are embedded; deleted ones are dropped."""
    from parallax.api import Engine, index_paths

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
            ann=ann,
            device=device,
            engine=Engine(engine, address),
        )
    _report(stats, dest, verbose)
    hint = "" if index is None and not paths else f" --index {dest}"
    stderr().print(f'Search it with: parallax search "your question"{hint}', soft_wrap=True)


def _report(stats: UpdateStats, dest: Path, verbose: bool) -> None:
    """The files listed (all with --verbose, else the first skipped ones, unless skipped as before) and
    the one-paragraph summary."""
    from rich.markup import escape

    err = stderr()
    if verbose:
        for label, names in _changes(stats):
            for name in names:
                err.print(f"{label:9} {escape(name)}", soft_wrap=True)
    shown = stats.skipped if verbose else [] if stats.skipped_as_before else stats.skipped[:5]
    for path, reason in shown:
        err.print(f"[yellow]skipped[/]   {escape(path)}: {escape(reason)}", soft_wrap=True)
    if len(shown) < len(stats.skipped) and not stats.skipped_as_before:
        err.print(f"[yellow]skipped[/]   … and {len(stats.skipped) - len(shown)} more (--verbose lists them all)")
    head = f"Indexed {stats.documents} documents as {stats.chunks} chunks ({stats.sentences} sentence vectors)"
    if stats.reason:
        head += f"; {'rebuilt: ' if stats.rebuilt else ''}{stats.reason}"
    elif not stats.written:
        head += "; nothing changed"
    elif stats.delta:
        head += f"; written as a small update: {stats.delta}"
    err.print(
        f"{escape(head)}. {_counts(stats)}. Embedded {stats.chunks_embedded} chunks and {stats.sentences_embedded} "
        f"sentences in {stats.seconds:.1f} s. Index: {escape(str(dest))}",
        soft_wrap=True,
    )


def _changes(stats: UpdateStats) -> list[tuple[str, list[str]]]:
    """Documents by what happened to them; a rebuild re-embeds every one it keeps."""
    if stats.rebuilt and stats.reason:
        moved = [m.split(" -> ")[-1] for m in stats.moved]
        return [
            ("rebuilt", [*stats.unchanged, *stats.updated, *moved]),
            ("added", stats.added),
            ("removed", stats.removed),
        ]
    return [
        ("added", stats.added),
        ("updated", stats.updated),
        ("removed", stats.removed),
        ("unchanged", stats.unchanged),
        ("moved", stats.moved),
    ]


def _counts(stats: UpdateStats) -> str:
    """ "3 added, 1 updated, 0 removed, 97 unchanged, 5 skipped (…)", or on a rebuild "101 documents re-embedded, …"."""
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(stats.skipped_kinds.items(), key=lambda kv: -kv[1]))
    skipped = f"{len(stats.skipped)} skipped{', as before' if stats.skipped_as_before else ''}"
    skipped += f" ({kinds})" if kinds else ""
    if stats.rebuilt and stats.reason:
        parts = [f"{stats.documents} documents re-embedded"]
        parts += [f"{len(stats.added)} of them new"] if stats.added else []
        parts += [f"{len(stats.removed)} removed"] if stats.removed else []
    else:
        parts = [f"{len(getattr(stats, k))} {k}" for k in ("added", "updated", "removed", "unchanged")]
        parts += [f"{len(stats.moved)} moved"] if stats.moved else []
    return ", ".join([*parts, skipped])
