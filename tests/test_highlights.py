"""Highlights: the answering clauses of a topic, as exact spans of the plan, covering the topic's terms;
and the quote stays verbatim on every surface that shows it (chat, sources card, Markdown, DOCX)."""

from __future__ import annotations

import io
import json
import re
from collections import Counter

import pytest

from assistant import takeaway_ui as tw
from assistant import ui
from assistant.answer import Assistant
from assistant.highlight import Highlighter, dense_clauses, highlight_topic
from assistant.retrieve import Retriever
from assistant.text import STOP, terms, word_spans
from assistant.text import stem as snowball
from index.config import DEFAULT_SOURCE, REPO_ROOT, Settings
from index.parse import depaginate

SOURCE = depaginate(DEFAULT_SOURCE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def retriever(real_index_dir):
    return Retriever.open(Settings(data_dir=real_index_dir, index_dir=real_index_dir / "index"))


@pytest.fixture(scope="module")
def highlighter(retriever):
    return Highlighter(retriever.plan, retriever.calibration.generic_df)


def topic_questions() -> list[str]:
    """The eval set's topic questions: blind15's everyday ones and questions.jsonl's topic kinds."""

    def rows(name):
        path = REPO_ROOT / "eval" / name
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    kinds = {"topic", "agency_topic", "everyday"}
    return [r["question"] for r in rows("blind15.jsonl") if r["category"] in kinds] + [
        r["question"] for r in rows("questions.jsonl") if r["category"] in kinds
    ]


def real_terms(topic: str, plan, generic_df: float) -> set[str]:
    """The topic's terms a highlight must cover, defined independently of the highlighter: the stems of
    the topic's content words used by at most ``generic_df`` of the plan's measures (a question's filler,
    "improve", "system", "ip", is in many); a topic with no such stem needs all of its stems covered."""
    df = Counter(t for m in plan.measures for t in set(terms(m.text)))
    wanted = set(terms(topic))
    specific = {t for t in wanted if df[t] <= generic_df * len(plan.measures)}
    return specific or wanted


def test_highlights_are_exact_substrings_and_cover_the_topic_terms(retriever, highlighter, plan):
    generic = retriever.calibration.generic_df
    questions = topic_questions()
    assert len(questions) >= 200
    pairs = marked = 0
    for question in questions:
        r = retriever.retrieve(question)
        topic = highlight_topic(r)
        if not topic:
            continue
        dense = dense_clauses(r.scores)
        wanted = real_terms(topic, plan, generic)
        for hit in r.hits:
            m = hit.measure
            spans = highlighter.spans(m, topic, dense.get(m.number))
            pairs += 1
            marked += bool(spans)
            # exact substrings of the plan, in text order, apart, each a whole clause's characters
            assert spans == sorted(spans) and all(a < b for a, b in spans), (question, m.number, spans)
            assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False)), (question, m.number)
            for a, b in spans:
                assert 0 <= a < b <= len(m.text) and m.text[a:b] in SOURCE, (question, m.number)
                assert m.text[a:b] == m.text[a:b].strip()
            # every real topic term the measure has is inside a highlighted span at least once
            held: dict[str, list[tuple[int, int]]] = {}
            for word, start, end in word_spans(m.text):
                if word not in STOP and len(word) > 1 and snowball(word) in wanted:  # as terms() reads it
                    held.setdefault(snowball(word), []).append((start, end))
            for term, places in held.items():
                assert any(a <= s and e <= b for s, e in places for a, b in spans), (question, m.number, term, spans)
    # the test is about something: most answers to topic questions carry a highlight
    assert pairs >= 300 and marked / pairs >= 0.8, (pairs, marked)


def test_filler_left_in_a_topic_does_not_mark_clauses(highlighter, plan):
    m = plan.measure(33)  # "Improve the mechanism of cooperation …, and strengthen the protection of GI trademarks"
    spans = highlighter.spans(m, "improve the geographical indications system")
    assert [m.text[a:b] for a, b in spans] == ["strengthen the protection of geographic indication trademarks"]
    assert highlighter.topic_terms("improve the geographical indications system") == {"geograph", "indic"}
    assert highlighter.topic_terms("patent") == {"patent"}  # a generic-only topic keeps its words


