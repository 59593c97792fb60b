"""Evaluate stage: a typed query's constraints as set algebra over the plan's 90 records.

    chosen = all measures
    for each included record constraint: chosen &= its measures   (agency with role, section, numbers, previous)
    for each excluded constraint:        chosen -= its measures
    a topic, if any, is one scored constraint applied within what is left (see assistant/topic.py)

Every step is logged in ``steps`` (what ``explain`` prints). Functions only: nothing is kept
between calls, so one evaluator serves concurrent requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.text import terms
from assistant.topic import TopicResult, TopicScorer
from assistant.understand import cues
from assistant.understand.query import Ask, Constraint, Kind, Query, Role
from index.parse import Measure, Plan


@dataclass
class Evaluation:
    """The measures a query selects, in answer order, and how they were found."""

    numbers: list[int] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    topic: TopicResult | None = None
    before_topic: list[int] = field(default_factory=list)  # the set the topic was applied to


def matches(c: Constraint, m: Measure, previous: list[int]) -> bool:
    """Does measure ``m`` satisfy constraint ``c`` (ignoring its polarity)?"""
    if c.kind == Kind.AGENCY:
        names = set(c.any_of or (str(c.value),))
        if c.role == Role.LEAD:
            return m.lead_agency in names
        if c.role == Role.CO:
            return bool(names & set(m.agencies)) and m.lead_agency not in names
        if c.role == Role.SOLE:
            return len(m.agencies) == 1 and m.agencies[0] in names
        return bool(names & set(m.agencies))
    if c.kind == Kind.SECTION:
        return m.section in set(c.any_of or (str(c.value),))
    if c.kind == Kind.MEASURES:
        return m.number in c.value  # type: ignore[operator]
    if c.kind == Kind.PREVIOUS:
        return m.number in previous
    if c.kind == Kind.BODIES:
        return len(m.agencies) == int(str(c.value))
    raise ValueError(f"not a record constraint: {c.kind}")


def records(c: Constraint, plan: Plan, previous: list[int]) -> set[int]:
    return {m.number for m in plan.measures if matches(c, m, previous)}


def evaluate(q: Query, plan: Plan, scorer: TopicScorer | None) -> Evaluation:
    """The measures ``q`` selects (see module doc)."""
    out = Evaluation()
    chosen = {m.number for m in plan.measures}
    record_includes = [c for c in q.constraints if c.include and c.kind != Kind.TOPIC]
    for c in record_includes:
        got = records(c, plan, q.previous)
        chosen &= got
        out.steps.append(f"{c.describe()}: {len(got)} measures; {len(chosen)} left")
    for c in q.constraints:
        if not c.include and c.kind != Kind.TOPIC:
            got = records(c, plan, q.previous)
            chosen -= got
            out.steps.append(f"{c.describe()}: minus {len(got)}; {len(chosen)} left")
    order = sorted(chosen)
    topics = q.of(Kind.TOPIC)
    if topics and scorer is not None and chosen:
        topic = topics[0]
        topic_terms = [t for t in terms(str(topic.value)) if t in scorer.plan_terms]
        text = topic.text or str(topic.value)
        out.before_topic = order
        others = [c for c in q.constraints if c.kind != Kind.TOPIC]
        if record_includes and all(c.kind == Kind.PREVIOUS for c in record_includes):
            if q.language == "zh" and not scorer.translate(str(topic.value)).strip():
                out.numbers = order  # a Chinese remainder with no glossary term names no topic of these
                out.steps.append(f"topic “{topic.value}”: no plan term in the glossary; the set is kept")
                return out
            res = scorer.within_previous(text, topic_terms, chosen)
        elif others:  # narrow what the records left (an exclusion alone also leaves a set)
            strict = q.ask == Ask.YES_NO and "preposition" in topic.how  # "does X do anything on Y?": Y is the question
            value = str(topic.value)
            # Chinese: the glossary gives the plan's English words ("地理标志" -> "geographical indications")
            if q.language == "zh":
                value = scorer.translate(value)
                topic_terms = [t for t in terms(value) if t in scorer.plan_terms]
                strict = strict or (q.ask == Ask.YES_NO and bool(topic_terms))
            res = scorer.narrow(value, topic_terms, chosen, strict=strict)
        else:
            res = scorer.search(
                text, str(topic.value), topic_terms, chosen, q.language, topic.text,
                bool(cues.SET_QUESTION.search(q.text)), items=not cues.ONE_ASKED.search(q.text),
            )  # fmt: skip
        out.topic = res
        order = [n for n in res.numbers if n in chosen]
        out.steps.append(
            f"topic “{topic.value}” within {len(chosen)}: {len(order)} kept"
            + (f" ({res.reason})" if res.reason else "")
            + (f" (the measures that name {', '.join(f'“{n}”' for n in res.named)})" if res.named else "")
            + (
                f" (each thing it lists adds its measures: {', '.join(f'“{i}”' for i in res.items)})"
                if res.items
                else ""
            )
        )
    out.numbers = order
    return out
