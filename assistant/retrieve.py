"""Retrieve stage: route a question and decide the exact answer set (never a fixed k).

Routes, tried in order:
  empty -> injection -> lookup ("measure 47", "#47", "措施47") -> document (date, number, sections)
  -> agency (registry aliases, typos; two agencies = intersection; + topic = narrowed)
  -> unknown agency / other year -> topic (BM25 + Chroma dense, RRF order, calibrated cut-off)
  -> out of scope.
Follow-ups are rewritten deterministically from the chat history before routing.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.agencies import Registry
from index.build import build, load_embeddings, open_client
from index.config import Settings
from index.parse import Measure, Plan, Section

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Hit:
    """One retrieved measure, with the route that produced it and the agency's role in it."""

    measure: Measure
    score: float
    route: str
    role: str = ""  # "lead" | "co-responsible" for agency routes


@dataclass
class Retrieval:
    """The routing decision: which measures answer the question, or why none do."""

    route: str
    hits: list[Hit] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    abstain: str | None = None  # why the plan does not cover the question (a reason code)
    detail: str = ""  # what the abstention message names: out-of-range numbers, another year
    sections: list[Section] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # document-route answer lines, quoted from the plan
    topic: str = ""
    question: str = ""  # after follow-up rewriting
    seconds: float = 0.0

    @property
    def numbers(self) -> list[int]:
        return [h.measure.number for h in self.hits]


@dataclass(frozen=True)
class Calibration:
    """Topic cut-off parameters, fitted on the eval set by ``python -m eval calibrate``."""

    alpha: float = 0.6  # weight of dense similarity vs. normalised BM25 in the relevance score
    floor: float = 0.45  # top hit must reach this, else out of scope
    ratio: float = 0.8  # keep hits scoring at least ratio * top
    group_ratio: float = 0.8  # the same for questions asking for several measures ("Which measures ...")
    max_hits: int = 12

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        if path.exists():
            data = json.loads(path.read_text())
            return cls(**{k: data[k] for k in ("alpha", "floor", "ratio", "group_ratio", "max_hits") if k in data})
        return cls()

    def for_question(self, question: str) -> Calibration:
        """Group questions keep a wider band below the best hit."""
        if GROUP_QUESTION.search(question):
            return Calibration(self.alpha, self.floor, self.group_ratio, self.group_ratio, self.max_hits)
        return self


# ---------------------------------------------------------------- text helpers

