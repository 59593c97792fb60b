"""Write stage, per measure: one model sentence about *a measure with a focus*, from the cache or
written live, and the warmer that fills the cache in the background.

The focus is what staff asked about, reduced to a canonical question so that many wordings share
it: the agency for agency routes ("What must the General Administration of Customs do?"), the topic
terms for topic routes, nothing for lookups. The prompt is built from
(measure, focus) alone and decoding is deterministic, so the reply can be stored under
(measure, focus, backend, prompt version, index version) and served again at retrieval speed.
Every served reply, cached or live, goes through the same citation and groundedness checks.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from assistant import prompts
from assistant.cache import Key, SentenceCache
from assistant.checks import answer_clause, check_sentence, focus_agency, focus_terms, sentence_subject
from assistant.highlight import highlight_topic
from assistant.llm import LLM, BackendError, Messages
from assistant.retrieve import Retrieval
from assistant.text import STOP, terms, words
from index.config import Settings
from index.parse import Measure, Plan

logger = logging.getLogger(__name__)

MAX_TOKENS = 100  # one sentence (a long clause plus the opening); part of the cache key through prompt_version()

# ---------------------------------------------------------------- focus and prompt


def _topic_words(text: str, limit: int = 8) -> list[str]:
    return sorted({w for w in words(text) if w not in STOP and len(w) > 2 and not w.isdigit()})[:limit]


def topic_focus(text: str, limit: int = 8) -> str:
    """The canonical question for topic terms, so that rephrasings share a cache entry.

    ``"Anything on trials and courts?" -> "Which measures concern courts, trials?"``
    """
    content = _topic_words(text, limit)
    return prompts.TOPIC_FOCUS.format(terms=", ".join(content)) if content else ""


def agency_focus(agency: str, topic: str = "") -> str:
    """``"General Administration of Customs" -> "What must the General Administration of Customs do?"``;
    with a topic, ``"What must the General Administration of Customs do on indications?"``."""
    content = _topic_words(topic)
    if content:
        return prompts.AGENCY_TOPIC_FOCUS.format(agency=agency, terms=", ".join(content))
    return prompts.AGENCY_FOCUS.format(agency=agency)


def focus_for(retrieval: Retrieval) -> str:
    """What the sentence should be about, as a canonical question: the agency (agency routes, with the
    topic when there is one), the topic terms (topic routes), or nothing (lookups). ``Retrieval(route=
    "agency", agencies=["General Administration of Customs"]) -> "What must the General Administration
    of Customs do?"``. Each measure then keeps only the topic words it has (:func:`measure_focus`)."""
    route, agencies = str(retrieval.route), list(dict.fromkeys(retrieval.agencies))
    if route == "topic":
        return topic_focus(retrieval.topic or retrieval.question)
    if route == "lookup" or not agencies:
        return ""
    if route == "joint" and len(agencies) == 2:
        a, b = sorted(agencies)
        return prompts.JOINT_FOCUS.format(a=a, b=b)
    # the topic the answer highlights (yes/no and count questions have one too), so the sentence and the
    # highlight are about the same clause
    topic = highlight_topic(retrieval) or (retrieval.topic if route == "agency_topic" else "")
    return agency_focus(agencies[0], topic)


def measure_focus(m: Measure, focus: str) -> str:
    """The focus as it applies to one measure: only the topic words the measure has (a question's other
    words are not its topic), so a measure without any keeps the agency or no focus.

    ``(measure 33, "What must the General Administration of Customs do on indications, lately?")
    -> "What must the General Administration of Customs do on indications?"``
    """
    topic = focus_terms(focus)
    if not topic:
        return focus
    have = set(terms(m.text))
    kept = [w for w in topic if set(terms(w)) & have]
    agency = focus_agency(focus)
    if agency:
        return agency_focus(agency, " ".join(kept))
    return prompts.TOPIC_FOCUS.format(terms=", ".join(kept)) if kept else ""


def answer_span(m: Measure, focus: str) -> tuple[int, int]:
    """The clause the sentence is about: the one holding the focus's topic words, else the first."""
    return answer_clause(m, focus_terms(measure_focus(m, focus)))


