"""Agency registry: canonical names and the aliases staff use, and matching text against them.

Used twice: to split a measure's "(A, B and C)" responsibility list (names contain commas and
"and", so splitting on them is wrong), and to find agencies mentioned in a question.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from index.tokens import word_spans


@dataclass(frozen=True)
class Successor:
    """A name a 2012 body carries today: "China National Intellectual Property Administration" (CNIPA)."""

    name: str
    abbreviations: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    chinese: tuple[str, ...] = ()
    since: int | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.abbreviations[0]})" if self.abbreviations else self.name


@dataclass(frozen=True)
class SuccessorMention:
    """A today's name found in a question, with the 2012 bodies it stands for (several when merged)."""

    successor: Successor
    agencies: tuple[str, ...]
    text: str
    start: int


@dataclass(frozen=True)
class Agency:
    """One registered agency: canonical name plus the ways people refer to it."""

    name: str
    abbreviations: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    chinese: tuple[str, ...] = ()
    case_sensitive: tuple[str, ...] = ()
    description: str = ""  # what the body is and does, in plain words
    roles: tuple[str, ...] = ()  # the role nouns people describe it by ("labour", "farm ministry")
    successors: tuple[Successor, ...] = ()  # the names it carries today

    @property
    def label(self) -> str:
        """Name with its best-known abbreviation: "General Administration of Customs (GAC)"."""
        return f"{self.name} ({self.abbreviations[0]})" if self.abbreviations else self.name


@dataclass(frozen=True)
class Mention:
    """An agency found in a question: canonical name, the matched text and how it matched."""

    agency: str
    text: str
    start: int
    how: str  # "name" | "alias" | "chinese" | "fuzzy"


_SEPARATORS = re.compile(r"^(?:[\s,;]|and\b|the\b|The\b)+|(?:[\s,;]|and\b|the\b)+$")


# What a body does, right after its name: "Justice leads", "Commerce takes part", "Health never leads"
_ROLE_VERB_AFTER = (
    r"(?=\s+(?:is|isn't|was|leads?|heads?|takes?|does|doesn't|has|appears?|co-?leads?|shares?|supports?|helps?|"
    r"only|also|alone|never|plays?)\b)"
)


def _ministry_word(name: str) -> str:
    """``"Ministry of Finance" -> "Finance"``; "" for other names."""
    m = re.fullmatch(r"Ministry of ([A-Z][a-z]+)", name)
    return m.group(1) if m else ""


def _initialism(name: str) -> str:
    """``"Ministry of Human Resources and Social Security" -> "HRSS"`` (the head word and function words
    left out)."""
    content = [w for w in re.findall(r"[A-Za-z]+", name) if w.lower() not in ("of", "and", "for", "the", "s")]
    return "".join(w[0] for w in content[1:]).upper()


def _norm(text: str) -> str:
    """Case-fold, unify dashes and quotes, collapse spaces: "State—owned" ~ "State-owned"."""
    text = re.sub(r"[—–‐-]", "-", text).replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", " ", text).lower()


# A name joined by a dash to one of these is still the name: "SAIC-led", "MOFCOM-run", "Customs-only".
_COMPOUND = r"(?:led|run|headed|chaired|managed|coordinated|organised|organized|driven|only|related|involved)\b"


def _alternation(keys) -> re.Pattern:
    """Regex matching any key as whole words, longest first (names may contain dashes, so a dash ends a
    name only before a compounding word: "SAIC-led")."""
    alts = sorted(keys, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(a) for a in alts) + rf")(?!\w)(?!-(?!{_COMPOUND}))")


