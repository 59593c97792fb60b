"""Clause split: a measure is a list of clauses, often on different subjects.

Measure 44 covers defence patents, armament IP management, military IC layout designs and military
software copyright in one sentence. Topic evidence, the answer's highlight and the extractive
sentence all read the same split, so what is scored is what is shown.

A clause starts at the measure's start, after ``;``, or after ``,`` / ``, and`` when an imperative
verb follows (optionally after an adverb: ", actively promote ..."). The verbs are the words the
plan's own measures open with, plus general English imperative verbs. Every clause is an exact
substring of the measure text (``text[start:end]``), so highlights stay verbatim:

    "Amend the system ..., strengthen quality evaluation of patents, and give more rewards ..."
    -> ["Amend the system ...", "strengthen quality evaluation of patents", "give more rewards ..."]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from index.tokens import words

# General imperative verbs that open a new task inside a measure (plain English, not the plan's wording).
_GENERAL_VERBS = frozenset(
    [
        "accelerate",
        "achieve",
        "add",
        "advance",
        "allocate",
        "amend",
        "balance",
        "build",
        "carry",
        "check",
        "clarify",
        "collate",
        "complete",
        "concentrate",
        "consolidate",
        "continue",
        "control",
        "cooperate",
        "coordinate",
        "create",
        "cultivate",
        "deepen",
        "develop",
        "dig",
        "draft",
        "draw",
        "encourage",
        "enhance",
        "enrich",
        "establish",
        "expand",
        "explore",
        "focus",
        "form",
        "formulate",
        "foster",
        "give",
        "guarantee",
        "guide",
        "help",
        "hold",
        "identify",
        "implement",
        "improve",
        "include",
        "increase",
        "intensify",
        "introduce",
        "investigate",
        "issue",
        "keep",
        "launch",
        "loosen",
        "make",
        "nurture",
        "optimize",
        "organize",
        "participate",
        "perfect",
        "promote",
        "promulgate",
        "propose",
        "protect",
        "provide",
        "publicize",
        "push",
        "raise",
        "realize",
        "regulate",
        "reinforce",
        "release",
        "revise",
        "select",
        "speed",
        "start",
        "step",
        "strengthen",
        "study",
        "supervise",
        "support",
        "try",
    ]
)
_BOUNDARY = re.compile(r"(?:;\s*(?:and\s+)?|,\s+(?:and\s+)?)(?=((?:\w+ly\s+|further\s+)?)(\w+))", re.I)


@dataclass(frozen=True)
class Clause:
    """One clause of a measure: ``text == measure.text[start:end]``."""

    number: int  # the measure
    index: int  # 0-based position in the measure
    start: int
    end: int
    text: str


def opening_verbs(texts: Iterable[str]) -> frozenset[str]:
    """The verbs the plan's measures open with ("Further improve ..." -> "improve"), plus general ones."""
    verbs = set(_GENERAL_VERBS)
    for text in texts:
        ws = words(text)[:2]
        if ws:
            verbs.add(ws[1] if (ws[0].endswith("ly") or ws[0] == "further") and len(ws) > 1 else ws[0])
    return frozenset(verbs)


def split_clauses(number: int, text: str, verbs: frozenset[str] = _GENERAL_VERBS) -> list[Clause]:
    """The clauses of one measure, in order; spans cover the text without its separators."""
    cuts: list[tuple[int, int]] = []  # (end of previous clause, start of next)
    for m in _BOUNDARY.finditer(text):
        if text[m.start()] == ";" or m.group(2).lower() in verbs:
            if _inside_brackets(text, m.start()):
                continue
            cuts.append((m.start(), m.end()))
    spans, start = [], 0
    for end, nxt in cuts:
        spans.append((start, end))
        start = nxt
    spans.append((start, len(text)))
    out: list[Clause] = []
    for s, e in spans:
        piece = text[s:e]
        e = s + len(piece.rstrip(" .;,"))
        s = s + (len(piece) - len(piece.lstrip()))
        if e > s:
            out.append(Clause(number, len(out), s, e, text[s:e]))
    return out


def _inside_brackets(text: str, pos: int) -> bool:
    """True inside (...) or a quotation: a list there is not a new task."""
    before = text[:pos]
    return (
        before.count("(") > before.count(")") or before.count('"') % 2 == 1 or (before.count("“") > before.count("”"))
    )
