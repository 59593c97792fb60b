"""The extractive sentence is whole for every measure: brackets and quotes balanced, numbers unsplit,
its clause an exact piece of the plan, with no span and with each clause of the measure as the span."""

from __future__ import annotations

import re

import pytest

from assistant.checks import extractive_sentence
from index.clauses import opening_verbs, split_clauses

NUMBER = re.compile(r"\d+(?:[.,]\s?\d+)*")  # "10,000", "10, 000", "12th", "2012"


def _clause(sentence: str, measure) -> str:
    """The part of the extractive sentence taken from the plan: between "is to " and " [n]."."""
    subject = measure.lead_agency or "The responsible agencies"
    assert sentence.startswith(f"{subject} is to ")
    assert sentence.endswith(f" [{measure.number}].")
    return sentence[len(subject) + len(" is to ") : -len(f" [{measure.number}].")]


def assert_whole(sentence: str, measure) -> None:
    clause = _clause(sentence, measure)
    text = measure.text
    s = text.find(clause[:1].upper() + clause[1:]) if text.find(clause) < 0 else text.find(clause)
    assert s >= 0, clause  # an exact piece of the plan (bar the first letter's case)
    e = s + len(clause)
    for a, b in ("()", "[]", "“”", "‘’"):
        assert clause.count(a) == clause.count(b), (a, b, clause)
    assert clause.count('"') % 2 == 0, clause
    for n in NUMBER.finditer(text):  # neither end falls inside a number
        assert not (n.start() < s < n.end() or n.start() < e < n.end()), (n.group(0), clause)
    assert len(clause.split()) >= 4


def test_whole_for_every_measure(plan):
    assert len(plan.measures) == 90
    for m in plan.measures:
        assert_whole(extractive_sentence(m), m)


def test_whole_for_every_clause_span(plan):
    verbs = opening_verbs(m.text for m in plan.measures)
    n = 0
    for m in plan.measures:
        for c in split_clauses(m.number, m.text, verbs):
            s = extractive_sentence(m, [(c.start, c.end)])
            assert_whole(s, m)
            n += 1
    assert n > 150


@pytest.mark.parametrize(
    ("number", "whole"),
    [
        (3, '"the number of invention patents owned by every 10, 000 people"'),
        (42, "IP-related civil, administrative and criminal cases"),
        (88, "IP Strategy of Radio, Film and Television Programs"),
    ],
)
def test_known_cuts_are_gone(plan, number, whole):
    """The issue's examples: the old ", " split cut these mid-number, mid-quote and mid-name."""
    assert whole in extractive_sentence(plan.measure(number))


def test_stub_clause_runs_on(plan):
    """Measure 5's first clause is three words; the sentence takes the next clause with it."""
    s = extractive_sentence(plan.measure(5))
    assert "supervision, control and handling of abnormal patent applications" in s


def test_answering_clause_is_used(plan):
    m = plan.measure(33)
    clauses = split_clauses(m.number, m.text)
    last = clauses[-1]
    s = extractive_sentence(m, [(last.start, last.end)])
    assert last.text.rstrip(".")[1:] in s and s != extractive_sentence(m)
