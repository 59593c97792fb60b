"""Sentence cache: the model's reply for (measure, focus, backend, prompt version, index version),
kept in SQLite (stdlib ``sqlite3``, WAL) in the data directory so it survives restarts.

Decoding is deterministic, so one stored reply stands for every later call with the same key.
The reply is stored raw together with whether it passed the checks when written; readers run
the same checks again on every hit (microseconds), so a hit returns exactly what a live call
would, and a reply that failed is only ever served as "use the extractive sentence".

Threads share one connection behind a lock; processes share the file through WAL and a busy
timeout. Two kinds of fault are told apart by SQLite's error code:

* **the file is broken** (``SQLITE_CORRUPT``, ``SQLITE_NOTADB``, deleted or replaced): it is moved
  aside and rebuilt with a notice on stderr; if even that fails the cache turns itself off;
* **the disk refuses** (``SQLITE_FULL``, ``SQLITE_READONLY``, ``SQLITE_CANTOPEN``, I/O errors,
  ``EACCES``/``EROFS``/``ENOSPC``): the file is healthy and is never moved. The cache goes
  *read-only* (it serves what it holds and stores nothing) or, when it cannot even be read, *off*,
  and tries again ``retry_s`` seconds later, so it comes back by itself when space returns.

Either way an answer never fails because of the cache: a sentence that cannot be cached is
written live.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

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
    """Persistent ``Key -> Stored`` map; safe for threads and processes, self-healing.

    ``state`` is ``"ok"`` (read-write), ``"read-only"`` (hits are served, nothing is stored) or
    ``"off"``; ``notice`` says why, for the chat footer, ``doctor`` and the logs.
    """

    def __init__(self, path: Path, timeout_s: float = 10.0, retry_s: float = 30.0):
        self.path = Path(path)
        self.timeout_s = timeout_s
        self.retry_s = retry_s  # after the disk refused, wait this long before trying again
        self.notice = ""  # the last notice (rebuilt, read-only, off, back), for doctor and the logs
        self.reason = ""  # why the disk refused ("disk full", "read-only file system"), while it does
        self.state = "ok"
        self.broken = False  # unusable even after a rebuild: off for the life of the process
        self._retry_at = 0.0
        self._refused = False  # the disk refused; say so once, and again when it is writable
        self._ro = False  # the open connection is read-only (the disk refused writes)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._inode: tuple[int, int] | None = None
        self._run(lambda c: None)  # open (or rebuild) now, so a notice comes at start-up

    @property
    def enabled(self) -> bool:
        """Hits can be served (``ok`` or ``read-only``)."""
        return self.state != "off"

    @property
    def writable(self) -> bool:
        """A put may be stored now: the cache is ``ok``, or its retry is due."""
        return not self.broken and (self.state == "ok" or time.monotonic() >= self._retry_at)

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

    def put(self, key: Key, reply: str, passed: bool) -> bool:
        """Store a reply (idempotent: decoding is deterministic, so a rewrite stores the same).
        False when it was not stored (the cache is read-only or off)."""
        cur = self._run(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO sentences VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*key.row(), reply, int(passed), time.time()),
            ),
            write=True,
        )
        return cur is not None

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
            ),
            write=True,
        )
        return cur.rowcount if cur is not None else 0

    def close(self) -> None:
        with self._lock:
            self._close()

    # ------------------------------------------------------------ plumbing

    def _run(self, op, write: bool = False):
        """Run ``op(connection)`` (each statement commits on its own). A broken file is rebuilt once
        and retried; a disk that refuses turns the cache read-only or off until ``retry_s`` passes."""
        with self._lock:
            if self.broken:
                return None
            if self.state != "ok":
                if time.monotonic() < self._retry_at:
                    if self.state == "off" or write:
                        return None
                else:  # time to try the disk again; the state changes only when it works
                    self._close()
                    self._ro = False
            for attempt in (1, 2):
                try:
                    result = op(self._ensure())
                except (sqlite3.Error, OSError) as exc:
                    kind = fault_kind(exc)
                    if kind == "busy":
                        return None  # another process held the lock past the timeout: a miss, not a crash
                    if kind == "refused":
                        self._refuse(exc)
                        return self._read_only(op) if not write else None
                    if not self._rebuild(exc, attempt):
                        return None
                    continue
                if write:
                    self.state = "ok"
                    if self._refused:
                        self._refused, self.reason = False, ""
                        self._say(f"Sentence cache {self.path} is writable again.")
                elif self.state == "off":
                    self.state = "read-only"  # it can be read again; a write will tell the rest
                return result
            return None

    def _ensure(self) -> sqlite3.Connection:
        """The open connection, reopened when the file was deleted or replaced under us."""
        if self._ro and self._conn is not None:
            return self._conn
        try:
            st = os.stat(self.path)
            inode = (st.st_dev, st.st_ino)
        except FileNotFoundError:
            inode = None
        if self._conn is not None and inode == self._inode:
            return self._conn
        if self._conn is not None:
            self._say(f"Sentence cache {self.path} was deleted or replaced; starting a new one.")
            self._close()
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

    def _read_only(self, op):
        """``op`` on the read-only connection, if there is one; any error is a miss."""
        if self._conn is None:
            return None
        try:
            return op(self._conn)
        except (sqlite3.Error, OSError):
            return None

    def _open_read_only(self) -> sqlite3.Connection | None:
        """A read-only connection to a healthy file the disk will not let us write, else None.
        ``immutable=1`` reads a WAL file on a read-only disk where its ``-shm`` cannot be created."""
        for query in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?{query}", uri=True, timeout=self.timeout_s, check_same_thread=False
                )
            except (sqlite3.Error, OSError, ValueError):
                continue
            try:
                conn.execute("SELECT 1 FROM sentences LIMIT 1").fetchall()
                return conn
            except sqlite3.Error:
                conn.close()
        return None

    def _refuse(self, exc: Exception) -> None:
        """The disk refused (full, read-only, no permission): keep the file, serve what it holds."""
        self._close()
        self._retry_at = time.monotonic() + self.retry_s
        self._conn = self._open_read_only()
        self._ro = self._conn is not None
        self.state = "read-only" if self._ro else "off"
        was_refused, self._refused = self._refused, True
        if was_refused:
            return  # already said; a retry that failed again stays quiet
        why = self.reason = describe_fault(exc, self.path.parent)
        if self.state == "read-only":
            self._say(
                f"Sentence cache {self.path} is read-only now ({why}): serving the sentences it holds, storing "
                f"none; trying again every {self.retry_s:g}s."
            )
        else:
            self._say(
                f"Sentence cache {self.path} cannot be used ({why}); answering without it, "
                f"trying again every {self.retry_s:g}s."
            )

    def _rebuild(self, exc: Exception, attempt: int) -> bool:
        """Move a broken file aside and start a new one; False when the cache had to turn off."""
        self._close()
        if attempt > 1:
            self.broken = True
            self._ro = False
            self.state = "off"
            self._say(f"Sentence cache {self.path} still unusable ({exc}); answering without it.")
            return False
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            src = Path(f"{self.path}{suffix}")
            try:
                if src.exists():
                    os.replace(src, Path(f"{self.path}.corrupt-{stamp}{suffix}"))
            except OSError:
                try:
                    src.unlink(missing_ok=True)
                except OSError as gone:  # cannot move nor delete it: the disk refuses, not the file
                    self._refuse(gone)
                    return False
        self._say(f"Sentence cache {self.path} was unreadable ({exc}); moved it aside and started a new one.")
        return True

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._inode = None, None

    def _say(self, message: str) -> None:
        self.notice = message
        logger.warning(message)


# ---------------------------------------------------------------- telling faults apart

_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
# SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOLFS, SQLITE_AUTH
_REFUSED = {3, 8, 10, 13, 14, 22, 23}
_SHORT_READ = 522  # SQLITE_IOERR_SHORT_READ: the file is shorter than its header says, i.e. broken
_REFUSED_WORDS = ("disk is full", "readonly", "read-only", "unable to open", "disk i/o", "permission", "quota")


def fault_kind(exc: BaseException) -> str:
    """``"busy"`` (another process holds the lock), ``"refused"`` (the disk will not: full,
    read-only, no permission; the file is fine) or ``"broken"`` (the file itself is damaged).

    ``sqlite3.OperationalError("database or disk is full")`` (SQLITE_FULL) -> ``"refused"``;
    ``sqlite3.DatabaseError("file is not a database")`` (SQLITE_NOTADB) -> ``"broken"``.
    """
    if isinstance(exc, OSError):
        return "refused"
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        if code == _SHORT_READ:
            return "broken"
        if code & 0xFF in _BUSY:
            return "busy"
        if code & 0xFF in _REFUSED:
            return "refused"
        return "broken"
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "busy"
    return "refused" if any(w in text for w in _REFUSED_WORDS) else "broken"


def describe_fault(exc: BaseException, directory: Path | None = None) -> str:
    """A short reason for people: ``"disk full"``, ``"read-only file system"``, or the error's text.
    SQLite says only "unable to open database file" or "disk I/O error" for a directory it cannot
    write to; ``directory`` is looked at to say why."""
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "disk full"
        if exc.errno == errno.EROFS:
            return "read-only file system"
        return exc.strerror or str(exc)
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        return "disk full"
    if directory is not None:
        try:
            st = os.statvfs(directory)
            if st.f_bavail * st.f_frsize < 64 * 1024:  # SQLite may say only "disk I/O error"
                return "disk full"
            if st.f_flag & os.ST_RDONLY:
                return "read-only file system"
            if not os.access(directory, os.W_OK):
                return "no write permission"
        except OSError:
            pass
    return str(exc)
