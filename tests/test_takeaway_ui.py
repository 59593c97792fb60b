"""The "Who does what" tab and conversation export, as pure functions (no browser)."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from assistant import brief as briefs
from assistant import takeaway_ui as tw
from assistant import ui
from index import matrix as mx

DAY = dt.date(2026, 11, 25)
CUSTOMS = "General Administration of Customs"


@pytest.fixture(scope="module")
def matrix(plan, registry):
    return mx.build_matrix(plan, registry)


def answer(plan, numbers: list[int]) -> str:
    """An answer shaped like the chat's: lead line, cited sentences, quote blocks, linked citations."""
    parts = [f"The plan names {len(numbers)} measures:\n"]
    for n in numbers:
        m = plan.measure(n)
        parts.append(f"**[{n}]** *(lead)* It asks for this [{n}].\n> {m.text}\n>\n> — Section {m.section}\n")
    return ui.link_citations("\n".join(parts), set(numbers))


def chat(plan) -> list[dict]:
    return [
        {"role": "user", "content": "What must Customs do?"},
        {"role": "assistant", "content": answer(plan, [32, 33])},
        {"role": "user", "content": [{"type": "text", "text": "And what about the Ministry of Culture?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": answer(plan, [54, 62, 86])}]},
    ]


def test_matrix_table_matches_the_matrix(matrix):
    rows = tw.matrix_rows(matrix)
    headers = tw.matrix_headers(matrix)
    assert len(rows) == 28 and all(len(r) == len(headers) == 10 for r in rows)
    gac = next(r for r in rows if r[0] == "GAC")
    assert gac[headers.index("IV")] == "2 / 0" and gac[-1] == "2 / 0"
    sipo = next(r for r in rows if r[0] == "SIPO")
    assert sipo[-1] == "21 / 14"


def test_clicked_cell_maps_to_agency_and_section(matrix):
    i = [r.agency for r in matrix.rows].index(CUSTOMS)
    assert tw.cell_at(matrix, i, 4) == (CUSTOMS, "IV")
    assert tw.cell_at(matrix, i, 0) == (CUSTOMS, tw.ALL_SECTIONS)
    assert tw.cell_at(matrix, i, 9) == (CUSTOMS, tw.ALL_SECTIONS)
    assert tw.cell_at(matrix, 0, 4, row_value=["GAC", "", "", "", "2 / 0"]) == (CUSTOMS, "IV")  # sorted table


def test_cell_view_lists_measures_with_verbatim_quotes(plan, matrix):
    text = tw.cell_markdown(plan, matrix, CUSTOMS, "IV")
    assert "lead in 2, co-responsible in 0" in text
    for n in (32, 33):
        assert f"**[{n}]** lead" in text and f"> {plan.measure(n).text}" in text
    spp = tw.cell_markdown(plan, matrix, "Supreme People's Procuratorate", "IV")
    assert "co-responsible (lead: Ministry of Commerce)" in spp and plan.measure(43).text in spp
    assert "named in no measure" in tw.cell_markdown(plan, matrix, CUSTOMS, "I")


def test_details_view(plan, registry, matrix):
    assert "Choose an agency" in tw.details_markdown(plan, registry, matrix, None, "", "v1")
    whole = tw.details_markdown(plan, registry, matrix, "State Intellectual Property Office", "", "v1")
    assert whole.count("### Measure ") == 35 and "lead in 21, co-responsible in 14" in whole
    assert "### SIPO in VIII." in tw.details_markdown(
        plan, registry, matrix, "State Intellectual Property Office", "VIII", "v1"
    )


def test_partner_rows(plan):
    assert [r[1] for r in tw.partner_rows(plan, CUSTOMS)] == [0]  # one "no other agency" row
    spp = tw.partner_rows(plan, "Supreme People's Procuratorate")
    assert sorted(r[0] for r in spp) == ["Ministry of Commerce", "Ministry of Public Security"]
    assert all(r[1:] == [1, "43"] for r in spp)
    top = tw.partner_rows(plan, None, top=5)
    assert len(top) == 5 and top[0][1] == max(p.count for p in mx.pairs(plan))


def test_brief_files_are_written_with_friendly_names(plan, registry, tmp_path):
    from docx import Document

    brief = briefs.build_brief(plan, registry, "Customs", "v1", DAY)
    files = tw.brief_files(brief, tmp_path)
    assert {p.name for p in files.values()} == {"brief-GAC.md", "brief-GAC.docx", "brief-GAC.csv"}
    assert files[briefs.Format.MD].read_text() == briefs.to_markdown(brief)
    quotes = [p.text for p in Document(str(files[briefs.Format.DOCX])).paragraphs if p.style.name == "Quote"]
    assert quotes == [plan.measure(32).text, plan.measure(33).text]
    again = tw.brief_files(brief, tmp_path)
    assert again == files  # same content, same path: repeated choices do not pile up files


