"""Text normalisation before a question is parsed: invisible format characters out, NFKC in.

A soft hyphen or a zero-width joiner inside a word ("Cus\\u00adtoms") is invisible on screen but
splits the word for every matcher; full-width letters and digits ("ＣＵＳＴＯＭＳ", "措施４７")
look like ASCII but are not. Both arrive by copy and paste from Word, PDFs and Chinese input methods.
"""

from __future__ import annotations

import re
import unicodedata


def normalize_text(text: str) -> str:
    """Drop format characters (Unicode category Cf: soft hyphen, ZWJ/ZWNJ, word joiner, BOM, bidi
    marks) and lone surrogates (Cs, which no encoder accepts), then fold compatibility forms (NFKC).

    ``"Cus\\u00adtoms" -> "Customs"``; ``"\\ufeffＣｕｓｔｏｍｓ ４７" -> "Customs 47"``
    """
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cs"))
    return unicodedata.normalize("NFKC", kept)


# Written English shorthand, spelled out so that names and the plan's words match: "the customs admin"
# is the customs administration; "govt" is the government; "&" is "and" between words.
_SHORTHAND = {
    "&": "and",
    "admin": "administration",
    "dept": "department",
    "doc": "document",
    "docs": "documents",
    "legit": "legitimate",
    "tm": "trademark",
    "tms": "trademarks",
    "depts": "departments",
    "govt": "government",
    "gov't": "government",
    "info": "information",
    "intl": "international",
    "int'l": "international",
    "natl": "national",
    "nat'l": "national",
    "mgmt": "management",
    "w/": "with",
    "w/o": "without",
    "incl": "including",
    "reg": "regulation",
    "regs": "regulations",
    "reqs": "requirements",
    "govts": "governments",
    "orgs": "organizations",
    "org": "organization",
}
_SHORTHAND_KEYS = "|".join(re.escape(k) for k in sorted(_SHORTHAND, key=len, reverse=True))
# a possessive is still the word ("the copyright admin's tasks")
_SHORTHAND_RE = re.compile(r"(?<![\w&/'])(" + _SHORTHAND_KEYS + r")(?![\w&])(?!'(?!s\b))", re.I)


def spell_out(text: str) -> str:
    """Common written shorthand spelled out: ``"MARA & the forestry admin" -> "MARA and the forestry
    administration"``. Capitalised forms keep their capital ("Govt" -> "Government")."""

    def full(m: re.Match) -> str:
        word = _SHORTHAND[m.group(1).lower()]
        return word.capitalize() if m.group(1)[0].isupper() else word

    return _SHORTHAND_RE.sub(full, text)


_PLURAL_ABBREVIATION = re.compile(r"\b([A-Z]{2,})s\b")


def singular_abbreviations(text: str, known) -> str:
    """ "GIs" -> "GI" when ``known(singular)`` (the plan or the registry uses it): the plural of an
    abbreviation is the abbreviation."""
    return _PLURAL_ABBREVIATION.sub(lambda m: m.group(1) if known(m.group(1)) else m.group(0), text)


# The words the parser's cues are made of (negation, scope, role, count): a misspelt one ("wihtout",
# "exept", "secton") hides the cue, and the topic speller corrects only against the plan's words.
CUE_VOCABULARY = frozenset(
    ["without", "except", "excluding", "including", "outside", "besides", "neither", "between", "section"]
    + ["sections", "chapter", "leading", "listed", "first", "alone", "responsible", "jointly", "together"]
    + ["shared", "other", "measures", "measure", "agency", "agencies", "ministry", "number", "which", "rather"]
)


def correct_cues(text: str, known: frozenset[str]) -> str:
    """Each unknown word one edit (a transposition counts as one) from exactly one cue word becomes that
    word: ``"customs measures exluding section IV" -> "customs measures excluding section IV"``. Words of four
    letters or fewer, known English words and words in capitals (names, acronyms) are left alone."""
    from rapidfuzz.distance import OSA

    def fix(m: re.Match) -> str:
        word = m.group(0)
        low = word.lower()
        if len(word) <= 4 or low in known or low in CUE_VOCABULARY or word[:1].isupper():
            return word
        near = [c for c in CUE_VOCABULARY if OSA.distance(low, c, score_cutoff=1) <= 1]
        return near[0] if len(near) == 1 else word

    return re.sub(r"[A-Za-z]+", fix, text)
