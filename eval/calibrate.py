"""Fit the topic cut-off and the described-agency threshold on the dev split only.

Scores do not depend on the cut-off, so they are computed once per question (memoised) and the
grid search replays retrieval with each candidate. Writes ``assistant/calibration.json``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, replace
from functools import cache, lru_cache

from assistant.retrieve import CALIBRATION_FILE, Calibration, Retriever
from eval.metrics import score
from eval.run import QUESTIONS, load_questions
from eval.split import Split
from index.config import Settings

GRID = {
    "alpha": [0.5, 0.6, 0.7, 0.8],
    "floor": [0.45, 0.5, 0.55, 0.6],
    "dense_floor": [0.6, 0.65, 0.7, 0.8],
    "ratio": [0.75, 0.8, 0.85, 0.9],
    "unknown_dense_floor": [0.45, 0.5, 0.55, 0.6],
}
DESCRIBE = [0.45, 0.5, 0.55, 0.6, 0.65, 0.7]


def _memoise(retriever: Retriever) -> None:
    """Cache scoring and phrase embeddings: they are the slow part and the grid never changes them."""
    raw_score, raw_sim = retriever.score, retriever.describer.similarities

    @cache
    def cached_score(query, numbers, multilingual):
        return raw_score(query, [retriever.plan.measure(n) for n in numbers], multilingual)

    retriever.score = lambda q, ms, multilingual=None: cached_score(q, tuple(m.number for m in ms), multilingual)
    retriever.describer.similarities = lru_cache(maxsize=None)(raw_sim)


def accuracy(retriever: Retriever, questions: list[dict], cal: Calibration) -> float:
    """Strict accuracy of routing with ``cal`` (citations only, no model)."""
    retriever.calibration = cal
    retriever.describer.threshold = cal.describe_threshold
    good = 0
    for q in questions:
        r = retriever.retrieve(q["question"], q.get("history") or [])
        row = score(q, r.numbers, bool(r.abstain) or r.route == "empty", " ".join(map(str, [r.count or ""])), [], "", 0)
        good += row.strict or (not q.get("must_include") and set(r.numbers) == set(q["expected_measures"]))
    return good / max(len(questions), 1)


def calibrate(settings: Settings | None = None, questions_path=QUESTIONS, write: bool = True) -> dict:
    """Grid-search on the dev split; returns the best parameters and their dev accuracy."""
    settings = settings or Settings.from_env()
    retriever = Retriever.open(settings)
    _memoise(retriever)
    dev = [q for q in load_questions(questions_path) if q.get("split") == Split.DEV]
    topical = [q for q in dev if q["category"] in ("topic", "everyday", "typo", "chinese", "near_miss", "abstain")]
    base = Calibration.load()
    best = max(
        (replace(base, **dict(zip(GRID, values, strict=True))) for values in itertools.product(*GRID.values())),
        key=lambda c: (accuracy(retriever, topical, c), -abs(c.floor - 0.5)),
    )
    agencies = [q for q in dev if q["category"] in ("described", "abstain", "agency_alias", "leftover")]
    best = max((replace(best, describe_threshold=t) for t in DESCRIBE), key=lambda c: accuracy(retriever, agencies, c))
    result = {**asdict(best), "dev_accuracy": round(accuracy(retriever, dev, best), 4), "dev_questions": len(dev)}
    if write:
        CALIBRATION_FILE.write_text(json.dumps(result, indent=1) + "\n")
    return result
