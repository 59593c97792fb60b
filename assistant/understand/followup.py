"""Follow-ups as edits of the previous query.

The previous turn's parsed query travels with the conversation (``"query"`` on assistant turns; else
the previous question is parsed again with the history before it). A follow-up that changes one
part of the query edits it and keeps the rest:

    "Which MOA measures concern geographical indications?" -> "And the same for MOFCOM?"
    = [agency MOFCOM, topic "geographical indications"]          (replace the agency, keep the topic)

* "the same for X" / "what about X" / "and X?" replaces the constraints of X's kind;
* "no, I meant X" corrects whichever part X belongs to (agency, section, role, topic);
* "the same section" is the section of the previous answer;
* ordinals pick from the previous citations; "of those" restricts to them.

A question that stands on its own is never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.conversation import State
from assistant.evaluate import evaluate  # the evaluator's own set algebra, for what a union adds
from assistant.text import words
from assistant.understand import cues
from assistant.understand.asks import asked_sentence
from assistant.understand.numbers import Numbers, pick
from assistant.understand.query import Ask, Constraint, Kind, MatchHow, Query, Rank, Role
from index.parse import Plan


def _own_subject(q: Query) -> bool:
    return bool(
        q.of(Kind.AGENCY, None)
        or q.measures
        or q.out_of_range
        or q.topic_terms
        or q.unknown_bodies
        or q.of(Kind.SECTION, None)
        or q.ask in (Ask.RANK_AGENCIES, Ask.RANK_SECTIONS, Ask.RANK_MEASURES, Ask.FACT)
    )


def needs_history(q: Query, nums: Numbers) -> bool:
    """Does the question lean on the previous turn?"""
    text = q.text
    if nums.ordinals and not q.measures and nums.position is None:
        return True
    if cues.SAME_SECTION.search(text) or cues.NEXT_SECTION.search(text) or cues.UNION.search(text):
        return True
    if cues.SET_ANAPHOR.search(text) and not q.measures:
        return bool(cues.PARTITIVE.search(text) or cues.FILTER.search(text)) or not _own_subject(q)
    if cues.FILTER.search(text) and _only_filters(q):
        return True  # "drop the ones in section V": a filter of the previous answer
    if cues.CORRECTION.search(text):
        return True
    if cues.PARTNER.search(text) and _PRONOUN_AGENCY.search(text) and q.of(Kind.AGENCY):
        return True  # "is it ever paired with MOE?": "it" is the other body
    asked = asked_sentence(text)  # "nice. and does it ...": the cue opens the asking sentence
    if cues.CONTINUATION.search(text) or cues.CONTINUATION.search(asked):
        text = asked
        # "and what about seed varieties?" brings its own topic: it stands on its own
        own_records = [c for c in q.constraints if c.kind != Kind.TOPIC]
        return not q.measures and (bool(own_records) or not q.topic_terms or bool(cues.SAME_SECTION.search(text)))
    return bool(cues.PRONOUN.search(text)) and not _own_subject(q)


def _only_filters(q: Query) -> bool:
    """The question names sections (or excluded agencies) and nothing to select by on its own."""
    kept = [c for c in q.constraints if c.kind != Kind.TOPIC]
    return bool(kept) and all(c.kind == Kind.SECTION or (c.kind == Kind.AGENCY and not c.include) for c in kept)


def _section_of(plan: Plan, cited: list[int]) -> str | None:
    sections = {plan.measure(n).section for n in cited}
    return sections.pop() if len(sections) == 1 else None


def edit(q: Query, prev: Query, state: State, nums: Numbers, plan: Plan, recall=None) -> Query:
    """``q`` as an edit of ``prev`` given the previous answer's citations (see module doc). Without
    citations (a client that kept only the text), ``recall(prev)`` answers the previous query again."""
    cited = [n for n in state.citations if 1 <= n <= len(plan.measures)]
    if not cited and recall is not None and prev.constraints:
        cited = list(recall(prev))
    q.history_used = True
    q.previous = list(cited)
    q.trace.append(f"history: previous query {[c.describe() for c in prev.constraints]}, citations {cited}")
    text = q.text
    own = [c for c in q.constraints]

    # "and the least?" after a ranking: the same ranking, the other way
    rankings = (Ask.RANK_AGENCIES, Ask.RANK_SECTIONS, Ask.RANK_MEASURES)
    most, fewest = bool(cues.MOST.search(text.replace("MOST", ""))), bool(cues.FEWEST.search(text))
    if prev.ask in rankings and (most or fewest) and not [c for c in own if c.kind != Kind.TOPIC]:
        q.ask, q.among_ministries = prev.ask, prev.among_ministries
        flip = {"most": "fewest", "fewest": "most"}
        name = str(prev.rank or "")
        direction = "most" if most else "fewest"
        q.rank = Rank(direction + name[name.index("_") :]) if "_" in name else prev.rank
        if q.rank == Rank.MOST_AGENCIES and direction == "fewest":
            q.rank = prev.rank
        q.constraints = []
        q.edit = f"ranking, {flip.get(name.split('_')[0], direction)} -> {direction}"
        return q

    # "and counting every role?" after "who leads the most?": the same ranking, by any role
    if prev.ask == Ask.RANK_AGENCIES and cues.EVERY_ROLE.search(text) and not [c for c in own if c.kind != Kind.TOPIC]:
        q.ask, q.among_ministries, q.constraints = prev.ask, prev.among_ministries, []
        q.rank = {Rank.MOST_LED: Rank.MOST_NAMED, Rank.FEWEST_LED: Rank.FEWEST_NAMED}.get(prev.rank, prev.rank)
        q.edit = f"ranking, {prev.rank} -> {q.rank}"
        return q

    # "how many is that?": the previous answer, counted
    if q.ask == Ask.COUNT and not own and cited and _ANSWER_REF.search(text):
        q.constraints = [Constraint(Kind.PREVIOUS, "", text="that", how="history")]
        q.edit = "count of previous"
        return q

    # "the same section" -> the previous answer's section
    if cues.SAME_SECTION.search(text) and not q.of(Kind.SECTION, None):
        numeral = _section_of(plan, cited) or prev.section
        if numeral:
            own = [c for c in own if c.kind != Kind.SECTION] + [
                Constraint(Kind.SECTION, numeral, text="the same section", how="history")
            ]

    # "the next section" -> the one after the previous answer's section ("the previous part": before it)
    if (step := cues.NEXT_SECTION.search(text)) and not q.of(Kind.SECTION, None):
        numeral = _section_of(plan, cited) or prev.section
        numerals = [s.numeral for s in plan.sections]
        if numeral in numerals:
            forward = (step.group("d") or "").lower() in ("next", "following", "subsequent") or "下" in step.group(0)
            i = numerals.index(numeral) + (1 if forward else -1)
            if 0 <= i < len(numerals):
                own = [c for c in own if c.kind != Kind.SECTION] + [
                    Constraint(Kind.SECTION, numerals[i], text=step.group(0), how="history")
                ]

    # "those plus part VIII": the previous answer's measures and the new constraints' (a union)
    records = [c for c in own if c.kind in (Kind.SECTION, Kind.AGENCY, Kind.MEASURES) and c.include]
    if cues.UNION.search(text) and cited and records:
        added = evaluate(Query(text="", constraints=records), plan, None).numbers
        union = tuple(sorted(set(cited) | set(added)))
        q.constraints = [Constraint(Kind.MEASURES, union, text=text, how="union")]
        q.edit = "union with previous"
        q.trace.append(f"union: previous {len(cited)} + {len(added)} added = {len(union)}")
        return q

    # ordinals pick from the previous citations: "the second one", "the last of those"
    if nums.ordinals and not q.measures and nums.position is None and cited:
        picked = [n for o in nums.ordinals if (n := pick(cited, o)) is not None]
        if picked:
            q.constraints = [Constraint(Kind.MEASURES, tuple(dict.fromkeys(picked)), text="ordinal", how="history")]
            q.edit = "ordinal of previous"
            if q.ask not in (Ask.WHO, Ask.COUNT, Ask.YES_NO):
                q.ask = Ask.MEASURES
            return q

    partitive = (
        bool(cues.PARTITIVE.search(text))
        or (bool(cues.SET_ANAPHOR.search(text)) and bool(own) and not cues.CONTINUATION.search(text))
        or (bool(cues.FILTER.search(text)) and _only_filters(q) and not cues.CORRECTION.search(text))
    )
    pronoun_agency = bool(cues.PRONOUN.search(text)) and not q.of(Kind.AGENCY, None)
    if partitive and not cited:  # "which of those ..." after an answer that cited nothing
        q.constraints = [Constraint(Kind.PREVIOUS, "", text="those", how="history"), *own]
        q.edit = "subset of previous (empty)"
        return q
    if partitive and cited:
        extra = list(own)
        sole = _role_cue(text) == Role.SOLE  # "listing no other body": none but the previous agency
        if (pronoun_agency or sole) and prev.of(Kind.AGENCY) and not any(c.kind == Kind.AGENCY for c in extra):
            role = q.role or _role_cue(text)
            if role:  # "of these, the ones it heads?": the previous agency with the new role
                a = _previous_agencies(prev, cited, plan)[0]
                extra.append(replace(a, role=role))
        q.constraints = [Constraint(Kind.PREVIOUS, "", text="those", how="history"), *extra]
        q.edit = "subset of previous"
        return q

    correction = bool(cues.CORRECTION.search(text))
    continuation = bool(cues.CONTINUATION.search(text))
    agency_ref = bool(_AGENCY_REF.search(text)) and not q.of(Kind.AGENCY, None)
    if (
        agency_ref
        and q.ask != Ask.WHO
        and (q.ask in (Ask.COUNT, Ask.YES_NO) or _role_cue(text))
        and _previous_agencies(prev, cited, plan)
    ):
        # "that body: its lead count?": the previous agency
        role = _role_cue(text)
        agencies = _previous_agencies(prev, cited, plan)
        if role:
            agencies[0] = replace(agencies[0], role=role)
        keep = [c for c in prev.constraints if c.kind not in (Kind.AGENCY, Kind.MEASURES, Kind.PREVIOUS)]
        q.constraints = [*agencies, *keep, *own] if continuation else [*agencies, *own]
        if _ELSE.search(text) and cited:  # "and what else does it lead?": beyond what was shown
            q.constraints.append(Constraint(Kind.PREVIOUS, "", include=False, text="else", how="history"))
        q.edit = "previous agency"
        return q
    if ((correction or continuation) and (own or _role_cue(text) or q.topic_terms)) or (not _own_subject(q) and own):
        merged = _replace_kinds(prev.constraints, own, q, text)
        q.constraints = merged
        q.edit = "correction" if correction else "same for"
        if q.ask == Ask.MEASURES and prev.ask not in (Ask.FACT,):
            q.ask = prev.ask
            q.rank = prev.rank
        return q

    if cues.PRONOUN.search(text) or cues.SET_ANAPHOR.search(text):
        if len(cited) == 1 or (cited and not prev.of(Kind.AGENCY)):
            q.constraints = [*own, Constraint(Kind.MEASURES, tuple(cited), text="it", how="history")]
            q.edit = "pronoun: previous measures"
            return q
        if prev.of(Kind.AGENCY):
            previous = _previous_agencies(prev, cited, plan)
            if cues.PARTNER.search(text):  # "any shared with MOE?" about it: any measure of it, whatever its role
                previous = [replace(c, role=Role.ANY) for c in previous]
            q.constraints = [*own, *previous]
            role = _role_cue(text)
            if role:
                q.constraints[len(own)] = replace(q.constraints[len(own)], role=role)
            q.edit = "pronoun: previous agency"
            return q
    q.history_used = False
    q.previous = []
    return q


def _role_cue(text: str) -> Role | None:
    if cues.SOLE.search(text):
        return Role.SOLE
    if cues.CO.search(text):
        return Role.CO
    said = set(words(text.replace("MOST", "")))
    if said & cues.LEAD_WORDS or any(z in text for z in cues.LEAD_ZH[:2]):
        return Role.LEAD
    return None


_AGENCY_REF = re.compile(
    r"\b(?:that|this|the same|the|same) (?:agency|ministry|body|department|office|administration|one)\b|"
    r"\b(?:they|their|it|its)\b|该部门|这个部门|它",
    re.I,
)


_ELSE = re.compile(
    r"\b(?:anything|something|what|any(?:thing)?|measures?) else\b|\bother (?:measures|ones)\b|还有别的|其他的", re.I
)
_PRONOUN_AGENCY = re.compile(r"\b(?:it|its|they|their|them)\b|它", re.I)
# The previous answer as a whole: "how many is that", "count those", "how many are there in that list"
_ANSWER_REF = re.compile(
    r"\b(?:is|are|was|were|makes?)\s+(?:that|those|these|them|they|it)\b|\bcount\s+(?:that|those|these|them)\b"
    r"|\b(?:of|in)\s+(?:that|those|these|them)\s*\??\s*$|一共几条|总共几条|有几条",
    re.I,
)


def refers_back(text: str) -> bool:
    """Does the question point at the previous turn ("that agency", "those", "it")?"""
    return bool(_AGENCY_REF.search(text) or cues.SET_ANAPHOR.search(text) or cues.PARTITIVE.search(text))


def _previous_agencies(prev: Query, cited: list[int], plan: Plan) -> list[Constraint]:
    """The agencies the previous turn was about; after "who leads measure 18?", that measure's lead."""
    found = [replace(c, how=str(MatchHow.HISTORY)) for c in prev.of(Kind.AGENCY, None)]
    if not found and len(cited) == 1 and plan.measure(cited[0]).lead_agency:
        lead = plan.measure(cited[0]).lead_agency
        found = [Constraint(Kind.AGENCY, lead, text=f"measure {cited[0]}", how=str(MatchHow.HISTORY))]
    return found


def _replace_kinds(previous: list[Constraint], new: list[Constraint], q: Query, text: str) -> list[Constraint]:
    """Previous constraints with those of the kinds the follow-up names replaced by the new ones."""
    kinds = {c.kind for c in new}
    kept = [c for c in previous if c.kind not in kinds]
    role = _role_cue(text)
    if not new and role:  # "no, I meant where it leads": the role of the previous agency
        kept = [replace(c, role=role) if c.kind == Kind.AGENCY and c.include else c for c in kept]
    if Kind.AGENCY in kinds:
        # "the same for X" keeps the previous agency's role unless a new one is said
        prev_role = next((c.role for c in previous if c.kind == Kind.AGENCY and c.include), Role.ANY)
        new = [
            replace(c, role=prev_role) if c.kind == Kind.AGENCY and c.role == Role.ANY and c.include else c for c in new
        ]
    return [*kept, *new]
