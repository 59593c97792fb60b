"""Feedback log: one JSON line per event, appended atomically.

Each record is written with a single ``os.write`` on an ``O_APPEND`` descriptor under a lock and
then fsync'ed, so concurrent writers never interleave and a crash can at worst lose the line
being written, never damage earlier ones.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

_lock = threading.Lock()


def append(path: Path, record: dict) -> None:
    """Append one record (a timestamp is added) as one line."""
    record = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **record}
    line = (json.dumps(record, ensure_ascii=False).replace("\n", "\\n") + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


def read(path: Path) -> list[dict]:
    """All complete records; a torn last line (crash mid-write) is skipped."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
