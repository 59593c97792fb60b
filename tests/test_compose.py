"""Questions as compositions (issue 14): generated compositions, the issue's class examples, follow-ups
as edits, today's names, facts of the circular, and one shared assistant under concurrent requests."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.answer import Assistant
from assistant.evaluate import evaluate
from assistant.retrieve import Retriever
from assistant.understand.query import Ask, Constraint, Kind, Query, Role
from eval.compose import Generator, answerer, check
from eval.metrics import score
from index.config import REPO_ROOT, Settings

DEV14 = REPO_ROOT / "eval" / "dev14.jsonl"
MOST = "Ministry of Science and Technology"


@pytest.fixture(scope="module")
def retriever(real_index_dir):
    return Retriever.open(Settings(data_dir=real_index_dir, index_dir=real_index_dir / "index"))


def rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ------------------------------------------------------------ the property test


def test_generated_compositions_give_the_evaluators_answer(retriever):
    """1,200 questions built from blind-written phrasings (list, count, yes/no frames with agency x role
    x section x exclusion; comparisons, partners, positions; follow-ups that edit or filter): the
    engine's citations equal the evaluator's on the query each question is meant to say."""
    gen = Generator(retriever.plan, retriever.registry, seed=2012)
    cases = gen.cases(1200, answerer(retriever))
    assert len(cases) >= 1000
    assert {c.intended.ask for c in cases} >= {Ask.MEASURES, Ask.COUNT, Ask.YES_NO, Ask.COMPARE, Ask.PARTNERS}
    bad = check(retriever, cases)
    assert not bad, [(c.question, got, want) for c, got, want in bad[:5]]


def test_the_evaluator_is_set_algebra_over_the_records(plan):
    q = Query(
        text="",
        ask=Ask.MEASURES,
        constraints=[Constraint(Kind.AGENCY, MOST, role=Role.CO), Constraint(Kind.SECTION, "II", include=False)],
    )
    expected = [m.number for m in plan.measures if MOST in m.agencies[1:] and m.section != "II"]
    assert evaluate(q, plan, None).numbers == expected and expected


# ------------------------------------------------------------ the class examples


@pytest.mark.parametrize("row", rows(DEV14), ids=lambda r: r["id"])
def test_class_examples(retriever, row):
    answer = Assistant(retriever, None).ask(row["question"], row.get("history") or [])
    cited = [c.measure for c in answer.citations if not c.pointer]
    got = score(row, cited, answer.abstained, answer.text, [], "", 0.0)
    assert got.strict, (cited, answer.text[:300], answer.query["constraints"])


# ------------------------------------------------------------ pieces


def test_first_lines_answer_the_kind_of_question(retriever):
    ask = Assistant(retriever, None).ask
    assert ask("Does the Ministry of Finance have anything on rare earths?").text.startswith("**Yes**")
    assert ask("Was the Ministry of Railways one of the addressees?").text.startswith("No.")
    assert ask("Which agencies does Customs share measures with?").text.startswith("**None**")
    assert ask("How many measures does SIPO lead?").text.startswith(
        "**State Intellectual Property Office (SIPO)** leads **21**"
    )


def test_todays_names_say_how_the_plan_names_the_body(retriever):
    answer = Assistant(retriever, None).ask("What does CNIPA lead in section I?")
    assert "CNIPA (named in the plan as State Intellectual Property Office)" in answer.text
    assert [c.measure for c in answer.citations] == [3, 4, 5]
    merged = retriever.retrieve("What does SAMR have to do?")  # SAIC and AQSIQ merged
    names = [name for name, _ in merged.groups]
    assert names == [
        "State Administration for Industry and Commerce",
        "General Administration of Quality Supervision, Inspection and Quarantine",
    ]


def test_another_plans_year_abstains_whatever_else_is_asked(retriever):
    r = retriever.retrieve("Under the 2014 promotion plan, which measures did SIPO lead in section III?")
    assert r.abstain == "other_year" and r.numbers == []


def test_follow_up_edits_keep_the_rest_of_the_query(retriever):
    first = retriever.retrieve("Which Ministry of Agriculture measures concern geographical indications?")
    history = [
        {"role": "user", "content": first.query.text},
        {"role": "assistant", "content": "…", "citations": first.numbers, "query": first.query.to_json()},
    ]
    same = retriever.retrieve("And the same for the Ministry of Commerce?", history)
    assert same.query.edit == "same for" and same.numbers == [47, 51]
    corrected = retriever.retrieve("no, I meant section VI", [
        {"role": "user", "content": "What does SIPO lead in section III?"},
        {"role": "assistant", "content": "[16] [22] [23]", "citations": [16, 22, 23]},
    ])  # fmt: skip
    assert corrected.numbers == [56, 57, 58]


def test_of_those_with_no_other_body_is_the_previous_agency_alone(retriever, plan):
    moe = "Ministry of Education"
    led = [m.number for m in plan.measures if m.lead_agency == moe]
    alone = [n for n in led if plan.measure(n).agencies == (moe,)]
    assert alone and alone != led  # the follow-up must drop some
    history = [
        {"role": "user", "content": "What does the education ministry lead?"},
        {"role": "assistant", "content": " ".join(f"[{n}]" for n in led), "citations": led},
    ]
    assert retriever.retrieve("of these, which list no other body?", history).numbers == alone


def agency_numbers(plan, name):
    return [m.number for m in plan.measures if name in m.agencies]


def test_a_supporting_role_included_adds_to_the_others(retriever, plan):
    moa = "Ministry of Agriculture"
    every = agency_numbers(plan, moa)
    co = [n for n in every if plan.measure(n).lead_agency != moa]
    assert co and co != every
    assert retriever.retrieve("Where does the farm ministry only support?").numbers == co
    assert retriever.retrieve("List the farm ministry's items, including where it only supports").numbers == every


def test_a_described_body_inside_a_topic_is_the_topic(retriever):
    r = retriever.retrieve("How are the courts that try patent disputes to be reorganised?")
    assert r.query.agency_names == [] and "courts" in r.query.topic
    assert any("read as a topic" in line for line in r.query.trace)  # explain says which reading won
    # people described by a participle, with no duty asked: the topic, not the body their words suggest
    r = retriever.retrieve("is there support for officials handling patent pledges?")
    assert r.query.agency_names == [] and "officials" in r.query.topic
    # a possessive inside the described phrase ("protecting people's") is no body either
    r = retriever.retrieve("What does the plan do about protecting people's health information?")
    assert r.query.agency_names == []
    # asked what they must do, the body stays
    assert retriever.retrieve("what must the judges handling IP cases do?").query.agency_names


# ------------------------------------------------------------ concurrency


def test_one_shared_assistant_answers_concurrent_requests_exactly_as_sequential_ones(retriever):
    questions = [(r["question"], r.get("history") or []) for r in rows(DEV14)] * 3
    assistant = Assistant(retriever, None)
    sequential = [[c.measure for c in assistant.ask(q, h).citations] for q, h in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda qh: [c.measure for c in assistant.ask(*qh).citations], questions))
    assert parallel == sequential


def test_concurrent_parses_keep_their_own_readings_and_unknown_bodies(retriever):
    # how descriptions were read and which bodies are unknown belong to one question, never to the shared finder
    questions = [
        "What does the Ministry of Railways do under the plan?",
        "Which measure revises the rules on patent agency work?",
        "What must the country's national science academy do?",
        "Is the Ministry of Water Resources in charge of anything?",
        "What does customs do?",
    ] * 12

    def outcome(q):
        r = retriever.retrieve(q)
        return r.numbers, r.abstain, r.query.unknown_bodies, r.query.trace

    sequential = [outcome(q) for q in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(outcome, questions)) == sequential
