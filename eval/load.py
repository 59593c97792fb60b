"""Load test (a script, not a unit test): concurrent chat users against the app through
``gradio_client`` on loopback, for a bounded time. Reports p50/p95 latency, throughput, errors,
whether every reply belongs to its question, and the sentence-cache hit rate.

One run has three phases: the first ask of every question (cold when the app's cache is empty),
one user, then N users; it prints p50(N users) / p50(1 user). ``--spawn`` starts the app itself
twice on a free loopback port — cold (sentence cache off: every sentence written live) and warm
(cache on) — and prints both side by side with the app's peak RSS.
"""

from __future__ import annotations

import os
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from assistant.text import cited
from eval.metrics import percentile
from index.config import REPO_ROOT, Settings

# Each question has one exact answer set, so a reply can be checked against its own question.
CASES = [
    ("What must Customs do?", [32, 33]),
    ("What does measure 7 say?", [7]),
    ("What does the Ministry of Culture have to do?", [54, 62, 86]),
    ("What does measure 47 say?", [47]),
    ("Which measure mentions the Escort campaign?", [40]),
    ("What must the Ministry of Health do?", [52, 63]),
    ("What does the Ministry of Justice do?", [76, 77]),
    ("Which measure involves ten provinces?", [52]),
]


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    users: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    hits: int = 0
    calls: int = 0
    wall: float = 0.0
    server_s: list[float] = field(default_factory=list)  # the app's own answer time (timings.total_s)
    app_cpu_s: float | None = None  # CPU seconds the app process used in this phase (--spawn only)
    client_cpu_s: float = 0.0  # CPU seconds this load-generating process used

    def p(self, q: float) -> float:
        value = percentile(self.latencies, q)
        return float("nan") if value is None else value

    @property
    def hit_rate(self) -> float:
        return self.hits / (self.hits + self.calls) if self.hits + self.calls else float("nan")

    def row(self) -> str:
        n = len(self.latencies)
        rate = n / self.wall if self.wall else 0.0
        server = percentile(self.server_s, 0.5) if self.server_s else float("nan")
        app_cpu = f"{1000 * self.app_cpu_s / n:.0f} ms" if self.app_cpu_s is not None and n else "–"
        client_cpu = f"{1000 * self.client_cpu_s / n:.0f} ms" if n else "–"
        return (
            f"| {self.name} | {self.users} | {n} | {rate:.2f}/s | {self.p(0.5):.3f}s | {self.p(0.95):.3f}s | "
            f"{server:.3f}s | {self.hit_rate:.0%} | {len(self.errors)} | {len(self.mismatched)} | "
            f"{app_cpu} | {client_cpu} |"
        )


