"""An index on disk: manifest, lock, staged writes, chunk store, vectors, BM25; the builder and the reader."""
