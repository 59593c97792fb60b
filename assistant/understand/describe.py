"""Agencies described, not named: "the labour ministry", "the top court", "the forestry people".

Staff name bodies by what they do. Each registry entry carries a description and the role nouns
people use for it (``data/agencies.yaml``). An *organisation-like phrase* is a head noun (ministry,
office, regulator, authority, bureau, court, department, service, ...) with its modifiers
("the farm ministry", "ministry of labour"). A phrase is matched:

1. lexically: its modifiers' stems contain one of an agency's role nouns ("farm" -> agriculture);
2. else by embedding similarity between the phrase and the agency's name, description and role
   nouns, above a threshold fitted on the dev split (``assistant/calibration.json``).

A topic word alone ("patents") is never an agency: without a head noun nothing is matched.
"""

from __future__ import annotations

from functools import cached_property

from assistant.text import FUNCTION_WORDS, HEADS, stem, word_spans, words
from assistant.understand.query import AgencyRef, MatchHow
from index.agencies import Registry

# Words that look like modifiers but only point at which body, not what it does.
_NEUTRAL = FUNCTION_WORDS | {"which", "what", "china", "chinese", "national", "state", "central", "government",
                             "top", "main", "relevant", "s", "country", "country's", "china's"}  # fmt: skip
# Words after a head noun that make it the subject, not a modifier: "the labour ministry leads ...".
_VERBS = FUNCTION_WORDS | {
    *("lead", "leads", "leading", "led", "run", "runs", "handle", "handles", "own", "owns", "take", "takes"),
    *("head", "heads", "deliver", "do", "doing", "supposed", "expected"),
}
# Nouns for what is asked about a body, never a compound's second half: "the trade ministry measures"
# is the ministry's measures, where "IP court cases" are cases.
_ASKED = frozenset({"measure", "measures", "item", "items", "task", "tasks", "duty", "duties", "responsibilities",
                    "role", "roles", "part", "share", "work", "entries", "actions", "assignments", "jobs"})  # fmt: skip


