"""Extractor: measure numbers, lists, ranges and positions in the plan.

    "measures 12 to 14" -> (12, 13, 14); "41 vs 42: what's the difference?" -> (41, 42);
    "the plan's final item overall" -> (90,); "section II's third measure" -> section II's 3rd.

Positions with no scope ("the second one") are ordinals over the previous answer, resolved by the
follow-up editor, not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.text import words
from assistant.understand.facts import DATE_MENTION
from index.parse import Plan

_NUM = r"(\d{1,4})"
LOOKUP = re.compile(
    rf"(?:\b(?:measures?|mea?s?u?res?|meausres?|measrues?|mesures?|measuers?)\s*(?:no\.?|nos\.?|number|numbers|#)?\s*"
    rf"|\b(?:nos?\.|nr\.?|nrs\.?|number)\s*|\bitems?\s*(?:no\.?|number|#)?\s*|\bpoints?\s+|"
    rf"\btasks?\s+(?:no\.?\s*)?|#\s*|措施\s*|第\s*){_NUM}"
    rf"((?:\s*(?:,|and|&|or|to|through|thru|until|-|–|—|vs\.?|versus|和|、|至|到|与|及)\s*"
    rf"(?:measures?\s*|nos?\.\s*|number\s*|#\s*)?{_NUM})*)"
    rf"(?!\s*(?:st|nd|rd|th)\b)(?:\s*(?:条|项))?",
    re.I,
)
# Bare numbers in a question that is about measures ("41 vs 42?", "who leads 52?").
_BARE_PAIR = re.compile(rf"(?<![\d,.$])\b{_NUM}\s*(?:,|and|&|vs\.?|versus|or|to|-|–)\s*{_NUM}\b(?![\d,.%])", re.I)
_BARE = re.compile(r"(?<![\d,.$])\b(\d{1,2})\b(?!\d|[,.]\d|\s*(?:people|percent|cities|provinces|years?|%))")
# A span of years ("the 2010-11 campaign", "2011/12", "2006–2010"): no measure number in it
_YEARS = re.compile(r"\b(?:19|20)\d\d\s*[-–/]\s*(?:(?:19|20)\d\d|\d\d)\b")
# Words a terse lookup may carry ("47?", "what's in 84?", "quick summary of 39 pls").
_FILLER = frozenset(
    [
        "what",
        "whats",
        "what's",
        "the",
        "and",
        "about",
        "in",
        "on",
        "of",
        "for",
        "is",
        "are",
        "it",
        "me",
        "pls",
        "please",
        "quick",
        "summary",
        "show",
        "tell",
        "that",
        "one",
        "which",
        "this",
        "whats",
        "no",
        "nos",
        "nr",
        "number",
        "item",
        "items",
        "point",
        "points",
        "measure",
        "measures",
        "say",
        "says",
        "said",
        "see",
        "give",
    ]
)
# "30 industrial patent alliances", "10 provinces": a quantity, not a measure number
_QUANTITY = re.compile(
    r"\s+(?!(?:and|or|vs|to|who|which|what|for|in|of|on|against|with|versus|through|is|are|was|were|does|do)\b)"
    r"(?:[a-z-]+\s+){0,2}(?!measures\b|items\b)[a-z]{3,}s\b"
)
_SECTION_AFTER = re.compile(r"\s+(?:sections?|parts?|chapters?|headings?|pillars?)\b", re.I)
_SECTION_BEFORE = re.compile(r"(?:sections?|parts?|chapters?|headings?|sec\.?|§)\s*(?:no\.?\s*|number\s+)?$", re.I)
_RANGE = re.compile(r"(\d{1,4})\s*(?:to|through|thru|until|-|–|—|至|到)\s*(\d{1,4})")
ORDINAL_WORDS = {
    **{"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4},
    **{"fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8},
    **{"ninth": 9, "tenth": 10, "last": -1, "final": -1, "latter": -1, "former": 1, "penultimate": -2},
    **{"opening": 1, "closing": -1, "concluding": -1, "very last": -1, "second-to-last": -2, "second to last": -2},
    **{"2nd to last": -2, "2nd-to-last": -2, "2nd last": -2, "second last": -2, "next to last": -2},
    **{"next-to-last": -2, "third to last": -3, "3rd to last": -3, "third-to-last": -3, "3rd-to-last": -3},
}
_ORD = "|".join(sorted(map(re.escape, ORDINAL_WORDS), key=len, reverse=True))
ORDINAL = re.compile(rf"\b({_ORD})\b", re.I)
_ZH_ORD = re.compile(r"第([一二三四五六七八九十])(?:个|项|条)|最后(?:一)?(?:个|项|条)")
_ZH = "一二三四五六七八九十"
# "the plan's first measure", "the final item overall", "the closing one of the whole document".
POSITION = re.compile(
    rf"\b(?:the\s+)?(?:plan'?s\s+|document'?s\s+|very\s+)?({_ORD})\s+(?:one|measure|item|task|point|entry)\b"
    rf"(?P<scope>\s+(?:in|of|on)\s+(?:the\s+)?(?:whole\s+|entire\s+)?(?:plan|document|list|thing|lot)|\s+overall)?",
    re.I,
)
# "which measure comes first in the whole plan", "the last of the plan's measures", "the very last one".
POSITION_LOOSE = re.compile(
    rf"\b(?:which|what)\s+(?:single\s+)?(?:measure|item|one)\b.*?\b({_ORD})\b(?=\s*(?:[?.!,]|$|in\b|of\b|overall|one\b))"
    rf"|\b(?:the\s+)?({_ORD})\s+(?:one\s+)?of\s+(?:all\s+)?(?:the\s+)?(?:plan'?s\s+)?(?:measures|items)\b"
    rf"|\b(highest|lowest)-?numbered\b"
    rf"|\b(?:which|what)\s+(?:measure|item|one)\b.*?\b(opens|starts|begins|kicks off|ends|finishes|closes)\b"
    rf"|\b(?:plan'?s?|whole|entire|all the)\b.*?\b(?:which|what)\s+(?:one|measure)\b.*?\b({_ORD})\b",
    re.I,
)
_POSITION_WORD = {"highest": -1, "lowest": 1, "opens": 1, "starts": 1, "begins": 1, "kicks off": 1, "ends": -1,
                  "finishes": -1, "closes": -1}  # fmt: skip
_PLAN_SCOPE = re.compile(r"\b(?:the|whole|entire|all)\s+(?:the\s+)?(?:plan|document)\b|\bplan'?s\b|\boverall\b", re.I)
# Words in a question that make a bare number a measure number.
_MEASUREISH = re.compile(
    r"\b(?:who|lead|leads|heads?|differ\w*|compare\w*|versus|vs|contrast|say|says|about|stack|against|each|"
    r"summary|summarise|summarize|what's in|show|explain)\b",
    re.I,
)


@dataclass
class Numbers:
    """What the number extractor claims: measures, out-of-range numbers, positions, spans."""

    measures: list[int] = field(default_factory=list)
    out_of_range: list[int] = field(default_factory=list)
    position: int | None = None  # 1-based, negative from the end; scope decided by the caller
    position_scoped: bool = False  # "in the plan" / "overall" given
    ordinals: list[int] = field(default_factory=list)  # ordinal words not tied to "measure ... in the plan"
    spans: list[tuple[int, int]] = field(default_factory=list)


def _expand(span: str) -> list[int]:
    span = re.sub(r"\b(?:nos?\.|number)\s*|#\s*", "", span, flags=re.I)  # "no. 7 to no. 9" is 7 to 9
    out: list[int] = []
    for a, b in _RANGE.findall(span):
        out.extend(range(int(a), int(b) + 1) if 0 <= int(b) - int(a) < 90 else [int(a), int(b)])
    out.extend(int(n) for n in re.findall(r"\d{1,4}", span))
    return list(dict.fromkeys(out))


def _a_date(m: re.Match) -> bool:
    """A stated date, not "measure 5 may ...": "may" after a number is a date only with a year."""
    return not (m.group("m2") and m.group("m2").lower() == "may" and not m.group("y2"))


def extract(text: str, plan: Plan) -> Numbers:
    """Measure references of a question (see module doc)."""
    got = Numbers()
    total = len(plan.measures)
    text = _YEARS.sub(lambda m: " " * len(m.group(0)), text)  # same length: spans still index the question
    text = DATE_MENTION.sub(lambda m: " " * len(m.group(0)) if _a_date(m) else m.group(0), text)  # "April 6"

    def add(numbers: list[int], span: tuple[int, int]) -> None:
        for n in numbers:
            target = got.measures if 1 <= n <= total else got.out_of_range
            if n not in target:
                target.append(n)
        got.spans.append(span)

    for m in LOOKUP.finditer(text):
        add(_expand(m.group(0)), m.span())
    if not got.measures and not got.out_of_range:
        bare = [
            m
            for m in _BARE.finditer(text)
            if not _SECTION_BEFORE.search(text[: m.start()])
            and not _QUANTITY.match(text[m.end() :])
            and not re.search(
                r"\b(?:about|around|some|over|nearly|approximately|up to|at least|top)\s*$", text[: m.start()], re.I
            )
        ]
        rest = _BARE.sub(" ", text)
        letters = [w.split("'")[0] for w in words(rest)]  # "don't" -> "don": the word, not its clitic
        terse = len([w for w in letters if len(w) >= 3 and w.isalpha() and w not in _FILLER]) <= 1
        ranged = any(  # "among 3-5, the ones that ...": a range inside the plan's numbers is measures
            0 < int(r.group(1)) < int(r.group(2)) <= total and not _SECTION_BEFORE.search(text[: r.start()])
            for r in _RANGE.finditer(text)
        )
        if bare and (_MEASUREISH.search(text) or terse or ranged):
            for r in _RANGE.finditer(text):  # "12-14": a range of measures
                if not _SECTION_BEFORE.search(text[: r.start()]):
                    add(_expand(r.group(0)), r.span())
            for m in bare:
                if 1 <= int(m.group(1)) <= total:
                    add([int(m.group(1))], m.span())
    if m := POSITION.search(text):
        got.position = ORDINAL_WORDS[m.group(1).lower()]
        got.position_scoped = bool(m.group("scope")) or bool(_PLAN_SCOPE.search(text))
        got.spans.append(m.span())
    elif m := POSITION_LOOSE.search(text):
        word = next(g for g in m.groups() if g).lower()
        got.position = ORDINAL_WORDS.get(word, _POSITION_WORD.get(word))
        got.position_scoped = bool(_PLAN_SCOPE.search(text))
        got.spans.append(m.span())
    got.ordinals = [
        ORDINAL_WORDS[m.group(1).lower()]
        for m in ORDINAL.finditer(text)
        if not _SECTION_AFTER.match(text[m.end() :])  # "the third section" is a section, not an ordinal
        and not _ROLE_BEFORE.search(text[: m.start()])  # "where SIPO is not first": a role, not an ordinal
    ]
    for m in _ZH_ORD.finditer(text):
        got.ordinals.append(_ZH.index(m.group(1)) + 1 if m.group(1) else -1)
    return got


_ROLE_BEFORE = re.compile(
    r"\b(?:not|n't|never|listed|named|comes?|appears?|put|placed|ranked|sits?|goes)\s+(?:as\s+)?(?:the\s+)?$", re.I
)
_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
# An ordinal that names a position needs a measure noun or a scope after it: "the last measure",
# "the first two items", "the closing one of part 3", "the first in section II", "the opening measure".
_POSITION_AFTER = re.compile(
    r"\s+(?:(?P<count>two|three|four|five|six|\d)\s+)?(?:measures?|items?|ones?|tasks?|entries|entry)\b"
    r"|\s+(?:in|of)\s+(?:the\s+)?(?:whole\s+|entire\s+)?(?:plan|document|sections?|parts?|chapters?|§|sec\.?)\b",
    re.I,
)
PLAN_SCOPE = _PLAN_SCOPE


_JOINED_ORDINAL = re.compile(r"\s*(?:,|and|&|or|plus)\s+(?:the\s+)?(?:very\s+)?", re.I)


def positions(text: str) -> list[tuple[int, int, int, int]]:
    """(start, end, position, count) of each ordinal that names a position: 1-based, -1 for the last."""
    out: list[tuple[int, int, int, int]] = []
    for m in ORDINAL.finditer(text):
        if _SECTION_AFTER.match(text[m.end() :]):
            continue  # "the third section"
        after = _POSITION_AFTER.match(text[m.end() :])
        if not after and (joined := _JOINED_ORDINAL.match(text[m.end() :])):
            # "the first and last measure": an ordinal joined to one that has the noun shares it
            nxt = ORDINAL.match(text, m.end() + joined.end())
            if nxt and nxt.start() == m.end() + joined.end() and _POSITION_AFTER.match(text[nxt.end() :]):
                out.append((m.start(), m.end(), ORDINAL_WORDS[m.group(1).lower()], 1))
                continue
        if not after:
            # "the first measure ... and the last?": a second position in the same question, noun understood
            if (
                out
                and re.search(r"\bthe\s+(?:very\s+)?$", text[: m.start()])
                and re.match(r"\s*(?:one\b|[?.!,;]|$)", text[m.end() :])
            ):
                out.append((m.start(), m.end(), ORDINAL_WORDS[m.group(1).lower()], 1))
            continue
        count = after.group("count") if after.lastgroup == "count" or after.group("count") else None
        n = int(count) if count and count.isdigit() else _COUNT_WORDS.get((count or "").lower(), 1)
        out.append((m.start(), m.end() + after.end(), ORDINAL_WORDS[m.group(1).lower()], n))
    for m in _ZH_ORD.finditer(text):  # "最后一条措施", "第三部分的第一条": the parser decides the scope
        out.append((m.start(), m.end(), _ZH.index(m.group(1)) + 1 if m.group(1) else -1, 1))
    return out


def take(pool: list[int], position: int, count: int = 1) -> list[int]:
    """``count`` measures from a 1-based or negative position: ``take([1..9], -1, 2) -> [8, 9]``."""
    if position == 1:
        return pool[:count]
    if position == -1:
        return pool[-count:]
    n = pick(pool, position)
    return [n] if n is not None else []


def pick(numbers: list[int], position: int) -> int | None:
    """The measure at a 1-based (or negative) position: ``pick([31, 36, 43], -1) -> 43``."""
    if position > 0 and position <= len(numbers):
        return numbers[position - 1]
    if position < 0 and -position <= len(numbers):
        return numbers[position]
    return None
