"""Shared fixtures: every path points at tmp dirs; a fake embedder; one real index per session."""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from index.agencies import Registry
from index.config import DEFAULT_REGISTRY, DEFAULT_SOURCE, Settings
from index.parse import parse

ROOT = Path(__file__).resolve().parent.parent


class FakeEmbeddings(Embeddings):
    """Deterministic bag-of-words hashing embedder: fast, offline, similar texts stay similar."""

    dim = 64

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dim
        for word in re.findall(r"\w+", text.lower()):
            v[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / norm for x in v]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """No test writes to the real cache; settings come from env like in production."""
    for var in ("IPPLAN_INDEX_DIR", "IPPLAN_LLM", "CHROMA_HOST", "APP_AUTH", "IPPLAN_SOURCE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("IPPLAN_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load(DEFAULT_REGISTRY)


@pytest.fixture(scope="session")
def plan(registry):
    return parse(DEFAULT_SOURCE, registry)


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory) -> Path:
    """An index built once per session with the real embedded model."""
    from index.build import build

    path = tmp_path_factory.mktemp("real-index")
    build(Settings(data_dir=path, index_dir=path / "index"), quiet=True)
    return path


@pytest.fixture
def real_settings(real_index_dir) -> Settings:
    return Settings(data_dir=real_index_dir, index_dir=real_index_dir / "index", llm="fake/echo")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 180.0, proc=None) -> None:
    import time
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def start_app(index_dir: Path, data_dir: Path, llm: str, extra_env: dict | None = None):
    """Start ``app.py`` on a free loopback port; returns (process, url, log path)."""
    import os
    import subprocess
    import sys

    port = free_port()
    env = {
        **os.environ,
        "IPPLAN_INDEX_DIR": str(index_dir),
        "IPPLAN_DATA_DIR": str(data_dir),
        "IPPLAN_LLM": llm,
        "GRADIO_ANALYTICS_ENABLED": "False",
        **(extra_env or {}),
    }
    log = data_dir / "app.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(port)], env=env, cwd=ROOT, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url, proc=proc)
    except Exception:
        proc.kill()
        raise RuntimeError(log.read_text()) from None
    return proc, url, log


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # headless on a closed network: no background connections, no sandbox as root
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright):
    """Debian's Chromium under Playwright, headless, with the flags this machine needs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
