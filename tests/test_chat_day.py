"""The chat as staff use it all day (issue 17), without a browser: the reading view's search, the card
library and filter chips, exports with filters, answers in the asker's language, helpful abstentions."""

from __future__ import annotations

from html import escape

import pytest

from assistant import takeaway_ui, ui
from assistant.answer import Assistant
from assistant.highlight import mark
from assistant.llm import FakeLLM
from assistant.reading import PlanSearch, reading_html
from assistant.retrieve import Retriever
from assistant.text import CJK
from index.chunk import load_expansions
from index.config import Settings

GAC = "General Administration of Customs"


@pytest.fixture(scope="module")
def search(plan, registry):
    return PlanSearch(plan, registry, expansions=load_expansions(Settings().expansions))


@pytest.fixture(scope="module")
def assistant(real_index_dir):
    settings = Settings(data_dir=real_index_dir, index_dir=real_index_dir / "index")
    return Assistant(Retriever.open(settings), FakeLLM())


# ---------------------------------------------------------------- the reading view


@pytest.mark.parametrize("query", ["30", "measure 30", "Measure 30.", "#30", "第30项"])
def test_a_number_goes_to_that_measure(search, query):
    assert search.search(query).numbers == [30]


@pytest.mark.parametrize("query", ["GAC", "customs", "General Administration of Customs", "海关"])
def test_agencies_by_name_abbreviation_or_chinese(search, query):
    found = search.search(query)
    assert found.numbers == [32, 33] and GAC in found.agencies


def test_stems_and_spelling_as_in_the_chat(search, plan):
    found = search.search("patnet examinations")
    assert found.numbers and "read as" in found.message
    for n in found.numbers:  # every shown measure has every searched stem
        text = plan.measure(n).text.lower()
        assert "patent" in text and "examin" in text
    html = reading_html(plan, found)
    assert "<mark>patent" in html.lower()


def test_an_empty_result_says_so_and_offers_the_nearest(search):
    found = search.search("borrow money against patents")
    assert found.message.startswith("No measure matches") and found.nearest
    assert "The nearest: measure" in found.message
    nothing = search.search("zzqx vvkk")
    assert nothing.numbers == [] and nothing.message.startswith("No measure matches")
    assert search.search("99").message == "The plan has measures 1–90; there is no measure 99."


def test_reading_html_has_every_section_and_measure_escaped(plan, search):
    html = reading_html(plan, search.search(""))
    assert html.count("class='rv-card'") == 90 and html.count("class='rv-sec'") == len(plan.sections)
    for s in plan.sections:
        assert f"Section {s.numeral}: " in html
    assert "Supreme People&#x27;s Procuratorate" in html and "data-ask='90'" in html


# ---------------------------------------------------------------- the chat page's pieces


def test_library_has_every_card_without_ids(plan):
    html = ui.library_html(plan)
    assert html.count("class='src-card'") == 90 and "id='m-" not in html
    assert "data-measure='89'" in html and escape(plan.measure(89).text) in html


def test_section_choices_and_filter_chips(plan, registry):
    choices = ui.section_choices(plan)
    assert choices[0] == ("Any section", "") and ("IV. Strengthening IP Protection", "IV") in choices
    labels = ui.filter_labels({"agency": "Ministry of Agriculture", "section": "V"}, plan, registry)
    assert labels == ["Ministry of Agriculture (MOA)", "Section V: Developing IP in advantageous fields"]
    assert ui.filter_chips(labels).count("class='chip'") == 2
    assert "No filters" in ui.filter_chips([])
    assert ui.filter_line("") == "" and ui.filter_line("Filtered: X").startswith("🔎 `Filtered: X`")


def test_exports_record_filters_and_index_version(plan):
    chat = [
        {"role": "user", "content": "What must Customs do?"},
        {"role": "assistant", "content": "🔎 `Filtered: Section IV: Strengthening IP Protection`\n\nx [[32]](#m-32)"},
        {"role": "user", "content": "And measure 7?"},
        {"role": "assistant", "content": "y [7]"},
    ]
    turns = takeaway_ui.conversation_turns(chat, plan)
    assert turns[0].filters == "Filtered: Section IV: Strengthening IP Protection" and turns[1].filters == ""
    assert not turns[0].answer.startswith("🔎")
    memory = {3: {"filters": "Filtered: Ministry of Agriculture (MOA)"}}
    assert takeaway_ui.conversation_turns(chat, plan, memory)[1].filters == "Filtered: Ministry of Agriculture (MOA)"
    md = takeaway_ui.conversation_markdown(turns, plan, "abc123")
    assert "*Filtered: Section IV: Strengthening IP Protection*" in md and "*No filters.*" in md
    assert "index version abc123" in md


# ---------------------------------------------------------------- answers


@pytest.mark.parametrize(
    "question,first",
    [
        ("海关需要做什么？", "海关总署"),
        ("国家知识产权局牵头多少项措施？", "牵头 **21** 项措施"),
        ("关于专利质押融资的措施有哪些？", "项措施涉及这一问题"),
        ("第五部分有多少项措施？", "共有 **11** 项措施"),
        ("教育部负责哪些措施？", "教育部"),
    ],
)
def test_chinese_questions_get_chinese_lead_lines_and_verbatim_english_quotes(assistant, question, first):
    answer = assistant.ask(question)
    lead = answer.text.splitlines()[0]
    assert answer.query["language"] == "zh" and CJK.search(lead) and first in lead
    assert answer.citations
    for c in answer.citations:  # the quotes are the plan's own English, untranslated (answering clauses marked)
        assert f"> {mark(c.quote, c.highlights)}" in answer.text


@pytest.mark.parametrize("question", ["第95项措施是什么？", "旅游部负责什么？"])
def test_chinese_abstentions_are_in_chinese(assistant, question):
    answer = assistant.ask(question)
    assert answer.abstained and CJK.search(answer.text.splitlines()[0])


def test_an_emptied_filtered_answer_names_where_the_measures_are(assistant):
    answer = assistant.ask("What must Customs do?", filters={"section": "V"})
    assert answer.abstained and answer.filters.startswith("Filtered: Section V")
    assert "0 in section V; without them the answer has 2 in section IV" in answer.text
    zh = assistant.ask("海关需要做什么？", filters={"section": "V"})
    assert "第V部分 0 项" in zh.text and "第IV部分 2 项" in zh.text
    on = assistant.ask("about patents?", filters={"agency": "Ministry of Agriculture"})
    assert on.filters == "Filtered: Ministry of Agriculture (MOA)" and not on.abstained


def test_helpful_abstentions(assistant):
    crypto = assistant.ask("Tell me about cryptocurrency regulation.")
    assert crypto.abstained and not crypto.citations
    assert "Closest, but not about “" in crypto.text
    space = assistant.ask("What about space exploration?")
    assert space.abstained and "Closest" not in space.text and "Try an agency" in space.text
    other = assistant.ask("What does the 2015 plan say about patents?")
    assert other.abstained and not other.citations
    assert "This is the 2012 plan; its measures on it are: measure" in other.text
