"""Source ids: how a document is named on the command line (``--source``) and in output."""

from __future__ import annotations

from pathlib import PurePath


def short_name(source: str) -> str:
    """A source id without its extension: ``nikkei.md`` -> ``nikkei``, ``2023/summary.pdf`` -> ``2023/summary``."""
    return PurePath(source).with_suffix("").as_posix()
