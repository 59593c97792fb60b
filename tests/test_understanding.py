"""Understanding questions as staff ask them: the typed query, classes of failure, conversation
state, and paraphrase invariance (questions written blind, from the plan only)."""

from __future__ import annotations

import json
import re

import pytest

from assistant.answer import Assistant
from assistant.llm import FakeLLM
from assistant.retrieve import Abstain, Retriever, Route
from assistant.text import terms
from assistant.understand.query import Kind
from eval.run import load_floors
from index.config import REPO_ROOT, Settings

MOHRSS = "Ministry of Human Resources and Social Security"
PARAPHRASES = REPO_ROOT / "eval" / "specs" / "paraphrases.jsonl"


@pytest.fixture(scope="module")
def retriever(real_index_dir):
    return Retriever.open(Settings(data_dir=real_index_dir, index_dir=real_index_dir / "index"))


def agency_set(plan, name, lead=False):
    return [m.number for m in plan.measures if name in m.agencies and (not lead or m.lead_agency == name)]


def test_ask_json_carries_the_parsed_query(retriever):
    answer = Assistant(retriever, FakeLLM()).ask("How many measures does the farm ministry lead?")
    q = answer.to_json()["query"]
    assert q["intent"] == "count" and q["role"] == "lead"
    assert q["agencies"][0]["name"] == "Ministry of Agriculture" and q["agencies"][0]["how"] == "description"
    assert "4" in answer.text  # the number is in the answer, the measures are cited
    assert [c.measure for c in answer.citations] == [8, 20, 48, 65]


# Class 1: leftover words are not a topic filter; class 2: agencies described, not named.
@pytest.mark.parametrize(
    ("question", "agency"),
    [
        ("What has the Ministry of Commerce been told to do?", "Ministry of Commerce"),
        ("What is the customs service expected to do?", "General Administration of Customs"),
        ("What does the industry ministry need to deliver?", "Ministry of Industry and Information Technology"),
        ("<script>alert(1)</script> What must Customs do?", "General Administration of Customs"),
        ("What does the labour ministry have to do?", MOHRSS),
        ("Which tasks land on the science ministry?", "Ministry of Science and Technology"),
        ("what does the top court need to do", "Supreme People's Court"),
        ("anything for the ministry that runs employment, pensions and personnel?", MOHRSS),
    ],
)  # fmt: skip
def test_agency_questions_get_the_full_set(retriever, plan, question, agency):
    answer = Assistant(retriever, None).ask(question)
    assert [c.measure for c in answer.citations] == agency_set(plan, agency), answer.to_json()["query"]


@pytest.mark.parametrize(
    "question", ["What does the Ministry of Tourism do?", "What must the Ministry of Railways do?"]
)
def test_unregistered_ministries_still_abstain(retriever, question):
    r = retriever.retrieve(question)
    assert r.abstain == Abstain.UNKNOWN_AGENCY and r.numbers == []


def test_a_topic_word_alone_is_not_an_agency(retriever):
    assert retriever.retrieve("Which measures are about patent agencies?").query.agencies == []


# Class 3: counting and superlatives from the records.
def test_counts_and_rankings(retriever, plan):
    r = retriever.retrieve("How many measures is the Ministry of Culture named in?")
    assert r.route == Route.COUNT and r.count == 3 and r.numbers == agency_set(plan, "Ministry of Culture")
    r = retriever.retrieve("Which ministry leads the most measures?")
    assert r.route == Route.SUPERLATIVE and r.agencies == ["Ministry of Science and Technology"] and r.count == 7
    r = retriever.retrieve("Which measure involves the most agencies?")
    assert r.numbers == [16] and r.count == 12
    r = retriever.retrieve("Who's the lead on 52?")
    assert r.route == Route.WHO_LEADS and r.numbers == [52]
    assert retriever.retrieve("How many measures are in section V?").count == 11


# Class 4: conversation state as data.
CUSTOMS = [{"role": "user", "content": "What must Customs do?"}, {"role": "assistant", "content": "[32] … [33] …"}]


def test_ordinal_and_narrowing_follow_ups(retriever, plan):
    assert retriever.retrieve("Tell me more about the first of those.", CUSTOMS).numbers == [32]
    saic = agency_set(plan, "State Administration for Industry and Commerce")
    history = [
        {"role": "user", "content": "What does SAIC do?"},
        {"role": "assistant", "content": "…", "citations": saic},
    ]
    r = retriever.retrieve("Which of them are in section V?", history)
    assert r.numbers == [47, 49] and r.query.history_used
    finance = [
        {"role": "user", "content": "What does the Ministry of Finance do?"},
        {"role": "assistant", "content": "[10] [12] [16] [19] [83]"},
    ]
    assert retriever.retrieve("and which of those does it lead?", finance).numbers == [12, 19]


def test_citations_field_beats_the_text(retriever):
    history = [
        {"role": "user", "content": "What must the Ministry of Culture do?"},
        {"role": "assistant", "content": "see above", "citations": [54, 62, 86]},
    ]
    assert retriever.retrieve("And the second one?", history).numbers == [62]


@pytest.mark.parametrize(
    "question", ["Which measures concern IT and software?", "Is there anything on folklore? that would help"]
)
def test_a_question_that_stands_on_its_own_is_not_rewritten(retriever, question):
    r = retriever.retrieve(question, CUSTOMS)
    assert not r.query.history_used and not {32, 33} & set(r.numbers) and r.numbers


# Classes 5-8: everyday words, typos, Chinese, near misses.
def test_everyday_typo_and_chinese_topics(retriever):
    assert retriever.retrieve("Will it take less time to get a patent for green tech?").numbers == [15]
    r = retriever.retrieve("how will trademrak squatting be stopped")
    assert r.query.corrections == {"trademrak": "trademark"} and r.numbers
    assert 23 in retriever.retrieve("关于专利质押融资有什么措施？").numbers


def test_a_known_word_done_again_is_no_misspelling():
    from assistant.text import Speller

    speller = Speller(["writing", "revision", "trademark"], known=["writing", "vison"])
    assert speller.correct("rewriting") == "rewriting"  # not "writing" (two edits away)
    assert speller.correct("revison") == "revision"  # one edit from a plan word: still a typo
    assert speller.correct("trademrak") == "trademark"


def test_a_known_word_with_an_ending_is_no_misspelling():
    from assistant.text import Speller

    speller = Speller(["attending", "revision", "trademark"], known=["amend", "revise"])
    assert speller.correct("amending") == "amending"  # "amend" + -ing, not "attending" (two edits away)
    assert speller.correct("revising") == "revising"
    assert speller.correct("trademraks") == "trademark"  # a misspelt word with an ending is still corrected


