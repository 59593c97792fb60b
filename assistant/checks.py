"""Check stage: pure functions that decide whether a model sentence may be shown, and the
extractive sentence used when it may not. Quotes never come from here: they are the plan's text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from assistant import prompts
from assistant.highlight import choose
from assistant.text import CITATION, HEADS, STOP, stem, terms, words
from index.clauses import opening_verbs, split_clauses
from index.parse import Measure

GROUNDED = 0.6  # share of a model sentence's content words that must occur in its measure


def guard_citations(sentence: str, allowed: set[int]) -> str:
    """Remove every ``[n]`` that is not a retrieved measure. ``"x [7] [99]", {7} -> "x [7]"``."""
    cleaned = CITATION.sub(lambda m: m.group(0) if int(m.group(1)) in allowed else "", sentence)
    return re.sub(r"\s+([.,;])", r"\1", re.sub(r"\s{2,}", " ", cleaned)).strip()


def groundedness(sentence: str, measure: Measure) -> float:
    """Share of the sentence's content words found in the measure (text, section, agencies)."""
    words = [w for w in terms(CITATION.sub(" ", sentence)) if w not in {"require", "requir", "ask", "call", "aim"}]
    if not words:
        return 0.0
    source = set(terms(f"{measure.text} {measure.section_title} {' '.join(measure.agencies)}"))
    return sum(w in source for w in words) / len(words)


_LEADING_REF = re.compile(rf"^(?:the\s+)?(?:measures?|item)\s*{CITATION.pattern}\s*", re.I)


def first_sentence(raw: str) -> str:
    """The reply's first line and, of it, the first sentence, with whitespace collapsed."""
    text = " ".join(raw.split("\n")[0].split())
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", text, maxsplit=1)[0]


@dataclass(frozen=True)
class Verdict:
    """What the checks made of a reply: the sentence to show (or None) and, if None, why not."""

    sentence: str | None
    reason: str = ""  # "" when shown; else the first check that failed (see :data:`REASONS`)


# The checks in the order they run; a reply is rejected by the first that fails.
REASONS = (
    "citation",  # does not cite this measure, or cites another one
    "scaffold",  # echoes the prompt ("Measure [48] (responsible: ...)", "Staff question", "In one sentence")
    "length",
    "script",  # another script, mojibake
    "repetition",  # a phrase said twice that the measure says once ("a plan and a plan")
    "stub",  # no verb, or too few words of substance, or cut mid-thought ("... of the [7].")
    "agency",  # an agency of the registry the measure does not name
    "name",  # a law, document or body the measure does not name ("the Patent Law" in a measure on trademarks)
    "actor",  # someone said to act who is not among the measure's parties ("the government must ...")
    "filler",  # a run of words the measure does not contain ("a comprehensive approach")
    "act",  # "{agency} is to <verb>": a verb the answering clause does not open with ("protect" for "hold")
    "thin",  # a clause rewrite that keeps too little of its clause ("transform the field of agriculture")
    "grounded",  # too few of its content words are in the measure
    "focus",  # leaves out the clause the topic focus is about
)


def check_sentence(raw: str, measure: Measure, allowed: set[int], focus: str = "") -> str | None:
    """The model's sentence if usable (cites this measure, grounded, sane), else None.

    "The measure [32] requires Customs to improve ..." -> "It requires Customs to improve ... [32]."
    """
    return judge(raw, measure, allowed, focus).sentence


