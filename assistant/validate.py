"""Input validation at the edge of the ``/ask`` API: a question and the chat history it follows.

Scripts call ``/ask`` with whatever JSON they like. Everything is checked here, once, against
pydantic models, so the stages behind it only ever see a string question and well-formed turns:
only the roles ``user`` and ``assistant``, string contents, and citations that are measure
numbers (de-duplicated, in order, capped). Anything else is an :class:`InvalidInput` whose
message says which field is wrong and why, never a traceback.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from assistant.conversation import MEASURES

MAX_TURNS = 10_000  # a longer history is a paste gone wrong; 5,000 turns answer in 0.1 s


class InvalidInput(ValueError):
    """The request does not have the documented shape; the message says what to fix."""


def _encodable(text: str) -> str:
    """Lone surrogates (JSON allows ``"\\ud800"``) become ``?``: no encoder downstream accepts them."""
    return text.encode("utf-8", "replace").decode("utf-8")


Text = Annotated[StrictStr, AfterValidator(_encodable)]


class Turn(BaseModel):
    """One earlier chat turn. Unknown keys (Gradio's ``metadata``, ``options``) are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    role: Literal["user", "assistant"]
    content: Text
    citations: list[StrictInt] | None = None  # the measures an assistant turn cited, in order
    query: dict[str, Any] | None = None  # the parsed query the answer was given for (``ask --json``'s "query")

    def to_dict(self) -> dict:
        turn: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.citations is not None:
            turn["citations"] = list(self.citations)
        if self.query is not None:
            turn["query"] = self.query
        return turn


class AskRequest(BaseModel):
    """The ``/ask`` call: ``question`` and optional ``history`` (``None`` means no history)."""

    question: Text
    history: list[Turn] = Field(default_factory=list, max_length=MAX_TURNS)


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'…' if len(text) > 40 else ''}"


def _message(exc: ValidationError) -> str:
    """``history.2.role: Input should be 'user' or 'assistant' (got str 'system')`` for the first errors."""
    parts = []
    for err in exc.errors(include_url=False)[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "input"
        parts.append(f"{where}: {err['msg']} (got {_describe(err.get('input'))})")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def ask_request(question: Any, history: Any = None, measures: int = MEASURES) -> AskRequest:
    """The checked request, or :class:`InvalidInput` with a message naming the field.

    Citations must be integers 1..``measures``; repeats are dropped (first kept), so no turn
    carries more than ``measures`` of them.

    ``ask_request("Which of them?", [{"role": "assistant", "content": "…", "citations": [54, 62, 54]}])``
    -> history[0].citations == [54, 62]
    """
    try:
        request = AskRequest.model_validate({"question": question, "history": [] if history is None else history})
    except ValidationError as exc:
        raise InvalidInput(f"Invalid /ask input: {_message(exc)}.") from None
    turns = []
    for i, turn in enumerate(request.history):
        if turn.citations is None:
            turns.append(turn)
            continue
        bad = [n for n in turn.citations if not 1 <= n <= measures]
        if bad:
            shown = ", ".join(str(n)[:24] for n in bad[:3])
            raise InvalidInput(
                f"Invalid /ask input: history.{i}.citations: {shown} is not a measure number "
                f"(the plan has 1–{measures})."
            )
        turns.append(turn.model_copy(update={"citations": list(dict.fromkeys(turn.citations))[:measures]}))
    return request.model_copy(update={"history": turns})
