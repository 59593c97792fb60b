"""Route codes: the published ``route`` strings of ``ask --json``, derived from a :class:`Query`.

The route is a name for the shape of a query, kept so that existing clients and eval reports
read the same strings: a query with one agency and a lead role is ``lead``, with a topic added
``agency_topic``, and so on. New shapes get new codes; old codes never change meaning.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.understand.query import Query


class Route(StrEnum):
    """What kind of answer was given."""

    EMPTY = "empty"
    INJECTION = "injection"
    LOOKUP = "lookup"
    WHO_LEADS = "who_leads"
    DOCUMENT = "document"  # a fact about the circular or the plan's structure
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
    YES_NO = "yes_no"
    PARTNERS = "partners"
    COMPARE = "compare"
    SELECTION = "selection"  # any other composition of constraints (e.g. a section minus an agency)


def route_of(q: Query) -> Route:
    """The route code of a parsed query."""
    from assistant.understand.query import Ask, Kind, Role, Stop

    if q.stop:
        return {
            Stop.EMPTY: Route.EMPTY,
            Stop.INJECTION: Route.INJECTION,
            Stop.OTHER_YEAR: Route.OTHER_YEAR,
            Stop.UNKNOWN_AGENCY: Route.UNKNOWN_AGENCY,
            Stop.OUT_OF_RANGE: Route.LOOKUP,
        }[q.stop]
    simple = {
        Ask.FACT: Route.DOCUMENT,
        Ask.SECTION: Route.SECTION,
        Ask.COUNT: Route.COUNT,
        Ask.RANK_AGENCIES: Route.SUPERLATIVE,
        Ask.RANK_SECTIONS: Route.SUPERLATIVE,
        Ask.RANK_MEASURES: Route.SUPERLATIVE,
        Ask.WHO: Route.WHO_LEADS,
        Ask.YES_NO: Route.YES_NO,
        Ask.PARTNERS: Route.PARTNERS,
        Ask.COMPARE: Route.COMPARE,
    }
    if q.ask in simple:
        return simple[q.ask]
    kinds = {c.kind for c in q.constraints if c.include}
    excluded = any(not c.include for c in q.constraints)
    agencies = q.of(Kind.AGENCY)
    if Kind.PREVIOUS in kinds:
        return Route.PREVIOUS
    if kinds == {Kind.MEASURES} and not excluded:
        return Route.LOOKUP
    if excluded:
        return Route.SELECTION
    if Kind.BODIES in kinds:
        return Route.SELECTION
    if len(agencies) > 1:
        return Route.JOINT
    if agencies:
        if Kind.TOPIC in kinds:
            return Route.AGENCY_TOPIC
        return Route.LEAD if agencies[0].role == Role.LEAD else Route.AGENCY
    if kinds == {Kind.SECTION}:
        return Route.SECTION
    return Route.TOPIC
