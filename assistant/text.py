"""Text helpers shared by every stage: the one tokeniser (``words``), the one stop list (``STOP``), the
one citation pattern (``CITATION``, ``cited``), Snowball stems and spelling correction.

Spelling correction works against the plan's own vocabulary (its measures, section titles,
expansions and agency registry): a word that is neither in that vocabulary nor a known English
word (the embedding model's WordPiece vocabulary) is replaced by its closest plan word, found
with rapidfuzz. "trademrak" -> "trademark"; "borrow" is a known word and stays.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import Stemmer
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from index.tokens import word_spans, words  # noqa: F401  (the one tokeniser, re-exported)

_stemmer = Stemmer.Stemmer("english")

# Function words and the words that every question about the plan uses: they carry no topic.
_FUNCTION = """
a an the and or nor of to in on for by with from at as is are was were be been being am do does did done doing
what which who whom whose when where why how whether if than then so such that this these those there here
it its it's they them their theirs he him his she her we us our you your yours i me my mine one ones
can could may might must shall should will would need needs needed ought have has had having get gets got
not no yes any all some each every either neither both only just also too else other others another more most
very really quite about into onto over under up down out off again further once same own
please thanks thank hi hello hey ok okay pls plz kindly quick quickly question q regarding re concerning concern
concerns related relate relates relating tell say says said show list give find know want like see let lets
anything something everything nothing thing things stuff bit lot lots way ways kind sort
supposed according include includes including together joint jointly year years today currently
"""
_PLAN_WORDS = """
measure measures item items plan plans task tasks point points provision provisions action actions
responsible responsibility responsibilities role roles job jobs duty duties involve involved involves
involving assign assigned assigns mention mentions mentioned name names named cover covers covered
refer refers referred referring discuss discusses discussed touch touches touched
document section sections part parts chapter
"""
FUNCTION_WORDS = frozenset(_FUNCTION.split())
# Head nouns of organisation-like phrases ("the farm ministry", "the top court", "the forestry people").
HEADS = frozenset(
    {
        *("ministry", "ministries", "office", "regulator", "regulators", "authority", "bureau", "court"),
        *("department", "service", "administration", "commission", "agency", "academy", "procuratorate"),
        *("procuratorates", "people", "folks", "guys", "team", "watchdog", "body", "unit", "inspectorate"),
        *("police", "prosecutor", "prosecutors", "administrator", "overseer", "cops", "judges", "inspectors"),
        *("officials", "organ", "diplomats", "courts"),
    }
)

STOP = FUNCTION_WORDS | frozenset(_PLAN_WORDS.split())
CJK = re.compile(r"[\u3400-\u9fff]")
# A citation: a measure number in square brackets. Three digits, so that an out-of-range "[100]" is seen
# (and dropped as not retrieved) rather than missed; ``MEASURE_NUMBER`` builds the linked forms.
MEASURE_NUMBER = r"(\d{1,3})"
CITATION = re.compile(rf"\[{MEASURE_NUMBER}\]")


def cited(text: str) -> list[int]:
    """Measure numbers cited as ``[n]`` in a text, in order, each once: ``"[32] x [33] [32]" -> [32, 33]``."""
    return list(dict.fromkeys(int(n) for n in CITATION.findall(text)))


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """Snowball (Porter 2) stem: geographical, geographic -> geograph."""
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Stems of the content words of a text (function words and one-letter tokens dropped)."""
    return [stem(w) for w in words(text) if w not in STOP and len(w) > 1]


@lru_cache(maxsize=1)
def known_english() -> frozenset[str]:
    """Whole words of the embedding model's WordPiece vocabulary: a list of known English words."""
    from index.build import embedding_path
    from index.config import Settings

    try:
        vocab = Path(embedding_path(Settings().embed_model)) / "vocab.txt"
        return frozenset(w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha() and w.islower())
    except Exception:  # no model installed: correction then relies on the plan's vocabulary alone
        return frozenset()


class Speller:
    """Corrects words against a vocabulary (the plan's); known English words are left alone."""

    def __init__(self, vocabulary: Iterable[str], known: Iterable[str] = ()):
        words_seen = [w for w in vocabulary if len(w) > 2 and w.isalpha()]
        self._counts = Counter(words_seen)
        self.vocabulary = sorted(self._counts)
        self._vocab_set = frozenset(self.vocabulary)
        self._known = frozenset(known) | self._vocab_set | FUNCTION_WORDS

    def correct(self, word: str, name: bool = False) -> str:
        """The closest vocabulary word for an unknown word of 5+ letters, else the word itself. A
        ``name`` (capitalised inside a sentence: a place, a brand) is corrected only at one edit.

        ``"trademrak" -> "trademark"``, ``"geografical" -> "geographical"``, ``"borrow" -> "borrow"``.
        """
        if len(word) < 5 or not word.isalpha() or word in self._known or self._inflected(word):
            return word
        # Damerau-Levenshtein: a swap of two letters ("knwon") is one edit, as a person makes it.
        limit = 1 if len(word) < 8 or name else 2
        found = process.extract(
            word, self.vocabulary, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=None
        )
        if not found:
            return word
        # Closest first; among equals the more similar spelling, then the word the plan uses more.
        best = min(found, key=lambda c: (c[1], -fuzz.ratio(word, c[0]), -self._counts.get(c[0], 0)))
        if best[1] > 1 and word.startswith("re") and word[2:] in self._known:
            return word  # "rewriting" is a known word done again, not "writing" misspelt; "revison" is one edit
        return best[0]

    def _inflected(self, word: str) -> bool:
        """A known word with an ending: its Snowball stem, or the stem with "e" back, is a known word
        ("amending" is "amend" with -ing, not "attending" misspelt; "revising" is "revise")."""
        root = stem(word)
        return root != word and len(root) > 2 and (root in self._known or root + "e" in self._known)

    def correct_text(self, text: str) -> tuple[str, dict[str, str]]:
        """The text with unknown words corrected, and the corrections made."""
        fixes: dict[str, str] = {}

        def repl(m: re.Match) -> str:
            w = m.group(0)
            inside = bool(re.search(r"\w[\s,;:'\"(]*$", text[: m.start()]))  # not a sentence's first word
            fixed = self.correct(w.lower(), name=w[:1].isupper() and inside)
            if fixed != w.lower():
                fixes[w] = fixed
                return fixed
            return w

        return re.sub(r"[A-Za-z]+", repl, text), fixes
