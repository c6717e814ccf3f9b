"""Turning typed results into terminal text and self-contained HTML."""
