"""Split the eval set into dev and test, stratified by category with a fixed seed.

``python -m eval split`` writes a ``"split": "dev" | "test"`` field on every question of
``eval/questions.jsonl`` (a compatible addition to the file format). Development and calibration
read the dev split only; the floors in ``eval/thresholds.json`` apply to the test split.

Questions written for development (ids ``dev-*``: the classes of issue 9, read while the engine was
built) are dev only; the others are split half and half within each category. Run on the committed
file, this reproduces the committed split exactly (154 dev / 100 test; a test checks it).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from enum import StrEnum
from pathlib import Path

SEED = 2012


class Split(StrEnum):
    """Which part of the eval set a question belongs to."""

    DEV = "dev"
    TEST = "test"


DEV_ONLY_PREFIX = "dev-"


def assign(questions: list[dict], seed: int = SEED) -> dict[str, Split]:
    """id -> split: ``dev-*`` ids are dev; within each category of the rest, a seeded shuffle puts the
    first half (rounded down) in dev."""
    by_cat: dict[str, list[str]] = defaultdict(list)
    out: dict[str, Split] = {}
    for q in questions:
        if q["id"].startswith(DEV_ONLY_PREFIX):
            out[q["id"]] = Split.DEV
        else:
            by_cat[q.get("category", "")].append(q["id"])
    rng = random.Random(seed)
    for cat in sorted(by_cat):
        ids = sorted(by_cat[cat])
        rng.shuffle(ids)
        half = len(ids) // 2
        out.update({i: Split.DEV for i in ids[:half]})
        out.update({i: Split.TEST for i in ids[half:]})
    return out


def write_split(path: Path, seed: int = SEED) -> dict[str, int]:
    """Rewrite ``path`` with a ``split`` field per question; returns the count per split."""
    questions = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    splits = assign(questions, seed)
    lines = [json.dumps({**q, "split": str(splits[q["id"]])}, ensure_ascii=False) for q in questions]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {str(s): sum(v == s for v in splits.values()) for s in Split}
