"""The checks catch what a reader catches: each rejects its kind of bad sentence and lets a faithful
one through. Examples are shaped like the model's replies in the labelled set (eval/sentences)."""

from __future__ import annotations

import pytest

from assistant import prompts
from assistant.checks import REASONS, check_sentence, focus_terms, judge
from assistant.llm import FakeLLM
from assistant.sentences import (
    SentenceWriter,
    agency_focus,
    measure_focus,
    measure_grammar,
    measure_messages,
    prompt_version,
)

GOOD = {
    4: "The measure [4] requires the State Intellectual Property Office to improve the system for evaluating the "
    "quality of patent examination.",
    33: "The measure [33] requires the General Administration of Customs to strengthen the protection of "
    "geographic indication trademarks.",
    89: "Measure [89] requires the State Intellectual Property Office to carry out the top talent leadership plan.",
}


@pytest.mark.parametrize("number", sorted(GOOD))
def test_faithful_sentences_pass(plan, number):
    got = check_sentence(GOOD[number], plan.measure(number), {number})
    assert got is not None and got.endswith(f"[{number}].") and got.startswith("It requires")


@pytest.mark.parametrize(
    ("number", "raw", "reason"),
    [
        (48, "It (responsible: State Administration for Industry and Commerce): [48].", "scaffold"),
        (4, "Staff question: what must SIPO do to improve patent examination quality? [4]", "scaffold"),
        (89, "Measure [89] requires a top talent leadership plan and a top talent leadership plan.", "repetition"),
        (4, "The measure [4] requires the State Intellectual Property Office [4].", "stub"),
        (4, "Measure [4] requires the system for evaluating the quality of the [4].", "stub"),
        (33, "The measure [33] requires Customs to enforce the Trademark Law at the border.", "name"),
        (
            32,
            "Measure [32] requires the Ministry of Commerce to improve the customs IPR protection filing system.",
            "agency",
        ),
        (
            23,
            "The measure [23] requires a state-owned intellectual property office to promote IP financial services "
            "for SMEs.",
            "actor",
        ),
        (
            16,
            "The measure [16] requires the State Intellectual Property Office to supervise the service inventors.",
            "actor",
        ),
        (4, "Measure [4] requires a comprehensive approach to evaluate the quality of patent examination.", "filler"),
        (
            1,
            "The Ministry of Science and Technology must implement measures [1] to improve the evaluation of patents.",
            "citation",
        ),
    ],
)
def test_each_check_rejects_its_kind(plan, number, raw, reason):
    assert reason in REASONS
    assert judge(raw, plan.measure(number), {number}).reason == reason


@pytest.mark.parametrize(
    ("number", "raw", "ok"),
    [
        (38, "National Copyright Administration is to protect audiovisual performances [38].", False),
        (8, "Ministry of Agriculture is to ensure the development of new plant varieties [8].", False),
        (8, "Ministry of Agriculture is to perfect the examination and management of new plant varieties [8].", True),
        # "implement" for the plan's "push forward the implementation of"
        (
            70,
            "National Development and Reform Commission is to implement the Guidelines on Accelerating the "
            "Development of Hi-tech Services [70].",
            True,
        ),
    ],
)
def test_a_clause_rewrite_keeps_the_clause_verb(plan, number, raw, ok):
    assert (judge(raw, plan.measure(number), {number}).reason != "act") is ok


def test_focus_clause_must_be_in_the_sentence(plan):
    """Asked about geographic indications, a sentence on [33]'s cooperation with right holders is off focus."""
    m = plan.measure(33)
    raw = "The measure [33] requires the General Administration of Customs to improve cooperation with IPR holders."
    focus = prompts.AGENCY_TOPIC_FOCUS.format(agency="General Administration of Customs", terms="indication")
    assert judge(raw, m, {33}).reason == ""
    assert judge(raw, m, {33}, focus).reason == "focus"
    assert judge(GOOD[33], m, {33}, focus).reason == ""


def test_focus_keeps_only_the_measures_topic_words(plan):
    m = plan.measure(33)
    focus = "What must the General Administration of Customs do on indications, lately?"
    assert focus_terms(focus) == ["indications", "lately"]
    assert measure_focus(m, focus) == "What must the General Administration of Customs do on indications?"
    # a measure without the topic keeps the agency focus: the warmed cache entry
    assert measure_focus(plan.measure(32), focus) == "What must the General Administration of Customs do?"
    assert measure_focus(m, "Which measures concern desk, heading?") == ""


