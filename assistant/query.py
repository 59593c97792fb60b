"""Understand stage: parse a question (and the conversation so far) into a typed :class:`Query`.

Routing and answers read the ``Query``, never strings appended to the question. The parse is
built from general mechanisms, not phrasings: spelling correction against the plan's vocabulary,
agency names/aliases/typos from the registry, agencies *described* by what they do (registry
descriptions and role nouns, lexical then embedding similarity), cue words for counting, ranking
and roles, and conversation state (the previous answer's citations) for references such as
"those", "the first" or "it".

    >>> parser.parse("how many measures does the farm ministry lead?").intent
    Intent.COUNT            # agencies=[Ministry of Agriculture (description)], role=lead
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from assistant.conversation import State, state_from
from assistant.text import CJK, HEADS, STOP, Speller, stem, words
from index.agencies import Mention, Registry
from index.parse import Plan


class Intent(StrEnum):
    """What the question asks for."""

    EMPTY = "empty"
    INJECTION = "injection"
    LOOKUP = "lookup"
    WHO_LEADS = "who_leads"
    DOCUMENT = "document"  # a fact about the circular or the plan's structure
    DOCUMENT_FACT = "document"  # (alias)
    SECTION = "section"
    AGENCY = "agency"
    LEAD = "lead"
    JOINT = "joint"
    AGENCY_TOPIC = "agency_topic"
    COUNT = "count"
    SUPERLATIVE = "superlative"
    PREVIOUS = "previous"  # a subset of the previous answer
    TOPIC = "topic"
    UNKNOWN_AGENCY = "unknown_agency"
    OTHER_YEAR = "other_year"
    OUT_OF_SCOPE = "out_of_scope"


class MatchHow(StrEnum):
    """How an agency was recognised in the question."""

    NAME = "name"
    ALIAS = "alias"
    CHINESE = "chinese"
    FUZZY = "fuzzy"
    DESCRIPTION = "description"
    HISTORY = "history"


class Role(StrEnum):
    """An agency's role in a measure: listed first (lead) or after (co-responsible)."""

    LEAD = "lead"
    CO = "co-responsible"


class Rank(StrEnum):
    """Superlatives over the records."""

    MOST_LED = "most_led"
    FEWEST_LED = "fewest_led"
    MOST_NAMED = "most_named"
    FEWEST_NAMED = "fewest_named"
    MOST_AGENCIES = "most_agencies"


@dataclass(frozen=True)
class AgencyRef:
    """An agency the question is about, with the text that matched and how."""

    name: str
    text: str
    how: MatchHow
    score: float = 1.0


@dataclass
class Query:
    """A parsed question. ``to_json()`` is what ``ask --json`` prints under ``"query"``."""

    text: str
    intent: Intent = Intent.TOPIC
    agencies: list[AgencyRef] = field(default_factory=list)
    measures: list[int] = field(default_factory=list)
    out_of_range: list[int] = field(default_factory=list)
    ordinals: list[int] = field(default_factory=list)  # 1-based; -1 is "the last"
    section: str | None = None
    role: Role | None = None
    rank: Rank | None = None
    among_ministries: bool = False
    topic: str = ""  # what remains once agencies, references, cue and function words are removed
    topic_terms: list[str] = field(default_factory=list)  # stems of topic words the plan uses
    language: str = "en"
    corrected: str = ""  # the question after spelling correction (what topic scoring reads)
    corrections: dict[str, str] = field(default_factory=dict)
    history_used: bool = False
    previous: list[int] = field(default_factory=list)  # the previous answer's citations, when used
    unknown_bodies: list[str] = field(default_factory=list)
    year: str | None = None
    trace: list[str] = field(default_factory=list)  # why: read by ``explain``

    @property
    def agency_names(self) -> list[str]:
        return [a.name for a in self.agencies]

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("trace")
        return data


# ---------------------------------------------------------------- cues (general, not phrasings)

