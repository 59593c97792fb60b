"""Cosine similarity against a matrix of unit rows: the one piece of vector arithmetic the engine does
itself (topics against the index's vectors, section themes, header fields). numpy is imported on use."""

from __future__ import annotations


def unit_rows(vectors):
    """The vectors as float32 rows of length 1 (a zero row stays zero)."""
    import numpy as np

    m = np.asarray(vectors, dtype="float32")
    return m / np.linalg.norm(m, axis=1, keepdims=True).clip(min=1e-9)


def cosines(rows, vector):
    """Cosine of ``vector`` with each of the unit ``rows``."""
    import numpy as np

    q = np.asarray(vector, dtype="float32")
    return rows @ (q / (np.linalg.norm(q) or 1.0))