def measure_messages(m: Measure, focus: str) -> Messages:
    """The chat messages for one measure and focus (nothing else goes into the prompt): the model
    rewrites the clause that answers (:func:`answer_span`)."""
    start, end = answer_span(m, focus)
    user = prompts.CLAUSE_USER.format(
        number=m.number,
        agencies=m.responsibility,
        clause=m.text[start:end].rstrip(" .;,"),
        subject=sentence_subject(m, measure_focus(m, focus)),
    )
    return [{"role": "system", "content": prompts.CLAUSE_SYSTEM}, {"role": "user", "content": user}]


def measure_grammar(m: Measure, focus: str) -> str:
    """The GBNF grammar for one measure's sentence: the lead agency's opening, a lower-case start, no
    brackets, questions or new lines, at most the clause's length plus 40 characters, the citation last."""
    start, end = answer_span(m, focus)
    subject = sentence_subject(m, measure_focus(m, focus)).replace("\\", "").replace('"', "")
    return (
        prompts.CLAUSE_GRAMMAR.replace("<subject>", subject)
        .replace("<limit>", str(end - start + 40))
        .replace("<number>", str(m.number))
    )


def prompt_version() -> str:
    """``PROMPT_VERSION`` plus a hash of the templates (the grammar's too) and decoding length: editing
    a template invalidates the cache even when nobody bumps the number."""
    templates = [prompts.CLAUSE_SYSTEM, prompts.CLAUSE_USER, prompts.CLAUSE_GRAMMAR, prompts.CO_SUBJECT]
    templates += [prompts.AGENCY_FOCUS, prompts.AGENCY_TOPIC_FOCUS, prompts.JOINT_FOCUS, prompts.TOPIC_FOCUS]
    text = "\x00".join([*templates, str(MAX_TOKENS)])
    return f"{prompts.PROMPT_VERSION}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def _check(raw: str, m: Measure, allowed: set[int], focus: str = "") -> str | None:
    return check_sentence(raw, m, allowed, measure_focus(m, focus))


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class Written:
    """One measure's sentence: the checked model sentence or None (use the extractive one)."""

    sentence: str | None
    source: str  # "model" | "extractive"
    cached: bool  # served from the cache, no model call
    seconds: float  # time spent getting it (lookup or generation)
    stored: bool = False  # written live and stored in the cache


@dataclass(frozen=True)
class Job:
    """One (measure, focus) the warmer writes; ``allowed`` is the answer set it would appear in."""

    measure: Measure
    focus: str
    allowed: frozenset[int]


