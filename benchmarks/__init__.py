"""Benchmarks of softmax_core; run ``python benchmarks/bench_core.py`` from the repo root."""
