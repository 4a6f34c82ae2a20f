"""Extraction-quality benchmarks: the shingle metric and ``python -m bench.extraction``."""
