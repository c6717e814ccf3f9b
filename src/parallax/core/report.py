"""Notes for the user on standard error, from library code (the CLI prints its own messages and errors).

Library functions that may need to tell the user something (a one-time model export, a fallback) take
a ``notify`` callable and default to ``note``, so that a caller can silence or capture them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

Notify = Callable[[str], None]


def note(message: str) -> None:
    """Print one line to standard error at once."""
    print(message, file=sys.stderr, flush=True)
