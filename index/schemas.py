"""Schemas of the data files: ``data/agencies.yaml``, ``data/expansions.yaml``, ``data/glossary_zh.yaml``
and ``assistant/calibration.json``, each read through a pydantic model.

An unknown key or a wrong type fails to load with the file, the line and the key:
``data/agencies.yaml:42: agencies.3.rolez: Extra inputs are not permitted`` — never silently ignored.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

M = TypeVar("M", bound=BaseModel)


class DataFileError(ValueError):
    """A data file that does not match its schema (the message names the file, line and key)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SuccessorEntry(Strict):
    """A name a 2012 body carries today."""

    name: str
    abbreviations: list[str] = []
    short_names: list[str] = []
    chinese: list[str] = []
    since: int | None = None


class AgencyEntry(Strict):
    """One agency of ``data/agencies.yaml`` (see the comment at the top of that file)."""

    name: str
    abbreviations: list[str] = []
    short_names: list[str] = []
    chinese: list[str] = []
    case_sensitive: list[str] = []
    description: str = ""
    roles: list[str] = []
    successors: list[SuccessorEntry] = []


class AgencyFile(Strict):
    agencies: list[AgencyEntry]


class ExpansionEntry(Strict):
    """How staff would ask about one measure in everyday words (doc2query)."""

    questions: list[str] = []
    keywords: list[str] = []


class ExpansionFile(Strict):
    measures: dict[int, ExpansionEntry | None] = {}


class ClauseEntry(Strict):
    """Plain-language paraphrases and keywords for one clause of a measure (0-based ``clause``), and the
    informal words (casual verbs, slang, everyday nouns) a member of the public would use for it."""

    clause: int
    plain: list[str] = []
    keywords: list[str] = []
    informal: list[str] = []


class ClauseExpansionFile(Strict):
    measures: dict[int, list[ClauseEntry]] = {}


class GlossaryFile(Strict):
    terms: dict[str, str] = {}


def _yaml_line(node: yaml.Node | None, loc: tuple) -> int | None:
    """The 1-based line of the deepest key of ``loc`` found in a composed YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if found is None:
                break
            node, line = found[1], found[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _json_line(text: str, loc: tuple) -> int | None:
    """The line of the last key of ``loc`` in a JSON text (its first occurrence as a key)."""
    keys = [p for p in loc if isinstance(p, str)]
    if not keys:
        return 1
    m = re.search(rf'"{re.escape(keys[-1])}"\s*:', text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _error(path: Path, exc: ValidationError, line_of) -> DataFileError:
    problems = []
    for e in exc.errors():
        loc = tuple(p for p in e["loc"] if p not in ("[key]",))
        key = ".".join(map(str, loc)) or "(top level)"
        problems.append(f"{path}:{line_of(loc) or '?'}: {key}: {e['msg']}")
    return DataFileError("; ".join(problems))


def load_yaml(path: Path | str, model: type[M]) -> M:
    """Read a YAML file through ``model``; raises ``DataFileError`` naming the file, line and key."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DataFileError(f"{path}: not YAML ({exc})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        tree = yaml.compose(text)
        raise _error(path, exc, lambda loc: _yaml_line(tree, loc)) from None


def calibration_model(cls: type) -> type[BaseModel]:
    """A strict model of ``calibration.json`` from the ``Calibration`` dataclass (plus what was fitted on)."""
    hints = get_type_hints(cls)
    fields: dict[str, Any] = {f.name: (hints[f.name], f.default) for f in dataclasses.fields(cls)}
    fields |= {"dev_accuracy": (float | None, None), "dev_questions": (int | None, None)}
    return create_model("CalibrationFile", __config__=ConfigDict(extra="forbid"), **fields)


def load_calibration(path: Path | str, cls: type) -> dict:
    """``calibration.json`` validated against the ``Calibration`` dataclass ``cls``: the keys it sets."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None
    try:
        return calibration_model(cls).model_validate(data).model_dump(exclude_unset=True)
    except ValidationError as exc:
        raise _error(path, exc, lambda loc: _json_line(text, loc)) from None


def load_glossary(path: Path | str) -> dict[str, str]:
    """``data/glossary_zh.yaml``: Chinese term -> the plan's English wording; {} if the file is absent."""
    return load_yaml(path, GlossaryFile).terms if Path(path).exists() else {}