def test_a_name_inside_a_sentence_is_corrected_only_at_one_edit():
    from assistant.text import Speller

    speller = Speller(["ongoing", "trademark"])
    assert speller.correct_text("teas such as Longjing") == ("teas such as Longjing", {})  # a place: two edits away
    assert speller.correct_text("teas such as longjing")[0] == "teas such as ongoing"  # lower case: a typo
    assert speller.correct_text("the Trademrak Office")[0] == "the trademark Office"  # one edit still corrects


def test_informal_words_count_in_meaning_only(retriever, plan):
    """The helpers' informal words per clause are embedded (dense evidence), but are not the plan's words:
    they neither make a question's word known to the unknown-word guard nor score in BM25."""
    from index.chunk import clause_texts, load_clause_expansions
    from index.config import DEFAULT_CLAUSE_EXPANSIONS

    expansions = load_clause_expansions(DEFAULT_CLAUSE_EXPANSIONS)
    informal = [t for *_, kind, t in clause_texts(plan, expansions) if kind == "clause_informal"]
    assert len(informal) == sum(bool(e.get("informal")) for e in expansions.values()) > 200
    others = " ".join(t for *_, kind, t in clause_texts(plan, expansions) if kind != "clause_informal")
    others += " ".join(f"{m.text} {m.section_title} {retriever.topics.expansion_text(m.number)}" for m in plan.measures)
    only_informal = {t for text in informal for t in terms(text)} - set(terms(others))
    assert only_informal and not only_informal & set(retriever.topics.plan_terms)
    got = retriever.vectorstore.get(where={"kind": "clause_informal"}, include=[])
    assert len(got["ids"]) == len(informal)
    plain = ["measure", "expansion", "clause", "clause_expansion"]
    without = retriever.vectorstore.get(where={"kind": {"$in": plain}}, include=[])
    assert len(retriever.topics._vectors[1]) == len(without["ids"]) + len(informal)  # dense evidence has them


def test_a_listing_topic_is_the_union_of_its_items(retriever, plan):
    """Each thing a topic lists adds the measures that use its words in a row (the items' own cut-offs)."""
    topics = retriever.topics
    within = {m.number for m in plan.measures}
    listed = "new plant varieties, folklore and geographical indications"
    assert topics.items(listed, set(listed.replace(",", "").split())) == [
        "new plant varieties",
        "geographical indications",
    ]  # one word alone adds nothing of its own
    assert topics.items("new plant varieties", {"new", "plant", "varieties"}) == []  # one thing: no list
    for a, b in [("geographical indications", "new plant varieties"), ("genetic resources", "traditional knowledge")]:
        both = set(retriever.retrieve(f"Which measures concern {a} and {b}?").numbers)
        for item in (a, b):
            alone = topics.search(item, item, terms(item), within, original=item).numbers
            assert {n for n in alone if topics.phrase(n, item)} <= both, (a, b, item)
        assert all(topics.phrase(n, a) or topics.phrase(n, b) or n in
                   topics.search(f"{a} and {b}", f"{a} {b}", terms(f"{a} {b}"), within, items=False).numbers
                   for n in both)  # fmt: skip
    # One word in an aside names a kind of the head ("IP laws - patent, trademark"): no item of its own
    laws = retriever.retrieve("which items revise the IP laws - patent, trademark and copyright?").numbers
    assert laws and all(" Law" in plan.measures[n - 1].text for n in laws)
    # One measure asked for: no list is widened
    many = retriever.retrieve("Which measures concern genetic resources and new plant varieties?")
    one = retriever.retrieve("Which measure concerns genetic resources and new plant varieties?")
    assert any("each thing it lists" in s for s in many.steps)
    assert not any("each thing it lists" in s for s in one.steps) and set(one.numbers) < set(many.numbers)


def test_chinese_structure_words_compose(retriever, plan):
    """Latin names next to Chinese characters, exclusion and co-role words, "部分N" and number ranges."""
    ncac = agency_set(plan, "National Copyright Administration")
    in_iv = [n for n in ncac if plan.measures[n - 1].section == "IV"]
    assert retriever.retrieve("第四部分NCAC负责哪些").numbers == in_iv  # no space between the name and 负责
    sipo = "State Intellectual Property Office"
    co = [n for n in agency_set(plan, sipo) if plan.measures[n - 1].lead_agency != sipo]
    assert sorted(retriever.retrieve("国知局不是牵头单位的措施").numbers) == co
    viii = [m.number for m in plan.measures if m.section == "VIII"]
    moe = set(agency_set(plan, "Ministry of Education"))
    assert retriever.retrieve("部分八除了教育部以外的措施").numbers == [n for n in viii if n not in moe]
    assert retriever.retrieve("第30到32条").numbers == [30, 31, 32]


@pytest.mark.parametrize(
    "question", ["What does the plan say about artificial intelligence?", "Tell me about cryptocurrency regulation."]
)
def test_near_misses_abstain(retriever, question):
    r = retriever.retrieve(question)
    assert r.abstain == Abstain.OUT_OF_SCOPE and r.numbers == []


@pytest.mark.parametrize("question", ["关于区块链技术的保护有什么安排？", "计划对知识产权众筹怎么规定的"])
def test_chinese_near_misses_whose_glossary_terms_are_only_generic_abstain(retriever, question):
    # "保护" (protection) and "知识产权" (the plan's subject) are the only glossary terms: no plan topic
    r = retriever.retrieve(question)
    assert r.abstain == Abstain.OUT_OF_SCOPE and r.numbers == [], r.query


def test_a_chinese_topic_with_a_specific_glossary_term_still_answers(retriever, plan):
    varieties = {m.number for m in plan.measures if "plant varieties" in m.text}
    assert set(retriever.retrieve("植物新品种保护方面有哪些安排").numbers or [0]) & varieties


def test_a_name_the_plan_gives_decides_the_set(retriever, plan):
    names = retriever.topics.names
    assert "patent law" in names and not any(n.startswith("revise ") for n in names)  # the verb is no name
    law = [m.number for m in plan.measures if "Copyright Law" in m.text]
    r = retriever.retrieve("Where does the plan deal with the Copyright Law?")
    assert r.numbers == law and any("“copyright law”" in step for step in r.steps)  # explain says why
    two = sorted(m.number for m in plan.measures if "Trademark Law" in m.text or "Copyright Law" in m.text)
    assert sorted(retriever.retrieve("the Trademark Law and the Copyright Law: which items?").numbers) == two
    # a topic word the named measures lack: the name does not decide ("online piracy" is elsewhere)
    assert set(retriever.retrieve("Copyright Law and online piracy measures").numbers) - set(law)