def judge(raw: str, measure: Measure, allowed: set[int], focus: str = "") -> Verdict:
    """Every check on one reply, in :data:`REASONS` order: the sentence to show, or why there is none."""
    first = first_sentence(raw)
    marker = f"[{measure.number}]"
    text = guard_citations(first, allowed)
    if marker not in text:
        return Verdict(None, "citation")
    if _SCAFFOLD.search(first):
        return Verdict(None, "scaffold")
    text = _LEADING_REF.sub("It ", text)
    if marker in text and not re.search(rf"{re.escape(marker)}\W*$", text):  # mid-sentence: "measures [1] to"
        return Verdict(None, "citation")
    text = text.replace(marker, "").rstrip(" .")
    text = re.sub(r"\s{2,}", " ", text).replace(" ,", ",")
    if CITATION.search(text):  # cites other measures: mixed up
        return Verdict(None, "citation")
    if not 4 <= len(text.split()) <= 60:
        return Verdict(None, "length")
    if sum(not (c.isascii() or c in "–—’‘“”") for c in text) > 3:  # garbled / other script
        return Verdict(None, "script")
    for reason, failed in (
        ("repetition", repeats),
        ("stub", is_stub),
        ("agency", other_agencies),
        ("name", unknown_names),
        ("actor", wrong_actor),
        ("filler", filler),
    ):
        if failed(text, measure):
            return Verdict(None, reason)
    if wrong_act(text, measure, focus):
        return Verdict(None, "act")
    if thin(text, measure, focus):
        return Verdict(None, "thin")
    if groundedness(text, measure) < GROUNDED:
        return Verdict(None, "grounded")
    if misses_focus(text, measure, focus):
        return Verdict(None, "focus")
    return Verdict(f"{text} {marker}.")


# ---------------------------------------------------------------- the checks, one reader's catch each

_SCAFFOLD = re.compile(
    r"\(\s*responsible\b|\bresponsible\s*:|staff question|in one sentence|end (?:it )?with \[|"
    r"what does (?:the )?measure|which measures concern|what must the\b|\?|^\W*measure\s*\[\d+\]\s*[(:]",
    re.I,
)


def _source(measure: Measure) -> str:
    return " ".join([measure.text, measure.section_title, *measure.agencies, *measure.other_parties])


def _ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


# Spellings the plan uses for one word: its "IPR management system" and "IP management system" are one phrase
_SAME = {"ipr": "ip", "iprs": "ip"}


def _same_words(tokens: list[str]) -> list[str]:
    return [_SAME.get(t, t) for t in tokens]


def repeats(text: str, measure: Measure) -> bool:
    """A phrase said more often than the measure says it: a repeated 4-gram with two content words, or
    a doubled word. ``"requires a top talent leadership plan and a top talent leadership plan"`` -> True.
    """
    said, source = _same_words(words(text)), _same_words(words(measure.text))
    have = Counter(_ngrams(source, 4))
    for gram, count in Counter(_ngrams(said, 4)).items():
        if count > max(1, have[gram]) and sum(w not in STOP for w in gram) >= 2:
            return True
    return any(a == b and a not in {"and"} for a, b in zip(said, said[1:], strict=False))


_AUX = frozenset(
    [
        "must",
        "should",
        "shall",
        "will",
        "would",
        "is",
        "are",
        "be",
        "to",
        "require",
        "requires",
        "required",
        "ask",
        "asks",
        "call",
        "calls",
        "aims",
        "aim",
        "needs",
        "need",
        "has",
        "have",
        "means",
    ]
)
_DANGLING = frozenset(
    [
        "of",
        "and",
        "or",
        "the",
        "a",
        "an",
        "to",
        "in",
        "on",
        "for",
        "by",
        "with",
        "from",
        "at",
        "as",
        "its",
        "their",
        "which",
        "that",
        "such",
    ]
)


def is_stub(text: str, measure: Measure) -> bool:
    """No verb, too little substance, or cut mid-thought.

    ``"It (responsible: ...)"``, ``"The State Intellectual Property Office"``, ``"It requires the
    building of the"`` -> True.
    """
    said = words(text)
    if said and said[-1] in _DANGLING:
        return True
    who, rest = actor(text)
    if who:  # "NCAC is to revise the Copyright Law": the predicate's words count, not the subject's
        content = [w for w in words(rest) if w not in STOP]
    else:
        bodies = {w for a in (*measure.agencies, *measure.other_parties) for w in words(a)}
        content = [w for w in said if w not in STOP and w not in bodies and w not in {"it", "require", "requires"}]
    if len(content) < 3:
        return True
    verbs = {stem(v) for v in opening_verbs([measure.text])}
    return not any(w in _AUX or stem(w) in verbs for w in said)


