"""TEMPORARY shim for the layout merge: re-exports; removed after it."""

from parallax.ingest.blocks import content_blocks  # noqa: F401
from parallax.ingest.document import Corpus, Document, Extraction, Reuse, sha256_text  # noqa: F401
from parallax.ingest.load import load_corpus, load_document  # noqa: F401
from parallax.text.boilerplate import is_boilerplate  # noqa: F401
from parallax.text.markup import to_plain  # noqa: F401
