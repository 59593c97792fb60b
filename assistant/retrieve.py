"""Retrieve stage: turn a typed :class:`~assistant.query.Query` into the exact answer set.

Never a fixed k. Records answer what records can (lookups, an agency's measures, joint and lead
sets, counts, rankings, sections, the previous answer's subsets); topic questions are scored by
BM25 (Snowball stems, plain-language expansions) and dense similarity (MiniLM over each measure
and its expansions; multilingual-e5 for Chinese), fused and cut by a relevance cut-off fitted on
the dev split.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from assistant.query import Intent, Query, QueryParser, Rank, Role
from assistant.text import Speller, known_english, stem, terms, words
from index.agencies import Registry
from index.build import build, load_embeddings, open_client
from index.chunk import load_expansions
from index.config import Settings
from index.parse import Measure, Plan, Section

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


# A route is the intent it answers (``ask --json``'s ``"route"``): one set of codes for both.
Route = Intent


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

    @property
    def numbers(self) -> list[int]:
        return [h.measure.number for h in self.hits]


@dataclass(frozen=True)
class Calibration:
    """Topic cut-off parameters, fitted on the dev split by ``python -m eval calibrate``."""

    alpha: float = 0.6  # weight of dense similarity vs. normalised BM25 in the relevance score
    floor: float = 0.45  # the best hit must reach this, else out of scope ...
    dense_floor: float = 0.6  # ... unless its dense similarity alone is this strong
    unknown_dense_floor: float = 0.5  # a question with words the plan never uses needs this much dense evidence
    # What is left after an agency is a topic only if some measure is this close in meaning. Measured here:
    # topics 0.58-0.82 ("judicial appraisal", "counterfeits", "trademarks"), filler 0.14-0.42 ("told",
    # "work", "takes", "deliver", "briefing minister"); 0.5 sits in the gap.
    remainder_dense_floor: float = 0.5
    ratio: float = 0.8  # keep hits scoring at least ratio * best
    max_hits: int = 12
    describe_threshold: float = 0.62  # embedding similarity for a described agency
    generic_df: float = 0.2  # a stem in more than this share of measures is too common to make a topic

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        if path.exists():
            data = json.loads(path.read_text())
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        return cls()


@dataclass(frozen=True)
class Scored:
    """Evidence for one measure: dense cosine, BM25 normalised to the plan's best, RRF score."""

    number: int
    dense: float
    bm25: float
    rrf: float

    def relevance(self, alpha: float) -> float:
        return alpha * self.dense + (1 - alpha) * self.bm25


RRF_K = 60
# A question asking for a set ("which measures", "any tasks", "all items") rather than one measure.
SET_QUESTION = re.compile(r"\b(?:measures|items|tasks|ones|all|any|anything|everything|list)\b|哪些|有什么", re.I)


def cut(scored: list[Scored], cal: Calibration) -> list[tuple[int, float]]:
    """Relevance cut-off (not a fixed k): nothing unless the best passes the floor (or is a strong
    dense match), else every measure within ``ratio`` of the best, in RRF order.

    relevance = alpha * dense + (1 - alpha) * bm25; e.g. best 0.8, ratio 0.8 -> keep relevance >= 0.64.
    """
    if not scored:
        return []
    best = max(s.relevance(cal.alpha) for s in scored)
    best_dense = max(s.dense for s in scored)
    if math.isnan(best) or (best < cal.floor and best_dense < cal.dense_floor):
        return []
    keep = [(s.number, s.relevance(cal.alpha)) for s in scored if s.relevance(cal.alpha) >= cal.ratio * best]
    return keep[: cal.max_hits]