class Registry:
    """The agency registry loaded from YAML."""

    def __init__(self, agencies: list[Agency], sha256: str = ""):
        self.agencies = agencies
        self.sha256 = sha256
        self.by_name = {a.name: a for a in agencies}
        self._names_lower = {_norm(a.name) for a in agencies}
        # alias (normalised) -> (canonical name, how); longest first so "Ministry of Science and
        # Technology" wins over "Ministry of Science".
        table: dict[str, tuple[str, str]] = {}
        self._case_sensitive: dict[str, str] = {}
        for a in agencies:
            table[_norm(a.name)] = (a.name, "name")
            for s in a.short_names:
                # "the patent office" -> "patent office": alias and full name then start at the same
                # word, so the longest match wins ("Propaganda Department of the CPC Central Committee").
                table.setdefault(_norm(s).removeprefix("the "), (a.name, "alias"))
            for ab in a.abbreviations:
                if ab in a.case_sensitive:
                    self._case_sensitive[ab] = a.name
                else:
                    table.setdefault(_norm(ab), (a.name, "alias"))
        # The initials of a name's words after its head, in capitals, as staff shorten it: "HRSS" for the
        # Ministry of Human Resources and Social Security. Only four letters or more, naming no other body.
        derived = Counter(_initialism(a.name) for a in agencies)
        for a in agencies:
            short = _initialism(a.name)
            if len(short) >= 4 and derived[short] == 1 and _norm(short) not in table:
                self._case_sensitive.setdefault(short, a.name)
        self._table = table
        self._pattern = _alternation(table)
        self._names_pattern = _alternation({_norm(a.name) for a in agencies})
        self._cs_pattern = (
            re.compile(r"\b(" + "|".join(map(re.escape, self._case_sensitive)) + r")\b")
            if self._case_sensitive
            else None
        )
        # A ministry by its one distinctive word, capitalised, as the subject of a role: "where Commerce
        # helps", "Justice leads". Only "Ministry of <Word>" names whose word names no other body.
        heads = Counter(w for a in agencies if (w := _ministry_word(a.name)))
        self._bare = {w: a.name for a in agencies if (w := _ministry_word(a.name)) and heads[w] == 1}
        self._bare_pattern = (
            re.compile(r"\b(" + "|".join(map(re.escape, self._bare)) + r")\b" + _ROLE_VERB_AFTER)
            if self._bare
            else None
        )
        self._chinese = sorted(((c, a.name) for a in agencies for c in a.chinese), key=lambda x: -len(x[0]))
        # Multi-word aliases for typo matching ("minstry of finanse").
        self._fuzzy = [(k, v[0]) for k, v in table.items() if " " in k and len(k) >= 10]
        # Today's names -> the 2012 bodies they stand for; a name listed under several bodies merged them.
        # A today's name that is itself a 2012 name (the Ministry of Justice took in the Legislative
        # Affairs Office) means the 2012 body of that name.
        owners: dict[str, list[str]] = {}
        self.successors: dict[str, Successor] = {}
        for a in agencies:
            for s in a.successors:
                if _norm(s.name) in self._names_lower:
                    continue
                owners.setdefault(s.name, []).append(a.name)
                self.successors.setdefault(s.name, s)
        self.successor_owners = {k: tuple(v) for k, v in owners.items()}
        keys: dict[str, str] = {}
        self._successor_cs: dict[str, str] = {}
        self._successor_zh: list[tuple[str, str]] = []
        for name, s in self.successors.items():
            for key in (s.name, *s.short_names):
                keys.setdefault(_norm(key), name)
            for ab in s.abbreviations:  # "cnipa" as typed; a short one that is also a word ("MEE") in capitals only
                if len(ab) >= 4:
                    keys.setdefault(_norm(ab), name)
                else:
                    self._successor_cs[ab] = name
            self._successor_zh += [(z, name) for z in s.chinese]
        self._successor_zh.sort(key=lambda x: -len(x[0]))
        self._successor_keys = keys
        self._successor_pattern = _alternation(keys) if keys else None
        self._successor_cs_pattern = (
            re.compile(r"\b(" + "|".join(map(re.escape, self._successor_cs)) + r")\b") if self._successor_cs else None
        )

    @classmethod
    def load(cls, path: Path | str) -> Registry:
        """Load ``agencies.yaml`` through its schema (an unknown key fails with the file, line and key)."""
        from index.schemas import AgencyFile, load_yaml

        raw = Path(path).read_bytes()
        data = load_yaml(path, AgencyFile)
        agencies = [
            Agency(
                name=item.name,
                abbreviations=tuple(item.abbreviations),
                short_names=tuple(item.short_names),
                chinese=tuple(item.chinese),
                case_sensitive=tuple(item.case_sensitive),
                description=item.description,
                roles=tuple(item.roles),
                successors=tuple(
                    Successor(
                        name=x.name,
                        abbreviations=tuple(x.abbreviations),
                        short_names=tuple(x.short_names),
                        chinese=tuple(x.chinese),
                        since=x.since,
                    )
                    for x in item.successors
                ),
            )
            for item in data.agencies
        ]
        return cls(agencies, hashlib.sha256(raw).hexdigest())

    def __len__(self) -> int:
        return len(self.agencies)

    def get(self, name: str) -> Agency:
        return self.by_name[name]

    # ------------------------------------------------------------ splitting lists

    def split(self, text: str) -> tuple[list[str], list[str]]:
        """Split a responsibility list into (canonical agencies, free-text parties), in order.

        "Ministry of Commerce, Supreme People's Procuratorate and relevant administrative law
        enforcement authorities" -> (["Ministry of Commerce", "Supreme People's Procuratorate"],
        ["relevant administrative law enforcement authorities"])
        """
        norm = _norm(text)
        agencies: list[str] = []
        others: list[str] = []
        pos = 0
        for m in self._names_pattern.finditer(norm):  # lists in the plan spell names in full
            canonical = self._table[m.group(1)][0]
            self._add_other(text[pos : m.start()], others)
            if canonical not in agencies:
                agencies.append(canonical)
            pos = m.end()
        self._add_other(text[pos:], others)
        return agencies, others

    @staticmethod
    def _add_other(fragment: str, others: list[str]) -> None:
        rest = _SEPARATORS.sub("", fragment).strip()
        if rest:
            others.append(rest)

    # ------------------------------------------------------------ questions

    def find(self, question: str, fuzzy: bool = True, every: bool = False) -> list[Mention]:
        """Agencies mentioned in a question, in order of appearance, each agency once (``every``: each
        mention, "customs (GACC)" twice)."""
        found: list[Mention] = []
        norm = _norm(question)
        taken: list[tuple[int, int]] = []
        for m in self._pattern.finditer(norm):
            canonical, how = self._table[m.group(1)]
            found.append(Mention(canonical, question[m.start() : m.end()], m.start(), how))
            taken.append(m.span())
        if self._cs_pattern:
            for m in self._cs_pattern.finditer(question):
                if not any(a <= m.start() < b for a, b in taken):
                    found.append(Mention(self._case_sensitive[m.group(1)], m.group(1), m.start(), "alias"))
                    taken.append(m.span(1))
        if self._bare_pattern:
            for m in self._bare_pattern.finditer(question):
                if not any(a <= m.start() < b for a, b in taken):
                    found.append(Mention(self._bare[m.group(1)], m.group(1), m.start(), "alias"))
        for zh, canonical in self._chinese:
            i = question.find(zh)
            if i >= 0 and not any(f.agency == canonical for f in found):
                found.append(Mention(canonical, zh, i, "chinese"))
        if not found and fuzzy:
            found = self._fuzzy_find(norm)
        seen: set[str] = set()
        unique = []
        for f in sorted(found, key=lambda f: f.start):
            if every or f.agency not in seen:
                seen.add(f.agency)
                unique.append(f)
        return unique

    def _fuzzy_find(self, norm: str, cutoff: float = 0.86) -> list[Mention]:
        """Typo-tolerant match of multi-word aliases against word windows of the question."""
        words = [(norm[s:e], s) for _, s, e in word_spans(norm)]
        candidates: list[tuple[float, int, int, Mention]] = []
        for alias, canonical in self._fuzzy:
            n = alias.count(" ") + 1
            for i in range(len(words) - n + 1):
                window = " ".join(w for w, _ in words[i : i + n])
                if abs(len(window) - len(alias)) > 3 or window[:1] != alias[:1]:
                    continue
                ratio = fuzz.ratio(window, alias) / 100
                if ratio >= cutoff:
                    candidates.append((ratio, i, i + n, Mention(canonical, window, words[i][1], "fuzzy")))
        # Best match first; a span of the question names one agency at most.
        chosen: list[tuple[float, int, int, Mention]] = []
        for cand in sorted(candidates, key=lambda c: -c[0]):
            if all(cand[2] <= c[1] or cand[1] >= c[2] for c in chosen):
                chosen.append(cand)
        return [c[3] for c in chosen]

    def find_successors(self, question: str) -> list[SuccessorMention]:
        """Today's names of 2012 bodies in a question ("CNIPA", "the market regulator's SAMR")."""
        found: list[SuccessorMention] = []
        norm = _norm(question)
        if self._successor_pattern:
            for m in self._successor_pattern.finditer(norm):
                name = self._successor_keys[m.group(1)]
                found.append(
                    SuccessorMention(
                        self.successors[name], self.successor_owners[name], question[m.start() : m.end()], m.start()
                    )
                )
        if self._successor_cs_pattern:
            for m in self._successor_cs_pattern.finditer(question):
                name = self._successor_cs[m.group(1)]
                found.append(
                    SuccessorMention(self.successors[name], self.successor_owners[name], m.group(1), m.start())
                )
        for zh, name in self._successor_zh:
            i = question.find(zh)
            if i >= 0:
                found.append(SuccessorMention(self.successors[name], self.successor_owners[name], zh, i))
        seen: set[str] = set()
        out = []
        for f in sorted(found, key=lambda f: (f.start, -len(f.text))):
            if f.successor.name not in seen:
                seen.add(f.successor.name)
                out.append(f)
        return out

    def unknown_bodies(self, question: str) -> list[str]:
        """Government-body names in a question that are not registered ("Ministry of Tourism")."""
        pattern = re.compile(
            r"\b(?:Ministry|Administration|Department|Bureau|Commission|Office|Academy|Court)"
            r"\s+(?:of|for)\s+(?:the\s+)?[A-Z][\w-]*(?:\s+(?:and\s+)?[A-Z][\w-]*)*"
        )
        out = []
        for m in pattern.finditer(question):
            if not self.find(m.group(0)):
                out.append(m.group(0))
        return out