def test_a_question_with_two_header_fields_gets_both_in_the_order_asked(retriever, plan):
    c = plan.header
    r = retriever.retrieve("When was the notice issued and what is its document number?")
    assert r.route == "document" and not r.numbers
    assert r.query.fact == "date" and r.query.more_facts == ["document_number"]
    assert c.date in r.facts[0] and c.document_number in r.facts[1]
    r = retriever.retrieve("这个通知是哪天印发的？文号是多少？")
    assert [r.query.fact, *r.query.more_facts] == ["date", "document_number"]
    # one field, however it is worded: the circular named with a possessive is no topic
    r = retriever.retrieve("what is the notice's document number?")
    assert r.route == "document" and r.query.more_facts == [] and c.document_number in r.facts[0]


def test_year_comes_from_the_parsed_header(retriever):
    from index.parse import parse_text

    text = (REPO_ROOT / "data" / "plans" / "2012-promotion-plan.md").read_text(encoding="utf-8").replace("2012", "2013")
    plan = parse_text(text, retriever.registry)
    other = Retriever(retriever.settings, plan, retriever.registry, retriever.vectorstore)
    assert plan.header.year == "2013"
    assert other.retrieve("What does the 2012 plan say about patents?").abstain == Abstain.OTHER_YEAR
    assert other.retrieve("What does the 2013 plan say about the Trademark Law?").route != Route.OTHER_YEAR


# Paraphrase invariance: 52 blind-written bases, 261 paraphrases (description, everyday, typo, noise, formal).
def test_paraphrases_give_the_same_citation_set(retriever):
    bases = [json.loads(line) for line in PARAPHRASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    invariant_bases, same, total, broken = 0, 0, 0, []
    for b in bases:
        want = set(retriever.retrieve(b["base"]).numbers)
        got = [set(retriever.retrieve(p["text"]).numbers) == want for p in b["paraphrases"]]
        invariant_bases += sum(got) >= 4
        same, total = same + sum(got), total + len(got)
        broken += [p["text"] for p, ok in zip(b["paraphrases"], got, strict=True) if not ok]
    # Floors in eval/thresholds.json keep 2 bases / 2 paraphrases below the measured 45 bases, 229/261.
    floors = load_floors("paraphrases")
    assert invariant_bases >= floors["invariant_bases"], (invariant_bases, broken[:10])
    assert same / total >= floors["same_share"], (same, total, broken[:10])


# One question of each class end to end through the real embedded model (SmolLM2): the model writes
# the sentences, but the answer set, the numbers and the quotes must not move.
E2E = [
    ("leftover", "What has the Ministry of Commerce been told to do?", None, [43, 47, 51, 72, 79, 84]),
    ("described", "What does the labour ministry have to do?", None, [16, 78]),
    ("aggregate", "How many measures does the Ministry of Agriculture lead?", None, [8, 20, 48, 65]),
    ("conversation", "Tell me more about the first of those.", CUSTOMS, [32]),
    ("everyday", "Will it take less time to get a patent for green tech?", None, [15]),
    ("typo", "reviseing the copywright law", None, [27]),
    ("chinese", "商标法的修改", None, [26]),
    ("near_miss", "What does the plan say about artificial intelligence?", None, []),
]


@pytest.fixture(scope="module")
def real_assistant(retriever):
    from assistant.llm import load_llm

    return Assistant(retriever, load_llm("llamacpp/smollm2", retriever.settings))


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "question", "history", "expected"), E2E, ids=[e[0] for e in E2E])
def test_real_model_end_to_end_per_class(real_assistant, kind, question, history, expected):
    from index.config import DEFAULT_SOURCE
    from index.parse import depaginate

    answer = real_assistant.ask(question, history)
    assert [c.measure for c in answer.citations] == expected, (kind, answer.text)
    assert answer.abstained == (not expected)
    source = depaginate(DEFAULT_SOURCE.read_text(encoding="utf-8"))
    for c in answer.citations:
        assert c.quote in source and f"[{c.measure}]" in answer.text
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} == set(expected)
    if kind == "aggregate":
        assert "**4**" in answer.text


def test_filler_after_an_agency_is_not_a_topic_but_a_real_topic_points_elsewhere(retriever, plan):
    r = retriever.retrieve("Hi, I work in the Ministry of Culture - what are we on the hook for?")
    assert r.numbers == agency_set(plan, "Ministry of Culture") and not r.abstain
    answer = Assistant(retriever, None).ask("What does SAIC do about folklore?")
    assert "none of the" in answer.text.lower() and not answer.abstained  # says so, then points
    assert 53 in [c.measure for c in answer.citations]
    assert not set(agency_set(plan, "State Administration for Industry and Commerce")) & {
        c.measure for c in answer.citations
    }


def test_theme_phrase_span_starts_at_its_first_word_as_written(plan):
    from assistant.understand.sections import SectionFinder

    text = "Which SIPO tasks sit in the IP Services chapter?"
    [(phrase, start, end)] = SectionFinder(plan).theme_phrase(text, [])
    assert text[start:].startswith("IP Services") and phrase.startswith("IP Services")


def _in_section(plan, numbers, numeral):
    return [n for n in numbers if plan.measure(n).section == numeral]


def test_an_agency_joined_to_its_role_by_a_dash_is_still_that_agency(retriever, plan):
    saic = "State Administration for Industry and Commerce"
    r = retriever.retrieve("SAIC-led items in section V")
    assert r.numbers == _in_section(plan, agency_set(plan, saic, lead=True), "V")
    r = retriever.retrieve("MOFCOM-headed measures, please")
    assert r.numbers == agency_set(plan, "Ministry of Commerce", lead=True)


def test_a_described_body_before_measures_owns_them(retriever, plan):
    commerce = agency_set(plan, "Ministry of Commerce")
    for question in ("the commerce ministry measures in part V", "The commerce ministry's measures in part V?"):
        assert retriever.retrieve(question).numbers == _in_section(plan, commerce, "V"), question


def test_slashed_names_and_asides_belong_to_the_agency_not_the_topic(retriever, plan):
    sarft = "State Administration of Radio, Film, and Television"
    r = retriever.retrieve("What is the film/TV regulator given in section VIII?")
    assert r.numbers == _in_section(plan, agency_set(plan, sarft), "VIII")
    assert not r.query.of(Kind.TOPIC)
    r = retriever.retrieve("What does customs (the one that checks goods crossing the border) lead?")
    assert r.numbers == agency_set(plan, "General Administration of Customs", lead=True)


def test_written_shorthand_is_spelled_out_before_parsing(retriever):
    from assistant.normalize import spell_out

    assert spell_out("the forestry & grassland admin, govt info") == (
        "the forestry and grassland administration, government information"
    )
    assert spell_out("R&D and AT&T stay") == "R&D and AT&T stay"
    assert spell_out("which regs does the LAO revise?") == "which regulations does the LAO revise?"
    assert retriever.retrieve("the measure revising the patent commissioning regs").numbers == [82]
    q = retriever.retrieve("measures of the natl forestry & grassland admin").query
    assert [c.value for c in q.of(Kind.AGENCY)] == ["State Forestry Administration"]


