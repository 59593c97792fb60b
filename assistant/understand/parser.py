"""Understand stage: a question (and the conversation so far) -> a typed :class:`Query`.

Each kind of constraint is found by its own extractor, independently, on the question's text:
measure numbers (:mod:`.numbers`), agencies with role and polarity (:mod:`.agencies`), sections
(:mod:`.sections`), what is asked for (:mod:`.asks`), facts about the circular (:mod:`.facts`).
What no extractor claims, less cue and function words, is the topic. A follow-up edits the previous
query (:mod:`.followup`). Stops (other year, injection, unknown body) end the parse.

    >>> parser.parse("How many does SIPO lead outside section V?")
    Query(ask=COUNT, constraints=[+ agency SIPO role=lead, − section V])
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from assistant.conversation import state_from
from assistant.normalize import correct_cues, normalize_text, singular_abbreviations, spell_out
from assistant.text import CJK, STOP, Speller, known_english, stem, words
from assistant.understand import asks, cues, facts, followup, numbers
from assistant.understand.acronyms import Acronyms
from assistant.understand.agencies import AgencyFinder, bodies
from assistant.understand.query import Ask, Constraint, Kind, Query, Role, Stop
from assistant.understand.sections import SectionFinder
from index.agencies import Registry
from index.parse import Plan

_REFORM = re.compile(
    r"\b(?:absorb\w*|merg\w*|renam\w*|reform\w*|restructur\w*|reorgani[sz]\w*|became|become|took over|"
    r"successor\w*|predecessor\w*|today|nowadays|currently|now called|these days)\b",
    re.I,
)
_RELATIVE = {"this": 0, "current": 0, "next": 1, "coming": 1, "following": 1, "last": -1, "previous": -1}
_OTHER_PLAN = re.compile(
    r"\b(?P<when>this|next|coming|following|last|previous)\s+year'?s\s+(?:promotion\s+|action\s+|implementation\s+)?"
    r"(?:plan|circular|version|edition)\b"
    r"|\b(?:a|another|the)\s+(?:different|later|newer|newest|latest|updated|subsequent|follow-up|next)\s+"
    r"(?:promotion\s+|action\s+|implementation\s+)?(?:plan|circular|version|edition)\b",
    re.I,
)
_YEAR = re.compile(r"(?<![\[\d])\b(19[5-9]\d|20[0-4]\d)\b(?!\])")
# A five-year plan by its ordinal (13th, 14th): another plan, unless this plan's own text names that period
_NTH_FIVE_YEAR = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)\s+five[- ]year\b", re.I)
# A year that names a plan: "the 2020 promotion plan", "2013's plan", "the plan for 2014"
_PLAN_NOUN = r"(?:plan|circular|version|edition|strategy)"
_PLAN_YEAR = re.compile(
    rf"\b(19[5-9]\d|20[0-4]\d)(?:'s)?\s+(?:[\w-]+\s+){{0,3}}?{_PLAN_NOUN}\b"
    rf"|\b{_PLAN_NOUN}\s+(?:of|for|from)\s+(?:the\s+year\s+)?(19[5-9]\d|20[0-4]\d)\b"
    r"|(19[5-9]\d|20[0-4]\d)年(?:的|度)?\S{0,6}(?:计划|推进计划|方案)",
    re.I,
)
# A section joined to the position after it: "part 1's closing item", "part VI: the first"
_POSSESSIVE = re.compile(r"\s*(?:'s|’s|:|,)?\s*(?:the\s+)?(?:very\s+)?")
# A name right after a year (or a span of years): "in 2011 Strike of the Sword", "2010–2011 Strike ..."
_DATED_NAME = re.compile(
    r"(?:\s*[-–/]\s*\d{2,4})?\s+([A-Z][\w'-]*(?:(?:\s+(?:of|and|for|on|the|in|to))*\s+[A-Z][\w'-]*)+)"
)
# Years that date something inside this plan: a period in brackets "(2011-2015)"
_YEAR_SPAN = re.compile(r"\(\s*(?:19|20)\d\d\s*(?:-|–|—|to|through)\s*(?:19|20)?\d\d\s*\)")
# Words that only steer the question (asks, roles, references): never a topic.
_CUE_WORDS = frozenset(
    cues.LEAD_WORDS
    | set(numbers.ORDINAL_WORDS)
    | {"many", "much", "number", "count", "total", "fewest", "least", "most", "biggest", "largest", "highest",
       "lowest", "smallest", "greatest", "maximum", "minimum", "busiest", "top", "who", "whose", "support",
       "supports", "supporting", "assist", "secondary", "co", "partner", "partners", "ministries", "agencies",
       "bodies", "ones", "one", "more", "detail", "details", "explain", "elaborate", "expand", "text", "full",
       "exact", "wording", "quote", "exactly", "numbered", "possible", "times", "appear", "appears", "listed",
       "list", "alone", "solely", "sole", "except", "excluding", "exclude", "outside", "without", "minus", "apart",
       "aside", "neither", "nor", "differ", "differs", "difference", "differences", "compare", "comparison",
       "versus", "vs", "share", "shares", "shared", "sharing", "together",
       "alongside", "same", "meant", "mean", "instead", "actually", "sorry", "heading", "headings", "pillar",
       "everything", "anything", "under", "whole", "entire", "overall", "plan", "named", "involved",
       "participate", "part", "play", "role", "agency", "ministry", "body", "department", "responsible",
       "handle", "handles", "handled", "fall", "falls", "belong", "belongs", "within", "inside", "apply", "other",
       "else", "someone", "somebody", "another", "nobody", "anyone", "single", "solo", "itself", "themselves"}
    # asking and steering a conversation: request verbs, corrections, follow-up words
    | {"enumerate", "identify", "show", "name", "spell", "pull", "see", "give", "find", "check", "checking",
       "filter", "keep", "drop", "remove", "restrict", "narrow", "remain", "remaining", "left", "switching",
       "switch", "run", "repeat", "clarify", "correct", "correction", "mistake", "mind", "wrong", "fix",
       "misspoke", "confirm", "wondering", "wonder", "true", "scratch", "oops", "wait", "hold", "replace",
       "lie", "lies", "located", "found", "contained", "containing", "contains", "belonging", "grouped", "set",
       "appearing", "appear", "falling", "comes", "come", "opens", "starts", "finishes", "ends", "kick", "kicks",
       "spearheaded", "headed", "heads", "leadership", "participates", "participant", "participating",
       "contributes", "contribute", "involvement", "involving", "assigned", "capacity", "acts", "carries",
       "owned", "exclusively", "free", "entirely", "altogether", "any", "among", "amongst", "ones", "those",
       "listing", "listed", "include", "includes", "mention", "mentions", "number", "numbered", "highest",
       "lowest", "final", "very", "count", "tally", "quick", "yes", "okay", "ok", "now", "then", "again",
       "answer", "question", "instead", "rather", "supporting", "non", "secondary", "turn", "turns",
       "agencies", "alongside", "together", "paired", "fellow", "teams", "team", "collaborates", "co",
       "exist", "exists", "contain", "obligations", "obligation", "plate", "gotta", "things", "stuff", "leave",
       "please", "anything", "naming", "otherwise", "takes", "take", "took", "plays", "holds", "holding",
       "isn't", "aren't", "don't",
       "doesn't", "delete", "cut", "anywhere", "responsibility", "share", "two", "three", "four",
       "five", "six", "opening", "closing", "first", "last", "each", "both", "either", "but", "i'm", "i'd",
       "i've", "we're", "whether", "if", "hand", "hands", "say", "involved", "named", "lead", "touch", "touches",
       "tackle", "tackles", "address", "addresses", "deal", "deals", "plan's"}
    # adverbs of degree and frequency: "does X really ever lead?"
    | {"ever", "just", "really", "still", "even", "simply", "merely", "basically", "usually", "always", "never",
       "sometimes", "often", "given"}
    | {"counting", "counts", "counted", "absorbed", "merged", "former", "formerly", "predecessor", "predecessors",
       "old", "erstwhile", "renamed", "days", "nowadays", "inclusive",
       "leave", "leaves", "leaving", "whatever", "whichever", "back", "while", "whilst"}
)  # fmt: skip
# Words of a question about measures, not the circular's list of addressees
_OF_MEASURES = re.compile(r"\b(?:measures?|items?|tasks?|leads?|led|leading)\b", re.I)
# Organisation words that never carry a topic (a body the question names is claimed by the agency
# extractor; "courts" or "judges" left over from a description read as a topic stay in the topic).
_ORG_HEADS = frozenset({"ministry", "ministries", "office", "offices", "administration", "commission", "bureau",
                        "department", "departments", "agency", "agencies", "body", "bodies", "council", "regulator",
                        "authority", "organ", "unit", "team", "folks", "guys", "people"})  # fmt: skip


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given spans replaced by spaces (offsets stay valid)."""
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


