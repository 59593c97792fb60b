"""The reading view of the plan: each section a heading with its objectives, each measure a card
(number, roles, verbatim text) with the search's matches highlighted.

Search reads words as the chat does: Snowball stems, spelling corrected against the plan's
vocabulary, agencies by name, abbreviation, alias or Chinese name from the registry; "30" or
"measure 30" goes to that measure. Nothing found says so and offers the nearest measures.
Pure functions and one stateless class: tested without a browser.

    PlanSearch(plan, registry).search("patnet examination")
    -> Found(numbers=[...], terms=("patent", "examin"), message="4 measures match “patent examination”.")
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from assistant.text import STOP, Speller, stem, word_spans, words
from index.agencies import Registry
from index.parse import Measure, Plan

_NUMBER = re.compile(r"^\s*(?:measures?|items?|no\.?|number|#|第)?\s*(\d{1,3})\s*(?:条|项)?\s*[.?!]?\s*$", re.I)


@dataclass(frozen=True)
class Found:
    """What a search shows: measures in plan order, what to highlight, and a line saying what was found."""

    numbers: list[int]
    terms: tuple[str, ...] = ()  # stems to highlight in the text
    agencies: tuple[str, ...] = ()  # canonical agency names to highlight in the roles line
    message: str = ""
    nearest: list[int] = field(default_factory=list)  # offered when nothing matches
    corrections: dict[str, str] = field(default_factory=dict)


def _stems(text: str) -> set[str]:
    return {stem(w) for w in words(text)}


class PlanSearch:
    """Searches the plan's measures (text, roles, section title) by stems, corrected words and agencies."""

    def __init__(self, plan: Plan, registry: Registry, speller: Speller | None = None, expansions=None):
        self.plan = plan
        self.registry = registry
        vocabulary = [w for m in plan.measures for w in words(f"{m.text} {m.section_title} {' '.join(m.agencies)}")]
        self.speller = speller or Speller(vocabulary)
        self._own = {m.number: _stems(f"{m.text} {m.section_title} {m.responsibility}") for m in plan.measures}
        extra = expansions or {}  # data/expansions.yaml: number -> {"questions": [...], "keywords": [...]}
        self._wide = {
            n: own | _stems(" ".join([*extra.get(n, {}).get("questions", []), *extra.get(n, {}).get("keywords", [])]))
            for n, own in self._own.items()
        }

    def search(self, query: str) -> Found:
        """The measures matching ``query``: all of its words (as stems) and all agencies it names."""
        query = " ".join((query or "").split())
        total = len(self.plan.measures)
        if not query:
            return Found([m.number for m in self.plan.measures])
        if number := _NUMBER.match(query):
            n = int(number.group(1))
            if 1 <= n <= total:
                return Found([n], message=f"Measure {n} of {total}.")
            return Found([], message=f"The plan has measures 1–{total}; there is no measure {n}.")
        mentions = self.registry.find(query)
        agencies = tuple(m.agency for m in mentions)
        rest = query
        for m in mentions:
            rest = rest.replace(m.text, " ")
        corrected, fixes = self.speller.correct_text(rest)
        terms = tuple(dict.fromkeys(stem(w) for w in words(corrected) if w not in STOP and len(w) > 1))
        numbers = [
            m.number
            for m in self.plan.measures
            if all(a in m.agencies for a in agencies) and all(t in self._own[m.number] for t in terms)
        ]
        if not terms and not agencies:
            return Found([m.number for m in self.plan.measures], message="Those words do not narrow the plan.")
        said = f"“{query}”" + (
            f" (read as “{' '.join(fixes.get(w, w) for w in rest.split()).strip()}”)" if fixes else ""
        )
        marks = terms + tuple(stem(w) for m in mentions for w in words(m.text) if w not in STOP)
        if numbers:
            noun = "measure matches" if len(numbers) == 1 else "measures match"
            return Found(numbers, marks, agencies, f"{len(numbers)} {noun} {said}.", corrections=fixes)
        nearest = self.nearest(query, terms, agencies)
        message = f"No measure matches {said}."
        if nearest:
            message += " The nearest: " + ", ".join(f"measure {n}" for n in nearest) + "."
        return Found(nearest, marks, agencies, message, nearest, fixes)

    def nearest(self, query: str, terms: tuple[str, ...], agencies: tuple[str, ...], k: int = 3) -> list[int]:
        """Measures sharing the most of the query (stems in the text or its plain-language expansions,
        agencies named), then the closest spelling; nothing when they share nothing and no spelling is close."""

        def score(m: Measure) -> tuple[float, float]:
            shared = sum(t in self._wide[m.number] for t in terms) + sum(a in m.agencies for a in agencies)
            return shared, fuzz.partial_ratio(query.lower(), m.text.lower())

        ranked = sorted(self.plan.measures, key=score, reverse=True)
        return sorted(m.number for m in ranked[:k] if score(m)[0] > 0 or score(m)[1] >= 80)


def _mark(text: str, terms: tuple[str, ...]) -> str:
    """Escaped text with the words whose stem is searched for in ``<mark>``."""
    if not terms:
        return html.escape(text)
    out, last = [], 0
    for token, start, end in word_spans(text):
        out.append(html.escape(text[last:start]))
        word = text[start:end]
        hit = stem(token) in terms
        out.append(f"<mark>{html.escape(word)}</mark>" if hit else html.escape(word))
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def _name(name: str, agencies: tuple[str, ...]) -> str:
    return f"<mark>{html.escape(name)}</mark>" if name in agencies else html.escape(name)


def measure_card(m: Measure, found: Found) -> str:
    """One measure as a reading card: number, roles, the verbatim text, and "Ask about this measure"."""
    co = [*m.agencies[1:], *m.other_parties]
    roles = f"Lead: {_name(m.lead_agency, found.agencies) if m.lead_agency else '—'}"
    if co:
        roles += " · Co-responsible: " + ", ".join(_name(a, found.agencies) for a in co)
    return (
        f"<article class='rv-card' id='rv-m-{m.number}' data-measure='{m.number}'>"
        f"<div class='rv-head'><b>Measure {m.number}</b> <span class='rv-roles'>{roles}</span></div>"
        f"<p class='rv-text'>{_mark(m.text, found.terms)}</p>"
        f"<button type='button' class='rv-ask' data-ask='{m.number}'>Ask about this measure</button></article>"
    )


def reading_html(plan: Plan, found: Found) -> str:
    """The plan as a reading view: a heading per section with its objectives, then its measures' cards."""
    shown = set(found.numbers)
    parts = [f"<div class='rv-msg' role='status'>{html.escape(found.message)}</div>"] if found.message else []
    for s in plan.sections:
        cards = "".join(measure_card(plan.measure(n), found) for n in s.measures if n in shown)
        if not cards:
            continue
        objectives = _mark(s.objectives, found.terms)
        span = f"measures {s.measures[0]}–{s.measures[-1]}" if s.measures else ""
        parts.append(
            f"<section class='rv-sec' id='rv-s-{s.numeral}'><h3>Section {s.numeral}: {html.escape(s.title)}"
            f" <small>({span})</small></h3><p class='rv-obj'><i>Objectives and tasks:</i> {objectives}</p>"
            f"{cards}</section>"
        )
    return f"<div class='rv'>{''.join(parts)}</div>"
