"""Logging: one configuration for every entry point (``ipplan``, ``python -m …``, ``app.py``).

Library modules log to ``logging.getLogger(__name__)``; what a person asked for (answers, tables,
JSON) goes to stdout from the CLI layer. Log lines go to stderr as ``LEVEL logger: message``, at the
level of ``--log-level`` or ``IPPLAN_LOG_LEVEL`` (default INFO) for this project's loggers; other
libraries' loggers stay at WARNING.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(levelname)s %(name)s: %(message)s"
PACKAGES = ("assistant", "index", "eval", "app", "ipplan")


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (a redirected stream, pytest's capture)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # StreamHandler.__init__ assigns it; the property always wins
        pass


def configure(level: str | int | None = None) -> None:
    """Send log records to stderr with level and logger name; ``level`` None reads ``IPPLAN_LOG_LEVEL``."""
    if level is None:
        from index.config import Settings

        level = Settings().log_level
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
        if not isinstance(level, int):
            raise ValueError("log level must be DEBUG, INFO, WARNING or ERROR")
    root = logging.getLogger()
    if not any(isinstance(h, StderrHandler) for h in root.handlers):
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(max(level, logging.WARNING))
    for name in PACKAGES:
        logging.getLogger(name).setLevel(level)
