"""The circular's header as a typed record, and questions about its fields.

The header states the title, document number, date, addressees in order, the plan's guiding
principle and what it implements. A question about a field is answered from the record, with no
citation; the engine never abstains on a fact the circular states. Each field has several
descriptions (cue patterns); the first field whose description matches wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from assistant.cosine import cosines, unit_rows
from assistant.text import words
from index.parse import Plan


class Field(StrEnum):
    """A field of the circular's record."""

    DATE = "date"
    NUMBER = "document_number"
    TITLE = "title"
    ADDRESSEES = "addressees"
    ADDRESSEE_COUNT = "addressee_count"
    ADDRESSEE_ORDER = "addressee_order"  # first / last addressee
    ADDRESSEE_CHECK = "addressee_check"  # was X one of them (yes/no)
    PRINCIPLE = "principle"
    IMPLEMENTS = "implements"
    SECTIONS = "sections"
    MEASURE_COUNT = "measure_count"
    OBJECTIVES = "objectives"  # a section's "Objectives and tasks" paragraph


@dataclass(frozen=True)
class Circular:
    """The header of the circular and the plan's frame, as one record."""

    title: str
    plan_title: str
    document_number: str
    date: str
    addressees: tuple[str, ...]
    principle: str
    implements: str
    preamble: str
    sections: tuple[tuple[str, str, int, int], ...]  # numeral, title, first, last measure
    measure_count: int

    @classmethod
    def of(cls, plan: Plan) -> Circular:
        h = plan.header
        principle = re.search(r"principle of [\"“]([^\"”]+)[\"”]", h.preamble)
        implements = re.search(r"implement (the [A-Z][^,]+?)(?: and |,)", h.preamble)
        return cls(
            title=h.title,
            plan_title=h.plan_title,
            document_number=h.document_number,
            date=h.date,
            addressees=tuple(h.addressees),
            principle=principle.group(1) if principle else h.preamble,
            implements=implements.group(1) if implements else h.preamble,
            preamble=h.preamble,
            sections=tuple((s.numeral, s.title, s.measures[0], s.measures[-1]) for s in plan.sections if s.measures),
            measure_count=len(plan.measures),
        )


_MONTHS_RE = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
              "november", "december"]  # fmt: skip