def test_prompt_is_the_answering_clause(plan):
    m = plan.measure(33)
    on_gi = measure_messages(m, "Which measures concern trademarks, indication?")[-1]["content"]
    plain = measure_messages(m, "")[-1]["content"]
    assert "geographic indication trademarks" in on_gi and "geographic indication" not in plain
    assert "Improve the mechanism of cooperation with IPR holders" in plain
    assert 'starts with "General Administration of Customs is to"' in plain


def test_grammar_goes_to_backends_that_take_one(plan, monkeypatch):
    m = plan.measure(7)
    fake = FakeLLM(grammars=True)
    SentenceWriter().write(fake, m, "", {7})
    assert fake.grammar_log == [measure_grammar(m, "")]
    assert 'root ::= "National Copyright Administration is to "' in fake.grammar_log[0]
    assert fake.grammar_log[0].rstrip().endswith('" [7]."')
    plain = FakeLLM()
    SentenceWriter().write(plain, m, "", {7})
    assert plain.grammar_log == [None]
    before = prompt_version()
    monkeypatch.setattr(prompts, "CLAUSE_GRAMMAR", prompts.CLAUSE_GRAMMAR.replace("{8,", "{9,"))
    assert prompt_version() != before  # the grammar is part of the cache key


def test_grammar_parses(plan):
    pytest.importorskip("llama_cpp")
    from assistant.llm import _grammar

    for n in (3, 29, 52, 89):
        _grammar(measure_grammar(plan.measure(n), ""))


@pytest.mark.slow
def test_real_model_writes_within_the_grammar(plan):
    """SmolLM2 under the clause grammar: the lead agency opens, the citation closes, nothing else cited."""
    from assistant.llm import LlamaCppLLM, smollm2_path
    from assistant.sentences import MAX_TOKENS

    llm = LlamaCppLLM(smollm2_path(), threads=2)
    for n in (18, 57):
        m = plan.measure(n)
        raw = llm.generate(measure_messages(m, ""), max_tokens=MAX_TOKENS, grammar=measure_grammar(m, ""))
        assert raw.startswith(f"{m.lead_agency} is to ") and raw.rstrip().endswith(f"[{n}].")
        assert raw.count("[") == 1


def test_yes_no_focus_carries_the_highlighted_topic(plan):
    """ "Does Customs do anything on geographical indications?": the sentence on [33] is about the clause
    the answer highlights (geographic indication trademarks), not the measure's first clause."""
    from assistant.retrieve import Retrieval
    from assistant.sentences import focus_for
    from assistant.understand.query import Constraint, Kind, Query

    gac = "General Administration of Customs"
    query = Query(
        "q",
        constraints=[Constraint(Kind.AGENCY, gac), Constraint(Kind.TOPIC, "geographical indications")],
    )
    focus = focus_for(Retrieval("yes_no", agencies=[gac], topic="geographical indications", query=query))
    assert focus == "What must the General Administration of Customs do on geographical, indications?"
    m = plan.measure(33)
    assert "geographic indication trademarks" in measure_messages(m, focus)[-1]["content"]
    cooperation = "General Administration of Customs is to improve the mechanism of cooperation with IPR holders [33]."
    assert judge(cooperation, m, {33}, measure_focus(m, focus)).reason in ("thin", "focus")  # another clause


def test_the_subject_is_the_co_agency_asked_about_with_the_lead_named(plan):
    from assistant.checks import sentence_subject
    from assistant.sentences import agency_focus

    m = plan.measure(90)  # led by SIPO, with the Propaganda Department among its agencies
    co = next(a for a in m.agencies if a != m.lead_agency)
    assert sentence_subject(m, agency_focus(co)) == prompts.CO_SUBJECT.format(agency=co, lead=m.lead_agency)
    assert sentence_subject(m, agency_focus(m.lead_agency)) == m.lead_agency
    assert sentence_subject(m, agency_focus("General Armament Department")) == m.lead_agency  # not its measure
    assert sentence_subject(m, "") == m.lead_agency
    other = next(a for a in ("General Armament Department", "Ministry of Finance") if a not in m.agencies)
    pair = prompts.JOINT_FOCUS.format(a=co, b=other)  # a joint question: the pair's member the measure names
    assert sentence_subject(m, pair) == prompts.CO_SUBJECT.format(agency=co, lead=m.lead_agency)
    assert sentence_subject(m, prompts.JOINT_FOCUS.format(a=m.lead_agency, b=co)) == m.lead_agency
    messages = measure_messages(m, agency_focus(co, "publicity week"))
    assert f'starts with "{co}, with the {m.lead_agency} leading, is to"' in messages[-1]["content"]
    reply = f"{co}, with the {m.lead_agency} leading, is to organize the national IP publicity week [90]."
    assert check_sentence(reply, m, {90}, agency_focus(co)) is not None


