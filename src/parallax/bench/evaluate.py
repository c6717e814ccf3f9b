"""TEMPORARY shim for the layout merge: re-exports; removed after it."""

from parallax.bench.labelled import load_labelled_queries, passage_qrels, passage_run  # noqa: F401
from parallax.bench.metrics import METRICS, percentiles, score, write_trec  # noqa: F401
