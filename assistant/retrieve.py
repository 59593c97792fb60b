"""Retrieve stage: parse a question, evaluate its query over the records, and shape the result.

Never a fixed k. The understand stage (``assistant/understand/``) gives a typed query; the
evaluator (``assistant/evaluate.py``) gives the exact measure set as set algebra over the records,
with the topic as one scored constraint (``assistant/topic.py``); this module turns that into a
:class:`Retrieval` per kind of output (list, count, who, ranking, yes/no, comparison, partners,
section, fact) or a reason to abstain. Nothing per request is kept on the shared object.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from enum import StrEnum

from assistant.evaluate import Evaluation, evaluate, records
from assistant.text import Speller, known_english, stem, words
from assistant.topic import CALIBRATION_FILE, Calibration, Scored, TopicScorer, cut  # noqa: F401 (published)
from assistant.understand import facts
from assistant.understand.describe import Describer
from assistant.understand.parser import QueryParser
from assistant.understand.query import Ask, Constraint, Kind, Query, Rank, Role, Stop
from assistant.understand.routes import Route
from assistant.understand.sections import SectionFinder
from index.agencies import Registry
from index.build import build, load_embeddings, open_client
from index.chunk import load_clause_expansions, load_expansions
from index.config import Settings
from index.parse import Measure, Plan, Section
from index.schemas import load_glossary

Intent = Route  # the published codes of ``query.intent`` and ``route`` are one set


class Abstain(StrEnum):
    """Why the plan does not answer a question."""

    INJECTION = "injection"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_AGENCY = "unknown_agency"
    OTHER_YEAR = "other_year"
    NO_JOINT = "no_joint"
    NO_LEAD = "no_lead"
    NO_TOPIC = "no_topic"  # a real topic none of the agency's measures concern (pointers given)
    OUT_OF_SCOPE = "out_of_scope"
    FILTERED = "filtered"
    NO_PREVIOUS = "no_previous"
    NONE_MATCH = "none_match"  # the constraints leave no measure (the answer says where they are)


@dataclass(frozen=True)
class Hit:
    """One retrieved measure, with the route that produced it and the agency's role in it."""

    measure: Measure
    score: float
    route: str
    role: str = ""  # Role value for agency routes


@dataclass
class Retrieval:
    """The routing decision: which measures answer the question, or why none do."""

    route: str
    hits: list[Hit] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    abstain: str | None = None
    detail: str = ""  # what the answer's lead line or abstention names: numbers, a year, a ranking
    sections: list[Section] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # document-route answer lines, quoted from the plan
    topic: str = ""
    question: str = ""
    seconds: float = 0.0
    query: Query | None = None
    pointers: list[Hit] = field(default_factory=list)  # measures on a topic the agency does not cover
    scores: list[dict] = field(default_factory=list)  # topic evidence behind the cut-off (for explain)
    count: int | None = None
    ask: str = Ask.MEASURES
    yes: bool | None = None  # yes/no questions
    partners: list[tuple[str, list[int]]] = field(default_factory=list)
    ranking: list[tuple[str, int]] = field(default_factory=list)  # (agency or section numeral, count)
    groups: list[tuple[str, list[int]]] = field(default_factory=list)  # a merged body's 2012 bodies
    notes: list[str] = field(default_factory=list)  # successor names, filters
    steps: list[str] = field(default_factory=list)  # the evaluator's steps (explain)
    elsewhere: str = ""  # for an empty selection: where the measures of its constraints are

    @property
    def numbers(self) -> list[int]:
        return [h.measure.number for h in self.hits]


