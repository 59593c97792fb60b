"""What staff take away from the chat: the "Who does what" tab and "Export conversation".

Pure functions (tables, brief and cell views, conversation exports as Markdown/DOCX) are tested
without a browser; :func:`add_who_does_what_tab` and :func:`add_conversation_export` wire them
into a ``gr.Blocks`` that is being built.
"""

import contextlib
import datetime as dt
import functools
import getpass
import hashlib
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from assistant import brief as briefs
from assistant.highlight import mark, pieces
from assistant.text import MEASURE_NUMBER
from assistant.ui import cited_numbers, message_text
from index import matrix as mx
from index.agencies import Registry
from index.export import write_atomic
from index.parse import Plan

ALL_SECTIONS = ""

# ---------------------------------------------------------------- "Who does what" (pure)


def agency_choices(registry: Registry) -> list[tuple[str, str]]:
    """Dropdown choices ``(label, canonical name)`` in the circular's order."""
    return [(a.label, a.name) for a in registry.agencies]


def section_choices(plan: Plan) -> list[tuple[str, str]]:
    """Dropdown choices: all sections, then ``("IV. Strengthening IP Protection", "IV")`` …"""
    return [("All sections", ALL_SECTIONS), *((f"{s.numeral}. {s.title}", s.numeral) for s in plan.sections)]


def matrix_headers(matrix: mx.Matrix) -> list[str]:
    """Column headers of the clickable matrix table."""
    return ["Agency", *(n for n, _ in matrix.sections), "Lead / co"]


def matrix_rows(matrix: mx.Matrix) -> list[list[str]]:
    """One row per agency: its abbreviation, "lead / co" per section, and its totals."""
    return [[r.short, *(mx.cell_label(c) for c in r.cells), f"{r.lead} / {r.co}"] for r in matrix.rows]


def cell_at(matrix: mx.Matrix, row: int, col: int, row_value: list | None = None) -> tuple[str, str]:
    """The (agency, section) of a clicked table cell; the first and last columns mean all sections.

    ``row_value`` (the clicked row's values) wins over ``row`` so a re-sorted table still maps right.
    """
    by_short = {r.short: r.agency for r in matrix.rows}
    agency = by_short.get(str(row_value[0])) if row_value else None
    if agency is None:
        agency = matrix.rows[row].agency
    section = matrix.sections[col - 1][0] if 1 <= col <= len(matrix.sections) else ALL_SECTIONS
    return agency, section


def partner_rows(plan: Plan, agency: str | None, top: int = 15) -> list[list]:
    """Who the agency shares measures with (most first); with no agency, the plan's top pairs."""
    if agency:
        rows = [[p.second, p.count, ", ".join(map(str, p.measures))] for p in mx.partners(plan, agency)]
        return rows or [["(none: it shares no measure)", 0, ""]]
    return [[f"{p.first} + {p.second}", p.count, ", ".join(map(str, p.measures))] for p in mx.pairs(plan)[:top]]


def cell_markdown(plan: Plan, matrix: mx.Matrix, agency: str, section: str) -> str:
    """The measures of one matrix cell, each with its role, parties and verbatim quote."""
    cell = matrix.cell(agency, section)
    title = dict(matrix.sections)[section]
    head = f"### {matrix.row(agency).short} in {section}. {title}\n\n"
    if not cell.total:
        return head + f"{agency} is named in no measure of this section."
    lines = [head + f"**{agency}**: lead in {len(cell.lead)}, co-responsible in {len(cell.co)}.\n"]
    for n in cell.measures:
        m = plan.measure(n)
        role = "lead" if n in cell.lead else f"co-responsible (lead: {m.lead_agency})"
        lines.append(f"**[{n}]** {role}\n\n> {m.text}\n")
    return "\n".join(lines)


def details_markdown(
    plan: Plan, registry: Registry, matrix: mx.Matrix, agency: str | None, section: str, version: str
) -> str:
    """The right-hand view: a hint, the agency's whole brief, or one cell's measures."""
    if not agency:
        return "Choose an agency (or click a cell of the matrix) to see its brief and download it."
    if section:
        return cell_markdown(plan, matrix, agency, section)
    return briefs.to_markdown(briefs.build_brief(plan, registry, agency, version))


