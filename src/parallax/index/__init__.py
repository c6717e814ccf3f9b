"""An index on disk, a folder of open formats, and the code that builds and reads it.

Reading (light: numpy and sqlite3; never imports ``ingest`` or ``embed``):
    manifest   manifest.json: format version, file names, document records, recorded file sizes
    store      chunks.sqlite: every query a loaded index asks of it (read-only)
    flatfile   the FAISS flat files: written with faiss, read with numpy alone
    bm25       the BM25 index (bm25s to build, numpy alone to search)
    lock       one build at a time: a file lock beside the index folder
    staging    write a temporary sibling folder and swap it in; recover from a half-done swap
    reader     ``Index``: load and check an index, and its accessors
Building (imports ``ingest`` and ``embed``, lazily):
    reuse      whether the index already there can be built upon
    plan       what changed: added, updated, removed, unchanged, moved, redone documents
    assemble   the new index's rows and vectors: stored ones copied, new ones chunked and embedded
    writer     write a whole index into a staged folder, the chunk store's schema included
    builder    ``update_index`` / ``build_index``: lock once, reuse, plan, assemble, write
    engine     where new documents are chunked and embedded: ``local`` or ``ray`` (settings only)
    ray_engine ``--engine ray``: new documents chunked and embedded by Ray Data actors, rows back to the builder
"""
