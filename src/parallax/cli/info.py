"""``parallax info``: an index's corpus, chunk count, model, size and place."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from parallax.cli.common import IndexOpt, handles_errors, open_index_with_progress

if TYPE_CHECKING:
    from parallax.api import IndexInfo

MAX_ROWS = 50  # sources listed in the terminal; --json lists every one


@handles_errors
def info_cmd(index: IndexOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show an index: its corpus, chunk count, model, size and where it lives."""
    from parallax.api import index_info

    info = index_info(open_index_with_progress(index))
    if as_json:
        print(json.dumps(info.to_dict(), ensure_ascii=False, indent=2))
        return
    _print(info)


def chunker_words(chunker: dict[str, Any]) -> str:
    """Chunker settings as a phrase: "chunks of 254 word pieces, 1 sentence overlap, heading context"."""
    rest = {
        k: v for k, v in chunker.items() if k not in ("method", "max_tokens", "overlap_sentences", "heading_context")
    }
    parts = [f"chunks of {chunker.get('max_tokens', '?')} word pieces"]
    overlap = chunker.get("overlap_sentences")
    if overlap is not None:
        parts.append(
            "no sentence overlap" if overlap == 0 else f"{overlap} sentence{'' if overlap == 1 else 's'} overlap"
        )
    if "heading_context" in chunker:
        parts.append("heading context" if chunker["heading_context"] else "no heading context")
    parts.extend(f"{k.replace('_', ' ')} {v}" for k, v in rest.items())
    return ", ".join(parts)


def _print(info: IndexInfo) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]Index[/] {info.path}")
    console.print(
        f"model {info.model} (dim {info.dim}, normalised) · {chunker_words(info.chunker)} · "
        f"{info.documents} documents, {info.chunks} chunks · "
        f"{info.size_bytes / 1024:.0f} KiB · built {info.created_at}"
    )
    console.print(f"vector search: {ann_words(info)}")
    table = Table(show_header=True, header_style="bold")
    for col in ("id", "title", "file", "chunks", "chars"):
        table.add_column(col, justify="right" if col in ("chunks", "chars") else "left")
    for s in info.sources[:MAX_ROWS]:
        table.add_row(s.id, s.title, s.source, str(s.chunks), str(s.chars))
    console.print(table)
    if len(info.sources) > MAX_ROWS:
        console.print(f"… and {len(info.sources) - MAX_ROWS} more sources (`parallax info --json` lists them all)")


def ann_words(info: IndexInfo) -> str:
    """How each matrix is searched: "exact (flat)" or "hnsw (M 32, ef_search 128), rescored exactly"."""
    ann = info.ann or {}
    parts = []
    for matrix in ("chunks", "sentences"):
        spec = ann.get(matrix) or ({"kind": "flat"} if matrix == "chunks" or info.sentences else None)
        if spec is None:
            continue
        kind = spec.get("kind", "flat")
        params = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in spec.items() if k != "kind")
        how = "exact" if kind == "flat" else f"{kind} ({params}), candidates re-scored exactly"
        parts.append(f"{matrix} {how}")
    words = "; ".join(parts) + f" · --ann {ann.get('requested', 'auto')}"
    if info.segments or info.deleted_chunks:
        words += f" · {info.segments} delta segments, {info.deleted_chunks} deleted chunks awaiting a merge"
    return words
