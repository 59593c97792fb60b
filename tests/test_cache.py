"""Sentence cache: a hit is exactly a live call, versions invalidate, failed checks are never served
as model sentences, concurrent writers never corrupt the store, a broken file heals itself."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from dataclasses import replace

import pytest

from assistant import prompts
from assistant.cache import Key, SentenceCache
from assistant.llm import BackendError, FakeLLM
from assistant.retrieve import Retrieval
from assistant.sentences import (
    Job,
    SentenceWriter,
    agency_focus,
    cache_status,
    focus_for,
    measure_messages,
    status_line,
    topic_focus,
    warm_jobs,
)
from index.config import Settings

GAC = "General Administration of Customs"
FOCUS = agency_focus(GAC)
COURTS = "Which measures concern courts, trials?"


@pytest.fixture
def cache(tmp_path):
    c = SentenceCache(tmp_path / "sentences.sqlite3")
    yield c
    c.close()


def writer(cache, version="v1") -> SentenceWriter:
    return SentenceWriter(cache, index_version=version)


# ---------------------------------------------------------------- a hit is a live call


@pytest.mark.parametrize(
    "number,focus", [(7, ""), (32, FOCUS), (33, FOCUS), (52, "Which measures concern health, provinces?"), (90, "")]
)
def test_hit_returns_exactly_what_a_live_call_returns(cache, plan, number, focus):
    m = plan.measure(number)
    allowed = {number, 33}
    live = SentenceWriter().write(FakeLLM(), m, focus, allowed)  # no cache at all
    first = writer(cache).write(FakeLLM(), m, focus, allowed)  # a miss: written, then stored
    fake = FakeLLM()
    hit = writer(cache).write(fake, m, focus, allowed)  # a new process, same file
    assert not live.cached and not first.cached and hit.cached
    assert fake.prompts == []  # served without the model
    assert (hit.sentence, hit.source) == (first.sentence, first.source) == (live.sentence, live.source)
    assert hit.source == "model" and hit.sentence.endswith(f"[{number}].")


def test_hit_is_checked_against_its_own_answer_set(cache, plan):
    """The stored reply is re-checked on every hit: citing another measure of the same answer is a
    mix-up there, and a removable stray citation elsewhere, exactly as a live call decides."""
    m = plan.measure(32)
    reply = "It asks Customs to improve the customs IPR protection filing system [32] [33]."
    for allowed in ({32}, {32, 33}, {32}):
        live = SentenceWriter().write(FakeLLM(replies=[reply]), m, FOCUS, allowed)
        got = writer(cache).write(FakeLLM(replies=[reply]), m, FOCUS, allowed)
        assert (got.sentence, got.source) == (live.sentence, live.source)
    assert writer(cache).write(FakeLLM(), m, FOCUS, {32}).source == "model"
    assert writer(cache).write(FakeLLM(), m, FOCUS, {32, 33}).source == "extractive"


def test_prompt_depends_on_measure_and_focus_only(plan):
    m = plan.measure(32)
    assert measure_messages(replace(m), FOCUS) == measure_messages(m, FOCUS)  # its content, not the object
    assert measure_messages(plan.measure(33), FOCUS) != measure_messages(m, FOCUS)
    # the focus picks the clause the model rewrites: [32]'s first, or the one a topic is about
    on_topic = measure_messages(m, "Which measures concern consignees, holders?")
    assert on_topic != measure_messages(m, FOCUS) == measure_messages(m, "")
    assert "Clause of measure [32]" in measure_messages(m, FOCUS)[-1]["content"]


def test_answers_hit_across_questions_and_equal_live_answers(real_settings):
    from assistant.answer import Assistant
    from assistant.retrieve import Retriever

    retriever = Retriever.open(real_settings)
    store = SentenceCache(real_settings.data_dir / "answers-test.sqlite3")
    first = Assistant(retriever, FakeLLM(), writer=writer(store)).ask("What must Customs do?")
    fake = FakeLLM()
    again = Assistant(retriever, fake, writer=writer(store)).ask("What does the General Administration of Customs do?")
    live = Assistant(retriever, FakeLLM()).ask("What does the General Administration of Customs do?")
    assert [c.measure for c in again.citations] == [32, 33]
    assert fake.prompts == [] and again.timings["cache_hits"] == 2 and again.timings["llm_calls"] == 0
    assert first.timings["llm_calls"] == 2
    assert again.text == live.text  # same agency focus, so same sentences, whatever the wording
    assert [c.source for c in again.citations] == [c.source for c in live.citations]
    store.close()


# ---------------------------------------------------------------- invalidation


def test_prompt_or_index_change_invalidates(cache, plan, monkeypatch):
    m = plan.measure(7)
    writer(cache).write(FakeLLM(), m, "", {7})
    assert writer(cache).write(FakeLLM(), m, "", {7}).cached
    assert not writer(cache, version="v2").write(FakeLLM(), m, "", {7}).cached  # index rebuilt from another plan
    assert not writer(cache).write(FakeLLM(name="fake/other"), m, "", {7}).cached  # another backend
    monkeypatch.setattr(prompts, "PROMPT_VERSION", "99")
    assert not writer(cache).write(FakeLLM(), m, "", {7}).cached
    monkeypatch.undo()
    monkeypatch.setattr(prompts, "CLAUSE_USER", prompts.CLAUSE_USER.replace("Rewrite the clause", "Briefly"))
    fake = FakeLLM()
    assert not writer(cache).write(fake, m, "", {7}).cached  # a template edit without a version bump
    assert fake.prompts and "Briefly" in fake.prompts[0][-1]["content"]


def test_index_version_follows_the_plan(tmp_path):
    from index.build import index_version, load_plan, manifest_for

    settings = Settings()
    plan, registry = load_plan(settings)
    changed = tmp_path / "plan.md"
    changed.write_text(settings.source.read_text(encoding="utf-8").replace("work registration", "work enrolment"))
    other = Settings(source=changed)
    plan2, _ = load_plan(other)
    assert index_version(manifest_for(settings, plan, registry)) != index_version(manifest_for(other, plan2, registry))


def test_prune_drops_other_versions(cache, plan):
    for version in ("old", "new"):
        writer(cache, version).write(FakeLLM(), plan.measure(1), "", {1})
    assert cache.prune(writer(cache).prompt_version, "new") == 1
    assert writer(cache, "new").write(FakeLLM(), plan.measure(1), "", {1}).cached


# ---------------------------------------------------------------- failed checks


@pytest.mark.parametrize(
    "junk", ["", "Bananas are yellow and tasty fruit [32].", "It improves things.", "谢谢谢谢 [32]"]
)
def test_failed_check_is_never_served_as_a_model_sentence(cache, plan, junk):
    m = plan.measure(32)
    first = writer(cache).write(FakeLLM(replies=[junk]), m, FOCUS, {32, 33})
    assert first.source == "extractive" and first.sentence is None
    stored = cache.get(writer(cache).key(FakeLLM(), m, FOCUS))
    assert stored is not None and stored.passed is False  # remembered as failed, not as good
    again = writer(cache).write(
        FakeLLM(replies=["It requires Customs to improve the filing system [32]."]), m, FOCUS, {32}
    )
    assert again.cached and again.source == "extractive" and again.sentence is None


def test_backend_failure_is_not_cached(cache, plan):
    m = plan.measure(7)
    with pytest.raises(BackendError):
        writer(cache).write(FakeLLM(fail=ConnectionError("refused")), m, "", {7})
    assert cache.get(writer(cache).key(FakeLLM(), m, "")) is None
    assert not writer(cache).write(FakeLLM(), m, "", {7}).cached


# ---------------------------------------------------------------- concurrency


def _key(i: int, who: int) -> Key:
    return Key(1 + i % 90, f"focus {who}-{i}", "fake/echo", "p", "v")


def _write_many(path: str, who: int, n: int) -> None:
    cache = SentenceCache(path)
    for i in range(n):
        cache.put(_key(i, who), f"reply {who}-{i} [{1 + i % 90}]", i % 3 != 0)
        assert cache.get(_key(i, who)).reply == f"reply {who}-{i} [{1 + i % 90}]"
        cache.get(_key(i, (who + 1) % 4))  # read what others write meanwhile
    cache.close()


def _assert_intact(path, writers: int, n: int) -> None:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM sentences").fetchone()[0] == writers * n
    conn.close()
    cache = SentenceCache(path)
    for who in range(writers):
        for i in range(n):
            stored = cache.get(_key(i, who))
            assert stored.reply == f"reply {who}-{i} [{1 + i % 90}]" and stored.passed == (i % 3 != 0)
    cache.close()


def test_concurrent_threads_never_corrupt(tmp_path):
    path = tmp_path / "sentences.sqlite3"
    shared = SentenceCache(path)
    errors: list[BaseException] = []

    def run(who: int) -> None:
        try:
            if who % 2:
                _write_many(str(path), who, 150)  # its own connection
            else:
                for i in range(150):  # one connection shared by threads
                    shared.put(_key(i, who), f"reply {who}-{i} [{1 + i % 90}]", i % 3 != 0)
                    assert shared.get(_key(i, who)).reply == f"reply {who}-{i} [{1 + i % 90}]"
        except BaseException as exc:  # collected: a thread's assert must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shared.close()
    assert not errors
    _assert_intact(path, 4, 150)


def test_concurrent_processes_never_corrupt(tmp_path):
    path = tmp_path / "sentences.sqlite3"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(str(path), who, 150)) for who in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    _assert_intact(path, 4, 150)


def test_parallel_workers_give_the_same_answer_in_order(cache, plan):
    class TwoWorkers(FakeLLM):
        workers = 2

    measures = [plan.measure(n) for n in (32, 33, 40, 52)]
    allowed = {m.number for m in measures}
    one = [SentenceWriter().write(FakeLLM(), m, FOCUS, allowed) for m in measures]
    batch = writer(cache).start(TwoWorkers(), measures, FOCUS, allowed)
    two = [batch.result(i) for i in range(len(batch))]
    assert [(w.sentence, w.source) for w in two] == [(w.sentence, w.source) for w in one]
    hits = writer(cache).start(TwoWorkers(), measures, FOCUS, allowed)
    assert all(hits.result(i).cached for i in range(len(hits)))


def test_a_backend_that_adapts_threads_writes_one_answer_in_order(cache, plan):
    """A lone generation gets every core, so one answer's misses are written one after another."""

    class Adaptive(FakeLLM):
        workers = 2
        adapts_threads = True

    measures = [plan.measure(n) for n in (32, 33)]
    llm = Adaptive()
    batch = writer(cache).start(llm, measures, FOCUS, {32, 33})
    assert llm.prompts == []  # nothing submitted ahead: written as the answer streams
    assert [batch.result(i).source for i in range(2)] == ["model", "model"]
    assert [p[-1]["content"].split("]", 1)[0] for p in llm.prompts] == [
        "Clause of measure [32",
        "Clause of measure [33",
    ]


