"""Parse stage invariants: 90 measures, 8 sections, exact agency lists, verbatim clean text."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from index.config import DEFAULT_SOURCE
from index.parse import clean, depaginate, normalise_ws

SIPO = "State Intellectual Property Office"
NDRC = "National Development and Reform Commission"
MOE = "Ministry of Education"
MOST = "Ministry of Science and Technology"
MIIT = "Ministry of Industry and Information Technology"
MOF = "Ministry of Finance"
SAIC = "State Administration for Industry and Commerce"
NCAC = "National Copyright Administration"
CAS = "Chinese Academy of Sciences"
AQSIQ = "General Administration of Quality Supervision, Inspection and Quarantine"
SARFT = "State Administration of Radio, Film, and Television"
MOA = "Ministry of Agriculture"
SFA = "State Forestry Administration"
MEP = "Ministry of Environmental Protection"
MOFCOM = "Ministry of Commerce"
PD = "Propaganda Department of the CPC Central Committee"

# Written by reading the plan, not from the parser's output.
HARD_CASES = {
    10: [SIPO, NDRC, MOE, MOST, MIIT, MOF, SAIC, NCAC, CAS],
    16: [
        SIPO,
        MOE,
        MOST,
        MIIT,
        MOF,
        "Ministry of Human Resources and Social Security",
        MOA,
        "State-owned Assets Supervision and Administration Commission",
        SAIC,
        NCAC,
        SFA,
        "General Armament Department",
    ],
    18: [MIIT, MOST, AQSIQ],
    32: ["General Administration of Customs"],
    33: ["General Administration of Customs"],
    37: [NCAC, SARFT],
    38: [NCAC, SARFT, "Ministry of Foreign Affairs"],
    43: [MOFCOM, "Supreme People's Procuratorate", "Ministry of Public Security"],
    45: [MEP, MOA, AQSIQ, SFA, SIPO],
    47: [SAIC, MOA, MOFCOM, AQSIQ],
    64: [MOST, MIIT, SIPO],
    83: [PD, SARFT],
    90: [SIPO, PD, SARFT],
}

SECTIONS = [
    ("I", "Improving IP quality"),
    ("II", "Promoting the development of strategic emerging industries with intellectual property"),
    ("III", "Promoting IP utilization"),
    ("IV", "Strengthening IP Protection"),
    ("V", "Developing IP in advantageous fields"),
    ("VI", "Enhancing IP management capability"),
    ("VII", "Vigorously fostering the IP service sector"),
    ("VIII", "Fostering IP culture"),
]


def test_ninety_measures_in_order(plan):
    assert [m.number for m in plan.measures] == list(range(1, 91))


def test_sections_titles_and_objectives(plan):
    assert [(s.numeral, s.title) for s in plan.sections] == SECTIONS
    for s in plan.sections:
        assert s.objectives and not s.objectives.lower().startswith("objectives")
    assert plan.section("VIII").objectives.startswith("strengthen IP publicity and talent cultivation, create")
    assert sum(len(s.measures) for s in plan.sections) == 90
    assert plan.section("I").measures == tuple(range(1, 10))
    assert plan.measure(56).section == "VI"


@pytest.mark.parametrize("number,agencies", sorted(HARD_CASES.items()))
def test_agencies_hard_cases(plan, number, agencies):
    m = plan.measure(number)
    assert list(m.agencies) == agencies
    assert m.lead_agency == agencies[0]


def test_free_text_party_kept(plan):
    assert plan.measure(43).other_parties == ("relevant administrative law enforcement authorities",)
    assert all(not m.other_parties for m in plan.measures if m.number != 43)


def test_only_32_and_33_are_customs(plan):
    assert [m.number for m in plan.measures if "General Administration of Customs" in m.agencies] == [32, 33]


def test_every_measure_has_registered_agencies(plan, registry):
    for m in plan.measures:
        assert m.agencies, m.number
        assert all(a in registry.by_name for a in m.agencies)


def test_header(plan, registry):
    h = plan.header
    assert h.document_number == "G. ZH. F. X. Z. [2012] No. 43"
    assert h.date == "April 6, 2012"
    assert h.plan_title == "Promotion Plan on the Implementation of National IP Strategy 2012"
    assert h.title.startswith("Circular Concerning the Printing and Distribution")
    assert list(h.addressees) == [a.name for a in registry.agencies]
    assert len(h.addressees) == 28


ARTIFACTS = [r"[—-]\s*\d+\s*—", r"\*", r"\$", r"\\sim", r"<su[pb]>", r"#", r"\s-\s", r"\w-\s\w", r"\s{2,}"]


@pytest.mark.parametrize("pattern", ARTIFACTS)
def test_no_artifacts(plan, pattern):
    texts = [m.text for m in plan.measures] + [s.objectives for s in plan.sections] + [plan.header.preamble]
    bad = [t[:80] for t in texts if re.search(pattern, t)]
    assert not bad


@pytest.mark.parametrize(
    "number,fragment",
    [
        (14, "patent alliance in strategic"),
        (22, "Service Invention Regulations(Draft)"),
        (27, "Revise the Copyright Law, and give priority to revising"),
        (41, "grassroots people's courts having jurisdiction"),
        (57, "Launching Evaluation Work over Regional"),
        (63, "etc. under public health emergencies in accordance with the existing legal provisions"),
        (68, "service research achievements and inventions in colleges"),
        (72, "sharing basic IP information resources"),
        (89, "select 4~5 colleges"),
        (59, "during the 12th Five-year Plan Period"),
    ],
)
def test_cleanup_rejoins_words(plan, number, fragment):
    assert fragment in plan.measure(number).text


def test_split_page_word_in_agency_list(plan):
    # "State Intellectual Prop-20 —\n\nerty Office" in the source.
    assert plan.measure(22).agencies == (
        "State Intellectual Property Office",
        "Ministry of Science and Technology",
    )


def test_every_text_is_verbatim_in_source(plan):
    source = depaginate(DEFAULT_SOURCE.read_text(encoding="utf-8"))
    for m in plan.measures:
        assert normalise_ws(m.text) in source, m.number
    for s in plan.sections:
        assert s.objectives in source


def test_clean_examples():
    assert clean("alli-\n\nance") == "alliance"
    assert clean("Evalua-\n\ntion") == "Evaluation"
    assert clean("Prop-20 —\n\nerty Office") == "Property Office"
    assert clean("x\n**— 24 —** \ny") == "x\n\ny"
    assert clean("*etc.*") == "etc."
    assert clean("$4 \\sim 5$") == "4~5"
    assert clean("**III.** Promoting") == "III. Promoting"


def test_cli_parse_json():
    out = subprocess.run(
        [sys.executable, "-m", "index", "parse", "--json"], capture_output=True, text=True, check=True
    ).stdout
    rows = json.loads(out)
    assert len(rows) == 90
    assert set(rows[0]) == {"number", "section", "section_title", "text", "agencies"}
    assert rows[31]["number"] == 32 and rows[31]["agencies"] == ["General Administration of Customs"]
    assert rows[46]["section"] == "V"


def test_another_plan_in_same_layout(registry, tmp_path):
    from index.parse import parse

    src = tmp_path / "2013-plan.md"
    src.write_text(
        "# Circular on the 2013 Plan\n\nG. ZH. F. X. Z. [2013] No. 9\n\nMinistry of Culture and Ministry of Health,\n\n"
        "March 1, 2013\n\n### Plan 2013\n\nPreamble.\n\n#### I. First section\n\n"
        "Objectives and tasks: do things.\n\n- 1. Do one thing. (Ministry of Culture)\n"
        "- 2. Do a sec-\n\nond thing. (Ministry of Health and Ministry of Culture)\n",
        encoding="utf-8",
    )
    p = parse(src, registry)
    assert p.doc_id == "2013-plan"
    assert [m.text for m in p.measures] == ["Do one thing.", "Do a second thing."]
    assert p.measures[1].agencies == ("Ministry of Health", "Ministry of Culture")
    assert p.header.date == "March 1, 2013" and p.header.document_number.endswith("No. 9")
