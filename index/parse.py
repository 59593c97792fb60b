"""Parse stage: the plan's converted text -> typed records (header, sections, measures).

Cleanup removes conversion noise only (page furniture, split words, markdown/LaTeX) and keeps
the plan's words verbatim, so every measure text can be found again in the de-paginated source.
"""

from __future__ import annotations

import hashlib
import operator
import re
from dataclasses import dataclass
from pathlib import Path

from index.agencies import Registry

PARSER_VERSION = "1"

# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Measure:
    """One numbered measure. ``agencies`` are canonical registry names in the plan's order."""

    number: int
    section: str
    section_title: str
    text: str
    agencies: tuple[str, ...]
    other_parties: tuple[str, ...] = ()
    doc_id: str = ""

    @property
    def lead_agency(self) -> str | None:
        return self.agencies[0] if self.agencies else None

    @property
    def responsibility(self) -> str:
        """The parties as one line: canonical agencies, then free-text parties."""
        return "; ".join([*self.agencies, *self.other_parties])

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "section": self.section,
            "section_title": self.section_title,
            "text": self.text,
            "agencies": list(self.agencies),
        }


@dataclass(frozen=True)
class Section:
    """A numbered section (I..VIII) with its "Objectives and tasks" paragraph."""

    numeral: str
    title: str
    objectives: str
    measures: tuple[int, ...] = ()


@dataclass(frozen=True)
class Header:
    """The circular: title, document number, date, addressees, and the plan's own title/preamble."""

    title: str
    document_number: str
    date: str
    addressees: tuple[str, ...]
    plan_title: str
    preamble: str

    @property
    def year(self) -> str:
        """The plan's year, from its title (else the circular's date): "... Strategy 2012" -> "2012"."""
        found = re.findall(r"\b(?:19|20)\d\d\b", self.plan_title) or re.findall(r"\b(?:19|20)\d\d\b", self.date)
        return found[-1] if found else ""


@dataclass(frozen=True)
class Plan:
    """A whole parsed plan."""

    doc_id: str
    header: Header
    sections: tuple[Section, ...]
    measures: tuple[Measure, ...]
    source_sha256: str = ""

    def measure(self, number: int) -> Measure:
        """Measure ``number`` (1-based). Anything else is an error, never another measure: a plain
        index would answer ``-5`` with measure 85 and ``0`` with measure 90."""
        try:
            n = -1 if isinstance(number, bool) else operator.index(number)  # ints and numpy ints, no floats
        except TypeError:
            n = -1
        if not 1 <= n <= len(self.measures):
            raise ValueError(f"measure {number!r} is not in the plan (measures 1–{len(self.measures)})")
        return self.measures[n - 1]

    def section(self, numeral: str) -> Section:
        return next(s for s in self.sections if s.numeral == numeral)


# ---------------------------------------------------------------- cleanup

_PAGE = r"\**\s*[—–-]\s*\d{1,3}\s*[—–-]\s*\**"  # — 24 —, **— 24 —**, -20 —
_SPLIT_PAGE_WORD = re.compile(r"(\w)-\d{1,3}\s*[—–]\s*(?=\n)")  # Prop-20 — (hyphen + page no.)
_PAGE_LINE = re.compile(rf"^\s*{_PAGE}\s*$", re.M)
_SPLIT_WORD = re.compile(r"([A-Za-z])-[ \t]*\n(?:[ \t]*\n)*[ \t]*(?:-[ \t]+)?([a-z])")
_LATEX = re.compile(r"\$\s*([^$]*?)\s*\$")
_EMPH = re.compile(r"(?<![*\w])\*{1,2}([^*\n]+?)\*{1,2}(?![*\w])")
_SUP = re.compile(r"</?su[pb]>")


def clean(raw: str) -> str:
    """Remove conversion noise line-by-line; words stay verbatim.

    >>> clean("patent alli-\\n\\nance") == "patent alliance"
    True
    """
    text = raw.replace("\r\n", "\n")
    text = _SPLIT_PAGE_WORD.sub(r"\1-", text)  # "Prop-20 —" -> "Prop-", joined below
    text = _PAGE_LINE.sub("", text)
    text = _SPLIT_WORD.sub(r"\1\2", text)
    text = _LATEX.sub(lambda m: m.group(1).replace("\\sim", "~").replace(" ", ""), text)
    text = _SUP.sub("", text)
    text = _EMPH.sub(r"\1", text)
    return text


def normalise_ws(text: str) -> str:
    """Collapse runs of whitespace to one space."""
    return re.sub(r"\s+", " ", text).strip()


def depaginate(raw: str) -> str:
    """The source with conversion noise removed and whitespace collapsed: what quotes are checked against."""
    return normalise_ws(_join_lines(clean(raw).split("\n")))


# ---------------------------------------------------------------- structure

