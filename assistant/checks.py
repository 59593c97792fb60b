"""Check stage: pure functions that decide whether a model sentence may be shown, and the
extractive sentence used when it may not. Quotes never come from here: they are the plan's text."""

from __future__ import annotations

import re

from assistant import prompts
from assistant.text import CITATION, terms
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


def check_sentence(raw: str, measure: Measure, allowed: set[int]) -> str | None:
    """The model's sentence if usable (cites this measure, grounded, sane), else None.

    "The measure [32] requires Customs to improve ..." -> "It requires Customs to improve ... [32]."
    """
    text = first_sentence(raw)
    marker = f"[{measure.number}]"
    text = guard_citations(text, allowed)
    if marker not in text:
        return None
    text = _LEADING_REF.sub("It ", text).replace(marker, "").rstrip(" .")
    text = re.sub(r"\s{2,}", " ", text).replace(" ,", ",")
    if CITATION.search(text) or not 4 <= len(text.split()) <= 60:  # cites other measures: mixed up
        return None
    if sum(not (c.isascii() or c in "–—’‘“”") for c in text) > 3:  # garbled / other script
        return None
    if groundedness(text, measure) < GROUNDED:
        return None
    return f"{text} {marker}."


def extractive_sentence(measure: Measure, spans: list[tuple[int, int]] | None = None) -> str:
    """A sentence built from the measure itself: lead agency + the answering clause (the first
    highlighted span, ``assistant/highlight.py``) or else its first clause.

    Clauses come from ``index/clauses.py``, which never cuts inside brackets, a quotation or a
    number ("every 10,000 people" stays whole); a clause under four words takes the next one too:
    ``"Improve the supervision, control and handling of ..." -> "... is to improve the supervision,
    control and handling of ... [5]."``
    """
    text = measure.text
    clauses = split_clauses(measure.number, text, _verbs(text))
    if spans:
        start, end = spans[0]
    elif clauses:
        start, end = clauses[0].start, clauses[0].end
    else:
        start, end = 0, len(text)
    for c in clauses:  # a stub clause ("Improve the supervision") runs on to the next clause
        if len(text[start:end].split()) >= 4:
            break
        if c.start >= end:
            end = c.end
    if len(text[start:end].split()) < 4:
        start, end = 0, len(text)
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
