"""Chunking: split content blocks into sentences and pack them into chunks within a token budget.

Every chunk is an exact ``[start, end)`` span of its document's original text. The text that is
embedded is ``to_plain`` of each sentence in the chunk, joined: footnote definitions and boilerplate
between sentences never reach the model. A chunk never holds more word pieces than the model reads,
so nothing is silently truncated: an over-long sentence is cut at word boundaries.

In Markdown (and extracted HTML, whose headings are ``#`` lines) a chunk also carries its heading
path, e.g. ``Rockets > Staging``; the vector is computed from ``"Rockets > Staging: " + embed_text``
and the path's word pieces count against the budget. Offsets still refer to the document's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

from parallax.ingest.blocks import content_blocks
from parallax.ingest.document import Document
from parallax.text.markup import to_plain

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class ChunkerConfig:
    """How documents are cut. ``max_tokens`` counts the model's word pieces, specials excluded.

    The defaults were chosen on the seeds' labelled queries (benchmarks/tune_chunking.py): 254 word
    pieces (all that MiniLM reads) with one sentence of overlap, scored with sentence vectors.
    """

    max_tokens: int = 254
    overlap_sentences: int = 1
    heading_context: bool = True  # prefix Markdown chunks with their heading path before embedding

    def __post_init__(self) -> None:
        if self.max_tokens < 8:
            raise ValueError("max_tokens must be at least 8")
        if self.overlap_sentences < 0:
            raise ValueError("overlap_sentences must be >= 0")

    def with_sizes(self, max_tokens: int | None = None, overlap: int | None = None) -> ChunkerConfig:
        """This config with ``max_tokens`` and ``overlap_sentences`` replaced where given (ValueError if invalid)."""
        return replace(
            self,
            max_tokens=self.max_tokens if max_tokens is None else max_tokens,
            overlap_sentences=self.overlap_sentences if overlap is None else overlap,
        )

    def to_dict(self) -> dict[str, int | str | bool]:
        return {"method": "sentences", **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ChunkerConfig | None:
        """The config a manifest records, or None when it is not exactly one this version writes."""
        try:
            config = cls(**{k: v for k, v in data.items() if k != "method"})  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return config if config.to_dict() == data else None


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: ``text == document.text[start:end]``; ``embed_text`` is its clean form."""

    source: str
    start: int
    end: int
    text: str
    embed_text: str
    context: str = ""  # heading path ("Rockets > Staging"), Markdown only

    @property
    def vector_text(self) -> str:
        """What the model embeds: the heading path, if any, then the clean text."""
        return vector_text(self.context, self.embed_text)


def vector_text(context: str, embed_text: str) -> str:
    return f"{context}: {embed_text}" if context else embed_text


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    plain: str
    heading: bool = False
    context: str = ""  # heading path of the section the sentence is in
    context_tokens: int = 0  # word pieces of the "context:" prefix


# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and a likely sentence start.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?:<sup>[^<]{0,12}</sup>)*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Þ])")
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Col|Lt|Sgt|Capt|Rev|Hon|Gov|Sen|Rep|Pres|No|Nos|Vol|"
    r"vs|etc|e\.g|i\.e|cf|al|Fig|Inc|Ltd|Co|Corp|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
    r"|\b[A-Z]|(?:[A-Z]\.){1,3}[A-Z])\.$"
)


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans within ``text[start:end]``, trimmed of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    seg_start = start
    region = text[start:end]
    for m in _BOUNDARY.finditer(region):
        punct_end = start + m.start() + len(m.group(0).rstrip())
        head = text[seg_start:punct_end]
        if _ABBREV.search(head.rstrip("\"'”’)]")):
            continue
        spans.append((seg_start, punct_end))
        seg_start = start + m.end()
    spans.append((seg_start, end))
    out = []
    for s, e in spans:
        raw = text[s:e]
        lead = len(raw) - len(raw.lstrip())
        trail = len(raw) - len(raw.rstrip())
        if e - trail > s + lead:
            out.append((s + lead, e - trail))
    return out


_ATX = re.compile(r"(#{1,6})\s")


def _sentences(doc: Document, headings: bool = False) -> list[Sentence]:
    """Sentences of the content blocks; with ``headings``, each knows the ``#`` heading path above it."""
    sentences: list[Sentence] = []
    path: list[tuple[int, str]] = []  # (level, title) of the open headings
    for block in content_blocks(doc):
        context = ""
        if headings:
            raw = doc.text[block.start : block.end]
            m = _ATX.match(raw)
            context = " > ".join(t for _, t in path)
            if block.heading and m:
                level = len(m.group(1))
                while path and path[-1][0] >= level:
                    path.pop()
                context = " > ".join(t for _, t in path)  # a heading's own context is its parents
                title = to_plain(raw)
                if title:
                    path.append((level, title))
        for s, e in split_sentences(doc.text, block.start, block.end):
            plain = to_plain(doc.text[s:e])
            if plain:
                sentences.append(Sentence(s, e, plain, block.heading, context))
    return sentences


