"""Real-browser test of the chat as staff use it all day (issue 17): citations open in place in old and
long answers without moving the page, the sources panel follows the answer being read, the reading
view, filter chips, the phone layout, Chinese answers. Takes the README's screenshots (docs/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, ROOT, launch_chromium, start_app
from tests.test_browser import OUT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS = ROOT / "docs"
SCROLL = "() => [window.scrollX, window.scrollY, document.querySelector('#chat .bubble-wrap').scrollTop]"


def ask(page, text: str, last: str) -> None:
    page.locator("#question textarea").fill(text)
    page.locator("#ask").click()
    page.locator(f"#sources {last}").wait_for(timeout=90_000)
    page.wait_for_timeout(600)  # the last streamed update lands


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed: `make system`")
def test_citations_reading_view_filters_phone(real_index_dir, tmp_path, plan):
    from playwright.sync_api import expect, sync_playwright

    proc, url, log = start_app(real_index_dir / "index", tmp_path / "data", "fake/echo")
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            chat, sources = page.locator("#chat"), page.locator("#sources")

            # an old short answer, then a long one (SIPO: 35 measures)
            ask(page, "What must Customs do?", "#m-33")
            ask(page, "What must SIPO do?", "#m-90")
            sipo = [m.number for m in plan.measures if "State Intellectual Property Office" in m.agencies]
            assert sources.locator(".src-card").count() == len(sipo)
            # the long answer opens at its question, not at its end
            top = page.evaluate(
                "() => { const b = document.querySelector('#chat .bubble-wrap');"
                " const u = [...b.querySelectorAll('.message-row.user-row')].pop();"
                " return u.getBoundingClientRect().top - b.getBoundingClientRect().top; }"
            )
            assert -10 <= top <= 40, top

            # a citation deep in the long answer: the page does not move, the popover and panel show [89]
            link = chat.locator("a[href='#m-89']").first
            link.scroll_into_view_if_needed()
            before = page.evaluate(SCROLL)
            link.click()
            assert page.evaluate(SCROLL) == before
            expect(page.locator("#cite-pop")).to_contain_text(plan.measure(89).text)
            expect(sources.locator("#m-89")).to_have_class("src-card hl")
            assert sources.locator("#m-89").is_visible()
            box = sources.bounding_box()
            card = sources.locator("#m-89").bounding_box()
            assert box["y"] - 2 <= card["y"] <= box["y"] + box["height"]  # scrolled to, inside the panel
            page.screenshot(path=str(DOCS / "chat.png"))

            # a citation in the old answer: the page does not move, the panel switches to that answer
            page.keyboard.press("Escape")
            old = chat.locator("a[href='#m-32']").first
            old.scroll_into_view_if_needed()
            before = page.evaluate(SCROLL)
            old.click()
            assert page.evaluate(SCROLL) == before
            expect(page.locator("#cite-pop")).to_contain_text(plan.measure(32).text)
            expect(sources.locator(".src-card")).to_have_count(2)
            expect(sources.locator(".src-title")).to_have_text("Sources (2)")
            page.mouse.click(5, 5)  # a click elsewhere closes the popover
            expect(page.locator("#cite-pop")).to_have_count(0)

            # filters: chips above the chat and on the answer; an empty filtered answer says where the measures are
            page.locator("#section-filter input").click()
            page.get_by_role("option", name="V. Developing IP in advantageous fields").click()
            chips = page.locator("#filter-chips")
            expect(chips).to_contain_text("Section V: Developing IP in advantageous fields")
            expect(page.locator("#clear-filters")).to_be_visible()
            page.locator("#question textarea").fill("What must Customs do?")
            page.locator("#ask").click()
            expect(chat).to_contain_text("0 in section V; without them the answer has 2 in section IV", timeout=60_000)
            expect(chat.locator(".message-row.bot-row").last).to_contain_text("Filtered: Section V")
            # feedback on that answer records its filters, then an optional reason as its own line
            page.get_by_role("button", name="Dislike", exact=True).last.click()
            expect(page.locator("#reason")).to_be_visible(timeout=15_000)
            page.locator("#reason textarea").fill("I wanted the Customs measures anyway")
            page.locator("#send-reason").click()
            expect(page.locator("#reason")).to_be_hidden(timeout=15_000)
            rating, reason = [
                json.loads(line) for line in (tmp_path / "data" / "feedback.jsonl").read_text().splitlines()
            ]
            assert rating["rating"] == "down" and rating["filters"].startswith("Filtered: Section V")
            assert reason["kind"] == "reason" and reason["refers_to"] == rating["id"]
            assert reason["reason"] == "I wanted the Customs measures anyway"
            page.locator("#clear-filters").click()
            expect(chips).to_contain_text("No filters")

            # a Chinese question: a Chinese lead line, the quotes in the plan's English
            ask(page, "海关需要做什么？", "#m-33")
            last = chat.locator(".message-row.bot-row").last
            expect(last).to_contain_text("海关总署")
            expect(last).to_contain_text("负责 2 项措施")
            assert plan.measure(32).text in last.inner_text()

            # the reading view: sections and cards, "30" goes to measure 30, no horizontal scroll
            page.get_by_role("tab", name="Read the plan").click()
            reading = page.locator("#reading")
            expect(reading.locator(".rv-card")).to_have_count(len(plan.measures))
            assert no_horizontal_scroll(page)
            search = page.locator("#plan-search textarea, #plan-search input").first
            search.fill("30")
            expect(reading.locator(".rv-card")).to_have_count(1, timeout=15_000)
            expect(reading.locator("#rv-m-30")).to_contain_text(plan.measure(30).text)
            search.fill("trademrak")  # spelling corrected, stems highlighted
            expect(reading).to_contain_text("read as “trademark”", timeout=15_000)
            assert reading.locator("mark").count() > 0
            page.screenshot(path=str(DOCS / "reading.png"))
            search.fill("cryptocurrency mining")
            expect(reading.locator(".rv-msg")).to_contain_text("No measure matches", timeout=15_000)
            search.fill("GAC")
            expect(reading.locator(".rv-card")).to_have_count(2, timeout=15_000)
            reading.locator("#rv-m-33 .rv-ask").click()  # "Ask about this measure" fills the chat's question
            expect(page.locator("#question textarea")).to_have_value("What does measure 33 say?", timeout=10_000)

            # phone: every tab reachable, no scroll box in the page, sources after the answer, reading view fits
            phone = browser.new_page(viewport={"width": 390, "height": 844})
            phone.goto(url)
            tabs = phone.get_by_role("tab")
            expect(tabs).to_have_count(3, timeout=30_000)
            assert (
                phone.locator("button[aria-label='More tabs']").count() == 0
                or not phone.locator("button[aria-label='More tabs']").is_visible()
            )
            ask(phone, "What must SIPO do?", "#m-90")
            phone.screenshot(path=str(DOCS / "phone.png"))  # the new answer opens at its question
            nested = phone.evaluate(
                "() => [...document.querySelectorAll('#chat *, #sources, #sources *')].filter(e => {"
                " const s = getComputedStyle(e).overflowY; return (s === 'auto' || s === 'scroll')"
                " && e.scrollHeight > e.clientHeight + 2; }).length"
            )
            assert nested == 0
            chat_box = phone.locator("#chat").bounding_box()
            sources_box = phone.locator("#sources").bounding_box()
            examples = phone.get_by_text("Examples").bounding_box()
            assert chat_box["y"] < sources_box["y"] < examples["y"]  # the sources right after the answer
            link = phone.locator("#chat a[href='#m-89']").first
            link.scroll_into_view_if_needed()
            before = phone.evaluate("() => window.scrollY")
            link.click()
            assert phone.evaluate("() => window.scrollY") == before
            expect(phone.locator("#cite-pop")).to_contain_text(plan.measure(89).text)
            phone.screenshot(path=str(OUT / "phone-citation.png"))
            phone.keyboard.press("Escape")
            for name in ("Read the plan", "Who does what", "Chat"):
                phone.get_by_role("tab", name=name).click()
                expect(phone.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")
            phone.get_by_role("tab", name="Read the plan").click()
            expect(phone.locator("#reading .rv-card").first).to_be_visible()
            assert no_horizontal_scroll(phone)
            assert "Traceback" not in page.content() and "Traceback" not in log.read_text()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