def test_adverbs_are_not_a_topic_and_paraphrase_words_narrow(retriever, plan):
    r = retriever.retrieve("Is the Ministry of Science and Technology ever just a co-agency?")
    assert not r.query.of(Kind.TOPIC) and r.numbers
    # measure 54 says "folklore" and "artistic"; its plain-language paraphrases say "folk"
    assert retriever.retrieve("Does the Ministry of Culture lead anything on folk art?").numbers == [54]


def test_a_name_of_the_plan_decides_an_agency_s_topic(retriever):
    """The plan names "the Trademark Law" in measure 26 (SAIC's, not SIPO's): inside SIPO's measures it is nothing,
    with a pointer to 26, though SIPO's measure 28 revises another law."""
    r = retriever.retrieve("Does SIPO revise the Trademark Law?")
    assert r.numbers == [] and [h.measure.number for h in r.pointers] == [26]
    assert retriever.retrieve("Does SAIC revise the Trademark Law?").numbers == [26]
    assert retriever.retrieve("Which SIPO measures mention the Patent Law?").numbers == [28]


def test_bodies_merged_today_are_one_body_when_the_merger_is_said(retriever, plan):
    lao, moj = "Legislative Affairs Office", "Ministry of Justice"
    both = sorted(set(agency_set(plan, lao)) | set(agency_set(plan, moj)))
    r = retriever.retrieve("Ministry of Justice tasks, including those of the legislative office it absorbed")
    assert r.numbers == both
    # without a merger said, two bodies named together are a joint question
    assert retriever.retrieve(
        "measures with both the Ministry of Justice and the Legislative Affairs Office"
    ).numbers == sorted(set(agency_set(plan, lao)) & set(agency_set(plan, moj)))


def test_the_asking_sentence_decides_yes_no_and_chatter_is_no_topic(retriever, plan):
    r = retriever.retrieve("Morning all. Does the Ministry of Health lead anything?")
    assert r.query.ask == "yes_no" and r.numbers == agency_set(plan, "Ministry of Health", lead=True)
    q = retriever.retrieve("Hello! I just joined the unit last week. Is MOFCOM in charge of anything?").query
    assert q.ask == "yes_no" and not q.of(Kind.TOPIC)
    # the topic is in the context sentence when the asking one only points at it
    r = retriever.retrieve("I work on new plant varieties. Which measures deal with it?")
    assert 8 in r.numbers


def test_a_year_that_names_a_plan_stops_even_a_fact_question(retriever):
    assert retriever.retrieve("How many measures are in the 2016 promotion plan?").query.stop == "other_year"
    assert retriever.retrieve("What is the document number of the plan for 2015?").query.stop == "other_year"
    q = retriever.retrieve("Which measure mentions the five-year period (2011-2015)?").query
    assert q.stop is None


def test_a_fact_whose_remainder_is_no_measures_topic_is_answered_from_the_record(retriever, plan):
    # the remainder ("higher-ranking document") has plan words, so a topic is tried first; no measure is on it,
    # so the circular's field answers instead of "not covered"
    r = retriever.retrieve("What higher-ranking document is the plan meant to carry out?")
    assert r.query.fact_fallback == "implements" and r.route == "document" and not r.numbers
    assert "Outline of the National Intellectual Property Strategy" in " ".join(r.facts)
    # a real topic keeps its measures: measure 63 revises guiding principles on medicines
    r = retriever.retrieve("medicine guiding principles and public health emergencies")
    assert r.numbers == [63] and r.query.ask == "measures"
    # no pattern matches, but the question means a header field (MEANINGS, by embedding similarity)
    r = retriever.retrieve("Give me the official reference of the notice")
    assert r.route == "document" and plan.header.document_number in " ".join(r.facts)
    assert "by meaning" in r.steps[-1]
    r = retriever.retrieve("On what day did the notice come into being?")
    assert plan.header.date in " ".join(r.facts)
    # a topic the plan does not cover stays "not covered"
    assert retriever.retrieve("What does the plan say about quantum sensing?").abstain == "out_of_scope"
    # "implement" in other words
    assert retriever.retrieve("What was this plan intended to put into effect?").query.fact == "implements"
    # a count is never a fallback: it counts the topic
    assert retriever.retrieve("How many measures are about quantum sensing?").query.fact_fallback is None


def _section(plan, numeral):
    return list(plan.section(numeral).measures)


def test_sections_by_what_their_measures_do_and_with_asides(retriever, plan):
    # "enforcement" is not in section IV's title; its measures are about it
    assert retriever.retrieve("list the enforcement chapter").numbers == _section(plan, "IV")
    r = retriever.retrieve("Who leads each item under the advantageous-fields heading (GIs, folklore and so on)?")
    assert r.numbers == _section(plan, "V") and not r.query.of(Kind.TOPIC)
    r = retriever.retrieve("What does NCAC lead in the protection chapter (IV)?")
    ncac = agency_set(plan, "National Copyright Administration", lead=True)
    assert r.numbers == _in_section(plan, ncac, "IV")
    assert retriever.retrieve("how many are in that bit on IP culture").count == len(_section(plan, "VIII"))
    # an article inside the subject does not end it ("fostering" alone is VII or VIII)
    assert retriever.retrieve("list the chapter on fostering the IP culture").numbers == _section(plan, "VIII")
    # membership is no section: "part of" without a determiner
    q = retriever.retrieve("Is the Ministry of Commerce part of the anti-piracy work?").query
    assert not q.of(Kind.SECTION)


def test_joined_positions_share_their_noun_and_section(retriever, plan):
    vi = _section(plan, "VI")
    assert retriever.retrieve("the first and last measure of part VI").numbers == [vi[0], vi[-1]]
    assert retriever.retrieve("first and final measures of the plan").numbers == [1, 90]


def _turn(question, numbers):
    answer = " ".join(f"[{n}]" for n in numbers)
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer, "citations": list(numbers)}]


def test_follow_ups_that_count_repeat_or_rerank_the_previous_answer(retriever, plan):
    first = "Which NDRC measures are in section II?"
    before = retriever.retrieve(first).numbers
    r = retriever.retrieve("how many are those?", _turn(first, before))
    assert r.count == len(before) and r.numbers == before
    second = "What does SIPO have in section VII?"
    cited = retriever.retrieve(second).numbers
    r = retriever.retrieve("same, but only where SIPO is not first", _turn(second, cited))
    sipo = "State Intellectual Property Office"
    assert r.numbers == [n for n in cited if plan.measure(n).lead_agency != sipo]
    ranked = retriever.retrieve("Which agency leads the most measures?")
    r = retriever.retrieve("what if every role counts?", _turn("Which agency leads the most measures?", ranked.numbers))
    assert r.query.rank == "most_named"