class SentenceWriter:
    """Sentences from the cache, or written live by the model and then cached.

    ``cache=None`` writes every sentence live (what tests that queue fake replies expect).
    """

    def __init__(self, cache: SentenceCache | None = None, index_version: str = "", idle_s: float = 0.5):
        self.cache = cache
        self.idle_s = idle_s  # the background warmer waits this long after the last answer (warm_idle_s)
        self.index_version = index_version
        self.prompt_version = prompt_version()
        self._pools: dict[int, ThreadPoolExecutor] = {}
        self._pools_lock = threading.Lock()
        self._live = 0  # live generations running or queued; the warmer waits for zero
        self._last_live = 0.0
        self._idle = threading.Condition()

    def key(self, llm: LLM, m: Measure, focus: str) -> Key:
        """The cache key: the focus as it applies to this measure, which with the measure fixes the
        prompt and the grammar, so a hit is what a live call would write."""
        return Key(m.number, measure_focus(m, focus), llm.name, self.prompt_version, self.index_version)

    def cached(self, llm: LLM, m: Measure, focus: str, allowed: set[int]) -> Written | None:
        """The sentence from the cache, checked against this answer's ``allowed`` set, or None."""
        if self.cache is None:
            return None
        t = time.perf_counter()
        stored = self.cache.get(self.key(llm, m, focus))
        if stored is None:
            return None
        sentence = _check(stored.reply, m, allowed, focus)  # the same checks a live reply gets
        return Written(sentence, "model" if sentence else "extractive", True, time.perf_counter() - t)

    def write(self, llm: LLM, m: Measure, focus: str, allowed: set[int]) -> Written:
        """The sentence for one measure: cached, else live (may raise :class:`BackendError`)."""
        return self.cached(llm, m, focus, allowed) or self._live_write(llm, m, focus, allowed)

    def start(self, llm: LLM, measures: list[Measure], focus: str, allowed: set[int]) -> Batch:
        """Begin one answer's sentences: hits are ready at once; with several model workers the
        misses are written in parallel, otherwise one by one as they are asked for."""
        self._last_live = time.monotonic()  # any answer, even all from the cache, holds the warmer back
        return Batch(self, llm, measures, focus, allowed)

    def _live_write(self, llm: LLM, m: Measure, focus: str, allowed: set[int], live: bool = True) -> Written:
        t = time.perf_counter()
        if live:
            self._enter()
        try:
            grammar = measure_grammar(m, focus) if llm.grammars else None
            raw = llm.generate(measure_messages(m, focus), max_tokens=MAX_TOKENS, grammar=grammar)
        finally:
            if live:
                self._leave()
        sentence = _check(raw, m, allowed, focus)
        stored = False
        if self.cache is not None:
            # A reply that failed the checks is stored as failed, so it is never served as a model
            # sentence, and a deterministic model is not asked again for the same failure.
            stored = self.cache.put(self.key(llm, m, focus), raw, sentence is not None)
        return Written(sentence, "model" if sentence else "extractive", False, time.perf_counter() - t, stored)

    def notice(self) -> str:
        """One line for the chat footer when the cache is not fully working, else ""."""
        c = self.cache
        if c is None or c.state == "ok":
            return ""
        why = f" ({c.reason})" if c.reason else ""
        if c.state == "read-only":
            return f"sentence cache read-only{why}: cached sentences are served, new ones are written live"
        return f"sentence cache off{why}: every sentence is written live"

    def can_store(self) -> bool:
        """A written sentence may be stored now (no cache at all counts as yes: nothing to store)."""
        return self.cache is None or self.cache.writable

    def pool(self, workers: int) -> ThreadPoolExecutor:
        with self._pools_lock:
            if workers not in self._pools:
                self._pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="sentence")
            return self._pools[workers]

    # ------------------------------------------------------------ live traffic first

    def _enter(self) -> None:
        with self._idle:
            self._live += 1

    def _leave(self) -> None:
        with self._idle:
            self._live -= 1
            self._last_live = time.monotonic()
            self._idle.notify_all()

    def _wait_writable(self, stop: threading.Event) -> None:
        """Block the warmer while the disk refuses (full, read-only): writing then stores nothing."""
        while not stop.is_set() and not self.can_store():
            if self.cache.broken:
                stop.set()
                return
            stop.wait(timeout=min(5.0, max(0.05, self.cache.retry_s)))

    def _wait_idle(self, stop: threading.Event) -> None:
        """Block the warmer while staff are being answered (and a moment after)."""
        with self._idle:
            while not stop.is_set():
                quiet = time.monotonic() - self._last_live
                if self._live == 0 and quiet >= self.idle_s:
                    return
                self._idle.wait(timeout=max(0.05, self.idle_s - quiet))

    # ------------------------------------------------------------ warming

    def missing(self, llm: LLM, jobs: Iterable[Job]) -> list[Job]:
        """The jobs whose sentence is not cached yet for this backend and version."""
        jobs = list(jobs)
        if self.cache is None:
            return jobs
        have = self.cache.keys(llm.name, self.prompt_version, self.index_version)
        return [j for j in jobs if (j.measure.number, measure_focus(j.measure, j.focus)) not in have]

    def warm(
        self,
        llm: LLM,
        jobs: Iterable[Job],
        progress: Callable[[Written], None] | None = None,
        background: bool = False,
        stop: threading.Event | None = None,
    ) -> dict:
        """Write every missing job's sentence. In the foreground all model workers are used; in the
        background one job at a time, and only while no live answer is waiting for the model.
        While the cache cannot store (disk full, read-only) the foreground skips jobs and the
        background waits; ``stored`` counts what was kept."""
        stop = stop or threading.Event()
        todo = self.missing(llm, jobs)
        counts = {"written": 0, "stored": 0, "model": 0, "failed_checks": 0, "skipped": 0, "seconds": 0.0}
        t0 = time.perf_counter()

        def one(job: Job) -> Written | None:
            if not self.can_store():
                return None  # it would be written for nothing
            return self._live_write(llm, job.measure, job.focus, set(job.allowed), live=False)

        def record(w: Written | None) -> None:
            if w is None:
                counts["skipped"] += 1
                return
            counts["written"] += 1
            counts["stored"] += w.stored
            counts["model" if w.sentence else "failed_checks"] += 1
            if progress:
                progress(w)

        if background or llm.workers <= 1:
            for job in todo:
                if background:
                    self._wait_idle(stop)
                    self._wait_writable(stop)
                if stop.is_set():
                    break
                record(one(job))
        else:
            pool = self.pool(llm.workers)
            futures = [pool.submit(one, job) for job in todo]
            try:
                for f in futures:
                    record(f.result())
            finally:
                for f in futures:
                    f.cancel()
        counts["seconds"] = round(time.perf_counter() - t0, 2)
        return counts

    def warm_in_background(self, llm: LLM, jobs: list[Job]) -> Warmer:
        """Start the background warmer (a daemon thread); the chat is usable meanwhile."""
        warmer = Warmer(self, llm, jobs)
        warmer.start()
        return warmer


