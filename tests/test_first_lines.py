"""The first line answers the kind of question asked: yes or no, the count, who leads, "None" for an
empty set, how many measures a topic has. Expected values come from the plan's records, not from the
engine's own answer."""

from __future__ import annotations

import re

import pytest

from assistant.answer import Assistant
from assistant.retrieve import Retriever
from index.config import Settings

SIPO = "State Intellectual Property Office"


@pytest.fixture(scope="module")
def ask(real_index_dir):
    retriever = Retriever.open(Settings(data_dir=real_index_dir, index_dir=real_index_dir / "index"))
    return Assistant(retriever, None).ask


def first_line(answer) -> str:
    return answer.text.split("\n", 1)[0]


def label(registry, name: str) -> str:
    return registry.by_name[name].label


@pytest.mark.parametrize(
    "question,word",
    [
        ("Does the Ministry of Finance have anything on rare earths?", "Yes"),
        ("Is there anything in the plan on folklore?", "Yes"),
        ("Does Customs do anything on rare earths?", "No"),
        ("Does the Ministry of Culture lead any measure in section II?", "No"),
    ],
)
def test_yes_no(ask, question, word):
    answer = ask(question)
    assert first_line(answer).startswith(f"**{word}**:"), answer.text[:200]
    if word == "Yes":
        (n,) = re.findall(r"^\*\*Yes\*\*: (\d+) measures? ", first_line(answer))
        assert int(n) == len(answer.citations) > 0
    else:
        assert all(c.pointer for c in answer.citations)  # a "No" cites nothing as the answer


def test_count_says_the_number_the_records_give(ask, plan, registry):
    led = [m for m in plan.measures if m.lead_agency == SIPO]
    assert first_line(ask("How many measures does SIPO lead?")).startswith(
        f"**{label(registry, SIPO)}** leads **{len(led)}** measures"
    )
    iv = [m for m in plan.measures if m.section == "IV"]
    line = first_line(ask("How many measures are in section IV?"))
    assert line.startswith("**Section IV**") and f"has **{len(iv)}** measures" in line
    culture = [m for m in plan.measures if "Ministry of Culture" in m.agencies]
    line = first_line(ask("How many measures does the Ministry of Culture have?"))
    assert f"is named in **{len(culture)}** measures" in line


@pytest.mark.parametrize("number", [12, 15, 40])
def test_who_leads(ask, plan, registry, number):
    m = plan.measure(number)
    line = first_line(ask(f"Who leads measure {number}?"))
    assert line.startswith(f"Measure {number} is led by **{label(registry, m.lead_agency)}**")
    assert f"({len(m.agencies)} agenc" in line


@pytest.mark.parametrize(
    "question",
    [
        "Which measures does the Ministry of Culture lead in section II?",  # a selection with nothing in it
        "Which agencies does Customs share measures with?",  # partners: none
        "Which Customs measures concern rare earths?",  # the agency's measures on a topic: none, then pointers
    ],
)
def test_none_for_an_empty_set(ask, question):
    answer = ask(question)
    assert first_line(answer).lstrip("*").startswith("None"), answer.text[:200]
    if "rare earths" in question:  # the pointers it then cites are other agencies' measures
        assert not any("General Administration of Customs" in c.agencies for c in answer.citations)


@pytest.mark.parametrize(
    "question",
    ["Which measures concern geographical indications?", "Anything about plant varieties?", "What about patents?"],
)
def test_topic_says_how_many_measures_cover_it(ask, question):
    answer = ask(question)
    line = first_line(answer)
    n = len(answer.citations)
    assert n > 0
    if n == 1:
        assert line == "One measure of the plan concerns this:"
    else:
        assert line == f"{n} measures of the plan concern this:"