_INJECTION = re.compile(
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier|your)|disregard (?:the |all |your )?"
    r"(?:previous|prior|above|instructions)|system prompt|you are now|pretend (?:to be|you)|jailbreak|"
    r"developer mode|new instructions|act as (?:a|an)\b|forget (?:everything|your|all)|"
    r"reveal (?:your|the) (?:prompt|instructions)|<\s*/?\s*(?:system|instructions?)\s*>",
    re.I,
)
_NUM = r"(\d{1,4})"
LOOKUP = re.compile(
    rf"(?:\bmeasures?\s*(?:no\.?|number|#)?\s*|\bitems?\s*(?:no\.?|number|#)?\s*|#\s*|措施\s*|第\s*){_NUM}"
    rf"((?:\s*(?:,|and|&|or|to|through|-|–|和|、|至)\s*{_NUM})*)(?!\s*(?:st|nd|rd|th)\b)(?:\s*(?:条|项))?",
    re.I,
)
_RANGE = re.compile(r"(\d{1,4})\s*(?:to|through|-|–|至)\s*(\d{1,4})")
_SECTION = re.compile(r"\b(?:section|part|chapter|sec\.?)\s+([ivx]+|\d)\b|第([一二三四五六七八])部分", re.I)
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
_ZH_DIGITS = "一二三四五六七八"
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]

_LEAD = {"lead", "leads", "leading", "led", "leader", "charge", "head", "heads", "spearhead", "spearheads",
         "primary", "primarily", "main", "principal", "first-listed", "helm", "owns", "own", "owner"}  # fmt: skip
_LEAD_ZH = ("牵头", "主导", "负责")
_CO = re.compile(r"\b(?:only )?(?:support|supports|supporting|assist|assists|co-?responsible|secondary|"
                 r"not (?:the )?lead|without leading|partner|helps?|co-?lead)\b", re.I)  # fmt: skip
_EVERY_ROLE = re.compile(
    r"\blead\w* or (?:as )?(?:a )?(?:co|support|partner)|\b(?:co-?agency|co-?responsible) or (?:as )?lead", re.I
)
_COUNT = re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b|\bhow much\b|多少|几项|几个|几条", re.I)
_MOST = re.compile(
    r"\b(?:most|busiest|longest)\b|\b(?:biggest|largest|highest|greatest) (?:number|count|share|list)\b|最多"
)
_FEWEST = re.compile(r"\b(?:fewest|least|shortest)\b|\b(?:smallest|lowest) (?:number|count|share|list)\b|最少")
_WHO = re.compile(r"\bwho\b|\bwhich (?:agency|agencies|ministry|body|bodies|department|organi[sz]ation|office)\b"
                  r"|\bwhose\b|谁|哪个部门", re.I)  # fmt: skip