# A capitalised name: two or more capitalised words, joined by a few lower-case connectives.
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:(?:\s+(?:of|and|for|on|the|in|to|over|from|with|&)){0,2}\s+[A-Z][\w'’-]*)+")
# Single words that name a kind of document: "the Law", "Regulations", "Opinions".
_DOCUMENT = re.compile(r"\b(?:Laws?|Regulations?|Rules|Measures|Opinions|Guidelines|Interpretations?|Act|Treaty)\b")
_LEGAL = frozenset(stem(w) for w in ("law", "legislation", "regulation", "statute", "act", "treaty", "convention"))


def _norm(text: str) -> str:
    return " ".join(words(text))


def unknown_names(text: str, measure: Measure) -> bool:
    """A law, document or body the measure does not name: a capitalised name not in it, a document word
    ("Law", "Regulations") outside every name the measure has, or legislation where it has none.

    ``"... must implement the Trademark Law" [on a measure without it]`` -> True.
    """
    source = _norm(_source(measure))
    for m in _NAME.finditer(text):
        name = re.sub(r"^(?:The|It|This|Measure)\s+", "", m.group(0))
        if " " in name.strip() and _norm(name) not in source and not _is_party(name, measure):
            return True
    for m in _DOCUMENT.finditer(text):
        if m.group(0).lower() not in measure.text.lower():
            return True
    said = {stem(w) for w in words(text)}
    have = {stem(w) for w in words(_source(measure))}  # "Legislative Affairs Office" is not legislation
    return bool((said & _LEGAL) - have)


@lru_cache(maxsize=1)
def _registry():
    from index.agencies import Registry
    from index.config import Settings

    return Registry.load(Settings.from_env().registry)  # the configured registry (IPPLAN_REGISTRY)


def _is_party(name: str, measure: Measure) -> bool:
    """The name is one of the measure's parties, by name, short name or abbreviation."""
    if _norm(name) and _norm(name) in _norm(" ".join([*measure.agencies, *measure.other_parties])):
        return True
    found = _registry().find(name, fuzzy=False)
    return bool(found) and all(f.agency in measure.agencies for f in found)


def other_agencies(text: str, measure: Measure) -> bool:
    """An agency of the registry (name, short name, abbreviation) that the measure does not name.

    ``"... requires the Ministry of Commerce to ..." [43 names MOFCOM: fine; 44 does not]``.
    """
    plain = measure.text.lower()
    return any(
        f.agency not in measure.agencies and f.text.lower() not in plain for f in _registry().find(text, fuzzy=False)
    )


_ACTOR = re.compile(
    r"^(?:It|This|The measures?)?\s*(?:requires?|asks?|calls? (?:on|for)|directs?|tasks?)\s+(?P<a>.+?)"
    r"\s+to\s+(?P<va>.*)"
    r"|^(?P<b>.+?)\s+(?:must|should|shall|will|is to|are to|needs? to|has to|have to|is required to|are required to)"
    r"\s+(?P<vb>.*)",
    re.I,
)
# Words that make a noun phrase a body that can act ("the Chinese government" is the plan's own voice).
_BODY = (HEADS | {"committee", "council", "ministries", "offices", "administrations"}) - {
    "people",
    "body",
    "unit",
    "service",
}
_GENERIC_ACTORS = frozenset(["it", "they", "this", "the", "a", "an", "measure", "chinese", "government", "agencies"])
_JOINT = re.compile(r"^(?:work(?:ing)? together|collaborate|cooperate|coordinate|join(?:tly)?)\b.*?\bto\s+", re.I)


def actor(text: str) -> tuple[str, str]:
    """Who the sentence says acts and what follows: ``"It requires SIPO to build a system" ->
    ("SIPO", "build a system")``; ("", "") when it names nobody."""
    m = _ACTOR.match(text)
    if not m:
        return "", ""
    who = (m.group("a") or m.group("b") or "").strip()
    rest = _JOINT.sub("", (m.group("va") or m.group("vb") or "").strip())
    return who, rest


def _exact_party(phrase: str, measure: Measure) -> bool:
    """The phrase names only parties of the measure, as a whole: registry names, short names or
    abbreviations of its agencies and its free-text parties, joined by "and" and commas."""
    rest = _norm(phrase)
    for p in sorted((*measure.agencies, *measure.other_parties), key=len, reverse=True):
        rest = rest.replace(_norm(p), " ")
    found = _registry().find(rest, fuzzy=False)
    if any(f.agency not in measure.agencies for f in found):
        return False
    for f in found:
        rest = rest.replace(_norm(f.text), " ")
    return set(rest.split()) <= _GENERIC_ACTORS | {"and", "both", "together", "with", "leading"}


def wrong_actor(text: str, measure: Measure) -> bool:
    """A body said to act that is not among the measure's parties, or an act the measure does not ask.

    ``"a state-owned intellectual property office to promote" [23]`` -> True (a garbled name);
    ``"the CPC Central Committee ... to promote" [90]`` -> True (the party is its Propaganda Department);
    ``"It requires SARFT to develop a new policy" [16: "issue Opinions"]`` -> True (the act is made up).
    """
    who, rest = actor(text)
    named = re.search(r"\b[A-Z]\w+ (?:(?:of|for|and) )?[A-Z]\w+", who) or _registry().find(who, fuzzy=False)
    if not who or not (set(words(who)) & _BODY or named):
        return False  # nobody, or a thing ("requires a special campaign to combat ..."): not an actor
    if not _exact_party(who, measure):
        return True
    verb = words(rest)[:1]
    if verb and verb[0] not in STOP:  # the act itself: the measure's own verb (or its noun: "study")
        said = stem(verb[0])
        have = set(terms(measure.text))
        return said not in have | _FRAMING | _ACTS[0] and not same_act(said, have)
    return False


# Acts a faithful paraphrase may swap for one another, one family each (plain English verbs): the plan's
# "build, set up, establish"; "improve, perfect, strengthen"; "push forward, carry out, advance"; ...
# The first family (building) is always a faithful paraphrase of the plan's "formulate", "set up".
_ACTS = tuple(
    frozenset(stem(w) for w in family.split())
    for family in (
        "develop create establish build set construct form",
        "improve enhance strengthen perfect optimize reinforce intensify deepen consolidate refine upgrade enrich",
        "push carry advance promote implement launch conduct facilitate accelerate speed boost",
        "study explore research investigate",
        "combat crack crackdown fight tackle strike",
        "expand extend broaden widen increase",
        "guide encourage support help lead direct",
        "publicize popularize promote spread disseminate",
    )
)


_STUDY = _ACTS[3]  # a measure that only studies or explores an act does not do it yet


def same_act(said: str, stems: set[str]) -> bool:
    """The verb stem ``said`` shares an act family with one of ``stems`` ("enhance" ~ "improve")."""
    return any(said in family and family & stems for family in _ACTS)


# Framing words a faithful sentence adds: "requires", "ensure that", "implement" (for launch, carry out),
# and the words of the co-agency subject ("with the ... leading").
_FRAMING = frozenset(
    stem(w) for w in ("require", "ensure", "implement", "measure", "task", "also", *words(prompts.CO_SUBJECT))
)


def filler(text: str, measure: Measure) -> bool:
    """A run of two content words the measure does not contain: the model's own phrase.

    ``"It requires a comprehensive approach to ..."`` -> True (neither "comprehensive" nor "approach"
    is in the measure); ``"It requires SIPO to build a patent system"`` -> False.
    """
    have = set(terms(_source(measure)))
    run = 0
    for w in words(text):
        if w in STOP or len(w) < 2:
            continue
        absent = stem(w) not in have and stem(w) not in _FRAMING
        run = run + 1 if absent else 0
        if run >= 2:
            return True
    return False


def wrong_act(text: str, measure: Measure, focus: str = "") -> bool:
    """A rewrite of the answering clause ("{lead} is to <verb> ...") whose verb is not among the clause's
    opening words: the tiny model swaps the act ("hold the WIPO conference on the protection of ..."
    -> "protect ..."; "amend the system of evaluation indicators" -> "evaluate").

    ``("National Copyright Administration is to protect audiovisual performances", [38]) -> True``;
    the verb may open any clause of the measure, or be of the same act (:data:`_ACTS`: "enhance" for
    "improve", "implement" for "push forward", "carry out").
    """
    subject = sentence_subject(measure, focus)
    if not text.startswith(f"{subject} is to "):
        return False
    verb = words(text[len(subject) + len(" is to ") :])[:1]
    if not verb:
        return False
    if _verb_phrase_in(words(text[len(subject) + len(" is to ") :])[:3], words(measure.text)):
        return False  # a verb phrase of the measure itself: "... aiming to combat IPR infringements"
    clauses = split_clauses(measure.number, measure.text, _verbs(measure.text))
    # "Further improve", "Organize and attend", "Study and formulate": a clause's first four words
    openings = [[stem(w) for w in words(c.text)[:4]] for c in clauses]
    said = stem(verb[0])
    matched = [o for o in openings if said in o or same_act(said, set(o))]
    if not matched:
        return True
    # "Study the establishment of a reporting system" is not "establish a reporting system"; "Study and
    # amend documents" does ask to amend them
    studied = [o for o in matched if o[0] in _STUDY and o[1:3] != ["and", said]]
    return len(studied) == len(matched) and not set(terms(text)) & _STUDY


def _inflections(verb: str) -> set[str]:
    """The verb forms of a base verb: ``"evaluate" -> {"evaluate", "evaluates", "evaluated", "evaluating"}``."""
    root = verb[:-1] if verb.endswith("e") else verb
    return {verb, f"{verb}s", f"{root}ed", f"{root}ing", f"{verb}d"}


def _verb_phrase_in(phrase: list[str], source: list[str]) -> bool:
    """The sentence's verb and the two words after it stand in the measure, the verb in any of its verb
    forms (not a noun: "protection of" is not "protect"): ``"evaluate the number"`` in "a system for
    evaluating the number of ..."."""
    if len(phrase) < 3:
        return False
    forms = _inflections(phrase[0])
    return any(source[i] in forms and source[i + 1 : i + 3] == phrase[1:] for i in range(len(source) - 2))


COVERAGE = 0.65  # share of the answering clause's content stems a rewrite keeps (fitted on the dev labels)


def thin(text: str, measure: Measure, focus: str = "") -> bool:
    """A rewrite of the answering clause ("{subject} is to ...") that keeps less than :data:`COVERAGE` of
    the clause's content stems: vague ("promote the development of forestry") or distorted ("transform
    the field of agriculture" for "advance IP transformation in the field of agriculture")."""
    subject = sentence_subject(measure, focus)
    if not text.startswith(f"{subject} is to "):
        return False
    said = set(terms(text[len(subject) :]))
    topic = focus_terms(focus)
    if topic and set(terms(" ".join(topic))) & set(terms(measure.text)):
        spans = [answer_clause(measure, topic)]  # the clause the topic is about
    else:  # no topic in the measure: a whole rewrite of any one of its clauses, or of a task inside one
        clauses = split_clauses(measure.number, measure.text, _verbs(measure.text))
        spans = [_whole(measure, clauses, c.start, c.end) for c in clauses] or [(0, len(measure.text))]
        spans += _tasks(measure.text, clauses)
    for start, end in spans:
        wanted = set(terms(measure.text[start:end]))
        if not wanted or len(wanted & said) >= COVERAGE * len(wanted):
            return False
    return True


def _tasks(text: str, clauses) -> list[tuple[int, int]]:
    """The second tasks inside clauses, joined by "and" with no comma: "Push forward the establishment
    of ... and promote the introduction of ..." -> the span of "promote the introduction of ..."."""
    verbs = _verbs(text)
    out = []
    for c in clauses:
        for m in re.finditer(r"\band\s+(\w+)\s", c.text):
            if m.group(1).lower() in verbs and len(c.text[m.end(1) :].split()) >= 4:
                out.append((c.start + m.start(1), c.end))
    return out


def focus_agency(focus: str) -> str | None:
    """The agency of an agency focus: ``"What must the SIPO do on pledges?" -> "SIPO"``."""
    m = next((m for p in _AGENCY_FOCI if (m := p.match(focus))), None)
    return m.group("agency") if m else None


def focus_agencies(focus: str) -> list[str]:
    """The agencies a focus asks about: one (agency focus) or two (joint focus), else none."""
    if m := _JOINT_FOCUS.match(focus):
        return [m.group("a"), m.group("b")]
    one = focus_agency(focus)
    return [one] if one else []


def sentence_subject(measure: Measure, focus: str = "") -> str:
    """Who the sentence says acts: the lead agency, or, when staff asked about a co-responsible agency
    (the first of a joint question's pair the measure names), that agency with the lead named
    (``prompts.CO_SUBJECT``)."""
    lead = measure.lead_agency or "The responsible agencies"
    asked = focus_agencies(focus)
    co = [a for a in asked if a != lead and a in measure.agencies]
    if co and lead not in asked:
        return prompts.CO_SUBJECT.format(agency=co[0], lead=lead)
    return lead


def focus_terms(focus: str) -> list[str]:
    """The topic words of a focus question, as written (none for an agency focus or no focus).

    ``"Which measures concern courts, trials?" -> ["courts", "trials"]``.
    """
    for pattern in _TOPIC_FOCI:
        if m := pattern.match(focus):
            return [w.strip() for w in m.group("terms").split(",") if w.strip()]
    return []


def _template(template: str) -> re.Pattern:
    pattern = re.escape(template).replace(r"\{terms\}", "(?P<terms>.+)").replace(r"\{agency\}", "(?P<agency>.+?)")
    return re.compile(pattern + "$")


_TOPIC_FOCI = [_template(prompts.TOPIC_FOCUS), _template(prompts.AGENCY_TOPIC_FOCUS)]
_AGENCY_FOCI = [_template(prompts.AGENCY_FOCUS), _template(prompts.AGENCY_TOPIC_FOCUS)]
_JOINT_FOCUS = re.compile(
    re.escape(prompts.JOINT_FOCUS).replace(r"\{a\}", "(?P<a>.+?)").replace(r"\{b\}", "(?P<b>.+?)") + "$"
)


def answer_clause(measure: Measure, topic: list[str] | None = None) -> tuple[int, int]:
    """The span of the clause that answers: the first the highlight would mark for these topic words
    (:func:`assistant.highlight.choose`), else the first clause;
    a clause under four words runs on to the next (``"Improve the supervision, control and ..."``)."""
    text = measure.text
    clauses = split_clauses(measure.number, text, _verbs(text))
    if not clauses:
        return 0, len(text)
    chosen = choose(clauses, frozenset(terms(" ".join(topic or []))))  # the highlight's rule
    best = clauses[chosen[0]] if chosen else clauses[0]
    return _whole(measure, clauses, best.start, best.end)


def _whole(measure: Measure, clauses, start: int, end: int) -> tuple[int, int]:
    text = measure.text
    for c in clauses:  # a stub clause ("Improve the supervision") runs on to the next clause
        if len(text[start:end].split()) >= 4:
            break
        if c.start >= end:
            end = c.end
    if len(text[start:end].split()) < 4:
        return 0, len(text)
    return start, end


def misses_focus(text: str, measure: Measure, focus: str) -> bool:
    """The focus is a topic that a clause of the measure holds, and the sentence has none of its words."""
    wanted = set(terms(" ".join(focus_terms(focus))))
    have = set(terms(measure.text))
    hit = wanted & have
    return bool(hit) and not hit & set(terms(text))


def extractive_sentence(measure: Measure, spans: list[tuple[int, int]] | None = None) -> str:
    """A sentence built from the measure itself: lead agency + the answering clause (the first
    highlighted span, ``assistant/highlight.py``) or else its first clause.

    Clauses come from ``index/clauses.py``, which never cuts inside brackets, a quotation or a
    number ("every 10,000 people" stays whole); a clause under four words takes the next one too:
    ``"Improve the supervision, control and handling of ..." -> "... is to improve the supervision,
    control and handling of ... [5]."``
    """
    text = measure.text
    if spans:
        start, end = _whole(measure, split_clauses(measure.number, text, _verbs(text)), *spans[0])
    else:
        start, end = answer_clause(measure)
    clause = text[start:end].rstrip(" .;,")
    first = clause.split(" ", 1)[0]
    opens_with_verb = first.lower() in _verbs(text) or first.lower() == "further" or first.lower().endswith("ly")
    if first[:1].isupper() and not first[1:2].isupper() and opens_with_verb:  # "Amend" -> "amend", not "WIPO"
        clause = clause[:1].lower() + clause[1:]
    subject = measure.lead_agency or "The responsible agencies"
    return prompts.EXTRACTIVE_SENTENCE.format(subject=subject, clause=clause, number=measure.number)


def _verbs(text: str) -> frozenset[str]:
    """The general imperative verbs plus the measure's own opening verb (``index/clauses.py``)."""
    return opening_verbs([text])
