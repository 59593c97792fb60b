"""Sentence cache: the model's reply for (measure, focus, backend, prompt version, index version),
kept in SQLite (stdlib ``sqlite3``, WAL) in the data directory so it survives restarts.

Decoding is deterministic, so one stored reply stands for every later call with the same key.
The reply is stored raw together with whether it passed the checks when written; readers run
the same checks again on every hit (microseconds), so a hit returns exactly what a live call
would, and a reply that failed is only ever served as "use the extractive sentence".

Threads share one connection behind a lock; processes share the file through WAL and a busy
timeout. A deleted or unreadable file is moved aside and rebuilt with a notice on stderr, never
a crash; if even that fails the cache turns itself off and every sentence is written live.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS sentences (
    measure INTEGER NOT NULL,
    focus TEXT NOT NULL,
    backend TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    index_version TEXT NOT NULL,
    reply TEXT NOT NULL,
    passed INTEGER NOT NULL,
    written_at REAL NOT NULL,
    PRIMARY KEY (measure, focus, backend, prompt_version, index_version)
) WITHOUT ROWID
"""


@dataclass(frozen=True)
class Key:
    """What a stored reply depends on. The prompt is built from (measure, focus) alone."""

    measure: int
    focus: str
    backend: str
    prompt_version: str
    index_version: str

    def row(self) -> tuple:
        return (self.measure, self.focus, self.backend, self.prompt_version, self.index_version)


@dataclass(frozen=True)
class Stored:
    """A cached model reply and whether it passed the checks when it was written."""

    reply: str
    passed: bool


class SentenceCache:
    """Persistent ``Key -> Stored`` map; safe for threads and processes, self-healing."""

    def __init__(self, path: Path, timeout_s: float = 10.0):
        self.path = Path(path)
        self.timeout_s = timeout_s
        self.notice = ""  # the last rebuild notice, for doctor and the logs
        self.enabled = True
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._inode: tuple[int, int] | None = None
        self._run(lambda c: None)  # open (or rebuild) now, so a notice comes at start-up

    # ------------------------------------------------------------ public

    def get(self, key: Key) -> Stored | None:
        """The stored reply for ``key``, or None (a miss, or the cache is off)."""
        row = self._run(
            lambda c: c.execute(
                "SELECT reply, passed FROM sentences WHERE measure=? AND focus=? AND backend=? "
                "AND prompt_version=? AND index_version=?",
                key.row(),
            ).fetchone()
        )
        return Stored(row[0], bool(row[1])) if row else None

    def put(self, key: Key, reply: str, passed: bool) -> None:
        """Store a reply (idempotent: decoding is deterministic, so a rewrite stores the same)."""
        self._run(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO sentences VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*key.row(), reply, int(passed), time.time()),
            )
        )

    def keys(self, backend: str, prompt_version: str, index_version: str) -> dict[tuple[int, str], bool]:
        """``(measure, focus) -> passed`` for every entry of one backend and version."""
        rows = self._run(
            lambda c: c.execute(
                "SELECT measure, focus, passed FROM sentences WHERE backend=? AND prompt_version=? AND index_version=?",
                (backend, prompt_version, index_version),
            ).fetchall()
        )
        return {(m, f): bool(p) for m, f, p in rows or []}

    def prune(self, prompt_version: str, index_version: str) -> int:
        """Drop entries written for another prompt or index version; returns how many."""
        cur = self._run(
            lambda c: c.execute(
                "DELETE FROM sentences WHERE prompt_version != ? OR index_version != ?", (prompt_version, index_version)
            )
        )
        return cur.rowcount if cur is not None else 0

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn = None

    # ------------------------------------------------------------ plumbing

    def _run(self, op):
        """Run ``op(connection)`` (each statement commits on its own); on a broken store rebuild
        once and retry, and if that fails too turn the cache off."""
        with self._lock:
            for attempt in (1, 2):
                if not self.enabled:
                    return None
                try:
                    return op(self._ensure())
                except sqlite3.OperationalError as exc:
                    if "locked" in str(exc) or "busy" in str(exc):
                        return None  # another process held the lock past the timeout: a miss, not a crash
                    self._rebuild(exc, attempt)
                except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
                    self._rebuild(exc, attempt)
                except OSError as exc:  # the data directory is not writable
                    self._rebuild(exc, 2)
            return None

    def _ensure(self) -> sqlite3.Connection:
        """The open connection, reopened when the file was deleted or replaced under us."""
        try:
            st = os.stat(self.path)
            inode = (st.st_dev, st.st_ino)
        except FileNotFoundError:
            inode = None
        if self._conn is not None and inode == self._inode:
            return self._conn
        if self._conn is not None:
            self._say(f"Sentence cache {self.path} was deleted or replaced; starting a new one.")
            self._conn.close()
            self._conn = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.timeout_s, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(SCHEMA)
        except Exception:
            conn.close()
            raise
        st = os.stat(self.path)
        self._conn, self._inode = conn, (st.st_dev, st.st_ino)
        return conn

    def _rebuild(self, exc: Exception, attempt: int) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._inode = None, None
        if attempt > 1:
            self.enabled = False
            self._say(f"Sentence cache {self.path} still unusable ({exc}); answering without it.")
            return
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            src = Path(f"{self.path}{suffix}")
            if src.exists():
                try:
                    os.replace(src, Path(f"{self.path}.corrupt-{stamp}{suffix}"))
                except OSError:
                    src.unlink(missing_ok=True)
        self._say(f"Sentence cache {self.path} was unreadable ({exc}); moved it aside and started a new one.")

    def _say(self, message: str) -> None:
        self.notice = message
        print(message, file=sys.stderr, flush=True)
