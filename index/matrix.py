"""Responsibility matrix: who leads and who shares what, by section, and which agencies work together.

Built from the parsed plan alone. A cell (agency, section) holds the measures the agency leads
(first agency named) and those it is co-responsible for. Co-responsibility pairs count the
measures two registered agencies are both named in. ``python -m index matrix [--csv F]
[--pairs-csv F] [--png F] [--size 1400x1000]``.

Example: measure 43 names (Ministry of Commerce, Supreme People's Procuratorate, Ministry of
Public Security) -> cell (MOFCOM, IV) gains lead [43], cells (SPP, IV) and (MPS, IV) gain co [43],
and the pairs MOFCOM–SPP, MOFCOM–MPS and MPS–SPP each gain measure 43.
"""

from __future__ import annotations

import csv
import io
import itertools
import textwrap
from dataclasses import dataclass
from pathlib import Path

from index.agencies import Registry
from index.export import ExportError, write_atomic
from index.parse import Plan


@dataclass(frozen=True)
class Cell:
    """One agency in one section: the measures it leads and those it shares."""

    agency: str
    section: str
    lead: tuple[int, ...]
    co: tuple[int, ...]

    @property
    def measures(self) -> tuple[int, ...]:
        """Lead and co-responsible measures together, in plan order."""
        return tuple(sorted(self.lead + self.co))

    @property
    def total(self) -> int:
        return len(self.lead) + len(self.co)


@dataclass(frozen=True)
class Row:
    """One agency across all sections."""

    agency: str
    short: str  # best-known abbreviation, or the name
    cells: tuple[Cell, ...]

    @property
    def lead(self) -> int:
        return sum(len(c.lead) for c in self.cells)

    @property
    def co(self) -> int:
        return sum(len(c.co) for c in self.cells)

    @property
    def total(self) -> int:
        return self.lead + self.co


@dataclass(frozen=True)
class Matrix:
    """Agencies (registry order) x sections (plan order)."""

    sections: tuple[tuple[str, str], ...]  # (numeral, title)
    rows: tuple[Row, ...]

    def row(self, agency: str) -> Row:
        """The row of a canonical agency name."""
        return next(r for r in self.rows if r.agency == agency)

    def cell(self, agency: str, section: str) -> Cell:
        """The cell of a canonical agency name and a section numeral."""
        return next(c for c in self.row(agency).cells if c.section == section)


@dataclass(frozen=True)
class Pair:
    """Two agencies named together in ``measures``."""

    first: str
    second: str
    measures: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.measures)


def build_matrix(plan: Plan, registry: Registry) -> Matrix:
    """The agencies x sections matrix of lead and co-responsible measures."""
    rows = []
    for agency in registry.agencies:
        cells = []
        for section in plan.sections:
            ms = [plan.measure(n) for n in section.measures if agency.name in plan.measure(n).agencies]
            lead = tuple(m.number for m in ms if m.lead_agency == agency.name)
            co = tuple(m.number for m in ms if m.lead_agency != agency.name)
            cells.append(Cell(agency.name, section.numeral, lead, co))
        short = agency.abbreviations[0] if agency.abbreviations else agency.name
        rows.append(Row(agency.name, short, tuple(cells)))
    return Matrix(tuple((s.numeral, s.title) for s in plan.sections), tuple(rows))


def pairs(plan: Plan) -> list[Pair]:
    """Every pair of registered agencies named in the same measure, most shared measures first."""
    shared: dict[tuple[str, str], list[int]] = {}
    for m in plan.measures:
        for a, b in itertools.combinations(sorted(set(m.agencies)), 2):
            shared.setdefault((a, b), []).append(m.number)
    found = [Pair(a, b, tuple(ns)) for (a, b), ns in shared.items()]
    return sorted(found, key=lambda p: (-p.count, p.first, p.second))


def partners(plan: Plan, agency: str) -> list[Pair]:
    """The agencies ``agency`` shares measures with, as pairs with ``agency`` first, most shared first."""
    out = []
    for p in pairs(plan):
        if agency in (p.first, p.second):
            out.append(Pair(agency, p.second if p.first == agency else p.first, p.measures))
    return out


# ---------------------------------------------------------------- renderers


def matrix_csv(matrix: Matrix) -> str:
    """One row per agency: ``<numeral>_lead`` and ``<numeral>_co`` per section, then totals."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    head = ["agency", "abbreviation"]
    for numeral, _ in matrix.sections:
        head += [f"{numeral}_lead", f"{numeral}_co"]
    writer.writerow([*head, "lead", "co", "total"])
    for r in matrix.rows:
        counts = [n for c in r.cells for n in (len(c.lead), len(c.co))]
        writer.writerow([r.agency, r.short, *counts, r.lead, r.co, r.total])
    return buf.getvalue()


def pairs_csv(found: list[Pair]) -> str:
    """One row per co-responsible pair: both agencies, the count and the measures."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["agency_a", "agency_b", "shared", "measures"])
    for p in found:
        writer.writerow([p.first, p.second, p.count, " ".join(map(str, p.measures))])
    return buf.getvalue()


