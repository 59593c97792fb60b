"""Pure UI helpers for the chat page: answer markdown with citation links, the sources panel and
the card library citations open from, filter chips, the browse table, history conversion, and the
page's CSS and JS. No Gradio imports: tested without a browser."""

from __future__ import annotations

import html
import re

from assistant.highlight import pieces
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


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MARKUP = re.compile(r"</?mark>|\*\*")


def mark_quotes(markdown: str) -> str:
    """The answering clauses of an answer's quotes (bold in ``answer.text``) as ``<mark>`` in the chat.

    Only quote lines change: ``"> a **b** c" -> "> a <mark>b</mark> c"``; ``"**[32]** x"`` stays.
    """
    lines = markdown.split("\n")
    return "\n".join(_BOLD.sub(r"<mark>\1</mark>", line) if line.startswith(">") else line for line in lines)


def unmark(text: str) -> str:
    """The text without highlight markup (``<mark>``, ``**``): a highlighted quote gives the plan's text back."""
    return _MARKUP.sub("", text)


def chat_answer(text: str, cited: set[int] | None = None, filters: str = "") -> str:
    """An answer as the chat shows it: the filter line, linked citations, highlighted quotes."""
    return filter_line(filters) + mark_quotes(link_citations(text, cited))


def marked_html(text: str, spans=()) -> str:
    """``text`` escaped, each ``(start, end)`` span in ``<mark>``: ``("a<b", [(0, 1)]) -> "<mark>a</mark>&lt;b"``."""
    return "".join(f"<mark>{html.escape(p)}</mark>" if lit else html.escape(p) for p, lit in pieces(text, spans))


def source_card(m: Measure, spans=()) -> str:
    """One measure in full as an HTML card (all text escaped); the answering clauses ``spans`` marked."""
    co = [*m.agencies[1:], *m.other_parties]
    e = html.escape
    co_html = f"<div class='src-co'>Co-responsible: {e(', '.join(co))}</div>" if co else ""
    return (
        f"<div class='src-card' id='m-{m.number}' data-measure='{m.number}'>"
        f"<div class='src-head'><b>[{m.number}]</b> Section {e(m.section)}: {e(m.section_title)}</div>"
        f"<div class='src-lead'>Lead: {e(m.lead_agency or '—')}</div>{co_html}"
        f"<blockquote class='src-text'>{marked_html(m.text, spans)}</blockquote></div>"
    )


def sources_html(numbers: list[int], plan: Plan, highlights: dict | None = None) -> str:
    """The sources panel for an answer's citations; ``highlights`` maps a measure to its answering spans."""
    if not numbers:
        return "<div class='src-empty'>Sources of the answer appear here.</div>"
    marks = highlights or {}
    cards = "".join(source_card(plan.measure(n), marks.get(n) or ()) for n in numbers)
    return f"<div class='src-list'><div class='src-title'>Sources ({len(numbers)})</div>{cards}</div>"


def library_html(plan: Plan) -> str:
    """Every measure's card, hidden: a citation in any answer, old or new, opens its card from here."""
    cards = "".join(source_card(m).replace(f"id='m-{m.number}' ", "", 1) for m in plan.measures)
    return f"<div class='src-library' aria-hidden='true'>{cards}</div>"


def section_choices(plan: Plan) -> list[tuple[str, str]]:
    """The section filter's choices with titles: ``("IV. Strengthening IP Protection", "IV")``, after "any"."""
    return [("Any section", ""), *((f"{s.numeral}. {s.title}", s.numeral) for s in plan.sections)]


def filter_labels(filters: dict, plan: Plan, registry) -> list[str]:
    """The chips of the filters that are on: ``["Ministry of Agriculture (MOA)", "Section V: …"]``."""
    out = []
    if filters.get("agency"):
        agency = registry.by_name.get(filters["agency"])
        out.append(agency.label if agency else filters["agency"])
    if filters.get("section"):
        s = next((s for s in plan.sections if s.numeral == filters["section"]), None)
        out.append(f"Section {filters['section']}" + (f": {s.title}" if s else ""))
    return out


