"""Gold answers computed by code from the parsed plan, for questions written with a gold *spec*.

Independent question writers (who saw only the plan) describe what a correct answer contains;
this module turns each spec into ``expected_measures`` / ``must_include`` from the typed records,
so agency, aggregate and section gold can never drift from the plan:

    {"agency": NAME}                       every measure naming NAME
    {"agency": NAME, "role": "lead"}       measures NAME leads (``"section": "V"`` narrows)
    {"agencies": [A, B]}                   measures naming all of them
    {"count": {"agency": NAME, "role": "any" | "lead"}} / {"count": {"section": "V"}}
    {"who_leads": N}
    {"superlative": "most_led" | "fewest_led" | "most_named" | "fewest_named" | "most_agencies",
     "among": "all" | "ministries"}
    {"of_previous": {...}, "measures": [...]}   a subset of the previous answer (cross-checked)
    {"measures": [...], "allowed": [...]}  topic gold read from the measures
    {"abstain": true}

``python -m eval gold RAW.jsonl [RAW2.jsonl ...] --out eval/robustness.jsonl``.
"""

from __future__ import annotations

import json
from pathlib import Path

from index.parse import Plan


class GoldError(ValueError):
    """A spec that does not agree with the plan."""


def _agency_set(plan: Plan, name: str, role: str = "any", section: str | None = None) -> list[int]:
    ms = [m for m in plan.measures if name in m.agencies]
    if role == "lead":
        ms = [m for m in ms if m.lead_agency == name]
    if section:
        ms = [m for m in ms if m.section == section]
    return [m.number for m in ms]


def _ranking(plan: Plan, kind: str, among: str, names: list[str]) -> tuple[list[str], int]:
    led = kind.endswith("_led")
    if among == "ministries":
        names = [n for n in names if n.startswith("Ministry")]
    counts = {n: sum((m.lead_agency == n) if led else (n in m.agencies) for m in plan.measures) for n in names}
    if kind.startswith("fewest"):
        counts = {n: c for n, c in counts.items() if c > 0}
        target = min(counts.values())
    else:
        target = max(counts.values())
    return [n for n, c in counts.items() if c == target], target


def resolve(spec: dict, plan: Plan, agencies: list[str], previous: list[int] | None = None) -> dict:
    """The gold fields (expected_measures, allowed_measures, must_include, expect_abstain) of one spec."""
    known = set(agencies)
    for name in [spec.get("agency"), *spec.get("agencies", []), *(spec.get("count") or {}).values()]:
        if (
            isinstance(name, str)
            and name.startswith(("Ministry", "State", "General", "National"))
            and name not in known
        ):
            raise GoldError(f"unknown agency {name!r}")
    out: dict = {"expected_measures": [], "allowed_measures": [], "must_include": []}
    if spec.get("abstain"):
        out["expect_abstain"] = True
    elif "of_previous" in spec:
        sub, prev = spec["of_previous"], previous or []
        got = [plan.measure(n) for n in prev]
        if "ordinal" in sub:
            got = [got[sub["ordinal"] - 1] if sub["ordinal"] > 0 else got[-1]]
        if "section" in sub:
            got = [m for m in got if m.section == sub["section"]]
        if "agency" in sub:
            got = [m for m in got if sub["agency"] in m.agencies]
            if sub.get("role") == "lead":
                got = [m for m in got if m.lead_agency == sub["agency"]]
        numbers = [m.number for m in got]
        if "measures" in spec and sorted(spec["measures"]) != sorted(numbers):
            raise GoldError(f"of_previous gives {numbers}, the writer read {spec['measures']}")
        out["expected_measures"] = numbers
    elif "agency" in spec:
        out["expected_measures"] = _agency_set(plan, spec["agency"], spec.get("role", "any"), spec.get("section"))
        if not out["expected_measures"]:
            out = {**out, "expected_measures": [], "expect_abstain": True}
    elif "agencies" in spec:
        names = spec["agencies"]
        out["expected_measures"] = [m.number for m in plan.measures if all(a in m.agencies for a in names)]
    elif "count" in spec:
        c = spec["count"]
        if "section" in c:
            numbers = list(plan.section(c["section"]).measures)
        else:
            numbers = _agency_set(plan, c["agency"], c.get("role", "any"))
        out["expected_measures"] = numbers
        out["must_include"] = [str(len(numbers))]
    elif "who_leads" in spec:
        m = plan.measure(spec["who_leads"])
        out["expected_measures"] = [m.number]
        out["must_include"] = [m.lead_agency]
    elif "superlative" in spec:
        kind = spec["superlative"]
        if kind == "most_agencies":
            top = max(len(m.agencies) for m in plan.measures)
            out["expected_measures"] = [m.number for m in plan.measures if len(m.agencies) == top]
            out["must_include"] = [str(top)]
        else:
            winners, target = _ranking(plan, kind, spec.get("among", "all"), agencies)
            led = kind.endswith("_led")
            out["expected_measures"] = [
                m.number
                for m in plan.measures
                if any((m.lead_agency == w) if led else (w in m.agencies) for w in winners)
            ]
            out["must_include"] = [*winners, str(target)]
    elif "measures" in spec:
        out["expected_measures"] = sorted(spec["measures"])
        out["allowed_measures"] = sorted(set(spec.get("allowed", [])) - set(spec["measures"]))
    else:
        raise GoldError(f"unknown spec {spec}")
    return {k: v for k, v in out.items() if v or k == "expected_measures"}


def convert(raw_paths: list[Path], plan: Plan, agencies: list[str]) -> list[dict]:
    """Eval-set rows (the ``questions.jsonl`` format) from raw question files with gold specs."""
    rows = []
    for path in raw_paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            history = raw.get("history") or []
            previous = next((t.get("citations") for t in reversed(history) if t.get("role") == "assistant"), None)
            try:
                gold = resolve(raw["gold"], plan, agencies, previous)
            except GoldError as exc:
                raise GoldError(f"{raw['id']}: {exc}") from exc
            row = {"id": raw["id"], "question": raw["question"], **gold, "category": raw["class"]}
            if history:
                row["history"] = history
            rows.append(row)
    return rows
