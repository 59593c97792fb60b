"""Write stage: turn a routing decision into a cited answer, one measure at a time.

For each measure the model writes one sentence from that measure alone; code then checks it
(citation guard, groundedness) and falls back to an extractive sentence when it is not usable.
Quotes always come from the plan, never from the model.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant import nearby, prompts
from assistant.checks import GROUNDED, check_sentence, extractive_sentence, groundedness, guard_citations  # noqa: F401
from assistant.highlight import Highlighter, Span, dense_clauses, highlight_topic, mark
from assistant.llm import LLM, BackendError
from assistant.normalize import normalize_text
from assistant.render import Renderer
from assistant.render_zh import ChineseRenderer
from assistant.retrieve import Abstain, Hit, Retriever
from assistant.sentences import SentenceWriter, focus_for, measure_messages
from index.config import Settings
from index.parse import Measure


@dataclass(frozen=True)
class Citation:
    """A cited measure with its verbatim quote and responsible agencies."""

    measure: int
    quote: str
    agencies: list[str]
    section: str = ""
    lead_agency: str = ""
    source: str = "model"  # "model" or "extractive": who wrote the sentence
    pointer: bool = False  # not an answer: a measure on the topic that the asked agency is not part of
    highlights: list[Span] = field(default_factory=list)  # the answering clauses: (start, end) in ``quote``

    def to_json(self) -> dict:
        out = {"measure": self.measure, "quote": self.quote, "agencies": self.agencies}
        if self.pointer:
            out["pointer"] = True
        if self.highlights:
            out["highlights"] = [list(s) for s in self.highlights]
        return out


@dataclass
class Answer:
    """What the assistant answered, with citations, abstention, route and timings (seconds)."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    route: str = ""
    timings: dict = field(default_factory=dict)
    notice: str = ""
    backend: str = ""
    id: str | None = None
    query: dict | None = None  # the parsed question (assistant/query.py), for debugging misroutes
    filters: str = ""  # the retriever's "Filtered: …" note when the chat's filters narrowed the answer

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "abstained": self.abstained,
            "route": self.route,
            "timings": self.timings,
            "notice": self.notice,
            "backend": self.backend,
            "query": self.query,
            "filters": self.filters,
        }


@dataclass(frozen=True)
class Event:
    """A streamed piece: ``delta`` text as it is produced, then ``done`` with the final answer."""

    kind: str  # "delta" | "done"
    text: str = ""
    answer: Answer | None = None


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,300}>")
_CODE = re.compile(r"<(script|style)\b[^>]{0,300}>.{0,2000}?</\1\s*>", re.I | re.S)  # code, not words


def clean_question(question: str) -> str:
    """Drop terminal escapes, HTML/script tags and control characters; keep every script's letters.

    ``"<b>What</b> must Customs do?\x1b[31m" -> "What must Customs do?"``;
    ``"<script>x()</script> Customs tasks?" -> "Customs tasks?"``
    """
    question = _TAG.sub(" ", _CODE.sub(" ", _ANSI.sub("", normalize_text(question))))
    question = "".join(ch if ch.isprintable() else " " for ch in question)
    return " ".join(question.split())


def quote_block(hit: Hit, spans: list[Span] | None = None) -> str:
    """The verbatim quote with section and roles, as markdown; the answering clauses in bold."""
    m = hit.measure
    parties = m.lead_agency or ""
    co = [*m.agencies[1:], *m.other_parties]
    roles = f"Lead: {parties}" + (f"; with {', '.join(co)}" if co else "")
    return f"> {mark(m.text, spans or [])}\n>\n> — Section {m.section} · {roles}"


def compact_line(hit: Hit, sentence: str, spans: list[Span], role: str) -> str:
    """One measure of a compact answer: its number, role, and the answering clause (verbatim, in
    quotation marks) or else the sentence without its own citation.

    ``- **[49]** *lead: SAIC* · “keep improving the working mechanism of …”``
    """
    m = hit.measure
    clause = "“" + " … ".join(m.text[a:b] for a, b in spans) + "”"
    text = clause if spans else guard_citations(sentence, set())  # the line's number leads: no citation inside
    return f"- **[{m.number}]** *{role}* · {text}\n"


def by_section(hits: list[Hit]) -> list[tuple[int, Hit]]:
    """Hits grouped by section, sections in the order of their best hit, each hit with its position.

    sections of the hits ``[IV, I, IV]`` -> ``[(0, IV), (2, IV), (1, I)]``
    """
    order = {s: k for k, s in enumerate(dict.fromkeys(h.measure.section for h in hits))}
    return sorted(enumerate(hits), key=lambda ih: (order[ih[1].measure.section], ih[0]))


