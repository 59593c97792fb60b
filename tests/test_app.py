"""The running app: API endpoint via gradio_client, feedback log, security defaults."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from app import is_loopback, parse_auth
from assistant import feedback
from tests.conftest import ROOT, start_app


@pytest.fixture(scope="module")
def app_url(real_index_dir, tmp_path_factory):
    data = tmp_path_factory.mktemp("app-data")
    proc, url, _ = start_app(real_index_dir / "index", data, "fake/echo")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.mark.slow
def test_gradio_client_api(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    got = client.predict("What must Customs do?", [], api_name="/ask")
    assert [c["measure"] for c in got["citations"]] == [32, 33]
    assert got["abstained"] is False and got["route"] == "agency"
    follow = client.predict(
        "And what about the Ministry of Culture?",
        [{"role": "user", "content": "What must Customs do?"}, {"role": "assistant", "content": got["answer"]}],
        api_name="/ask",
    )
    assert [c["measure"] for c in follow["citations"]] == [54, 62, 86]


def test_refuses_exposed_without_auth(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "IPPLAN_DATA_DIR": str(tmp_path)},
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 2 and "APP_AUTH" in out.stderr and "Traceback" not in out.stderr


def test_auth_parsing(tmp_path):
    assert parse_auth("ann:pw1,bob:pw2") == [("ann", "pw1"), ("bob", "pw2")]
    f = tmp_path / "users"
    f.write_text("ann:pw1\n\nbob:p:w2\n")
    assert parse_auth(f"@{f}") == [("ann", "pw1"), ("bob", "p:w2")]
    with pytest.raises(SystemExit):
        parse_auth("nopassword")
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")


def test_feedback_appends_are_atomic_and_survive_torn_lines(tmp_path):
    log = tmp_path / "feedback.jsonl"

    def writer(i):
        for j in range(50):
            feedback.append(log, {"rating": "up", "question": f"q{i}-{j}", "answer": "x\n" * 200})

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = log.read_text().splitlines()
    assert len(lines) == 400 and all(json.loads(line)["rating"] == "up" for line in lines)
    with open(log, "a") as fh:  # a crash mid-write leaves a torn last line
        fh.write('{"rating": "do')
    assert len(feedback.read(log)) == 400
