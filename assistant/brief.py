"""Agency briefs: everything one agency must do under the plan, ready for a meeting.

A :class:`Brief` is built from the parsed plan alone (no model, no index): the plan's title,
document number and date; the agency and its lead / co-responsible counts; its measures grouped
by section, each with its role, the other parties named and the measure text verbatim; and a
footer with the index version and the date generated. Renderers turn it into Markdown, DOCX
(python-docx), CSV or JSON. ``python -m assistant brief AGENCY [--format F] [--out FILE]``.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import sys
import zipfile
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from index.agencies import Registry
from index.export import ExportError, write_atomic
from index.parse import Plan


class Role(StrEnum):
    """An agency's part in a measure: the first agency named leads, the others share it."""

    LEAD = "lead"
    CO = "co-responsible"


class Format(StrEnum):
    """Brief output formats."""

    MD = "md"
    DOCX = "docx"
    CSV = "csv"
    JSON = "json"


class BriefError(ValueError):
    """A brief that cannot be made or written; the message says why and what to do."""


@dataclass(frozen=True)
class BriefMeasure:
    """One of the agency's measures: number, role, who else is named, the verbatim text."""

    number: int
    section: str
    section_title: str
    role: Role
    lead_agency: str
    co_agencies: tuple[str, ...]  # every other party named after the lead, free-text ones included
    coordinate_with: tuple[str, ...]  # every party named except the agency itself
    text: str


@dataclass(frozen=True)
class BriefSection:
    """A section heading with the agency's measures in it."""

    numeral: str
    title: str
    measures: tuple[BriefMeasure, ...]


@dataclass(frozen=True)
class Brief:
    """A whole brief for one agency."""

    agency: str
    agency_label: str
    plan_title: str
    circular_title: str
    document_number: str
    date: str
    lead_count: int
    co_count: int
    total_measures: int  # in the whole plan
    sections: tuple[BriefSection, ...]
    index_version: str
    generated: str  # ISO date

    @property
    def measures(self) -> list[BriefMeasure]:
        """All the agency's measures in plan order."""
        return [m for s in self.sections for m in s.measures]

    @property
    def summary(self) -> str:
        """``"lead in 2, co-responsible in 0"``."""
        return f"lead in {self.lead_count}, co-responsible in {self.co_count}"

    @property
    def slug(self) -> str:
        """A file-name stem: ``brief-GAC``."""
        short = self.agency_label.rsplit("(", 1)[-1].rstrip(")") if "(" in self.agency_label else self.agency
        return "brief-" + "".join(c if c.isalnum() else "-" for c in short).strip("-")


# ---------------------------------------------------------------- resolving the agency


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


def _aliases(registry: Registry) -> dict[str, str]:
    """Every spelling the registry knows (case-folded) -> canonical name."""
    out: dict[str, str] = {}
    for a in registry.agencies:
        for alias in (a.name, *a.abbreviations, *a.short_names):
            out.setdefault(_fold(alias), a.name)
    return out


def closest_agencies(text: str, registry: Registry, n: int = 3) -> list[str]:
    """The registered agencies whose names or aliases look most like ``text``, best first."""
    aliases = _aliases(registry)
    scored: dict[str, float] = {}
    query = _fold(text)
    for alias, name in aliases.items():
        ratio = difflib.SequenceMatcher(None, query, alias).ratio()
        scored[name] = max(scored.get(name, 0.0), ratio)
    return [name for name, _ in sorted(scored.items(), key=lambda kv: -kv[1])[:n]]


def resolve_agency(text: str, registry: Registry) -> str:
    """The canonical name of the one agency ``text`` names (name, abbreviation, typo, Chinese).

    ``"Customs" -> "General Administration of Customs"``; unknown, empty or several -> :class:`BriefError`.
    """
    if not text or not text.strip():
        raise BriefError("no agency given: name one, e.g. `brief Customs` or `brief SIPO`.")
    if exact := _aliases(registry).get(_fold(text)):
        return exact
    if not (mentions := registry.find(text)):
        close = ", ".join(closest_agencies(text, registry))
        raise BriefError(f"'{text.strip()}' is not one of the plan's {len(registry)} agencies. Closest: {close}.")
    names = list(dict.fromkeys(m.agency for m in mentions))
    if len(names) > 1:
        raise BriefError(f"'{text.strip()}' names {len(names)} agencies ({'; '.join(names)}): give one.")
    return names[0]