class Batch:
    """The sentences of one answer, in order; ``result(i)`` blocks until the i-th is ready."""

    def __init__(self, writer: SentenceWriter, llm: LLM, measures: list[Measure], focus: str, allowed: set[int]):
        self.writer, self.llm, self.focus, self.allowed = writer, llm, focus, set(allowed)
        self.measures = list(measures)
        self._ready: list[Written | Future | None] = [writer.cached(llm, m, focus, allowed) for m in measures]
        # Several workers with fixed threads: write the misses side by side, first needed first. A backend
        # that gives a lone generation every core (``adapts_threads``) writes them in order instead: the
        # first sentence comes soonest, and other people's answers use the other workers.
        if llm.workers > 1 and not getattr(llm, "adapts_threads", False):
            pool = writer.pool(llm.workers)
            for i, m in enumerate(self.measures):
                if self._ready[i] is None:
                    writer._enter()  # counts as live from now on: the warmer must not jump the queue
                    self._ready[i] = pool.submit(self._write_queued, m)

    def __len__(self) -> int:
        return len(self.measures)

    def _write_queued(self, m: Measure) -> Written:
        try:
            return self.writer._live_write(self.llm, m, self.focus, self.allowed, live=False)
        finally:
            self.writer._leave()

    def result(self, i: int) -> Written:
        """The i-th measure's sentence (raises :class:`BackendError` when the backend failed)."""
        item = self._ready[i]
        if isinstance(item, Future):
            return item.result()
        if item is None:  # one worker: written now, in order, as the answer streams
            item = self._ready[i] = self.writer._live_write(self.llm, self.measures[i], self.focus, self.allowed)
        return item

    def cancel(self) -> None:
        """Drop sentences not started yet (the answer stopped using the model)."""
        for item in self._ready:
            if isinstance(item, Future) and item.cancel():
                self.writer._leave()


class Warmer(threading.Thread):
    """Fills the cache after start-up without making anyone wait; progress in ``done``/``total``."""

    def __init__(self, writer: SentenceWriter, llm: LLM, jobs: list[Job]):
        super().__init__(name="sentence-warmer", daemon=True)
        self.writer, self.llm, self.jobs = writer, llm, jobs
        self.stop_event = threading.Event()
        self.total = len(jobs)
        self.done = self.total - len(writer.missing(llm, jobs))
        self.error = ""

    def run(self) -> None:
        def tick(_: Written) -> None:
            self.done += 1

        try:
            self.writer.warm(self.llm, self.jobs, tick, background=True, stop=self.stop_event)
        except BackendError as exc:  # the backend is down: live answers fall back; warming just stops
            self.error = str(exc)
            logger.warning("Sentence warming stopped: %s", exc)

    def stop(self) -> None:
        self.stop_event.set()


def warm_jobs(plan: Plan, registry) -> list[Job]:
    """The no-focus sentence of every measure, then the focus sentence of every (agency, measure)."""
    jobs = [Job(m, "", frozenset({m.number})) for m in plan.measures]
    for agency in registry.agencies:
        theirs = [m for m in plan.measures if agency.name in m.agencies]
        jobs += [Job(m, agency_focus(agency.name), frozenset(x.number for x in theirs)) for m in theirs]
    return jobs


# ---------------------------------------------------------------- opening and status


def open_cache(settings: Settings) -> SentenceCache | None:
    """The configured store, or None when ``IPPLAN_SENTENCE_CACHE`` turns it off."""
    if not settings.sentence_cache:
        return None
    return SentenceCache(settings.sentence_cache_path, retry_s=settings.cache_retry_s)


