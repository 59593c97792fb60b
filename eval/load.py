"""Load test (a script, not a unit test): N concurrent chat users against a running app through
``gradio_client`` on loopback, for a bounded time. Reports p50/p95 latency, errors, and whether
every reply belongs to its question."""

from __future__ import annotations

import statistics
import threading
import time
from urllib.parse import urlparse

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


def load_test(url: str, users: int = 8, seconds: float = 60.0, max_requests: int = 400) -> int:
    """Run the load; returns 0 when there were no errors and no mismatched replies."""
    from gradio_client import Client

    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("error: the load test only targets loopback addresses")
    latencies: list[float] = []
    errors: list[str] = []
    mismatched: list[str] = []
    sent = 0
    lock = threading.Lock()
    deadline = time.time() + seconds

    def user(i: int) -> None:
        nonlocal sent
        client = Client(url, verbose=False)
        k = i
        while time.time() < deadline:
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
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            elapsed = time.perf_counter() - t
            with lock:
                latencies.append(elapsed)
                if reply["question"] != question or [c["measure"] for c in reply["citations"]] != expected:
                    mismatched.append(question)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ordered = sorted(latencies) or [float("nan")]
    print(f"users={users} requests={len(latencies)} wall={wall:.1f}s throughput={len(latencies) / wall:.2f}/s")
    print(f"latency p50={statistics.median(ordered):.2f}s p95={ordered[int(0.95 * (len(ordered) - 1))]:.2f}s")
    print(f"errors={len(errors)} mismatched={len(mismatched)}")
    for e in errors[:5]:
        print("  error:", e)
    return 0 if not errors and not mismatched else 1