# ---------------------------------------------------------------- building


def build_brief(
    plan: Plan, registry: Registry, agency: str, index_version: str = "", generated: dt.date | None = None
) -> Brief:
    """The brief for ``agency`` (anything :func:`resolve_agency` accepts)."""
    name = resolve_agency(agency, registry)
    sections = []
    for section in plan.sections:
        items = []
        for number in section.measures:
            m = plan.measure(number)
            if name not in m.agencies:
                continue
            parties = (*m.agencies, *m.other_parties)
            items.append(
                BriefMeasure(
                    number=m.number,
                    section=m.section,
                    section_title=m.section_title,
                    role=Role.LEAD if m.lead_agency == name else Role.CO,
                    lead_agency=m.lead_agency or "",
                    co_agencies=parties[1:],
                    coordinate_with=tuple(p for p in parties if p != name),
                    text=m.text,
                )
            )
        if items:
            sections.append(BriefSection(section.numeral, section.title, tuple(items)))
    measures = [m for s in sections for m in s.measures]
    header = plan.header
    return Brief(
        agency=name,
        agency_label=registry.get(name).label,
        plan_title=header.plan_title,
        circular_title=header.title,
        document_number=header.document_number,
        date=header.date,
        lead_count=sum(m.role is Role.LEAD for m in measures),
        co_count=sum(m.role is Role.CO for m in measures),
        total_measures=len(plan.measures),
        sections=tuple(sections),
        index_version=index_version,
        generated=(generated or dt.date.today()).isoformat(),
    )


# ---------------------------------------------------------------- renderers


def _parties(names: tuple[str, ...]) -> str:
    return "; ".join(names) if names else "none named"


def _who(m: BriefMeasure) -> str:
    """``"Lead: Ministry of Commerce. Coordinate with: …"`` (the lead is omitted when it is the agency)."""
    lead = f"Lead: {m.lead_agency}. " if m.role is Role.CO else ""
    return f"{lead}Coordinate with: {_parties(m.coordinate_with)}."


def to_markdown(brief: Brief) -> str:
    """The brief as Markdown: header, one ``##`` heading per section, quotes as blockquotes, footer."""
    lines = [
        f"# Brief: {brief.agency_label}",
        "",
        f"**Plan:** {brief.plan_title} · **Document:** {brief.document_number} · **Date:** {brief.date}",
        "",
        f"**{brief.agency}**: {brief.summary} of the plan's {brief.total_measures} measures.",
        "",
    ]
    if not brief.sections:
        lines += ["The plan names this agency in no measure.", ""]
    for section in brief.sections:
        lines += [f"## {section.numeral}. {section.title}", ""]
        for m in section.measures:
            lines += [
                f"### Measure {m.number} — {m.role}",
                "",
                _who(m),
                "",
                f"> {m.text}",
                "",
            ]
    lines += ["---", "", f"Index version `{brief.index_version or 'n/a'}` · generated {brief.generated}.", ""]
    return "\n".join(lines)


CSV_COLUMNS = ("number", "section", "role", "lead_agency", "co_agencies", "text")