class Describer:
    """Finds agencies described by organisation-like phrases."""

    def __init__(
        self,
        registry: Registry,
        embedder=None,
        threshold: float = 0.62,
        nouns: frozenset[str] = frozenset(),
        plan_pairs: frozenset[tuple[str, str]] = frozenset(),
    ):
        self.registry = registry
        self.embedder = embedder
        self.threshold = threshold
        self.nouns = nouns  # plan words (stems): a head followed by one is a modifier ("court cases")
        self.plan_pairs = plan_pairs  # adjacent stems of the measures' own text ("patent agenc", "patent examin")
        # role stems -> agencies; a multi-word role is a tuple of stems
        self._roles: list[tuple[tuple[str, ...], str, frozenset[str]]] = []
        self._head_roles: dict[str, str] = {}  # a role that is itself a head noun: "prosecutors", "police"
        for a in registry.agencies:
            for role in a.roles:
                raw = [w for w in words(role) if w not in FUNCTION_WORDS]
                stems = tuple(stem(w) for w in raw if w not in HEADS)
                if stems:
                    self._roles.append((stems, a.name, frozenset(w for w in raw if w in HEADS)))
                elif len(raw) == 1 and raw[0] not in {"ministry", "office", "department", "agency", "people"}:
                    self._head_roles.setdefault(raw[0], a.name)

    def phrases(self, text: str, taken: list[tuple[int, int]] = ()) -> list[tuple[str, list[str], int, int]]:
        """Organisation-like phrases: (phrase, modifier words, start, end), outside ``taken`` spans."""
        # "IT" in capitals is information technology, not the pronoun
        tokens = [("infotech" if text[a:b] == "IT" else w, a, b) for w, a, b in word_spans(text) if w[0].isalpha()]
        out = []
        for i, (tok, start, end) in enumerate(tokens):
            if tok not in HEADS or any(a <= start < b for a, b in taken):
                continue
            nxt = tokens[i + 1][0] if i + 1 < len(tokens) else ""
            compound = nxt and nxt not in _VERBS and nxt not in _ASKED and stem(nxt) in self.nouns
            if compound and text[end : tokens[i + 1][1]] == " ":
                continue  # "IP court cases", "service inventions": the head noun is a modifier here
            mods: list[tuple[str, int]] = []
            j = i - 1
            while (
                j >= 0
                and len(mods) < 4
                and tokens[j][0] not in HEADS
                and (tokens[j][0] not in FUNCTION_WORDS or (tokens[j][0] == "and" and mods))
            ):
                mods.insert(0, (tokens[j][0], tokens[j][1]))
                j -= 1
            after: list[tuple[str, int]] = []
            if i + 1 < len(tokens) and tokens[i + 1][0] in ("of", "for", "in", "that", "which", "who", "handling"):
                k = i + 2
                relative = tokens[i + 1][0] in ("that", "which", "who")
                if relative and k < len(tokens):
                    k += 1  # "the ministry that oversees jobs ..." : skip the verb
                while k < len(tokens) and len(after) < (8 if relative else 6) and tokens[k][0] not in HEADS:
                    if relative and tokens[k][0] in ("for", "of", "at", "in", "on", "across", "against"):
                        k += 1  # "the body that inspects imports at the border for fakes"
                        continue
                    if tokens[k][0] in ("the",):
                        k += 1
                        continue
                    if tokens[k][0] in FUNCTION_WORDS and tokens[k][0] != "and":
                        break
                    after.append((tokens[k][0], tokens[k][2]))
                    k += 1
            modifiers = [w for w, _ in mods + after if w not in _NEUTRAL]
            if not modifiers and tok not in self._head_roles:
                continue
            modifiers = [w for w, _ in mods + after if w != "and"] if modifiers else []
            s = mods[0][1] if mods else start
            e = after[-1][1] if after else end
            out.append((text[s:e], modifiers, s, e))
        return out

    def find(self, text: str, taken: list[tuple[int, int]] = ()) -> list[tuple[AgencyRef, int, int]]:
        """Agencies described in ``text``: lexical role match first, then embedding similarity."""
        found: list[tuple[AgencyRef, int, int]] = []
        for phrase, modifiers, start, end in self.phrases(text, taken):
            informative = [w for w in modifiers if w not in _NEUTRAL]
            said = [phrase[s:e].lower() for _, s, e in word_spans(phrase)]  # "people's" is no head
            head = next((w for w in reversed(said) if w in self._head_roles), None)
            ref = self._lexical(phrase, modifiers) or (self._dense(phrase, informative) if informative else None)
            if ref is None and head:
                ref = AgencyRef(self._head_roles[head], phrase, MatchHow.DESCRIPTION, 1.0)
            if ref and ref.name not in {f[0].name for f in found}:
                found.append((ref, start, end))
        return found

    def plan_subject(self, phrase: str, name: str) -> bool:
        """The head noun and the word before it are a pair the measures' own text uses ("patent agencies",
        "appraisal agencies"), and not the matched body's name: a subject of the plan, not a body."""
        own = {stem(w) for w in words(name)}
        said = [phrase[s:e].lower() for _, s, e in word_spans(phrase)]
        return any(
            b in HEADS and (stem(a), stem(b)) in self.plan_pairs and not {stem(a), stem(b)} <= own
            for a, b in zip(said, said[1:], strict=False)
        )

    def _lexical(self, phrase: str, modifiers: list[str]) -> AgencyRef | None:
        stems = [stem(w) for w in modifiers]
        said = set(words(phrase))
        best: tuple[float, str] | None = None
        for role, name, heads in self._roles:
            n = len(role) + 0.5 * bool(heads & said)  # "science academy" beats "science" for "the science academy"
            found = any(tuple(stems[i : i + len(role)]) == role for i in range(len(stems) - len(role) + 1))
            if found and (best is None or n > best[0]):
                best = (n, name)
        return AgencyRef(best[1], phrase, MatchHow.DESCRIPTION, 1.0) if best else None

    @cached_property
    def _matrix(self):
        import numpy as np

        texts, owners = [], []
        for a in self.registry.agencies:  # what the body does, not its name: all names look alike
            for t in (a.description, *a.roles):
                if t:
                    texts.append(t)
                    owners.append(a.name)
        return np.asarray(self.embedder.embed_documents(texts), dtype="float32"), owners

    def similarities(self, phrase: str) -> list[tuple[str, float]]:
        """Best cosine per agency for a phrase, best first (used by ``explain`` and calibration)."""
        if self.embedder is None:
            return []
        import numpy as np

        matrix, owners = self._matrix
        sims = matrix @ np.asarray(self.embedder.embed_query(phrase), dtype="float32")
        best: dict[str, float] = {}
        for owner, s in zip(owners, sims.tolist(), strict=True):
            best[owner] = max(best.get(owner, -1.0), s)
        return sorted(best.items(), key=lambda x: -x[1])

    def _dense(self, phrase: str, modifiers: list[str]) -> AgencyRef | None:
        ranked = self.similarities(" ".join(modifiers))
        if ranked and ranked[0][1] >= self.threshold:
            return AgencyRef(ranked[0][0], phrase, MatchHow.DESCRIPTION, round(ranked[0][1], 3))
        return None
