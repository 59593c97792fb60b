"""Fit the topic cut-off and the described-agency threshold on the dev split only.

Scores do not depend on the cut-off, so they are computed once per question (memoised) and the
grid search replays retrieval with each candidate. Writes ``assistant/calibration.json``.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import asdict, replace
from functools import cache, lru_cache

from assistant.retrieve import CALIBRATION_FILE, Calibration, Retriever
from eval.metrics import score
from eval.run import BLIND15, QUESTIONS, load_questions
from eval.split import Split
from index.config import Settings

GRID = {
    "alpha": [0.5, 0.6, 0.7],
    "floor": [0.45, 0.5, 0.55],
    "dense_floor": [0.6, 0.7],
    "ratio": [0.7, 0.75, 0.8, 0.85],
    "unknown_dense_floor": [0.5, 0.55, 0.6],
    "clause_weight": [0.85, 1.0],
}
# Dev data only: the dev split of the main set, and the dev half of the everyday-topic set (issue 15).
TOPIC_DEV = BLIND15
DESCRIBE = [0.45, 0.5, 0.55, 0.6, 0.65, 0.7]


def _memoise(retriever: Retriever) -> None:
    """Cache scoring, parsing and phrase embeddings: they are the slow part, and the grid changes them
    only through alpha and the clause weight (part of the key)."""
    topics = retriever.topics
    raw_score, raw_sim, raw_parse = topics.score, retriever.describer.similarities, retriever.parser.parse

    @cache
    def cached_score(query, numbers, multilingual, alpha, weight):
        return raw_score(query, set(numbers), multilingual)

    def score(q, numbers, multilingual=None):
        cal = topics.calibration
        return cached_score(q, tuple(sorted(numbers)), multilingual, cal.alpha, cal.clause_weight)

    @cache
    def cached_parse(question, history_json):
        return raw_parse(question, json.loads(history_json))

    topics.score = score
    retriever.parser.parse = lambda q, h=None, depth=0: copy.deepcopy(cached_parse(q, json.dumps(h or [])))
    retriever.describer.similarities = lru_cache(maxsize=None)(raw_sim)


def raw_parse_of(retriever: Retriever):
    """The parser's own parse (undoing :func:`_memoise`'s cache)."""
    return type(retriever.parser).parse.__get__(retriever.parser)


def accuracy(retriever: Retriever, questions: list[dict], cal: Calibration) -> float:
    """Strict accuracy of routing with ``cal`` (citations only, no model)."""
    retriever.calibration = cal
    retriever.topics.calibration = cal
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
    if TOPIC_DEV.exists():
        topical += [q for q in load_questions(TOPIC_DEV) if q.get("split") == Split.DEV]
    base = Calibration.load()
    best = max(
        (replace(base, **dict(zip(GRID, values, strict=True))) for values in itertools.product(*GRID.values())),
        key=lambda c: (accuracy(retriever, topical, c), -abs(c.floor - 0.5)),
    )
    agencies = [q for q in dev if q["category"] in ("described", "abstain", "agency_alias", "leftover")]
    retriever.parser.parse = raw_parse_of(retriever)  # the describer threshold changes the parse
    best = max((replace(best, describe_threshold=t) for t in DESCRIBE), key=lambda c: accuracy(retriever, agencies, c))
    result = {**asdict(best), "dev_accuracy": round(accuracy(retriever, dev, best), 4), "dev_questions": len(dev)}
    if write:
        CALIBRATION_FILE.write_text(json.dumps(result, indent=1) + "\n")
    return result
