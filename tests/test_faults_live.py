"""Live faults against the real app (``app.py`` on loopback, gradio_client): a real Chroma server
paused with SIGSTOP and killed, down at start and started later; a read-only data directory with a
corrupted index; the committed fuzz corpus of ``/ask`` calls (issue 18).

No timing is asserted. Calls that must not hang run with a generous guard, so that a hang fails the
test instead of stalling the suite."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, start_app, wait_http
from tests.test_faults import _corrupt_body, mounted_tmpfs, read_only

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).parent / "fuzz" / "ask.jsonl"
TOPIC = "Which measure ranks cities by work registration?"  # needs the vectors: answered by [7]
AGENCY = "What must Customs do?"  # answered from the records: [32, 33]
GUARD_S = 120  # a call that takes longer than this hung


def cited(answer: dict) -> list[int]:
    return [c["measure"] for c in answer["citations"]]


def ask_all(url: str, calls: list[tuple[str, list]]) -> list[dict]:
    """Every call at once, one gradio_client per caller, as separate users would."""
    from gradio_client import Client

    def one(call):
        return Client(url, verbose=False).predict(*call, api_name="/ask")

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(one, c) for c in calls]
        return [f.result(timeout=GUARD_S) for f in futures]


def no_traceback(log: Path) -> None:
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "Exception in ASGI" not in text, text[-3000:]


class Chroma:
    """A real ``chroma run`` on loopback over a copy of the session's index."""

    def __init__(self, path: Path, port: int, log: Path):
        self.path, self.port, self.log = path, port, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        chroma = str(Path(sys.executable).parent / "chroma")
        with open(self.log, "a") as out:
            self.proc = subprocess.Popen(
                [chroma, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=out,
                stderr=out,
            )
        wait_http(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=120, proc=self.proc)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a stopped process cannot act on SIGKILL's cleanup
            self.proc.kill()
            self.proc.wait(timeout=30)


@pytest.fixture
def chroma(tmp_path, real_index_dir):
    # The embedded store and the server share one on-disk format: the server serves the session's index.
    path = tmp_path / "chroma"
    shutil.copytree(real_index_dir / "index", path)
    server = Chroma(path, free_port(), tmp_path / "chroma.log")
    try:
        yield server
    finally:
        server.kill()


def chroma_env(server: Chroma, **extra) -> dict:
    return {
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(server.port),
        "IPPLAN_CHROMA_CONNECT_TIMEOUT_S": "1",
        "IPPLAN_CHROMA_TIMEOUT_S": "3",
        "IPPLAN_WARM_ON_START": "0",
        **extra,
    }


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


def test_chroma_paused_then_killed_after_start_costs_nothing(chroma, tmp_path, real_index_dir):
    """Faults 6 and 7: a hung server (SIGSTOP) blocked everyone, topic requests past 120 s and then
    every queue slot; a server down before the first topic question gave "Something went wrong"."""
    chroma.start()
    app, url, log = start_app(real_index_dir / "index", tmp_path / "data", "fake/echo", chroma_env(chroma))
    try:
        chroma.signal(signal.SIGSTOP)
        calls = [(TOPIC, [])] * 12 + [(AGENCY, [])] * 4  # more than the queue's 8 slots
        for answer, (question, _) in zip(ask_all(url, calls), calls, strict=True):
            assert cited(answer) == ([7] if question == TOPIC else [32, 33]) and not answer["notice"]
        chroma.kill()  # SIGKILL while stopped
        assert [cited(a) for a in ask_all(url, [(TOPIC, []), (AGENCY, [])])] == [[7], [32, 33]]
        no_traceback(log)
    finally:
        stop(app)


def test_chroma_hung_at_start_answers_records_and_recovers(chroma, tmp_path, real_index_dir):
    """A fresh app.py against a hung server used to hang silently. Now it starts; agency, lookup and
    count questions answer from the records; topic questions carry the start-up message as notice;
    no request is held past the timeout; the server, once resumed, is picked up without a restart."""
    chroma.start()
    chroma.signal(signal.SIGSTOP)
    env = chroma_env(chroma, IPPLAN_CHROMA_RETRY_S="4")
    app, url, log = start_app(real_index_dir / "index", tmp_path / "data", "fake/echo", env)
    try:
        records = [(AGENCY, []), ("What does measure 7 say?", []), ("How many measures does SIPO lead?", [])]
        got = ask_all(url, [(TOPIC, [])] * 10 + records)
        for answer in got[:10]:
            assert answer["route"] == "unavailable" and answer["abstained"] and not answer["citations"]
            assert f"Chroma server at 127.0.0.1:{chroma.port} is unreachable" in answer["notice"]
            assert "chroma run" in answer["notice"]
        assert cited(got[10]) == [32, 33] and cited(got[11]) == [7] and got[12]["route"] == "count"
        assert "is unreachable" in log.read_text() and "Answering agency, lookup and count" in log.read_text()
        chroma.signal(signal.SIGCONT)
        time.sleep(5)  # past IPPLAN_CHROMA_RETRY_S: the next topic question asks the server again
        assert cited(ask_all(url, [(TOPIC, [])])[0]) == [7]
        no_traceback(log)
    finally:
        stop(app)


def test_chroma_down_at_start_is_picked_up_when_started(chroma, tmp_path, real_index_dir):
    """Fault 7: the start-up check's words ("is unreachable … Start it with chroma run") are the
    answer's notice, not "Something went wrong" and an httpx.ConnectError traceback per request."""
    env = chroma_env(chroma, IPPLAN_CHROMA_RETRY_S="0")
    app, url, log = start_app(real_index_dir / "index", tmp_path / "data", "fake/echo", env)
    try:
        topic, agency = ask_all(url, [(TOPIC, []), (AGENCY, [])])
        assert "is unreachable" in topic["notice"] and "Start it with `chroma run" in topic["notice"]
        assert cited(agency) == [32, 33]
        chroma.start()
        assert cited(ask_all(url, [(TOPIC, [])])[0]) == [7]
        no_traceback(log)
    finally:
        stop(app)


def test_read_only_data_dir_and_corrupt_index(tmp_path, real_index_dir):
    """Faults 1 and 2 together, in the real app: the data directory is a read-only tmpfs (the app
    crashed at start), and the index's chroma.sqlite3 body is overwritten (the app said it rebuilt,
    served an empty store, and every topic question failed with numpy's AxisError)."""
    index = tmp_path / "index"
    shutil.copytree(real_index_dir / "index", index)
    _corrupt_body(index / "chroma.sqlite3")
    with mounted_tmpfs(tmp_path / "data") as data:
        read_only(data)
        log = tmp_path / "app.log"
        app, url = _start_logged(index, data, log)
        try:
            topic, agency = ask_all(url, [(TOPIC, []), (AGENCY, [])])
            assert cited(topic) == [7] and cited(agency) == [32, 33]
            text = log.read_text()
            assert "rebuilding it beside the old one" in text and re.search(r"Indexed \d+ documents", text)
            assert "Sentence cache" in text and "answering without it" in text
            no_traceback(log)
            env = {
                **os.environ,
                "IPPLAN_INDEX_DIR": str(index),
                "IPPLAN_DATA_DIR": str(data),
                "IPPLAN_LLM": "fake/echo",
            }
            cli = subprocess.run(
                [sys.executable, "-m", "assistant", "ask", AGENCY, "--json"],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=300,
            )
            assert cli.returncode == 0 and [c["measure"] for c in json.loads(cli.stdout)["citations"]] == [32, 33]
            doctor = subprocess.run(
                [sys.executable, "-m", "assistant", "doctor", "--llm", "fake/echo"],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=300,
            )
            assert doctor.returncode == 0, doctor.stdout + doctor.stderr
            lines = {line[5:20].strip(): line for line in doctor.stdout.splitlines()}
            assert lines["data directory"].startswith("WARN") and "read-only file system" in lines["data directory"]
            assert (
                lines["sentence cache"].startswith("WARN") and "OFF (read-only file system)" in lines["sentence cache"]
            )
        finally:
            stop(app)


def _start_logged(index: Path, data: Path, log: Path):
    """``start_app`` with the log outside the (read-only) data directory."""
    port = free_port()
    env = {
        **os.environ,
        "IPPLAN_INDEX_DIR": str(index),
        "IPPLAN_DATA_DIR": str(data),
        "IPPLAN_LLM": "fake/echo",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(port)], env=env, cwd=ROOT, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url, proc=proc, timeout=300)
    except Exception:
        proc.kill()
        raise RuntimeError(log.read_text()) from None
    return proc, url


