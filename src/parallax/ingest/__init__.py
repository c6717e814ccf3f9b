"""From files to documents and chunks: decoding, HTML/PDF extraction, content blocks, the chunker."""
