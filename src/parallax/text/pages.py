"""Pages of a paginated document (PDF): the character offset where each page starts.

Kept apart from the file readers so that a query can say which page a hit is on without loading them.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence


def page_at(pages: Sequence[int], offset: int) -> int | None:
    """The 1-based page whose start is the last one at or before ``offset`` (None without pages)."""
    if not pages:
        return None
    return max(1, bisect.bisect_right(pages, offset))
