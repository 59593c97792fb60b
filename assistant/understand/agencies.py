"""Extractor: agencies, with their role and polarity.

Agencies are found by name, abbreviation, short name or Chinese name (the registry), by the names
they carry today (successors: "CNIPA" is the 2012 SIPO; "SAMR" merged SAIC and AQSIQ), through
typos, and by description ("the farm ministry"). Each mention then takes:

* a **role** from the nearest role cue: "leads" (lead), "named, though not leading" (co-responsible),
  "with no other body" / "on its own" (sole), "as lead or co-agency" (any);
* a **polarity** from cue words right before it ("except", "without", "other than", "neither/nor",
  "not led by") or right after it ("... where MIIT plays no part").

Two agencies joined by "or" are one constraint satisfied by either; otherwise agencies are ANDed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from assistant.text import HEADS, word_spans, words
from assistant.understand import cues
from assistant.understand.query import Constraint, Kind, MatchHow, Role
from index.agencies import Registry


@dataclass(frozen=True)
class _Mention:
    names: tuple[str, ...]  # one 2012 body, or the bodies a today's name merged
    text: str
    start: int
    end: int
    how: MatchHow
    score: float = 1.0
    successor: str = ""


@dataclass
class Agencies:
    """What the agency extractor claims."""

    constraints: list[Constraint]
    spans: list[tuple[int, int]]
    successors: list[str]  # notes: "CNIPA (named in the plan as State Intellectual Property Office)"
    unknown: list[str]
    trace: list[str]


class AgencyFinder:
    """Agency mentions of a question over one registry (``describer`` matches descriptions)."""

    def __init__(self, registry: Registry, describer=None):
        self.registry = registry
        self.describer = describer

    def mentions(self, text: str, taken: list[tuple[int, int]]) -> tuple[list[_Mention], list[str], list[str]]:
        """The agencies ``text`` names or describes, with how each description was read (for explain) and
        the bodies it names that the registry does not know. Nothing is kept on the finder: it is shared."""
        readings: list[str] = []
        found: list[_Mention] = []
        for s in self.registry.find_successors(text):
            label = s.successor.abbreviations[0] if s.successor.abbreviations else s.successor.name
            found.append(
                _Mention(s.agencies, s.text, s.start, s.start + len(s.text), MatchHow.SUCCESSOR, successor=label)
            )
        own = self.registry.find(text, fuzzy=False, every=True) or self.registry.find(text, fuzzy=True)
        for m in own:
            span = (m.start, m.start + len(m.text))
            overlap = [f for f in found if f.start < span[1] and span[0] < f.end]
            if any(f.end - f.start >= span[1] - span[0] for f in overlap):
                continue  # a longer today's name wins over the 2012 name inside it
            found = [f for f in found if f not in overlap]
            found.append(_Mention((m.agency,), m.text, span[0], span[1], MatchHow(m.how)))
        unknown = [] if found else self.registry.unknown_bodies(text)
        if self.describer is not None:
            cue_spans = [(a, b) for a, b, _ in _role_cues(text)]
            cue_spans += [(text.find(u), text.find(u) + len(u)) for u in unknown]  # "Ministry of Tourism" is a name
            spans = taken + [(f.start, f.end) for f in found] + cue_spans
            plain = _DUTY_PHRASE.sub(lambda m: "for".ljust(len(m.group(0))), text)  # offsets unchanged
            for ref, start, end in self.describer.find(plain, spans):
                if any(a <= start < b for a, b in cue_spans):
                    continue
                if any(ref.name in f.names for f in found):
                    beside = any(  # described right beside its name ("the farm ministry (MARA)"): one mention
                        ref.name in f.names
                        and (_APPOSITION.fullmatch(text[end : f.start]) or _APPOSITION.fullmatch(text[f.end : start]))
                        for f in found
                    )
                    if beside:
                        found.append(
                            _Mention((ref.name,), text[start:end], start, end, MatchHow.DESCRIPTION, ref.score)
                        )
                    continue  # elsewhere, its words stay in the topic ("CNIPA ... the IP service-sector measures")
                if self.describer.plan_subject(text[start:end], ref.name):
                    readings.append(f"“{text[start:end]}” read as a topic, not {ref.name}: the plan's own words")
                    continue
                if reading := topic_reading(text, start, end):
                    readings.append(f"“{text[start:end]}” read as a topic, not {ref.name}: {reading}")
                    continue
                readings.append(f"“{text[start:end]}” read as {ref.name}: it is what the question asks about")
                found.append(_Mention((ref.name,), text[start:end], start, end, MatchHow.DESCRIPTION, ref.score))
        found = [self._extend(text, f) for f in found if not any(a <= f.start < b for a, b in taken)]
        return sorted(found, key=lambda f: f.start), readings, unknown

    def _today(self, name: str) -> set[str]:
        """A 2012 body and the names it carries today: {"Legislative Affairs Office", "Ministry of Justice"}."""
        agency = self.registry.by_name.get(name)
        return {name, *(s.name for s in agency.successors)} if agency else {name}

    def _one_body_today(self, constraints: list[Constraint]) -> list[Constraint] | None:
        """Included agencies that are one body today, merged into one "any of" constraint ("today's Ministry
        of Justice, counting the legislative office it absorbed"); None when there are none to merge."""
        agencies = [c for c in constraints if c.kind == Kind.AGENCY and c.include and c.role == Role.ANY]
        if len(agencies) < 2:
            return None
        names = [c.any_of or (str(c.value),) for c in agencies]
        today = [set().union(*(self._today(n) for n in ns)) for ns in names]
        if not all(today[0] & t for t in today[1:]):
            return None
        union = tuple(dict.fromkeys(n for ns in names for n in ns))
        first = agencies[0]
        merged = replace(first, any_of=union, text=" + ".join(c.text for c in agencies))
        return [merged if c is first else c for c in constraints if c not in agencies[1:]]

    def _own_words(self, name: str) -> set[str]:
        """Every word the registry uses for a body: names, short names, abbreviations, roles."""
        a = self.registry.by_name[name]
        said = [a.name, *a.short_names, *a.abbreviations, *a.roles]
        return {w for n in said for w in words(n)}

    def _extend(self, text: str, m: _Mention) -> _Mention:
        """Names run on in two general ways: "... of the State Council" (the organ it sits under), and
        a merger's "... and <Words>" when those words are in the body's successor names ("Ministry of
        Culture" + "and Tourism" is today's name of the 2012 Ministry of Culture)."""
        rest = text[m.end :]
        if suffix := _STATE_COUNCIL.match(rest):
            m = replace(m, end=m.end + suffix.end(), text=text[m.start : m.end + suffix.end()])
            rest = text[m.end :]
        slashed = _SLASHED.match(rest)
        if slashed and len(m.names) == 1 and set(words(slashed.group(1))) <= self._own_words(m.names[0]):
            m = replace(m, end=m.end + slashed.end(), text=text[m.start : m.end + slashed.end()])
            rest = text[m.end :]
        if aside := _ASIDE.match(rest):  # what the body does, said to name it: not the question's topic
            m = replace(m, end=m.end + aside.end())
            rest = text[m.end :]
        merged = _AND_WORDS.match(rest)
        if merged and len(m.names) == 1:
            added = set(words(merged.group(1)))
            for succ in self.registry.by_name[m.names[0]].successors:
                said = {w for n in (succ.name, *succ.short_names) for w in words(n)}
                if added <= said:
                    end = m.end + merged.end()
                    label = succ.abbreviations[0] if succ.abbreviations else succ.name
                    return _Mention(m.names, text[m.start : end], m.start, end, MatchHow.SUCCESSOR, m.score, label)
        return m

    def extract(self, text: str, taken: list[tuple[int, int]]) -> Agencies:
        mentions, readings, unknown_bodies = self.mentions(text, taken)
        trace = list(readings)
        if mentions:
            trace.append(
                "agencies: "
                + "; ".join(f"{' | '.join(m.names)} ← “{m.text}” ({m.how}, {m.score:.2f})" for m in mentions)
            )
        roles = _roles(text, mentions)
        not_sole = _not_sole(text, mentions)
        constraints: list[Constraint] = []
        merged_with_previous = False
        for i, m in enumerate(mentions):
            include, negated_role = _polarity(text, m, mentions, roles)
            role = negated_role or roles.get(i, Role.ANY)
            c = Constraint(
                Kind.AGENCY,
                m.names[0],
                include,
                role,
                m.text,
                str(m.how),
                m.score,
                any_of=m.names if len(m.names) > 1 else (),
            )
            between = text[mentions[i - 1].end : m.start] if i else ""
            if i and constraints and re.fullmatch(r"\s*,?\s*(?:or|and/or|/)\s+(?:the\s+)?", between) and include:
                prev = constraints[-1]
                names = tuple(dict.fromkeys([*(prev.any_of or (str(prev.value),)), *m.names]))
                constraints[-1] = replace(prev, any_of=names, text=f"{prev.text} or {m.text}")
                merged_with_previous = True
                continue
            if i and _APPOSITION.fullmatch(between) and _bodies(c) <= set(mentions[i - 1].names) and constraints:
                if constraints[-1].role == Role.ANY:  # "customs (GACC)", "the farm ministry, MARA today":
                    constraints[-1] = replace(constraints[-1], role=role)  # the same mention again
                continue
            if not c.any_of and any(p.include == include and str(c.value) in p.any_of for p in constraints):
                continue  # a 2012 body beside the today's name that merged it ("SAMR ... SAIC") is that body
            if not include and i in not_sole:  # "that aren't MOE alone": the negation is the sole role's
                c = replace(c, role=Role.SOLE)
            key = (include, _bodies(c))
            same = next((k for k, p in enumerate(constraints) if (p.include, _bodies(p)) == key), None)
            if same is not None:  # the body named again ("CNIPA (SIPO back then)"): one constraint, not a joint
                if constraints[same].role == Role.ANY:
                    constraints[same] = replace(constraints[same], role=role)
                continue
            constraints.append(c)
            if include and i in not_sole:  # "never on its own": its measures, less those it has alone
                constraints.append(replace(c, include=False, role=Role.SOLE))
        if merged_with_previous:
            trace.append("agencies joined by “or”: either one")
        if _MERGER.search(text) and (merged := self._one_body_today(constraints)) is not None:
            constraints = merged
            trace.append("agencies that are one body today (a merger is said): any of them")
        successors = [f"{m.successor} (named in the plan as {' and '.join(m.names)})" for m in mentions if m.successor]
        unknown = [] if mentions else unknown_bodies
        return Agencies(constraints, [(m.start, m.end) for m in mentions], successors, unknown, trace)


# Between two names of one body said as one mention: a bracket, a comma or slash, "i.e.", "aka"
_APPOSITION = re.compile(r"\s*(?:[(\[]|[,/]|,?\s*(?:i\.?e\.?|aka|a\.k\.a\.|or rather)\s*,?)\s*(?:the\s+)?", re.I)


def _bodies(c: Constraint) -> frozenset[str]:
    return frozenset(c.any_of or (str(c.value),))


_FOR_SECTION = re.compile(
    r"\s*(?:(?:listed|found|located|included|contained|named|set out|grouped|placed|belonging)\s+)?"
    r"(?:(?:under|in|within|from|to|of|by)\s+)?(?:the\s+)?"
    r"(?:(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|same)\s+)?(?:sections?|parts?|chapters?)\b",
    re.I,
)
# "the body in charge of seeds" reads as "the body for seeds" (same length, so offsets hold)
_DUTY_PHRASE = re.compile(
    r"\b(?:in charge of|responsible for|looking after|dealing with|overseeing|running|managing|supervising|"
    r"regulating|handling)\b",
    re.I,
)
# The organs a ministry or department is named under: "... of the State Council", "... of the CMC".
_PARENTS = ["State Council", "Central Military Commission", "CMC", "CPC Central Committee", "PLA"]
_STATE_COUNCIL = re.compile(r"^\s+of\s+(?:the\s+)?(?:" + "|".join(_PARENTS) + r")\b", re.I)
_AND_WORDS = re.compile(r"^\s+(?:and|&)\s+([A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,2})")
# A merger said in the question: the bodies named are one body today, so any of them counts.
_MERGER = re.compile(
    r"\b(?:absorb(?:ed|s)?|merged?|merging|folded|counting|incorporat(?:ed|ing)|now part of|successor|"
    r"predecessors?|former(?:ly)?|now(?!\s+(?:what|how|which|show|list|give|tell))|today'?s?)\b"
    r"|并入|并进|合并|整合|算上|原来的|前身|现在都|原(?![因则创始本])",
    re.I,
)
# "radio/film/TV regulator": more of the body's own words joined by slashes, then its head noun
_SLASHED = re.compile(r"^((?:\s*/\s*[A-Za-z][\w-]*)+)(\s+(?:" + "|".join(sorted(HEADS)) + r")\b)?", re.I)
# "customs (the body which checks cargo)", "... office, i.e. the one who ...": a description aside
_ASIDE = re.compile(
    r"^\s*(?:\(\s*(?:i\.e\.,?\s*|that is,?\s*)?(?:the\s+(?:one|body|agency|office)\s+)?(?:that|which|who)\b[^)]*\)"
    r"|[,—–-]+\s*(?:i\.e\.,?\s*)?the\s+(?:one|body|agency|office)\s+(?:that|which|who)\b[^,;:?.—–]*)",
    re.I,
)
_PASSIVE_AFTER = re.compile(r"^\W*(?:\w+\s+){0,2}?(?:be|been|being|get|gets|got)\s+\w+(?:ed|en|t)\b", re.I)
# "about the ...", "about beefing up the ...": what the question is about, up to three words on
_ABOUT_BEFORE = re.compile(
    r"(?<!what )(?<!how )\b(?:about|concerning|regarding)\s+(?:(?!what\b|which\b|who\b|whose\b)\w+\s+){0,3}$", re.I
)
_PERSONS = {"judges", "people", "officials", "inspectors", "folks", "guys", "cops", "diplomats", "officers", "staff"}
_DUTY = re.compile(
    r"\b(?:do|does|doing|must|should|lead|leads|handle|handles|responsible|task|tasks|job|jobs|duty|duties|role|"
    r"roles|in charge|supposed|expected|required|asked|told|assigned|named|involved|involve|involving)\b",
    re.I,
)


def topic_reading(text: str, start: int, end: int) -> str:
    """Why a described body is part of the topic rather than the body asked about ("" if it is the body).

    "How are the courts that try patent disputes to be reorganised?" -> the subject of a passive
    ("be organised"): what is done about them is the topic. "What must the farm ministry do?" -> ""."""
    phrase = text[start:end].lower()
    after = text[end:]
    if _PASSIVE_AFTER.match(after) and not _DUTY.search(after):
        return "it is what something is done to (a passive verb follows)"
    if _ABOUT_BEFORE.search(text[:start]) and not _DUTY.search(text):
        return "it follows “about/on/how”, with no duty asked"
    head = [phrase[s:e].lower() for _, s, e in word_spans(phrase)]  # "people's" stays possessive
    owner = re.sub(r"['’]s$", "", head[-1]) if head else ""
    if owner in _PERSONS and (owner != head[-1] or re.match(r"['’]s\b", text[end:])):
        return "a possessive (people's data), not a body"
    persons = [i for i, w in enumerate(head) if w in _PERSONS]
    participle = bool(persons) and any(w.endswith("ing") for w in head[persons[0] + 1 : persons[0] + 2])
    if (
        persons
        and (re.search(r"\b(?:who|that|which)\b", phrase + after[:6]) or participle)  # "judges handling ..."
        and not _DUTY.search(text)
    ):
        return "people described by what they do, with no duty asked"
    return ""


def _role_cues(text: str) -> list[tuple[int, int, Role]]:
    """Role cues with their spans; "not as the lead" is one co-responsible cue, not a lead cue."""
    found: list[tuple[int, int, Role]] = [(m.start(), m.end(), Role.ANY) for m in cues.EVERY_ROLE.finditer(text)]
    # "only one responsible body" counts the measures' bodies (see bodies()): no agency's role
    counts = [m.span() for m in cues.ONE_BODY.finditer(text)]
    for m in cues.SOLE.finditer(text):
        if any(a <= m.start() < b for a, b in counts):
            continue
        if not any(a <= m.start() < b for a, b, _ in found) and not _negated(text, m.start()):
            found.append((m.start(), m.end(), Role.SOLE))
    sole_spans = [(*m.span(), Role.SOLE) for m in cues.SOLE.finditer(text)]  # "on its own" is no "own" (a lead word)

    for m in cues.CO.finditer(text):
        if re.search(
            r"\b(?:not|n't) (?:just|only|merely|simply)\s*$|\b(?:rather than|instead of)\s*$", text[: m.start()], re.I
        ):
            continue  # "leads it, not merely helps": the contrast names the other role
        inclusive = cues.INCLUSIVE_BEFORE.search(text[: m.start()])  # "including where it only supports"
        if not any(a <= m.start() < b for a, b, _ in found):
            found.append((m.start(), m.end(), Role.ANY if inclusive else Role.CO))
    for m in re.finditer(r"(?:first-)?[A-Za-z]+", text):  # "SAIC-led" leads too
        if m.group(0).lower() in cues.LEAD_WORDS and not any(a <= m.start() < b for a, b, _ in found + sole_spans):
            if m.group(0) == "MOST" or text[max(0, m.start() - 3) : m.start()].lower() == "co-":
                continue  # the ministry of science; "co-own" is sharing, not leading
            found.append((m.start(), m.end(), Role.LEAD))
    for m in cues.LEAD_PHRASE.finditer(text):  # "listed first" (a negated one is a co-responsible cue, above)
        if not any(a <= m.start() < b for a, b, _ in found):
            found.append((m.start(), m.end(), Role.LEAD))
    for z in cues.LEAD_ZH[:2]:
        if (i := text.find(z)) >= 0 and not any(a <= i < b for a, b, _ in found):
            found.append((i, i + len(z), Role.LEAD))
    return found


def bodies(text: str, constraints: list[Constraint]) -> tuple[Constraint, tuple[int, int]] | None:
    """How many bodies the measures name, as a constraint with the span of its cue: with no agency asked
    about, a sole cue ("just one responsible body", "handled alone") keeps the measures with one agency (a
    negated one drops them); "several agencies" drops them, with or without an agency ("SIPO's measures
    with several agencies": SIPO's shared ones)."""
    agency = any(c.kind == Kind.AGENCY and c.include for c in constraints)
    if m := cues.MANY_BODIES.search(text):
        return _counted(text, m, one=False)
    if m := cues.ONE_BODY.search(text) or (not agency and cues.SOLE.search(text)):  # X's measures with one body:
        return _counted(text, m, one=True)  # X's sole ones, the same set as X's sole role
    if not agency and (m := cues.SHARED.search(text) or cues.CO_BODIES.search(text)):  # "don't list any co-agencies"
        return _counted(text, m, one=False)
    return None


def _counted(text: str, m: re.Match, one: bool) -> tuple[Constraint, tuple[int, int]]:
    """The body-count constraint of cue ``m`` ("one body" or "more than one"), flipped when it is said in
    the negative ("aren't owned by a single agency"); its span takes in the negation."""
    window = max(0, m.start() - 48)
    negation = _negation_before(2).search(text[window : m.start()])
    if m.group(0).lower().startswith("no "):  # "with no partners" is itself the negation
        negation = None
    start = window + negation.start() if negation else m.start()
    include = one != bool(negation)
    return Constraint(Kind.BODIES, "1", include=include, text=text[start : m.end()], how="cue"), (start, m.end())


def _negated(text: str, start: int) -> bool:
    """A sole-role cue said in the negative: "never on its own", "isn't alone", "nor the only body"."""
    return bool(_negation_before(1).search(text[max(0, start - 16) : start]))


_NOT_LED_BY = re.compile(
    r"(?:\bnot|n't|\bnever)\s+(?:\w+\s+)?(?:led|headed|spearheaded|fronted|steered|helmed|driven|run)\s+by\s+"
    r"(?:the\s+)?$",
    re.I,
)


@lru_cache(maxsize=4)
def _negation_before(gap: int) -> re.Pattern:
    """A negation ending a text, up to ``gap`` words before its end: "not", "aren't owned by"."""
    return re.compile(rf"(?:\bnot|n't|\bnever|\bnor|\bneither|\bno longer)\s+(?:\w+\s+){{0,{gap}}}$", re.I)


def _not_sole(text: str, mentions: list[_Mention]) -> set[int]:
    """The mentions said not to be alone: a negated sole-role cue ("never on its own") or a shared one
    ("sharing them with other agencies") belongs to them."""
    if not mentions:
        return set()
    negated = [m for m in cues.SOLE.finditer(text) if _negated(text, m.start())]
    return {_owner(text, mentions, m.start(), m.end()) for m in [*negated, *cues.SHARED.finditer(text)]}


def _roles(text: str, mentions: list[_Mention]) -> dict[int, Role]:
    """Each role cue goes to the nearest agency mention (by characters)."""
    out: dict[int, Role] = {}
    if not mentions:
        return out
    strength = {Role.LEAD: 1, Role.CO: 2, Role.SOLE: 3, Role.ANY: 4}  # "as lead or otherwise" names every role
    for k, m in enumerate(mentions):  # "that only MOFCOM is responsible for": only that body
        if re.search(r"\bonly\s+(?:the\s+)?$", text[: m.start]):
            out[k] = Role.SOLE
    for start, end, role in _role_cues(text):
        if any(m.start <= start < m.end and m.how != MatchHow.DESCRIPTION for m in mentions):
            continue  # a word inside an agency's own name
        i = _owner(text, mentions, start, end)
        if i not in out or strength[role] > strength[out[i]] and out[i] != Role.SOLE:
            out[i] = role
    return out


def _owner(text: str, mentions: list[_Mention], start: int, end: int) -> int:
    """The mention a role cue belongs to: "led by X" / "headed by X" binds forward; otherwise the
    cue describes the nearest agency before it ("X takes part but doesn't lead"), else the next one."""
    cue = text[start:end].strip().lower()
    forward = re.match(r"\s*(?:\w+\s+)?by\b", text[end:]) or cue.endswith(" by") or cue == "only"
    before = [k for k, m in enumerate(mentions) if m.end <= start]
    after = [k for k, m in enumerate(mentions) if m.start >= end]
    if forward and after:
        return after[0]
    if before and (start - mentions[before[-1]].end) <= 80:
        return before[-1]
    if after:
        return after[0]
    return min(range(len(mentions)), key=lambda k: min(abs(start - mentions[k].end), abs(mentions[k].start - end)))


def _polarity(text: str, m: _Mention, mentions: list[_Mention], roles: dict) -> tuple[bool, Role | None]:
    """(include, role of an exclusion): "not led by X" excludes X's lead measures only."""
    prev_end = max((o.end for o in mentions if o.end <= m.start), default=0)
    window = text[max(prev_end, m.start - 48) : m.start]
    if _NOT_LED_BY.search(window):  # "measures not headed by X": all but those X leads
        return False, Role.LEAD
    if re.search(r"[,;]\s*(?:and\s+|but\s+)?not\s+(?:the\s+)?$", window, re.I):
        return False, None  # "X, not Y": the contrast excludes Y
    before = cues.EXCLUDE_BEFORE.search(window)
    if before:
        if re.search(r"\bled by\s*(?:\w+\W+){0,2}$", before.group(0), re.I):
            return False, Role.LEAD
        return False, None
    after_text = text[m.end : m.end + 40]
    after = cues.EXCLUDE_AFTER.search(after_text)
    if after and _FOR_SECTION.match(text[m.end + after.end() :]):
        after = None  # "X not listed under section 6": the negation is the section's
    if after:
        role_spans = [(a - m.end, b - m.end) for a, b, _ in _role_cues(text) if m.end <= a < m.end + 40]
        if not any(a <= after.end() and after.start() <= b for a, b in role_spans):
            return False, None
    return True, None