_CIRCULAR = r"(?:circular|notice|document|plan|paper|it|this|the thing)"
_ADDRESS = (
    r"\b(?:address(?:ed|ees?)|recipients?|sent (?:out )?to|send to|distribut(?:ed|ion)(?: list)?|went (?:out )?to|"
    r"copied to|cc'?d|to whom|who (?:received|got|was it (?:sent|addressed))|addresses|on the (?:mailing|distribution) "
    r"list|on (?:that|the) list|(?:circular|notice|document|it) (?:go|goes|went) to|issued to|"
    r"receiv(?:e|ed|ing) (?:the|this|it)|(?:get|gets|got|gotten) (?:the|this|that) (?:circular|notice|document)|"
    r"address list)|发送|发给|印发给|抄送|主送"
)
DESCRIPTIONS: dict[Field, re.Pattern] = {
    Field.NUMBER: re.compile(
        r"document (?:number|no\.?|#)|doc(?:\.|ument)? ?no\b|reference (?:number|no\.?|code)|file (?:number|no\.?)|"
        r"serial (?:number|no\.?)|circular (?:number|no\.?)|number of the (?:circular|document|notice)|文号|发文字号|"
        r"\bref(?:erence)?\b.*\b(?:circular|document)|official number|issuance number|\bcode\b.*\bcircular",
        re.I,
    ),
    Field.DATE: re.compile(
        rf"\b(?:date[ds]?|dating)\b|\b(?:issued|signed|published|released) (?:in|on) (?:{'|'.join(_MONTHS_RE)})\b|"
        rf"\bwhen\b.*\b(?:issued|published|released|signed|sent|dated|out|come out|adopted|"
        rf"{_CIRCULAR})|\bwhat day\b|\bwhich day\b|\bday (?:was|of)\b|日期|什么时候|何时|哪天|"
        r"(?:19|20)\d\d\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月\s*\d{1,2}\s*[日号]",
        re.I,
    ),
    Field.PRINCIPLE: re.compile(
        r"\bprinciples?\b|\bguiding\b|\bguideline\b|\bmotto\b|\bslogan\b|\bwatchwords?\b|\bphilosophy\b|"
        r"\bapproach\b.*\bplan\b|指导原则是什么|遵循什么原则",
        re.I,
    ),
    Field.IMPLEMENTS: re.compile(
        r"\bimplement(?:s|ing|ation)? (?:what|which)\b|\bwhat (?:does|did|is) (?:the |this )?(?:plan|it) "
        r"(?:implement|carry out|put into effect|meant to implement|based on|serve)|\bwhich (?:strategy|outline)\b|"
        r"\bpurpose of (?:the |this )?(?:plan|circular|document)\b|\bwhat is (?:the |this )?(?:plan|it) for\b|"
        r"\bwhy (?:was|is) (?:the |this )?(?:plan|circular)\b|\bbigger strategy\b|\boutline\b|"
        r"\b(?:meant|intended|designed|supposed) to (?:implement|carry out|put into effect|give effect to|execute)\b|"
        r"\bunderlying strategy\b|\bparent strategy\b|贯彻|实施什么",
        re.I,
    ),
    Field.SECTIONS: re.compile(
        r"\bhow many (?:sections|parts|chapters|headings)\b|\b(?:list|name|what are|give me|show me|tell me) "
        r"(?:the |all |all the )?"
        r"(?:\w+ )?(?:sections|parts|chapters|headings)\b|\bstructure of (?:the )?plan\b|\btable of contents\b|"
        r"\b(?:sections|parts|chapters) (?:does|do|of) the plan\b|\bsection (?:titles|headings|names)\b|"
        r"几个部分|哪几个部分|结构",
        re.I,
    ),
    Field.TITLE: re.compile(
        r"\btitle[ds]?\b|\bcalled\b|\bname of (?:the |this )?(?:plan|document|circular|notice)\b|"
        r"\bfull name\b|\bwhat(?:'s| is) (?:the |this )?(?:plan|document|circular)(?:'s name)?\s*\??$|\bwhat plan\b|"
        r"\bwhat (?:is|are) (?:this|the) (?:plan|document|circular)\b(?! (?:say|says|about|for))|标题|名称|叫什么",
        re.I,
    ),
    Field.MEASURE_COUNT: re.compile(
        r"\bhow many (?:specific |numbered |individual |separate )?(?:measures|items|tasks|actions|points)\b|"
        r"\b(?:total )?number of (?:specific |numbered )?measures\b|\bmeasure count\b|\bcount of (?:the )?measures\b|"
        r"措施.*(?:一共|总共|共有|多少)|(?:一共|总共|共有|共)\S{0,8}?(?:多少|几)\S{0,6}措施",
        re.I,
    ),
}
ADDRESS = re.compile(_ADDRESS, re.I)
DOCUMENT_WORDS = re.compile(rf"\b{_CIRCULAR}\b", re.I)  # the circular named as a thing: never a topic
# Fields whose descriptions only a question about a document uses ("implement", "guiding principle",
# "document number"): they answer when a topic finds nothing. "when" (a date) and "called" (a title) are
# everyday words of topic questions too, and a count counts its topic.
FALLBACK_FIELDS = frozenset({Field.IMPLEMENTS, Field.PRINCIPLE, Field.NUMBER, Field.SECTIONS})
_HOW_MANY_BODIES = re.compile(
    r"\bhow many (?:agencies|bodies|ministries|departments|organi[sz]ations|orgs|units|recipients)\b"
    r"|多少(?:个|家)?(?:部门|单位|机构)|几(?:个|家)(?:部门|单位|机构)",
    re.I,
)
OBJECTIVES = re.compile(r"\bobjectives?\b|\bgoals?\b|\baims?\b|\bpurpose\b|目标", re.I)
# A section's own record: its objectives, or its title ("what is section V called?", "section V's heading").
SECTION_FACT = re.compile(
    r"\bobjectives?\b|\bgoals?\b|\baims?\b|\bpurpose\b|\btitle[ds]?\b|\bcalled\b|\btitle-wise\b|目标|标题",
    re.I,
)
# "Was the central bank an addressee?", "Did the notice go to the railway ministry?"
_BODY_ASKED = re.compile(
    r"^\W*(?:was|is|were|are|did|does|has)\s+(?:the\s+)?(?P<a>.+?)\s+(?:one of|among|an? addressee|on the|in the|"
    r"included|listed|sent|addressed|a recipient|getting|get|receive|copied)\b"
    r"|\b(?:go|goes|went|sent|addressed|issued|distributed|copied)\s+to\s+(?:the\s+)?(?P<b>[^?.,]+)",
    re.I,
)


