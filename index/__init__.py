"""Ingest side of the pipeline: the plan's text -> typed measures -> Chroma index."""
