"""Pure UI helpers for the chat page: answer markdown with citation links, the sources panel,
the browse table, history conversion. No Gradio imports: tested without a browser."""

from __future__ import annotations

import html
import re

from assistant.text import MEASURE_NUMBER, cited
from index.parse import Measure, Plan

_CITE = re.compile(rf"\*\*\[{MEASURE_NUMBER}\]\*\*|(?<!\[)\[{MEASURE_NUMBER}\](?![(\]])")  # bold, or bare (not linked)


def link_citations(markdown: str, cited: set[int] | None = None) -> str:
    """Turn ``[32]`` into a link to the source card ``#m-32`` (only for cited measures, if given).

    ``"x [32]." -> "x [[32]](#m-32)."``
    """

    def repl(m: re.Match) -> str:
        n = int(m.group(1) or m.group(2))
        if cited is not None and n not in cited:
            return m.group(0)
        link = f"[[{n}]](#m-{n})"
        return f"**{link}**" if m.group(1) else link

    return _CITE.sub(repl, markdown)


def source_card(m: Measure) -> str:
    """One measure in full as an HTML card (all text escaped)."""
    co = [*m.agencies[1:], *m.other_parties]
    e = html.escape
    co_html = f"<div class='src-co'>Co-responsible: {e(', '.join(co))}</div>" if co else ""
    return (
        f"<div class='src-card' id='m-{m.number}' data-measure='{m.number}'>"
        f"<div class='src-head'><b>[{m.number}]</b> Section {e(m.section)}: {e(m.section_title)}</div>"
        f"<div class='src-lead'>Lead: {e(m.lead_agency or '—')}</div>{co_html}"
        f"<blockquote class='src-text'>{e(m.text)}</blockquote></div>"
    )


def sources_html(numbers: list[int], plan: Plan) -> str:
    """The sources panel for an answer's citations."""
    if not numbers:
        return "<div class='src-empty'>Sources of the answer appear here.</div>"
    cards = "".join(source_card(plan.measure(n)) for n in numbers)
    return f"<div class='src-list'><div class='src-title'>Sources ({len(numbers)})</div>{cards}</div>"


def browse_rows(plan: Plan, query: str = "", agency: str = "", section: str = "") -> list[list]:
    """Rows for the "browse the plan" table, filtered by free text, agency and section."""
    q = query.strip().lower()
    rows = []
    for m in plan.measures:
        if agency and agency not in m.agencies:
            continue
        if section and m.section != section:
            continue
        haystack = f"{m.number} {m.text} {m.responsibility} {m.section_title}".lower()
        if q and q not in haystack:
            continue
        rows.append([m.number, m.section, m.lead_agency or "", "; ".join(m.agencies[1:]), m.text])
    return rows


def message_text(content) -> str:
    """Text of a chat message whatever shape Gradio gives it (str, parts list, dict)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, list):
        return " ".join(message_text(part) for part in content)
    return ""


def history_for_retriever(history: list, memory: dict | None = None) -> list[dict]:
    """Chat history as ``[{role, content, citations?, query?}]`` for follow-ups. ``memory`` (the chat's
    state) maps an assistant message's position to what its answer cited and the query it answered."""
    out = []
    for i, turn in enumerate(history or []):
        if isinstance(turn, dict) and turn.get("role") in ("user", "assistant"):
            entry = {"role": turn["role"], "content": message_text(turn.get("content"))}
            if isinstance(turn.get("citations"), list):  # conversation state from /ask callers
                entry["citations"] = [n for n in turn["citations"] if isinstance(n, int)]
            kept = (memory or {}).get(i) or (memory or {}).get(str(i))
            if turn["role"] == "assistant" and isinstance(kept, dict):
                entry.update({k: v for k, v in kept.items() if k in ("citations", "query")})
            out.append(entry)
    return out


def cited_numbers(markdown: str) -> list[int]:
    """Measures cited in an answer's markdown, in order."""
    return cited(markdown)


def footer(backend: str, index_version: str, measures: int, notice: str = "") -> str:
    """The footer line; ``notice`` (a degraded cache, say) is added in bold."""
    line = f"Answered by `{backend}` · index `{index_version}` · {measures} measures"
    line += " · quotes are verbatim from the plan"
    return f"{line} · **{notice}**" if notice else line


CSS = """
.src-card { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin: 6px 0;
            transition: background .3s; }
.src-card:target, .src-card.hl { background: #fff3bf; border-color: #f08c00; }
.src-head { font-size: 0.95em; } .src-lead, .src-co { font-size: 0.85em; color: #57606a; }
.src-text { margin: 6px 0 0 0; padding-left: 8px; border-left: 3px solid #8c959f; }
.src-title { font-weight: 600; margin-bottom: 4px; }
#footer { font-size: 0.8em; color: #57606a; }
"""

# Hovering a citation link highlights its source card.
JS = """
() => {
  document.addEventListener('mouseover', (e) => {
    const a = e.target.closest && e.target.closest('a[href^="#m-"]');
    document.querySelectorAll('.src-card.hl').forEach(c => c.classList.remove('hl'));
    if (a) { const c = document.getElementById(a.getAttribute('href').slice(1)); if (c) c.classList.add('hl'); }
  });
}
"""
