"""Scoring: per-question metrics and their aggregation (pure functions, no models)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Row:
    """One system's answer to one eval question, scored."""

    id: str
    category: str
    question: str
    expected: list[int]
    cited: list[int]
    abstained: bool
    expect_abstain: bool
    strict: bool
    recall: float | None
    precision: float | None
    missing_phrases: list[str] = field(default_factory=list)
    quotes: int = 0
    faithful_quotes: int = 0
    latency_s: float = 0.0
    route: str = ""
    model_sentences: int = 0  # sentences the LLM wrote that passed the guard (the rest are extractive)


_STARTS_ZH = {"yes": ("是",), "no": ("否", "没有"), "none": ("没有", "无")}  # a Chinese answer's first word


def score(
    q: dict,
    cited: list[int],
    abstained: bool,
    text: str,
    quotes: list[str],
    plan_text: str,
    latency_s: float,
    route: str = "",
) -> Row:
    """Score one answer against one question of the eval set."""
    expected = set(q.get("expected_measures", []))
    ok = expected | set(q.get("allowed_measures", []))
    got = set(cited)
    expect_abstain = bool(q.get("expect_abstain"))
    lowered = text.lower()
    missing = [p for p in q.get("must_include", []) if p.lower() not in lowered]
    if starts := q.get("answer_starts"):  # the first line answers: "Yes", "No", "None" (是, 否, 没有 in Chinese)
        first = text.strip().lstrip("*#> _").lower()
        if not first.startswith((starts.lower(), *_STARTS_ZH.get(starts.lower(), ()))):
            missing.append(f"first line: {starts}")
    if expect_abstain:
        strict = abstained and not got
    else:
        strict = not abstained and expected <= got and got <= ok and not missing
    recall = len(got & expected) / len(expected) if expected else None
    precision = len(got & ok) / len(got) if got else None
    faithful = sum(1 for quote in quotes if " ".join(quote.split()) in plan_text)
    return Row(
        q["id"],
        q.get("category", ""),
        q["question"],
        sorted(expected),
        sorted(got),
        abstained,
        expect_abstain,
        strict,
        recall,
        precision,
        missing,
        len(quotes),
        faithful,
        latency_s,
        route,
    )


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.fmean(values), 4) if values else None


def percentile(values: list[float], p: float) -> float | None:
    """The ``p`` quantile (0..1) as the nearest observed value, or None for no values.

    ``percentile([1.0, 2.0, 3.0, 10.0], 0.5) -> 3.0`` (numpy's "nearest" method)."""
    if not len(values):
        return None
    return round(float(np.percentile(values, p * 100, method="nearest")), 4)


def aggregate(rows: list[Row]) -> dict:
    """Overall metrics for a list of scored rows."""
    recall = _mean(r.recall for r in rows)
    precision = _mean(r.precision for r in rows)
    f1 = round(2 * recall * precision / (recall + precision), 4) if recall and precision else 0.0
    answerable = [r for r in rows if not r.expect_abstain]
    quotes = sum(r.quotes for r in rows)
    latencies = [r.latency_s for r in rows]
    return {
        "questions": len(rows),
        "strict_accuracy": _mean(float(r.strict) for r in rows),
        "citation_recall": recall,
        "citation_precision": precision,
        "f1": f1,
        "abstention_accuracy": _mean(float(r.abstained == r.expect_abstain) for r in rows),
        "false_abstention_rate": _mean(float(r.abstained) for r in answerable) if answerable else 0.0,
        "quote_faithfulness": round(sum(r.faithful_quotes for r in rows) / quotes, 4) if quotes else 1.0,
        "model_sentence_share": round(sum(r.model_sentences for r in rows) / quotes, 4) if quotes else 0.0,
        "latency_p50_s": percentile(latencies, 0.5),
        "latency_p95_s": percentile(latencies, 0.95),
    }


def by_category(rows: list[Row]) -> dict[str, dict]:
    """Aggregate per category, categories in first-seen order."""
    cats = list(dict.fromkeys(r.category for r in rows))
    return {c: aggregate([r for r in rows if r.category == c]) for c in cats}