def to_csv(brief: Brief) -> str:
    """One row per measure: number, section, role, lead agency, co-agencies (``; ``-joined), text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for m in brief.measures:
        writer.writerow([m.number, m.section, m.role.value, m.lead_agency, "; ".join(m.co_agencies), m.text])
    return buf.getvalue()


def to_json(brief: Brief) -> dict:
    """The brief as JSON-ready data (the same fields as the dataclasses)."""
    data = asdict(brief)
    data["summary"] = brief.summary
    return data


def to_docx(brief: Brief) -> bytes:
    """The brief as a Word document: a heading per section, quotes in the Quote style, a table of measures."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = f"Brief: {brief.agency_label}"
    doc.core_properties.subject = brief.plan_title
    doc.add_heading(f"Brief: {brief.agency_label}", level=0)
    intro = doc.add_paragraph()
    for label, value in (("Plan: ", brief.plan_title), (" · Document: ", brief.document_number)):
        intro.add_run(label).bold = True
        intro.add_run(value)
    intro.add_run(" · Date: ").bold = True
    intro.add_run(brief.date)
    summary = doc.add_paragraph()
    summary.add_run(brief.agency).bold = True
    summary.add_run(f": {brief.summary} of the plan's {brief.total_measures} measures.")

    doc.add_heading("Measures at a glance", level=1)
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("Measure", "Section", "Role", "Coordinate with"), strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for m in brief.measures:
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text, row[3].text = (
            str(m.number),
            m.section,
            m.role.value,
            _parties(m.coordinate_with),
        )
    if not brief.sections:
        doc.add_paragraph("The plan names this agency in no measure.")
    for section in brief.sections:
        doc.add_heading(f"{section.numeral}. {section.title}", level=1)
        for m in section.measures:
            doc.add_heading(f"Measure {m.number} — {m.role}", level=2)
            doc.add_paragraph(_who(m))
            doc.add_paragraph(m.text, style="Quote")
    footer = doc.sections[0].footer.paragraphs[0]
    footer.text = f"Index version {brief.index_version or 'n/a'} · generated {brief.generated}"
    footer.runs[0].font.size = Pt(8)
    return docx_bytes(doc)


_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def docx_bytes(doc) -> bytes:
    """A python-docx document as bytes that depend on its content only. python-docx stamps every
    zip entry with the current time, so the same brief saved a second later would differ (and land
    in a new content-addressed folder); the entries are rewritten with one fixed time."""
    buf = io.BytesIO()
    doc.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, _ZIP_EPOCH), src.read(info), info.compress_type)
    return out.getvalue()


def render(brief: Brief, fmt: Format | str) -> bytes:
    """The brief in ``fmt`` as bytes (UTF-8 for the text formats)."""
    fmt = Format(fmt)
    if fmt is Format.DOCX:
        return to_docx(brief)
    if fmt is Format.JSON:
        return (json.dumps(to_json(brief), ensure_ascii=False, indent=1) + "\n").encode()
    return (to_csv(brief) if fmt is Format.CSV else to_markdown(brief)).encode()


# ---------------------------------------------------------------- command line


def cli(
    agency: Annotated[str | None, typer.Argument(help="name, abbreviation, short name, typo or Chinese name")] = None,
    format: Annotated[Format | None, typer.Option("--format", help="md (default), docx, csv or json")] = None,
    out: Annotated[Path | None, typer.Option(help="write to FILE (atomically) instead of stdout")] = None,
) -> int:
    """One agency's brief: its measures by section, with verbatim quotes (exit 2 on bad input)."""
    from index.build import IndexBuildError, index_version, load_plan, manifest_for
    from index.config import Settings

    settings = Settings.from_env()
    try:
        plan, registry = load_plan(settings)
        brief = build_brief(plan, registry, agency or "", index_version(manifest_for(settings, plan, registry)))
        fmt = Format(format or _format_from_suffix(out))
        data = render(brief, fmt)
        if out:
            write_atomic(out, data)
            print(f"Wrote {out}: {brief.agency}, {len(brief.measures)} measures ({brief.summary}).")
        elif fmt is Format.DOCX and sys.stdout.isatty():
            raise BriefError("a DOCX brief is binary: give --out FILE.docx (or redirect stdout).")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
    except (BriefError, ExportError, IndexBuildError) as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    return 0


def _format_from_suffix(out: Path | None) -> Format:
    """``brief.docx`` -> DOCX; no file or an unknown suffix -> Markdown."""
    suffix = Path(out).suffix.lstrip(".").lower() if out else ""
    return Format(suffix) if suffix in {f.value for f in Format} else Format.MD