def cache_status(settings: Settings) -> dict:
    """How warm the cache is for the configured backend, prompt and index: for doctor / index info."""
    from index.build import index_version, load_plan, manifest_for

    plan, registry = load_plan(settings)
    version = index_version(manifest_for(settings, plan, registry))
    jobs = warm_jobs(plan, registry)
    status = {"path": str(settings.sentence_cache_path), "backend": settings.llm, "total": len(jobs)}
    if not settings.sentence_cache:
        return {**status, "enabled": False, "warm": 0}
    cache = SentenceCache(settings.sentence_cache_path)
    try:
        have = cache.keys(settings.llm, prompt_version(), version)
        # a put shows whether the disk takes writes (a read-only or full disk opens and reads fine)
        if cache.put(Key(0, "", "doctor-probe", "", ""), "", False):
            cache._run(lambda c: c.execute("DELETE FROM sentences WHERE backend='doctor-probe'"), write=True)
    finally:
        cache.close()
    keys = [(j.measure.number, measure_focus(j.measure, j.focus)) for j in jobs]
    done = [have[k] for k in keys if k in have]
    return {
        **status,
        "enabled": cache.enabled,
        "state": cache.state,
        "reason": cache.reason,
        "warm": len(done),
        "entries": len(have),
        "model_sentences": round(sum(done) / len(done), 3) if done else None,
        "notice": cache.notice,
    }


def status_line(status: dict) -> str:
    """``"312/342 warm (91%), 58% model sentences — ~/.cache/ipplan/sentences.sqlite3"``."""
    if "state" not in status and not status.get("enabled", True):
        return f"off (IPPLAN_SENTENCE_CACHE=0); {status['total']} sentences would be cached"
    share = status.get("model_sentences")
    model = f", {share:.0%} model sentences" if share is not None else ""
    pct = status["warm"] / status["total"] if status["total"] else 0
    state = status.get("state", "ok")
    why = f" ({status['reason']})" if status.get("reason") else ""
    flag = "" if state == "ok" else f"{state.upper()}{why}, sentences it lacks are written live: "
    warm = f"{status['warm']}/{status['total']} warm ({pct:.0%}){model}"
    return f"{flag}{warm} for {status['backend']} — {status['path']}"


def gradio_queue(settings: Settings) -> dict:
    """Gradio queue settings from the same numbers as the model workers: one slot per worker for a
    request waiting on the model plus three for requests served from the cache meanwhile."""
    limit = max(4, 4 * settings.model_workers)
    return {"default_concurrency_limit": limit, "max_size": 16 * limit}


def warm_cli(settings: Settings) -> int:
    """``python -m index warm``: write every missing sentence now, with a progress bar (a deploy step)."""
    from tqdm import tqdm

    from assistant.llm import load_llm
    from index.build import index_version, load_plan, manifest_for

    plan, registry = load_plan(settings)
    cache = open_cache(settings)
    if cache is None:
        logger.warning("The sentence cache is off (IPPLAN_SENTENCE_CACHE=0): nothing to warm.")
        return 0
    try:
        llm = load_llm(settings.llm, settings)
    except BackendError as exc:
        logger.error("%s", exc)
        return 2
    writer = SentenceWriter(cache, index_version(manifest_for(settings, plan, registry)))
    if pruned := cache.prune(writer.prompt_version, writer.index_version):
        logger.info("Dropped %d sentences written for another prompt or index version.", pruned)
    jobs = warm_jobs(plan, registry)
    todo = writer.missing(llm, jobs)
    with tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc="Warming", unit="sentence", file=sys.stderr) as bar:
        try:
            counts = writer.warm(llm, todo, progress=lambda _: bar.update(1))
        except BackendError as exc:
            logger.error("The backend failed while warming (%s); run it again to resume.", exc)
            return 1
    cache.close()
    print(
        f"Wrote {counts['written']} sentences in {counts['seconds']}s ({counts['failed_checks']} failed the checks), "
        f"stored {counts['stored']}."
    )
    print("Sentence cache: " + status_line(cache_status(settings)))
    if counts["stored"] < len(todo):
        why = cache.reason or cache.notice or "the cache refused them"
        print(
            f"error: stored {counts['stored']} of {len(todo)} sentences ({why}); free space or make "
            f"{settings.sentence_cache_path.parent} writable and run it again to resume.",
            file=sys.stderr,
        )
        return 1
    return 0
