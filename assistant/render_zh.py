"""Render stage, in Chinese: first lines, counts, abstentions and notices for questions asked in
Chinese (``query.language == "zh"``), from the templates in ``prompts.ZH``.

Only the words around the plan change language: the quotes stay the plan's verbatim English, and
an agency is named by its Chinese name from the registry where it has one, with its English label
("国家知识产权局（State Intellectual Property Office (SIPO)）"). The same :class:`Retrieval` decides
what is said as for English; this class only words it.
"""

from __future__ import annotations

import re

from assistant import prompts
from assistant.render import Renderer
from assistant.retrieve import Abstain, Retrieval
from assistant.text import CJK
from assistant.understand.query import Ask, Constraint, Kind, Role
from assistant.understand.routes import Route

ZH = prompts.ZH
_WHERE = re.compile(r"(\d+) in section ([IVX]+)")


class ChineseRenderer(Renderer):
    """:class:`Renderer` with Chinese wording (same decisions, same quotes)."""

    def label(self, name: str) -> str:
        agency = self.registry.by_name.get(name)
        if agency and agency.chinese:
            return f"{agency.chinese[0]}（{agency.label}）"
        return super().label(name)

    def where(self, detail: str) -> str:
        """``"2 in section IV; 1 in section VI" -> "第IV部分 2 项；第VI部分 1 项"``."""
        return "；".join(ZH["where"].format(section=s, count=c) for c, s in _WHERE.findall(detail)) or detail

    def phrase(self, c: Constraint) -> str:
        if c.kind == Kind.AGENCY:
            names = "或".join(self.label(n) for n in (c.any_of or (str(c.value),)))
            key = "scope_agency" if c.include else "scope_not_agency"
            role = {Role.LEAD: "_lead", Role.CO: "_co", Role.SOLE: "_sole"}.get(c.role, "")
            key = f"{key}{role}" if f"{key}{role}" in ZH else key  # "由X牵头": the role asked, not only X
            return ZH[key].format(agency=names)
        if c.kind == Kind.SECTION:
            secs = "或".join(c.any_of or (str(c.value),))
            return ZH["scope_section" if c.include else "scope_not_section"].format(section=secs)
        if c.kind == Kind.MEASURES and c.how == "union":
            return ZH["scope_union"]
        if c.kind == Kind.MEASURES:
            return ZH["scope_measures"].format(numbers="、".join(map(str, c.value)))  # type: ignore[arg-type]
        if c.kind == Kind.PREVIOUS:
            return ZH["scope_previous"]
        if c.kind == Kind.BODIES:
            return ZH["scope_one_body" if c.include else "scope_many_bodies"]
        return ZH["scope_topic"].format(topic=c.value)

    def core(self, r: Retrieval) -> list[Constraint]:
        """The constraints worth saying: a topic in Chinese words is the asker's own wording
        ("需要做什么") and is left out; a topic in the plan's words is kept."""
        constraints = r.query.constraints if r.query else []
        return [c for c in constraints if not (c.kind == Kind.TOPIC and CJK.search(str(c.value)))]

    def selection(self, r: Retrieval) -> str:
        return "，".join(self.phrase(c) for c in self.core(r))

    def lead_line(self, r: Retrieval) -> str:
        line = self._lead(r)
        return f"{line}{ZH['quotes']}" if line and r.hits and r.ask != Ask.YES_NO or r.yes else line

    def _lead(self, r: Retrieval) -> str:
        n, q = len(r.hits), r.query
        label = self.label(r.agencies[0]) if r.agencies else ""
        leads = sum(h.role == Role.LEAD for h in r.hits)
        one = q is not None and len(self.core(r)) == 1
        if r.ask == Ask.YES_NO:
            return ZH["yes"].format(n=n, scope=self.selection(r)) if r.yes else self.no_line(r)
        if r.abstain == Abstain.NO_TOPIC:
            return ""
        if r.ask in (Ask.COMPARE, Ask.WHO, Ask.PARTNERS, Ask.RANK_SECTIONS) or r.route in (
            Route.SUPERLATIVE,
            Route.WHO_LEADS,
        ):  # tables and rankings: numbers and names carry them; the English line follows
            return ZH["list"].format(n=n, scope="") + "\n\n" + super()._lead(r)
        if r.route == Route.LOOKUP:
            if n == 1:
                m = r.hits[0].measure
                lead = self.label(m.lead_agency) if m.lead_agency else "—"
                return ZH["lookup"].format(number=m.number, section=m.section, title=m.section_title, lead=lead)
            return ZH["lookup_many"].format(numbers="、".join(map(str, r.numbers)))
        if r.route == Route.COUNT:
            if not r.agencies and r.detail.startswith("Section") and one:
                s = self.plan.section(q.section)
                return ZH["count_section"].format(numeral=s.numeral, title=s.title, count=r.count)
            if r.agencies and one and q.role in (None, Role.LEAD):
                if q.role == Role.LEAD:
                    return ZH["count_lead"].format(agency=label, count=r.count)
                return ZH["count_agency"].format(agency=label, count=r.count, lead=leads, co=n - leads)
            return ZH["count"].format(count=r.count, scope=self.selection(r))
        if r.agencies and one and self.core(r)[0].kind == Kind.AGENCY and r.route != Route.TOPIC:
            if r.route == Route.LEAD:
                return ZH["lead"].format(agency=label, n=n)
            key = {Role.CO: "co", Role.SOLE: "sole"}.get(q.role, "agency")
            return ZH[key].format(agency=label, n=n, lead=leads, co=n - leads)
        if r.route == Route.SECTION and r.sections:
            s = r.sections[0]
            return ZH["section"].format(numeral=s.numeral, title=s.title, n=n, first=s.measures[0],
                                        last=s.measures[-1], objectives=s.objectives)  # fmt: skip
        if r.route == Route.TOPIC:
            return ZH["topic"].format(n=n) if n > 1 else ZH["topic_one"]
        if r.route == Route.PREVIOUS and one:
            return ZH["previous"].format(n=n)
        return ZH["list"].format(n=n, scope=self.selection(r))

    def no_line(self, r: Retrieval) -> str:
        if r.abstain == Abstain.NO_TOPIC and self.core(r):  # a real topic emptied the set: say so, not "none"
            text = ZH["no_on_it"].format(scope=self.selection(r))
        else:
            text = ZH["no"].format(scope=self.selection(r))
        if r.abstain == Abstain.NO_TOPIC and r.pointers:
            text += " " + ZH["pointers"]
        return text

    def abstain_text(self, r: Retrieval) -> str:
        reason, year = r.abstain, self.plan.header.year
        if reason == Abstain.OUT_OF_RANGE:
            return ZH["out_of_range"].format(numbers=r.detail)
        if reason == Abstain.UNKNOWN_AGENCY:
            return ZH["unknown_agency"].format(names="、".join(r.agencies))
        if reason == Abstain.NO_JOINT:
            return ZH["no_joint"].format(a=self.label(r.agencies[0]), b=self.label(r.agencies[1]))
        if reason == Abstain.NO_TOPIC:
            if len(r.agencies) == 1 and len(r.query.constraints) == 2:
                return ZH["no_topic_for_agency"].format(count=len(r.hits), agency=self.label(r.agencies[0]),
                                                        topic=r.topic)  # fmt: skip
            scope = "，".join(self.phrase(c) for c in r.query.constraints if c.kind != Kind.TOPIC)
            return ZH["no_topic_in"].format(count=len(r.hits), scope=scope, topic=r.topic)
        if reason == Abstain.OTHER_YEAR:
            return ZH["other_year"].format(year=r.detail, plan_year=year)
        if reason == Abstain.INJECTION:
            return ZH["injection"]
        if reason == Abstain.NO_LEAD:
            return ZH["no_lead"].format(agency=self.label(r.agencies[0]))
        if reason == Abstain.NO_PREVIOUS:
            return ZH["no_previous"]
        if reason == Abstain.FILTERED:
            return ZH["filtered"].format(inside=self.filtered_inside(r), where=self.where(r.detail) or "—")
        if reason == Abstain.NONE_MATCH:
            return ZH["none_match"].format(scope=self.selection(r), where=self.where(r.detail))
        return ZH["abstain"]

    def filtered_inside(self, r: Retrieval) -> str:
        chosen = [c for c in (r.query.constraints if r.query else []) if c.text == "filter"]
        parts = [self.label(str(c.value)) for c in chosen if c.kind == Kind.AGENCY]
        parts += [f"第{c.value}部分" for c in chosen if c.kind == Kind.SECTION]
        return "，".join(parts) + " 0 项"

    def notice(self, key: str, **values) -> str:
        return ZH[key].format(**values) if key in ZH else super().notice(key, **values)

    def pointers_line(self) -> str:
        return ZH["pointers"]

    def quotes_summary(self, section: str, count: int) -> str:
        return ZH["quotes_summary"].format(section=section, count=count)

    def closest_line(self, topic: str, numbers: list[int]) -> str:
        return ZH["closest"].format(topic=topic, measures="、".join(f"第 {n} 项" for n in numbers))

    def try_instead(self) -> str:
        return ZH["try_instead"]

    def this_year_line(self, numbers: list[int]) -> str:
        measures = "、".join(f"第 {n} 项" for n in numbers)
        return ZH["this_year"].format(plan_year=self.plan.header.year, measures=measures)
