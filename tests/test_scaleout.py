"""Scale-out on existing engines: a real Chroma server and a real OpenAI-compatible llama.cpp
server, both started by the tests on loopback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.answer import Assistant
from assistant.llm import load_llm, smollm2_path
from assistant.retrieve import Retriever
from index.build import build, info
from index.config import Settings
from tests.conftest import free_port, wait_http

pytestmark = pytest.mark.slow


def _serve(cmd: list[str], url: str, log: Path):
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out)
    try:
        wait_http(url, timeout=120, proc=proc)
    except Exception:
        proc.kill()
        raise RuntimeError(log.read_text()[-3000:]) from None
    return proc


def test_chroma_server_mode(tmp_path):
    port = free_port()
    chroma = str(Path(sys.executable).parent / "chroma")
    proc = _serve(
        [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        f"http://127.0.0.1:{port}/api/v2/heartbeat",
        tmp_path / "chroma.log",
    )
    try:
        settings = Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=port, llm="fake/echo")
        assert build(settings, quiet=True).built
        assert not build(settings, quiet=True).built  # the manifest lives in the server's collection
        assert info(settings)["location"] == f"chroma://127.0.0.1:{port}/plan"
        assert not (tmp_path / "index").exists()  # nothing went to the embedded store
        answer = Assistant.open(settings).ask("What must Customs do?")
        assert [c.measure for c in answer.citations] == [32, 33]
        topic = Assistant.open(settings).ask("Which measure ranks cities by work registration?")
        assert [c.measure for c in topic.citations] == [7]  # dense retrieval went through the server
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_openai_backend_against_llama_cpp_server(tmp_path, real_settings):
    port = free_port()
    proc = _serve(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(smollm2_path()),
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
        ],
        f"http://127.0.0.1:{port}/v1/models",
        tmp_path / "llama.log",
    )
    try:
        settings = Settings(**{**real_settings.__dict__, "openai_base_url": f"http://127.0.0.1:{port}/v1"})
        llm = load_llm("openai/smollm2", settings)
        answer = Assistant(Retriever.open(settings), llm).ask("What must Customs do?")
        assert answer.backend == "openai/smollm2" and not answer.notice
        assert [c.measure for c in answer.citations] == [32, 33]
        assert answer.timings["llm_calls"] == 2
    finally:
        proc.terminate()
        proc.wait(timeout=20)
