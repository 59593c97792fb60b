"""Evaluation: regression question set, scorer, baseline, benchmarks."""
