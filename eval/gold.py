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

The composed form (issue 14) ANDs constraints over the records and names what is asked for:

    {"select": [C, ...], "ask": "measures" | "count" | "yes_no" | "who_leads" | "partners" | "compare"
                                | "section_rank" | "agency_rank" | "fact", ...}
    C: {"agency": NAME, "role": "any" | "lead" | "co" | "sole"} | {"agency_any": [NAME, ...]}
       | {"section": "III"} | {"measures": [...]} | {"previous": true}
       | {"topic": [...], "allowed": [...]} | {"not": C}

History turns may carry their own ``"gold"``: the assistant turn that follows is then written with
the citations of that gold, so follow-up gold never depends on what a system answered.

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


def _records(c: dict, plan: Plan, previous: list[int]) -> tuple[set[int], set[int]]:
    """(measures a constraint selects, measures it allows as borderline)."""
    if "not" in c:
        inner, _ = _records(c["not"], plan, previous)
        return {m.number for m in plan.measures} - inner, set()
    if "agency" in c:
        name, role = c["agency"], c.get("role", "any")
        ms = [m for m in plan.measures if name in m.agencies]
        if role == "lead":
            ms = [m for m in ms if m.lead_agency == name]
        elif role == "co":
            ms = [m for m in ms if m.lead_agency != name]
        elif role == "sole":
            ms = [m for m in ms if tuple(m.agencies) == (name,)]
        elif role != "any":
            raise GoldError(f"unknown role {role!r}")
        return {m.number for m in ms}, set()
    if "agency_any" in c:
        return {m.number for m in plan.measures if set(c["agency_any"]) & set(m.agencies)}, set()
    if "section" in c:
        return set(plan.section(c["section"]).measures), set()
    if "measures" in c:
        return set(c["measures"]), set()
    if "previous" in c:
        return set(previous), set()
    if "topic" in c:
        return set(c["topic"]), set(c.get("allowed", [])) - set(c["topic"])
    raise GoldError(f"unknown constraint {c}")


def _composed(spec: dict, plan: Plan, agencies: list[str], previous: list[int]) -> dict:
    """Gold of a composed spec: set algebra over the records, then what the output must contain."""
    for c in spec["select"]:
        for name in [c.get("agency"), *c.get("agency_any", []), (c.get("not") or {}).get("agency")]:
            if name and name not in set(agencies):
                raise GoldError(f"unknown agency {name!r}")
    chosen = {m.number for m in plan.measures}
    allowed: set[int] = set()
    topical = False
    for c in spec["select"]:
        got, extra = _records(c, plan, previous)
        if "topic" in c:
            topical = True
            allowed |= chosen & extra
        chosen &= got
    allowed -= chosen
    ask = spec.get("ask", "measures")
    out: dict = {"expected_measures": sorted(chosen), "allowed_measures": sorted(allowed), "must_include": []}
    if ask == "count":
        out["must_include"] = [str(len(chosen))]
    elif ask == "yes_no":
        said = spec.get("answer")
        actual = "yes" if chosen else "no"
        if said and said != actual:
            raise GoldError(f"yes_no: the writer said {said}, the records say {actual}")
        out["answer_starts"] = actual.capitalize()
        if not chosen and topical:  # "No" may point to the topic's measures elsewhere
            out["allowed_measures"] = sorted(
                set().union(
                    *[
                        _records(c, plan, previous)[0] | _records(c, plan, previous)[1]
                        for c in spec["select"]
                        if "topic" in c
                    ]
                )
            )
    elif ask == "who_leads":
        out["must_include"] = sorted({plan.measure(n).lead_agency for n in chosen if plan.measure(n).lead_agency})
    elif ask == "partners":
        names = [c["agency"] for c in spec["select"] if "agency" in c]
        if len(names) != 1:
            raise GoldError("partners needs exactly one agency")
        own = [m for m in plan.measures if names[0] in m.agencies]
        shared = [m for m in own if len(m.agencies) > 1]
        partners = sorted({a for m in shared for a in m.agencies} - {names[0]})
        out = {
            "expected_measures": sorted(m.number for m in shared),
            "allowed_measures": sorted(m.number for m in own),
            "must_include": partners,
        }
        if not partners:
            out["answer_starts"] = "None"
    elif ask == "section_rank":
        sizes = {s.numeral: len(s.measures) for s in plan.sections}
        target = (max if spec.get("rank") == "most" else min)(sizes.values())
        winners = [s for s in plan.sections if len(s.measures) == target]
        out = {
            "expected_measures": [],
            "allowed_measures": sorted(n for s in winners for n in s.measures),
            "must_include": [s.title for s in winners] + [str(target)],
        }
    elif ask == "agency_rank":
        kind = f"{spec.get('rank', 'most')}_{'led' if spec.get('role') == 'lead' else 'named'}"
        return resolve({"superlative": kind, "among": spec.get("among", "all")}, plan, agencies, previous)
    elif ask == "fact":
        out = {"expected_measures": [], "must_include": list(spec.get("fact", []))}
        if spec.get("answer"):
            out["answer_starts"] = spec["answer"].capitalize()
    elif ask not in ("measures", "compare"):
        raise GoldError(f"unknown ask {ask!r}")
    elif not chosen:  # an empty list: the plan has no such measure (as for {"agency": X, "role": "lead"})
        out = {"expected_measures": [], "expect_abstain": True}
    return out


def resolve(spec: dict, plan: Plan, agencies: list[str], previous: list[int] | None = None) -> dict:
    """The gold fields (expected_measures, allowed_measures, must_include, expect_abstain) of one spec."""
    if "select" in spec or spec.get("ask") in ("fact", "section_rank", "agency_rank"):  # these select nothing
        out = _composed({"select": [], **spec}, plan, agencies, previous or [])
        return {k: v for k, v in out.items() if v or k == "expected_measures"}
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


def _written_history(history: list[dict], plan: Plan, agencies: list[str]) -> list[dict]:
    """History with an assistant turn written after every user turn that carries its own gold."""
    out: list[dict] = []
    previous: list[int] = []
    for turn in history:
        if turn.get("role") == "user" and "gold" in turn:
            gold = resolve(turn["gold"], plan, agencies, previous)
            cited = gold.get("expected_measures", [])
            out.append({"role": "user", "content": turn["content"]})
            text = " ".join(f"[{n}]" for n in cited) or "The plan does not cover this."
            out.append({"role": "assistant", "content": text, "citations": cited})
            previous = cited
        else:
            out.append(turn)
            if turn.get("role") == "assistant" and isinstance(turn.get("citations"), list):
                previous = turn["citations"]
    return out


def convert(raw_paths: list[Path], plan: Plan, agencies: list[str]) -> list[dict]:
    """Eval-set rows (the ``questions.jsonl`` format) from raw question files with gold specs."""
    rows = []
    for path in raw_paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            history = _written_history(raw.get("history") or [], plan, agencies)
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
