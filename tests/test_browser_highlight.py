"""Real-browser test of issue 16's layout: a topic answer's highlights in the chat, the sources panel and
the citation popover; a long answer compact enough that each section fits the chat box, every citation a
link to its card; the DOCX export's highlighted runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, launch_chromium, start_app
from tests.test_browser import OUT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOPIC = "Which measures concern geographical indications?"
SIPO = "What must the State Intellectual Property Office do?"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed: `make system`")
def test_highlights_and_compact_answers_in_real_browser(real_index_dir, tmp_path, plan):
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX
    from playwright.sync_api import expect, sync_playwright

    proc, url, _ = start_app(real_index_dir / "index", tmp_path / "data", "fake/echo")
    OUT.mkdir(parents=True, exist_ok=True)
    texts = [m.text for m in plan.measures]
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page = context.new_page()
            page.goto(url)
            question, chat, sources = (
                page.locator("#question textarea"),
                page.locator("#chat"),
                page.locator("#sources"),
            )

            # 1. a topic answer: the answering clauses marked in the chat's quotes and on the cards
            question.fill(TOPIC)
            page.locator("#ask").click()
            expect(sources.locator(".src-card mark").first).to_be_visible(timeout=90_000)
            chat_marks = chat.locator("blockquote mark").all_inner_texts()
            card_marks = sources.locator(".src-card mark").all_inner_texts()
            assert chat_marks and card_marks and set(card_marks) <= set(chat_marks)
            assert all(any(t in text for text in texts) for t in chat_marks)  # exact pieces of the plan
            for card in sources.locator(".src-card").all():  # unmarked, each card is the plan's text
                n = int(card.get_attribute("data-measure"))
                assert card.locator(".src-text").inner_text() == plan.measure(n).text
            page.screenshot(path=str(OUT / "topic-highlights.png"))
            # a citation's popover marks the same clauses
            first = chat.locator("a[href^='#m-']").first
            n = int(first.get_attribute("href")[3:])
            first.click()
            pop = page.locator("#cite-pop")
            expect(pop).to_be_visible()
            assert pop.locator("mark").count() >= 1
            assert pop.locator(".src-text").inner_text() == plan.measure(n).text
            page.screenshot(path=str(OUT / "topic-popover.png"))
            page.keyboard.press("Escape")

            # 2. the SIPO answer: compact, a section per screen, every citation a link to its card
            question.fill(SIPO)
            page.locator("#ask").click()
            expect(sources.locator(".src-card")).to_have_count(35, timeout=120_000)
            row = chat.locator(".message-row.bot-row").last
            numbers = [int(c.get_attribute("data-measure")) for c in sources.locator(".src-card").all()]
            for number in numbers:
                assert row.locator(f"a[href='#m-{number}']").count() >= 1, number
            headings = row.locator("h4")
            sections = headings.count()
            assert sections == len({plan.measure(x).section for x in numbers}) == row.locator("details").count()
            box = chat.locator(".bubble-wrap")
            height = box.evaluate("b => b.clientHeight")
            for i in range(sections):  # heading, its lines and its collapsed quotes: within the chat box
                top = headings.nth(i).bounding_box()
                end = row.locator("details").nth(i).bounding_box()
                assert end["y"] + end["height"] - top["y"] <= height, (i, end["y"] + end["height"] - top["y"], height)
            headings.nth(0).scroll_into_view_if_needed()
            page.screenshot(path=str(OUT / "compact-sipo.png"))
            # the quotes are one click away, and a citation inside them opens its card
            row.locator("details > summary").nth(1).click()
            inner = row.locator("details").nth(1).locator("a[href^='#m-']").first
            expect(inner).to_be_visible()
            n = int(inner.get_attribute("href")[3:])
            assert plan.measure(n).text in row.locator("details").nth(1).inner_text()
            inner.click()
            expect(page.locator("#cite-pop")).to_contain_text(plan.measure(n).text[:60])
            page.screenshot(path=str(OUT / "compact-sipo-open.png"))
            page.keyboard.press("Escape")

            # 3. back to the topic answer: the panel rebuilt for it keeps its highlights
            chat.locator(".message-row.bot-row").first.locator("a[href^='#m-']").first.click()
            expect(sources.locator(".src-card mark").first).to_be_visible(timeout=10_000)
            page.keyboard.press("Escape")

            # 4. the DOCX export: the clauses are yellow-highlighted runs of the verbatim quote
            lit: list[str] = []
            for _ in range(30):  # the export follows the chat; the last update may still be landing
                with page.expect_download() as download:
                    page.locator("#export-docx").click()
                docx = tmp_path / "conversation.docx"
                download.value.save_as(docx)
                doc = Document(str(docx))
                quotes = [q for q in doc.paragraphs if q.style.name == "Quote"]
                lit = [r.text for q in quotes for r in q.runs if r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
                if lit and sum(q.text in texts for q in quotes) >= 35:
                    break
                page.wait_for_timeout(1000)
            assert lit and set(card_marks) <= set(lit)
            assert all(q.text in texts for q in quotes if not q.text.startswith("—"))
            assert "Traceback" not in page.content()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
