"""``parallax topics``: a map of the corpus's main topics. Registers its command on the main app."""

from __future__ import annotations

from .cli import app  # noqa: F401 - commands below register on it
