"""Embedding models behind one protocol, chosen through a registry."""
