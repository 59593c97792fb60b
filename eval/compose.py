"""Generated compositions: constraint phrasings (written blind, ``eval/specs/compose_phrasings.json``)
combined by a seeded generator into questions whose intended query is known.

Each case carries the question, an optional history, and the intended :class:`Query` (constraints +
ask). The property test checks that the engine's citations equal the evaluator's on the intended
query, for every case. ``python -m eval compose --n 1200`` prints a sample and the pass rate.

    frame "How many measures {where}?" + agency_lead(SIPO) + not_section(V)
    -> "How many measures led by SIPO outside part 5?"  intended: COUNT, [+SIPO lead, −section V]
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.understand.query import Ask, Constraint, Kind, Query, Role
from index.agencies import Registry
from index.parse import Plan

PHRASINGS = Path(__file__).with_name("specs") / "compose_phrasings.json"
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
ORD = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
SEED = 2012


@dataclass
class Case:
    """One generated question with the query it is meant to say."""

    question: str
    intended: Query
    history: list[dict] = field(default_factory=list)
    kind: str = ""


def agency_forms(registry: Registry, name: str) -> list[str]:
    """How staff write an agency: its name, abbreviations and short names (the registry's own)."""
    a = registry.get(name)
    return [a.name, *a.abbreviations, *a.short_names]


def section_forms(numeral: str) -> list[str]:
    i = ROMAN.index(numeral)
    return [f"section {numeral}", f"section {i + 1}", f"part {numeral}", f"the {ORD[i]} section", f"Section {numeral}"]


_ROLE_WORDS = re.compile(r"\bco-|\bpartner", re.I)
_ROLE_KEYS = {"agency_any": Role.ANY, "agency_lead": Role.LEAD, "agency_co": Role.CO, "agency_sole": Role.SOLE}


class Generator:
    """Seeded generator of composed questions over one plan and registry."""

    def __init__(self, plan: Plan, registry: Registry, seed: int = SEED, path: Path = PHRASINGS):
        self.plan = plan
        self.registry = registry
        self.p = json.loads(path.read_text(encoding="utf-8"))
        self.rng = random.Random(seed)
        # agencies named in at least one measure (the plan's own bodies)
        self.agencies = sorted({a for m in plan.measures for a in m.agencies})

    def _agency(self, exclude: str | None = None) -> tuple[str, str]:
        name = self.rng.choice([a for a in self.agencies if a != exclude])
        return name, self.rng.choice(agency_forms(self.registry, name))

    def _section(self) -> tuple[str, str]:
        numeral = self.rng.choice(ROMAN[: len(self.plan.sections)])
        return numeral, self.rng.choice(section_forms(numeral))

    def composed(self) -> Case:
        """A frame (list, count, yes/no) with one to three constraint phrases."""
        ask_key = self.rng.choice(["list", "count", "yes_no"])
        ask = {"list": Ask.MEASURES, "count": Ask.COUNT, "yes_no": Ask.YES_NO}[ask_key]
        parts: list[str] = []
        constraints: list[Constraint] = []
        first = None
        if self.rng.random() < 0.85:
            key = self.rng.choice(list(_ROLE_KEYS))
            first, form = self._agency()
            parts.append(self.rng.choice(self.p[key]).format(agency=form))
            constraints.append(Constraint(Kind.AGENCY, first, role=_ROLE_KEYS[key]))
        if self.rng.random() < 0.6 or not constraints:
            key = self.rng.choice(["in_section", "not_section"])
            numeral, form = self._section()
            parts.append(self.rng.choice(self.p[key]).format(section=form))
            constraints.append(Constraint(Kind.SECTION, numeral, include=key == "in_section"))
        role = constraints[0].role if first else None
        if self.rng.random() < 0.2 and len(parts) < 3 and role != Role.SOLE:  # how many bodies the measure names
            key = "one_body" if first is None and self.rng.random() < 0.5 else "many_bodies"
            # beside an agency, a co-agency or a partner is that agency's role ("X as a co-agency"): only the
            # phrasings without those words combine with one
            forms = [f for f in self.p[key] if first is None or not _ROLE_WORDS.search(f)]
            parts.append(self.rng.choice(forms))
            constraints.append(Constraint(Kind.BODIES, "1", include=key == "one_body"))
        if self.rng.random() < 0.35 and len(parts) < 3:
            other, form = self._agency(exclude=first)
            parts.append(self.rng.choice(self.p["not_agency"]).format(agency2=form))
            constraints.append(Constraint(Kind.AGENCY, other, include=False))
        order = list(range(len(parts)))
        if self.rng.random() < 0.3:
            self.rng.shuffle(order)
        where = " ".join(parts[i] for i in order)
        question = self.rng.choice(self.p[ask_key]).format(where=where)
        return Case(question, Query(text=question, ask=ask, constraints=constraints), kind=f"{ask_key}:{len(parts)}")

    def whole(self) -> Case:
        """Whole-question templates: compare, partners, who leads, sections, first/last measure."""
        key = self.rng.choice(["compare", "partners", "who_leads_measure", "section_list", "section_count",
                               "last_measure", "first_measure"])  # fmt: skip
        t = self.rng.choice(self.p[key])
        total = len(self.plan.measures)
        if key == "compare":
            n, m = sorted(self.rng.sample(range(1, total + 1), 2))
            return Case(
                t.format(n=n, m=m),
                Query(text="", ask=Ask.COMPARE, constraints=[Constraint(Kind.MEASURES, (n, m))]),
                kind=key,
            )
        if key == "partners":
            name, form = self._agency()
            return Case(
                t.format(agency=form),
                Query(text="", ask=Ask.PARTNERS, constraints=[Constraint(Kind.AGENCY, name)]),
                kind=key,
            )
        if key == "who_leads_measure":
            n = self.rng.randint(1, total)
            return Case(
                t.format(n=n), Query(text="", ask=Ask.WHO, constraints=[Constraint(Kind.MEASURES, (n,))]), kind=key
            )
        if key in ("section_list", "section_count"):
            numeral, form = self._section()
            ask = Ask.SECTION if key == "section_list" else Ask.COUNT
            return Case(
                t.format(section=form),
                Query(text="", ask=ask, constraints=[Constraint(Kind.SECTION, numeral)]),
                kind=key,
            )
        n = total if key == "last_measure" else 1
        return Case(t, Query(text="", ask=Ask.MEASURES, constraints=[Constraint(Kind.MEASURES, (n,))]), kind=key)

    def followup(self, answer) -> Case:
        """A base question, its answer in the history, and a follow-up that edits it."""
        name, form = self._agency()
        numeral, sform = self._section()
        base_c = [Constraint(Kind.AGENCY, name), Constraint(Kind.SECTION, numeral)]
        agency_part = self.rng.choice(self.p["agency_any"]).format(agency=form)
        section_part = self.rng.choice(self.p["in_section"]).format(section=sform)
        base_q = self.rng.choice(self.p["list"]).format(where=f"{agency_part} {section_part}")
        cited, query_json = answer(base_q, Query(text=base_q, ask=Ask.MEASURES, constraints=base_c))
        history = [
            {"role": "user", "content": base_q},
            {"role": "assistant", "content": " ".join(f"[{n}]" for n in cited) or "None.", "citations": cited},
        ]
        if query_json is not None and self.rng.random() < 0.5:
            history[-1]["query"] = query_json  # the client kept the parsed query
        key = self.rng.choice(
            ["same_for_agency", "correct_agency", "correct_section", "of_those_section", "of_those_not_section"]
        )
        t = self.rng.choice(self.p[key])
        if key in ("same_for_agency", "correct_agency"):
            other, oform = self._agency(exclude=name)
            intended = [Constraint(Kind.AGENCY, other), Constraint(Kind.SECTION, numeral)]
            return Case(t.format(agency=oform), Query(text="", ask=Ask.MEASURES, constraints=intended), history, key)
        other_n, oform = self._section()
        if key == "correct_section":
            intended = [Constraint(Kind.AGENCY, name), Constraint(Kind.SECTION, other_n)]
        else:
            intended = [
                Constraint(Kind.PREVIOUS, ""),
                Constraint(Kind.SECTION, other_n, include=key == "of_those_section"),
            ]
        q = Query(text="", ask=Ask.MEASURES, constraints=intended, previous=list(cited))
        return Case(t.format(section=oform), q, history, key)

    def cases(self, n: int, answer) -> list[Case]:
        """``n`` cases: 60% composed frames, 20% whole templates, 20% follow-ups."""
        out = []
        for i in range(n):
            r = i % 10
            out.append(self.composed() if r < 6 else self.whole() if r < 8 else self.followup(answer))
        return out


def expected(case: Case, plan: Plan) -> list[int]:
    """The evaluator's answer on the intended query (the partners' shared measures for PARTNERS)."""
    from assistant.evaluate import evaluate

    q = case.intended
    if q.ask == Ask.PARTNERS:
        name = str(q.constraints[0].value)
        own = [m for m in plan.measures if name in m.agencies]
        shared = [m.number for m in own if len(m.agencies) > 1]
        return shared or [m.number for m in own]
    return evaluate(q, plan, None).numbers


def check(retriever, cases: list[Case]) -> list[tuple[Case, list[int], list[int]]]:
    """The cases whose engine citations differ from the evaluator's: (case, got, want)."""
    bad = []
    for case in cases:
        got = retriever.retrieve(case.question, case.history)
        want = expected(case, retriever.plan)
        numbers = [] if got.abstain else got.numbers
        if sorted(numbers) != sorted(want) or (case.intended.ask == Ask.COUNT and got.count != len(want)):
            bad.append((case, numbers, want))
    return bad


def answerer(retriever):
    """What the engine cites for a base question, and its parsed query (for follow-up histories)."""

    def answer(question: str, intended: Query):
        r = retriever.retrieve(question)
        return (r.numbers if not r.abstain else []), (r.query.to_json() if r.query else None)

    return answer
