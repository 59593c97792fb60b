"""The retriever's view of the index: the embedder, and the collection's vectors read once.

The retriever scores topics in numpy against every measure and expansion vector, so it needs
Chroma exactly once: to read those vectors. :func:`open_assistant` in ``assistant/cli.py`` reads
them at start, so a Chroma server that dies or hangs later costs nothing. When they cannot be
read (the server is down or hung at start), topic questions get :class:`IndexUnavailable` with
the start-up check's message, which callers turn into the answer's notice; every call is bounded
by the client's timeouts, and after a failure Chroma is not asked again for ``chroma_retry_s``,
so a hung server holds no request past one timeout. Agency, lookup and count questions are
answered from the parsed records and never get here.
"""

from __future__ import annotations

import threading
import time

from index.build import IndexBuildError, IndexUnavailable, open_client, unreachable
from index.config import Settings


class Vectors:
    """``get(**kwargs)`` and ``embeddings``: the part of LangChain's ``Chroma`` the retriever uses."""

    def __init__(self, settings: Settings, embeddings, manifest: dict | None = None, down: str = ""):
        self.settings = settings
        self.embeddings = embeddings
        self.manifest = manifest or {}
        self._lock = threading.Lock()
        self._error = down  # why the last attempt failed ("" when it did not)
        self._failed_at = time.monotonic() if down else 0.0

    @property
    def error(self) -> str:
        """Why Chroma could not be read the last time, or ""."""
        return self._error

    def get(self, **kwargs) -> dict:
        """``collection.get(**kwargs)``, or :class:`IndexUnavailable` (at once while a failure is recent)."""
        if self._error and time.monotonic() - self._failed_at < self.settings.chroma_retry_s:
            raise IndexUnavailable(self._error)
        if not self._lock.acquire(blocking=False):  # another request is already trying: do not queue behind it
            raise IndexUnavailable(self._error or "The index is being opened; please ask again in a moment.")
        try:
            got = self._read(kwargs)
        except IndexBuildError as exc:
            self._fail(str(exc))
        except Exception as exc:  # a reply cut off half-way, an HTTP error: the same as unreachable
            self._fail(unreachable(self.settings, exc) if self.settings.chroma_host else f"Index unreadable: {exc}")
        else:
            self._error = ""
            return got
        finally:
            self._lock.release()

    def _read(self, kwargs: dict) -> dict:
        collection = open_client(self.settings, quiet=True).get_collection(self.settings.collection)
        meta = collection.metadata or {}
        stale = [k for k, v in self.manifest.items() if meta.get(k) != v]
        if stale:
            raise IndexBuildError(
                f"The index in Chroma does not match this plan ({', '.join(stale)} differ). "
                "Run `python -m index build` to rebuild it."
            )
        got = collection.get(**kwargs)
        if not got.get("ids"):
            raise IndexBuildError("The index in Chroma is empty. Run `python -m index build` to rebuild it.")
        return got

    def _fail(self, message: str):
        self._error, self._failed_at = message, time.monotonic()
        raise IndexUnavailable(message)


def unavailable_answer(question: str, message: str, backend: str):
    """The answer to a question that needed the index while Chroma is unavailable: the message as its notice."""
    from assistant.answer import Answer

    text = f"*{message}* Questions about agencies, measure numbers and counts are still answered from the plan."
    return Answer(question=question, text=text, abstained=True, route="unavailable", notice=message, backend=backend)