def cell_label(cell: Cell) -> str:
    """``"3 / 1"`` (lead / co-responsible); empty for an empty cell."""
    return f"{len(cell.lead)} / {len(cell.co)}" if cell.total else ""


def text_table(matrix: Matrix, found: list[Pair], top: int = 10) -> str:
    """The matrix ("lead/co" per cell) and the top co-responsibility pairs as plain text."""
    numerals = [n for n, _ in matrix.sections]
    width = max(len(r.short) for r in matrix.rows)
    lines = [f"{'agency':<{width}}  " + " ".join(f"{n:>5}" for n in numerals) + "   lead    co total"]
    for r in matrix.rows:
        cells = " ".join(f"{len(c.lead)}/{len(c.co)}".rjust(5) if c.total else "    ." for c in r.cells)
        lines.append(f"{r.short:<{width}}  {cells}  {r.lead:>5} {r.co:>5} {r.total:>5}")
    lines += ["", "cells: lead/co-responsible measures; sections:"]
    lines += [f"  {n}. {t}" for n, t in matrix.sections]
    lines += ["", f"Agencies sharing the most measures (top {top}):"]
    for p in found[:top]:
        lines.append(f"  {p.count:>2}  {p.first} + {p.second}: {', '.join(map(str, p.measures))}")
    return "\n".join(lines) + "\n"


def heatmap(matrix: Matrix, width: int = 1400, height: int = 1000, dpi: int = 100):
    """A matplotlib Figure of the matrix, exactly ``width`` x ``height`` pixels at ``dpi``.

    Colour is the number of measures; each cell reads "lead / co-responsible".
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    totals = [[c.total for c in r.cells] for r in matrix.rows]
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    cmap = colormaps["YlOrRd"].with_extremes(bad="white")  # empty cells stay white
    image = ax.imshow(np.ma.masked_equal(totals, 0), cmap=cmap, aspect="auto", vmin=0)
    ax.set_xticks(range(len(matrix.sections)), [textwrap.fill(f"{n}. {t}", 22) for n, t in matrix.sections])
    ax.set_yticks(range(len(matrix.rows)), [f"{r.short} ({r.lead}/{r.co})" for r in matrix.rows])
    ax.tick_params(axis="x", labelsize=8, labeltop=True, labelbottom=False, length=0)
    ax.tick_params(axis="y", labelsize=9)
    ax.set_xticks(np.arange(len(matrix.sections) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(matrix.rows) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="#d0d7de", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    peak = max(max(row) for row in totals) or 1
    for i, r in enumerate(matrix.rows):
        for j, c in enumerate(r.cells):
            if c.total:
                colour = "white" if c.total > peak * 0.6 else "black"
                ax.text(j, i, cell_label(c), ha="center", va="center", fontsize=8, color=colour)
    fig.colorbar(image, ax=ax, label="measures (lead + co-responsible)", shrink=0.6, pad=0.01)
    ax.set_title(
        "Who does what: measures per agency and section (cells and row totals: lead / co-responsible)", fontsize=10
    )
    return fig


def png_bytes(fig) -> bytes:
    """The figure as PNG bytes at its own size (no tight cropping, so the size asked for is kept)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def parse_size(text: str) -> tuple[int, int]:
    """``"1400x1000"`` -> ``(1400, 1000)``; each side 200..6000 pixels."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ExportError(f"--size must look like 1400x1000, got {text!r}") from None
    if not (200 <= w <= 6000 and 200 <= h <= 6000):
        raise ExportError(f"--size sides must be 200..6000 pixels, got {text!r}")
    return w, h


def write_outputs(
    plan: Plan,
    registry: Registry,
    csv: Path | None = None,
    pairs_path: Path | None = None,
    png: Path | None = None,
    size: str = "1400x1000",
) -> str:
    """``ipplan index matrix``: write the CSV / PNG files asked for; returns the text table and what was
    written. Raises ``ExportError`` (nothing partial is left) on a bad size or an unwritable path."""
    matrix = build_matrix(plan, registry)
    found = pairs(plan)
    dims = parse_size(size)
    if csv:
        write_atomic(csv, matrix_csv(matrix).encode())
    if pairs_path:
        write_atomic(pairs_path, pairs_csv(found).encode())
    if png:
        write_atomic(png, png_bytes(heatmap(matrix, *dims)))
    wrote = [
        f"Wrote {label}: {path}\n"
        for label, path in (("matrix CSV", csv), ("pairs CSV", pairs_path), ("heatmap PNG", png))
        if path
    ]
    return text_table(matrix, found) + "".join(wrote)
