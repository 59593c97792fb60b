"""Conversation state as data: what the previous answer cited and what the previous question meant.

Assistant turns may carry ``"citations": [int]`` and ``"query": {...}`` (the parsed query the
answer was given for; the CLI's ``--history``, batch files, the chat's state and the ``/ask`` API
all accept both). Without citations the ``[n]`` markers in the text are read; without a query the
previous question is parsed again, with the history before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.text import cited

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
    query: dict | None = None


@dataclass(frozen=True)
class State:
    """What a follow-up can refer to: the last answer's ordered citations, query and question."""

    citations: tuple[int, ...] = ()
    question: str = ""  # the last user question
    query: dict | None = None  # the parsed query of the last answer, when the client kept it
    before: tuple[dict, ...] = field(default=(), repr=False)  # the history before the last question
    turns: tuple[Turn, ...] = field(default=(), repr=False)

    @property
    def empty(self) -> bool:
        return not self.citations and not self.question

    def query_obj(self):
        """The previous query as a :class:`~assistant.understand.query.Query`, or None if unreadable."""
        from assistant.understand.query import Ask, Constraint, Query, Rank

        try:
            data = self.query or {}
            q = Query(text=str(data.get("text", self.question)))
            q.ask = Ask(data.get("ask", "measures"))
            q.rank = Rank(data["rank"]) if data.get("rank") else None
            q.among_ministries = bool(data.get("among_ministries"))
            q.constraints = [Constraint.from_json(c) for c in data.get("constraints", [])]
            return q
        except (KeyError, ValueError, TypeError, AttributeError):
            return None


def cited_in(text: str) -> list[int]:
    """Measure numbers cited as ``[n]`` in a text, in order, each once: ``"[32] x [33] [32]" -> [32, 33]``."""
    return cited(text)


def _content(raw) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):  # Gradio message parts
        return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in raw)
    if isinstance(raw, dict):
        return str(raw.get("text") or raw.get("value") or "")
    return ""


def state_from(history: list[dict] | None) -> State:
    """The conversation state from a history of ``{"role", "content", "citations"?, "query"?}`` turns."""
    turns: list[Turn] = []
    raw_turns = [t for t in (history or []) if isinstance(t, dict)] if isinstance(history, list) else []
    for t in raw_turns:
        content = _content(t.get("content"))
        given = t.get("citations")
        cites = valid_citations(given if isinstance(given, list) else cited_in(content))
        query = t.get("query") if isinstance(t.get("query"), dict) else None
        turns.append(Turn(str(t.get("role", "")), content, cites, query))
    citations: tuple[int, ...] = ()
    question = ""
    query = None
    before: tuple[dict, ...] = ()
    for i in range(len(turns) - 1, -1, -1):
        t = turns[i]
        if t.role == "assistant" and not citations and not question:
            citations = t.citations
            query = t.query
        if t.role == "user":
            question = t.content
            before = tuple(raw_turns[:i])
            break
    return State(citations, question, query, before, tuple(turns))
