"""Extractor: sections, by number (Arabic, Roman, Chinese, ordinal word), by title, or by theme.

    "section III", "part 3", "the third section", "第三部分"      -> III  (how="number")
    "the part about IP culture"                                  -> VIII (how="title": its words)
    "the IP services chapter", "the protection part"             -> VII, IV (how="theme")

A theme needs a section noun (section, part, chapter, heading, pillar): without one, words like
"services" are a topic, not a section. Theme words are scored against each section's title by stems
weighted by how rare they are among the titles, then by meaning (embedding similarity to the title
and objectives) above a threshold fitted on dev. Polarity comes from cue words before the mention
("outside", "not in", "except").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from assistant.cosine import cosines, unit_rows
from assistant.text import FUNCTION_WORDS, terms, word_spans
from assistant.understand import cues
from assistant.understand.query import Constraint, Kind
from index.parse import Plan

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_ORDS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
_ZH = "一二三四五六七八九十"
NOUN = r"(?:sections?|parts?|chapters?|headings?|pillars?|secs?\.?|§)"
_BY_NUMBER = re.compile(
    rf"\b{NOUN}\s*(?:no\.?\s*|number\s+|#\s*)?(?P<n>[ivx]+|\d{{1,2}}|{'|'.join(_WORDS)})\b"
    rf"(?P<more>(?:\s*(?:,|and|or|&|to|through|-|–)\s*(?:{NOUN}\s*)?(?:[ivx]+|\d{{1,2}})\b(?![\d,.]))*)"
    rf"|\b(?:the\s+)?(?P<o>{'|'.join(_ORDS)}|last|final)\s+{NOUN}"
    rf"|第(?P<z>[{_ZH}])(?:部分|章|节|大类)|(?:部分|章节)(?P<z2>[{_ZH}])(?![{_ZH}])"
    rf"|(?<![\w.])(?P<r>I{{1,3}}|IV|V|VI{{1,3}})\.(?=\s)",
    re.I,
)
# A Roman numeral II-VIII on its own, in capitals, after a preposition or before a measure noun: "the IV
# measures", "tasks under IV" ("I" is the pronoun; lower case is a word)
_BARE_ROMAN = re.compile(
    r"(?:(?<=\bunder )|(?<=\bin )|(?<=\bwithin )|(?<=\boutside )|(?<=\bfrom )|(?<=\bthe )|(?<=\bof ))"
    r"(?P<a>II|III|IV|V|VI|VII|VIII)\b(?![-/'])"
    r"|(?<![\w./'-])(?P<b>II|III|IV|V|VI|VII|VIII)(?=\s+(?:measures?|items?|tasks?|ones|stuff)\b)"
)
_DETERMINER = re.compile(r"\b(?:the|that|this|which|a|one|any|whichever|what)\s*$", re.I)
_PRONOUN_I = re.compile(
    r"\s+(?:meant|mean|want|wanted|need|needed|asked|was|am|had|said|think|thought|chose|picked|typed|gave|did|"
    r"have|would|will|should|could|can|do|care|like)\b"
)
_IDIOM = re.compile(
    r"\b(?:take|takes|took|taking|taken|play|plays|played|playing|have|has|had)\s+(?:a\s+|any\s+|some\s+|no\s+|an?\s+active\s+)?part$"
    r"|\b(?:are|is|be|being|was|were|form|forms)\s+(?:a\s+)?part$|\bfor (?:its|their|our) part$"
    r"|\b(?:same|that|this|which|what|each|every|any|one|a|another|other)\s+(?:sections?|parts?|chapters?|headings?)$",
    re.I,
)
_THEME_NOUN = re.compile(rf"\b(?:{NOUN}|bits?)\b", re.I)  # "that bit on culture": a part, by theme only
# Words in brackets right after a section mention describe it: "chapter V (GIs, folklore)", "the protection part (IV)"
# What describes a section right after its name: a bracket, an alternative after a slash ("putting IP to
# use / commercialisation"), or a list after a dash, up to the question mark ("- GIs, folklore etc?")
_ASIDE = re.compile(
    r"^\s*\([^()]{1,80}\)"
    r"|^(?:\s+[\w'-]+){0,2}?\s*/\s*[\w'-]+(?:\s+[\w'-]+){0,2}?(?=\s*(?:[,?;.:]|$))"
    r"|^\s+[-–—]\s+[^?;()]{1,80}?(?=\s*(?:\?|;|\s[-–—]\s|$))",
    re.I,
)
# An aside that asks something is the question, not a description: "- which of them does SIPO lead?"
_ASKING = re.compile(
    r"\b(?:which|what|how|who|whose|where|when|list|show|give|tell|does|do|did|is|are|was|were|can|could|"
    r"please|pls|any|measures?|items?|lead\w*|count|number)\b",
    re.I,
)
# Nouns of everyday speech that follow a body or a pronoun say membership: "is the trade ministry part of that campaign"
_EVERYDAY_NOUNS = {"part", "parts", "bit", "bits"}
_PRONOUN_BEFORE = re.compile(r"\b(?:it|they|them|we|you|he|she|this one|that one)\s+$", re.I)
# A theme's meaning must be clear: this far above the threshold's floor when its margin over the next is wide
_WIDE_MARGIN = 0.1
_THEME_AFTER = re.compile(
    r"^\s*(?:on|about|for|of|called|titled|entitled|named|dealing with|covering|that covers|which covers|"
    r"that deals with|which deals with|concerning|regarding)\s+(?:the\s+)?",
    re.I,
)
_GENERIC = {"ip", "intellectual", "property", "plan"}
# A theme phrase ends at a function word, a role word or an exclusion cue: "the services part that SIPO leads".
_THEME_STOP = FUNCTION_WORDS | cues.LEAD_WORDS | {"involving", "naming", "without", "except"}


@dataclass(frozen=True)
class SectionHit:
    numerals: tuple[str, ...]
    start: int
    end: int
    how: str
    score: float = 1.0


class SectionFinder:
    """Section references of a question, over one plan's sections."""

    def __init__(self, plan: Plan, embedder=None, theme_threshold: float = 0.45):
        self.plan = plan
        self.numerals = [s.numeral for s in plan.sections]
        self.embedder = embedder
        self.theme_threshold = theme_threshold
        self._titles = {s.numeral: set(terms(s.title)) - _GENERIC for s in plan.sections}
        df = Counter(t for ts in self._titles.values() for t in ts)
        n = len(plan.sections)
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._vectors = None

    # ------------------------------------------------------------ numbers

    def _numeral(self, token: str) -> str | None:
        t = token.lower()
        if t.isdigit():
            i = int(t) - 1
        elif t in _WORDS:
            i = _WORDS.index(t)
        elif t in _ORDS:
            i = _ORDS.index(t)
        elif t in ("last", "final"):
            i = len(self.numerals) - 1
        elif t.upper() in ROMAN:
            i = ROMAN.index(t.upper())
        else:
            return None
        return self.numerals[i] if 0 <= i < len(self.numerals) else None

    def by_number(self, text: str) -> list[SectionHit]:
        hits = []
        for m in _BY_NUMBER.finditer(text):
            if m.group("n") == "I" and _PRONOUN_I.match(text[m.end() :]) and _DETERMINER.search(text[: m.start()]):
                continue  # "the section I meant": the pronoun, not section I ("in Section I have": section I)
            if m.group("z") or m.group("z2"):
                tokens = [str(_ZH.index(m.group("z") or m.group("z2")) + 1)]
            elif m.group("o"):
                tokens = [m.group("o")]
            elif m.group("r"):
                tokens = [m.group("r")]
            else:
                tokens = [m.group("n")]
                more = m.group("more") or ""
                rng = re.search(
                    rf"\b([ivx]+|\d{{1,2}})\s*(?:to|through|-|–)\s*(?:{NOUN}\s*)?([ivx]+|\d{{1,2}})\s*$",
                    f"{m.group('n')}{more}",
                    re.I,
                )
                tokens += re.findall(r"\b([ivx]+|\d{1,2})\b", more, re.I)
                if rng:
                    a, b = self._numeral(rng.group(1)), self._numeral(rng.group(2))
                    if a and b:
                        i, j = self.numerals.index(a), self.numerals.index(b)
                        tokens = [str(k + 1) for k in range(i, j + 1)]
            numerals = tuple(dict.fromkeys(n for n in (self._numeral(t) for t in tokens) if n))
            if numerals:
                hits.append(SectionHit(numerals, m.start(), m.end(), "number"))
        for m in _BARE_ROMAN.finditer(text):
            n = self._numeral(m.group("a") or m.group("b"))
            if n and not any(h.start <= m.start() < h.end for h in hits):
                hits.append(SectionHit((n,), m.start(), m.end(), "number"))
        return sorted(hits, key=lambda h: h.start)

    # ------------------------------------------------------------ titles and themes

    def theme_phrase(self, text: str, taken: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
        """Words naming a section by subject around a section noun: "the IP services chapter"."""
        out = []
        for m in _THEME_NOUN.finditer(text):
            if any(a <= m.start() < b for a, b in taken) or _IDIOM.search(text[: m.end()]):
                continue  # "takes part in", "part of": the idiom, not a section
            head = text[: m.start()]
            before = [head[s:e] for w, s, e in word_spans(head) if not w.isdigit()]  # as written: found again below
            mods: list[str] = []
            for w in reversed(before[-4:]):
                if w.lower() in FUNCTION_WORDS or w.lower() in ("which", "what", "plan's", "plan"):
                    break
                mods.insert(0, w)
            rest = text[m.end() :]
            after: list[str] = []
            end = m.end()
            if a := _THEME_AFTER.match(rest):
                for w in re.finditer(r"[A-Za-z][\w'-]*|[?.!,;()/–—]|(?<=\s)-(?=\s)", rest[a.end() :]):
                    at = m.end() + a.end() + w.start()
                    if after and w.group(0).lower() in ("the", "a", "an"):
                        continue  # "the part on fostering the services sector": its subject goes on
                    if len(after) >= 6 or not w.group(0)[0].isalpha() or w.group(0).lower() in _THEME_STOP:
                        break
                    if any(x <= at < y for x, y in taken):
                        break  # an agency's name is not the section's subject
                    after.append(w.group(0))
                    end = m.end() + a.end() + w.end()
            start = m.start()
            if mods:
                start = text.rfind(mods[0], 0, m.start())
            if m.group(0).lower() in _EVERYDAY_NOUNS and self._subject_before(text, m.start(), taken):
                continue  # "is the trade ministry part of that campaign": membership, not a section
            phrase = " ".join(mods + after)
            if phrase.strip():
                out.append((phrase, max(start, 0), end))
        return out

    def by_theme(self, text: str, taken: list[tuple[int, int]]) -> list[SectionHit]:
        hits = []
        for phrase, start, end in self.theme_phrase(text, taken):
            numeral, score, how = self.match_theme(phrase)
            if numeral:
                hits.append(SectionHit((numeral,), start, end, how, score))
        return hits

    def match_theme(self, phrase: str) -> tuple[str | None, float, str]:
        """The section a subject phrase names: by title stems (rarest first), else by meaning."""
        stems = set(terms(phrase)) - _GENERIC
        scores = {n: sum(self._idf.get(t, 0.0) for t in stems & ts) for n, ts in self._titles.items()}
        best = max(scores.values(), default=0.0)
        winners = [n for n, s in scores.items() if s == best]
        if best > 0 and len(winners) == 1:
            return winners[0], round(best, 3), "title"
        if self.embedder is None or not stems:
            return None, 0.0, ""
        ranked = self.similarities(phrase)
        if not ranked:
            return None, 0.0, ""
        best, margin = ranked[0][1], ranked[0][1] - ranked[1][1] if len(ranked) > 1 else 1.0
        if (best >= self.theme_threshold and margin > 0.02) or (
            best >= self.theme_threshold - _WIDE_MARGIN and margin >= _WIDE_MARGIN
        ):
            return ranked[0][0], round(best, 3), "theme"
        return None, 0.0, ""

    def similarities(self, phrase: str) -> list[tuple[str, float]]:
        """How close a phrase is to each section, best first: the better of its cosine to the section's
        title and objectives and its mean cosine to the section's three closest measures ("enforcement"
        is what section IV's measures do, though its title says "protection")."""
        if self._vectors is None:
            texts = [f"{s.title}. {s.objectives}" for s in self.plan.sections]
            texts += [m.text for m in self.plan.measures]
            self._vectors = unit_rows(self.embedder.embed_documents(texts))
        sims = cosines(self._vectors, self.embedder.embed_query(phrase)).tolist()
        n = len(self.numerals)
        by_section: dict[str, list[float]] = {}
        for m, sim in zip(self.plan.measures, sims[n:], strict=True):
            by_section.setdefault(m.section, []).append(sim)
        scores = {
            numeral: max(sims[i], sum(sorted(by_section.get(numeral, [0.0]), reverse=True)[:3]) / 3)
            for i, numeral in enumerate(self.numerals)
        }
        return sorted(scores.items(), key=lambda x: -x[1])

    # ------------------------------------------------------------ constraints

    @staticmethod
    def _subject_before(text: str, at: int, taken: list[tuple[int, int]]) -> bool:
        """An agency mention or a pronoun right before ``at``: "is SIPO part of ...", "are they part of ..."."""
        head = text[:at].rstrip()
        return bool(_PRONOUN_BEFORE.search(text[:at])) or any(b == len(head) for _, b in taken)

    @staticmethod
    def _with_aside(text: str, h: SectionHit, taken: list[tuple[int, int]]) -> SectionHit:
        """The hit with a description right after it (:data:`_ASIDE`): "the heading on GIs (folklore, ...)",
        "section V - plant varieties, folk art and the like?". An aside that names an
        agency or asks something (:data:`_ASKING`) stays the question's."""
        aside = _ASIDE.match(text[h.end :])
        if not aside:
            return h
        end = h.end + aside.end()
        bracket = aside.group(0).lstrip().startswith("(")
        if not bracket and (_ASKING.search(aside.group(0)) or any(h.end <= a < end for a, _ in taken)):
            return h
        return SectionHit(h.numerals, h.start, end, h.how, h.score)

    def extract(self, text: str, taken: list[tuple[int, int]]) -> tuple[list[Constraint], list[tuple[int, int]]]:
        """Section constraints with polarity, and the spans they claim."""
        hits = [h for h in self.by_number(text) if not any(a <= h.start < b for a, b in taken)]
        claimed = [(h.start, h.end) for h in hits]
        hits += self.by_theme(text, taken + claimed)
        constraints, spans = [], []
        hits = [self._with_aside(text, h, taken) for h in hits]
        for h in hits:
            window = text[max(0, h.start - 48) : h.start]
            include = not cues.EXCLUDE_BEFORE.search(window) and not cues.EXCLUDE_AFTER.search(text[h.end : h.end + 30])
            constraints.append(
                Constraint(
                    Kind.SECTION,
                    h.numerals[0],
                    include,
                    text=text[h.start : h.end],
                    how=h.how,
                    score=h.score,
                    any_of=h.numerals if len(h.numerals) > 1 else (),
                )
            )
            spans.append((h.start, h.end))
        return constraints, spans