def test_a_pronoun_beside_a_new_agency_is_the_previous_one(retriever, plan):
    first = "what does the Chinese Academy of Sciences lead?"
    cited = retriever.retrieve(first).numbers
    r = retriever.retrieve("great. and does it share anything with MOST?", _turn(first, cited))
    cas, most = "Chinese Academy of Sciences", "Ministry of Science and Technology"
    assert r.numbers == sorted(set(agency_set(plan, cas)) & set(agency_set(plan, most)))


def test_acronyms_read_as_the_plans_phrase(retriever, plan):
    from assistant.understand.acronyms import Acronyms

    acronyms = Acronyms([m.text for m in plan.measures])
    assert acronyms.expand("GI") == "geographic indications"
    assert acronyms.expand("IC") is None  # the plan's phrases with those initials are few and unrelated
    gi = [m.number for m in plan.measures if "geographic" in m.text.lower()]
    r = retriever.retrieve("Is GAC doing anything on GIs?")
    assert r.numbers and set(r.numbers) <= set(gi) and r.query.ask == "yes_no"


def test_role_and_exclusion_cues_with_words_between(retriever, plan):
    miit = "Ministry of Industry and Information Technology"
    r = retriever.retrieve("MIIT measures where it is not listed first")
    assert r.numbers == [n for n in agency_set(plan, miit) if plan.measure(n).lead_agency != miit]
    # a contraction is a negation too ("isn't", "wasn't")
    assert retriever.retrieve("MIIT items where it wasn't put first").numbers == r.numbers
    # a "co-" verb with "with" asks for partners, and "own" in it is no lead cue
    q = retriever.retrieve("which bodies does the education ministry co-own items with?").query
    assert q.ask == "partners" and q.of(Kind.AGENCY)[0].role == "any"
    mofcom = "Ministry of Commerce"
    r = retriever.retrieve("what does MOFCOM lead, apart from the things in section V?")
    assert r.numbers == [n for n in agency_set(plan, mofcom, lead=True) if plan.measure(n).section != "V"]
    assert retriever.retrieve("哪个单位牵头的措施最多").query.ask == "rank_agencies"


def test_chinese_header_facts_yes_no_and_literal_topics(retriever, plan):
    # Chinese cue words need no word boundary: "主送单位" asks about the addressees
    r = retriever.retrieve("通知的主送单位里排最后的是哪家？")
    assert r.route == "document" and plan.header.addressees[-1] in " ".join(r.facts)
    assert retriever.retrieve("这个计划一共有多少条措施").query.fact == "measure_count"
    # "…没" closes a yes/no question
    assert retriever.retrieve("海关有涉及地理标志的措施没").query.ask == "yes_no"
    # one Chinese term: every measure whose text has its plan words, as in English
    gi = sorted(m.number for m in plan.measures if "geographic indication" in m.text.lower())
    assert sorted(retriever.retrieve("地理标志方面计划怎么说").numbers) == gi


def test_a_chinese_no_on_a_topic_says_the_agencys_measures_miss_it(retriever, plan):
    from assistant.render_zh import ChineseRenderer

    r = retriever.retrieve("最高检有涉及网络盗版的任务没")
    assert r.yes is False
    line = ChineseRenderer(plan, retriever.registry).no_line(r)
    assert "的措施都不涉及这一内容" in line and "没有措施" not in line


def test_words_that_date_a_name_are_no_topic(retriever):
    # "(the old GAD)": the name's age, like "former", is no topic word
    assert retriever.retrieve("What does the EDD (the old GAD) handle on patents?").query.topic == "patents"


def test_a_chinese_yes_or_no_line_says_the_role_asked(retriever, plan):
    from assistant.render_zh import ChineseRenderer

    zh = ChineseRenderer(plan, retriever.registry)
    r = retriever.retrieve("最高检有没有牵头的措施？")
    assert r.yes is False and "牵头" in zh.no_line(r) and "涉及" not in zh.no_line(r)  # it is named, never first
    r = retriever.retrieve("海关有没有单独负责的措施？")
    assert r.yes and "仅由" in zh.lead_line(r)


def test_chinese_topics_narrow_an_agency_or_section_through_the_glossary(retriever, plan):
    gi = {m.number for m in plan.measures if "geographic" in m.text.lower() or "GI" in m.text}
    r = retriever.retrieve("第五部分里和地理标志相关的有哪些？")
    assert r.numbers and set(r.numbers) <= gi & set(_section(plan, "V"))
    r = retriever.retrieve("海关在地理标志方面做什么？")
    assert r.numbers == sorted(gi & set(agency_set(plan, "General Administration of Customs")))
    # the plan's own subject ("知识产权": intellectual property) narrows nothing
    mfa = agency_set(plan, "Ministry of Foreign Affairs")
    assert retriever.retrieve("外交部在知识产权上有哪些任务？").numbers == mfa


def test_another_plan_by_year_or_five_year_ordinal_stops_even_with_todays_names(retriever):
    # a successor name drops a year only when the year dates a reform, not when it names a plan
    assert retriever.retrieve("What did the 2014 promotion plan give CNIPA?").query.stop == "other_year"
    r = retriever.retrieve("SIPO's tasks in the 13th five-year plan for IP")
    assert r.query.stop == "other_year" and r.query.year == "the 13th five-year plan"
    # the plan names the 12th five-year period itself
    assert retriever.retrieve("Which measure covers the 12th five-year plan period?").numbers == [59]


def test_a_description_in_the_plans_own_words_is_a_topic(retriever, plan):
    # "patent agencies" is what measures 81 and 82 are about, not a description of SIPO
    r = retriever.retrieve("Which measure revises the rules on patent agency work?")
    assert not r.query.of(Kind.AGENCY) and r.numbers == [82]
    assert any("read as a topic" in t and "the plan's own words" in t for t in r.query.trace)
    # a description that is no phrase of the plan still names its body
    q = retriever.retrieve("What must the country's national science academy do?").query
    assert [str(c.value) for c in q.of(Kind.AGENCY)] == ["Chinese Academy of Sciences"]


def test_the_plans_acronyms_spelled_out_find_their_measures(retriever):
    # the plan writes only "SMEs"; its clauses' keywords spell it out, so the long form is no near miss
    r = retriever.retrieve("Is there support in the plan for small and medium-sized enterprises?")
    assert not r.abstain and {19, 23} <= set(r.numbers)


def test_one_body_named_twice_is_one_constraint(retriever, plan):
    q = retriever.retrieve("Is CNIPA (SIPO back then) on anything about patent pledges?").query
    assert [str(c.value) for c in q.of(Kind.AGENCY)] == ["State Intellectual Property Office"]


