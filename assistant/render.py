"""Render stage: the first line of an answer, one renderer per kind of output.

The first line answers the kind of question asked: yes or no, the count, who leads, "none" for an
empty set, how many measures a topic has. Every renderer reads the :class:`Retrieval` and the
typed query only; the measures' blocks (sentence, quote) are written by ``assistant/answer.py``.
"""

from __future__ import annotations

from assistant import prompts
from assistant.retrieve import Abstain, Retrieval
from assistant.understand.query import Ask, Constraint, Kind, Role
from assistant.understand.routes import Route
from index.agencies import Registry
from index.parse import Plan


class Renderer:
    """Writes first lines, abstentions and fact answers over one plan and registry."""

    def __init__(self, plan: Plan, registry: Registry):
        self.plan = plan
        self.registry = registry

    def label(self, name: str) -> str:
        agency = self.registry.by_name.get(name)
        return agency.label if agency else name

    def _section(self, numeral: str) -> str:
        s = next((s for s in self.plan.sections if s.numeral == numeral), None)
        return f"section {numeral} ({s.title})" if s else f"section {numeral}"

    # ------------------------------------------------------------ selections in words

    def phrase(self, c: Constraint) -> str:
        """One constraint in words: "led by **SIPO**", "outside section V (…)"."""
        if c.kind == Kind.AGENCY:
            names = " or ".join(f"**{self.label(n)}**" for n in (c.any_of or (str(c.value),)))
            if not c.include:
                return f"not led by {names}" if c.role == Role.LEAD else f"without {names}"
            return {
                Role.LEAD: f"led by {names}",
                Role.CO: f"where {names} is co-responsible (not the lead)",
                Role.SOLE: f"that {names} handles alone",
            }.get(c.role, f"naming {names}")
        if c.kind == Kind.SECTION:
            secs = c.any_of or (str(c.value),)
            where = " or ".join(self._section(s) for s in secs)
            return f"in {where}" if c.include else f"outside {where}"
        if c.kind == Kind.MEASURES and c.how == "union":
            return "in the previous answer together with the ones added"
        if c.kind == Kind.MEASURES:
            nums = ", ".join(map(str, c.value))  # type: ignore[arg-type]
            return f"among measures {nums}" if c.include else f"other than measures {nums}"
        if c.kind == Kind.PREVIOUS:
            return "of the previous answer"
        if c.kind == Kind.BODIES:
            return "with a single responsible agency" if c.include else "with more than one responsible agency"
        return f"on “{c.value}”"

    def selection(self, r: Retrieval) -> str:
        q = r.query
        if q is None:
            return ""
        return ", ".join(self.phrase(c) for c in q.constraints)

    # ------------------------------------------------------------ first lines

    def lead_line(self, r: Retrieval) -> str:
        """The answer's first line, then notes (today's names, filters) on a line of their own."""
        first = self._lead(r)
        notes = [f"*{note}.*" for note in r.notes if not note.startswith("Filtered")]
        if not notes:
            return first
        head, sep, rest = first.partition("\n")
        return head + "\n" + " ".join(notes) + (sep + rest if sep else "")

    def _lead(self, r: Retrieval) -> str:
        n = len(r.hits)
        plural = "measure" if n == 1 else "measures"
        q = r.query
        label = self.label(r.agencies[0]) if r.agencies else ""
        if r.ask == Ask.YES_NO:
            return self._yes_no(r)
        if r.abstain == Abstain.NO_TOPIC:
            return ""
        if r.ask == Ask.COMPARE:
            return f"Measures {', '.join(map(str, r.numbers))} side by side:\n\n" + self.compare_table(r)
        if r.ask == Ask.PARTNERS:
            return self._partners(r)
        if r.ask == Ask.WHO or r.route == Route.WHO_LEADS:
            return self._who(r)
        if r.ask == Ask.RANK_SECTIONS:
            return self._rank_sections(r)
        if r.route == Route.LOOKUP:
            if n == 1:
                m = r.hits[0].measure
                return f"Measure {m.number} is in Section {m.section}: {m.section_title}. Lead agency: {m.lead_agency}."
            return f"Measures {', '.join(map(str, r.numbers))}:"
        if r.route == Route.SUPERLATIVE:
            return self._ranking_line(r)
        if r.route == Route.COUNT:
            if not r.agencies and r.detail.startswith("Section") and len(q.constraints) == 1:
                s = self.plan.section(q.section)
                return f"**{r.detail}** ({s.title}) has **{r.count}** {plural}:"
            if r.agencies and len(q.constraints) == 1 and q.role in (None, Role.LEAD):
                if q.role == Role.LEAD:
                    return f"**{label}** leads **{r.count}** {plural}" + (":" if n else ".")
                leads = sum(h.role == "lead" for h in r.hits)
                return (
                    f"**{label}** is named in **{r.count}** {plural} (lead in {leads}, co-responsible in {n - leads}):"
                )
            return f"**{r.count}** {plural} {self.selection(r)}" + (":" if n else ".")
        if r.groups:
            parts = "; ".join(f"{len(nums)} of {self.label(name)}" for name, nums in r.groups)
            return f"{n} {plural} {self.selection(r)}: {parts}."
        if r.route in (Route.AGENCY, Route.LEAD) and r.agencies and len(q.constraints) == 1:
            leads = sum(h.role == "lead" for h in r.hits)
            if r.route == Route.LEAD:
                return f"**{label}** leads {n} {plural}:"
            if q.role == Role.CO:
                return f"**{label}** is co-responsible (not lead) in {n} {plural}:"
            if q.role == Role.SOLE:
                return f"**{label}** handles {n} {plural} alone:"
            return f"**{label}** is responsible for {n} {plural} (lead in {leads}, co-responsible in {n - leads}):"
        if r.route == Route.JOINT and len(q.constraints) == len(r.agencies):
            names = " and ".join(f"**{self.label(a)}**" for a in r.agencies)
            return f"{n} {plural} name both {names}:"
        if r.route == Route.SECTION and r.sections:
            s = r.sections[0]
            span = f"measures {s.measures[0]}–{s.measures[-1]}"
            head = f"**Section {s.numeral}: {s.title}** has {n} {plural} ({span})."
            return f"{head} Objectives and tasks:\n> {s.objectives}\n"
        if r.route == Route.TOPIC:
            return f"{n} {plural} of the plan concern this:" if n > 1 else "One measure of the plan concerns this:"
        if r.route == Route.PREVIOUS and len(q.constraints) == 1:
            return f"{n} of the previous answer's measures:" if n > 1 else "One of the previous answer's measures:"
        return f"{n} {plural} {self.selection(r)}:"

    def _yes_no(self, r: Retrieval) -> str:
        n = len(r.hits)
        plural = "measure" if n == 1 else "measures"
        if r.yes:
            return f"**Yes**: {n} {plural} {self.selection(r)}:"
        q = r.query
        agencies = [c for c in q.of(Kind.AGENCY) if c.include] if q else []
        if r.abstain in (Abstain.NO_TOPIC, Abstain.OUT_OF_SCOPE) and agencies:
            name = " or ".join(self.label(a) for a in (agencies[0].any_of or (str(agencies[0].value),)))
            text = f"**No**: no measure of **{name}** concerns “{r.topic}”."
            return text + (f" {prompts.POINTERS}" if r.pointers else " The plan does not mention it elsewhere either.")
        if r.abstain == Abstain.OUT_OF_SCOPE:
            return f"**No**: {prompts.ABSTAIN}"
        where = f" (its measures: {r.detail})" if r.detail else ""
        return f"**No**: no measure {self.selection(r)}{where}."

    def _who(self, r: Retrieval) -> str:
        return " ".join(
            f"Measure {h.measure.number} is led by **{self.label(h.measure.lead_agency or '')}**"
            + (f", with {', '.join(h.measure.agencies[1:])}" if len(h.measure.agencies) > 1 else "")
            + f" ({len(h.measure.agencies)} {'agency' if len(h.measure.agencies) == 1 else 'agencies'})."
            for h in r.hits
        )

    def _partners(self, r: Retrieval) -> str:
        name = self.label(r.agencies[0])
        polar = bool(r.query and r.query.polar)
        if not r.partners:
            own = ", ".join(f"[{n}]" for n in r.numbers) or "its measures"
            word = "No" if polar else "None"
            return f"**{word}**: {name} shares no measure with another agency; it acts alone in {own}."
        lines = [("**Yes**: " if polar else "") + f"**{len(r.partners)}** agencies share measures with **{name}**:"]
        lines += [f"- {self.label(a)}: {', '.join(f'[{n}]' for n in nums)}" for a, nums in r.partners]
        return "\n".join(lines) + "\n\nThe shared measures:"

    def _rank_sections(self, r: Retrieval) -> str:
        which = "most" if r.detail == "most_measures" else "fewest"
        names = " and ".join(f"**Section {s.numeral}: {s.title}**" for s in r.sections)
        table = "; ".join(f"{s} {c}" for s, c in r.ranking)
        return f"{names} has the {which} measures: **{r.count}** (by section: {table}):"

    def _ranking_line(self, r: Retrieval) -> str:
        if r.detail == "most_agencies":
            nums = ", ".join(str(x) for x in r.numbers)
            return f"Measure {nums} names the most agencies: **{r.count}**."
        led = r.detail in ("most_led", "fewest_led")
        most = r.detail.startswith("most")
        among = "ministry" if r.query and r.query.among_ministries else "agency"
        names = " and ".join(f"**{self.label(a)}**" for a in r.agencies)
        verb = "lead" if led else "are named in"
        if len(r.agencies) == 1:
            verb = "leads" if led else "is named in"
        which = "the most" if most else "the fewest"
        each = " each" if len(r.agencies) > 1 else ""
        return f"Of any {among}, {names} {verb} {which} measures: **{r.count}**{each}:"

    def compare_table(self, r: Retrieval) -> str:
        """One row per measure: its section, its agencies, what it requires (verbatim)."""
        rows = ["| measure | section | agencies (lead first) | requires |", "| --- | --- | --- | --- |"]
        for h in r.hits:
            m = h.measure
            text = m.text.replace("|", "/")
            rows.append(f"| [{m.number}] | {m.section}: {m.section_title} | {', '.join(m.agencies) or '—'} | {text} |")
        return "\n".join(rows) + "\n"

    # ------------------------------------------------------------ abstentions and facts

    def abstain_text(self, r: Retrieval) -> str:
        reason = r.abstain
        year = self.plan.header.year
        if reason == Abstain.OUT_OF_RANGE:
            return prompts.OUT_OF_RANGE.format(numbers=r.detail)
        if reason == Abstain.UNKNOWN_AGENCY:
            return prompts.UNKNOWN_AGENCY.format(names=", ".join(f"the {a}" for a in r.agencies))
        if reason == Abstain.NO_JOINT:
            return prompts.NO_JOINT.format(a=self.label(r.agencies[0]), b=self.label(r.agencies[1]))
        if reason == Abstain.NO_TOPIC:
            if len(r.agencies) == 1 and len(r.query.constraints) == 2:
                text = prompts.NO_TOPIC_FOR_AGENCY.format(
                    count=len(r.hits), agency=self.label(r.agencies[0]), topic=r.topic
                )
            else:
                scope = ", ".join(self.phrase(c) for c in r.query.constraints if c.kind != Kind.TOPIC)
                text = prompts.NO_TOPIC_IN.format(count=len(r.hits), scope=scope, topic=r.topic)
            if r.pointers:  # not a refusal: the answer is the empty set, then where the plan does cover it
                return "**None**: " + text.partition(": ")[2]
            return text
        if reason == Abstain.OTHER_YEAR:
            return prompts.OTHER_YEAR.format(year=r.detail, plan_year=year)
        if reason == Abstain.INJECTION:
            return prompts.INJECTION
        if reason == Abstain.NO_LEAD:
            return f"The plan does not cover this: {self.label(r.agencies[0])} leads no measure."
        if reason == Abstain.NO_PREVIOUS:
            return prompts.NO_PREVIOUS
        if reason == Abstain.FILTERED:
            return prompts.FILTERED.format(inside=self.filtered_inside(r), where=r.detail or "nowhere")
        if reason == Abstain.NONE_MATCH:
            where = f" Its measures: {r.detail}." if r.detail else ""
            return f"None: no measure {self.selection(r)}.{where}"
        return prompts.ABSTAIN

    def filtered_inside(self, r: Retrieval) -> str:
        """What the chat's filters leave: ``"0 for Ministry of Agriculture (MOA) in section V"``."""
        chosen = [c for c in (r.query.constraints if r.query else []) if c.text == "filter"]
        parts = [f"for {self.label(str(c.value))}" for c in chosen if c.kind == Kind.AGENCY]
        parts += [f"in section {c.value}" for c in chosen if c.kind == Kind.SECTION]
        return prompts.FILTERED_INSIDE.format(where=" ".join(parts) or "there")

    # ------------------------------------------------------------ words around answers (English; see render_zh)

    def notice(self, key: str, **values) -> str:
        """A notice from its template in ``prompts`` (``"BACKEND_FAILED"``, ``"TRUNCATED"``)."""
        return getattr(prompts, key).format(**values)

    def short(self, name: str) -> str:
        """An agency by its best-known abbreviation: ``"General Administration of Customs" -> "GAC"``."""
        agency = self.registry.by_name.get(name)
        return agency.abbreviations[0] if agency and agency.abbreviations else name

    def role_note(self, hit) -> str:
        """A compact line's role: the asked agency's (``"lead"``, ``"co-responsible"``), else who leads."""
        if hit.role:
            return hit.role
        lead = hit.measure.lead_agency
        return f"lead: {self.short(lead)}" if lead else "no lead named"

    def quotes_summary(self, section: str, count: int) -> str:
        """The label of a compact answer's quotes for one section (quotes stay the plan's English)."""
        return prompts.QUOTES_SUMMARY.format(section=section, count=count)

    def pointers_line(self) -> str:
        return prompts.POINTERS

    def closest_line(self, topic: str, numbers: list[int]) -> str:
        return prompts.CLOSEST.format(topic=topic, measures=", ".join(f"measure {n}" for n in numbers))

    def try_instead(self) -> str:
        return prompts.TRY_INSTEAD

    def this_year_line(self, numbers: list[int]) -> str:
        measures = ", ".join(f"measure {n}" for n in numbers)
        return prompts.THIS_YEAR.format(plan_year=self.plan.header.year, measures=measures)

    def document_text(self, r: Retrieval) -> str:
        lines = list(r.facts)
        for s in r.sections:
            span = f"measures {s.measures[0]}–{s.measures[-1]}" if s.measures else "no measures"
            lines.append(f"**Section {s.numeral}: {s.title}** ({span}). Objectives and tasks:\n> {s.objectives}")
        return "\n\n".join(lines)