def _folder(root: Path, data: bytes) -> Path:
    """A folder named after the content, so a file keeps a friendly name and never clashes."""
    folder = root / hashlib.sha256(data).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def brief_files(brief: briefs.Brief, root: Path) -> dict[briefs.Format, Path]:
    """Write the brief as Markdown, DOCX and CSV under ``root``; the paths by format."""
    out = {}
    for fmt in (briefs.Format.MD, briefs.Format.DOCX, briefs.Format.CSV):
        data = briefs.render(brief, fmt)
        out[fmt] = write_atomic(_folder(root, data) / f"{brief.slug}.{fmt.value}", data)
    return out


# ---------------------------------------------------------------- conversation export (pure)

_LINKED = re.compile(rf"\[\[{MEASURE_NUMBER}\]\]\(#m-\d{{1,3}}\)")
_DETAILS = re.compile(r"\n*<details>.*?</details>\n?", re.S)  # a compact answer's quotes, one click away in the chat
_MARK = re.compile(r"</?mark>")


def plain_answer(markdown: str) -> str:
    """The answer as the chat shows it, without the source-panel links (``[[32]](#m-32)`` -> ``[32]``),
    with highlights as bold (``<mark>x</mark>`` -> ``**x**``) and without a compact answer's ``<details>``
    quotes (the export lists every quote under the answer)."""
    return _MARK.sub("**", _DETAILS.sub("\n", _LINKED.sub(r"[\1]", markdown))).strip()


@dataclass(frozen=True)
class CitedMeasure:
    """A measure an answer cites, with the plan's verbatim text."""

    number: int
    section: str
    lead_agency: str
    co_parties: tuple[str, ...]
    quote: str
    highlights: tuple[tuple[int, int], ...] = ()  # the answering clauses: (start, end) in ``quote``

    @property
    def parties(self) -> str:
        """``"Lead: Ministry of Commerce · co-responsible: Supreme People's Procuratorate; …"``."""
        co = f" · co-responsible: {'; '.join(self.co_parties)}" if self.co_parties else ""
        return f"Lead: {self.lead_agency or 'none named'}{co}"


@dataclass(frozen=True)
class Turn:
    """One question and its answer, with the answer's citations."""

    question: str
    answer: str
    citations: tuple[CitedMeasure, ...]
    filters: str = ""  # "Filtered: Ministry of Agriculture (MOA) · Section V: …" when the chat's filters were on


_FILTER_LINE = re.compile(r"^🔎 `(Filtered: [^`]*)`\s*")


def conversation_turns(chat: list, plan: Plan, memory: dict | None = None) -> list[Turn]:
    """The chat's user/assistant messages as turns; citations are the ``[n]`` in each answer, filters
    what the chat's state (``memory``: message position -> {"filters", …}) or the answer's chip line says."""
    turns: list[Turn] = []
    question = ""
    for i, message in enumerate(chat or []):
        role = message.get("role") if isinstance(message, dict) else None
        text = message_text(message.get("content")) if role else ""
        if role == "user":
            if question:  # a question left without an answer
                turns.append(Turn(question, "", ()))
            question = text.strip()
        elif role == "assistant":
            kept = (memory or {}).get(i) or (memory or {}).get(str(i)) or {}
            # what the answer cited: the chat's state when it has it, else the [n] in the text as shown
            cited = kept.get("citations") if isinstance(kept.get("citations"), list) else cited_numbers(text)
            cited = [n for n in cited if isinstance(n, int) and 1 <= n <= len(plan.measures)]
            marks = kept.get("highlights") or {}
            answer = plain_answer(text)
            chip = _FILTER_LINE.match(answer)
            filters = kept.get("filters") or (chip.group(1) if chip else "")
            answer = _FILTER_LINE.sub("", answer)
            citations = tuple(
                CitedMeasure(
                    n,
                    m.section,
                    m.lead_agency or "",
                    (*m.agencies[1:], *m.other_parties),
                    m.text,
                    _spans(marks.get(n) or marks.get(str(n)), len(m.text)),
                )
                for n in cited
                for m in [plan.measure(n)]
            )
            turns.append(Turn(question, answer, citations, filters))
            question = ""
    if question:
        turns.append(Turn(question, "", ()))
    return turns


def _spans(raw, length: int) -> tuple[tuple[int, int], ...]:
    """Highlight spans from the chat's state, kept only when they are inside the quote and apart."""
    out: list[tuple[int, int]] = []
    for item in raw or ():
        if isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(x, int) for x in item):
            start, end = item
            if 0 <= start < end <= length and (not out or start >= out[-1][1]):
                out.append((start, end))
    return tuple(out)


def _title(plan: Plan) -> str:
    return f"Conversation about the {plan.header.plan_title}"