_ORDINALS = {
    **{"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4},
    **{"fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "last": -1, "final": -1, "latter": -1, "former": 1},
}
_ZH_ORDINAL = re.compile(r"第([一二三四五六])(?:个|项|条)")
_SET_ANAPHOR = re.compile(
    r"\b(?:those|these|them|they|the above|that list|this list|the list|the ones|which ones|of which|"
    r"among them|listed|you (?:just )?(?:mentioned|listed|gave|cited))\b|这些|那些|其中",
    re.I,
)
_PARTITIVE = re.compile(
    r"\b(?:of|among|from|in) (?:those|these|them|the above|that list|this list|the list)\b|\bthose ones\b"
    r"|\b(?:just|only) (?:the )?(?:ones|those|these)\b|其中",
    re.I,
)
_PRONOUN = re.compile(r"\b(?:it|its|this|that|this one|that one|this measure|that measure|it's)\b|它|该措施", re.I)
_CONTINUATION = re.compile(r"^\s*(?:and|also|what about|how about|same for|what of|plus|now)\b|^\s*(?:那|还有)", re.I)
_ORG_HEADS = HEADS | {"council"}  # head nouns of organisation-like phrases are never a topic
_CUE_WORDS = (
    _LEAD
    | set(_ORDINALS)
    | {"many", "much", "number", "count", "total", "fewest", "least", "most", "biggest", "largest", "highest",
       "lowest", "smallest", "greatest", "maximum", "minimum", "busiest", "top", "who", "whose", "support",
       "supports", "supporting", "assist", "secondary", "co", "partner", "ministries", "agencies", "bodies",
       "ones", "one", "more", "detail", "details", "explain", "elaborate", "expand", "text", "full", "exact",
       "wording", "quote", "exactly", "numbered", "possible", "times", "appear", "appears", "listed", "list"}
)  # fmt: skip


def _numbers(span: str) -> list[int]:
    out: list[int] = []
    for a, b in _RANGE.findall(span):
        out.extend(range(int(a), int(b) + 1) if int(b) - int(a) < 90 else [int(a), int(b)])
    out.extend(int(n) for n in re.findall(r"\d{1,4}", span))
    return list(dict.fromkeys(out))


class QueryParser:
    """Parses questions over one plan and registry. ``describer`` matches described agencies."""

    def __init__(self, plan: Plan, registry: Registry, speller: Speller, plan_terms: dict[str, int], describer=None):
        self.plan = plan
        self.registry = registry
        self.speller = speller
        self.plan_terms = plan_terms  # stem -> number of measures using it (text and expansions)
        self.describer = describer
        self.year = plan.header.year

    # ------------------------------------------------------------ entry point

    def parse(self, question: str, history: list[dict] | None = None) -> Query:
        """The typed query for ``question`` given the chat ``history``."""
        text = " ".join(question.split())
        q = Query(text=text, corrected=text)
        if not words(text) and not CJK.search(text):
            q.intent = Intent.EMPTY
            return q
        if _INJECTION.search(text):
            q.intent = Intent.INJECTION
            return q
        q.language = "zh" if CJK.search(text) else "en"
        if q.language == "en":
            q.corrected, q.corrections = self.speller.correct_text(text)
            if q.corrections:
                q.trace.append(f"spelling: {q.corrections}")
        self._references(q)
        self._cues(q)
        mentions = self._agencies(q)
        self._topic(q, mentions)
        state = state_from(history)
        if not state.empty and self._needs_history(q):
            self._resolve_with_history(q, state)
        if q.intent == Intent.TOPIC:  # not decided by the conversation
            self._decide(q)
        return q

    # ------------------------------------------------------------ pieces of the parse

    def _references(self, q: Query) -> None:
        """Measure numbers, ordinals, section, year."""
        for m in LOOKUP.finditer(q.text):
            for n in _numbers(m.group(0)):
                (q.measures if 1 <= n <= len(self.plan.measures) else q.out_of_range).append(n)
        bare = re.findall(r"(?<![\d,.])\b(\d{1,2})\b(?![\d,.%]|\s*(?:people|percent|cities|provinces|years?))", q.text)
        if not q.measures and len(bare) == 1 and _WHO.search(q.text) and 1 <= int(bare[0]) <= len(self.plan.measures):
            q.measures = [int(bare[0])]  # "who's the lead on 52?"
        lowered = words(q.text)
        q.ordinals = [_ORDINALS[w] for w in lowered if w in _ORDINALS]
        q.ordinals += [_ZH_DIGITS.index(m.group(1)) + 1 for m in _ZH_ORDINAL.finditer(q.text)]
        if m := _SECTION.search(q.text):
            ref = (m.group(1) or "").upper()
            if m.group(2):
                ref = ROMAN[_ZH_DIGITS.index(m.group(2))]
            elif ref.isdigit():
                ref = ROMAN[int(ref) - 1] if 0 < int(ref) <= len(ROMAN) else ref
            if any(s.numeral == ref for s in self.plan.sections):
                q.section = ref
        years = [y for y in _YEAR.findall(q.text) if y != self.year]
        q.year = years[0] if years else None

    def _cues(self, q: Query) -> None:
        """Role, counting and ranking cues."""
        lowered = set(words(q.text))
        if _EVERY_ROLE.search(q.text):
            pass  # "as lead or co-agency": every role
        elif _CO.search(q.text):
            q.role = Role.CO
        elif lowered & _LEAD or any(z in q.text for z in _LEAD_ZH[:2]):
            q.role = Role.LEAD
        text = q.text.replace("MOST", "").lower()  # MOST in capitals is the science ministry
        most, fewest = bool(_MOST.search(text)), bool(_FEWEST.search(text))
        if (most or fewest) and not _COUNT.search(q.text):
            asks_measure = re.search(r"\bwhich (?:measure|item|task)s?\b|哪(?:项|个|条)措施", q.text, re.I)
            if asks_measure and re.search(r"agenc|bodies|ministr|部门", q.text, re.I):
                q.rank = Rank.MOST_AGENCIES
            elif q.role == Role.LEAD:
                q.rank = Rank.MOST_LED if most else Rank.FEWEST_LED
            else:
                q.rank = Rank.MOST_NAMED if most else Rank.FEWEST_NAMED
            q.among_ministries = bool(re.search(r"\bministr(?:y|ies)\b|部委", q.text, re.I))

    def _agencies(self, q: Query) -> list[Mention]:
        """Agencies by name/alias/Chinese, then typos, then description (organisation-like phrases)."""
        mentions = self.registry.find(q.text, fuzzy=False)
        if not mentions:
            mentions = self.registry.find(q.text, fuzzy=True)
        refs = [AgencyRef(m.agency, m.text, MatchHow(m.how)) for m in mentions]
        if self.describer is not None:
            taken = [(m.start, m.start + len(m.text)) for m in mentions]
            for ref, start, end in self.describer.find(q.text, taken):
                if ref.name not in {r.name for r in refs}:
                    refs.append(ref)
                    mentions.append(Mention(ref.name, q.text[start:end], start, "description"))
        q.agencies = refs
        if refs:
            q.trace.append("agencies: " + "; ".join(f"{r.name} ← “{r.text}” ({r.how}, {r.score:.2f})" for r in refs))
        if not refs:
            q.unknown_bodies = self.registry.unknown_bodies(q.text)
        return mentions

    def _topic(self, q: Query, mentions: list[Mention]) -> None:
        """What the question is about once agencies, references, cues and function words are removed."""
        rest = q.corrected
        for m in sorted(mentions, key=lambda m: -len(m.text)):
            rest = re.sub(re.escape(m.text), " ", rest, flags=re.I)
        rest = LOOKUP.sub(" ", rest)
        rest = _SECTION.sub(" ", rest)
        rest = _YEAR.sub(" ", rest)
        name_words = {w for m in mentions for w in words(m.agency)} | {w for m in mentions for w in words(m.text)}
        kept = [
            w
            for w in words(rest)
            if w not in STOP and w not in _CUE_WORDS and w not in name_words and len(w) > 1 and not w.isdigit()
        ]
        kept = [w for w in kept if w not in _ORG_HEADS]
        q.topic = " ".join(kept)
        q.topic_terms = list(dict.fromkeys(stem(w) for w in kept if stem(w) in self.plan_terms))

    # ------------------------------------------------------------ conversation

    def _needs_history(self, q: Query) -> bool:
        """A question that stands on its own is never rewritten."""
        own_subject = bool(
            q.agencies or q.measures or q.out_of_range or q.topic_terms or q.unknown_bodies or q.section or q.rank
        )
        if q.ordinals and not q.measures:
            return True
        if _SET_ANAPHOR.search(q.text) and not q.measures:
            return bool(_PARTITIVE.search(q.text)) or not own_subject
        if _CONTINUATION.search(q.text) and not q.topic_terms and not q.measures:
            return True  # "And what about the Ministry of Culture?" keeps the previous question's shape
        return bool(_PRONOUN.search(q.text)) and not own_subject

    def _resolve_with_history(self, q: Query, state: State) -> None:
        prev = self.parse(state.question) if state.question else Query(text="")
        cited = list(state.citations) or prev.measures  # no [n] in the answer: what the question named
        q.history_used = True
        q.previous = cited
        q.trace.append(f"history: previous question “{state.question[:80]}”, citations {cited}")
        if q.ordinals and cited:
            picked = [cited[o - 1] if o > 0 else cited[-1] for o in q.ordinals if o == -1 or o <= len(cited)]
            if picked:
                q.measures = list(dict.fromkeys(picked))
                q.intent = Intent.WHO_LEADS if _WHO.search(q.text) else Intent.LOOKUP
                return
        about_agency = q.role or _COUNT.search(q.text) or re.search(r"\b(?:agency|ministry|body|they)\b", q.text, re.I)
        if not q.agencies and not prev.agencies and about_agency and len(cited) == 1 and not _WHO.search(q.text):
            lead = self.plan.measure(cited[0]).lead_agency  # "that agency" after "Who leads measure 18?"
            prev.agencies = [AgencyRef(lead, f"measure {cited[0]}", MatchHow.HISTORY)] if lead else []
        if not q.agencies and prev.agencies and (about_agency or _PRONOUN.search(q.text) or not cited):
            q.agencies = [AgencyRef(a.name, a.text, MatchHow.HISTORY) for a in prev.agencies]
            if about_agency and not _PARTITIVE.search(q.text):
                return  # "how many does that agency lead?": an agency question; _decide finishes it
        set_ref = bool(_SET_ANAPHOR.search(q.text))
        if set_ref and cited and (q.section or q.role or q.agencies or q.topic_terms):
            q.intent = Intent.PREVIOUS
            return
        if q.agencies and not set_ref and _CONTINUATION.search(q.text) or (q.agencies and not cited):
            # "What about X?" asks the previous question again about X.
            if prev.intent in (Intent.COUNT, Intent.LEAD) or prev.role:
                q.role = q.role or prev.role
            q.section = q.section or prev.section
            if prev.intent == Intent.COUNT:
                q.intent = Intent.COUNT
            q.previous = []
            return
        if cited and (_PRONOUN.search(q.text) or set_ref) and not q.agencies:
            q.measures = cited
            q.intent = Intent.WHO_LEADS if _WHO.search(q.text) else Intent.LOOKUP
            return
        if q.agencies and set_ref and cited:
            q.intent = Intent.PREVIOUS

    # ------------------------------------------------------------ intent

    def _decide(self, q: Query) -> None:
        if q.out_of_range:
            q.intent = Intent.LOOKUP
        elif q.measures:
            q.intent = (
                Intent.WHO_LEADS if _WHO.search(q.text) and (q.role or "who" in q.text.lower()) else Intent.LOOKUP
            )
        elif q.rank:
            q.intent = Intent.SUPERLATIVE
        elif _COUNT.search(q.text) and (q.agencies or q.section):
            q.intent = Intent.COUNT
        elif len(q.agencies) > 1:
            q.intent = Intent.JOINT
        elif q.agencies:
            q.intent = Intent.LEAD if q.role == Role.LEAD else Intent.AGENCY
            if q.topic_terms:
                q.intent = Intent.AGENCY_TOPIC
        elif q.unknown_bodies:
            q.intent = Intent.UNKNOWN_AGENCY
        elif q.year:
            q.intent = Intent.OTHER_YEAR
        elif q.section and not q.topic_terms:
            q.intent = Intent.SECTION
        else:
            q.intent = Intent.TOPIC
        q.trace.append(f"intent: {q.intent}")
