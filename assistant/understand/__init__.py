"""Understand stage: one extractor per kind of constraint, the typed query they fill, follow-ups as edits."""