def test_header_facts_in_everyday_wording(retriever, plan):
    assert retriever.retrieve("did the Ministry of Railways get this notice?").yes is False
    assert retriever.retrieve("is MOST on the address list?").yes is True
    assert retriever.retrieve("how many units was the circular sent to?").query.fact == "addressee_count"
    assert retriever.retrieve("measure count of the plan?").query.fact == "measure_count"
    assert retriever.retrieve("give me the section titles please").query.fact == "sections"
    # written shorthand: "doc", "TM"
    assert retriever.retrieve("which one amends the TM law?").numbers == [26]


def test_verbs_of_asking_about_are_no_topic_words(retriever):
    # "refer", "discuss", "touch on" ask whether the plan mentions something; they are not its subject
    for verb in ("refer to", "discuss", "touch on"):
        q = retriever.retrieve(f"Does the plan {verb} the 12th Five-Year period?").query
        assert q.topic_terms == ["12th", "period"], verb


def test_a_short_specific_topic_keeps_every_measure_that_names_it(retriever, plan):
    # not asked as a set ("which measures"), yet every measure whose text names it and scores near the best
    # is on it; the cut-off alone kept two of the six
    named = sorted(m.number for m in plan.measures if "geographic indication" in m.text.lower())
    assert sorted(retriever.retrieve("Tell me about geographic indications").numbers) == named
    # a topic mostly of general words is left to the cut-off: "guidance" alone does not pull in every guideline
    r = retriever.retrieve("IP service industry development guidance")
    assert not {n for n in r.numbers if plan.measure(n).section != "VII"}


def test_within_a_set_a_measure_with_most_of_the_topic_is_kept(retriever, plan):
    r = retriever.retrieve("What does the Ministry of Public Security do against counterfeit and inferior goods?")
    mps = agency_set(plan, "Ministry of Public Security")
    assert r.numbers == [n for n in mps if "counterfeit" in plan.measure(n).text]


def test_else_excludes_what_was_shown_and_both_ends_of_the_addressees(retriever, plan):
    first = "who leads measure 19?"
    lead = plan.measure(19).lead_agency
    r = retriever.retrieve("and does that ministry lead anything else?", _turn(first, [19]))
    assert r.numbers == [n for n in agency_set(plan, lead, lead=True) if n != 19]
    answer = Assistant(retriever, None).ask("Which addressee opens the circular's list and which one ends it?")
    head = answer.text.splitlines()[0]
    assert "Propaganda Department" in head and "General Armament Department" in head


def test_a_topic_no_measure_holds_most_of_abstains_unless_close_in_meaning(retriever):
    t = retriever.topics
    # every word is the plan's, but no measure's words hold most of them
    spread = set(t.specific([w for w in ("open", "sourc", "softwar", "licenc") if w in t.plan_terms]))
    assert t.best_coverage(spread) < t.calibration.topic_coverage
    r = retriever.retrieve("anything about licensing open source software?")
    assert r.abstain and any("no measure's words hold most" in s for s in r.steps)
    # a topic one measure holds is answered: the green channel (measure 15)
    assert 15 in retriever.retrieve("could green technology patents be examined faster?").numbers


def test_a_section_joined_to_a_position_by_a_possessive_scopes_it(retriever, plan):
    one, two = _section(plan, "I"), _section(plan, "II")
    assert retriever.retrieve("part 1's closing item and part 2's opening one").numbers == [one[-1], two[0]]
    assert retriever.retrieve("the final item of part 1 and the first of part 2").numbers == [one[-1], two[0]]


# The same body named twice, negated roles and scopes, numbers and facts (dev14e's classes, new wording)
def _in(plan, section):
    return [m.number for m in plan.measures if m.section == section]


def _sole(plan, name):
    return [m.number for m in plan.measures if m.agencies == (name,)]


def test_a_body_named_again_in_brackets_is_one_mention(retriever, plan):
    moa, sipo = "Ministry of Agriculture", "State Intellectual Property Office"
    r = retriever.retrieve("Section VI, leaving out whatever the farm ministry (MARA now) does?")
    assert r.numbers == [n for n in _in(plan, "VI") if n not in agency_set(plan, moa)]
    assert not r.query.of(Kind.TOPIC)
    co = [n for n in agency_set(plan, sipo) if plan.measures[n - 1].lead_agency != sipo]
    assert retriever.retrieve("SIPO (CNIPA) items other than as the lead?").numbers == co
    # a 2012 body beside the today's name that merged it is that body, not a second one
    samr = sorted(
        set(agency_set(plan, "State Administration for Industry and Commerce"))
        | set(agency_set(plan, "General Administration of Quality Supervision, Inspection and Quarantine"))
    )
    assert retriever.retrieve("Where does SAMR appear? Count SAIC as SAMR").numbers == samr
    # a description of a named body away from its name is no second mention: its words stay in the topic
    r = retriever.retrieve("SIPO leads how many of the IP service-sector items?")
    assert "service" in str(r.query.of(Kind.TOPIC)[0].value)


def test_negated_roles_compose(retriever, plan):
    miit, saic, sipo = (
        "Ministry of Industry and Information Technology",
        "State Administration for Industry and Commerce",
        "State Intellectual Property Office",
    )
    shared = [n for n in agency_set(plan, miit) if n not in _sole(plan, miit)]
    assert retriever.retrieve("In which measures is MIIT never on its own?").numbers == shared
    led_shared = [n for n in agency_set(plan, saic, lead=True) if n not in _sole(plan, saic)]
    assert retriever.retrieve("SAIC-led items that aren't SAIC alone").numbers == led_shared
    assert retriever.retrieve("Section VII items not headed by SIPO?").numbers == [
        n for n in _in(plan, "VII") if n not in agency_set(plan, sipo, lead=True)
    ]
    ndrc = "National Development and Reform Commission"
    co = [n for n in agency_set(plan, ndrc) if plan.measures[n - 1].lead_agency != ndrc]
    for q in ("NDRC measures where another body goes first", "NDRC items where it doesnt go first",
              "measures naming NDRC after the first slot"):  # fmt: skip
        assert retriever.retrieve(q).numbers == co, q


def test_bare_roman_sections_shorthand_and_ranges(retriever, plan):
    mof, ncac = "Ministry of Finance", "National Copyright Administration"
    assert retriever.retrieve("the VI measures w/o MOF").numbers == [
        n for n in _in(plan, "VI") if n not in agency_set(plan, mof)
    ]
    assert retriever.retrieve("copyright admin's jobs under IV?").numbers == [
        n for n in _in(plan, "IV") if n in agency_set(plan, ncac)
    ]
    assert retriever.retrieve("from no. 12 to no. 15, how many measures?").numbers == [12, 13, 14, 15]
    sipo = "State Intellectual Property Office"
    assert retriever.retrieve("in 20-23 which ones don't include SIPO").numbers == [
        n for n in range(20, 24) if n not in agency_set(plan, sipo)
    ]
    assert retriever.retrieve("the 2nd to last measure of section VI").numbers == [_in(plan, "VI")[-2]]


