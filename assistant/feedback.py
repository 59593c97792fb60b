"""Feedback log: one JSON line per event, each line written whole or not at all.

A record is one ``os.write`` on an ``O_APPEND`` descriptor, under a thread lock and an exclusive
``flock`` (replicas may share the file), then fsync'ed. The write's return value is checked: on a
full disk a short write is truncated back to where the line began and the caller hears
:class:`NotRecorded` ("disk full"), so no fragment is left for the next record to be glued onto.
A torn last line from an older writer or a crash is ended with a newline before the next record,
and readers skip it and say so.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

_lock = threading.Lock()

_REASONS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the data directory is read-only",
    errno.EACCES: "the data directory is not writable",
    errno.EPERM: "the data directory is not writable",
}


class NotRecorded(OSError):
    """The record was not written (and nothing of it is left in the log); ``reason`` is for people."""

    def __init__(self, reason: str, path: Path):
        super().__init__(f"feedback not recorded: {reason} ({path})")
        self.reason = reason


def reason(exc: OSError) -> str:
    """``OSError(ENOSPC) -> "disk full"``; other errors by their description."""
    return _REASONS.get(exc.errno, exc.strerror or str(exc))


def append(path: Path, record: dict) -> None:
    """Append one record (a timestamp is added) as one whole line, or raise :class:`NotRecorded`."""
    record = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **record}
    line = (json.dumps(record, ensure_ascii=False).replace("\n", "\\n") + "\n").encode("utf-8")
    with _lock:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise NotRecorded(reason(exc), path) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _write_whole(fd, line, path)
        finally:
            os.close(fd)  # releases the flock


def _write_whole(fd: int, line: bytes, path: Path) -> None:
    start = os.fstat(fd).st_size
    if start and os.pread(fd, 1, start - 1) != b"\n":
        line = b"\n" + line  # end an earlier torn line: this record must not be glued onto it
    try:
        written = os.write(fd, line)
        if written != len(line):  # a short write: the disk filled up during this line
            raise OSError(errno.ENOSPC, f"short write ({written} of {len(line)} bytes)")
        os.fsync(fd)
    except OSError as exc:
        with contextlib.suppress(OSError):  # nothing was written at all (read-only), or the file is gone
            os.ftruncate(fd, start)  # all or nothing: take the fragment back out
        raise NotRecorded(reason(exc), path) from exc


@dataclass
class Log:
    """What a read found: the whole records, and the line numbers of the torn ones it skipped."""

    records: list[dict] = field(default_factory=list)
    torn: list[int] = field(default_factory=list)


def load(path: Path) -> Log:
    """Every whole record; torn or unparsable lines are skipped and listed in ``torn``."""
    log = Log()
    if not path.exists():
        return log
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                log.records.append(json.loads(line))
            except json.JSONDecodeError:
                log.torn.append(number)
    return log


def read(path: Path) -> list[dict]:
    """All whole records; a torn line (crash or full disk mid-write) is skipped with a warning logged."""
    log = load(path)
    if log.torn:
        lines = ", ".join(map(str, log.torn[:5])) + (" …" if len(log.torn) > 5 else "")
        logger.warning("Feedback log %s: skipped %d torn line(s) (%s).", path, len(log.torn), lines)
    return log.records
