"""Document fields: what ``--by`` groups documents on and ``--where`` filters them by.

A field is read from a document's record in the manifest:

- ``document``: the document itself (its source id), one group per document;
- ``folder``: the folder that holds the file, relative to the folder indexed (``.`` at its top);
- ``year`` and ``month``: from the ``date`` in ``sources.json`` (``2012``, ``2012-08``), read from an
  ISO date (``2012-08-21``, ``2012-08``, ``2012``) or a written one (``21 August 2012``, ``Aug 21, 2012``);
- ``title``, ``format``, and any key of ``sources.json`` (``publisher``, ``author``, ...).

A document without the field (no such key, ``null``, an empty string, a date that cannot be read) has
no value: it falls in the ``unknown`` group, shown last. A list (``"author": ["A", "B"]``) gives the
document one value per item: it is counted in each group.

``--where FIELD=VALUE`` keeps the documents with that value (compared without regard to case and
surrounding spaces), ``FIELD!=VALUE`` those without it. Several conditions on the same field are
alternatives (``publisher=Fox News`` or ``publisher=HuffPost``); conditions on different fields must
all hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from parallax.core.errors import InputError

if TYPE_CHECKING:
    from parallax.index.manifest import DocumentRecord

DOCUMENT = "document"
TIME_FIELDS = ("year", "month")
BUILTIN = (DOCUMENT, "folder", *TIME_FIELDS, "title", "format")
UNKNOWN = "unknown"
_LIST_VALUES = 12  # values named in a message before "..."

_ISO = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2}))?")
_MONTH_NAMES = (
    "jan january",
    "feb february",
    "mar march",
    "apr april",
    "may",
    "jun june",
    "jul july",
    "aug august",
    "sep sept september",
    "oct october",
    "nov november",
    "dec december",
)
_MONTHS = {m: i + 1 for i, names in enumerate(_MONTH_NAMES) for m in names.split()}
_WRITTEN = re.compile(
    r"\b([A-Za-z]{3,9})\.?\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?(\d{4})\b"  # Aug 21, 2012 / August 2012
    r"|\b\d{1,2}\s+([A-Za-z]{3,9})\s+(\d{4})\b"  # 21 August 2012
)


def year_month(date: Any) -> tuple[str | None, str | None]:
    """(year, month) of a date as ``sources.json`` gives it: ("2012", "2012-08"), ("2012", None), (None, None)."""
    if isinstance(date, int) and 1000 <= date <= 9999:
        return str(date), None
    if not isinstance(date, str) or not date.strip():
        return None, None
    iso = _ISO.match(date)
    if iso:
        year, month = iso.group(1), iso.group(2)
        if month and 1 <= int(month) <= 12:
            return year, f"{year}-{int(month):02d}"
        return year, None
    written = _WRITTEN.search(date)
    if written:
        name, year = (written.group(1), written.group(2)) if written.group(1) else (written.group(3), written.group(4))
        number = _MONTHS.get(name.lower())
        return year, (f"{year}-{number:02d}" if number else None)
    return None, None


def _as_values(value: Any) -> list[str]:
    """A metadata value as the list of strings it stands for (none for null or blank)."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if item is None or isinstance(item, (dict, list)):
            continue
        text = " ".join(str(item).split())
        if text:
            out.append(text)
    return list(dict.fromkeys(out))


def values(record: DocumentRecord, field: str) -> list[str]:
    """The values of ``field`` for one document (empty when it has none: the ``unknown`` group)."""
    if field == DOCUMENT:
        return [record.source]
    if field == "folder":
        return [PurePosixPath(record.source).parent.as_posix()]
    if field in TIME_FIELDS:
        year, month = year_month(record.meta.get("date"))
        if field == "year" and year is None:
            return _as_values(record.meta.get("year"))
        found = year if field == "year" else month
        return [found] if found else []
    if field == "title":
        return _as_values(record.title)
    if field == "format":
        return [record.format]
    return _as_values(record.meta.get(field))


def known_fields(records: Sequence[DocumentRecord]) -> list[str]:
    """The fields documents can be grouped on: the built-in ones, then the keys of ``sources.json``."""
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(k for k, v in record.meta.items() if _as_values(v)))
    return [*BUILTIN, *sorted(k for k in keys if k not in BUILTIN and k != "date")]


