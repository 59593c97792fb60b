"""Acronyms read from the plan's own words: "GI" is the plan's "geographic indications".

Staff write acronyms the plan spells out (or writes once, as the plan writes "GI" once and
"geographic indication" nine times). For an all-capitals word of the question that names no agency,
the phrase of the plan whose words' initials spell it (joining words like "and" and "of" skipped) is
its expansion, when the plan uses it often and far more than any other phrase with those initials
("issues concerning" and "inferior commodities" leave "IC" unexpanded). The topic then reads the
phrase beside the acronym. Nothing here comes from questions.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cached_property

from assistant.text import FUNCTION_WORDS
from index.tokens import words

_JOINING = {"and", "of", "the", "for", "on", "in"}
_OTHER_WORDS = {"ip", "ipr", "iprs"}  # acronyms themselves
_OFTEN = 4  # uses of a phrase in the plan for its initials to name it
_ACRONYM = re.compile(r"\b[A-Z]{2,5}\b")


class Acronyms:
    """Expansions of acronyms over one plan's text."""

    def __init__(self, texts: list[str], taken: set[str] = frozenset()):
        self.texts = texts
        self.taken = {t.lower() for t in taken}  # agency abbreviations: names, not topics

    @cached_property
    def _phrases(self) -> Counter:
        """(initials, phrase) counts over every run of 2-5 content words of the plan."""
        found: Counter = Counter()
        for text in self.texts:
            tokens = words(text)
            for i in range(len(tokens)):
                if tokens[i] in _JOINING:
                    continue
                initials, kept = "", []
                for w in tokens[i : i + 8]:
                    if w in _OTHER_WORDS or (w in FUNCTION_WORDS and w not in _JOINING):
                        break  # "improve their", "an ip": not a name
                    kept.append(w)
                    if w in _JOINING:
                        continue
                    initials += w[0]
                    if 2 <= len(initials) <= 5:
                        found[(initials, " ".join(kept))] += 1
                    if len(initials) >= 5:
                        break
        return found

    def expand(self, acronym: str) -> str | None:
        """The plan's most frequent phrase for ``acronym`` ("GI" -> "geographic indication"), or None."""
        key = acronym.lower()
        if key in self.taken or len(key) < 2:
            return None
        ranked = sorted(((n, p) for (i, p), n in self._phrases.items() if i == key), reverse=True)
        if not ranked or ranked[0][0] < _OFTEN or (len(ranked) > 1 and ranked[0][0] < 3 * ranked[1][0]):
            return None  # only a phrase the plan uses often, and far more than any other with those initials
        return ranked[0][1]

    def in_text(self, text: str) -> list[tuple[str, str]]:
        """(acronym, expansion) for each all-capitals word of ``text`` the plan spells out."""
        out = []
        for m in _ACRONYM.finditer(text):
            if (phrase := self.expand(m.group(0))) is not None:
                out.append((m.group(0), phrase))
        return out
