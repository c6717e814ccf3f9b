"""Chunking: split content blocks into sentences and pack them into chunks within a token budget.

Every chunk is an exact ``[start, end)`` span of its document's original text. The text that is
embedded is ``to_plain`` of each sentence in the chunk, joined: footnote definitions and boilerplate
between sentences never reach the model. A chunk never holds more word pieces than the model reads,
so nothing is silently truncated: an over-long sentence is cut at word boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from .corpus import Document, content_blocks, to_plain

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class ChunkerConfig:
    """How documents are cut. ``max_tokens`` counts the model's word pieces, specials excluded.

    The defaults were chosen on the seeds' labelled queries (benchmarks/tune_chunking.py): 254 word
    pieces (all that MiniLM reads) with one sentence of overlap, scored with sentence vectors.
    """

    max_tokens: int = 254
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        if self.max_tokens < 8:
            raise ValueError("max_tokens must be at least 8")
        if self.overlap_sentences < 0:
            raise ValueError("overlap_sentences must be >= 0")

    def to_dict(self) -> dict[str, int | str]:
        return {"method": "sentences", **asdict(self)}


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: ``text == document.text[start:end]``; ``embed_text`` is its clean form."""

    source: str
    start: int
    end: int
    text: str
    embed_text: str


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    plain: str
    heading: bool = False


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


def _sentences(doc: Document) -> list[Sentence]:
    sentences: list[Sentence] = []
    for block in content_blocks(doc):
        for s, e in split_sentences(doc.text, block.start, block.end):
            plain = to_plain(doc.text[s:e])
            if plain:
                sentences.append(Sentence(s, e, plain, block.heading))
    return sentences


_WORD = re.compile(r"\S+")


def _split_long(doc: Document, sent: Sentence, budget: int, count: TokenCounter) -> list[Sentence]:
    """Cut a sentence longer than the budget into pieces at word boundaries, each within budget."""
    words = [(m.start() + sent.start, m.end() + sent.start) for m in _WORD.finditer(doc.text[sent.start : sent.end])]
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
            pieces.append(Sentence(s, e, plain))
        i = j
    return pieces


def sentence_units(doc: Document, budget: int, count_tokens: TokenCounter) -> list[tuple[Sentence, int]]:
    """The document's sentences with their word-piece counts; longer ones are cut to fit ``budget``."""
    sentences = _sentences(doc)
    if not sentences:
        return []
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
    used = 0

    def emit() -> None:
        first, last = current[0][0], current[-1][0]
        chunks.append(
            Chunk(
                source=doc.source,
                start=first.start,
                end=last.end,
                text=doc.text[first.start : last.end],
                embed_text=" ".join(s.plain for s, _ in current),
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
                while keep and (sum(k for _, k in keep) + n > budget or len(keep) >= len(current)):
                    keep.pop(0)
            current = keep
            used = sum(k for _, k in current)
        current.append((sent, n))
        used += n
    if current:
        emit()
    return chunks


def chunk_document(doc: Document, config: ChunkerConfig, count_tokens: TokenCounter) -> list[Chunk]:
    """Cut a document into chunks: exact spans, each within the token budget."""
    return pack(doc, sentence_units(doc, config.max_tokens, count_tokens), config)


def chunk_corpus(docs: Sequence[Document], config: ChunkerConfig, count_tokens: TokenCounter) -> list[Chunk]:
    chunks: list[Chunk] = []
    for doc in docs:
        chunks.extend(chunk_document(doc, config, count_tokens))
    return chunks
