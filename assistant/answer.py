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

from assistant import prompts
from assistant.llm import LLM, BackendError
from assistant.normalize import normalize_text
from assistant.retrieve import Abstain, Hit, Retrieval, Retriever, Route
from assistant.sentences import SentenceWriter, focus_for, measure_messages
from assistant.text import terms
from index.config import Settings
from index.parse import Measure

MAX_GENERATED = 6  # measures the model writes for; a broad set's rest gets extractive sentences
GROUNDED = 0.6  # share of a model sentence's content words that must occur in its measure


@dataclass(frozen=True)
class Citation:
    """A cited measure with its verbatim quote and responsible agencies."""

    measure: int
    quote: str
    agencies: list[str]
    section: str = ""
    lead_agency: str = ""
    source: str = "model"  # "model" or "extractive": who wrote the sentence

    def to_json(self) -> dict:
        return {"measure": self.measure, "quote": self.quote, "agencies": self.agencies}


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
        }


@dataclass(frozen=True)
class Event:
    """A streamed piece: ``delta`` text as it is produced, then ``done`` with the final answer."""

    kind: str  # "delta" | "done"
    text: str = ""
    answer: Answer | None = None


# ---------------------------------------------------------------- checks (pure functions)

_CITE = re.compile(r"\[(\d{1,3})\]")


def guard_citations(sentence: str, allowed: set[int]) -> str:
    """Remove every ``[n]`` that is not a retrieved measure. ``"x [7] [99]", {7} -> "x [7]"``."""
    cleaned = _CITE.sub(lambda m: m.group(0) if int(m.group(1)) in allowed else "", sentence)
    return re.sub(r"\s+([.,;])", r"\1", re.sub(r"\s{2,}", " ", cleaned)).strip()


def groundedness(sentence: str, measure: Measure) -> float:
    """Share of the sentence's content words found in the measure (text, section, agencies)."""
    words = [w for w in terms(_CITE.sub(" ", sentence)) if w not in {"require", "requir", "ask", "call", "aim"}]
    if not words:
        return 0.0
    source = set(terms(f"{measure.text} {measure.section_title} {' '.join(measure.agencies)}"))
    return sum(w in source for w in words) / len(words)


_LEADING_REF = re.compile(r"^(?:the\s+)?(?:measures?|item)\s*\[(\d{1,3})\]\s*", re.I)


def check_sentence(raw: str, measure: Measure, allowed: set[int]) -> str | None:
    """The model's sentence if usable (cites this measure, grounded, sane), else None.

    "The measure [32] requires Customs to improve ..." -> "It requires Customs to improve ... [32]."
    """
    text = " ".join(raw.split("\n")[0].split())
    text = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text, maxsplit=1)[0]  # the first sentence only
    marker = f"[{measure.number}]"
    text = guard_citations(text, allowed)
    if marker not in text:
        return None
    text = _LEADING_REF.sub("It ", text).replace(marker, "").rstrip(" .")
    text = re.sub(r"\s{2,}", " ", text).replace(" ,", ",")
    if _CITE.search(text) or not 4 <= len(text.split()) <= 60:  # cites other measures: mixed up
        return None
    if sum(not (c.isascii() or c in "–—’‘“”") for c in text) > 3:  # garbled / other script
        return None
    if groundedness(text, measure) < GROUNDED:
        return None
    return f"{text} {marker}."


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,300}>")
_CODE = re.compile(r"<(script|style)\b[^>]{0,300}>.{0,2000}?</\1\s*>", re.I | re.S)  # code, not words


def clean_question(question: str) -> str:
    """Drop terminal escapes, HTML/script tags and control characters; keep every script's letters.

    ``"<b>What</b> must Customs do?\x1b[31m" -> "What must Customs do?"``;
    ``"<script>alert(1)</script> What must Customs do?" -> "What must Customs do?"``
    """
    question = _TAG.sub(" ", _CODE.sub(" ", _ANSI.sub("", normalize_text(question))))
    question = "".join(ch if ch.isprintable() else " " for ch in question)
    return " ".join(question.split())