# ---------------------------------------------------------------- broken files


def test_deleted_file_is_rebuilt_with_a_notice(cache, plan, caplog):
    m = plan.measure(7)
    writer(cache).write(FakeLLM(), m, "", {7})
    for suffix in ("", "-wal", "-shm"):
        (cache.path.parent / f"{cache.path.name}{suffix}").unlink(missing_ok=True)
    got = writer(cache).write(FakeLLM(), m, "", {7})  # no crash: a miss, written again
    assert not got.cached and got.source == "model"
    assert "deleted or replaced" in caplog.text
    assert cache.path.exists() and writer(cache).write(FakeLLM(), m, "", {7}).cached


@pytest.mark.parametrize("garbage", [b"this is not a database" * 200, b"SQLite format 3\x00" + b"\xff" * 8000])
def test_corrupt_file_is_rebuilt_with_a_notice(tmp_path, plan, caplog, garbage):
    path = tmp_path / "sentences.sqlite3"
    path.write_bytes(garbage)
    cache = SentenceCache(path)
    got = writer(cache).write(FakeLLM(), plan.measure(7), "", {7})
    assert got.source == "model" and writer(cache).write(FakeLLM(), plan.measure(7), "", {7}).cached
    assert "unreadable" in caplog.text and cache.enabled
    assert list(tmp_path.glob("sentences.sqlite3.corrupt-*"))  # kept aside for a post-mortem
    cache.close()


