"""Chunk stage: one LangChain ``Document`` per measure (never split, never merged), plus one per
section objective and one for the circular's header.

The embedded text carries its context (section title, agencies); the metadata carries what
retrieval filters on. Chroma metadata holds scalars only, so agency membership is one boolean
key per agency: ``agency_GAC: True``.
"""

from __future__ import annotations

import re
from pathlib import Path

from langchain_core.documents import Document

from index.agencies import Registry
from index.parse import Measure, Plan


def agency_key(registry: Registry, name: str) -> str:
    """Metadata key for an agency's membership flag: ``agency_<first abbreviation>``."""
    agency = registry.get(name)
    tag = agency.abbreviations[0] if agency.abbreviations else re.sub(r"\W+", "_", name)
    return f"agency_{tag}"


def measure_id(doc_id: str, number: int) -> str:
    return f"{doc_id}:measure:{number}"


def measure_document(m: Measure, registry: Registry) -> Document:
    """The document for one measure."""
    content = f"Measure {m.number}. Section {m.section}: {m.section_title}.\n{m.text}\nResponsible: {m.responsibility}."
    metadata: dict = {
        "doc_id": m.doc_id,
        "kind": "measure",
        "number": m.number,
        "section": m.section,
        "section_title": m.section_title,
        "lead_agency": m.lead_agency or "",
        "agencies": "; ".join(m.agencies),
        "other_parties": "; ".join(m.other_parties),
        "text": m.text,
    }
    for name in m.agencies:
        metadata[agency_key(registry, name)] = True
    return Document(page_content=content, metadata=metadata, id=measure_id(m.doc_id, m.number))


def load_expansions(path: Path) -> dict[int, dict]:
    """``data/expansions.yaml``: measure number -> {"questions": [...], "keywords": [...]}; {} if absent."""
    if not Path(path).exists():
        return {}
    from index.schemas import ExpansionFile, load_yaml

    data = load_yaml(path, ExpansionFile)
    return {n: e.model_dump() if e else {} for n, e in data.measures.items()}


def expansion_documents(plan: Plan, expansions: dict[int, dict]) -> list[Document]:
    """One document per plain-language question of a measure, and one for its keywords.

    They are searched beside the measure (dense score = best of the measure and its expansions),
    so everyday wording ("borrow money against patents") finds the plan's ("patent pledging").
    """
    docs = []
    for m in plan.measures:
        e = expansions.get(m.number) or {}
        texts = [*e.get("questions", []), "; ".join(e.get("keywords", []))]
        for i, text in enumerate(t for t in texts if t.strip()):
            docs.append(
                Document(
                    page_content=text,
                    metadata={"doc_id": m.doc_id, "kind": "expansion", "number": m.number, "section": m.section},
                    id=f"{m.doc_id}:expansion:{m.number}:{i}",
                )
            )
    return docs


def load_clause_expansions(path: Path) -> dict[tuple[int, int], dict]:
    """``data/clause_expansions.yaml``: (measure, clause) -> {"plain": [...], "keywords": [...], "informal": [...]};
    {} if absent."""
    if not Path(path).exists():
        return {}
    from index.schemas import ClauseExpansionFile, load_yaml

    data = load_yaml(path, ClauseExpansionFile)
    return {
        (n, e.clause): {"plain": e.plain, "keywords": e.keywords, "informal": e.informal}
        for n, rows in data.measures.items()
        for e in rows
    }


def clause_texts(plan: Plan, clause_expansions: dict[tuple[int, int], dict]) -> list[tuple[int, int, str, str]]:
    """(measure, clause, kind, text) for every clause and each of its plain-language paraphrases.

    Clauses come from :func:`index.clauses.split_clauses`, the split the answer's highlight uses."""
    from index.clauses import opening_verbs, split_clauses

    verbs = opening_verbs(m.text for m in plan.measures)
    rows = []
    for m in plan.measures:
        for c in split_clauses(m.number, m.text, verbs):
            rows.append((m.number, c.index, "clause", c.text))
            e = clause_expansions.get((m.number, c.index)) or {}
            rows += [(m.number, c.index, "clause_expansion", t) for t in e.get("plain", []) if t.strip()]
            if e.get("keywords"):
                rows.append((m.number, c.index, "clause_expansion", "; ".join(e["keywords"])))
            if e.get("informal"):  # meaning only: no word of the plan's (see assistant/topic.py)
                rows.append((m.number, c.index, "clause_informal", "; ".join(e["informal"])))
    return rows


def clause_documents(plan: Plan, clause_expansions: dict[tuple[int, int], dict]) -> list[Document]:
    """One document per clause and per plain paraphrase of a clause, with measure and clause in metadata."""
    docs = []
    for i, (number, clause, kind, text) in enumerate(clause_texts(plan, clause_expansions)):
        docs.append(
            Document(
                page_content=text,
                metadata={"doc_id": plan.doc_id, "kind": kind, "number": number, "clause": clause},
                id=f"{plan.doc_id}:{kind}:{number}:{clause}:{i}",
            )
        )
    return docs


def documents(
    plan: Plan,
    registry: Registry,
    expansions: dict[int, dict] | None = None,
    clause_expansions: dict[tuple[int, int], dict] | None = None,
) -> list[Document]:
    """All documents for a plan: measures, their expansions, clauses, section objectives, header."""
    docs = [measure_document(m, registry) for m in plan.measures]
    docs += expansion_documents(plan, expansions or {})
    docs += clause_documents(plan, clause_expansions or {})
    for s in plan.sections:
        docs.append(
            Document(
                page_content=f"Section {s.numeral}: {s.title}. Objectives and tasks: {s.objectives}",
                metadata={
                    "doc_id": plan.doc_id,
                    "kind": "section",
                    "section": s.numeral,
                    "section_title": s.title,
                    "text": s.objectives,
                    "measures": ",".join(map(str, s.measures)),
                },
                id=f"{plan.doc_id}:section:{s.numeral}",
            )
        )
    h = plan.header
    docs.append(
        Document(
            page_content=(
                f"{h.title}. Document number {h.document_number}. Dated {h.date}. "
                f"{h.plan_title}: {len(plan.sections)} sections, {len(plan.measures)} measures. "
                f"Addressed to: {', '.join(h.addressees)}. {h.preamble}"
            ),
            metadata={
                "doc_id": plan.doc_id,
                "kind": "header",
                "title": h.title,
                "document_number": h.document_number,
                "date": h.date,
                "text": h.preamble,
            },
            id=f"{plan.doc_id}:header",
        )
    )
    return docs
