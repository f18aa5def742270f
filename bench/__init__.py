"""Tandem benchmarks: each figure measured beside the raw limit of its own stack, in one run.

Run from the repository root: ``python -m bench`` (``--quick`` for a short run).
"""
