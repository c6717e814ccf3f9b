"""Decoding a text file's bytes: byte-order mark, else UTF-8, else a detected legacy encoding.

UTF-16 without a mark is recognised from its NUL bytes; other data with NUL bytes, or text full of
control characters, is binary and refused with ``SkipFile`` (kind ``binary``).
"""

from __future__ import annotations

import codecs
import unicodedata

from parallax.ingest.document import SkipFile

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: it starts with the UTF-16 LE mark
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1b")
_SAMPLE = 65536  # characters (or bytes) looked at to judge a whole file


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NUL bytes sit at every other position, as in ASCII-heavy UTF-16."""
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even = sum(1 for i in range(0, 2 * pairs, 2) if head[i] == 0)
    odd = sum(1 for i in range(1, 2 * pairs, 2) if head[i] == 0)
    if odd > 0.4 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > 0.4 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None


def _looks_binary(text: str) -> bool:
    """True when more than 1% of the text's start is control characters other than white space and ESC."""
    sample = text[:_SAMPLE]
    controls = sum(1 for ch in sample if ch not in _TEXT_CONTROLS and unicodedata.category(ch) == "Cc")
    return controls > max(2, len(sample) // 100)


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """A file that is not UTF-8: charset-normalizer's best guess, cp1252 when that reads the same."""
    try:
        western: str | None = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        matches = []
    else:
        matches = list(from_bytes(data))
    if matches:
        best = min(m.chaos for m in matches)
        top = [m for m in matches if m.chaos <= best + 1e-9]
        sample = data[:_SAMPLE]
        if western is not None and any(
            sample.decode(m.encoding, errors="replace") == sample.decode("cp1252", errors="replace") for m in top
        ):
            return western, "cp1252"
        return str(top[0]), top[0].encoding
    if western is not None:
        return western, "cp1252"
    return data.decode("latin-1"), "latin-1"


def _decode_with_bom(data: bytes, where: str) -> tuple[str, str] | None:
    """The text of data that starts with a byte-order mark, or None when it has none."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                raise SkipFile(
                    f"{where} starts with a {encoding} byte-order mark but is not {encoding}", "binary"
                ) from None
    return None


def _decode_with_nuls(data: bytes, where: str) -> tuple[str, str]:
    """Data with NUL bytes near its start: UTF-16 without a mark, or binary."""
    encoding = _utf16_without_bom(data[:8192])
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            pass
        else:
            if not _looks_binary(text):
                return text, encoding
    raise SkipFile(f"{where} looks like a binary file, not text", "binary")


def decode_bytes(data: bytes, where: str = "file") -> tuple[str, str]:
    """Decode a text file: byte-order mark, else UTF-8, else a detected legacy encoding.

    Returns the text and the encoding used. Binary data raises ``SkipFile`` (kind ``binary``).
    """
    marked = _decode_with_bom(data, where)
    if marked is not None:
        return marked
    if b"\x00" in data[:8192]:
        return _decode_with_nuls(data, where)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text, encoding = _decode_legacy(data)
    if _looks_binary(text):
        raise SkipFile(f"{where} looks like a binary file, not text", "binary")
    return text, encoding