def test_file_corrupted_while_open_is_rebuilt(cache, plan, caplog):
    writer(cache).write(FakeLLM(), plan.measure(7), "", {7})
    cache.close()
    cache.path.write_bytes(b"garbage" * 3000)
    got = writer(cache).write(FakeLLM(), plan.measure(8), "", {8})
    assert got.source == "model" and cache.enabled
    assert caplog.records  # the notice was logged


def test_unusable_location_answers_without_cache(tmp_path, plan, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = SentenceCache(blocker / "sentences.sqlite3")
    got = writer(cache).write(FakeLLM(), plan.measure(7), "", {7})
    assert got.source == "model" and not got.cached and not cache.enabled
    assert "answering without it" in caplog.text


# ---------------------------------------------------------------- focus and warming


@pytest.mark.parametrize(
    "retrieval,focus",
    [
        (Retrieval("agency", agencies=[GAC]), FOCUS),
        (Retrieval("lead", agencies=[GAC]), FOCUS),
        (
            Retrieval("agency_topic", agencies=[GAC], topic="software"),
            "What must the General Administration of Customs do on software?",
        ),
        (Retrieval("joint", agencies=[GAC, GAC]), FOCUS),  # one agency named twice is not a pair
        (
            Retrieval("joint", agencies=["State Intellectual Property Office", "Ministry of Education"]),
            "What must the Ministry of Education and the State Intellectual Property Office do together?",
        ),
        (Retrieval("topic", question="Which measures concern courts and trials?"), COURTS),
        (Retrieval("topic", question="Trials and courts: which measures?"), COURTS),
        (Retrieval("lookup", question="What does measure 7 say?"), ""),
    ],
)
def test_focus_for(retrieval, focus):
    assert focus_for(retrieval) == focus


def test_topic_focus_is_canonical():
    assert topic_focus("Courts, TRIALS and courts") == topic_focus("trials courts") == COURTS
    assert topic_focus("What is it?") == ""


def test_warm_fills_every_job_then_nothing_is_missing(tmp_path, plan, registry):
    settings = Settings(data_dir=tmp_path, llm="fake/echo")
    jobs = warm_jobs(plan, registry)
    assert len([j for j in jobs if not j.focus]) == 90
    assert {j.focus for j in jobs if j.focus} == {agency_focus(a.name) for a in registry.agencies}
    from index.build import index_version, manifest_for

    cache = SentenceCache(settings.sentence_cache_path)
    w = writer(cache, index_version(manifest_for(settings, plan, registry)))
    done = []
    counts = w.warm(FakeLLM(), jobs, progress=done.append)
    assert counts["written"] == len(jobs) == len(done) and w.missing(FakeLLM(), jobs) == []
    assert w.warm(FakeLLM(), jobs)["written"] == 0  # a second run resumes, nothing left
    status = cache_status(settings)
    assert status["warm"] == status["total"] == len(jobs)
    assert f"{len(jobs)}/{len(jobs)} warm (100%)" in status_line(status)
    cache.close()


def test_background_warmer_finishes_and_yields(cache, plan, registry):
    jobs = [Job(plan.measure(n), "", frozenset({n})) for n in range(1, 11)]
    w = writer(cache)
    warmer = w.warm_in_background(FakeLLM(), jobs)
    warmer.join(30)
    assert not warmer.is_alive() and warmer.done == warmer.total == 10
    assert w.missing(FakeLLM(), jobs) == []


def test_index_warm_command(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "IPPLAN_DATA_DIR": str(tmp_path), "IPPLAN_LLM": "fake/echo"}
    out = subprocess.run(
        [sys.executable, "-m", "index", "warm"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert "warm (100%)" in out.stdout


@pytest.mark.slow
def test_real_model_decodes_deterministically_across_workers(plan):
    """Caching stands on this: the same (measure, focus) prompt gives the same reply on any worker,
    alone (on every core) or side by side with another generation (one thread each)."""
    from concurrent.futures import ThreadPoolExecutor

    from assistant.llm import LlamaCppLLM, smollm2_path

    llm = LlamaCppLLM(smollm2_path(), threads=1, workers=2)
    messages = measure_messages(plan.measure(32), FOCUS)
    alone = llm.generate(messages, max_tokens=60)
    with ThreadPoolExecutor(2) as pool:
        pair = list(pool.map(lambda _: llm.generate(messages, max_tokens=60), range(2)))
    assert pair == [alone, alone]
