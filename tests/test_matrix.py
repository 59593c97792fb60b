"""Responsibility matrix: row sums, pairs, CSV, PNG size, the `python -m index matrix` command."""

from __future__ import annotations

import csv
import io
import itertools
import struct
import subprocess
import sys

import pytest

from index import matrix as mx
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def matrix(plan, registry) -> mx.Matrix:
    return mx.build_matrix(plan, registry)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])  # IHDR width, height


def test_row_sums_equal_each_agencys_measure_count(plan, registry, matrix):
    assert [r.agency for r in matrix.rows] == [a.name for a in registry.agencies]
    assert [n for n, _ in matrix.sections] == [s.numeral for s in plan.sections]
    for row in matrix.rows:
        named = [m for m in plan.measures if row.agency in m.agencies]
        assert row.total == len(named)
        assert row.lead == sum(m.lead_agency == row.agency for m in named)
        for cell in row.cells:
            assert set(cell.lead).isdisjoint(cell.co)
            assert all(plan.measure(n).section == cell.section for n in cell.measures)
    assert matrix.row("State Intellectual Property Office").total == 35
    customs = matrix.cell("General Administration of Customs", "IV")
    assert customs.lead == (32, 33) and customs.co == ()


def test_every_measure_has_exactly_one_lead_in_the_matrix(plan, matrix):
    leads = sorted(n for r in matrix.rows for c in r.cells for n in c.lead)
    assert leads == [m.number for m in plan.measures if m.agencies]
    co = sum(len(c.co) for r in matrix.rows for c in r.cells)
    assert co == sum(len(m.agencies) - 1 for m in plan.measures if m.agencies)


def test_pairs_count_shared_measures(plan):
    found = mx.pairs(plan)
    counts = [p.count for p in found]
    assert counts == sorted(counts, reverse=True)
    for p in found:
        assert p.first < p.second
        assert list(p.measures) == [m.number for m in plan.measures if {p.first, p.second} <= set(m.agencies)]
    expected = {frozenset(c) for m in plan.measures for c in itertools.combinations(set(m.agencies), 2)}
    assert {frozenset((p.first, p.second)) for p in found} == expected
    m43 = {frozenset((p.first, p.second)) for p in found if 43 in p.measures}
    assert frozenset(("Ministry of Commerce", "Supreme People's Procuratorate")) in m43


def test_partners_put_the_agency_first(plan):
    spp = mx.partners(plan, "Supreme People's Procuratorate")
    assert {p.second for p in spp} == {"Ministry of Commerce", "Ministry of Public Security"}
    assert all(p.first == "Supreme People's Procuratorate" and p.measures == (43,) for p in spp)
    assert mx.partners(plan, "General Administration of Customs") == []


def test_matrix_csv_rows_add_up(matrix):
    rows = list(csv.DictReader(io.StringIO(mx.matrix_csv(matrix))))
    assert len(rows) == len(matrix.rows)
    for row, r in zip(rows, matrix.rows, strict=True):
        per_section = sum(int(row[f"{n}_lead"]) + int(row[f"{n}_co"]) for n, _ in matrix.sections)
        assert per_section == int(row["total"]) == r.total


def test_heatmap_png_is_the_size_asked_for(matrix):
    for size in ((1400, 1000), (800, 600)):
        data = mx.png_bytes(mx.heatmap(matrix, *size))
        assert len(data) > 10_000 and png_size(data) == size


def test_text_table_and_labels(plan, matrix):
    text = mx.text_table(matrix, mx.pairs(plan), top=3)
    assert "SIPO" in text and "Agencies sharing the most measures (top 3)" in text
    assert mx.cell_label(matrix.cell("General Administration of Customs", "IV")) == "2 / 0"
    assert mx.cell_label(matrix.cell("General Administration of Customs", "I")) == ""


@pytest.mark.parametrize("bad", ["big", "10x10", "1400x"])
def test_bad_size_is_refused(bad):
    with pytest.raises(mx.ExportError):
        mx.parse_size(bad)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "index", "matrix", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_cli_writes_csv_pairs_and_png(tmp_path, matrix):
    out = run_cli(
        "--csv",
        str(tmp_path / "m.csv"),
        "--pairs-csv",
        str(tmp_path / "p.csv"),
        "--png",
        str(tmp_path / "m.png"),
        "--size",
        "1000x700",
    )
    assert out.returncode == 0, out.stderr
    assert "Wrote heatmap PNG" in out.stdout
    assert (tmp_path / "m.csv").read_text() == mx.matrix_csv(matrix)
    assert png_size((tmp_path / "m.png").read_bytes()) == (1000, 700)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.csv", "m.png", "p.csv"]


def test_cli_unwritable_path_exits_2_without_partial_files(tmp_path):
    (tmp_path / "m.png").mkdir()
    out = run_cli("--png", str(tmp_path / "m.png"))
    assert out.returncode == 2 and "cannot write" in out.stderr and "Traceback" not in out.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["m.png"] and not any((tmp_path / "m.png").iterdir())
