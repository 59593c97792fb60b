"""Agency briefs: exact measure sets, verbatim quotes, counts for every agency, DOCX/CSV/JSON, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import sys

import pytest

from assistant import brief as b
from index.export import ExportError, write_atomic
from tests.conftest import ROOT

DAY = dt.date(2026, 11, 25)


def make(plan, registry, agency: str) -> b.Brief:
    return b.build_brief(plan, registry, agency, index_version="abc123", generated=DAY)


def test_customs_brief_is_exactly_measures_32_and_33_as_lead(plan, registry):
    brief = make(plan, registry, "Customs")
    assert brief.agency == "General Administration of Customs"
    assert [m.number for m in brief.measures] == [32, 33]
    assert all(m.role is b.Role.LEAD for m in brief.measures)
    assert (brief.lead_count, brief.co_count) == (2, 0)
    for m in brief.measures:
        assert m.text == plan.measure(m.number).text  # verbatim
    md = b.to_markdown(brief)
    assert "lead in 2, co-responsible in 0" in md
    assert plan.header.document_number in md and plan.header.date in md and plan.header.plan_title in md
    assert f"> {plan.measure(32).text}" in md and f"> {plan.measure(33).text}" in md
    assert "Index version `abc123` · generated 2026-11-25" in md


def test_sipo_brief_has_35_measures_under_at_most_8_sections(plan, registry):
    brief = make(plan, registry, "SIPO")
    assert brief.agency == "State Intellectual Property Office"
    assert len(brief.measures) == 35
    assert 1 <= len(brief.sections) <= 8
    md = b.to_markdown(brief)
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert len(headings) == len(brief.sections) <= 8
    assert md.count("### Measure ") == 35
    numerals = [s.numeral for s in brief.sections]
    assert numerals == [s.numeral for s in plan.sections if s.numeral in numerals]  # plan order


@pytest.mark.parametrize(
    "spelling", ["General Administration of Customs", "GAC", "customs", "海关总署", "China Customs"]
)
def test_any_registry_spelling_resolves(registry, spelling):
    assert b.resolve_agency(spelling, registry) == "General Administration of Customs"


def test_typos_resolve(registry):
    assert b.resolve_agency("Minstry of Finanse", registry) == "Ministry of Finance"


def test_counts_agree_with_the_parsed_plan_for_every_agency(plan, registry):
    for agency in registry.agencies:
        brief = make(plan, registry, agency.name)
        named = [m for m in plan.measures if agency.name in m.agencies]
        assert [m.number for m in brief.measures] == [m.number for m in named]
        assert brief.lead_count == sum(m.lead_agency == agency.name for m in named)
        assert brief.co_count == len(named) - brief.lead_count
        for item in brief.measures:
            source = plan.measure(item.number)
            assert item.text == source.text and item.section == source.section
            assert item.lead_agency == source.lead_agency
            assert agency.name not in item.coordinate_with
            assert set(item.coordinate_with) | {agency.name} == {*source.agencies, *source.other_parties}
        rows = list(csv.DictReader(io.StringIO(b.to_csv(brief))))
        assert [int(r["number"]) for r in rows] == [m.number for m in named]
        assert [r["text"] for r in rows] == [m.text for m in named]


def test_co_responsible_measure_names_its_partners(plan, registry):
    (m43,) = [m for m in make(plan, registry, "Supreme People's Procuratorate").measures]
    assert m43.number == 43 and m43.role is b.Role.CO and m43.lead_agency == "Ministry of Commerce"
    assert m43.co_agencies == (
        "Supreme People's Procuratorate",
        "Ministry of Public Security",
        "relevant administrative law enforcement authorities",
    )
    assert "Supreme People's Procuratorate" not in m43.coordinate_with


def test_csv_columns_and_json_round_trip(plan, registry):
    brief = make(plan, registry, "Ministry of Culture")
    rows = list(csv.reader(io.StringIO(b.to_csv(brief))))
    assert tuple(rows[0]) == b.CSV_COLUMNS and len(rows) == 1 + len(brief.measures)
    data = json.loads(b.render(brief, "json"))
    assert data["agency"] == "Ministry of Culture" and data["summary"] == brief.summary
    assert [m["number"] for s in data["sections"] for m in s["measures"]] == [54, 62, 86]
    assert data["sections"][0]["measures"][0]["role"] in ("lead", "co-responsible")
    assert data["document_number"] == plan.header.document_number


def test_docx_reopens_with_headings_quotes_and_table(plan, registry):
    from docx import Document

    brief = make(plan, registry, "SIPO")
    doc = Document(io.BytesIO(b.to_docx(brief)))
    paragraphs = doc.paragraphs
    section_headings = [p.text for p in paragraphs if p.style.name == "Heading 1" and p.text[:1] in "IVX"]
    assert section_headings == [f"{s.numeral}. {s.title}" for s in brief.sections]
    measure_headings = [p.text for p in paragraphs if p.style.name == "Heading 2"]
    assert [int(h.split()[1]) for h in measure_headings] == [m.number for m in brief.measures]
    quotes = [p.text for p in paragraphs if p.style.name == "Quote"]
    assert quotes == [plan.measure(m.number).text for m in brief.measures]
    (table,) = doc.tables
    assert [int(r.cells[0].text) for r in table.rows[1:]] == [m.number for m in brief.measures]
    assert "generated 2026-11-25" in doc.sections[0].footer.paragraphs[0].text


@pytest.mark.parametrize("bad", ["", "   ", "Ministry of Tourism", "Custms office xyz"])
def test_unknown_or_empty_agency_is_a_clear_error(registry, bad):
    with pytest.raises(b.BriefError) as err:
        b.resolve_agency(bad, registry)
    if bad.strip():
        assert "Closest:" in str(err.value) and "not one of the plan's 28 agencies" in str(err.value)


def test_two_agencies_are_refused(registry):
    with pytest.raises(b.BriefError, match="names 2 agencies"):
        b.resolve_agency("Customs and SIPO", registry)


def test_closest_agencies_suggests_the_likely_one(registry):
    assert b.closest_agencies("Custms", registry)[0] == "General Administration of Customs"
    with pytest.raises(b.BriefError, match="Closest: General Administration of Customs"):
        b.resolve_agency("Custms", registry)
    assert "Ministry of Culture" in b.closest_agencies("Ministry of Tourism", registry)


def test_atomic_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "folder"
    target.mkdir()  # a directory cannot be replaced by a file
    with pytest.raises(ExportError, match="cannot write"):
        write_atomic(target, b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["folder"] and not any(target.iterdir())
    with pytest.raises(ExportError):
        write_atomic(tmp_path / "missing" / "x.md", b"data")
    write_atomic(tmp_path / "ok.md", b"data")
    assert (tmp_path / "ok.md").read_bytes() == b"data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "ok.md"]


# ---------------------------------------------------------------- the command line


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "brief", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_cli_markdown_to_stdout():
    out = run_cli("Customs")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("# Brief: General Administration of Customs (GAC)")
    assert "### Measure 32 — lead" in out.stdout and "### Measure 33 — lead" in out.stdout


def test_cli_writes_each_format(tmp_path):
    from docx import Document

    for fmt in ("md", "docx", "csv", "json"):
        path = tmp_path / f"customs.{fmt}"
        out = run_cli("海关总署", "--out", str(path))  # the suffix picks the format
        assert out.returncode == 0, out.stderr
        assert "2 measures" in out.stdout and path.stat().st_size > 0
    assert json.loads((tmp_path / "customs.json").read_text())["lead_count"] == 2
    doc = Document(str(tmp_path / "customs.docx"))
    assert [p.text for p in doc.paragraphs if p.style.name == "Quote"][0].startswith("Improve the customs IPR")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"customs.{f}" for f in ("csv", "docx", "json", "md")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Ministry of Tourism"], "Closest:"),
        ([""], "no agency given"),
        ([], "no agency given"),
        (["SIPO", "--out", "/nonexistent-dir/brief.md"], "cannot write /nonexistent-dir/brief.md"),
    ],
)
def test_cli_bad_input_exits_2_with_a_clear_message(args, message):
    out = run_cli(*args)
    assert out.returncode == 2 and message in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_cli_unwritable_out_leaves_no_partial_file(tmp_path):
    target = tmp_path / "brief.docx"
    target.mkdir()  # exists, but as a folder: the final rename fails after the data was written
    out = run_cli("SIPO", "--format", "docx", "--out", str(target))
    assert out.returncode == 2 and "cannot write" in out.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["brief.docx"] and not any(target.iterdir())


@pytest.mark.slow
@pytest.mark.skipif(
    not shutil.which("soffice"), reason="LibreOffice not installed (apt-get install libreoffice-writer-nogui)"
)
def test_docx_opens_in_libreoffice(plan, registry, tmp_path):
    path = tmp_path / "sipo.docx"
    path.write_bytes(b.to_docx(make(plan, registry, "SIPO")))
    out = subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--convert-to", "txt:Text"]
        + [str(path), "--outdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    text = (tmp_path / "sipo.txt").read_text(encoding="utf-8-sig")
    assert out.returncode == 0, out.stderr
    for m in make(plan, registry, "SIPO").measures:
        assert m.text in text
