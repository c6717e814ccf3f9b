"""Parallax: local semantic search that shows how sources treat the same topic."""

__version__ = "0.1.0"
