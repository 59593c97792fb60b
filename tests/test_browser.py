"""One real-browser test: Debian's Chromium drives the chat on the embedded model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, ROOT, launch_chromium, start_app

OUT = ROOT / "test-output" / "browser"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed: `make system`")
def test_chat_in_real_browser(real_index_dir, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    proc, url, log = start_app(real_index_dir / "index", tmp_path / "data", "llamacpp/smollm2")
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            question = page.locator("#question textarea")
            question.fill("What must Customs do?")
            page.locator("#ask").click()
            sources = page.locator("#sources")
            expect(sources.locator(".src-card")).to_have_count(2, timeout=90_000)
            chat = page.locator("#chat")
            expect(chat).to_contain_text("[33]", timeout=30_000)
            assert "[32]" in chat.inner_text()
            assert "General Administration of Customs" in chat.inner_text()
            text = sources.inner_text()
            assert "Improve the customs IPR protection filling system" in text
            assert "Improve the mechanism of cooperation with IPR holders" in text

            page.get_by_role("button", name="Like", exact=True).first.click()  # thumbs up -> feedback log
            log_path = tmp_path / "data" / "feedback.jsonl"
            expect(page.get_by_text("feedback was recorded")).to_be_visible(timeout=15_000)
            (record,) = [json.loads(line) for line in log_path.read_text().splitlines()]
            assert record["rating"] == "up" and record["citations"] == [32, 33]
            assert record["question"] == "What must Customs do?" and record["backend"] == "llamacpp/smollm2"
            assert record["index_version"] and record["timestamp"]

            chat.locator("a[href='#m-33']").first.hover()  # hovering a citation highlights its source
            expect(page.locator("#m-33")).to_have_class("src-card hl")
            page.screenshot(path=str(OUT / "chat.png"), full_page=True)

            question.fill("And what about the Ministry of Culture?")
            page.locator("#ask").click()
            expect(sources.locator("#m-86")).to_be_visible(timeout=90_000)
            expect(sources.locator(".src-card")).to_have_count(3)
            for n in ("[54]", "[62]", "[86]"):
                assert n in chat.inner_text()
            assert "Traceback" not in page.content()
            page.screenshot(path=str(OUT / "followup.png"), full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