def test_yes_no_after_a_scope_and_a_signing_date(retriever):
    answer = Assistant(retriever, FakeLLM())
    assert answer.ask("in section VIII, does customs have anything?").text.startswith("**No**")
    assert answer.ask("Anything for customs in the culture part?").text.startswith("**No**")
    assert "April 6, 2012" in answer.ask("On what date was the notice signed?").text


@pytest.mark.parametrize(
    "question, first",
    [
        ("Was it issued on April 7, 2012?", "No."),  # the day counts, not only the month and the year
        ("was it dated 6 April 2012", "Yes."),  # "April" is a word of measure 90, not a topic here
        ("Was the notice signed on the 6th of April?", "Yes."),
        ("Was the circular published May 6, 2012?", "No."),
        ("通知是2012年4月6号印发的吗", "Yes."),  # 4 and 6 are the date, not measures 4 and 6
        ("通知是2012年5月6日发的吗", "No."),
    ],
)
def test_a_stated_date_is_checked_against_the_record_and_is_no_measure_number(retriever, question, first):
    answer = Assistant(retriever, FakeLLM()).ask(question)
    assert answer.text.startswith(first) and "April 6, 2012" in answer.text
    assert not answer.citations


def test_a_day_and_a_month_after_a_measure_number_stay_measures(plan):
    from assistant.understand import numbers

    assert numbers.extract("what do measures 4 and 6 say", plan).measures == [4, 6]
    assert numbers.extract("measure 5 may be like measure 6", plan).measures == [5, 6]  # "5 may": a verb


def test_a_shorthand_period_or_a_bracket_ends_no_sentence(retriever):
    from assistant.understand.asks import asked_sentence, sentences

    text = "Hi! Give me the copyright ones (e.g. software registration). Thanks."
    assert [text[a:b].strip() for a, b in sentences(text)] == [
        "Hi!",
        "Give me the copyright ones (e.g. software registration).",
        "Thanks.",
    ]
    assert asked_sentence("Any item on patents? No. 5 maybe.") == "Any item on patents?"
    r = retriever.retrieve("Pull every copyright measure (incl. the software stuff)")
    assert "copyright" in str(r.query.of(Kind.TOPIC)[0].value)


def test_listed_first_co_owner_and_a_long_lead_in(retriever, plan):
    mps, mfa = "Ministry of Public Security", "Ministry of Foreign Affairs"
    r = retriever.retrieve("Is MPS listed first on anything?")
    assert r.numbers == agency_set(plan, mps, lead=True)
    co = [n for n in agency_set(plan, mfa) if plan.measures[n - 1].lead_agency != mfa]
    assert retriever.retrieve("foreign ministry: where is it a co-owner rather than lead?").numbers == co
    answer = Assistant(retriever, FakeLLM())
    most = "Ministry of Science and Technology"
    for part in ("II", "VI"):  # a yes/no after a long lead-in with a dash: "Yes" or "No", as the plan says
        led = [n for n in agency_set(plan, most, lead=True) if plan.measures[n - 1].section == part]
        text = answer.ask(f"the science ministry (MOST these days) - does it lead anything in section {part}?").text
        assert text.startswith("**Yes**" if led else "**No**"), text
    # "on the list but not first": the measures' lists of agencies, not the circular's addressees
    r = retriever.retrieve("where MOST is on the list but not first, who leads those?")
    assert r.numbers == [n for n in agency_set(plan, most) if plan.measures[n - 1].lead_agency != most]


def test_the_thinnest_section_is_the_fewest(retriever):
    r = retriever.retrieve("which chapter is the thinnest?")
    assert r.query.ask == "rank_sections" and r.query.rank == "fewest_measures"


def test_the_next_or_previous_section_follows_the_last_answer(retriever, plan):
    iii = _in(plan, "III")
    history = [
        {"role": "user", "content": "Which measures are in section III?"},
        {"role": "assistant", "content": " ".join(f"[{n}]" for n in iii), "citations": iii},
    ]
    assert retriever.retrieve("and the next part?", history).numbers == _in(plan, "IV")
    assert retriever.retrieve("what about the previous chapter?", history).numbers == _in(plan, "II")


def test_a_contrast_excludes_and_which_measure_is_no_partner_ask(retriever, plan):
    moe, most = "Ministry of Education", "Ministry of Science and Technology"
    history = [
        {"role": "user", "content": "What is MOE responsible for?"},
        {"role": "assistant", "content": "see above", "citations": agency_set(plan, moe)},
    ]
    r = retriever.retrieve("no, I meant the science ministry, not MOE", history)
    assert r.numbers == [n for n in agency_set(plan, most) if n not in agency_set(plan, moe)]
    shared = [n for n in agency_set(plan, most, lead=True) if plan.measures[n - 1].agencies != (most,)]
    r = retriever.retrieve("MOST: which measures does it lead while sharing them with other agencies?")
    assert r.query.ask == "measures" and r.numbers == shared


def test_how_many_bodies_a_measure_names_is_a_constraint(retriever, plan):
    one = [m.number for m in plan.measures if len(m.agencies) == 1]
    iii = _in(plan, "III")
    r = retriever.retrieve("Which measures of section III have a single responsible agency?")
    assert r.numbers == [n for n in iii if n in one] and r.route == Route.SELECTION
    r = retriever.retrieve("how many measures are handled by exactly one body?")
    assert r.query.ask == "count" and r.numbers == one
    r = retriever.retrieve("in section III, which involve several agencies?")
    assert r.numbers == [n for n in iii if n not in one]
    sipo = "State Intellectual Property Office"
    r = retriever.retrieve("SIPO's measures that involve more than one agency")
    assert r.numbers == [n for n in agency_set(plan, sipo) if n not in one]
    r = retriever.retrieve("which measures does SIPO handle on its own?")  # an agency: its sole role, as before
    assert r.numbers == [n for n in agency_set(plan, sipo) if n in one]
    r = retriever.retrieve("anything for returnees who start businesses on their own IP?")  # a possessive
    assert not r.query.of(Kind.BODIES) and not any(c.role == "sole" for c in r.query.of(Kind.AGENCY))


def test_a_description_after_a_section_theme_is_part_of_it(retriever, plan):
    v = _in(plan, "V")
    r = retriever.retrieve("how many measures sit in the part on advantageous fields - plant varieties, folklore etc?")
    assert r.query.ask == "count" and r.numbers == v and "folklore" not in r.query.topic
    r = retriever.retrieve("the chapter on IP utilization / transfer: which have just one agency?")
    one = [m.number for m in plan.measures if len(m.agencies) == 1]
    assert r.numbers == [n for n in _in(plan, "III") if n in one]
    r = retriever.retrieve("the part on IP culture - which does SIPO lead?")  # an aside that asks stays the question
    sipo = "State Intellectual Property Office"
    assert r.numbers == [n for n in _in(plan, "VIII") if n in agency_set(plan, sipo, lead=True)]


