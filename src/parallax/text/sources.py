"""Source ids: how a document is named on the command line (``--source``) and in output."""

from __future__ import annotations

from pathlib import PurePath

_GZIPPED_TYPES = (".txt", ".md", ".markdown", ".html", ".htm")  # the types read from a .gz file


def short_name(source: str) -> str:
    """A source id without its extension: ``nikkei.md`` -> ``nikkei``, ``2023/summary.pdf`` -> ``2023/summary``.

    A gzipped file loses ``.gz`` and its type: ``notes.txt.gz`` -> ``notes``, ``changelog.gz`` ->
    ``changelog``, but ``changelog.Debian.gz`` -> ``changelog.Debian`` (``.Debian`` is not a type).
    """
    path = PurePath(source)
    if path.suffix.lower() == ".gz" and path.stem:
        inner = path.with_suffix("")
        return (inner.with_suffix("") if inner.suffix.lower() in _GZIPPED_TYPES else inner).as_posix()
    return path.with_suffix("").as_posix()
