"""Benchmarks: data sets, labelled queries, metrics through ir-measures, retrieval and compare runs."""
