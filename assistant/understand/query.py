"""The typed query: constraints over the plan's records plus what is asked for.

A question is a set of constraints, each with a polarity, and one output. Extractors (one module
per kind of constraint) fill it; :mod:`assistant.evaluate` evaluates it as set algebra over the 90
records; one renderer per :class:`Ask` writes the answer. Today's intents are special cases:

    "How many does SIPO lead outside section V?"
    -> Query(ask=COUNT, constraints=[agency SIPO role=lead +, section V -])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum


class Kind(StrEnum):
    """What a constraint restricts by."""

    AGENCY = "agency"
    SECTION = "section"
    MEASURES = "measures"
    PREVIOUS = "previous"  # the previous answer's citations
    TOPIC = "topic"
    BODIES = "bodies"  # how many agencies a measure names: "1" for "handled by a single body"


class Role(StrEnum):
    """An agency's role in a measure: listed first (lead), after (co-responsible), or alone (sole)."""

    ANY = "any"
    LEAD = "lead"
    CO = "co-responsible"
    SOLE = "sole"


class MatchHow(StrEnum):
    """How an agency was recognised in the question."""

    NAME = "name"
    ALIAS = "alias"
    CHINESE = "chinese"
    FUZZY = "fuzzy"
    DESCRIPTION = "description"
    SUCCESSOR = "successor"  # a name the body carries today ("CNIPA" for the 2012 SIPO)
    HISTORY = "history"


class Ask(StrEnum):
    """What the question asks for (one renderer each)."""

    MEASURES = "measures"
    COUNT = "count"
    YES_NO = "yes_no"
    WHO = "who"  # who leads / who is responsible for the selected measures
    PARTNERS = "partners"  # agencies sharing measures with one agency
    RANK_AGENCIES = "rank_agencies"
    RANK_SECTIONS = "rank_sections"
    RANK_MEASURES = "rank_measures"  # the measure(s) naming the most agencies
    COMPARE = "compare"
    FACT = "fact"  # a fact about the circular, answered from the header record
    SECTION = "section"  # a section as a unit: its objectives and its measures


class Rank(StrEnum):
    """Direction and measure of a ranking."""

    MOST_LED = "most_led"
    FEWEST_LED = "fewest_led"
    MOST_NAMED = "most_named"
    FEWEST_NAMED = "fewest_named"
    MOST_AGENCIES = "most_agencies"
    MOST_MEASURES = "most_measures"  # sections
    FEWEST_MEASURES = "fewest_measures"


class Stop(StrEnum):
    """Questions the plan cannot answer whatever their constraints."""

    EMPTY = "empty"
    INJECTION = "injection"
    OTHER_YEAR = "other_year"
    UNKNOWN_AGENCY = "unknown_agency"
    OUT_OF_RANGE = "out_of_range"