def _load_yaml(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


class Retriever:
    """Parses questions and decides answer sets over a parsed plan and its Chroma index."""

    def __init__(self, settings: Settings, plan: Plan, registry: Registry, vectorstore=None, calibration=None):
        from rank_bm25 import BM25Okapi

        from assistant.describe import Describer

        self.settings = settings
        self.plan = plan
        self.registry = registry
        self.calibration = calibration or Calibration.load()
        self.vectorstore = vectorstore
        self.expansions = load_expansions(settings.expansions)
        self.glossary: dict[str, str] = _load_yaml(settings.glossary).get("terms") or {}
        self._glossary_keys = sorted(self.glossary, key=len, reverse=True)
        docs = [f"{m.text} {m.section_title} {self.expansion_text(m.number)}" for m in plan.measures]
        self._bm25_docs = [terms(d) for d in docs]
        self._bm25 = BM25Okapi(self._bm25_docs)
        self._text_terms = [set(terms(m.text)) for m in plan.measures]
        df = Counter(t for d in self._bm25_docs for t in set(d))
        self.plan_terms = dict(df)
        vocabulary = [w for d in docs for w in words(d)] + [w for a in registry.agencies for w in words(a.name)]
        embedder = load_embeddings(settings.embed_model) if vectorstore is not None else None
        nouns = frozenset(t for t, n in df.items() if n >= 2)
        self.describer = Describer(registry, embedder, self.calibration.describe_threshold, nouns)
        self.parser = QueryParser(plan, registry, Speller(vocabulary, known_english()), self.plan_terms, self.describer)
        self._e5 = None
        self._last_scores: list[dict] = []  # evidence behind the last topic cut-off, for explain
        self._last_scored: list[Scored] = []

    def expansion_text(self, number: int) -> str:
        """A measure's plain-language expansions (questions and keywords) as one string."""
        e = self.expansions.get(number) or {}
        return " ".join([*e.get("questions", []), *e.get("keywords", [])])

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
        """Parse and route ``question`` (with optional chat ``history`` and agency/section ``filters``)."""
        t0 = time.perf_counter()
        query = self.parser.parse(question.strip(), history or [])
        filters = filters or {}
        if filters.get("agency") and not query.agencies and query.intent == Intent.TOPIC:
            query = self.parser.parse(f"{question.strip()} ({filters['agency']})", history or [])
        result = self.execute(query)
        result.query = query
        result.question = query.text
        result = self._apply_filters(result, filters)
        result.seconds = time.perf_counter() - t0
        return result

    def execute(self, q: Query) -> Retrieval:
        """The answer set for a parsed query."""
        intent = q.intent
        if intent == Intent.EMPTY:
            return Retrieval(Route.EMPTY)
        if intent == Intent.INJECTION:
            return Retrieval(Route.INJECTION, abstain=Abstain.INJECTION)
        if intent in (Intent.LOOKUP, Intent.WHO_LEADS):
            if q.out_of_range:
                return Retrieval(Route.LOOKUP, abstain=Abstain.OUT_OF_RANGE, detail=", ".join(map(str, q.out_of_range)))
            route = Route.WHO_LEADS if intent == Intent.WHO_LEADS else Route.LOOKUP
            return Retrieval(route, hits=[Hit(self.plan.measure(n), 1.0, route) for n in q.measures])
        if intent == Intent.PREVIOUS:
            return self._previous(q)
        if intent == Intent.SUPERLATIVE:
            return self._superlative(q)
        if intent in (Intent.AGENCY, Intent.LEAD, Intent.JOINT, Intent.AGENCY_TOPIC, Intent.COUNT) and q.agencies:
            return self._agency(q)
        if intent == Intent.COUNT and q.section:
            hits = self._section_hits(q.section, Route.COUNT)
            return Retrieval(Route.COUNT, hits=hits, count=len(hits), detail=f"Section {q.section}")
        if intent == Intent.UNKNOWN_AGENCY:
            return Retrieval(Route.UNKNOWN_AGENCY, abstain=Abstain.UNKNOWN_AGENCY, agencies=q.unknown_bodies)
        if intent == Intent.OTHER_YEAR:
            return Retrieval(Route.OTHER_YEAR, abstain=Abstain.OTHER_YEAR, detail=q.year or "")
        if result := self._document(q):
            return result
        if intent == Intent.SECTION and q.section:
            return Retrieval(Route.SECTION, hits=self._section_hits(q.section, Route.SECTION), detail=q.section)
        return self._topic(q)

    # ------------------------------------------------------------ records

    def _section_hits(self, numeral: str, route: str) -> list[Hit]:
        return [Hit(self.plan.measure(n), 1.0, route) for n in self.plan.section(numeral).measures]

    def _role_of(self, m: Measure, agency: str) -> str:
        return Role.LEAD if m.lead_agency == agency else Role.CO

    def _agency_measures(self, q: Query) -> list[Measure]:
        names = q.agency_names
        chosen = [m for m in self.plan.measures if all(a in m.agencies for a in names)]
        if q.role == Role.LEAD:
            chosen = [m for m in chosen if m.lead_agency == names[0]]
        elif q.role == Role.CO:
            chosen = [m for m in chosen if m.lead_agency != names[0]]
        if q.section:
            chosen = [m for m in chosen if m.section == q.section]
        return chosen

    def _agency(self, q: Query) -> Retrieval:
        names = q.agency_names
        chosen = self._agency_measures(q)
        route = Route.JOINT if len(names) > 1 else (Route.LEAD if q.role == Role.LEAD else Route.AGENCY)
        if q.intent == Intent.COUNT:
            route = Route.COUNT
        if not chosen and route != Route.COUNT:
            reason = Abstain.NO_JOINT if len(names) > 1 else Abstain.NO_LEAD
            return Retrieval(route, abstain=reason, agencies=names)
        hits = [Hit(m, 1.0, route, self._role_of(m, names[0])) for m in chosen]
        result = Retrieval(route, hits=hits, agencies=names, count=len(hits) if route == Route.COUNT else None)
        if q.intent == Intent.AGENCY_TOPIC and len(hits) > 1:
            return self._narrow(q, result)
        return result

    def _narrow(self, q: Query, full: Retrieval) -> Retrieval:
        """Keep the agency's measures about the question's topic, when the remainder is a real topic."""
        topic = q.topic
        cal = self.calibration
        # One scoring of the remainder over the whole plan serves the test and the narrowing. A real
        # topic finds measures in the plan and some measure is close to it in meaning (not just a
        # shared word: "only the ones where it takes the lead" shares "take" with many measures).
        elsewhere = self._topic_hits(q, list(self.plan.measures), topic) if self._specific(q) else []
        confident = (
            bool(elsewhere) and max((s.dense for s in self._last_scored), default=0.0) >= cal.remainder_dense_floor
        )
        mine = {h.measure.number for h in full.hits}
        scored = [s for s in self._last_scored if s.number in mine] if elsewhere else []
        specific = set(self._specific(q))
        keep = [
            s
            for s in scored
            if (s.relevance(cal.alpha) >= cal.floor and specific & self._text_terms[s.number - 1])
            or self._literal(s.number, q)
        ]
        keep = keep if confident else []
        full.topic = topic
        full.scores = [self._evidence(s) for s in scored[:8]]
        if keep:
            best = max(s.relevance(cal.alpha) for s in keep)
            numbers = {
                s.number for s in keep if s.relevance(cal.alpha) >= cal.ratio * best or self._literal(s.number, q)
            }
            full.hits = [h for h in full.hits if h.measure.number in numbers]
            full.route = Route.AGENCY_TOPIC
            return full
        # Nothing of the agency's: a real topic gets pointers; just words ("Hello, I work at ...") do not.
        if confident:
            return Retrieval(
                Route.AGENCY_TOPIC,
                abstain=Abstain.NO_TOPIC,
                agencies=full.agencies,
                topic=topic,
                hits=full.hits,
                pointers=elsewhere[:6],
            )
        return full  # a known agency with an unclear remainder gets all its measures

    def _literal(self, number: int, q: Query) -> bool:
        """The measure's own text uses every specific topic stem of the question."""
        specific = self._specific(q)
        return bool(specific) and set(specific) <= self._text_terms[number - 1]

    def _specific(self, q: Query) -> list[str]:
        """Topic stems the plan uses but that are not everywhere in it (a real topic)."""
        limit = self.calibration.generic_df * len(self.plan.measures)
        return [t for t in q.topic_terms if 0 < self.plan_terms.get(t, 0) <= limit]

    def _previous(self, q: Query) -> Retrieval:
        """A subset of the previous answer: by section, agency, role or topic."""
        measures = [self.plan.measure(n) for n in q.previous if 1 <= n <= len(self.plan.measures)]
        if q.section:
            measures = [m for m in measures if m.section == q.section]
        if q.agencies:
            name = q.agencies[0].name
            measures = [m for m in measures if all(a in m.agencies for a in q.agency_names)]
            if q.role == Role.LEAD:
                measures = [m for m in measures if m.lead_agency == name]
            elif q.role == Role.CO:
                measures = [m for m in measures if m.lead_agency != name]
        if q.topic_terms and not (q.section or q.agencies):
            numbers = {n for n, _ in cut(self.score(q.corrected, measures), self.calibration)}
            numbers |= {m.number for m in measures if set(self._specific(q)) & self._text_terms[m.number - 1]}
            measures = [m for m in measures if m.number in numbers]
        if not measures and q.agencies and q.role:  # "which ones does it only support?" after its lead set
            return self._agency(q)
        if not measures:
            return Retrieval(Route.PREVIOUS, abstain=Abstain.NO_PREVIOUS, agencies=q.agency_names)
        role_of = q.agencies[0].name if q.agencies else None
        return Retrieval(
            Route.PREVIOUS,
            hits=[Hit(m, 1.0, Route.PREVIOUS, self._role_of(m, role_of) if role_of else "") for m in measures],
            agencies=q.agency_names,
        )

    def _superlative(self, q: Query) -> Retrieval:
        """Rankings over agencies (most/fewest measures led or named in) and measures (most agencies)."""
        if q.rank == Rank.MOST_AGENCIES:
            top = max(len(m.agencies) for m in self.plan.measures)
            hits = [Hit(m, 1.0, Route.SUPERLATIVE) for m in self.plan.measures if len(m.agencies) == top]
            return Retrieval(Route.SUPERLATIVE, hits=hits, count=top, detail=str(q.rank))
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
            Hit(m, 1.0, Route.SUPERLATIVE, self._role_of(m, w))
            for m in self.plan.measures
            for w in winners[:1]
            if (m.lead_agency == w if led else w in m.agencies)
        ]
        if len(winners) > 1:  # a tie: every tied agency's measures
            hits = [
                Hit(m, 1.0, Route.SUPERLATIVE)
                for m in self.plan.measures
                if any((m.lead_agency == w) if led else (w in m.agencies) for w in winners)
            ]
        return Retrieval(Route.SUPERLATIVE, hits=hits, agencies=winners, count=target, detail=str(q.rank))

    # ------------------------------------------------------------ document facts

    def _document(self, q: Query) -> Retrieval | None:
        """Facts about the circular and the plan's structure, quoted from the parsed header."""
        text, low = q.text, q.text.lower()
        h, plan = self.plan.header, self.plan
        facts: list[str] = []
        sections: list[Section] = []
        if q.section and (re.search(r"\bobjectives?\b|\bgoals?\b|\baims?\b", low) or not SET_QUESTION.search(low)):
            sections = [plan.section(q.section)]
        elif re.search(r"\bobjectives?\b|\bgoals?\b", low):
            titles = [s for s in plan.sections if set(terms(s.title)) & set(terms(text))]
            sections = titles if len(titles) == 1 else []
        if re.search(r"\b(?:date|dated|when)\b|什么时候|日期", low) and re.search(
            r"\b(?:plan|circular|issued|document|published|released)\b", low
        ):
            facts.append(f"The circular is dated {h.date}.")
        if re.search(
            r"document number|doc(?:ument)?\.? no|reference number|文号|circular number|number of the circ", low
        ):
            facts.append(f"The circular's document number is {h.document_number}.")
        if re.search(r"how many (?:specific |numbered )?(?:measures|items|tasks)|number of measures|措施.*多少", low):
            facts.append(f"The plan has {len(plan.measures)} numbered measures in {len(plan.sections)} sections.")
        if (
            re.search(r"how many sections|what are the (?:\w+ )?sections|list (?:the|all) sections", low)
            and not sections
        ):
            facts.append(f"The plan has {len(plan.sections)} sections:")
            facts.extend(f"{s.numeral}. {s.title} (measures {s.measures[0]}–{s.measures[-1]})" for s in plan.sections)
        if re.search(
            r"addressed|addressees|sent to|distributed to|which agencies (?:receive|got)|how many agencies", low
        ):
            facts.append(f"The circular is addressed to {len(h.addressees)} agencies: {', '.join(h.addressees)}.")
        if re.search(r"\btitle\b|\bcalled\b|what is (?:this|the) (?:plan|document)\b|\bwhat plan\b", low):
            facts.append(f"The document is the “{h.title}”; the plan is the “{h.plan_title}”.")
        if re.search(r"\bprinciple\b|\bpurpose\b|\baim of the plan\b", low):
            facts.append(h.preamble)
        if not facts and not sections:
            return None
        return Retrieval(Route.DOCUMENT, facts=facts, sections=sections)

    # ------------------------------------------------------------ topics

    def translate(self, text: str) -> str:
        """Chinese terms -> the plan's English words via the glossary (longest match first)."""
        out: list[str] = []
        rest = text
        for key in self._glossary_keys:
            if key in rest:
                out.append(self.glossary[key])
                rest = rest.replace(key, " ")
        return " ".join(out)

    def _topic(self, q: Query) -> Retrieval:
        hits = self._topic_hits(q, list(self.plan.measures))
        if not hits:
            return Retrieval(Route.TOPIC, abstain=Abstain.OUT_OF_SCOPE, topic=q.topic, scores=self._last_scores)
        return Retrieval(Route.TOPIC, hits=hits, topic=q.topic, scores=self._last_scores)

    def _topic_hits(self, q: Query, measures: list[Measure], text: str | None = None) -> list[Hit]:
        """Measures on the question's topic (``text`` overrides the question: the remainder after an agency)."""
        text = text or q.corrected
        zh = q.language == "zh"
        if zh:
            text = f"{self.translate(q.text)} {' '.join(w for w in words(q.text))}".strip()
        scored = self.score(text, measures, multilingual=q.text if zh else None)
        self._last_scored = scored
        self._last_scores = [self._evidence(s) for s in scored[:8]]
        if not zh and not self._covered(q, scored):
            return []
        keep = cut(scored, self.calibration)
        kept = {n for n, _ in keep}
        if keep and SET_QUESTION.search(q.text) and len(self._specific(q)) <= 3:  # all measures literally on it
            keep += [(m.number, 0.0) for m in measures if m.number not in kept and self._literal(m.number, q)]
        return [Hit(self.plan.measure(n), round(s, 4), Route.TOPIC) for n, s in keep]

    def _covered(self, q: Query, scored: list[Scored]) -> bool:
        """False when the question's own words are not the plan's (a topic the plan never mentions)
        and no measure is close in meaning either: "cryptocurrency regulation" shares only "regulation"."""
        content = [w for w in q.topic.split() if len(w) > 2]
        unknown = [w for w in content if stem(w) not in self.plan_terms]
        if not unknown:
            return True
        best_dense = max((s.dense for s in scored), default=0.0)
        return bool(self._specific(q)) and best_dense >= self.calibration.unknown_dense_floor

    @staticmethod
    def _evidence(s: Scored) -> dict:
        return {"measure": s.number, "dense": round(s.dense, 4), "bm25": round(s.bm25, 4), "rrf": round(s.rrf, 5)}

    def score(self, query: str, measures: list[Measure], multilingual: str | None = None) -> list[Scored]:
        """Dense and lexical evidence for ``measures``, best first by reciprocal-rank fusion."""
        q_terms = terms(query)
        numbers = {m.number for m in measures}
        bm25_all = self._bm25.get_scores(q_terms) if q_terms else [0.0] * len(self.plan.measures)
        top_bm25 = max(max(bm25_all), 1e-9)  # normalised over the whole plan, not the subset
        bm25 = {n: float(bm25_all[n - 1] / top_bm25) for n in numbers}
        dense = self._dense(query, numbers)
        if multilingual:
            e5 = self._multilingual(multilingual, numbers)
            dense = {n: max(dense.get(n, 0.0), e5.get(n, 0.0)) for n in numbers}
        rank_b = {n: i for i, n in enumerate(sorted(numbers, key=lambda n: -bm25[n]))}
        rank_d = {n: i for i, n in enumerate(sorted(numbers, key=lambda n: -dense.get(n, 0.0)))}
        rows = [
            Scored(n, dense.get(n, 0.0), bm25[n], 1 / (RRF_K + rank_b[n]) + 1 / (RRF_K + rank_d[n])) for n in numbers
        ]
        return sorted(rows, key=lambda r: -r.rrf)

    def _dense(self, query: str, numbers: set[int]) -> dict[int, float]:
        """Best cosine per measure over its own document and its expansion documents.

        The vectors come from the Chroma collection once (a few hundred for a plan); scoring one query
        against all of them in numpy takes microseconds, where a Chroma query for every document took
        15-20 ms."""
        if self.vectorstore is None or not query.strip():
            return {}
        import numpy as np

        matrix, owners = self._vectors
        q = np.asarray(self.vectorstore.embeddings.embed_query(query), dtype="float32")
        sims = matrix @ (q / (np.linalg.norm(q) or 1.0))
        best = np.full(len(self.plan.measures) + 1, -1.0, dtype="float32")
        np.maximum.at(best, owners, sims)
        return {n: float(best[n]) for n in numbers}

    @cached_property
    def _vectors(self):
        """(unit vectors, owning measure number) of every measure and expansion document in Chroma."""
        import numpy as np

        got = self.vectorstore.get(
            where={"kind": {"$in": ["measure", "expansion"]}}, include=["embeddings", "metadatas"]
        )
        matrix = np.asarray(got["embeddings"], dtype="float32")
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True).clip(min=1e-9)
        return matrix, np.asarray([m["number"] for m in got["metadatas"]], dtype="int64")

    def _multilingual(self, question: str, numbers: set[int]) -> dict[int, float]:
        """multilingual-e5 cosine between a (Chinese) question and each measure, rescaled to MiniLM's range."""
        from assistant.multilingual import Multilingual

        if self._e5 is None:
            self._e5 = Multilingual([m.text for m in self.plan.measures])
        sims = self._e5.similarities(question)
        return {n: sims[n - 1] for n in numbers}

    # ------------------------------------------------------------ filters

    def _apply_filters(self, result: Retrieval, filters: dict) -> Retrieval:
        """Restrict hits to a section and/or agency chosen in the UI."""
        section, agency = filters.get("section"), filters.get("agency")
        if not result.hits or not (section or agency) or result.abstain:
            return result
        hits = result.hits
        if section:
            hits = [h for h in hits if h.measure.section == section]
        if agency:
            hits = [h for h in hits if agency in h.measure.agencies]
        if not hits:
            return Retrieval(result.route, abstain=Abstain.FILTERED, question=result.question, agencies=result.agencies)
        result.hits = hits
        return result