def test_a_rewrite_that_keeps_too_little_of_its_clause_is_thin(plan):
    m = plan.measure(20)
    lead = m.lead_agency
    assert judge(f"{lead} is to transform the field of agriculture [20].", m, {20}).reason == "thin"
    whole = m.text.split(",")[0].rstrip(".")
    faithful = f"{lead} is to {whole[0].lower()}{whole[1:]} [20]."
    assert judge(faithful, m, {20}).sentence is not None


def test_a_verb_of_the_same_act_is_no_swap(plan):
    from assistant.checks import same_act
    from assistant.text import stem

    assert same_act(stem("enhance"), {stem("improve")}) and not same_act(stem("evaluate"), {stem("amend")})


def test_a_rewrite_of_any_clause_is_whole_when_no_topic_is_asked(plan):
    # measure 52's second clause, rewritten whole, for an agency question: not thin (it was, against clause 1)
    m = plan.measure(52)
    reply = (
        f"{m.lead_agency} is to implement the program of building traditional Chinese medicine databases and "
        "demonstrative research projects in ten provinces [52]."
    )
    assert judge(reply, m, {52}, agency_focus(m.lead_agency)).sentence is not None
    assert judge(f"{m.lead_agency} is to implement the program [52].", m, {52}).reason in {"thin", "stub"}


def test_a_phrase_the_measure_itself_says_twice_is_no_repetition(plan):
    # measure 65 says "build and improve the agricultural IPR/IP management system" twice, spelt two ways
    m = plan.measure(65)
    reply = (
        f"{m.lead_agency} is to lead agricultural research institutions to build and improve the agricultural IP "
        "management system and management collaboration network, and lead agricultural enterprises and public "
        "institutions to build and improve the agricultural IP management system and institutional framework [65]."
    )
    assert judge(reply, m, {65}).sentence is not None


def test_a_measure_that_only_studies_an_act_is_not_said_to_do_it(plan):
    m = plan.measure(17)  # "Study the establishment of a scientific reporting system, ..."
    assert m.text.startswith("Study the establishment")
    assert judge(f"{m.lead_agency} is to establish a scientific reporting system [17].", m, {17}).reason == "act"
    ok = f"{m.lead_agency} is to study the establishment of a scientific reporting system [17]."
    assert judge(ok, m, {17}).sentence is not None


def test_the_co_agency_subject_is_framing_not_filler(plan):
    m = plan.measure(46)
    co = m.agencies[1]
    reply = (
        f"{co}, with the {m.lead_agency} leading, is to enhance the preservation catalog of biological genetic "
        "resources and associated traditional knowledge [46]."
    )
    assert judge(reply, m, {46}, agency_focus(co)).sentence is not None


def test_a_measure_that_studies_and_does_an_act_may_be_said_to_do_it(plan):
    m = plan.measure(68)  # "Study and amend documents on IP management in colleges and universities, ..."
    assert m.text.startswith("Study and amend")
    reply = f"{m.lead_agency} is to amend documents on IP management in colleges and universities [68]."
    assert judge(reply, m, {68}).sentence is not None
    swap = f"{m.lead_agency} is to abolish documents on IP management in colleges [68]."
    assert judge(swap, m, {68}).reason in {"act", "actor"}


def test_a_verb_phrase_inside_the_measure_is_no_swap_but_its_noun_is(plan):
    m = plan.measure(3)  # "Build a system for evaluating "the number of invention patents owned by ...""
    reply = f"{m.lead_agency} is to evaluate the number of invention patents owned by every 10,000 people [3]."
    assert judge(reply, m, {3}).reason != "act"
    m38 = plan.measure(38)  # "... the WIPO diplomatic conference on the protection of audiovisual performances"
    assert "protection of audiovisual" in m38.text
    swap = f"{m38.lead_agency} is to protect audiovisual performances [38]."
    assert judge(swap, m38, {38}).reason == "act"


def test_a_second_task_joined_by_and_is_a_whole_rewrite(plan):
    m = plan.measure(47)  # "Push forward the establishment of ... and promote the introduction of System of ..."
    task = m.text[m.text.index("promote the introduction") :].rstrip(".")
    assert judge(f"{m.lead_agency} is to {task} [47].", m, {47}, agency_focus(m.lead_agency)).sentence is not None
    assert judge(f"{m.lead_agency} is to promote the introduction of systems [47].", m, {47}).reason == "thin"