class Retriever:
    """Parses questions and decides answer sets over a parsed plan and its Chroma index."""

    def __init__(self, settings: Settings, plan: Plan, registry: Registry, vectorstore=None, calibration=None):
        self.settings = settings
        self.plan = plan
        self.registry = registry
        self.calibration = calibration or Calibration.load()
        self.vectorstore = vectorstore
        self.expansions = load_expansions(settings.expansions)
        glossary = load_glossary(settings.glossary)
        clause_expansions = load_clause_expansions(settings.clause_expansions)
        self.topics = TopicScorer(plan, self.expansions, self.calibration, vectorstore, glossary, clause_expansions)
        self.plan_terms = self.topics.plan_terms
        vocabulary = [w for d in self.topics.docs for w in words(d)] + [
            w for a in registry.agencies for w in words(a.name)
        ]
        embedder = load_embeddings(settings.embed_model) if vectorstore is not None else None
        nouns = frozenset(t for t, n in self.plan_terms.items() if n >= 2)
        pairs = frozenset(
            pair
            for m in plan.measures
            for stems in [[stem(w) for w in words(m.text)]]
            for pair in zip(stems, stems[1:], strict=False)
        )
        self.describer = Describer(registry, embedder, self.calibration.describe_threshold, nouns, pairs)
        sections = SectionFinder(plan, embedder, self.calibration.section_theme_threshold)
        self.parser = QueryParser(
            plan, registry, Speller(vocabulary, known_english()), self.plan_terms, self.describer, sections
        )
        self.circular = facts.Circular.of(plan)
        self.fact_finder = facts.FactFinder(embedder, self.calibration.fact_threshold)
        self.parser.recall = lambda prev: evaluate(prev, plan, self.topics).numbers

    @classmethod
    def open(cls, settings: Settings, quiet: bool = True) -> Retriever:
        """Build the index if needed (progress on stderr), then connect to it."""
        from langchain_chroma import Chroma

        result = build(settings, quiet=quiet)
        store = Chroma(
            client=open_client(settings, quiet=quiet),
            collection_name=settings.collection,
            embedding_function=load_embeddings(settings.embed_model),
        )
        return cls(settings, result.plan, result.registry, store)

    # ------------------------------------------------------------ entry point

    def retrieve(self, question: str, history: list[dict] | None = None, filters: dict | None = None) -> Retrieval:
        """Parse and answer ``question`` (with optional chat ``history`` and agency/section ``filters``)."""
        t0 = time.perf_counter()
        query = self.parser.parse(question.strip(), history or [])
        filters = {k: v for k, v in (filters or {}).items() if v}
        if filters and not query.stop and query.ask not in (Ask.FACT, Ask.RANK_AGENCIES, Ask.RANK_SECTIONS):
            unfiltered = self.execute(query)
            filtered = query.with_constraints([*query.constraints, *self._filter_constraints(filters)])
            result = self.execute(filtered)
            result.notes.append("Filtered: " + " · ".join(self._filter_label(k, v) for k, v in filters.items()))
            if not result.hits and unfiltered.hits:
                result = Retrieval(
                    unfiltered.route,
                    abstain=Abstain.FILTERED,
                    agencies=unfiltered.agencies,
                    detail=self._where(unfiltered.numbers),
                    notes=result.notes,
                    ask=unfiltered.ask,
                )
                result.query = filtered
            query = filtered
        else:
            result = self.execute(query)
        result.query = query
        result.question = query.text
        result.seconds = time.perf_counter() - t0
        return result

    def _filter_constraints(self, filters: dict) -> list[Constraint]:
        out = []
        if filters.get("agency"):
            out.append(Constraint(Kind.AGENCY, filters["agency"], text="filter", how="name"))
        if filters.get("section"):
            out.append(Constraint(Kind.SECTION, filters["section"], text="filter", how="filter"))
        return out

    def _filter_label(self, key: str, value: str) -> str:
        if key == "section":
            s = next((s for s in self.plan.sections if s.numeral == value), None)
            return f"Section {value}" + (f": {s.title}" if s else "")
        return self._label(value)

    def _label(self, name: str) -> str:
        agency = self.registry.by_name.get(name)
        return agency.label if agency else name

    def _where(self, numbers: list[int]) -> str:
        """ "2 in section IV; 1 in section VI": where a set's measures are."""
        by: dict[str, int] = {}
        for n in numbers:
            s = self.plan.measure(n).section
            by[s] = by.get(s, 0) + 1
        return "; ".join(f"{c} in section {s}" for s, c in by.items())

    # ------------------------------------------------------------ execution

    def execute(self, q: Query) -> Retrieval:
        """The answer set for a parsed query."""
        route = q.intent
        if q.stop:
            return self._stopped(q, route)
        if q.ask == Ask.FACT:
            return self._fact(q)
        if q.ask == Ask.RANK_AGENCIES:
            return self._rank_agencies(q)
        if q.ask == Ask.RANK_MEASURES:
            top = max(len(m.agencies) for m in self.plan.measures)
            hits = [Hit(m, 1.0, route) for m in self.plan.measures if len(m.agencies) == top]
            return Retrieval(route, hits=hits, count=top, detail=str(Rank.MOST_AGENCIES), ask=q.ask)
        if q.ask == Ask.RANK_SECTIONS:
            return self._rank_sections(q)
        if q.ask == Ask.PARTNERS:
            return self._partners(q)
        ev = evaluate(q, self.plan, self.topics)
        agencies = [a for a in q.agency_names]
        lead_of = next((c for c in q.of(Kind.AGENCY) if c.include), None)
        hits = [Hit(self.plan.measure(n), ev.topic.scores.get(n, 1.0) if ev.topic else 1.0, route,
                    self._role_of(self.plan.measure(n), lead_of)) for n in ev.numbers]  # fmt: skip
        r = Retrieval(
            route, hits=hits, agencies=agencies, topic=q.topic, ask=q.ask, steps=ev.steps, notes=list(q.successors)
        )
        if ev.topic:
            r.scores = ev.topic.evidence
        if lead_of is not None and lead_of.any_of:
            r.groups = [
                (name, [n for n in ev.numbers if name in self.plan.measure(n).agencies]) for name in lead_of.any_of
            ]
        if q.ask == Ask.SECTION:
            r.sections = [self.plan.section(str(q.of(Kind.SECTION)[0].value))]
            r.detail = r.sections[0].numeral
            return r
        if q.ask == Ask.COUNT:
            r.count = len(hits)
            if q.section and not agencies:
                r.detail = f"Section {q.section}"
            return r
        if not hits and ev.topic is not None and not ev.topic.numbers and (fact := self._fact_instead(q)):
            return replace(fact, steps=[*ev.steps, *fact.steps])
        if q.ask == Ask.YES_NO:
            r.yes = bool(hits)
            if not hits:
                self._explain_empty(q, ev, r)
                r.hits = []  # "No" cites nothing of its own; pointers, if any, follow the answer
            return r
        if q.ask in (Ask.COMPARE, Ask.WHO) and hits:
            return r
        if not hits:
            self._explain_empty(q, ev, r)
        return r

    def _role_of(self, m: Measure, c: Constraint | None) -> str:
        if c is None:
            return ""
        names = set(c.any_of or (str(c.value),))
        return Role.LEAD if m.lead_agency in names else Role.CO

    def _explain_empty(self, q: Query, ev: Evaluation, r: Retrieval) -> None:
        """Why nothing was selected, and where the measures of the constraints are."""
        agencies = [c for c in q.of(Kind.AGENCY) if c.include]
        if ev.topic is not None and ev.before_topic:
            if ev.topic.elsewhere:
                r.abstain = Abstain.NO_TOPIC
                r.pointers = [Hit(self.plan.measure(n), 1.0, Route.TOPIC) for n in ev.topic.elsewhere]
                r.hits = [
                    Hit(
                        self.plan.measure(n),
                        1.0,
                        r.route,
                        self._role_of(self.plan.measure(n), agencies[0] if agencies else None),
                    )
                    for n in ev.before_topic
                ]
            else:
                r.abstain = Abstain.OUT_OF_SCOPE
                r.hits = []
            return
        if q.of(Kind.PREVIOUS):
            r.abstain = Abstain.NO_PREVIOUS
            return
        only_agencies = {c.kind for c in q.constraints} <= {Kind.AGENCY, Kind.TOPIC}
        if len(agencies) > 1 and only_agencies:
            r.abstain = Abstain.NO_JOINT
            return
        if agencies and only_agencies and agencies[0].role == Role.LEAD:
            r.abstain = Abstain.NO_LEAD
            return
        r.abstain = Abstain.NONE_MATCH
        # where the measures of the main constraint are, when something else emptied the set
        main = agencies[0] if agencies else next((c for c in q.constraints if c.include), None)
        if main is not None:
            r.detail = self._where(sorted(records(main, self.plan, q.previous)))

    def _stopped(self, q: Query, route: str) -> Retrieval:
        if q.stop == Stop.EMPTY:
            return Retrieval(route)
        if q.stop == Stop.INJECTION:
            return Retrieval(route, abstain=Abstain.INJECTION)
        if q.stop == Stop.OUT_OF_RANGE:
            return Retrieval(route, abstain=Abstain.OUT_OF_RANGE, detail=", ".join(map(str, q.out_of_range)))
        if q.stop == Stop.UNKNOWN_AGENCY:
            return Retrieval(route, abstain=Abstain.UNKNOWN_AGENCY, agencies=q.unknown_bodies)
        return Retrieval(route, abstain=Abstain.OTHER_YEAR, detail=q.year or "", agencies=q.agency_names)

    # ------------------------------------------------------------ rankings and partners

    def _rank_agencies(self, q: Query) -> Retrieval:
        """Most/fewest measures led or named in, over agencies (or ministries)."""
        led = q.rank in (Rank.MOST_LED, Rank.FEWEST_LED)
        candidates = [a.name for a in self.registry.agencies]
        if q.among_ministries:
            candidates = [n for n in candidates if n.startswith("Ministry")] or candidates
        counts = {
            n: sum((m.lead_agency == n) if led else (n in m.agencies) for m in self.plan.measures) for n in candidates
        }
        if q.rank in (Rank.FEWEST_LED, Rank.FEWEST_NAMED):
            positive = {n: c for n, c in counts.items() if c > 0} or counts
            target = min(positive.values())
            winners = [n for n, c in positive.items() if c == target]
        else:
            target = max(counts.values())
            winners = [n for n, c in counts.items() if c == target]
        hits = [
            Hit(
                m,
                1.0,
                Route.SUPERLATIVE,
                Role.LEAD if m.lead_agency in winners else Role.CO if len(winners) == 1 else "",
            )
            for m in self.plan.measures
            if any((m.lead_agency == w) if led else (w in m.agencies) for w in winners)
        ]
        ranking = sorted(
            counts.items(), key=lambda x: (-x[1], x[0]) if not str(q.rank).startswith("fewest") else (x[1], x[0])
        )
        return Retrieval(Route.SUPERLATIVE, hits=hits, agencies=winners, count=target, detail=str(q.rank),
                         ask=q.ask, ranking=ranking[:5])  # fmt: skip

    def _rank_sections(self, q: Query) -> Retrieval:
        sizes = [(s.numeral, len(s.measures)) for s in self.plan.sections]
        most = q.rank == Rank.MOST_MEASURES
        target = (max if most else min)(n for _, n in sizes)
        winners = [self.plan.section(s) for s, n in sizes if n == target]
        hits = [Hit(self.plan.measure(n), 1.0, Route.SUPERLATIVE) for s in winners for n in s.measures]
        ranking = sorted(sizes, key=lambda x: -x[1] if most else x[1])
        return Retrieval(Route.SUPERLATIVE, hits=hits, sections=winners, count=target, detail=str(q.rank),
                         ask=q.ask, ranking=ranking)  # fmt: skip

    def _partners(self, q: Query) -> Retrieval:
        """The agencies sharing measures with one agency, each with the measures they share."""
        c = next(c for c in q.of(Kind.AGENCY) if c.include)
        name = str(c.value)
        own = [m for m in self.plan.measures if name in m.agencies]
        partners: dict[str, list[int]] = {}
        for m in own:
            for a in m.agencies:
                if a != name:
                    partners.setdefault(a, []).append(m.number)
        ranked = sorted(partners.items(), key=lambda x: (-len(x[1]), x[0]))
        shared = [m for m in own if len(m.agencies) > 1]
        cited = shared or ([] if q.polar else own)  # "does X share any measure?" -> "No", nothing to cite
        hits = [Hit(m, 1.0, Route.PARTNERS, self._role_of(m, c)) for m in cited]
        return Retrieval(Route.PARTNERS, hits=hits, agencies=[name], partners=ranked, ask=q.ask, count=len(ranked),
                         notes=list(q.successors))  # fmt: skip

    # ------------------------------------------------------------ facts

    def _fact_instead(self, q: Query) -> Retrieval | None:
        """A question whose topic no measure holds, answered from the circular's record when it describes a
        header field: by a pattern the topic vetoed ("which higher-level document does it implement?"),
        or by meaning when it asks for nothing else (no agency, section, measure or yes/no). Else None."""
        field_, how = q.fact_fallback, "its description"
        if field_ is None and q.language == "en" and not q.polar and {c.kind for c in q.constraints} == {Kind.TOPIC}:
            found, score = self.fact_finder.closest(q.text)
            field_, how = (str(found), f"meaning, {score:.2f}") if found else (None, "")
        if field_ is None:
            return None
        fact = self._fact(replace(q, ask=Ask.FACT, fact=field_))
        fact.steps = [f"the topic kept none: answered from the circular's record ({field_}, by {how})"]
        return fact

    def _fact(self, q: Query) -> Retrieval:
        """A fact about the circular, answered from the header record (no citation)."""
        c, plan = self.circular, self.plan
        field_ = facts.Field(q.fact)
        lines: list[str] = []
        r = Retrieval(Route.DOCUMENT, ask=q.ask, detail=str(field_))
        if field_ == facts.Field.DATE:
            said = facts.date_said(q.text)
            if q.polar and said:  # "Was it issued on April 7, 2012?": checked against the record
                r.yes = said.agrees(facts.date_said(c.date))
                lines.append(f"{'Yes' if r.yes else 'No'}. The circular is dated {c.date}.")
            else:
                lines.append(f"The circular is dated {c.date}.")
        elif field_ == facts.Field.NUMBER:
            lines.append(f"The circular's document number is {c.document_number}.")
        elif field_ == facts.Field.TITLE:
            lines.append(f"The document is the “{c.title}”; the plan is the “{c.plan_title}”.")
        elif field_ == facts.Field.ADDRESSEES:
            lines.append(
                f"The circular is addressed to {len(c.addressees)} agencies, in this order: {', '.join(c.addressees)}."
            )
        elif field_ == facts.Field.ADDRESSEE_COUNT:
            lines.append(f"The circular is addressed to {len(c.addressees)} agencies: {', '.join(c.addressees)}.")
        elif field_ == facts.Field.ADDRESSEE_ORDER:
            ends = facts.orders_asked(q.text) if not q.subject else [facts.order_asked(q.text)]
            first, n = ends[0], len(c.addressees)
            name = c.addressees[0] if first > 0 else c.addressees[-1]
            pos = "first" if first > 0 else f"last (number {n})"
            line = f"{name} is listed {pos} of the circular's {n} addressees."
            if len(ends) > 1:  # "which is first and which closes the list?"
                line = (
                    f"{c.addressees[0]} is listed first and {c.addressees[-1]} last (number {n})"
                    f" of the circular's {n} addressees."
                )
            if q.subject:  # "Was customs listed first?"
                r.yes = q.subject == name
                where = (
                    f" {self._label(q.subject)} is number {c.addressees.index(q.subject) + 1}."
                    if q.subject in c.addressees
                    else ""
                )
                line = f"{'Yes' if r.yes else 'No'}. {line}" + ("" if r.yes else where)
            lines.append(line)
        elif field_ == facts.Field.ADDRESSEE_CHECK:
            subject = q.subject
            if subject in c.addressees:
                i = c.addressees.index(subject) + 1
                r.yes = True
                lines.append(
                    f"Yes. {self._label(subject)} is one of the circular's {len(c.addressees)} addressees "
                    f"(number {i} in its list)."
                )
            else:
                r.yes = False
                lines.append(
                    f"No. {subject} is not among the circular's {len(c.addressees)} addressees: "
                    f"{', '.join(c.addressees)}."
                )
        elif field_ == facts.Field.PRINCIPLE:
            lines.append(f"The plan follows the principle of “{c.principle}”.")
            lines.append(f"> {c.preamble}")
        elif field_ == facts.Field.IMPLEMENTS:
            lines.append(f"The plan implements {c.implements} in 2012 (“{c.plan_title}”).")
            lines.append(f"> {c.preamble}")
        elif field_ == facts.Field.SECTIONS:
            lines.append(f"The plan has {len(plan.sections)} sections and {c.measure_count} measures:")
            lines.extend(f"{s.numeral}. {s.title} (measures {s.measures[0]}–{s.measures[-1]})" for s in plan.sections)
        elif field_ == facts.Field.OBJECTIVES:
            r.sections = [plan.section(q.subject)]
        elif field_ == facts.Field.MEASURE_COUNT:
            lines.append(f"The plan has {c.measure_count} numbered measures in {len(plan.sections)} sections.")
        for more in q.more_facts:  # "..., and when was it issued?": each field the other clauses ask
            lines.extend(self._fact(replace(q, fact=more, more_facts=[], polar=False, subject="")).facts)
        r.facts = lines
        return r