def test_docx_bytes_do_not_depend_on_the_clock(plan, registry, monkeypatch):
    # python-docx stamps zip entries with the current time; a save a minute later must not differ
    # (CI once saved the same brief across a two-second boundary and got a second folder)
    import time

    brief = briefs.build_brief(plan, registry, "Customs", "v1", DAY)
    turns = [tw.Turn("Q", "A", ())]
    first = briefs.to_docx(brief), tw.conversation_docx(turns, plan, "v1", DAY)
    later = time.time() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert (briefs.to_docx(brief), tw.conversation_docx(turns, plan, "v1", DAY)) == first


def test_conversation_turns_recover_citations_and_quotes(plan):
    turns = tw.conversation_turns(chat(plan), plan)
    assert [t.question for t in turns] == ["What must Customs do?", "And what about the Ministry of Culture?"]
    assert [[c.number for c in t.citations] for t in turns] == [[32, 33], [54, 62, 86]]
    for t in turns:
        assert "(#m-" not in t.answer and "**[" in t.answer
        for c in t.citations:
            assert c.quote == plan.measure(c.number).text
    assert tw.plain_answer("x **[[32]](#m-32)** y [[33]](#m-33)") == "x **[32]** y [33]"
    (m43,) = tw.conversation_turns([{"role": "assistant", "content": "See [43]."}], plan)[0].citations
    assert m43.parties == (
        "Lead: Ministry of Commerce · co-responsible: Supreme People's Procuratorate; Ministry of Public Security; "
        "relevant administrative law enforcement authorities"
    )


def test_unanswered_question_and_abstention_are_kept(plan):
    turns = tw.conversation_turns(
        [
            {"role": "user", "content": "What does the Ministry of Tourism do?"},
            {"role": "assistant", "content": "The plan does not cover this."},
            {"role": "user", "content": "Still there?"},
        ],
        plan,
    )
    assert [(t.question, t.citations) for t in turns] == [
        ("What does the Ministry of Tourism do?", ()),
        ("Still there?", ()),
    ]
    text = tw.conversation_markdown(turns, plan, "v1", DAY)
    assert "*No measures cited.*" in text and "*(no answer)*" in text


def test_conversation_markdown_has_every_citation_and_quote(plan):
    text = tw.conversation_markdown(tw.conversation_turns(chat(plan), plan), plan, "v1", DAY)
    assert "## Question 1: What must Customs do?" in text and "## Question 2: And what about" in text
    for n in (32, 33, 54, 62, 86):
        assert f"**[{n}]** Section {plan.measure(n).section} · Lead: {plan.measure(n).lead_agency}" in text
        assert f"> {plan.measure(n).text}" in text
    assert "index version v1 · exported 2026-11-25" in text


def test_conversation_docx_reopens_with_citations_and_quotes(plan):
    from docx import Document

    doc = Document(io.BytesIO(tw.conversation_docx(tw.conversation_turns(chat(plan), plan), plan, "v1", DAY)))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Question 1: What must Customs do?", "Question 2: And what about the Ministry of Culture?"]
    body = [p.text for p in doc.paragraphs]
    for n in (32, 33, 54, 62, 86):
        assert any(t.startswith(f"[{n}] Section") for t in body)
    quotes = [p.text for p in doc.paragraphs if p.style.name == "Quote"]
    for n in (32, 33, 54, 62, 86):
        assert plan.measure(n).text in quotes
    assert not any("**" in t or "(#m-" in t for t in body)


def test_conversation_files(plan, tmp_path):
    assert tw.conversation_files([], plan, "v1", tmp_path) is None
    md, docx = tw.conversation_files(chat(plan), plan, "v1", tmp_path, DAY)
    assert (md.name, docx.name) == ("conversation.md", "conversation.docx")
    assert "[86]" in md.read_text() and docx.stat().st_size > 0


@pytest.mark.slow
def test_tab_and_export_build_in_blocks(plan, registry):
    import gradio as gr

    with gr.Blocks() as demo:
        chatbot = gr.Chatbot(buttons=["copy"])
        tw.add_conversation_export(chatbot, plan, "v1")
        tw.add_who_does_what_tab(plan, registry, "v1")
    ids = {getattr(b, "elem_id", None) for b in demo.blocks.values()}
    assert {"who-tab", "who-heatmap", "who-agency", "brief-docx", "who-matrix", "export-md", "export-docx"} <= ids