def test_a_word_of_the_same_root_or_a_misspelling_marks_its_clause(highlighter, plan):
    m = plan.measure(7)
    for topic in ("registering works", "work registraton"):
        spans = highlighter.spans(m, topic)
        assert spans and all("regist" in m.text[a:b].lower() for a, b in spans), topic


def test_no_topic_no_highlight(highlighter, plan):
    assert highlighter.spans(plan.measure(33), "") == []
    assert highlighter.spans(plan.measure(33), "the of and") == []


# ------------------------------------------------------------ the quote stays verbatim everywhere

QUESTION = "Is there anything in the plan on geographical indications?"


@pytest.fixture(scope="module")
def answer(retriever):
    got = Assistant(retriever, None).ask(QUESTION)
    assert any(c.highlights for c in got.citations)
    return got


def _chat(answer) -> list[dict]:
    marks = {c.measure: [list(s) for s in c.highlights] for c in answer.citations if c.highlights}
    numbers = [c.measure for c in answer.citations]
    content = ui.chat_answer(answer.text, set(numbers))
    return [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": content}], {
        1: {"citations": numbers, "highlights": marks}
    }


def test_chat_quotes_mark_the_clauses_and_unmark_to_the_plan(answer, plan):
    chat, _ = _chat(answer)
    content = chat[1]["content"]
    assert "<mark>" in content
    quotes = [line[2:] for line in content.splitlines() if line.startswith("> ") and not line.startswith("> —")]
    assert {ui.unmark(q) for q in quotes} == {plan.measure(c.measure).text for c in answer.citations}
    for c in answer.citations:  # every highlight of the answer is a <mark> in the chat
        for a, b in c.highlights:
            assert f"<mark>{c.quote[a:b]}</mark>" in content


def test_sources_cards_mark_the_clauses_and_unmark_to_the_plan(answer, plan):
    import html

    marks = {c.measure: c.highlights for c in answer.citations}
    page = ui.sources_html([c.measure for c in answer.citations], plan, marks)
    texts = re.findall(r"<blockquote class='src-text'>(.*?)</blockquote>", page)
    assert [html.unescape(ui.unmark(t)) for t in texts] == [c.quote for c in answer.citations]
    assert page.count("<mark>") == sum(len(c.highlights) for c in answer.citations) > 0
    assert "<mark>" not in ui.sources_html([c.measure for c in answer.citations], plan)  # none given, none shown


def test_markdown_export_marks_the_clauses_and_unmarks_to_the_plan(answer, plan):
    chat, memory = _chat(answer)
    turns = tw.conversation_turns(chat, plan, memory)
    (turn,) = turns
    assert [c.highlights for c in turn.citations] == [tuple(c.highlights) for c in answer.citations]
    text = tw.conversation_markdown(turns, plan, "v1")
    cited = text.split("### Citations", 1)[1]
    quotes = [line[2:] for line in cited.splitlines() if line.startswith("> ")]
    assert [ui.unmark(q) for q in quotes] == [c.quote for c in answer.citations]
    assert any("**" in q for q in quotes) and "<mark>" not in text


def test_docx_export_highlights_runs_and_unmarks_to_the_plan(answer, plan):
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX

    chat, memory = _chat(answer)
    doc = Document(io.BytesIO(tw.conversation_docx(tw.conversation_turns(chat, plan, memory), plan, "v1")))
    quotes = [p for p in doc.paragraphs if p.style.name == "Quote" and not p.text.startswith("—")]
    texts = [p.text for p in quotes]
    for c in answer.citations:
        assert texts.count(c.quote) == 2  # in the answer and under "Citations": the plan's text, runs joined
        lit = [r.text for p in quotes if p.text == c.quote for r in p.runs if r.font.highlight_color]
        assert lit == [c.quote[a:b] for a, b in c.highlights] * 2
        assert all(
            r.font.highlight_color == WD_COLOR_INDEX.YELLOW for p in quotes for r in p.runs if r.font.highlight_color
        )
    assert not any("**" in t or "<mark>" in t for t in texts)
