"""The one tokeniser: lower-case word tokens and their offsets, shared by the index (clause split,
agency matching) and, through ``assistant/text.py``, by every stage that reads questions.

It lives at the bottom layer so that ``index/`` never imports ``assistant/``.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """The tokens of :func:`words` with their offsets in ``text``: ``"the IT office" -> [("the", 0, 3), ...]``.
    Lower-casing keeps offsets, so callers can look at the original spelling (``"IT"`` in capitals)."""
    return [(m.group(0).removesuffix("'s").rstrip("'"), m.start(), m.end()) for m in _WORD.finditer(text.lower())]


def words(text: str) -> list[str]:
    """Lower-case word tokens: ``"Customs' IPR-filing" -> ["customs'", "ipr", "filing"]``."""
    return [w.removesuffix("'s").rstrip("'") for w in _WORD.findall(text.lower())]