def filter_chips(labels: list[str]) -> str:
    """The filter bar above the chat: one chip per filter on, or nothing when none is."""
    if not labels:
        return "<div class='chips chips-off'>No filters: answers search the whole plan.</div>"
    chips = "".join(f"<span class='chip'>{html.escape(label)}</span>" for label in labels)
    return f"<div class='chips' role='status'><b>Filtered:</b> {chips}</div>"


def filter_line(note: str) -> str:
    """The filter note an answer carries, as the chat shows it above the answer: ``"`Filtered: X · Y`"``."""
    return f"🔎 `{note}`\n\n" if note else ""


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
            transition: background .3s; overflow-wrap: anywhere; }
.src-card:target, .src-card.hl { background: #fff3bf; border-color: #f08c00; }
.src-head { font-size: 0.95em; } .src-lead, .src-co { font-size: 0.85em; color: #57606a; }
.src-text { margin: 6px 0 0 0; padding-left: 8px; border-left: 3px solid #8c959f; }
.src-title { font-weight: 600; margin-bottom: 4px; }
#library { display: none !important; }
/* the sources panel scrolls by itself beside the chat: reading a card never moves the page */
#sources { max-height: 640px; overflow-y: auto !important; overscroll-behavior: contain; }
#chat .bubble-wrap { overscroll-behavior: contain; }
.chips { font-size: 0.9em; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.chips-off { color: #57606a; }
.chip { background: #fff3bf; border: 1px solid #f08c00; border-radius: 12px; padding: 1px 10px; }
#cite-pop { position: fixed; font-family: var(--font, sans-serif); font-size: var(--text-md, 14px); z-index: 1000;
            max-width: min(520px, calc(100vw - 16px)); max-height: 50vh;
            overflow-y: auto; overscroll-behavior: contain; background: #fff; color: #1f2328;
            border: 1px solid #8c959f; border-radius: 8px; box-shadow: 0 6px 24px rgba(0,0,0,.2); padding: 4px 10px; }
#cite-pop .pop-close { float: right; border: none; background: none; font-size: 1.2em; cursor: pointer; }
#cite-pop .src-card { border: none; margin: 0; padding: 4px 0; }
.rv { overflow-wrap: anywhere; } .rv-msg { font-weight: 600; margin: 4px 0 8px 0; }
.rv-sec h3 { margin: 18px 0 4px 0; } .rv-obj { color: #57606a; margin: 0 0 8px 0; }
.rv-card { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 12px; margin: 8px 0; }
.rv-roles { font-size: 0.85em; color: #57606a; } .rv-text { margin: 6px 0; }
.rv-ask { font-size: 0.85em; border: 1px solid #8c959f; border-radius: 6px; padding: 2px 8px; cursor: pointer;
          background: #f6f8fa; }
.rv mark, .src-card mark, #chat blockquote mark { background: #ffe066; color: inherit; padding: 0 1px; }
#chat details { margin: 2px 0 10px 0; } #chat details > summary { cursor: pointer; color: #57606a; font-size: 0.9em; }
#footer { font-size: 0.8em; color: #57606a; }
/* phone: one column, the sources right after the answer and the question box, no scroll box in the page */
@media (max-width: 700px) {
  #chat-row { flex-direction: column !important; }
  #chat-col { display: contents !important; }
  #chat-col > * { order: 10; }
  #filter-bar { order: 1 !important; } #chat { order: 2 !important; } #reason-row { order: 3 !important; }
  #chat-col > .form:has(#question) { order: 4 !important; } #ask-row { order: 5 !important; }
  #side-col { order: 6 !important; }
  #chat .message-row.bot-row { max-width: 100% !important; margin-left: 0 !important; margin-right: 0 !important; }
  #chat, #chat > .wrapper { height: auto !important; max-height: none !important; }
  #chat .bubble-wrap { height: auto !important; max-height: none !important; overflow: visible !important; }
  #sources { max-height: none; overflow: visible !important; }
  .tab-container button { padding-left: 8px !important; padding-right: 8px !important; }
}
"""

# Citations open in place: a click on [n] opens its card as a popover and points the sources panel
# at the answer that holds the link (scrolled to the card), without moving the page or the chat.
# Reading the chat keeps the panel on the answer being read. A new answer opens at its question.
JS = """
() => {
  const card = (n) => document.querySelector(`#library .src-card[data-measure="${n}"]`);
  const box = () => document.querySelector('#chat .bubble-wrap');
  const panel = () => document.querySelector('#sources');
  const cites = (el) => [...new Set([...el.querySelectorAll('a[href^="#m-"]')]
    .map(a => a.getAttribute('href').slice(3)))];
  const rowOf = (el) => el && el.closest('.message-row');
  // the answering clauses an answer marks in its quotes of measure n: the <mark>s after its [n] link
  const marksOf = (row, n) => {
    if (!row) return [];
    const links = [...row.querySelectorAll('a[href^="#m-"]')];
    return [...row.querySelectorAll('blockquote mark')].filter(mk => {
      const before = links.filter(a => a.compareDocumentPosition(mk) & Node.DOCUMENT_POSITION_FOLLOWING);
      return before.length && before[before.length - 1].getAttribute('href') === `#m-${n}`;
    }).map(mk => mk.textContent);
  };
  // a library card with those clauses marked in its verbatim text (the text itself is not changed)
  const marked = (n, row) => {
    const c = card(n); if (!c) return null;
    const el = c.cloneNode(true); const q = el.querySelector('.src-text'); const text = q.textContent;
    const spans = marksOf(row, n).map(t => [text.indexOf(t), t.length]).filter(([i]) => i >= 0)
      .sort((a, b) => a[0] - b[0]);
    if (spans.length) {
      q.textContent = ''; let at = 0;
      for (const [i, len] of spans) {
        if (i < at) continue;
        q.append(text.slice(at, i)); const mk = document.createElement('mark');
        mk.textContent = text.slice(i, i + len); q.append(mk); at = i + len;
      }
      q.append(text.slice(at));
    }
    return el;
  };
  let shown = null;
  const showSources = (row) => {
    if (!row || row === shown) return;
    const nums = cites(row); const p = panel(); if (!p || !nums.length) return;
    const html = nums.map(n => {
      const c = marked(n, row); if (!c) return ''; c.id = `m-${n}`; return c.outerHTML;
    }).join('');
    const target = p.querySelector('.src-list') || p.querySelector('.src-empty');
    if (!target) return;
    // changed in place: the component's own node, so the next answer's update replaces it as usual
    target.className = 'src-list'; target.innerHTML = `<div class="src-title">Sources (${nums.length})</div>` + html;
    shown = row;
  };
  const toCard = (n) => {
    const p = panel(); const c = p && p.querySelector(`#m-${n}`); if (!c) return;
    p.querySelectorAll('.src-card.hl').forEach(x => x.classList.remove('hl')); c.classList.add('hl');
    if (p.scrollHeight > p.clientHeight) {
      p.scrollTop += c.getBoundingClientRect().top - p.getBoundingClientRect().top - 4;
    }
  };
  const closePop = () => { const el = document.getElementById('cite-pop'); if (el) el.remove(); };
  const openPop = (a, n) => {
    closePop(); const c = marked(n, rowOf(a)); if (!c) return;
    const pop = document.createElement('div'); pop.id = 'cite-pop'; pop.setAttribute('role', 'dialog');
    pop.innerHTML = '<button class="pop-close" aria-label="Close">×</button>' + c.outerHTML;
    (document.querySelector('.gradio-container') || document.body).appendChild(pop);
    const r = a.getBoundingClientRect(); const h = pop.offsetHeight; const w = pop.offsetWidth;
    const below = r.bottom + 6 + h <= window.innerHeight;
    pop.style.top = Math.max(4, below ? r.bottom + 6 : r.top - 6 - h) + 'px';
    pop.style.left = Math.max(8, Math.min(r.left, window.innerWidth - w - 8)) + 'px';
  };
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[href^="#m-"]');
    if (a) {
      e.preventDefault(); e.stopPropagation();
      const n = a.getAttribute('href').slice(3);
      const row = rowOf(a); if (row && row !== shown) { shown = null; showSources(row); }
      toCard(n); openPop(a, n); return;
    }
    if (e.target.closest && e.target.closest('.pop-close')) { closePop(); return; }
    if (!(e.target.closest && e.target.closest('#cite-pop'))) closePop();
    const ask = e.target.closest && e.target.closest('.rv-ask');
    if (ask) {
      const tab = [...document.querySelectorAll('[role=tab]')].find(t => t.textContent.trim() === 'Chat');
      if (tab) tab.click();
      setTimeout(() => {
        const q = document.querySelector('#question textarea'); if (!q) return;
        q.value = `What does measure ${ask.dataset.ask} say?`; q.dispatchEvent(new Event('input', {bubbles: true}));
        q.focus();
      }, 150);
    }
  }, true);
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closePop(); });
  document.addEventListener('mouseover', (e) => {
    const a = e.target.closest && e.target.closest('a[href^="#m-"]');
    document.querySelectorAll('#sources .src-card.hl').forEach(c => c.classList.remove('hl'));
    if (a) {
      const c = document.querySelector(`#sources #m-${a.getAttribute('href').slice(3)}`); if (c) c.classList.add('hl');
    }
  });
  // the answer being read: the last message row whose top is in the upper third of the chat box
  let ticking = false;
  const follow = () => {
    ticking = false; const b = box(); if (!b || b.scrollHeight <= b.clientHeight) return;
    const top = b.getBoundingClientRect().top; const rows = [...b.querySelectorAll('.message-row.bot-row')];
    let reading = null;
    for (const r of rows) if (r.getBoundingClientRect().top <= top + b.clientHeight / 3) reading = r;
    reading = reading || rows[0]; if (!reading) return;
    if (reading !== shown) showSources(reading);
    const first = [...reading.querySelectorAll('a[href^="#m-"]')].find(a => a.getBoundingClientRect().top >= top);
    if (first) toCard(first.getAttribute('href').slice(3));
  };
  document.addEventListener('scroll', (e) => {
    if (e.target && e.target.classList && e.target.classList.contains('bubble-wrap') && !ticking) {
      ticking = true; requestAnimationFrame(follow);
    }
  }, true);
  // a new answer opens at its question: the chat box (or, on a phone, the page) is brought to the new
  // question once, and kept there while the answer is still too short to get there, until the reader scrolls
  let bots = 0; let pin = null;
  const unpin = () => { pin = null; };
  ['wheel', 'touchstart', 'pointerdown', 'keydown']
    .forEach(t => document.addEventListener(t, unpin, {passive: true, capture: true}));
  const bring = () => {
    const b = box(); if (!b || !pin || !pin.isConnected) { pin = null; return; }
    if (getComputedStyle(b).overflowY !== 'visible') {
      const d = pin.getBoundingClientRect().top - b.getBoundingClientRect().top - 4;
      if (Math.abs(d) < 2) { pin = null; return; }
      b.scrollTop += d;
    } else {
      const y = pin.getBoundingClientRect().top - 8; pin = null;
      if (y < 0 || y > window.innerHeight * 0.5) window.scrollBy(0, y);
    }
  };
  new MutationObserver(() => {
    const b = box(); if (!b) return;
    const rows = b.querySelectorAll('.message-row.bot-row');
    if (rows.length !== bots) {
      const grew = rows.length > bots; bots = rows.length; shown = null;
      pin = grew ? [...b.querySelectorAll('.message-row.user-row')].pop() || null : null;
    }
    if (pin) bring();
  }).observe(document.body, {childList: true, subtree: true});
}
"""
