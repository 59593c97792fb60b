"""Real-browser test of what staff take away: the "Who does what" tab, brief downloads, chat export."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, launch_chromium, start_app
from tests.test_browser import OUT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CUSTOMS = "General Administration of Customs (GAC)"


def quotes(path: Path) -> list[str]:
    from docx import Document

    return [p.text for p in Document(str(path)).paragraphs if p.style.name == "Quote"]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed: `make system`")
def test_who_does_what_and_exports_in_real_browser(real_index_dir, tmp_path, plan, registry):
    from docx import Document
    from playwright.sync_api import expect, sync_playwright

    proc, url, _ = start_app(real_index_dir / "index", tmp_path / "data", "fake/echo")
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            context = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
            page = context.new_page()
            page.goto(url)

            # 1. open "Who does what": the heatmap is drawn
            page.get_by_role("tab", name="Who does what").click()
            expect(page.locator("#who-heatmap img")).to_be_visible(timeout=30_000)

            # 2. pick an agency: its brief, with both measures quoted verbatim
            page.locator("#who-agency input").click()
            page.get_by_role("option", name=CUSTOMS).click()
            details = page.locator("#who-details")
            expect(details).to_contain_text("lead in 2, co-responsible in 0", timeout=30_000)
            for n in (32, 33):
                expect(details).to_contain_text(f"Measure {n} — lead")
                expect(details).to_contain_text(plan.measure(n).text)
            page.screenshot(path=str(OUT / "who-does-what.png"), full_page=True)

            # 3. download the DOCX brief and read it back
            with page.expect_download() as download:
                page.locator("#brief-docx").click()
            assert download.value.suggested_filename == "brief-GAC.docx"
            brief_path = tmp_path / "brief.docx"
            download.value.save_as(brief_path)
            assert quotes(brief_path) == [plan.measure(32).text, plan.measure(33).text]
            (table,) = Document(str(brief_path)).tables
            assert [r.cells[0].text for r in table.rows[1:]] == ["32", "33"]

            # choosing a cell of the matrix lists that cell's measures (SIPO row, section VIII column)
            sipo_row = [a.name for a in registry.agencies].index("State Intellectual Property Office")
            page.locator(f"#who-matrix [data-testid='cell-{sipo_row}-8']").click()
            expect(details).to_contain_text("SIPO in VIII. Fostering IP culture", timeout=30_000)
            sipo_viii = [
                m for m in plan.measures if m.section == "VIII" and "State Intellectual Property Office" in m.agencies
            ]
            for m in sipo_viii:
                expect(details).to_contain_text(m.text)

            # 4. a two-question conversation, exported as Markdown and DOCX
            page.get_by_role("tab", name="Chat").click()
            question = page.locator("#question textarea")
            chat = page.locator("#chat")
            for text, last in (("What must Customs do?", "[33]"), ("And what about the Ministry of Culture?", "[86]")):
                question.fill(text)
                page.locator("#ask").click()
                expect(chat).to_contain_text(last, timeout=90_000)
            expect(page.locator("#sources #m-86")).to_be_visible(timeout=30_000)  # the second answer is done
            cited = (32, 33, 54, 62, 86)

            markdown = ""
            for _ in range(30):  # the export follows the chat; the last streamed update may still be landing
                with page.expect_download() as download:
                    page.locator("#export-md").click()
                markdown = Path(download.value.path()).read_text(encoding="utf-8")
                if "**[86]** Section" in markdown:
                    break
                page.wait_for_timeout(1000)
            assert "## Question 1: What must Customs do?" in markdown
            assert "## Question 2: And what about the Ministry of Culture?" in markdown
            for n in cited:
                assert f"**[{n}]** Section" in markdown and f"> {plan.measure(n).text}" in markdown

            with page.expect_download() as download:
                page.locator("#export-docx").click()
            assert download.value.suggested_filename == "conversation.docx"
            docx_path = tmp_path / "conversation.docx"
            download.value.save_as(docx_path)
            body = [p.text for p in Document(str(docx_path)).paragraphs]
            for n in cited:
                assert any(t.startswith(f"[{n}] Section") for t in body)
                assert plan.measure(n).text in quotes(docx_path)

            # the chat's copy button still copies an answer
            chat.locator("button[aria-label*='Copy' i], button[title*='Copy' i]").last.click()
            copied = page.evaluate("navigator.clipboard.readText()")
            assert "[86]" in copied or plan.measure(86).text[:40] in copied
            assert "Traceback" not in page.content()
            page.screenshot(path=str(OUT / "export.png"), full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
