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
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from assistant.cosine import cosines, unit_rows
from assistant.text import stem, terms, words
from assistant.understand.facts import Circular
from index.clauses import opening_verbs
from index.parse import Plan
from index.schemas import load_calibration

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
RRF_K = 60
# Within a set other constraints left, a measure whose text has this share of the topic (by rarity) is on it
NARROW_COVERAGE = 0.6
# A short topic that is mostly specific words ("genetic resources", "damages for infringement"): every
# measure whose own text uses each of them, scoring at least this share of the best, is on it (swept on dev)
LITERAL_TERMS = 2
LITERAL_RATIO = 0.5
# A name the plan's text gives in Title Case ("the Patent Law", "Strike of the Sword"): two Title-case words
# joined by a few connectives. A question that uses one, and no topic word its measures lack, is about the
# measures that name it, when there are at most NAMED_MAX of them.
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:(?:\s+(?:of|and|for|on|the|in|to|over|from|with|&)){0,2}\s+[A-Z][\w'’-]*)+")
NAMED_MAX = 3
# A topic that lists several things ("folklore protection, new plant varieties and geographical indications")
# is about each of them: each item adds the measures of its own cut-off that use its words in a row.
_COORDINATOR = re.compile(r"\s*(?:[,;/]|\s&\s|\b(?:and|or|plus|incl|including|as well as|along with)\b\.?)\s*", re.I)
# A piece's asking words, and all before them, are no part of what it names ("which measures concern ...")
_ASKING = re.compile(r"^.*\b(?:what|which|how|who|where|when|why|anything|is there|are there)\b", re.I | re.S)
# An item needs a specific word in at most this share of the measures ("rights" alone is in a fifth)
ITEM_DF = 0.15
# An item's words may have this many other words between them in the measure's text
PHRASE_GAP = 1
_ASIDE = re.compile(r"\(([^()]*)\)|\s[-–—]\s+([^()]*?)(?=$|\s[-–—]\s)|—([^()]*?)(?=$|—)")
# What a piece is about follows its last "on"/"about" ("everything on technology transfer")
_ABOUT = re.compile(r"^.*\b(?:on|about|regarding|concerning)\s+", re.I | re.S)


def _same_root(a: str, b: str) -> bool:
    """Two stems of one root: equal, or one a prefix of the other, both of 5+ letters (Snowball gives
    "regist" for "registering" but "registr" for "registration")."""
    return a == b or (len(a) >= 5 and len(b) >= 5 and (a.startswith(b) or b.startswith(a)))


@dataclass(frozen=True)
class Calibration:
    """Topic cut-off parameters, fitted on the dev split by ``python -m eval calibrate``."""

    alpha: float = 0.6  # weight of dense similarity vs. normalised BM25 in the relevance score
    floor: float = 0.45  # the best hit must reach this, else out of scope ...
    dense_floor: float = 0.6  # ... unless its dense similarity alone is this strong
    unknown_dense_floor: float = 0.5  # a question with words the plan never uses needs this much dense evidence
    # A Chinese question whose glossary terms are none of them a specific plan word (only "protection", "IP")
    # needs this much (multilingual) dense evidence. On dev, such near misses reach 0.71 at most.
    zh_unknown_dense_floor: float = 0.78
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
    clause_weight: float = 1.0  # a clause's evidence counts this much beside the whole measure's (fitted on dev)
    # A topic needs one measure whose words (text, paraphrases, expansions) hold this share of its specific
    # words, by rarity, unless some measure is close in meaning (dense_floor): "open source software
    # licences" uses plan words, but no measure has most of them. Swept on dev (0.4-0.7).
    topic_coverage: float = 0.6
    # A question the topic finds nothing for is a header fact when this close in meaning to a field's own
    # words (facts.MEANINGS). On dev: the closest of 270 topic questions and near misses is 0.634.
    fact_threshold: float = 0.65

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
    clause: int | None = None  # the best clause (0-based), when its evidence beat the whole measure's
    clause_text: str = ""

    def relevance(self, alpha: float) -> float:
        return alpha * self.dense + (1 - alpha) * self.bm25

    def evidence(self) -> dict:
        out = {"measure": self.number, "dense": round(self.dense, 4), "bm25": round(self.bm25, 4)}
        out["rrf"] = round(self.rrf, 5)
        if self.clause is not None:
            out.update(clause=self.clause, clause_text=self.clause_text)
        return out


@dataclass
class TopicResult:
    """What the scorer found for a topic within a set of measures."""

    numbers: list[int] = field(default_factory=list)  # the answer, best first
    scores: dict[int, float] = field(default_factory=dict)
    real: bool = True  # the words form a topic (not filler after an agency)
    elsewhere: list[int] = field(default_factory=list)  # measures on the topic outside the set (pointers)
    evidence: list[dict] = field(default_factory=list)  # the top scores behind the decision (explain)
    reason: str = ""  # why nothing was kept
    named: list[str] = field(default_factory=list)  # names of the plan the question used, which decided the set
    items: list[str] = field(default_factory=list)  # the things a listing topic named, each adding its measures


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
        self,
        plan: Plan,
        expansions: dict[int, dict],
        calibration: Calibration,
        vectorstore=None,
        glossary=None,
        clause_expansions: dict | None = None,
    ):
        from rank_bm25 import BM25Okapi

        from index.chunk import clause_texts

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
        # Clauses: a clause's own words with its plain-language paraphrases and keywords, one BM25 document
        grouped: dict[tuple[int, int], list[str]] = {}
        self.clause_text: dict[tuple[int, int], str] = {}
        for number, clause, kind, text in clause_texts(plan, clause_expansions or {}):
            if kind == "clause_informal":  # informal words count in meaning only: they are not the plan's words
                continue
            grouped.setdefault((number, clause), []).append(text)
            if kind == "clause":
                self.clause_text[(number, clause)] = text
        self._clause_keys = list(grouped)
        self._clause_bm25 = BM25Okapi([terms(" ".join(v)) for v in grouped.values()]) if grouped else None
        per_measure = {m.number: docs[m.number - 1] for m in plan.measures}
        for (number, _), texts in grouped.items():
            per_measure[number] += " " + " ".join(texts)
        self.docs = list(per_measure.values())  # every word the plan uses for a measure (the speller's too)
        self.plan_terms = dict(Counter(t for d in self.docs for t in set(terms(d))))
        self._doc_terms = [set(terms(d)) for d in self.docs]
        # The plan's own subject is no topic: the words of its title and of the strategy it implements
        # ("IP", "intellectual property", "national", "strategy")
        self.subject = set(terms(f"{plan.header.plan_title} {Circular.of(plan).implements}"))
        self.names = self._names()

    def _names(self) -> dict[str, frozenset[int]]:
        """The plan's own names (lower-cased, longest first) with a specific word, each with the measures
        whose text uses it:
        ``{"patent law": {28}, "strike of the sword": {31}, ...}``. A clause's opening verb is no part of a
        name ("Revise the Patent Law")."""
        found: set[str] = set()
        for m in self.plan.measures:
            verbs = opening_verbs([m.text])
            for match in _NAME.finditer(m.text):
                toks = match.group(0).split()
                if toks[0].lower() in verbs:
                    toks = toks[1:]
                    while toks and not toks[0][:1].isupper():
                        toks = toks[1:]
                titled = sum(t[:1].isupper() and not t[1:2].isupper() for t in toks)  # not acronyms ("IPR")
                if titled >= 2 and self.specific(terms(" ".join(toks))):
                    found.add(" ".join(toks).lower())
        texts = {m.number: m.text.lower() for m in self.plan.measures}
        longest_first = sorted(found, key=lambda n: (-len(n), n))  # a question's longer name wins
        return {name: frozenset(n for n, t in texts.items() if name in t) for name in longest_first}

    def named(self, question: str, topic_terms: list[str], within: set[int]) -> tuple[list[str], set[int]]:
        """The plan's names the question uses (longest first, none inside another) and the measures of
        ``within`` that use them, when every other specific topic word is one of those measures' words and
        there are at most :data:`NAMED_MAX`: "where is the Patent Law revised?" -> (["patent law"], {28})."""
        lowered = question.lower()
        used: list[str] = []
        for name in self.names:  # longest first (see _names)
            if not any(name in u for u in used) and re.search(rf"\b{re.escape(name)}\b", lowered):
                used.append(name)
        numbers = set().union(*(self.names[u] for u in used)) & within if used else set()
        if not numbers or len(numbers) > NAMED_MAX:
            return [], set()
        own = set(terms(" ".join(used)))
        rest = [t for t in self.specific(topic_terms) if t not in own]
        if any(not any(t in self._doc_terms[n - 1] for n in numbers) for t in rest):
            return [], set()
        return used, numbers

    def expansion_text(self, number: int) -> str:
        """A measure's plain-language expansions (questions and keywords) as one string."""
        e = self.expansions.get(number) or {}
        return " ".join([*e.get("questions", []), *e.get("keywords", [])])

    # ------------------------------------------------------------ decisions

    def specific(self, topic_terms: list[str]) -> list[str]:
        """Topic stems the plan uses but that are not everywhere in it (a real topic)."""
        limit = self.calibration.generic_df * len(self.plan.measures)
        return [t for t in topic_terms if 0 < self.plan_terms.get(t, 0) <= limit and t not in self.subject]

    def literal(self, number: int, topic_terms: list[str]) -> bool:
        """The measure's own text uses every specific topic stem of the question."""
        spec = self.specific(topic_terms)
        return bool(spec) and all(self._uses(number, t) for t in spec)

    def _uses(self, number: int, stem_: str) -> bool:
        """The measure's text has the stem, or a word of the same root: Snowball gives "regist" for
        "registering" but "registr" for "registration", so a shared prefix of 5+ letters counts."""
        text = self._text_terms[number - 1]
        return stem_ in text or (len(stem_) >= 5 and any(_same_root(t, stem_) for t in text))

    def _weights(self, stems: set[str]) -> dict[str, float]:
        return {t: math.log(len(self.plan.measures) / self.plan_terms[t]) for t in stems if self.plan_terms.get(t)}

    def best_coverage(self, stems: set[str]) -> float:
        """The best share, by rarity, of ``stems`` that one measure's words hold: its text, its clauses'
        paraphrases and its expansions (1.0 for no stems)."""
        weight = self._weights(stems)
        total = sum(weight.values())
        if not total:
            return 1.0
        return max((sum(w for t, w in weight.items() if t in d) / total for d in self._doc_terms), default=0.0)

    def coverage(self, number: int, stems: set[str]) -> float:
        """The share of the topic's specific stems, each weighted by how rare it is in the plan, that the
        measure's own text uses: "counterfeit and inferior commodities" on measure 43 is most of it."""
        weight = self._weights(stems)
        total = sum(weight.values())
        return sum(w for t, w in weight.items() if self._uses(number, t)) / total if total else 0.0

    def _shares(self, number: int, stems: set[str], paraphrases: bool = False) -> bool:
        """The measure's text uses a stem; with ``paraphrases``, its plain-language paraphrases count too
        ("folk" for "folklore")."""
        return any(self._uses(number, t) or (paraphrases and t in self._doc_terms[number - 1]) for t in stems)

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
               original: str = "", set_question: bool = False, items: bool = True) -> TopicResult:  # fmt: skip
        """The measures of ``within`` about the topic, as the only thing asked (see module doc). A topic
        that lists several things adds each item's measures (see :meth:`items`)."""
        result = self._search(text, topic, topic_terms, within, language, original, set_question)
        if not items or not result.numbers or language == "zh":
            return result
        parts = self.items(original or text, set(words(topic)))
        if not parts:
            return result
        added: list[int] = []
        for part in parts:  # the item's own cut-off, kept where the measure uses its words in a row
            sub = self._search(part, part, terms(part), within, language, part, set_question)
            new = [n for n in sub.numbers if n not in result.numbers and n not in added and self.phrase(n, part)]
            added += new
            result.scores.update({n: sub.scores[n] for n in new if n in sub.scores})
        if added:
            result.numbers += added
            result.items = parts
        return result

    def phrase(self, number: int, item: str) -> bool:
        """The measure's text uses the item's words in a row (function words aside, the plan's subject
        words dropped): "genetic resources" in "... protection of genetic resources, traditional ..."."""
        want = [t for t in terms(item) if t not in self.subject]
        seq = self._sequences[number - 1]
        for start, word in enumerate(seq):
            if not (want and _same_root(word, want[0])):
                continue
            at = start
            for t in want[1:]:  # each next word within PHRASE_GAP words ("traditional medicine knowledge")
                span = range(at + 1, min(at + 2 + PHRASE_GAP, len(seq)))
                at = next((j for j in span if _same_root(seq[j], t)), -1)
                if at < 0:
                    break
            else:
                return True
        return False

    @cached_property
    def _sequences(self) -> list[list[str]]:
        return [terms(m.text) for m in self.plan.measures]

    def items(self, text: str, topic_words: set[str] | None = None) -> list[str]:
        """The things a topic lists, each of two or more words with a specific plan word; nothing when it
        lists nothing. "new plant varieties and geographical indications" -> both; an aside (in brackets,
        or after a dash) lists its own things beside the sentence's. One word alone is too vague to add
        measures of its own, and in an aside it names a kind of the sentence's head ("IP laws - patent,
        trademark")."""
        parts = [_ASIDE.sub(" ", text), *(a for pair in _ASIDE.findall(text) for a in pair if a)]
        pieces = [p for part in parts for p in self._pieces(part, topic_words)]
        if len(pieces) < 2:
            return []
        limit = ITEM_DF * len(self.plan.measures)
        return [
            p for p in pieces if len(terms(p)) > 1 and any(self.plan_terms[t] <= limit for t in self.specific(terms(p)))
        ]

    @staticmethod
    def _pieces(text: str, topic_words: set[str] | None) -> list[str]:
        """The coordinated pieces of a text, with only the topic's own words of each (not "list every
        ... measure")."""
        pieces = [_ABOUT.sub("", _ASKING.sub("", p)).strip() for p in _COORDINATOR.split(text)]
        if topic_words is not None:
            pieces = [" ".join(w for w in words(p) if w in topic_words) for p in pieces]
        return [p for p in pieces if terms(p)]

    def _search(self, text: str, topic: str, topic_terms: list[str], within: set[int], language: str = "en",
                original: str = "", set_question: bool = False) -> TopicResult:  # fmt: skip
        zh = language == "zh"
        query = f"{self.translate(original)} {' '.join(words(original))}".strip() if zh else text
        parts = self.translations(original) if zh else []
        if len(parts) == 1:  # one Chinese term ("地理标志"): its plan words decide what is literally on it
            topic_terms = list(dict.fromkeys([*topic_terms, *terms(parts[0])]))
        scored = self.score(query, within, multilingual=original if zh else None)
        result = TopicResult(evidence=[s.evidence() for s in scored[:8]])
        if not zh and not self.covered(topic, topic_terms, scored):
            result.reason = "the question's words are not the plan's and no measure is close in meaning"
            return result
        best_dense = max((s.dense for s in scored), default=0.0)
        if zh and not self.specific(terms(" ".join(parts))) and best_dense < self.calibration.zh_unknown_dense_floor:
            # "知识产权保险" translates only to the plan's subject, "商业秘密保护" only to "protection"
            result.reason = "no term of the question is in the glossary as a plan topic, and no measure is close"
            return result
        spec = self.specific(topic_terms)
        coverage = self.best_coverage(set(spec))
        if not zh and coverage < self.calibration.topic_coverage and best_dense < self.calibration.dense_floor:
            result.reason = (
                f"no measure's words hold most of the topic's (best {coverage:.0%}) and none is close in meaning"
            )
            return result
        keep = cut(scored, self.calibration)
        kept = {n for n, _ in keep}
        if keep and set_question and not zh and len(spec) <= 3:  # all measures literally on it
            keep += [(n, 0.0) for n in sorted(within) if n not in kept and self.literal(n, topic_terms)]
        elif keep and spec and len(spec) <= LITERAL_TERMS and 2 * len(spec) >= len(topic_terms):
            # its specific words; for a Chinese term, every word of the glossary's phrase, the common ones too
            # ("专利代理机构" is "patent agencies", not every agency)
            content = [t for t in topic_terms if t not in self.subject] if zh else spec
            best = max(s.relevance(self.calibration.alpha) for s in scored)
            keep += [
                (s.number, s.relevance(self.calibration.alpha))
                for s in scored
                if s.number not in kept
                and s.relevance(self.calibration.alpha) >= LITERAL_RATIO * best
                and all(self._uses(s.number, t) for t in content)
            ]
        if keep and not zh:
            used, numbers = self.named(original or text, topic_terms, within)
            if numbers:  # the measures that use a name the question used, in the cut-off's order
                rank = {s.number: s.relevance(self.calibration.alpha) for s in scored}
                keep = sorted(((n, rank.get(n, 0.0)) for n in numbers), key=lambda x: (-x[1], x[0]))
                result.named = used
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
        numbers = {n for n, _ in cut(scored, self.calibration)} | {n for n in within if self._shares(n, spec)}
        return TopicResult(
            numbers=sorted(numbers),
            evidence=[s.evidence() for s in scored[:8]],
            reason="" if numbers else "none of the previous answer's measures concern it",
        )

    def narrow(self, topic: str, topic_terms: list[str], within: set[int], strict: bool = False) -> TopicResult:
        """The measures of ``within`` about the remainder ``topic`` (see module doc). ``strict`` (a yes/no
        question: "does X do anything on Y?") makes the remainder a topic even when the evidence is weak,
        so an unclear one gives "no" rather than all of X's measures."""
        cal = self.calibration
        all_numbers = {m.number for m in self.plan.measures}
        spec = set(self.specific(topic_terms))
        if not spec and not strict:
            return TopicResult(numbers=sorted(within), real=False, reason="no specific plan word in the remainder")
        scored = self.score(topic, all_numbers)
        used, named = self.named(topic, topic_terms, all_numbers)
        if used:  # a name of the plan ("the Trademark Law") decides: the set's measures that use it, else pointers
            mine = [s for s in scored if s.number in within]
            result = TopicResult(evidence=[s.evidence() for s in mine[:8]], named=used)
            result.numbers = sorted(named & within)
            result.scores = {s.number: round(s.relevance(cal.alpha), 4) for s in mine if s.number in named}
            if not result.numbers:
                result.elsewhere = sorted(named)
                result.reason = f"none of these measures name “{used[0]}”"
            return result
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
            if (s.relevance(cal.alpha) >= cal.floor and self._shares(s.number, spec, paraphrases=True))
            or self.literal(s.number, topic_terms)
        ]
        result = TopicResult(evidence=[s.evidence() for s in mine[:8]], real=confident)
        if keep and confident:
            best = max(s.relevance(cal.alpha) for s in keep)
            numbers = {
                s.number
                for s in keep
                if s.relevance(cal.alpha) >= cal.ratio * best
                or self.literal(s.number, topic_terms)
                or self.coverage(s.number, spec) >= NARROW_COVERAGE
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
        if strict:
            result.reason = "no measure, of these or of the plan, is about it"
            return result
        result.real = False
        result.numbers = sorted(within)  # an unclear remainder keeps the whole set
        result.reason = "the remainder is not a topic in meaning: the whole set is kept"
        return result

    # ------------------------------------------------------------ scores

    def translate(self, text: str) -> str:
        """Chinese terms -> the plan's English words via the glossary (longest match first)."""
        return " ".join(self.translations(text))

    def translations(self, text: str) -> list[str]:
        """The glossary's English for each Chinese term of ``text``, longest match first."""
        out: list[str] = []
        rest = text
        for key in self._glossary_keys:
            if key in rest:
                out.append(self.glossary[key])
                rest = rest.replace(key, " ")
        return out

    def score(self, query: str, numbers: set[int], multilingual: str | None = None) -> list[Scored]:
        """Dense and lexical evidence for ``numbers``, best first by reciprocal-rank fusion. Each is the
        best of the whole measure (with its expansions) and of its best clause (with its paraphrases)."""
        q_terms = terms(query)
        bm25_all = self._bm25.get_scores(q_terms) if q_terms else [0.0] * len(self.plan.measures)
        top_bm25 = max(max(bm25_all), 1e-9)  # normalised over the whole plan, not the subset
        bm25 = {n: float(bm25_all[n - 1] / top_bm25) for n in numbers}
        dense, clause_dense = self._dense(query, numbers)
        if multilingual:
            e5 = self._multilingual(multilingual, numbers)
            dense = {n: max(dense.get(n, 0.0), e5.get(n, 0.0)) for n in numbers}
        clause_bm25 = self._clause_lexical(q_terms)
        best_clause: dict[int, tuple[float, int]] = {}
        alpha = self.calibration.alpha
        for key in self._clause_keys:
            n = key[0]
            if n not in numbers:
                continue
            rel = alpha * clause_dense.get(key, 0.0) + (1 - alpha) * clause_bm25.get(key, 0.0)
            if n not in best_clause or rel > best_clause[n][0]:
                best_clause[n] = (rel, key[1])
        winner: dict[int, int] = {}
        for n, (rel, c) in best_clause.items():
            d, b = clause_dense.get((n, c), 0.0), clause_bm25.get((n, c), 0.0)
            if rel > alpha * dense.get(n, 0.0) + (1 - alpha) * bm25[n]:
                winner[n] = c
            dense[n] = max(dense.get(n, 0.0), d * self.calibration.clause_weight)
            bm25[n] = max(bm25[n], b * self.calibration.clause_weight)
        rank_b = {n: i for i, n in enumerate(sorted(numbers, key=lambda n: (-bm25[n], n)))}
        rank_d = {n: i for i, n in enumerate(sorted(numbers, key=lambda n: (-dense.get(n, 0.0), n)))}
        rows = [
            Scored(
                n,
                dense.get(n, 0.0),
                bm25[n],
                1 / (RRF_K + rank_b[n]) + 1 / (RRF_K + rank_d[n]),
                winner.get(n),
                self.clause_text.get((n, winner[n]), "") if n in winner else "",
            )
            for n in numbers
        ]
        return sorted(rows, key=lambda r: (-r.rrf, r.number))

    def _dense(self, query: str, numbers: set[int]) -> tuple[dict[int, float], dict[tuple[int, int], float]]:
        """Best cosine per measure over its own document and its expansion documents, and per clause
        over the clause and its paraphrases: ``({measure: cos}, {(measure, clause): cos})``.

        The vectors come from the Chroma collection once (a few hundred for a plan); scoring one query
        against all of them in numpy takes microseconds, where a Chroma query per document took 15-20 ms."""
        if self.vectorstore is None or not query.strip():
            return {}, {}
        import numpy as np

        matrix, owners, clauses = self._vectors
        sims = cosines(matrix, self.vectorstore.embeddings.embed_query(query))
        whole = clauses < 0
        best = np.full(len(self.plan.measures) + 1, -1.0, dtype="float32")
        np.maximum.at(best, owners[whole], sims[whole])
        per_clause: dict[tuple[int, int], float] = {}
        for n, c, s in zip(owners[~whole].tolist(), clauses[~whole].tolist(), sims[~whole].tolist(), strict=True):
            if n in numbers and s > per_clause.get((n, c), -1.0):
                per_clause[(n, c)] = s
        return {n: float(best[n]) for n in numbers}, per_clause

    def _clause_lexical(self, q_terms: list[str]) -> dict[tuple[int, int], float]:
        """BM25 per clause (its words and paraphrases), normalised to the best clause of the plan."""
        if self._clause_bm25 is None or not q_terms:
            return {}
        scores = self._clause_bm25.get_scores(q_terms)
        top = max(max(scores), 1e-9)
        return {k: float(s / top) for k, s in zip(self._clause_keys, scores, strict=True)}

    @cached_property
    def _vectors(self):
        """(unit vectors, owning measure, clause or -1) of every measure, expansion, clause and clause
        paraphrase document in Chroma (read once; see :meth:`_dense`)."""
        import numpy as np

        kinds = ["measure", "expansion", "clause", "clause_expansion", "clause_informal"]
        got = self.vectorstore.get(where={"kind": {"$in": kinds}}, include=["embeddings", "metadatas"])
        matrix = unit_rows(got["embeddings"])
        metas = got["metadatas"]
        owners = np.asarray([m["number"] for m in metas], dtype="int64")
        clauses = np.asarray(
            [m.get("clause", -1) if m["kind"].startswith("clause") else -1 for m in metas], dtype="int64"
        )
        return matrix, owners, clauses

    @cached_property
    def _e5(self):
        from assistant.multilingual import Multilingual

        return Multilingual([m.text for m in self.plan.measures])

    def _multilingual(self, question: str, numbers: set[int]) -> dict[int, float]:
        """multilingual-e5 cosine between a (Chinese) question and each measure, rescaled to MiniLM's range."""
        sims = self._e5.similarities(question)
        return {n: sims[n - 1] for n in numbers}