def _with_context_budget(sentences: list[Sentence], budget: int, count: TokenCounter) -> tuple[list[Sentence], int]:
    """Count each heading path's word pieces; shorten paths over a quarter of the budget.

    Returns the sentences with ``context_tokens`` set and the most any prefix takes, which is
    reserved in every sentence so that a path plus any one sentence fits the budget.
    """
    contexts = sorted({s.context for s in sentences if s.context})
    if not contexts:
        return sentences, 0
    cap = budget // 4
    sizes = dict(zip(contexts, count([f"{c}:" for c in contexts])))
    fitted: dict[str, tuple[str, int]] = {}
    for c in contexts:
        if sizes[c] <= cap:
            fitted[c] = (c, sizes[c])
            continue
        last = c.rsplit(" > ", 1)[-1]
        n = count([f"{last}:"])[0]
        fitted[c] = (last, n) if n <= cap else ("", 0)
    out = [Sentence(s.start, s.end, s.plain, s.heading, *fitted[s.context]) if s.context else s for s in sentences]
    return out, max(n for _, n in fitted.values())


_WORD = re.compile(r"\S+")


def _split_long(doc: Document, sent: Sentence, budget: int, count: TokenCounter) -> list[Sentence]:
    """Cut a sentence longer than the budget into pieces at word boundaries, each within budget.

    A single "word" over the budget on its own (a long URL, a blob of symbols) is cut between characters.
    """
    spans = [(m.start() + sent.start, m.end() + sent.start) for m in _WORD.finditer(doc.text[sent.start : sent.end])]
    words: list[tuple[int, int]] = []
    for (s, e), n in zip(spans, count([to_plain(doc.text[s:e]) for s, e in spans])):
        if n <= budget:
            words.append((s, e))
            continue
        a = s
        while a < e:
            lo, hi = a + 1, e
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if count([to_plain(doc.text[a:mid])])[0] <= budget:
                    lo = mid
                else:
                    hi = mid - 1
            words.append((a, lo))
            a = lo
    pieces: list[Sentence] = []
    i = 0
    while i < len(words):
        # Binary search the longest run of words from i that fits.
        lo, hi = i + 1, len(words)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count([to_plain(doc.text[words[i][0] : words[mid - 1][1]])])[0] <= budget:
                lo = mid
            else:
                hi = mid - 1
        j = max(lo, i + 1)
        s, e = words[i][0], words[j - 1][1]
        plain = to_plain(doc.text[s:e])
        if plain:
            pieces.append(Sentence(s, e, plain, False, sent.context, sent.context_tokens))
        i = j
    return pieces


def sentence_units(
    doc: Document, budget: int, count_tokens: TokenCounter, headings: bool = False
) -> list[tuple[Sentence, int]]:
    """The document's sentences with their word-piece counts; longer ones are cut to fit ``budget``.

    With ``headings`` (Markdown and HTML), sentences carry their heading path, and the room the
    longest path takes is kept free in every sentence.
    """
    sentences = _sentences(doc, headings=headings and doc.format in ("markdown", "html"))
    if not sentences:
        return []
    sentences, reserve = _with_context_budget(sentences, budget, count_tokens)
    budget -= reserve
    counts = count_tokens([s.plain for s in sentences])
    units: list[tuple[Sentence, int]] = []
    for sent, n in zip(sentences, counts):
        if n <= budget:
            units.append((sent, n))
        else:
            pieces = _split_long(doc, sent, budget, count_tokens)
            units.extend(zip(pieces, count_tokens([p.plain for p in pieces])))
    return units


def pack(doc: Document, units: Sequence[tuple[Sentence, int]], config: ChunkerConfig) -> list[Chunk]:
    """Pack sentence units greedily into chunks of at most ``config.max_tokens`` word pieces.

    Consecutive chunks share ``overlap_sentences`` sentences where they fit. A heading starts a new
    chunk when the current one is already half full, so sections stay together.
    """
    budget = config.max_tokens
    chunks: list[Chunk] = []
    current: list[tuple[Sentence, int]] = []
    used = 0  # word pieces of ``current``, its first sentence's heading path included

    def cost(units: Sequence[tuple[Sentence, int]]) -> int:
        return (units[0][0].context_tokens if units else 0) + sum(k for _, k in units)

    def emit() -> None:
        first, last = current[0][0], current[-1][0]
        chunks.append(
            Chunk(
                source=doc.source,
                start=first.start,
                end=last.end,
                text=doc.text[first.start : last.end],
                embed_text=" ".join(s.plain for s, _ in current),
                context=first.context,
            )
        )

    for sent, n in units:
        starts_section = sent.heading and used > budget // 2
        if current and (used + n > budget or starts_section):
            emit()
            keep: list[tuple[Sentence, int]] = []
            if config.overlap_sentences and not starts_section:
                keep = list(current[-config.overlap_sentences :])
                # Drop overlap that would leave no room for the next sentence, or repeat the whole chunk.
                while keep and (cost([*keep, (sent, n)]) > budget or len(keep) >= len(current)):
                    keep.pop(0)
            current = keep
        current.append((sent, n))
        used = cost(current)
    if current:
        emit()
    return chunks


def chunk_document(doc: Document, config: ChunkerConfig, count_tokens: TokenCounter) -> list[Chunk]:
    """Cut a document into chunks: exact spans, each within the token budget."""
    return pack(doc, sentence_units(doc, config.max_tokens, count_tokens, config.heading_context), config)
