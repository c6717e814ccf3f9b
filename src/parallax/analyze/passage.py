"""A passage: a scored, exact span of a source document, as compare and topics report them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Passage:
    """An exact span of a source: ``text == document[start:end]``; ``plain`` is its clean text.

    ``score`` means what the analysis that chose the passage says it means (see ``compare`` and
    ``topics``). ``focus``, when known, is where its best sentence starts, in document offsets: what an
    excerpt of a long passage shows.
    """

    source: str
    score: float
    start: int
    end: int
    text: str
    plain: str = ""
    focus: int | None = None

    def to_dict(self, with_source: bool = False, clean_text: bool = False) -> dict[str, Any]:
        """The JSON object: score, offsets and the text (the clean text with ``clean_text``)."""
        out: dict[str, Any] = {"source": self.source} if with_source else {}
        out.update(
            {
                "score": round(float(self.score), 4),
                "start": self.start,
                "end": self.end,
                "text": self.plain if clean_text else self.text,
            }
        )
        return out
