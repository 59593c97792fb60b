"""Agency registry: 28 agencies, every alias family resolves, typos, unknown bodies."""

from __future__ import annotations

import pytest

GAC = "General Administration of Customs"


def test_registry_has_28_unique_agencies(registry):
    names = [a.name for a in registry.agencies]
    assert len(names) == 28 == len(set(names))
    for a in registry.agencies:
        assert a.abbreviations and a.chinese, a.name


@pytest.mark.parametrize(
    "question,agency",
    [
        ("What must Customs do?", GAC),
        ("What does GAC do?", GAC),
        ("海关总署负责哪些措施？", GAC),
        ("海关做什么", GAC),
        ("What is the patent office responsible for?", "State Intellectual Property Office"),
        ("sipo tasks", "State Intellectual Property Office"),
        ("国家知识产权局", "State Intellectual Property Office"),
        ("What does AQSIQ do?", "General Administration of Quality Supervision, Inspection and Quarantine"),
        ("质检总局", "General Administration of Quality Supervision, Inspection and Quarantine"),
        ("SARFT measures", "State Administration of Radio, Film, and Television"),
        ("广电总局", "State Administration of Radio, Film, and Television"),
        ("What must the police do?", "Ministry of Public Security"),
        ("MPS", "Ministry of Public Security"),
        ("公安部", "Ministry of Public Security"),
        ("What does the SPC do?", "Supreme People's Court"),
        ("最高人民法院", "Supreme People's Court"),
        ("What does MOST do?", "Ministry of Science and Technology"),
        (
            "What does the State—owned Assets Supervision and Administration Commission do?",
            "State-owned Assets Supervision and Administration Commission",
        ),
        ("minstry of finanse", "Ministry of Finance"),
        ("Ministry of Agricultre", "Ministry of Agriculture"),
        ("General Adminstration of Custom", GAC),
        ("What about the Propaganda Department?", "Propaganda Department of the CPC Central Committee"),
    ],
)
def test_find_alias_families(registry, question, agency):
    assert [m.agency for m in registry.find(question)] == [agency]


def test_common_words_are_not_agencies(registry):
    for q in [
        "What is the most important measure?",
        "Which measures concern courts and trials?",
        "What does measure 7 say?",
        "the culture of innovation",
    ]:
        assert registry.find(q) == [], q


def test_two_agencies_in_order(registry):
    found = registry.find("What do the Ministry of Education and SIPO do together?")
    assert [m.agency for m in found] == ["Ministry of Education", "State Intellectual Property Office"]


def test_unknown_bodies(registry):
    assert registry.unknown_bodies("What must the Ministry of Tourism do?") == ["Ministry of Tourism"]
    assert registry.unknown_bodies("What must the Ministry of Culture do?") == []


def test_split_keeps_names_with_commas_and_and(registry):
    agencies, others = registry.split(
        "General Administration of Quality Supervision, Inspection and Quarantine, State Administration of "
        "Radio, Film, and Television and Ministry of Science and Technology"
    )
    assert agencies == [
        "General Administration of Quality Supervision, Inspection and Quarantine",
        "State Administration of Radio, Film, and Television",
        "Ministry of Science and Technology",
    ]
    assert others == []
