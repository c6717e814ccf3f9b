"""Analyses over an index: sentence table, coverage, distinctive terms, facts, compare and topics."""
