"""Writing export files (briefs, matrix CSV/PNG) safely: all or nothing, with a clear error."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class ExportError(ValueError):
    """An export file that could not be written; the message names the path and the reason."""


def write_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder, so a failure leaves no partial file."""
    path = Path(path)
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp_name, path)
    except OSError as exc:
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
        reason = exc.strerror or type(exc).__name__
        raise ExportError(f"cannot write {path}: {reason}. Choose a writable path.") from exc
    return path