_CJK_EDGE = re.compile(r"(?<=[\u3400-\u9fff])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[\u3400-\u9fff])")


class QueryParser:
    """Parses questions over one plan and registry."""

    def __init__(
        self,
        plan: Plan,
        registry: Registry,
        speller: Speller,
        plan_terms: dict[str, int],
        describer=None,
        sections: SectionFinder | None = None,
    ):
        self.plan = plan
        self.registry = registry
        self.speller = speller
        self.acronyms = Acronyms(
            [m.text for m in plan.measures], {ab for a in registry.agencies for ab in a.abbreviations}
        )
        self.plan_terms = plan_terms  # stem -> number of measures using it (text and expansions)
        self.agencies = AgencyFinder(registry, describer)
        self.sections = sections or SectionFinder(plan)
        self._header_terms = {
            stem(w) for w in words(f"{plan.header.title} {plan.header.plan_title} {plan.header.preamble}")
        }
        self.recall = None  # previous query -> its measures, for histories without citations (set by the retriever)
        self.year = plan.header.year
        self._plan_text = " ".join(m.text.lower() for m in plan.measures).replace("-", " ")
        self._known = known_english() | set(words(self._plan_text))  # no cue-word correction of these
        # The plan's own name ("the IP strategy promotion plan of 2012") names the document, not a topic.
        name_words = set(words(plan.header.plan_title)) | {"plan", "circular", "outline", "intellectual", "property"}
        name_words -= STOP - {"plan"}
        word = "(?:" + "|".join(sorted(map(re.escape, name_words), key=len, reverse=True)) + ")"
        self._plan_name = re.compile(rf"\b(?:{word}[\s'’s-]+){{1,6}}(?:plan|strategy|circular|outline)\b", re.I)

    def _known_abbreviation(self, word: str) -> bool:
        return (
            word.lower() in self.plan_terms or self.acronyms.expand(word) is not None or bool(self.registry.find(word))
        )

    # ------------------------------------------------------------ entry point

    def parse(self, question: str, history: list[dict] | None = None, depth: int = 0) -> Query:
        """The typed query for ``question`` given the chat ``history``."""
        text = " ".join(singular_abbreviations(spell_out(normalize_text(question)), self._known_abbreviation).split())
        text = correct_cues(text, self._known)
        q = Query(text=text, corrected=text)
        if not words(text) and not CJK.search(text):
            q.stop = Stop.EMPTY
            return q
        if cues.INJECTION.search(text):
            q.stop = Stop.INJECTION
            return q
        q.language = "zh" if CJK.search(text) else "en"
        if q.language == "zh":  # "SIPO的" -> "SIPO 的": word boundaries between Latin and CJK for cues and names
            text = _CJK_EDGE.sub(" ", text)
            q.text = q.corrected = text

        state = state_from(history)
        nums = numbers.extract(text, self.plan)
        if nums.position is not None and not nums.position_scoped and not state.empty:
            nums.position = None  # "the second one" after an answer: an ordinal of that answer
        q.out_of_range = nums.out_of_range
        spans = list(nums.spans)
        found = self.agencies.extract(text, spans)
        spans += found.spans
        q.trace += found.trace
        q.successors = found.successors
        q.unknown_bodies = found.unknown
        counted = bodies(text, found.constraints)  # "measures with a single agency", "several bodies"
        body_spans = [counted[1]] if counted else []
        # a body count's negation is its own ("... section VI aren't owned by a single agency")
        section_constraints, section_spans = self.sections.extract(_blank(text, body_spans), spans + body_spans)
        spans += section_spans + body_spans
        constraints: list[Constraint] = []
        if nums.measures:
            constraints.append(Constraint(Kind.MEASURES, tuple(nums.measures), text="numbers", how="number"))
        constraints += found.constraints + section_constraints + ([counted[0]] if counted else [])
        if not self._positions(text, nums, constraints, section_constraints, section_spans, state.empty):
            self._position(nums, constraints)

        of_plan = [y for g in _PLAN_YEAR.findall(text) for y in g if y and y != self.year]
        years = of_plan or [
            m.group(1)
            for m in _YEAR.finditer(_YEAR_SPAN.sub(" ", text))
            if m.group(1) != self.year and not self._dates_a_name(text[m.end() :], found.spans, m.end())
        ]
        if not years and (m := _OTHER_PLAN.search(text)):  # "this year's plan" (2026), "a later plan"
            years = [m.group("when") and str(date.today().year + _RELATIVE[m.group("when").lower()]) or "another year"]
        if not of_plan and (_REFORM.search(text) or found.successors):
            years = []  # "the body it took over in 2016": the year of a reform, not of a plan
        nth = _NTH_FIVE_YEAR.search(text)
        if not years and nth and nth.group(0).lower().replace("-", " ") not in self._plan_text:
            years = [f"the {nth.group(0)} plan"]  # an ordinal five-year plan this one does not name
        q.year = years[0] if years else None
        q.year_of_plan = bool(q.year and of_plan)

        lead_cue = (
            any(c.role == "lead" for c in found.constraints)
            or bool(set(words(text.replace("MOST", ""))) & cues.LEAD_WORDS)
            or any(z in text for z in cues.LEAD_ZH[:2])  # "牵头", "主导" ("负责" is any role)
        )
        got = asks.detect(
            text,
            agencies=len([c for c in found.constraints if c.include]),
            measures=len(self._measures_of(constraints)),
            sections=len(section_constraints),
            lead_cue=lead_cue,
            masked=_blank(text, found.spans + body_spans),
            bodies=bool(counted),
        )
        q.ask, q.rank, q.among_ministries = got.ask, got.rank, got.among_ministries
        q.polar = got.ask == Ask.YES_NO or asks.polar(text)
        if q.ask == Ask.WHO:  # "who leads the measures X appears in": "leads" asks who, it is not X's role
            constraints[:] = [
                replace(c, role=Role.ANY) if c.kind == Kind.AGENCY and c.role == Role.LEAD else c for c in constraints
            ]
        self._fact(q, constraints, nums)
        self._topic(q, constraints, spans)
        q.constraints = constraints

        if not state.empty and followup.needs_history(q, nums) and q.ask != Ask.FACT:
            prev = state.query_obj() if state.query else None
            if prev is None and state.question and depth < 4:
                prev = self.parse(state.question, list(state.before), depth + 1)
            q = followup.edit(q, prev or Query(text=""), state, nums, self.plan, self.recall)
        self._finish(q)
        return q

    # ------------------------------------------------------------ pieces

    def _dates_a_name(self, after: str, taken: list[tuple[int, int]], at: int) -> bool:
        """A year right before a name the plan's text uses, not an agency's: the date of that campaign or
        event ("the operation Strike of the Sword of 2010–2011" said as "2010–2011 Strike of the Sword"), not
        another plan's year."""
        m = _DATED_NAME.match(after)
        if not m or any(a <= at + m.start(1) < b for a, b in taken):
            return False
        return m.group(1).lower().replace("-", " ") in self._plan_text

    @staticmethod
    def _measures_of(constraints: list[Constraint]) -> list[int]:
        return [n for c in constraints if c.kind == Kind.MEASURES for n in c.value]  # type: ignore[union-attr]

    def _positions(self, text, nums, constraints, section_constraints, section_spans, fresh: bool) -> bool:
        """Positions in the plan or in sections, each with its own scope: "part 1's closing item and part 2's
        opening one" -> (9, 10); "part VI: its first two" -> (56, 57)."""
        if nums.measures:
            return False
        found = numbers.positions(text)
        if not found:
            return False
        picks: list[int] = []
        used: set[int] = set()
        everything = [m.number for m in self.plan.measures]
        plan_scope = bool(numbers.PLAN_SCOPE.search(text))
        for start, _end, position, count in found:
            near: list[int] = []
            for free in (
                [i for i in range(len(section_spans)) if section_constraints[i].include and i not in used],
                sorted(used),  # "part VI: the first and final measures": both positions in one section
            ):
                own = [i for i in free if _POSSESSIVE.fullmatch(text[section_spans[i][1] : start])]  # "part 1's last"
                near = own + [i for i in free if 0 <= section_spans[i][0] - start <= 70]  # "the final item of part 1"
                near += [i for i in free if 0 <= start - section_spans[i][1] <= 40]  # "section I's last measure"
                if near:
                    break
            if near:
                c = section_constraints[near[0]]
                used.add(near[0])
                pools = [list(self.plan.section(n).measures) for n in (c.any_of or (str(c.value),))]
            elif plan_scope or (fresh and not [c for c in constraints if c.include and c.kind != Kind.SECTION]):
                pools = [everything]
            else:
                return False  # "the second one": an ordinal over the previous answer
            for pool in pools:
                picks += numbers.take(pool, position, count)
        if not picks:
            return False
        for i in sorted(used, reverse=True):
            constraints.remove(section_constraints[i])
        constraints.insert(0, Constraint(Kind.MEASURES, tuple(dict.fromkeys(picks)), text="position", how="position"))
        return True

    def _position(self, nums: numbers.Numbers, constraints: list[Constraint]) -> None:
        """ "the final item overall" / "section II's third measure" -> that measure."""
        if nums.position is None or nums.measures:
            return
        scope = next((c for c in constraints if c.kind == Kind.SECTION and c.include), None)
        if scope is not None:
            pool = list(self.plan.section(str(scope.value)).measures)
            constraints.remove(scope)
        elif nums.position_scoped or not constraints:
            pool = [m.number for m in self.plan.measures]
        else:
            return
        n = numbers.pick(pool, nums.position)
        if n is not None:
            constraints.insert(0, Constraint(Kind.MEASURES, (n,), text="position", how="position"))

    def _fact(self, q: Query, constraints: list[Constraint], nums: numbers.Numbers) -> None:
        """A question about the circular's header: answered from the record."""
        sections = [c for c in constraints if c.kind == Kind.SECTION and c.include]
        if sections and facts.SECTION_FACT.search(q.text) and not [c for c in constraints if c.kind == Kind.AGENCY]:
            q.ask, q.fact = Ask.FACT, str(facts.Field.OBJECTIVES)  # "the objectives of section VIII"
            q.subject = str(sections[0].value)
            return
        field = facts.match(q.text)
        if field is None:
            return
        agencies = [c for c in constraints if c.kind == Kind.AGENCY]
        if field == facts.Field.ADDRESSEE_ORDER and (
            any(c.role in (Role.CO, Role.SOLE) for c in agencies) or _OF_MEASURES.search(q.text)
        ):
            return  # a co-responsible role or a measure word: the measures' agency lists, not the addressees
        body = facts.body_asked(q.text) if not agencies and not q.unknown_bodies else None
        if field in (facts.Field.ADDRESSEES, facts.Field.ADDRESSEE_ORDER) and (agencies or q.unknown_bodies or body):
            # "Was X an addressee?" / "Was customs listed first?": checked against the record
            if field == facts.Field.ADDRESSEE_ORDER and agencies:
                q.fact = str(facts.Field.ADDRESSEE_ORDER)
            field = facts.Field(q.fact) if q.fact else facts.Field.ADDRESSEE_CHECK
            q.subject = str(agencies[0].value) if agencies else (q.unknown_bodies or [body])[0]
            q.unknown_bodies = []
        elif field in (facts.Field.ADDRESSEE_COUNT,) and (
            agencies or nums.measures or self._has_topic(facts.without_address_cues(q.text))
        ):
            if nums.measures and not agencies and not facts.ADDRESS.search(q.text):
                q.ask = Ask.WHO  # "how many agencies are named in measure 16?": its agencies, counted
            return
        elif (agencies or nums.measures or any(c.kind == Kind.SECTION for c in constraints)) and field not in (
            facts.Field.ADDRESSEES,
            facts.Field.ADDRESSEE_COUNT,
        ):
            return
        if field == facts.Field.MEASURE_COUNT and (
            q.ask not in (Ask.COUNT, Ask.MEASURES) or constraints or followup.refers_back(q.text)
        ):
            return
        generic = field == facts.Field.MEASURE_COUNT  # "how many measures concern patents?" counts patents
        rest = facts.without_fact_cues(q.text) if field in facts.DESCRIPTIONS else ""
        rest = " ".join(w for w in words(rest) if stem(w) not in self._header_terms)  # the header's own words
        if field in facts.DESCRIPTIONS and self._has_topic(rest, generic):
            # "medicine IP guiding principles": a topic of a measure, not the plan's principle; but when no
            # measure is on that topic and every word of it is the plan's (no outside subject named), a field
            # only documents are asked about answers (facts.FALLBACK_FIELDS)
            known = all(stem(w) in self.plan_terms for w in words(rest) if w not in STOP and len(w) > 2)
            q.fact_fallback = str(field) if known and field in facts.FALLBACK_FIELDS else None
            if q.fact_fallback:
                q.trace.append(f"fact if the topic finds nothing: {field}")
            return
        first, *more = facts.fields_in_order(q.text, field)
        q.ask, q.fact, q.more_facts = Ask.FACT, str(first), [str(f) for f in more]
        q.trace.append(f"fact: {field}" + "".join(f" + {f}" for f in q.more_facts))

    def _has_topic(self, text: str, any_plan_word: bool = False) -> bool:
        """Does ``text`` use a specific word of the plan (not everywhere in it, not a cue)?"""
        limit = len(self.plan.measures) if any_plan_word else 0.2 * len(self.plan.measures)
        return any(
            0 < self.plan_terms.get(stem(w), 0) <= limit
            for w in words(text)
            if w not in STOP and w not in _CUE_WORDS and len(w) > 2
        )

    def _chatter(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Sentences around a question that is whole by itself, which neither ask nor name anything ("Hi!
        I'm new here. Is MOJ in charge of anything?"): they carry no topic. When the asking sentence needs
        them ("I work on seeds. What is there on it?") they stay."""
        asked = asks.asked_sentence(text)
        start = text.rfind(asked)
        whole = any(start <= x < start + len(asked) for x, _ in spans) or self._has_topic(asked)
        if not whole:
            return []
        said = asks.sentences(text)
        out = [
            (a, b)
            for a, b in said
            if text[a:b].strip() and asked not in text[a:b] and not any(a < y and x < b for x, y in spans)
        ]
        return out if len(out) < len(said) else []

    def _topic(self, q: Query, constraints: list[Constraint], spans: list[tuple[int, int]]) -> None:
        """What no extractor claimed, less cue and function words: the topic constraint."""
        rest = list(q.text)
        for a, b in [*spans, *self._chatter(q.text, spans)]:
            rest[a:b] = " " * (b - a)
        remainder = self._plan_name.sub(" ", _YEAR.sub(" ", "".join(rest)))
        if q.language == "en":
            scored, q.corrections = self.speller.correct_text(remainder)
            if q.corrections:
                q.trace.append(f"spelling: {q.corrections}")
            q.corrected = " ".join(scored.split())  # what topic scoring reads (function words help meaning)
        else:
            q.corrected = " ".join(remainder.split())
        has_agency = any(c.kind == Kind.AGENCY for c in constraints)
        patterns = [
            cues.EVERY_ROLE,
            cues.PARTNER,
            cues.COMPARE,
            cues.CORRECTION,
            cues.CONTINUATION,
            cues.SAME_SECTION,
            cues.NEXT_SECTION,
        ]
        if has_agency:  # "helps", "alone" are role cues only where an agency takes the role
            patterns += [cues.CO, cues.SOLE]
        for pattern in patterns:  # cue phrases go before spelling correction can change their words
            remainder = pattern.sub(" ", remainder)
        if q.language == "en":
            remainder, _ = self.speller.correct_text(remainder)
        names = {w for c in constraints if c.kind == Kind.AGENCY for w in words(str(c.value))}
        # words of an included section's own title name the section ("part III, the utilization one"), not a topic
        titled = {
            stem(w)
            for c in constraints
            if c.kind == Kind.SECTION and c.include
            for n in (c.any_of or (str(c.value),))
            for w in words(self.plan.section(n).title)
        }
        kept = [
            w
            for w in words(remainder)
            if w not in STOP
            and w not in _CUE_WORDS
            and w not in names
            and len(w) > 1
            and not w.isdigit()
            and w not in _ORG_HEADS
            and stem(w) not in titled
        ]
        for acronym, phrase in self.acronyms.in_text(remainder):  # "GIs" -> the plan's "geographic indications"
            kept = [w for w in kept if w != acronym.lower()]  # the topic reads the plan's phrase for it
            kept += [w for w in words(phrase) if w not in kept and w not in STOP]
            q.corrected = f"{q.corrected} ({phrase})"
            q.trace.append(f"acronym: {acronym} = “{phrase}” (the plan's words)")
        q.topic_terms = list(dict.fromkeys(stem(w) for w in kept if stem(w) in self.plan_terms))
        topic = " ".join(kept)
        if q.language == "zh":
            topic = " ".join(re.findall(r"[\u3400-\u9fff]+", remainder)) or topic
        if topic and q.ask != Ask.FACT:
            # value: the topic's content words (narrowing); text: the question as topic scoring reads it
            # a topic the question puts after "on/about/in ..." is what it asks about ("anything on domain names?")
            prepped = any(
                re.search(rf"\b{cues.TOPIC_PREP}\s+(?:\w+\s+){{0,2}}?{re.escape(w)}\b", q.text, re.I) for w in kept
            )
            how = "remainder, after a topic preposition" if prepped else "remainder"
            constraints.append(
                Constraint(Kind.TOPIC, topic, text=q.corrected if q.language == "en" else q.text, how=how)
            )

    def _finish(self, q: Query) -> None:
        """Stops, then a section alone as a unit."""
        known = [c for c in q.constraints if c.kind == Kind.AGENCY]
        if q.year and (q.ask != Ask.FACT or q.year_of_plan):
            q.stop = Stop.OTHER_YEAR
        elif q.out_of_range and not q.measures:
            q.stop = Stop.OUT_OF_RANGE
        elif q.unknown_bodies and not known and q.ask != Ask.FACT:
            q.stop = Stop.UNKNOWN_AGENCY
        if not q.constraints and q.ask in (Ask.MEASURES, Ask.COUNT, Ask.YES_NO, Ask.WHO) and not q.stop:
            content = [w for w in words(q.text) if w not in STOP and w not in _CUE_WORDS and len(w) > 1]
            if content and not re.search(r"\b(?:all|every|whole|entire)\b", q.text, re.I):
                # nothing but the plan's own name: the whole question is the topic, and the cut-off decides
                q.constraints = [Constraint(Kind.TOPIC, " ".join(content), text=q.corrected or q.text, how="question")]
        kinds = {c.kind for c in q.constraints if c.include}
        if q.ask == Ask.MEASURES and kinds == {Kind.SECTION} and not any(not c.include for c in q.constraints):
            q.ask = Ask.SECTION
        q.trace.append(f"ask: {q.ask}" + (f" ({q.rank})" if q.rank else "") + (f"; stop: {q.stop}" if q.stop else ""))
        for c in q.constraints:
            q.trace.append(f"constraint: {c.describe()}")