def resolve_field(records: Sequence[DocumentRecord], name: str) -> str:
    """The field ``name`` names (case aside); an error naming the fields there are when none has it."""
    wanted = name.strip()
    fields = known_fields(records)
    for field in fields:
        if field == wanted or field.lower() == wanted.lower():
            return field
    if wanted.lower() in ("source", "file"):
        return DOCUMENT
    raise InputError(
        f"no document has a {wanted!r} field; fields to group or filter on: {', '.join(fields)} "
        "(publisher, author, date and the rest come from a sources.json beside the files)"
    )


@dataclass(frozen=True)
class Where:
    """One ``--where`` condition: ``field=value`` (or ``field!=value`` with ``negate``)."""

    field: str
    value: str
    negate: bool = False

    def holds(self, record: DocumentRecord) -> bool:
        wanted = self.value.casefold()
        found = any(v.casefold() == wanted for v in values(record, self.field))
        if self.field == DOCUMENT and not found:
            found = wanted in (record.short_id.casefold(), PurePosixPath(record.source).stem.casefold())
        return found != self.negate

    def __str__(self) -> str:
        return f"{self.field}{'!=' if self.negate else '='}{self.value}"


def parse_where(text: str, records: Sequence[DocumentRecord]) -> Where:
    """``FIELD=VALUE`` or ``FIELD!=VALUE`` as a condition on a known field."""
    field, sep, value = text.partition("=")
    negate = field.endswith("!")
    field = field[:-1] if negate else field
    if not sep or not field.strip() or not value.strip():
        raise InputError(f"--where {text!r}: write FIELD=VALUE or FIELD!=VALUE, e.g. --where publisher='Fox News'")
    return Where(resolve_field(records, field), " ".join(value.split()), negate)


def select(records: Sequence[DocumentRecord], conditions: Iterable[str | Where]) -> list[DocumentRecord]:
    """The documents that meet every ``--where`` condition (alternatives on one field: any of them).

    No condition keeps every document; conditions that keep none are an error naming the values there are.
    """
    parsed = [c if isinstance(c, Where) else parse_where(c, records) for c in conditions]
    if not parsed:
        return list(records)
    by_field: dict[str, list[Where]] = {}
    for condition in parsed:
        by_field.setdefault(condition.field, []).append(condition)
    kept = [r for r in records if all(_meets(r, group) for group in by_field.values())]
    if not kept:
        raise InputError(_nothing_kept(records, by_field))
    return kept


def _meets(record: DocumentRecord, conditions: list[Where]) -> bool:
    positive = [c for c in conditions if not c.negate]
    negative = [c for c in conditions if c.negate]
    return (not positive or any(c.holds(record) for c in positive)) and all(c.holds(record) for c in negative)


def _nothing_kept(records: Sequence[DocumentRecord], by_field: dict[str, list[Where]]) -> str:
    shown = " and ".join(" or ".join(str(c) for c in group) for group in by_field.values())
    field = next(iter(by_field))
    seen = [g.key for g in group(records, field) if g.key is not None]  # one spelling per value, sorted
    listed = ", ".join(seen[:_LIST_VALUES]) + (", ..." if len(seen) > _LIST_VALUES else "")
    there = f"; its values: {listed}" if seen else f"; no document has a {field}"
    return f"no document meets --where {shown}{there}"


@dataclass(frozen=True)
class Group:
    """Documents that share a field's value; ``key`` None for those without one (the ``unknown`` group)."""

    key: str | None
    members: list[str]  # source ids, in index order

    @property
    def name(self) -> str:
        return UNKNOWN if self.key is None else self.key


def group(records: Sequence[DocumentRecord], field: str) -> list[Group]:
    """The documents grouped on ``field``: in time order for ``year`` and ``month``, else by name (case
    aside), with the ``unknown`` group last. A document with several values is in each of their groups."""
    found: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}  # one spelling per value, the first met
    unknown: list[str] = []
    for record in records:
        got = values(record, field)
        if not got:
            unknown.append(record.source)
        for value in got:
            key = spelled.setdefault(value.casefold(), value)
            found.setdefault(key, []).append(record.source)
    keys = sorted(found) if field in TIME_FIELDS else sorted(found, key=lambda k: (k.casefold(), k))
    out = [Group(k, found[k]) for k in keys]
    return out + ([Group(None, unknown)] if unknown else [])


def sources_where(records: Sequence[DocumentRecord], conditions: Sequence[str]) -> list[str]:
    """The source ids ``--where`` keeps, for ``search --source``: none without conditions (every document)."""
    return [r.source for r in select(records, conditions)] if conditions else []