def without_address_cues(text: str) -> str:
    """``text`` without the words that ask about the addressees ("how many units", "sent to", "the notice"):
    what is left may name a topic ("how many agencies work on patents?")."""
    for pattern in (ADDRESS, _HOW_MANY_BODIES, DOCUMENT_WORDS):
        text = pattern.sub(" ", text)
    return text


def without_fact_cues(text: str) -> str:
    """``text`` without the words of any header field's description, or the addressees' cues, or the verbs
    of putting a document out: "when was the notice issued, and what is its number?" and "what date was the
    circular signed?" leave no topic; "guiding principles on medicines" leaves "on medicines"."""
    for pattern in (*DESCRIPTIONS.values(), DATE_MENTION):
        text = pattern.sub(" ", text)
    return _ISSUING.sub(" ", without_address_cues(text))


_ISSUING = re.compile(
    r"\b(?:issu(?:e|ed|es|ing)|sign(?:ed|ing)?|publish(?:ed|es|ing)?|releas(?:e|ed|ing)|promulgat\w*|dated)\b", re.I
)


def body_asked(text: str) -> str | None:
    """The body a yes/no addressee question names, as written (no registry needed)."""
    m = _BODY_ASKED.search(text)
    name = (m.group("a") or m.group("b")) if m else None
    if not name or re.match(r"(?:it|this|that|the (?:circular|document|plan|notice))\b", name, re.I):
        return None
    return name.strip()


# Each field in a few words of its own, matched by meaning when no description pattern does (a question that
# would otherwise get "not covered"). Written from the circular's header, not from questions.
MEANINGS: dict[Field, tuple[str, ...]] = {
    Field.DATE: ("The day the circular was issued", "The date of the notice", "What day was the document published?"),
    Field.NUMBER: ("The circular's document number", "The official reference number of the notice"),
    Field.TITLE: ("The full title of the plan", "What is the name of the document?"),
    Field.ADDRESSEES: (
        "Which agencies was the circular sent to?",
        "Who received the notice?",
        "The list of recipients of the circular",
    ),
    Field.ADDRESSEE_COUNT: ("How many agencies received the circular?",),
    Field.PRINCIPLE: ("The principle the plan follows", "The guiding principle behind the plan"),
    Field.IMPLEMENTS: (
        "Which strategy does the plan implement?",
        "The outline this plan carries out",
        "The higher document the plan is based on",
    ),
    Field.SECTIONS: ("The sections of the plan", "How the plan is structured into parts"),
    Field.MEASURE_COUNT: ("The total count of measures in the plan",),
}


class FactFinder:
    """The header field a question means, by embedding similarity to each field's own words (MEANINGS)."""

    def __init__(self, embedder=None, threshold: float = 0.65):
        self.embedder = embedder
        self.threshold = threshold
        self._keys = [(f, t) for f, texts in MEANINGS.items() for t in texts]
        self._vectors = None
        if embedder is not None:  # at start, not on the first question that needs it (20 short texts)
            self._vectors = unit_rows(embedder.embed_documents([t for _, t in self._keys]))

    def closest(self, text: str) -> tuple[Field | None, float]:
        """The closest field and its cosine; the field is None below the threshold or without an embedder."""
        if self.embedder is None or self._vectors is None:
            return None, 0.0
        sims = cosines(self._vectors, self.embedder.embed_query(text))
        i = int(sims.argmax())
        score = float(sims[i])
        return (self._keys[i][0] if score >= self.threshold else None), round(score, 3)


_ORDER = re.compile(r"\b(first|last|final|top|bottom|closes|ends|starts|opens)\b|第一|最后", re.I)
_LAST = ("last", "final", "bottom", "closes", "ends", "最后")


def match(text: str) -> Field | None:
    """The header field a question asks about, or None (see module doc)."""
    if ADDRESS.search(text) or _HOW_MANY_BODIES.search(text):
        from assistant.understand.cues import COUNT

        if COUNT.search(text):
            return Field.ADDRESSEE_COUNT
        if _ORDER.search(text):
            return Field.ADDRESSEE_ORDER
        return Field.ADDRESSEES
    for field, pattern in DESCRIPTIONS.items():
        if pattern.search(text):
            return field
    stated = [m for m in DATE_MENTION.finditer(text) if m.group(0)[:1].isalpha() or not m.group(0).isdigit()]
    if stated and _ISSUING.search(text):  # "was the notice signed on the 6th of April?"
        return Field.DATE
    return None


