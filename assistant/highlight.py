"""Highlight stage: which clauses of a measure answer a topic, as exact spans of the plan's text.

A measure is a list of clauses (``index/clauses.py``), often on different subjects; for a question
with a topic (a topic alone, an agency's measures on a topic, a yes/no question on one) the answer
marks the clause or clauses that carry it. The choice is deterministic:

1. lexical: the clauses that hold a topic term ("indications" ~ "indication"), a word of the same
   root ("registering" ~ "registration": a shared stem prefix of 5+ letters, as the topic scorer
   reads it) or a word within spelling distance of one ("trademarcs" ~ "trademarks"); the clauses
   with the most distinct topic terms win, then every other clause needed so that each topic term
   the measure has is inside a marked clause. The topic terms are its **specific** stems: those in
   at most ``generic_df`` of the plan's measures (the topic scorer's share), so that words a question
   leaves in the topic ("improve", "system", "ip", "patent") do not mark clauses when the topic has
   better ones; a topic of generic stems only uses them all;
2. dense: when no word matches, the clause the topic scorer found closest in meaning (its
   paraphrases included), if it reported one.

The quote stays verbatim: a span is ``(start, end)`` into ``measure.text`` and :func:`mark` wraps
substrings without changing them, so removing the markup gives the plan's text back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from assistant.text import terms, word_spans
from assistant.understand.query import Kind
from index.clauses import Clause, opening_verbs, split_clauses
from index.parse import Measure, Plan

if TYPE_CHECKING:
    from assistant.retrieve import Retrieval

Span = tuple[int, int]
SPELLING = 88  # rapidfuzz ratio at which a longer word counts as a misspelling of a topic word


class Highlighter:
    """The clauses of every measure of one plan, and the ones that answer a topic."""

    def __init__(self, plan: Plan, generic_df: float):  # the topic scorer's calibrated share
        verbs = opening_verbs(m.text for m in plan.measures)
        self.clauses: dict[int, list[Clause]] = {
            m.number: split_clauses(m.number, m.text, verbs) for m in plan.measures
        }
        self.df = Counter(t for m in plan.measures for t in set(terms(m.text)))  # measures using each stem
        self.generic = generic_df * len(plan.measures)

    def topic_terms(self, topic: str) -> frozenset[str]:
        """The stems a topic is marked by: its specific ones, else all (see the module doc).

        ``"improve the geographical indications system" -> {"geograph", "indic"}``; ``"patent" -> {"patent"}``
        """
        wanted = frozenset(terms(topic))
        specific = frozenset(t for t in wanted if self.df.get(t, 0) <= self.generic)
        return specific or wanted

    def spans(self, measure: Measure, topic: str, dense_clause: int | None = None) -> list[Span]:
        """The answering clauses' spans in ``measure.text``, in text order; [] when none answers."""
        clauses = self.clauses.get(measure.number) or []
        wanted = self.topic_terms(topic)
        if not clauses or not (wanted or dense_clause is not None):
            return []
        chosen = choose(clauses, wanted)
        if not chosen and dense_clause is not None and 0 <= dense_clause < len(clauses):
            chosen = [dense_clause]
        return [(clauses[i].start, clauses[i].end) for i in chosen]


def choose(clauses: Sequence[Clause], wanted: frozenset[str]) -> list[int]:
    """The lexical choice (module doc, step 1), as clause indexes in text order; [] when no clause holds
    a topic stem. The answer's highlight and the clause the model rewrites (``assistant/checks.py``)
    both come from here."""
    found = [_matches(c.text, wanted) for c in clauses]
    if not any(found):
        return []
    top = max(len(f) for f in found)
    chosen = {i for i, f in enumerate(found) if len(f) == top}
    covered = set().union(*(found[i] for i in chosen))
    for i in sorted(range(len(found)), key=lambda i: -len(found[i])):  # cover the remaining stems
        if found[i] - covered:
            chosen.add(i)
            covered |= found[i]
    return sorted(chosen)


def _matches(clause: str, wanted: frozenset[str]) -> frozenset[str]:
    """The topic stems a clause holds: exactly, by a shared root or within spelling distance."""
    have = _stems(clause)
    exact = wanted & have
    near = {w for w in wanted - exact if len(w) >= 5 and any(len(h) >= 5 and same_root(w, h) for h in have)}
    return frozenset(exact | near)


def same_root(a: str, b: str) -> bool:
    """Stems of one word family or one spelling: ``regist``/``registr``, ``trademarc``/``trademark``."""
    return a.startswith(b) or b.startswith(a) or fuzz.ratio(a, b) >= SPELLING


@lru_cache(maxsize=4096)
def _stems(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def highlight_topic(r: Retrieval) -> str:
    """The topic whose clauses an answer marks: the query's topic constraint, "" when it has none."""
    topics = [c for c in r.query.of(Kind.TOPIC) if c.include] if r.query is not None else []
    return str(topics[0].value) if topics else ""


def dense_clauses(evidence: Iterable[dict]) -> dict[int, int]:
    """The topic scorer's winning clause per measure, from its evidence rows (``retrieval.scores``)."""
    return {int(e["measure"]): int(e["clause"]) for e in evidence if e.get("clause") is not None}


def pieces(text: str, spans: Sequence[Span]) -> list[tuple[str, bool]]:
    """``text`` as (piece, highlighted) pairs: ``("ab cd", [(3, 5)]) -> [("ab ", False), ("cd", True)]``.
    Spans must not overlap; every surface (chat, cards, Markdown, DOCX) renders these pieces."""
    out, at = [], 0
    for start, end in sorted(spans):
        out += [(text[at:start], False), (text[start:end], True)]
        at = end
    return [p for p in [*out, (text[at:], False)] if p[0]]


def mark(text: str, spans: Sequence[Span], before: str = "**", after: str = "**") -> str:
    """``text`` with each span wrapped: ``mark("ab cd", [(3, 5)]) -> "ab **cd**"``."""
    return "".join(f"{before}{p}{after}" if lit else p for p, lit in pieces(text, spans))


def words_in(text: str, spans: Sequence[Span]) -> list[str]:
    """The words inside the spans (for tests and explain)."""
    return [w for w, s, e in word_spans(text) if any(a <= s and e <= b for a, b in spans)]