@dataclass(frozen=True)
class Constraint:
    """One restriction of the measure set. ``include=False`` subtracts it.

    ``value``: agency name | section numeral | measure numbers | topic text | "" (previous) | how many
    agencies (bodies: "1")."""

    kind: Kind
    value: str | tuple[int, ...]
    include: bool = True
    role: Role = Role.ANY  # agencies only
    text: str = ""  # the words of the question that gave it
    how: str = ""  # how it was matched (MatchHow for agencies; "number", "title", "theme" for sections)
    score: float = 1.0
    any_of: tuple[str, ...] = ()  # agencies: named in ANY of these (a body that merged several 2012 bodies)

    def describe(self) -> str:
        sign = "+" if self.include else "−"
        role = f" role={self.role}" if self.kind == Kind.AGENCY and self.role != Role.ANY else ""
        names = " | ".join(self.any_of) if self.any_of else self.value
        return f"{sign} {self.kind} {names}{role}" + (f"  ← “{self.text}” ({self.how})" if self.text else "")

    def to_json(self) -> dict:
        data = asdict(self)
        data["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
        data["any_of"] = list(self.any_of)
        return data

    @classmethod
    def from_json(cls, data: dict) -> Constraint:
        value = data.get("value", "")
        kind = Kind(data["kind"])
        if kind in (Kind.MEASURES,):
            value = tuple(int(n) for n in value if isinstance(n, int) or str(n).isdigit())
        return cls(
            kind=kind,
            value=value if isinstance(value, tuple) else str(value),
            include=bool(data.get("include", True)),
            role=Role(data.get("role", "any")),
            text=str(data.get("text", "")),
            how=str(data.get("how", "")),
            score=float(data.get("score", 1.0)),
            any_of=tuple(str(a) for a in data.get("any_of", []) or []),
        )


@dataclass(frozen=True)
class AgencyRef:
    """An agency the question is about, with the text that matched and how (kept for ``query`` JSON)."""

    name: str
    text: str
    how: MatchHow
    score: float = 1.0


@dataclass
class Query:
    """A parsed question. ``to_json()`` is what ``ask --json`` prints under ``"query"``."""

    text: str
    ask: Ask = Ask.MEASURES
    constraints: list[Constraint] = field(default_factory=list)
    stop: Stop | None = None
    rank: Rank | None = None
    among_ministries: bool = False
    fact: str | None = None  # the header field asked about (Ask.FACT)
    fact_fallback: str | None = None  # a header field the question also describes, answered if its topic finds nothing
    more_facts: list[str] = field(default_factory=list)  # header fields its other clauses ask too, answered after
    subject: str = ""  # for facts about one body ("was X an addressee"): the name asked about
    polar: bool = False  # asked as a yes/no question (whatever is asked for: "does X share any measure?")
    language: str = "en"
    corrected: str = ""  # the question after spelling correction (what topic scoring reads)
    corrections: dict[str, str] = field(default_factory=dict)
    topic_terms: list[str] = field(default_factory=list)  # stems of topic words the plan uses
    history_used: bool = False
    edit: str = ""  # how a follow-up edited the previous query ("replace agency", "of previous", ...)
    previous: list[int] = field(default_factory=list)  # the previous answer's citations, when used
    out_of_range: list[int] = field(default_factory=list)
    unknown_bodies: list[str] = field(default_factory=list)
    year: str | None = None
    year_of_plan: bool = False  # the year names a plan ("the 2020 promotion plan"), not a date in this one
    successors: list[str] = field(default_factory=list)  # "CNIPA (named in the plan as ...)"
    trace: list[str] = field(default_factory=list)  # why: read by ``explain``

    # ------------------------------------------------------------ views

    def of(self, kind: Kind, include: bool | None = True) -> list[Constraint]:
        return [c for c in self.constraints if c.kind == kind and (include is None or c.include == include)]

    @property
    def agencies(self) -> list[AgencyRef]:
        """The agencies the question includes, in order (the first one's role is the answer's role)."""
        return [AgencyRef(str(c.value), c.text, MatchHow(c.how or "name"), c.score) for c in self.of(Kind.AGENCY)]

    @property
    def agency_names(self) -> list[str]:
        return [str(c.value) for c in self.of(Kind.AGENCY)]

    @property
    def role(self) -> Role | None:
        roles = [c.role for c in self.of(Kind.AGENCY) if c.role != Role.ANY]
        return roles[0] if roles else None

    @property
    def section(self) -> str | None:
        got = self.of(Kind.SECTION)
        return str(got[0].value) if got else None

    @property
    def measures(self) -> list[int]:
        return [n for c in self.of(Kind.MEASURES) for n in c.value]  # type: ignore[union-attr]

    @property
    def topic(self) -> str:
        got = self.of(Kind.TOPIC)
        return str(got[0].value) if got else ""

    @property
    def intent(self) -> str:
        """The published route code this query answers (``ask --json``'s ``route``)."""
        from assistant.understand.routes import route_of

        return route_of(self)

    def with_constraints(self, constraints: list[Constraint]) -> Query:
        return replace(self, constraints=list(constraints))

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("trace")
        data["constraints"] = [c.to_json() for c in self.constraints]
        data["intent"] = str(self.intent)
        data["agencies"] = [asdict(a) for a in self.agencies]
        data["measures"] = self.measures
        data["section"] = self.section
        data["role"] = self.role
        data["topic"] = self.topic
        return data
