"""UI helpers are pure functions: citation links, sources panel, browse table, history."""

from __future__ import annotations

from assistant import ui


def test_link_citations():
    assert ui.link_citations("x [32].") == "x [[32]](#m-32)."
    assert ui.link_citations("**[32]** *(lead)* y") == "**[[32]](#m-32)** *(lead)* y"
    assert ui.link_citations("x [32] [99]", {32}) == "x [[32]](#m-32) [99]"
    assert ui.link_citations("already [[32]](#m-32)") == "already [[32]](#m-32)"


def test_sources_panel_escapes_and_shows_everything(plan):
    html = ui.sources_html([32, 43], plan)
    assert "id='m-32'" in html and "id='m-43'" in html
    assert plan.measure(32).text in html
    assert "Lead: Ministry of Commerce" in html
    assert "relevant administrative law enforcement authorities" in html
    assert "Supreme People&#x27;s Procuratorate" in html  # escaped
    assert "Sources (2)" in html
    assert "appear here" in ui.sources_html([], plan)


def test_browse_rows_filters(plan):
    assert len(ui.browse_rows(plan)) == 90
    assert [r[0] for r in ui.browse_rows(plan, "customs")] == [32, 33]
    assert [r[0] for r in ui.browse_rows(plan, agency="Ministry of Culture")] == [54, 62, 86]
    assert {r[1] for r in ui.browse_rows(plan, section="IV")} == {"IV"}


def test_history_conversion():
    history = [
        {"role": "user", "content": "What must Customs do?"},
        {"role": "assistant", "content": [{"type": "text", "text": "[32] [33]"}]},
        {"role": "system", "content": "ignored"},
    ]
    assert ui.history_for_retriever(history) == [
        {"role": "user", "content": "What must Customs do?"},
        {"role": "assistant", "content": "[32] [33]"},
    ]
    assert ui.cited_numbers("a [[32]](#m-32) b [33] c [32]") == [32, 33]


def test_footer_adds_a_notice_in_bold_only_when_degraded():
    plain = ui.footer("fake/echo", "abc", 90)
    assert "**" not in plain and "verbatim" in plain
    degraded = ui.footer("fake/echo", "abc", 90, "sentence cache read-only (disk full): new ones are written live")
    assert degraded == plain + " · **sentence cache read-only (disk full): new ones are written live**"
