"""Benchmarks for Postventa: `python -m bench` runs ingest and pipeline; each module also runs alone."""
