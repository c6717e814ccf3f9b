"""What an update changes: the pure first step of ``update_index``.

Documents are matched by source name and compared by the sha256 of their text. A new source with the
text and format of a removed one is that document moved or renamed: it keeps its chunks and vectors
under its new name. Unchanged documents of a format whose chunks the chunker would now cut
differently are redone (chunked and embedded again).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parallax.index.manifest import DocumentRecord

if TYPE_CHECKING:
    from parallax.ingest.document import Document


@dataclass(frozen=True)
class Plan:
    """Sources by what happens to them; ``moved`` pairs are ``(new source, old source)``."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    moved: tuple[tuple[str, str], ...] = ()
    redo: tuple[str, ...] = ()  # unchanged, but chunked and embedded again

    @property
    def keep(self) -> list[str]:
        """Old sources whose stored rows and vectors are copied into the new index."""
        return [s for s in self.unchanged if s not in self.redo] + [old for _, old in self.moved]


def plan_update(old: Iterable[DocumentRecord], docs: Sequence[Document], stale: frozenset[str] = frozenset()) -> Plan:
    """Compare the old index's records with the new corpus's documents; ``stale`` are the formats
    whose stored chunks cannot be kept."""
    old_docs = {d.source: d for d in old}
    current = {d.source for d in docs}
    added = [d.source for d in docs if d.source not in old_docs]
    updated = [d.source for d in docs if d.source in old_docs and old_docs[d.source].sha256 != d.sha256]
    unchanged = [d.source for d in docs if d.source in old_docs and old_docs[d.source].sha256 == d.sha256]
    removed = [s for s in old_docs if s not in current]
    gone = {(old_docs[s].sha256, old_docs[s].format): s for s in reversed(removed) if old_docs[s].format not in stale}
    moved: dict[str, str] = {}  # new source -> old source; each removed document is claimed once
    new = set(added)
    for d in docs:
        if d.source in new and (d.sha256, d.format) in gone:
            moved[d.source] = gone.pop((d.sha256, d.format))
    claimed = set(moved.values())
    return Plan(
        added=tuple(s for s in added if s not in moved),
        updated=tuple(updated),
        removed=tuple(s for s in removed if s not in claimed),
        unchanged=tuple(unchanged),
        moved=tuple(moved.items()),
        redo=tuple(s for s in unchanged if old_docs[s].format in stale),
    )