# Fields a second clause may add to a fact question ("when was it issued, and what is its number?"): those
# answered from the record alone, with no body or order to check
_PLAIN_FIELDS = (
    Field.DATE, Field.NUMBER, Field.TITLE, Field.ADDRESSEES, Field.ADDRESSEE_COUNT, Field.PRINCIPLE,
    Field.IMPLEMENTS, Field.SECTIONS, Field.MEASURE_COUNT,
)  # fmt: skip
_CLAUSES = re.compile(r"[,;?，；？。]|\band\b|\balso\b|以及|还有|并且|另外", re.I)


def fields_in_order(text: str, found: Field) -> list[Field]:
    """Every header field the question's clauses ask about, in the order asked, when ``found`` (the
    field of the whole question) is a plain one: "the date it was issued, and its document number?" ->
    [DATE, NUMBER]. Else just ``[found]``."""
    out: list[Field] = []
    for part in _CLAUSES.split(text):
        field = match(part) if part.strip() else None
        if field in _PLAIN_FIELDS and field not in out:
            out.append(field)
    return out if found in _PLAIN_FIELDS and out else [found]


_MONTHS = _MONTHS_RE
_MONTH = "|".join(_MONTHS) + "|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec"
# A date a question states: "April 6(th), 2012", "6 April 2012", "the 6th of April", "2012-04-06",
# "2013年5月8日/号", "5月8号". Its numbers are a date, never measure numbers.
DATE_MENTION = re.compile(
    rf"\b(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(?P<y1>(?:19|20)\d\d)\b)?|"
    rf"\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH})\b\.?(?:,?\s*(?P<y2>(?:19|20)\d\d)\b)?|"
    r"\b(?P<y3>(?:19|20)\d\d)-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})\b|"
    r"(?:(?P<y4>(?:19|20)\d\d)\s*年\s*)?(?P<m4>\d{1,2})\s*月(?:\s*(?P<d4>\d{1,2})\s*[日号])?|"
    r"(?P<y5>(?:19|20)\d\d)\s*年",
    re.I,
)


@dataclass(frozen=True)
class DateSaid:
    """The parts of a date a question states (``None`` where it states none)."""

    year: int | None = None
    month: int | None = None
    day: int | None = None

    def __bool__(self) -> bool:
        return any(x is not None for x in (self.year, self.month, self.day))

    def agrees(self, other: DateSaid) -> bool:
        """Every part this one states is ``other``'s."""
        return all(a is None or a == b for a, b in zip((self.year, self.month, self.day), (other.year, other.month, other.day)))


def _month(word: str) -> int:
    return int(word) if word.isdigit() else next(i for i, m in enumerate(_MONTHS, 1) if m.startswith(word.lower()[:3]))


def date_said(text: str) -> DateSaid:
    """The date a question states: "issued in May 2012?" -> (2012, 5, None); "2013年5月8号" -> (2013, 5, 8);
    a month name or a year alone is a date too ("issued in 2013?")."""
    for m in DATE_MENTION.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v}
        year = next((int(v) for k, v in g.items() if k[0] == "y"), None)
        month = next((_month(v) for k, v in g.items() if k[0] == "m"), None)
        day = next((int(v) for k, v in g.items() if k[0] == "d"), None)
        if month is None or 1 <= month <= 12:
            return DateSaid(year, month, day)
    month = next((_month(w) for w in words(text) if w in _MONTHS), None)
    year = re.search(r"\b(?:19|20)\d\d\b", text)
    return DateSaid(int(year.group(0)) if year else None, month)


def order_asked(text: str) -> int:
    """1 for the first addressee, -1 for the last."""
    m = _ORDER.search(text)
    return -1 if m and m.group(0).lower() in _LAST else 1


def orders_asked(text: str) -> list[int]:
    """Each end of the list asked, in order: "which is first and which closes the list?" -> [1, -1]."""
    said = [-1 if m.group(0).lower() in _LAST else 1 for m in _ORDER.finditer(text)]
    return list(dict.fromkeys(said)) or [1]