def test_fuzz_corpus_never_reaches_the_log_as_a_traceback(tmp_path, real_index_dir):
    """Fault 8: bad types to /ask gave a generic AppError with a traceback in the log, or an
    "Integer exceeds 64-bit range" ASGI exception. Every call of the committed corpus either answers
    or gets a clear "Invalid /ask input: <field>: …" message."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200
    app, url, log = start_app(real_index_dir / "index", tmp_path / "data", "fake/echo", {"IPPLAN_WARM_ON_START": "0"})
    try:
        client = Client(url, verbose=False)
        answered = rejected = 0
        for row in rows:
            try:
                got = client.predict(row["question"], row["history"], api_name="/ask")
            except AppError as exc:
                assert str(exc).startswith("Invalid /ask input: "), (row, str(exc))
                assert isinstance(row["question"], str) is False or not _valid_history(row["history"])
                rejected += 1
                continue
            assert isinstance(got["answer"], str) and isinstance(got["citations"], list), row
            assert all(1 <= c["measure"] <= 90 for c in got["citations"])
            answered += 1
        assert answered > 50 and rejected > 50  # both kinds are exercised
        assert cited(client.predict(AGENCY, [], api_name="/ask")) == [32, 33]  # and it still answers
        no_traceback(log)
    finally:
        stop(app)


def _valid_history(history) -> bool:
    from assistant.validate import InvalidInput, ask_request

    try:
        ask_request("q", history)
    except InvalidInput:
        return False
    return True