def _stamp(plan: Plan, version: str, generated: dt.date | None) -> str:
    day = (generated or dt.date.today()).isoformat()
    return f"{plan.header.document_number}, {plan.header.date} · index version {version or 'n/a'} · exported {day}"


def conversation_markdown(turns: list[Turn], plan: Plan, version: str = "", generated: dt.date | None = None) -> str:
    """The conversation as Markdown: each question, its answer, then every citation with its quote."""
    lines = [f"# {_title(plan)}", "", _stamp(plan, version, generated), ""]
    for i, t in enumerate(turns, 1):
        lines += [f"## Question {i}: {t.question}", ""]
        lines += [f"*{t.filters}*" if t.filters else "*No filters.*", ""]
        lines += [t.answer or "*(no answer)*", ""]
        if t.citations:
            lines += [f"### Citations ({len(t.citations)})", ""]
            for c in t.citations:
                head = f"**[{c.number}]** Section {c.section} · {c.parties}"
                lines += [head, "", f"> {mark(c.quote, c.highlights)}", ""]
        else:
            lines += ["*No measures cited.*", ""]
    return "\n".join(lines)


_MD_MARKS = re.compile(r"\*\*|(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w)")


def _quote_paragraph(doc, pieces: list[tuple[str, bool]]):
    """A paragraph in the Quote style whose highlighted pieces are yellow-highlighted runs."""
    from docx.enum.text import WD_COLOR_INDEX

    paragraph = doc.add_paragraph(style="Quote")
    for text, lit in pieces:
        run = paragraph.add_run(text)
        if lit:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    return paragraph


def conversation_docx(turns: list[Turn], plan: Plan, version: str = "", generated: dt.date | None = None) -> bytes:
    """The conversation as a Word document: a heading per question, quotes in the Quote style with the
    answering clauses highlighted in yellow."""
    from docx import Document

    doc = Document()
    doc.core_properties.title = _title(plan)
    doc.add_heading(_title(plan), level=0)
    doc.add_paragraph(_stamp(plan, version, generated))
    for i, t in enumerate(turns, 1):
        doc.add_heading(f"Question {i}: {t.question}", level=1)
        doc.add_paragraph(t.filters or "No filters.")
        for line in (t.answer or "(no answer)").splitlines():
            line = line.strip()
            if line.startswith(">"):
                text = line.lstrip("> ").strip()
                if text:  # bold in a quote is a highlight: "a **b** c" -> "a ", "b" (yellow), " c"
                    parts = text.split("**")
                    _quote_paragraph(doc, [(p, i % 2 == 1) for i, p in enumerate(parts) if p])
            elif line:
                doc.add_paragraph(_MD_MARKS.sub("", line))
        doc.add_heading(f"Citations ({len(t.citations)})" if t.citations else "No measures cited", level=2)
        for c in t.citations:
            doc.add_paragraph(f"[{c.number}] Section {c.section} · {c.parties}")
            _quote_paragraph(doc, pieces(c.quote, c.highlights))
    return briefs.docx_bytes(doc)


def conversation_files(
    chat: list, plan: Plan, version: str, root: Path, generated: dt.date | None = None, memory: dict | None = None
) -> tuple[Path, Path] | None:
    """Write the chat as ``conversation.md`` and ``conversation.docx`` under ``root``; None for an empty chat."""
    turns = conversation_turns(chat, plan, memory)
    if not turns:
        return None
    md = conversation_markdown(turns, plan, version, generated).encode()
    docx = conversation_docx(turns, plan, version, generated)
    return (
        write_atomic(_folder(root, md) / "conversation.md", md),
        write_atomic(_folder(root, docx) / "conversation.docx", docx),
    )


# ---------------------------------------------------------------- Gradio wiring


KEEP_EXPORTS_S = 24 * 3600


@functools.cache
def _export_root() -> Path:
    """The folder for files handed to download buttons: under the temp dir (which Gradio may serve), per user.

    Folders are named by content, so a restart reuses them; ones older than a day are pruned once per process.
    """
    root = Path(tempfile.gettempdir()) / f"ipplan-exports-{getpass.getuser()}"
    root.mkdir(mode=0o700, exist_ok=True)
    cutoff = time.time() - KEEP_EXPORTS_S
    for folder in root.iterdir():
        with contextlib.suppress(OSError):  # another process may be pruning too
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
    return root