_SECTION = re.compile(r"^\s*#{1,6}\s*([IVX]+)\.\s+(.+?)\s*$")
_MEASURE = re.compile(r"^\s*(?:-\s+)?(\d{1,3})\.\s+(.*)$")
_OBJECTIVES = re.compile(r"^\s*Objectives and tasks:\s*(.*)$")
_SPECIFIC = re.compile(r"^\s*#*\s*Specific measures:\s*$")
_BULLET = re.compile(r"^\s*-\s+")
_DOCNO = re.compile(r"^\s*([A-Z]\..*\[\d{4}\]\s*No\.\s*\d+)\s*$")
_DATE = re.compile(
    r"^\s*((?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+\d{1,2},\s+\d{4})\s*$"
)
_TRAILING_PARENS = re.compile(r"\(([^()]*)\)\s*\.?\s*$")


def _join_lines(lines: list[str]) -> str:
    """Join continuation lines: a stray list dash at a line start is page noise, not a word."""
    parts = [_BULLET.sub("", ln).strip() for ln in lines]
    return " ".join(p for p in parts if p)


def parse(path: Path | str, registry: Registry) -> Plan:
    """Parse a plan file into a :class:`Plan`."""
    path = Path(path)
    raw = path.read_text(encoding="utf-8")
    return parse_text(raw, registry, doc_id=path.stem)


def parse_text(raw: str, registry: Registry, doc_id: str = "plan") -> Plan:
    """Parse the plan's text. Blocks start at headings, "Objectives and tasks:" and the next measure number."""
    lines = clean(raw).split("\n")
    header_lines: list[str] = []
    blocks: list[tuple[str, list[str], dict]] = []  # (kind, lines, info)
    next_number = 1
    for line in lines:
        if m := _SECTION.match(line):
            blocks.append(("section", [], {"numeral": m.group(1), "title": m.group(2).strip()}))
        elif blocks and (m := _OBJECTIVES.match(line)):
            blocks.append(("objectives", [m.group(1)], {}))
        elif blocks and _SPECIFIC.match(line):
            blocks.append(("specific", [], {}))
        elif blocks and (m := _MEASURE.match(line)) and int(m.group(1)) == next_number:
            blocks.append(("measure", [m.group(2)], {"number": next_number}))
            next_number += 1
        elif blocks:
            if blocks[-1][0] == "specific":
                continue
            blocks[-1][1].append(line)
        else:
            header_lines.append(line)

    header = _parse_header(header_lines, registry)
    sections: list[Section] = []
    measures: list[Measure] = []
    current: dict | None = None

    def close_section():
        if current:
            sections.append(
                Section(current["numeral"], current["title"], current["objectives"], tuple(current["measures"]))
            )

    for kind, blines, info in blocks:
        body = normalise_ws(_join_lines(blines))
        if kind == "section":
            close_section()
            current = {**info, "objectives": "", "measures": []}
            if body:  # a title that ran onto the next line
                current["title"] = normalise_ws(current["title"] + " " + body)
        elif kind == "objectives" and current is not None:
            current["objectives"] = body
        elif kind == "measure" and current is not None:
            text, agencies, others = _split_responsibility(body, registry)
            measures.append(
                Measure(
                    number=info["number"],
                    section=current["numeral"],
                    section_title=current["title"],
                    text=text,
                    agencies=agencies,
                    other_parties=others,
                    doc_id=doc_id,
                )
            )
            current["measures"].append(info["number"])
    close_section()
    return Plan(
        doc_id=doc_id,
        header=header,
        sections=tuple(sections),
        measures=tuple(measures),
        source_sha256=hashlib.sha256(raw.encode("utf-8")).hexdigest(),
    )


def _split_responsibility(body: str, registry: Registry) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Split "Text ... (A, B and C)" into text and parties, using the registry, not commas."""
    m = _TRAILING_PARENS.search(body)
    if not m:
        return body, (), ()
    agencies, others = registry.split(m.group(1))
    if not agencies and not others:
        return body, (), ()
    return body[: m.start()].rstrip(), tuple(agencies), tuple(others)


def _parse_header(lines: list[str], registry: Registry) -> Header:
    paragraphs: list[str] = []
    buf: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            buf.append(line)
        elif buf:
            paragraphs.append(normalise_ws(_join_lines(buf)))
            buf = []
    title = plan_title = document_number = date = ""
    addressees: list[str] = []
    preamble: list[str] = []
    for para in paragraphs:
        heading = re.match(r"^#+\s*(.+)$", para)
        if heading and not title:
            title = heading.group(1).strip()
        elif heading:
            plan_title = heading.group(1).strip()
        elif m := _DOCNO.match(para):
            document_number = m.group(1)
        elif m := _DATE.match(para):
            date = m.group(1)
        elif not addressees and para.endswith(",") and len(registry.split(para)[0]) >= 3:
            addressees = registry.split(para.rstrip(","))[0]
        elif plan_title:
            preamble.append(para)
    return Header(
        title=title,
        document_number=document_number,
        date=date,
        addressees=tuple(addressees),
        plan_title=plan_title,
        preamble=normalise_ws(" ".join(preamble)),
    )
