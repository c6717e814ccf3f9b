"""Answering queries over an index: dense, BM25 and hybrid (fused) retrieval."""