def extractive_sentence(measure: Measure) -> str:
    """A sentence built from the measure itself: lead agency + its first clause."""
    clause = re.split(r",\s|;\s", measure.text, maxsplit=1)[0].rstrip(".")
    if len(clause.split()) < 4:
        clause = measure.text.rstrip(".")
    if clause[:1].isupper() and not clause[1:2].isupper():
        clause = clause[:1].lower() + clause[1:]
    subject = measure.lead_agency or "The responsible agencies"
    return prompts.EXTRACTIVE_SENTENCE.format(subject=subject, clause=clause, number=measure.number)


def quote_block(hit: Hit) -> str:
    """The verbatim quote with section and roles, as markdown."""
    m = hit.measure
    parties = m.lead_agency or ""
    co = [*m.agencies[1:], *m.other_parties]
    roles = f"Lead: {parties}" + (f"; with {', '.join(co)}" if co else "")
    return f"> {m.text}\n>\n> — Section {m.section} · {roles}"


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
        if result.abstain == Abstain.NO_TOPIC and result.pointers:  # not a bare abstention: point elsewhere
            yield emit(self._abstain_text(result) + " " + prompts.POINTERS + "\n")
            result.hits = result.pointers
        elif result.abstain:
            yield emit(self._abstain_text(result))
            yield self._done(question, parts, [], True, result, timings, t0, first, notice)
            return
        if result.route == "document":
            yield emit(self._document_text(result))
            yield self._done(question, parts, [], False, result, timings, t0, first, notice)
            return

        yield emit(self._lead_line(result) + "\n")
        citations: list[Citation] = []
        allowed = set(result.numbers)
        gen_s, calls, backend_error = 0.0, 0, ""
        grouped = len(result.hits) > MAX_GENERATED
        section = None
        written = None  # cached sentences are ready at once; misses are written as the answer streams
        if self.llm is not None:
            measures = [h.measure for h in result.hits[:MAX_GENERATED]]
            written = self.writer.start(self.llm, measures, focus_for(result), allowed)
        for i, hit in enumerate(result.hits):
            m = hit.measure
            if grouped and m.section != section:
                section = m.section
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
                notice = prompts.BACKEND_FAILED.format(backend=self.llm.name, error=backend_error[:160])
                yield emit(f"\n*{notice}*\n")
            sentence = sentence or extractive_sentence(m)
            role = f" *({hit.role})*" if hit.role else ""
            yield emit(f"\n**[{m.number}]**{role} {sentence}\n{quote_block(hit)}\n")
            timings.setdefault("first_sentence_s", round(time.perf_counter() - t0, 4))
            # The quote is the plan's own text, never the model's.
            citations.append(Citation(m.number, m.text, list(m.agencies), m.section, m.lead_agency or "", source))
        timings.update({"generation_s": round(gen_s, 4), "llm_calls": calls})
        yield self._done(question, parts, citations, False, result, timings, t0, first, notice)

    # ------------------------------------------------------------ pieces

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
        )
        return Event("done", answer=answer)

    def _label(self, name: str) -> str:
        agency = self.retriever.registry.by_name.get(name)
        return agency.label if agency else name

    def _lead_line(self, r: Retrieval) -> str:
        n = len(r.hits)
        plural = "measure" if n == 1 else "measures"
        label = self._label(r.agencies[0]) if r.agencies else ""
        if r.abstain == Abstain.NO_TOPIC:
            return ""
        if r.route == Route.LOOKUP:
            if n == 1:
                m = r.hits[0].measure
                return f"Measure {m.number} is in Section {m.section}: {m.section_title}. Lead agency: {m.lead_agency}."
            return f"Measures {', '.join(map(str, r.numbers))}:"
        if r.route == Route.WHO_LEADS:
            return " ".join(
                f"Measure {h.measure.number} is led by **{self._label(h.measure.lead_agency or '')}**"
                + (f", with {', '.join(h.measure.agencies[1:])}." if len(h.measure.agencies) > 1 else ".")
                for h in r.hits
            )
        if r.route == Route.COUNT:
            if not r.agencies:
                return f"**{r.detail}** has **{r.count}** {plural}:"
            if r.query and r.query.role == "lead":
                return f"**{label}** leads **{r.count}** {plural}" + (":" if n else ".")
            leads = sum(h.role == "lead" for h in r.hits)
            return f"**{label}** is named in **{r.count}** {plural} (lead in {leads}, co-responsible in {n - leads}):"
        if r.route == Route.SUPERLATIVE:
            return self._ranking_line(r)
        if r.route in (Route.AGENCY, Route.LEAD) and r.agencies:
            leads = sum(h.role == "lead" for h in r.hits)
            if r.route == Route.LEAD:
                return f"**{label}** leads {n} {plural}:"
            if r.query and r.query.role == "co-responsible":
                return f"**{label}** is co-responsible (not lead) in {n} {plural}:"
            return f"**{label}** is responsible for {n} {plural} (lead in {leads}, co-responsible in {n - leads}):"
        if r.route == Route.JOINT:
            names = " and ".join(f"**{self._label(a)}**" for a in r.agencies)
            return f"{n} {plural} name both {names}:"
        if r.route == Route.AGENCY_TOPIC:
            return f"{n} of the measures of **{label}** concern “{r.topic}”:"
        if r.route == Route.SECTION:
            s = self.retriever.plan.section(r.detail)
            return f"Section {s.numeral}: {s.title} has {n} {plural}:"
        if r.route == Route.PREVIOUS:
            return f"{n} of the previous answer's measures:" if n > 1 else "One of the previous answer's measures:"
        return f"{n} {plural} of the plan answer this:" if n > 1 else "One measure of the plan answers this:"

    def _ranking_line(self, r: Retrieval) -> str:
        if r.detail == "most_agencies":
            nums = ", ".join(str(x) for x in r.numbers)
            return f"Measure {nums} names the most agencies: **{r.count}**."
        led = r.detail in ("most_led", "fewest_led")
        most = r.detail.startswith("most")
        among = "ministry" if r.query and r.query.among_ministries else "agency"
        names = " and ".join(f"**{self._label(a)}**" for a in r.agencies)
        verb = "lead" if led else "are named in"
        if len(r.agencies) == 1:
            verb = "leads" if led else "is named in"
        which = "the most" if most else "the fewest"
        return (
            f"Of any {among}, {names} {verb} {which} measures: **{r.count}** each:"
            if len(r.agencies) > 1
            else (f"Of any {among}, {names} {verb} {which} measures: **{r.count}**:")
        )

    def _abstain_text(self, r: Retrieval) -> str:
        reason = r.abstain
        if reason == "out_of_range":
            return prompts.OUT_OF_RANGE.format(numbers=r.detail)
        if reason == "unknown_agency":
            return prompts.UNKNOWN_AGENCY.format(names=", ".join(f"the {a}" for a in r.agencies))
        if reason == "no_joint":
            return prompts.NO_JOINT.format(a=self._label(r.agencies[0]), b=self._label(r.agencies[1]))
        if reason == "no_topic":
            return prompts.NO_TOPIC_FOR_AGENCY.format(
                count=len(r.hits), agency=self._label(r.agencies[0]), topic=r.topic
            )
        if reason == "other_year":
            return prompts.OTHER_YEAR.format(year=r.detail, plan_year=self.retriever.plan.header.year)
        if reason == "injection":
            return prompts.INJECTION
        if reason == "no_lead":
            return f"The plan does not cover this: {self._label(r.agencies[0])} leads no measure."
        if reason == Abstain.NO_PREVIOUS:
            return prompts.NO_PREVIOUS
        if reason == "filtered":
            return "The plan does not cover this within the chosen filters."
        return prompts.ABSTAIN

    def _document_text(self, r: Retrieval) -> str:
        lines = list(r.facts)
        for s in r.sections:
            span = f"measures {s.measures[0]}–{s.measures[-1]}" if s.measures else "no measures"
            lines.append(f"**Section {s.numeral}: {s.title}** ({span}). Objectives and tasks:\n> {s.objectives}")
        return "\n\n".join(lines)
