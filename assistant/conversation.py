"""Conversation state as data: what the previous answer cited and which agencies it was about.

Assistant turns may carry ``"citations": [int]`` (the CLI's ``--history``, batch files, the chat's
state and the ``/ask`` API all accept it); without it the ``[n]`` markers in the text are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CITE = re.compile(r"\[(\d{1,3})\]")
MEASURES = 90  # the plan's measure numbers run 1..MEASURES; citations outside are dropped


def valid_citations(raw) -> tuple[int, ...]:
    """Measure numbers in range, in order, each once: ``[54, 62, 54, 0, -5, "7", True, 95] -> (54, 62)``."""
    return tuple(dict.fromkeys(n for n in raw if type(n) is int and 1 <= n <= MEASURES))


@dataclass(frozen=True)
class Turn:
    """One chat turn."""

    role: str
    content: str
    citations: tuple[int, ...] = ()


@dataclass(frozen=True)
class State:
    """What a follow-up can refer to: the last answer's ordered citations and the last question."""

    citations: tuple[int, ...] = ()
    question: str = ""  # the last user question
    turns: tuple[Turn, ...] = field(default=(), repr=False)

    @property
    def empty(self) -> bool:
        return not self.citations and not self.question


def cited_in(text: str) -> list[int]:
    """Measure numbers cited as ``[n]`` in a text, in order, each once: ``"[32] x [33] [32]" -> [32, 33]``."""
    return list(dict.fromkeys(int(n) for n in _CITE.findall(text)))


def _content(raw) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):  # Gradio message parts
        return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in raw)
    if isinstance(raw, dict):
        return str(raw.get("text") or raw.get("value") or "")
    return ""


def state_from(history: list[dict] | None) -> State:
    """The conversation state from a history of ``{"role", "content", "citations"?}`` turns."""
    turns: list[Turn] = []
    for t in history or []:
        if not isinstance(t, dict):
            continue
        content = _content(t.get("content"))
        given = t.get("citations")
        cites = valid_citations(given if isinstance(given, list) else cited_in(content))
        turns.append(Turn(str(t.get("role", "")), content, cites))
    citations: tuple[int, ...] = ()
    question = ""
    for t in reversed(turns):
        if t.role == "assistant" and not citations and not question:
            citations = t.citations
        if t.role == "user":
            question = t.content
            break
    return State(citations, question, tuple(turns))
