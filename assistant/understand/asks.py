"""Extractor: what the question asks for (one :class:`Ask`), from general cue words.

Order matters only where cues overlap: a fact about the circular, a comparison of measures, an
agency's partners, a ranking, a count, "who", yes/no, a section as a unit, else the measures.

    "41 vs 42: what's the difference?"          -> COMPARE
    "who are MIIT's partners?"                  -> PARTNERS
    "the biggest part of the plan?"             -> RANK_SECTIONS (most)
    "Is SAIC doing anything on trademarks?"     -> YES_NO
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.understand import cues
from assistant.understand.query import Ask, Rank

_SECTION_WORD = re.compile(r"\b(?:section|sections|part|parts|chapter|chapters|heading|headings)\b|部分", re.I)
_AGENCY_WORD = re.compile(
    r"\b(?:agenc(?:y|ies)|ministr(?:y|ies)|bod(?:y|ies)|department|departments|organi[sz]ations?|who|offices?|"
    r"administrations?|institutions?)\b|部门|部委|机构|单位",
    re.I,
)
_MEASURE_WORD = re.compile(r"\bwhich (?:single )?(?:measure|item|task|one)s?\b|哪(?:项|个|条)措施", re.I)
_PARTNER_NOUN = re.compile(r"\b(?:partners?|co-?agenc(?:y|ies)|counterparts?|collaborators?)\b|合作伙伴", re.I)
_WHO_LEADS = re.compile(
    r"\bwho (?:leads|heads|is (?:the )?lead|takes the lead|is listed first|is in charge)\b"
    r"|\bwhich (?:agency|body|ministry|department) (?:leads|heads|is (?:the )?lead|is listed first)\b"
    r"|\bwho(?:'s| is) (?:the )?lead\b|\blead agency (?:of|for|on) each\b",
    re.I,
)
_REQUEST = re.compile(r"^\W*(?:can|could|would|will)\s+(?:you|i|we|u)\b", re.I)


@dataclass(frozen=True)
class Asked:
    ask: Ask
    rank: Rank | None = None
    among_ministries: bool = False


# A period after a shorthand, or inside brackets, ends no sentence: "the trademark items (e.g. licensing)"
_SHORT = re.compile(r"\b(?:incl|e\.g|i\.e|etc|vs|no|nos|approx|esp|cf|sec|art|para|a\.k\.a|ca|resp|viz)\.$", re.I)


_ANYTHING_FOR = re.compile(r"^\W*anything\b(?=[^?]*\?\s*$)", re.I)
_WHICH_MEASURES = re.compile(r"\b(?:which|what)\s+(?:measures?|items?|tasks?|ones?|points?)\b", re.I)


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text``: a ``.``, ``!`` or ``?`` then a space ends one, except after a
    shorthand ("incl.", "e.g.", "no.") or inside brackets."""
    out, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([") - (ch in ")]")
        if ch in ".!?" and (i + 1 == len(text) or text[i + 1].isspace()):
            if depth > 0 or (ch == "." and _SHORT.search(text[start : i + 1])):
                continue
            if text[start : i + 1].strip():
                out.append((start, i + 1))
            start = i + 1
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def asked_sentence(text: str) -> str:
    """The sentence that asks: after a greeting or thanks ("Morning! Does SARFT lead ...?") the last one
    with a question mark, else the last one."""
    said = [text[a:b].strip() for a, b in sentences(text.strip()) if text[a:b].strip()]
    asking = [s for s in said if "?" in s]
    return (asking or said or [text])[-1]


def polar(text: str) -> bool:
    """Is the question put as yes or no ("Has MCT got partners?", "Tell me whether ...")?"""
    return any(
        (cues.YES_NO.search(t) and not _REQUEST.search(t)) or cues.YES_NO_LOOSE.search(t) or cues.YES_NO_ZH.search(t)
        for t in dict.fromkeys((text, asked_sentence(text)))
    )


def detect(
    text: str, *, agencies: int, measures: int, sections: int, lead_cue: bool, masked: str = "", bodies: bool = False
) -> Asked:
    """What ``text`` asks for, given how many agencies, measures and sections it names (``masked``: the
    text with the agencies' own names blanked out, so "the copyright office" is not an agency word;
    ``bodies``: it asks how many bodies the measures name, so its sharing words ask for no partners)."""
    masked = masked or text
    plain = text.replace("MOST", "")  # MOST in capitals is the science ministry
    if cues.COMPARE.search(text) and measures >= 2:
        return Asked(Ask.COMPARE)
    if (
        agencies == 1
        and not bodies
        and cues.PARTNER.search(masked)
        and (cues.WHO.search(masked) or _PARTNER_NOUN.search(masked) or _AGENCY_WORD.search(masked))
        and not (_WHICH_MEASURES.search(masked) and not cues.WHO.search(masked))  # "which measure does it share"
    ):
        return Asked(Ask.PARTNERS)
    most, fewest = bool(cues.MOST.search(plain)), bool(cues.FEWEST.search(plain))
    counting = bool(cues.COUNT.search(text))
    if (most or fewest) and not (agencies and not _AGENCY_WORD.search(text)):
        asks_which = re.search(r"\bwhich\b|\bwhat\b|\bwho\b|哪", text, re.I)
        if _SECTION_WORD.search(text) and not sections and asks_which:
            return Asked(Ask.RANK_SECTIONS, Rank.MOST_MEASURES if most else Rank.FEWEST_MEASURES)
        if _MEASURE_WORD.search(text) and _AGENCY_WORD.search(text):
            return Asked(Ask.RANK_MEASURES, Rank.MOST_AGENCIES)
        if asks_which and not agencies and (_AGENCY_WORD.search(text) or cues.WHO.search(text)) and not counting:
            rank = (
                (Rank.MOST_LED if most else Rank.FEWEST_LED)
                if lead_cue
                else (Rank.MOST_NAMED if most else Rank.FEWEST_NAMED)
            )
            among = bool(re.search(r"\bministr(?:y|ies)\b|部委", text, re.I))
            return Asked(Ask.RANK_AGENCIES, rank, among)
    if counting:
        return Asked(Ask.COUNT)
    if cues.WHO.search(text) and not agencies and not re.search(r"\bwho(?:'s| is)? (?:asking|me)\b", text, re.I):
        return Asked(Ask.WHO)
    if agencies and _WHO_LEADS.search(text):  # "MOF's measures: who heads them?"
        return Asked(Ask.WHO)
    if polar(text) or ((agencies or sections) and _ANYTHING_FOR.search(text)):
        return Asked(Ask.YES_NO)  # "Anything for customs in part VIII?" (a bare "Anything on X?" lists X)
    return Asked(Ask.MEASURES)