def test_a_span_of_years_before_a_plan_name_dates_it(retriever):
    r = retriever.retrieve("who takes forward the 2010-11 Strike of the Sword operation?")
    assert r.route != Route.OTHER_YEAR and 31 in r.numbers and 11 not in r.numbers
    assert retriever.retrieve("what did the 2015 plan ask of customs?").route == Route.OTHER_YEAR
    assert retriever.retrieve("measures 10-11").numbers == [10, 11]


def test_a_misspelt_cue_word_still_cues(retriever, plan):
    sipo = "State Intellectual Property Office"
    r = retriever.retrieve("section IV measures exept the ones naming SIPO")
    assert r.numbers == [n for n in _in(plan, "IV") if n not in agency_set(plan, sipo)]
    sarft = "State Administration of Radio, Film, and Television"
    co = [n for n in agency_set(plan, sarft) if n not in agency_set(plan, sarft, lead=True)]
    assert retriever.retrieve("SARFT measures wihtout being the first-listed body").numbers == co


def test_body_counts_in_the_negative_and_by_co_agencies(retriever, plan):
    one = [m.number for m in plan.measures if len(m.agencies) == 1]
    many = [m.number for m in plan.measures if len(m.agencies) > 1]
    assert retriever.retrieve("which measures are not run by a single ministry?").numbers == many
    assert retriever.retrieve("list the measures that have co-agencies").numbers == many
    assert retriever.retrieve("which measures carry no co-agencies at all?").numbers == one
    assert retriever.retrieve("measures that don't list any co-agencies").numbers == one
    r = retriever.retrieve("how many measures are spread across several bodies?")  # sharing words ask no partners
    assert r.query.ask == "count" and r.numbers == many
    r = retriever.retrieve("count the measures in Section I have a single agency")  # "Section I have": a numeral
    assert r.numbers == [n for n in _in(plan, "I") if n in one]


def test_a_name_shortened_to_its_initials_after_the_head_is_that_body(retriever, plan):
    r = retriever.retrieve("what does HRSS lead?")
    assert r.query.agency_names == [MOHRSS] and r.numbers == agency_set(plan, MOHRSS, lead=True)
    assert not retriever.retrieve("anything on hrss?").query.agency_names  # in capitals only


def test_a_description_inside_what_the_question_is_about_is_topic(retriever):
    r = retriever.retrieve("the GAD item about building up a team of defence patent examiners?")
    assert r.query.agency_names == ["General Armament Department"] and 9 in r.numbers


def test_adding_to_the_previous_answer_is_a_union(retriever, plan):
    ii, iii = _in(plan, "II"), _in(plan, "III")
    history = [
        {"role": "user", "content": "How many measures does section II hold?"},
        {"role": "assistant", "content": f"{len(ii)} measures", "citations": ii},
    ]
    r = retriever.retrieve("and with section III added to those, how many altogether?", history)
    assert r.query.ask == "count" and r.numbers == sorted(ii + iii) and r.query.edit == "union with previous"
    lead = agency_set(plan, "State Intellectual Property Office", lead=True)
    r = retriever.retrieve("those plus the ones SIPO leads", history)
    assert r.numbers == sorted(set(ii) | set(lead))


def test_chinese_lead_ranks_which_items_and_filters_of_the_previous_answer(retriever, plan):
    r = retriever.retrieve("哪个部门牵头的措施数量最多？")
    assert r.query.rank == "most_led"
    sipo = "State Intellectual Property Office"
    ii = [n for n in agency_set(plan, sipo) if plan.measure(n).section == "II"]
    history = [
        {"role": "user", "content": "国知局在第二部分有哪些措施？"},
        {"role": "assistant", "content": " ".join(f"[{n}]" for n in ii), "citations": ii},
    ]
    r = retriever.retrieve("这里面由它牵头的是哪几条？", history)
    assert r.query.ask != "count" and r.numbers == [n for n in ii if plan.measure(n).lead_agency == sipo]
    ndrc = agency_set(plan, "National Development and Reform Commission")
    history = [
        {"role": "user", "content": "发改委涉及哪些措施？"},
        {"role": "assistant", "content": " ".join(f"[{n}]" for n in ndrc), "citations": ndrc},
    ]
    r = retriever.retrieve("除去第七部分以后，还剩几条？", history)
    assert r.numbers == [n for n in ndrc if plan.measure(n).section != "VII"]


def test_chinese_positions_in_the_plan_in_a_section_and_of_the_previous_answer(retriever, plan):
    assert retriever.retrieve("整个计划的最后一条措施由谁牵头？").numbers == [len(plan.measures)]
    assert retriever.retrieve("第四部分的第一条是哪条？").numbers == _in(plan, "IV")[:1]
    ndrc = agency_set(plan, "National Development and Reform Commission")
    history = [
        {"role": "user", "content": "发改委涉及哪些措施？"},
        {"role": "assistant", "content": " ".join(f"[{n}]" for n in ndrc), "citations": ndrc},
    ]
    assert retriever.retrieve("其中第二条讲什么？", history).numbers == ndrc[1:2]


def test_a_ministry_by_its_one_word_as_the_subject_of_a_role(retriever, plan):
    mof = "Ministry of Finance"
    r = retriever.retrieve("in section II, where is Finance only a co-agency?")
    co = [n for n in agency_set(plan, mof) if plan.measure(n).lead_agency != mof and plan.measure(n).section == "II"]
    assert r.query.agency_names == [mof] and r.numbers == co
    assert not retriever.retrieve("which measures cover IP finance?").query.agency_names  # lower case: a topic


def test_body_counts_in_chinese_and_a_union_said_in_words(retriever, plan):
    one = [m.number for m in plan.measures if len(m.agencies) == 1]
    r = retriever.retrieve("第三部分里只有一个责任单位的措施有哪些？")
    assert r.numbers == [n for n in _in(plan, "III") if n in one]
    assert retriever.retrieve("哪些措施由多个部门共同负责？").numbers == [n for n in range(1, 91) if n not in one]
    ii = _in(plan, "II")
    history = [
        {"role": "user", "content": "How many measures does section II hold?"},
        {"role": "assistant", "content": f"{len(ii)} measures", "citations": ii},
    ]
    answer = Assistant(retriever, FakeLLM()).ask("and with section III added to those, how many altogether?", history)
    first = answer.text.split("\n")[0]
    assert "previous answer" in first and ", ".join(map(str, ii)) not in first  # no list of 16 numbers