HEADER = (
    "| phase | users | answers | throughput | p50 | p95 | answer p50 in app | cache hits | errors | mixed "
    "| app CPU / answer | client CPU / answer |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def _cpu_s(pid: int | None = None) -> float | None:
    """CPU seconds (user + system) of this process, or of ``pid`` from /proc."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _check(reply: dict, question: str, expected: list[int]) -> bool:
    """The reply is this question's: same question, exact citations, no other measure in the text."""
    cited_in_text = set(cited(reply.get("answer", "")))
    return (
        reply.get("question") == question
        and [c["measure"] for c in reply["citations"]] == expected
        and cited_in_text <= set(expected)
    )


def _phase(
    url: str, name: str, users: int, seconds: float | None, app_pid: int | None = None, max_requests: int = 100_000
) -> Phase:
    """``users`` threads asking in a loop until ``seconds`` pass (None: every case once, one user)."""
    from gradio_client import Client

    phase = Phase(name, users)
    # gradio_client opens a new httpx client, and so builds a new SSL context (~45 ms of CPU), for
    # every request unless given one: on a 2-core box that would load the app more than the app does.
    tls = ssl.create_default_context()
    cpu0, app0 = _cpu_s(), _cpu_s(app_pid) if app_pid else None
    lock = threading.Lock()
    sent = 0
    deadline = time.time() + (seconds or 0)

    def user(i: int) -> None:
        nonlocal sent
        client = Client(url, verbose=False, ssl_verify=tls)  # type: ignore[arg-type]  # httpx takes a context
        k = i
        while (seconds is None and k < len(CASES)) or (seconds is not None and time.time() < deadline):
            with lock:
                if sent >= max_requests:
                    return
                sent += 1
            question, expected = CASES[k % len(CASES)]
            k += 1
            t = time.perf_counter()
            try:
                reply = client.predict(question, [], api_name="/ask")
            except Exception as exc:  # counted and reported, the run goes on
                with lock:
                    phase.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            elapsed = time.perf_counter() - t
            timings = reply.get("timings") or {}
            with lock:
                phase.latencies.append(elapsed)
                phase.hits += timings.get("cache_hits", 0)
                phase.calls += timings.get("llm_calls", 0)
                if "total_s" in timings:
                    phase.server_s.append(timings["total_s"])
                if not _check(reply, question, expected):
                    phase.mismatched.append(question)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.wall = time.perf_counter() - t0
    phase.client_cpu_s = _cpu_s() - cpu0
    if app0 is not None and (app1 := _cpu_s(app_pid)) is not None:
        phase.app_cpu_s = app1 - app0
    return phase


def run_phases(
    url: str, users: int, seconds: float, single_seconds: float | None = None, app_pid: int | None = None
) -> list[Phase]:
    """First ask of each question, then one user, then ``users`` users."""
    return [
        _phase(url, "first ask", 1, None, app_pid),
        _phase(url, "1 user", 1, single_seconds or max(10.0, seconds / 4), app_pid),
        _phase(url, f"{users} users", users, seconds, app_pid),
    ]


def report(title: str, phases: list[Phase]) -> str:
    """Markdown table of the phases plus the p50 ratio many users / one user."""
    one, many = phases[1], phases[-1]
    ratio = many.p(0.5) / one.p(0.5) if one.latencies and many.latencies else float("nan")
    lines = [f"### {title}", "", HEADER, *(p.row() for p in phases), ""]
    lines.append(f"p50({many.users} users) / p50(1 user) = {ratio:.2f}x")
    for e in [e for p in phases for e in p.errors][:5]:
        lines.append(f"  error: {e}")
    return "\n".join(lines)


def _loopback(url: str) -> None:
    if urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("error: the load test only targets loopback addresses")


def load_test(url: str, users: int = 8, seconds: float = 60.0, single_seconds: float | None = None) -> int:
    """Run the load against a running app; returns 0 when there were no errors and no mixed replies."""
    _loopback(url)
    phases = run_phases(url, users, seconds, single_seconds)
    print(report(f"{url} (load average {_load()})", phases), flush=True)
    return 0 if not any(p.errors or p.mismatched for p in phases) else 1


# ---------------------------------------------------------------- --spawn: cold and warm apps


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _spawned(extra_env: dict, data_dir: Path, llm: str | None):
    """Start app.py on a free loopback port against the configured index; returns (process, url)."""
    settings = Settings.from_env()
    port = _free_port()
    env = {
        **os.environ,
        "IPPLAN_DATA_DIR": str(data_dir),
        "IPPLAN_INDEX_DIR": str(settings.index_path),
        "GRADIO_ANALYTICS_ENABLED": "False",
        **({"IPPLAN_LLM": llm} if llm else {}),
        **extra_env,
    }
    log = open(data_dir / "app.log", "w")  # noqa: SIM115 - the child keeps writing to it
    proc = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "app.py"), "--port", str(port)], env=env, cwd=REPO_ROOT, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"error: app exited with {proc.returncode}: {(data_dir / 'app.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("error: the app did not start within 300 s")


def spawn_test(users: int = 8, seconds: float = 60.0, single_seconds: float | None = None, llm: str | None = None):
    """Cold (cache off) and warm (cache on, filled by the first asks) apps, one after the other."""
    configs = [
        ("cold: sentence cache off, every sentence written live", {"IPPLAN_SENTENCE_CACHE": "0"}),
        ("warm: sentence cache on (empty at start, filled by the first asks)", {"IPPLAN_SENTENCE_CACHE": "1"}),
    ]
    failed = False
    for title, extra in configs:
        with tempfile.TemporaryDirectory(prefix="ipplan-load-") as tmp:
            proc, url = _spawned({**extra, "IPPLAN_WARM_ON_START": "0"}, Path(tmp), llm)
            try:
                phases = run_phases(url, users, seconds, single_seconds, proc.pid)
                rss = _peak_rss_mb(proc.pid)
            finally:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            print(report(f"{title} (load average {_load()}, app peak RSS {rss} MB)", phases) + "\n", flush=True)
            failed |= any(p.errors or p.mismatched for p in phases)
    return 1 if failed else 0