_STOP_WORDS = """
a an the and or of to in on for by with from at as is are was were be been being do does did done
what which who whom whose when where why how must should shall will would can could may might
measure measures item items plan plans say says said tell me about please list show give all any
their its it this that these those there they them he she we you i our your my mine responsible
responsibility responsibilities task tasks job jobs role roles involved involve involves assigned
assign work working concern concerns concerning related relate relates regarding and also too else
other others together jointly both each either neither only just what's ministry department
administration office commission agency agencies have has had having under duty duties handle
handles handling need needs needed required require requires expected supposed charge undertake
undertakes carry carries out part play plays doing get gets got so then now know want like see find
mention mentions mentioned name names named
"""
STOP = frozenset(_STOP_WORDS.split())  # function words and words every question about the plan uses
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def stem(word: str) -> str:
    """Tiny suffix stripper: courts->court, trials->trial, registering->register."""
    word = word.removesuffix("'s")
    for suffix, repl in (("ies", "y"), ("ing", ""), ("es", "e"), ("s", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + repl
    return word


def terms(text: str) -> list[str]:
    """Content-word stems of a text."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOP and len(w) > 1]


# ---------------------------------------------------------------- patterns

_NUM = r"(\d{1,4})"
_LOOKUP = re.compile(
    rf"(?:\bmeasures?\s*(?:no\.?|number|#)?\s*|\bitems?\s*|#\s*|措施\s*|第\s*){_NUM}"
    rf"((?:\s*(?:,|and|&|or|to|through|-|–|和|、|至)\s*{_NUM})*)",
    re.I,
)
_RANGE = re.compile(r"(\d{1,4})\s*(?:to|through|-|–|至)\s*(\d{1,4})")
_INJECTION = re.compile(
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier|your)|disregard (?:the |all |your )?"
    r"(?:previous|prior|above|instructions)|system prompt|you are now|pretend (?:to be|you)|jailbreak|"
    r"developer mode|new instructions|act as (?:a|an)\b|forget (?:everything|your|all)|"
    r"reveal (?:your|the) (?:prompt|instructions)|<\s*/?\s*(?:system|instructions?)\s*>",
    re.I,
)
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
_LEAD = re.compile(
    r"\b(?:lead|leads|leading|led|in charge|primarily responsible|main responsib\w*|first[- ]listed)\b", re.I
)
_FOLLOWUP = re.compile(
    r"^\s*(?:and|also|what about|how about|and what about|same for|what of)\b|\b(?:it|its|this|that|those|these|them|"
    r"the same|this measure|that measure|those measures|these measures|of those|of them)\b",
    re.I,
)
GROUP_QUESTION = re.compile(
    r"\bmeasures\b|\bwhich ones\b|\ball (?:the )?(?:measures|items)\b|\bwhat does the plan say about\b", re.I
)
_SECTION_REF = re.compile(r"\bsection\s+([IVX]+|\d)\b", re.I)
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]


RRF_K = 60


@dataclass(frozen=True)
class Scored:
    """Evidence for one measure: dense cosine, BM25 normalised to the plan's best, RRF score."""

    number: int
    dense: float
    bm25: float
    rrf: float

    def relevance(self, alpha: float) -> float:
        return alpha * self.dense + (1 - alpha) * self.bm25


def cut(scored: list[Scored], cal: Calibration, floor: float | None = None) -> list[tuple[int, float]]:
    """Relevance cut-off (not a fixed k): nothing if the best is below the floor, else every measure
    within ``ratio`` of the best, in RRF order.

    relevance = alpha * dense + (1 - alpha) * bm25; e.g. best 0.8, ratio 0.8 -> keep relevance >= 0.64.
    """
    if not scored:
        return []
    floor = cal.floor if floor is None else floor
    best = max(s.relevance(cal.alpha) for s in scored)
    if best < floor or math.isnan(best):
        return []
    keep = [(s.number, s.relevance(cal.alpha)) for s in scored if s.relevance(cal.alpha) >= cal.ratio * best]
    return keep[: cal.max_hits]


class Retriever:
    """Routes questions over a parsed plan and its Chroma index."""

    def __init__(self, settings: Settings, plan: Plan, registry: Registry, vectorstore=None, calibration=None):
        self.settings = settings
        self.plan = plan
        self.registry = registry
        self.calibration = calibration or Calibration.load()
        self.vectorstore = vectorstore
        from rank_bm25 import BM25Okapi

        self._bm25_docs = [terms(f"{m.text} {m.section_title} {' '.join(m.agencies)}") for m in plan.measures]
        self._bm25 = BM25Okapi(self._bm25_docs)
        self._text_terms = [set(terms(m.text)) for m in plan.measures]

    @classmethod
    def open(cls, settings: Settings, quiet: bool = True) -> Retriever:
        """Build the index if needed (progress on stderr), then connect to it."""
        from langchain_chroma import Chroma

        result = build(settings, quiet=quiet)
        plan, registry = result.plan, result.registry
        store = Chroma(
            client=open_client(settings, quiet=quiet),
            collection_name=settings.collection,
            embedding_function=load_embeddings(settings.embed_model),
        )
        return cls(settings, plan, registry, store)

    # ------------------------------------------------------------ entry point

    def retrieve(self, question: str, history: list[dict] | None = None, filters: dict | None = None) -> Retrieval:
        """Route ``question`` (with optional chat ``history`` and agency/section ``filters``)."""
        t0 = time.perf_counter()
        result = self._route(question.strip(), history or [], filters or {})
        result.seconds = time.perf_counter() - t0
        return result

    def _route(self, question: str, history: list[dict], filters: dict) -> Retrieval:
        if not question:
            return Retrieval("empty", question=question)
        if _INJECTION.search(question):
            return Retrieval("injection", abstain="injection", question=question)
        question = self._rewrite_followup(question, history)
        if not terms(question) and not re.search(r"[\u4e00-\u9fff\d]", question):
            return Retrieval("empty", question=question)
        if result := self._lookup(question):
            return self._apply_filters(result, filters)
        if result := self._document(question):
            return result
        mentions = self.registry.find(question)
        if filters.get("agency") and not mentions:
            mentions = self.registry.find(filters["agency"])
        if mentions:
            return self._apply_filters(self._agency(question, [m.agency for m in mentions], mentions), filters)
        if unknown := self.registry.unknown_bodies(question):
            return Retrieval("unknown_agency", abstain="unknown_agency", agencies=unknown, question=question)
        years = [y for y in _YEAR.findall(question) if y != "2012"]
        if years:
            return Retrieval("other_year", abstain="other_year", detail=years[0], question=question)
        return self._apply_filters(self._topic(question), filters)

    # ------------------------------------------------------------ follow-ups

    def _rewrite_followup(self, question: str, history: list[dict]) -> str:
        """Make a follow-up self-contained from the last user turn that named measures or agencies.

        "Which section is it in?" after "What does measure 47 say?" -> "Which section is it in? (measure 47)".
        A follow-up that names its own agency or measure ("And what about the Ministry of Culture?")
        needs no context and is left alone.
        """
        if not history or _LOOKUP.search(question) or self.registry.find(question, fuzzy=False):
            return question
        if self.registry.unknown_bodies(question):  # "What about the Ministry of Tourism?" is its own question
            return question
        if not _FOLLOWUP.search(question):
            return question
        for turn in reversed(history):
            content = turn.get("content") or ""
            if not isinstance(content, str):
                continue
            if turn.get("role") == "user":
                if m := _LOOKUP.search(content):
                    return f"{question} ({m.group(0)})"
                if mentions := self.registry.find(content):
                    return f"{question} ({' and '.join(x.agency for x in mentions)})"
            elif turn.get("role") == "assistant":
                cited = list(dict.fromkeys(int(n) for n in re.findall(r"\[(\d{1,2})\]", content)))
                if 0 < len(cited) <= 10:
                    return f"{question} (measures {', '.join(map(str, cited))})"
        return question

    # ------------------------------------------------------------ routes

    def _lookup(self, question: str) -> Retrieval | None:
        numbers: list[int] = []
        for m in _LOOKUP.finditer(question):
            span = m.group(0)
            for a, b in _RANGE.findall(span):
                numbers.extend(range(int(a), int(b) + 1) if int(b) - int(a) < 90 else [int(a), int(b)])
            numbers.extend(int(n) for n in re.findall(r"\d{1,4}", span))
        if not numbers:
            return None
        numbers = list(dict.fromkeys(numbers))
        bad = [n for n in numbers if not 1 <= n <= len(self.plan.measures)]
        if bad:
            return Retrieval("lookup", abstain="out_of_range", detail=", ".join(map(str, bad)), question=question)
        hits = [Hit(self.plan.measure(n), 1.0, "lookup") for n in numbers]
        return Retrieval("lookup", hits=hits, question=question)

    def _document(self, question: str) -> Retrieval | None:
        q = question.lower()
        h, plan = self.plan.header, self.plan
        facts: list[str] = []
        sections: list[Section] = []
        if m := _SECTION_REF.search(question):
            ref = m.group(1).upper()
            numeral = _ROMAN[int(ref) - 1] if ref.isdigit() and 0 < int(ref) <= len(_ROMAN) else ref
            if any(s.numeral == numeral for s in plan.sections) and not re.search(r"\bmeasures?\b", q):
                sections = [plan.section(numeral)]
        elif re.search(r"\bobjectives?\b|\bgoals?\b", q) and not self.registry.find(question):
            titles = [s for s in plan.sections if set(terms(s.title)) & set(terms(question))]
            sections = titles if len(titles) == 1 else []
        if re.search(r"\b(?:date|dated|when)\b|什么时候|日期", q) and re.search(
            r"\b(?:plan|circular|issued|document)\b", q
        ):
            facts.append(f"The circular is dated {h.date}.")
        if re.search(
            r"document number|doc(?:ument)?\.? no|reference number|文号|circular number|number of the circular", q
        ):
            facts.append(f"The circular's document number is {h.document_number}.")
        if re.search(r"how many (?:specific )?measures|number of measures|how many items", q):
            facts.append(f"The plan has {len(plan.measures)} numbered measures in {len(plan.sections)} sections.")
        if (
            re.search(
                r"how many sections|what are the (?:\w+ )?sections|list (?:the|all) sections|which sections does", q
            )
            and not sections
        ):
            facts.append(f"The plan has {len(plan.sections)} sections:")
            facts.extend(f"{s.numeral}. {s.title} (measures {s.measures[0]}–{s.measures[-1]})" for s in plan.sections)
        if re.search(
            r"addressed|addressees|sent to|distributed to|which agencies (?:receive|got)|how many agencies", q
        ):
            facts.append(f"The circular is addressed to {len(h.addressees)} agencies: {', '.join(h.addressees)}.")
        if re.search(r"\btitle\b|\bcalled\b|what is (?:this|the) (?:plan|document)\b|\bwhat plan\b", q):
            facts.append(f"The document is the “{h.title}”; the plan is the “{h.plan_title}”.")
        if re.search(r"\bprinciple\b|\bpurpose\b|\baim of the plan\b", q):
            facts.append(h.preamble)
        if not facts and not sections:
            return None
        return Retrieval("document", facts=facts, sections=sections, question=question)

    def _agency(self, question: str, agencies: list[str], mentions) -> Retrieval:
        chosen = [m for m in self.plan.measures if all(a in m.agencies for a in agencies)]
        lead_only = bool(_LEAD.search(question)) and len(agencies) == 1
        if lead_only:
            chosen = [m for m in chosen if m.lead_agency == agencies[0]]
        if not chosen:
            reason = "no_joint" if len(agencies) > 1 else "no_lead"
            return Retrieval("agency", abstain=reason, agencies=agencies, question=question)
        route = "joint" if len(agencies) > 1 else ("lead" if lead_only else "agency")
        hits = [Hit(m, 1.0, route, "lead" if m.lead_agency == agencies[0] else "co-responsible") for m in chosen]
        topic = self._topic_words(question, mentions)
        if topic and len(hits) > 1:
            narrowed = self._narrow(topic, hits)
            if not narrowed:
                return Retrieval("agency_topic", abstain="no_topic", agencies=agencies, topic=topic, hits=hits)
            return Retrieval("agency_topic", hits=narrowed, agencies=agencies, topic=topic, question=question)
        return Retrieval(route, hits=hits, agencies=agencies, question=question)

    def _topic_words(self, question: str, mentions) -> str:
        """What is left of the question once agency mentions and function words are removed."""
        rest = question
        for m in sorted(mentions, key=lambda m: -len(m.text)):
            rest = re.sub(re.escape(m.text), " ", rest, flags=re.I)
        rest = _LEAD.sub(" ", rest)
        rest = re.sub(r"\([^)]*\)$", " ", rest)  # follow-up context we appended
        words = [w for w in _WORD.findall(rest.lower()) if w not in STOP and len(w) > 2 and not w.isdigit()]
        # A misspelt part of the agency's own name ("Genral Administration of Customs") is not a topic.
        name_words = {w for m in mentions for w in _WORD.findall(m.agency.lower()) if len(w) > 3}
        words = [w for w in words if not difflib.get_close_matches(w, name_words, n=1, cutoff=0.8)]
        return " ".join(words)

    def _narrow(self, topic: str, hits: list[Hit]) -> list[Hit]:
        """Keep an agency's measures that are about ``topic`` (same scoring as the topic route)."""
        keep = cut(
            self.score(topic, [h.measure for h in hits]),
            self.calibration.for_question(topic),
            self.calibration.floor * 0.9,
        )
        by_number = {h.measure.number: h for h in hits}
        return [by_number[n] for n in sorted(n for n, _ in keep)]

    def _topic(self, question: str) -> Retrieval:
        keep = cut(self.score(question, list(self.plan.measures)), self.calibration.for_question(question))
        if not keep:
            return Retrieval("topic", abstain="out_of_scope", question=question)
        if GROUP_QUESTION.search(question):  # "Which measures are about copyright?" wants every such measure
            kept = {n for n, _ in keep}
            keep += [(n, 0.0) for n in self._literal_matches(question) if n not in kept]
        hits = [Hit(self.plan.measure(n), round(s, 4), "topic") for n, s in keep]
        return Retrieval("topic", hits=hits, question=question)

    def _literal_matches(self, question: str) -> list[int]:
        """Measures whose own text contains every content term of the question (1-4 terms)."""
        wanted = set(terms(question))
        if not 1 <= len(wanted) <= 4:
            return []
        return [m.number for m, have in zip(self.plan.measures, self._text_terms, strict=True) if wanted <= have]

    # ------------------------------------------------------------ scoring

    def score(self, query: str, measures: list[Measure]) -> list[Scored]:
        """Dense and lexical evidence for ``measures``, best first by reciprocal-rank fusion."""
        q_terms = terms(query)
        numbers = {m.number for m in measures}
        bm25_all = self._bm25.get_scores(q_terms) if q_terms else [0.0] * len(self.plan.measures)
        top_bm25 = max(max(bm25_all), 1e-9)  # normalised over the whole plan, not the subset
        bm25 = {n: float(bm25_all[n - 1] / top_bm25) for n in numbers}
        dense = self._dense(query, numbers)
        rank_b = {n: i for i, n in enumerate(sorted(numbers, key=lambda n: -bm25[n]))}
        rank_d = {n: i for i, n in enumerate(sorted(numbers, key=lambda n: -dense.get(n, 0.0)))}
        rows = [
            Scored(n, dense.get(n, 0.0), bm25[n], 1 / (RRF_K + rank_b[n]) + 1 / (RRF_K + rank_d[n])) for n in numbers
        ]
        return sorted(rows, key=lambda r: -r.rrf)

    def _dense(self, query: str, numbers: set[int]) -> dict[int, float]:
        """Cosine similarity per measure from Chroma (all measures; the plan is small)."""
        if self.vectorstore is None:
            return {}
        docs = self.vectorstore.similarity_search_with_score(
            query, k=len(self.plan.measures), filter={"kind": "measure"}
        )
        return {d.metadata["number"]: 1.0 - dist for d, dist in docs if d.metadata["number"] in numbers}

    # ------------------------------------------------------------ filters

    def _apply_filters(self, result: Retrieval, filters: dict) -> Retrieval:
        """Restrict hits to a section and/or agency chosen in the UI."""
        section, agency = filters.get("section"), filters.get("agency")
        if not result.hits or not (section or agency):
            return result
        hits = result.hits
        if section:
            hits = [h for h in hits if h.measure.section == section]
        if agency:
            hits = [h for h in hits if agency in h.measure.agencies]
        if not hits:
            return Retrieval(result.route, abstain="filtered", question=result.question, agencies=result.agencies)
        result.hits = hits
        return result
