"""Topic scorer: which measures a topic concerns, with the evidence. Stateless: every call returns
what it found (scores, the cut-off's decision, the reason for nothing) instead of keeping it.

Evidence per measure: BM25 over Snowball stems of the measure, its section title and its
plain-language expansions; and dense similarity (MiniLM) of the question to the measure and its
expansion documents (multilingual-e5 for Chinese), fused by reciprocal rank. Two uses:

* **search** (the topic is the only thing asked): a relevance cut-off fitted on dev, nothing when the
  question's words are not the plan's and no measure is close in meaning;
* **narrow** (within a set other constraints left, e.g. an agency's measures): keep the set's measures
  about the topic when the remainder is a real topic; a real topic none of them concern gives
  pointers to the measures that do; an unclear remainder keeps the whole set.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from assistant.text import stem, terms, words
from index.parse import Measure, Plan
from index.schemas import load_calibration

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
RRF_K = 60


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
    section_theme_threshold: float = 0.45  # embedding similarity for a section named by its theme
    literal_margin: float = 0.1  # a literal match of every specific word needs this much less dense evidence

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        if path.exists():
            data = load_calibration(path, cls)  # schema-checked: an unknown key names the file and line
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

    def evidence(self) -> dict:
        return {
            "measure": self.number,
            "dense": round(self.dense, 4),
            "bm25": round(self.bm25, 4),
            "rrf": round(self.rrf, 5),
        }


@dataclass
class TopicResult:
    """What the scorer found for a topic within a set of measures."""

    numbers: list[int] = field(default_factory=list)  # the answer, best first
    scores: dict[int, float] = field(default_factory=dict)
    real: bool = True  # the words form a topic (not filler after an agency)
    elsewhere: list[int] = field(default_factory=list)  # measures on the topic outside the set (pointers)
    evidence: list[dict] = field(default_factory=list)  # the top scores behind the decision (explain)
    reason: str = ""  # why nothing was kept


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


class TopicScorer:
    """Scores topics over one plan (BM25 always; dense when an embedder and the index vectors exist)."""

    def __init__(
        self, plan: Plan, expansions: dict[int, dict], calibration: Calibration, vectorstore=None, glossary=None
    ):
        from rank_bm25 import BM25Okapi

        self.plan = plan
        self.calibration = calibration
        self.vectorstore = vectorstore
        self.expansions = expansions
        self.glossary: dict[str, str] = glossary or {}
        self._glossary_keys = sorted(self.glossary, key=len, reverse=True)
        docs = [f"{m.text} {m.section_title} {self.expansion_text(m.number)}" for m in plan.measures]
        self.docs = docs
        self._bm25 = BM25Okapi([terms(d) for d in docs])
        self._text_terms = [set(terms(m.text)) for m in plan.measures]
        self.plan_terms = dict(Counter(t for d in docs for t in set(terms(d))))

    def expansion_text(self, number: int) -> str:
        """A measure's plain-language expansions (questions and keywords) as one string."""
        e = self.expansions.get(number) or {}
        return " ".join([*e.get("questions", []), *e.get("keywords", [])])

    # ------------------------------------------------------------ decisions

    def specific(self, topic_terms: list[str]) -> list[str]:
        """Topic stems the plan uses but that are not everywhere in it (a real topic)."""
        limit = self.calibration.generic_df * len(self.plan.measures)
        return [t for t in topic_terms if 0 < self.plan_terms.get(t, 0) <= limit]

    def literal(self, number: int, topic_terms: list[str]) -> bool:
        """The measure's own text uses every specific topic stem of the question."""
        spec = self.specific(topic_terms)
        return bool(spec) and set(spec) <= self._text_terms[number - 1]

    def covered(self, topic: str, topic_terms: list[str], scored: list[Scored]) -> bool:
        """False when the question's own words are not the plan's (a topic the plan never mentions)
        and no measure is close in meaning either: "cryptocurrency regulation" shares only "regulation"."""
        content = [w for w in topic.split() if len(w) > 2]
        unknown = [w for w in content if stem(w) not in self.plan_terms]
        if not unknown:
            return True
        best_dense = max((s.dense for s in scored), default=0.0)
        return bool(self.specific(topic_terms)) and best_dense >= self.calibration.unknown_dense_floor

    def search(self, text: str, topic: str, topic_terms: list[str], within: set[int], language: str = "en",
               original: str = "", set_question: bool = False) -> TopicResult:  # fmt: skip
        """The measures of ``within`` about the topic, as the only thing asked (see module doc)."""
        zh = language == "zh"
        query = f"{self.translate(original)} {' '.join(words(original))}".strip() if zh else text
        scored = self.score(query, within, multilingual=original if zh else None)
        result = TopicResult(evidence=[s.evidence() for s in scored[:8]])
        if not zh and not self.covered(topic, topic_terms, scored):
            result.reason = "the question's words are not the plan's and no measure is close in meaning"
            return result
        keep = cut(scored, self.calibration)
        kept = {n for n, _ in keep}
        if keep and set_question and len(self.specific(topic_terms)) <= 3:  # all measures literally on it
            keep += [(n, 0.0) for n in sorted(within) if n not in kept and self.literal(n, topic_terms)]
        if not keep:
            result.reason = "no measure passes the relevance floor"
        result.numbers = [n for n, _ in keep]
        result.scores = {n: round(s, 4) for n, s in keep}
        return result

    def within_previous(self, text: str, topic_terms: list[str], within: set[int]) -> TopicResult:
        """The previous answer's measures about a topic: the cut-off within them, plus any measure
        whose own text uses a specific topic word (the set was already on a subject)."""
        scored = self.score(text, within)
        spec = set(self.specific(topic_terms))
        numbers = {n for n, _ in cut(scored, self.calibration)} | {n for n in within if spec & self._text_terms[n - 1]}
        return TopicResult(
            numbers=sorted(numbers),
            evidence=[s.evidence() for s in scored[:8]],
            reason="" if numbers else "none of the previous answer's measures concern it",
        )

    def narrow(self, topic: str, topic_terms: list[str], within: set[int]) -> TopicResult:
        """The measures of ``within`` about the remainder ``topic`` (see module doc)."""
        cal = self.calibration
        all_numbers = {m.number for m in self.plan.measures}
        spec = set(self.specific(topic_terms))
        if not spec:
            return TopicResult(numbers=sorted(within), real=False, reason="no specific plan word in the remainder")
        scored = self.score(topic, all_numbers)
        elsewhere = [n for n, _ in cut(scored, cal)]
        # A real topic: some measure is close in meaning, or uses every specific word literally and is
        # nearly as close ("rare earths": 0.49 on measure 12, which names rare earths).
        confident = bool(elsewhere) and any(
            s.dense >= cal.remainder_dense_floor
            or (s.dense >= cal.remainder_dense_floor - cal.literal_margin and self.literal(s.number, topic_terms))
            for s in scored
        )
        mine = [s for s in scored if s.number in within]
        keep = [
            s
            for s in mine
            if (s.relevance(cal.alpha) >= cal.floor and spec & self._text_terms[s.number - 1])
            or self.literal(s.number, topic_terms)
        ]
        result = TopicResult(evidence=[s.evidence() for s in mine[:8]], real=confident)
        if keep and confident:
            best = max(s.relevance(cal.alpha) for s in keep)
            numbers = {
                s.number
                for s in keep
                if s.relevance(cal.alpha) >= cal.ratio * best or self.literal(s.number, topic_terms)
            }
            result.numbers = sorted(numbers)
            result.scores = {s.number: round(s.relevance(cal.alpha), 4) for s in keep if s.number in numbers}
            return result
        inside = [n for n in elsewhere if n in within]
        if confident and inside:  # the topic's best measures are in the set, though their words differ
            result.numbers = sorted(inside)
            result.scores = {s.number: round(s.relevance(cal.alpha), 4) for s in mine if s.number in inside}
            return result
        if confident:  # a real topic none of the set concerns: point to the measures that do
            result.elsewhere = [n for n in elsewhere if n not in within][:6]
            result.reason = "a real topic, but none of these measures concern it"
            return result
        result.real = False
        result.numbers = sorted(within)  # an unclear remainder keeps the whole set
        result.reason = "the remainder is not a topic in meaning: the whole set is kept"
        return result

    # ------------------------------------------------------------ scores

    def translate(self, text: str) -> str:
        """Chinese terms -> the plan's English words via the glossary (longest match first)."""
        out: list[str] = []
        rest = text
        for key in self._glossary_keys:
            if key in rest:
                out.append(self.glossary[key])
                rest = rest.replace(key, " ")
        return " ".join(out)

    def score(self, query: str, numbers: set[int], multilingual: str | None = None) -> list[Scored]:
        """Dense and lexical evidence for ``numbers``, best first by reciprocal-rank fusion."""
        q_terms = terms(query)
        bm25_all = self._bm25.get_scores(q_terms) if q_terms else [0.0] * len(self.plan.measures)
        top_bm25 = max(max(bm25_all), 1e-9)  # normalised over the whole plan, not the subset
        bm25 = {n: float(bm25_all[n - 1] / top_bm25) for n in numbers}
        dense = self._dense(query, numbers)
        if multilingual:
            e5 = self._multilingual(multilingual, numbers)
            dense = {n: max(dense.get(n, 0.0), e5.get(n, 0.0)) for n in numbers}
        rank_b = {n: i for i, n in enumerate(sorted(numbers, key=lambda n: (-bm25[n], n)))}
        rank_d = {n: i for i, n in enumerate(sorted(numbers, key=lambda n: (-dense.get(n, 0.0), n)))}
        rows = [
            Scored(n, dense.get(n, 0.0), bm25[n], 1 / (RRF_K + rank_b[n]) + 1 / (RRF_K + rank_d[n])) for n in numbers
        ]
        return sorted(rows, key=lambda r: (-r.rrf, r.number))

    def _dense(self, query: str, numbers: set[int]) -> dict[int, float]:
        """Best cosine per measure over its own document and its expansion documents.

        The vectors come from the Chroma collection once (a few hundred for a plan); scoring one query
        against all of them in numpy takes microseconds, where a Chroma query per document took 15-20 ms."""
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

    @cached_property
    def _e5(self):
        from assistant.multilingual import Multilingual

        return Multilingual([m.text for m in self.plan.measures])

    def _multilingual(self, question: str, numbers: set[int]) -> dict[int, float]:
        """multilingual-e5 cosine between a (Chinese) question and each measure, rescaled to MiniLM's range."""
        sims = self._e5.similarities(question)
        return {n: sims[n - 1] for n in numbers}

    def measure(self, number: int) -> Measure:
        return self.plan.measure(number)