def quotes_details(summary: str, blocks: list[str]) -> str:
    """A section's full quotes, one click away: a ``<details>`` block around markdown (blank lines
    around it so the chat's markdown renders inside)."""
    return f"\n<details><summary>{summary}</summary>\n\n" + "\n".join(blocks) + "\n</details>\n"


# ---------------------------------------------------------------- the assistant


class Assistant:
    """Retrieve -> write one sentence per measure -> check -> assemble, streaming."""

    def __init__(
        self,
        retriever: Retriever,
        llm: LLM | None,
        settings: Settings | None = None,
        writer: SentenceWriter | None = None,
    ):
        self.retriever = retriever
        self.llm = llm
        self.settings = settings or retriever.settings
        self.writer = writer or SentenceWriter()  # no cache unless given one: every sentence live
        self.warmer = None
        self.render = Renderer(retriever.plan, retriever.registry)
        self.highlighter = Highlighter(retriever.plan, retriever.calibration.generic_df)
        self.render_zh = ChineseRenderer(retriever.plan, retriever.registry)  # for questions asked in Chinese

    @classmethod
    def open(cls, settings: Settings | None = None, llm: LLM | str | None = None) -> Assistant:
        """Open the index (building it if needed), the configured LLM backend and the sentence cache."""
        from assistant.llm import load_llm
        from assistant.sentences import open_cache
        from index.build import index_version, manifest_for

        settings = settings or Settings.from_env()
        retriever = Retriever.open(settings, quiet=False)
        backend = llm if isinstance(llm, LLM) else load_llm(llm or settings.llm, settings)
        version = index_version(manifest_for(settings, retriever.plan, retriever.registry))
        return cls(retriever, backend, settings, SentenceWriter(open_cache(settings), version))

    def start_warming(self):
        """Fill the sentence cache in a background thread (the chat answers meanwhile)."""
        from assistant.sentences import warm_jobs

        if self.llm is not None and self.writer.cache is not None and self.warmer is None:
            jobs = warm_jobs(self.retriever.plan, self.retriever.registry)
            self.warmer = self.writer.warm_in_background(self.llm, jobs)
        return self.warmer

    def ask(self, question: str, history: list[dict] | None = None, filters: dict | None = None) -> Answer:
        """The full answer (drains :meth:`stream`)."""
        answer = None
        for event in self.stream(question, history, filters):
            if event.kind == "done":
                answer = event.answer
        assert answer is not None
        return answer

    def stream(self, question: str, history: list[dict] | None = None, filters: dict | None = None) -> Iterator[Event]:
        """Yield the answer as it is written: lead line, then one cited block per measure."""
        t0 = time.perf_counter()
        notice = ""
        limit = self.settings.max_question_chars
        if len(question) > limit:
            notice = prompts.TRUNCATED.format(n=len(question), limit=limit)
            question = question[:limit]
        question = clean_question(question)
        result = self.retriever.retrieve(question, history, filters)
        timings = {"retrieval_s": round(result.seconds, 4)}
        parts: list[str] = []
        first: list[float] = []

        def emit(text: str) -> Event:
            if not first:
                first.append(time.perf_counter() - t0)
            parts.append(text)
            return Event("delta", text)

        if notice:
            yield emit(f"*{notice}*\n\n")
        if result.route == "empty":
            yield emit(prompts.EMPTY_QUESTION.format(year=self.retriever.plan.header.year))
            yield self._done(question, parts, [], True, result, timings, t0, first, notice)
            return
        pointing = False  # the blocks below are pointers to other agencies' measures, not the answer
        # the asker's language: Chinese first lines, counts, abstentions and notices; quotes stay verbatim
        render = self.render_zh if result.query is not None and result.query.language == "zh" else self.render
        if result.ask == "yes_no" and result.yes is False:  # "No", then where the plan does cover it
            yield emit(render.lead_line(result) + "\n")
            if not (result.abstain == Abstain.NO_TOPIC and result.pointers):
                abstained = result.abstain == Abstain.OUT_OF_SCOPE and not result.agencies
                yield self._done(question, parts, [], abstained, result, timings, t0, first, notice)
                return
            result.hits = result.pointers
            pointing = True
        elif result.abstain == Abstain.NO_TOPIC and result.pointers:  # not a bare abstention: point elsewhere
            yield emit(render.abstain_text(result) + " " + render.pointers_line() + "\n")
            result.hits = result.pointers  # a list question's answer: the measures that do concern it
        elif result.abstain:
            yield emit(render.abstain_text(result) + self._offer(result, question, history, render))
            yield self._done(question, parts, [], True, result, timings, t0, first, notice)
            return
        elif result.route == "document":
            yield emit(render.document_text(result))
            yield self._done(question, parts, [], False, result, timings, t0, first, notice)
            return
        else:
            yield emit(render.lead_line(result) + "\n")
        citations: list[Citation] = []
        allowed = set(result.numbers)
        gen_s, calls, backend_error = 0.0, 0, ""
        compact = len(result.hits) > self.settings.compact_above  # one line per measure, quotes one click away
        grouped = compact or len(result.hits) > self.settings.max_generated
        section, quotes = None, []  # a compact answer's quotes of the section being written
        topic = highlight_topic(result)
        dense = dense_clauses(result.scores) if topic else {}
        written = None  # cached sentences are ready at once; misses are written as the answer streams
        if self.llm is not None:
            measures = [h.measure for h in result.hits[: self.settings.max_generated]]
            written = self.writer.start(self.llm, measures, focus_for(result), allowed)
        for i, hit in by_section(result.hits) if grouped else enumerate(result.hits):
            m = hit.measure
            if grouped and m.section != section:
                if quotes:
                    yield emit(quotes_details(render.quotes_summary(section, len(quotes)), quotes))
                section, quotes = m.section, []
                yield emit(f"\n#### Section {m.section}: {m.section_title}\n")
            sentence, source = None, "extractive"
            if written is not None and i < len(written) and not backend_error:
                g0 = time.perf_counter()
                try:
                    got = written.result(i)  # checked (citation guard, groundedness), cached or live
                    sentence, source = got.sentence, got.source
                    calls += not got.cached
                    timings["cache_hits"] = timings.get("cache_hits", 0) + got.cached
                except BackendError as exc:
                    backend_error = str(exc)
                    written.cancel()
                    calls += 1
                gen_s += time.perf_counter() - g0
            if backend_error and not notice:
                notice = render.notice("BACKEND_FAILED", backend=self.llm.name, error=backend_error[:160])
                yield emit(f"\n*{notice}*\n")
            spans = self.highlighter.spans(m, topic, dense.get(m.number)) if topic else []
            sentence = sentence or extractive_sentence(m, spans)
            role = f" *({hit.role})*" if hit.role else ""
            if compact:
                yield emit(compact_line(hit, sentence, spans, render.role_note(hit)))
                quotes.append(f"**[{m.number}]**{role}\n{quote_block(hit, spans)}\n")
            else:
                yield emit(f"\n**[{m.number}]**{role} {sentence}\n{quote_block(hit, spans)}\n")
            timings.setdefault("first_sentence_s", round(time.perf_counter() - t0, 4))
            # The quote is the plan's own text, never the model's.
            citations.append(
                Citation(m.number, m.text, list(m.agencies), m.section, m.lead_agency or "", source, pointing, spans)
            )
        if quotes:
            yield emit(quotes_details(render.quotes_summary(section, len(quotes)), quotes))
        timings.update({"generation_s": round(gen_s, 4), "llm_calls": calls})
        yield self._done(question, parts, citations, False, result, timings, t0, first, notice)

    # ------------------------------------------------------------ pieces

    def _offer(self, result, question: str, history, render: Renderer) -> str:
        """After a bare refusal: the closest measures (with real evidence), this plan's measures on another
        year's question, or what to try instead; "" for refusals that need nothing more."""
        if result.abstain == Abstain.OUT_OF_SCOPE:
            near = nearby.closest(result, self.retriever.calibration)
            if near:
                return "\n\n" + render.closest_line(result.topic or question, near)
            return "\n\n" + render.try_instead()
        if result.abstain == Abstain.OTHER_YEAR:
            again = self.retriever.retrieve(nearby.without_year(question), history)
            if again.hits and not again.abstain and again.route not in ("other_year", "empty"):
                return "\n\n" + render.this_year_line(again.numbers[:6])
            return "\n\n" + render.try_instead()
        if result.abstain == Abstain.UNKNOWN_AGENCY:
            return "\n\n" + render.try_instead()
        return ""

    def _messages(self, m: Measure, focus: str = "") -> list[dict]:
        return measure_messages(m, focus)  # (measure, focus) only, so the reply can be cached

    def _done(self, question, parts, citations, abstained, result, timings, t0, first, notice) -> Event:
        timings["total_s"] = round(time.perf_counter() - t0, 4)
        timings["first_token_s"] = round(first[0], 4) if first else timings["total_s"]
        answer = Answer(
            question=question,
            text="".join(parts).strip(),
            citations=citations,
            abstained=abstained,
            route=result.route,
            timings=timings,
            notice=notice,
            backend=self.llm.name if self.llm else "none",
            query=result.query.to_json() if result.query else None,
            filters=next((n for n in result.notes if n.startswith("Filtered")), ""),
        )
        return Event("done", answer=answer)
