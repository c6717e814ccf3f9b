"""``parallax compare``: how each source treats a topic. Registers its command on the main app."""

from __future__ import annotations

from .cli import app  # noqa: F401 - commands below register on it