def add_who_does_what_tab(plan: Plan, registry: Registry, version: str) -> None:
    """Add the "Who does what" tab (heatmap, pairs, briefs with downloads, cell view) to the open Blocks."""
    import gradio as gr

    matrix = mx.build_matrix(plan, registry)

    def choose(agency: str | None, section: str):
        details = details_markdown(plan, registry, matrix, agency, section or ALL_SECTIONS, version)
        if not agency:
            off = gr.update(value=None, interactive=False)
            return details, partner_rows(plan, None), off, off, off
        files = brief_files(briefs.build_brief(plan, registry, agency, version), _export_root())
        on = [gr.update(value=str(files[f]), interactive=True) for f in files]
        return details, partner_rows(plan, agency), *on

    # (this module has no `from __future__ import annotations`: Gradio reads this annotation at run time)
    def pick_cell(evt: gr.SelectData):
        row, col = evt.index if isinstance(evt.index, (list, tuple)) else (evt.index, 0)
        return cell_at(matrix, row, col, getattr(evt, "row_value", None))

    with gr.Tab("Who does what", elem_id="who-tab"):
        gr.Markdown(
            "Who leads and who shares each measure, by section. Colour = number of measures; each cell reads "
            "**lead / co-responsible**. Choose an agency for its brief (with downloads), or click a cell of the "
            "table to list that cell's measures with their verbatim text."
        )
        gr.Plot(
            value=mx.heatmap(matrix, 1300, 900),
            format="png",
            label="Responsibility matrix",
            show_label=False,
            elem_id="who-heatmap",
        )
        with gr.Row():
            with gr.Column(scale=2):
                agency = gr.Dropdown(agency_choices(registry), value=None, label="Agency", elem_id="who-agency")
                section = gr.Dropdown(section_choices(plan), value=ALL_SECTIONS, label="Section", elem_id="who-section")
                with gr.Row():
                    md_btn = gr.DownloadButton("Brief (Markdown)", interactive=False, elem_id="brief-md", size="sm")
                    docx_btn = gr.DownloadButton("Brief (DOCX)", interactive=False, elem_id="brief-docx", size="sm")
                    csv_btn = gr.DownloadButton("Brief (CSV)", interactive=False, elem_id="brief-csv", size="sm")
                partners = gr.Dataframe(
                    value=partner_rows(plan, None),
                    headers=["Shares measures with", "Shared", "Measures"],
                    interactive=False,
                    wrap=True,
                    max_height=320,
                    column_widths=["58%", "14%", "28%"],
                    label="Co-responsibility: who shares measures with whom",
                    elem_id="who-partners",
                )
                details = gr.Markdown(
                    details_markdown(plan, registry, matrix, None, "", version), elem_id="who-details"
                )
            with gr.Column(scale=3):
                table = gr.Dataframe(
                    value=matrix_rows(matrix),
                    headers=matrix_headers(matrix),
                    interactive=False,
                    max_height=1100,
                    column_widths=["13%", *["9%"] * len(matrix.sections), "15%"],
                    label="Matrix (lead / co-responsible): click a cell to list its measures",
                    elem_id="who-matrix",
                )
        outputs = [details, partners, md_btn, docx_btn, csv_btn]
        agency.change(choose, [agency, section], outputs, api_visibility="private")
        section.change(choose, [agency, section], outputs, api_visibility="private")
        table.select(pick_cell, None, [agency, section], api_visibility="private")


def add_conversation_export(chatbot, plan: Plan, version: str, memory=None) -> None:
    """Add "Export conversation" (Markdown, DOCX) buttons that always hold the current chat (and, from the
    chat's state ``memory``, the filters each answer was given)."""
    import gradio as gr

    def refresh(chat: list, kept: dict | None = None):
        files = conversation_files(chat, plan, version, _export_root(), memory=kept)
        if files is None:
            return gr.update(value=None, interactive=False), gr.update(value=None, interactive=False)
        return gr.update(value=str(files[0]), interactive=True), gr.update(value=str(files[1]), interactive=True)

    with gr.Row():
        md = gr.DownloadButton("Export conversation (Markdown)", interactive=False, elem_id="export-md", size="sm")
        docx = gr.DownloadButton("Export conversation (DOCX)", interactive=False, elem_id="export-docx", size="sm")
    # "always_last": a streamed answer changes the chat many times; only the latest state is exported.
    chatbot.change(
        refresh,
        [chatbot, memory] if memory is not None else chatbot,
        [md, docx],
        trigger_mode="always_last",
        show_progress="hidden",
        api_visibility="private",
    )
