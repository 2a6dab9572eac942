"""Benchmarks (figures, never pass/fail): `python -m bench [B1 ...]`; see docs/benchmarks.md."""
