"""What an abstention can still offer: the nearest measures when there is real evidence, and what
this plan does cover when another year's plan was asked about. Nothing when there is none.

The topic scorer's evidence (``Retrieval.scores``: dense cosine and BM25 of the best measures) was
not enough to answer, but a measure that shares the question's words (BM25 > 0) and whose
relevance still clears the cut-off's floor is worth naming, as "closest, but not about X":

    cryptocurrency regulation -> measure 82 (shares "regulation"; relevance 0.66 >= 0.5)
    space exploration         -> nothing (no shared word, dense 0.35)
"""

from __future__ import annotations

import re

from assistant.retrieve import Abstain, Retrieval
from assistant.topic import Calibration

MAX_CLOSEST = 3
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)\s*年?")


def closest(r: Retrieval, calibration: Calibration) -> list[int]:
    """Up to three measures near an out-of-scope topic, best first; [] without real evidence."""
    if r.abstain != Abstain.OUT_OF_SCOPE or not r.scores:
        return []
    near = [
        e["measure"]
        for e in r.scores
        if e["bm25"] > 0 and calibration.alpha * e["dense"] + (1 - calibration.alpha) * e["bm25"] >= calibration.floor
    ]
    return near[:MAX_CLOSEST]


def without_year(question: str) -> str:
    """The question with its year taken out: ``"What does the 2015 plan say about patents?"`` ->
    ``"Anything on patents?"``."""
    return " ".join(_YEAR.sub(" ", question).split())
