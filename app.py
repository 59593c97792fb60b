"""The Gradio chat staff use: streamed, cited answers beside a sources panel (citations open in
place); filter chips, a reading view of the plan, feedback with a reason.
``python app.py [--host H] [--port P] [--llm provider/model]``."""

import ipaddress
import logging
import sys
import uuid
from pathlib import Path

import typer

from assistant import feedback, reading, takeaway_ui, ui, validate
from assistant.answer import Assistant
from assistant.vectors import unavailable_answer
from index.build import IndexUnavailable, index_version, manifest_for
from index.config import Settings

logger = logging.getLogger("app")

EXAMPLES = [
    "What must Customs do?",
    "Which measures concern courts and trials?",
    "What does measure 7 say?",
    "And what about the Ministry of Culture?",
]


def parse_auth(spec: str | None) -> list[tuple[str, str]]:
    """``"ann:pw1,bob:pw2"`` or ``"@/path/file"`` (one user:password per line) -> pairs."""
    if not spec:
        return []
    text = Path(spec[1:]).read_text(encoding="utf-8") if spec.startswith("@") else spec.replace(",", "\n")
    pairs = []
    for line in text.splitlines():
        if line.strip():
            user, sep, password = line.strip().partition(":")
            if not sep or not user or not password:
                raise SystemExit("error: APP_AUTH entries must be user:password")
            pairs.append((user, password))
    return pairs


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_app(assistant: Assistant):
    """The Blocks app around one shared assistant (models loaded once)."""
    import gradio as gr

    plan = assistant.retriever.plan
    registry = assistant.retriever.registry
    version = index_version(manifest_for(assistant.settings, plan, registry))
    backend = assistant.llm.name if assistant.llm else "none"
    log_path = assistant.settings.feedback_path
    search = reading.PlanSearch(plan, registry, assistant.retriever.parser.speller, assistant.retriever.expansions)

    def respond(message: str, chat: list, agency: str, section: str, memory: dict | None = None):
        chat = list(chat or [])
        memory = dict(memory or {})
        history = ui.history_for_retriever(chat, memory)
        chat.append({"role": "user", "content": message})
        chat.append({"role": "assistant", "content": ""})
        filters = {"agency": agency or None, "section": section or None}
        labels = ui.filter_labels(filters, plan, registry)
        streaming = ui.filter_line("Filtered: " + " · ".join(labels) if labels else "")
        text = ""
        try:
            for event in assistant.stream(message, history, filters):
                if event.kind == "delta":
                    text += event.text
                    chat[-1]["content"] = streaming + ui.mark_quotes(ui.link_citations(text))
                    yield chat, gr.update(), "", memory
                else:
                    answer = event.answer
                    numbers = [c.measure for c in answer.citations]
                    chat[-1]["content"] = ui.chat_answer(answer.text, set(numbers), answer.filters)
                    # the conversation state follow-ups edit (what this answer cited and the query it answered)
                    # and exports read (the answering clauses each quote marks)
                    marks = {c.measure: [list(s) for s in c.highlights] for c in answer.citations if c.highlights}
                    memory[len(chat) - 1] = {
                        "citations": numbers,
                        "query": answer.query,
                        "filters": answer.filters,
                        "highlights": marks,
                    }
                    yield chat, ui.sources_html(numbers, plan, marks), "", memory
        except IndexUnavailable as exc:  # Chroma is down or hung: say so, as the start-up check does
            chat[-1]["content"] = unavailable_answer(message, str(exc), backend).text
            yield chat, gr.update(), "", memory
        except Exception:  # never a stack trace in the page
            logger.exception("answering %r failed", message[:200])
            chat[-1]["content"] = (text + "\n\n" if text else "") + (
                "*Something went wrong while answering. Please try again; the error was logged.*"
            )
            yield chat, gr.update(), "", memory

    def record(entry: dict) -> bool:
        try:
            feedback.append(log_path, entry)
        except feedback.NotRecorded as exc:  # whole or not at all: nothing half-written is left
            logger.warning("%s", exc)
            gr.Warning(f"Sorry, your feedback was not recorded: {exc.reason}.")
            return False
        return True

    def on_like(chat: list, memory: dict | None, data: gr.LikeData):
        idx = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        content = ui.message_text(chat[idx]["content"]) if 0 <= idx < len(chat) else ""
        question = next((ui.message_text(t["content"]) for t in reversed(chat[:idx]) if t.get("role") == "user"), "")
        kept = (memory or {}).get(idx) or (memory or {}).get(str(idx)) or {}
        entry = {
            "id": uuid.uuid4().hex,
            "rating": "up" if data.liked else "down",
            "question": question,
            "answer": content,
            "citations": ui.cited_numbers(content),
            "filters": kept.get("filters", ""),
            "backend": backend,
            "index_version": version,
        }
        if not record(entry):
            return gr.update(), None
        gr.Info("Thanks, your feedback was recorded. You can add a reason below.")
        return gr.update(visible=True), {k: entry[k] for k in ("id", "rating", "question")}

    def on_reason(reason: str, liked: dict | None):
        """An optional reason, recorded as its own line that refers to the rating it explains."""
        reason = " ".join((reason or "").split())[:2000]
        if not liked or not reason:
            return gr.update(), gr.update(), liked
        if record({"kind": "reason", "refers_to": liked["id"], "rating": liked["rating"],
                   "question": liked["question"], "reason": reason, "index_version": version}):  # fmt: skip
            gr.Info("Thanks, your reason was recorded.")
            return "", gr.update(visible=False), None
        return gr.update(), gr.update(), liked

    def ask_api(question: str, history: list | None = None) -> dict:
        """Answer one question (JSON like `python -m assistant ask --json`)."""
        try:
            request = validate.ask_request(question, history, len(plan.measures))
        except validate.InvalidInput as exc:  # a clear message to the caller, no traceback in the log
            raise gr.Error(str(exc), print_exception=False) from None
        turns = [t.to_dict() for t in request.history]
        try:
            return assistant.ask(request.question, turns).to_json()
        except IndexUnavailable as exc:
            return unavailable_answer(request.question, str(exc), backend).to_json()

    year, plan_title = plan.header.year, plan.header.plan_title  # from the parsed plan, never hard-coded
    with gr.Blocks(title=f"IP Strategy Plan {year} assistant") as demo:
        gr.Markdown(
            f"## IP Strategy Promotion Plan {year} — assistant\n"
            f"Ask about the *{plan_title}*. Every answer "
            "quotes the plan verbatim and cites measure numbers — click or hover a citation to see its source."
        )
        memory = gr.State({})  # assistant message position -> {"citations", "query", "filters", "highlights"}
        liked = gr.State(None)  # the rating a reason would explain
        with gr.Tab("Chat"), gr.Row(elem_id="chat-row"):
            with gr.Column(scale=3, elem_id="chat-col"):
                with gr.Row(elem_id="filter-bar", equal_height=True):
                    chips = gr.HTML(ui.filter_chips([]), elem_id="filter-chips", padding=False)
                    clear_filters = gr.Button("Clear filters", size="sm", visible=False, elem_id="clear-filters")
                chatbot = gr.Chatbot(
                    height=560,
                    autoscroll=False,  # a new answer opens at its question (ui.JS), not at its end
                    buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                    elem_id="chat",
                    label="Chat",
                    sanitize_html=True,
                )
                with gr.Row(visible=False, elem_id="reason-row") as reason_row:
                    reason = gr.Textbox(
                        placeholder="Why? (optional) e.g. a measure is missing, the wrong agency…",
                        show_label=False,
                        elem_id="reason",
                        max_length=2000,
                        scale=4,
                    )
                    send_reason = gr.Button("Send reason", size="sm", elem_id="send-reason", scale=1)
                box = gr.Textbox(
                    placeholder="Ask about the plan, e.g. What must Customs do?",
                    show_label=False,
                    elem_id="question",
                    max_length=20000,
                )
                with gr.Row(elem_id="ask-row"):
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    clear = gr.ClearButton([chatbot, box], value="New chat")
                gr.Examples(EXAMPLES, inputs=box, label="Examples")
                takeaway_ui.add_conversation_export(chatbot, plan, version, memory)
            with gr.Column(scale=2, elem_id="side-col"):
                with gr.Row():
                    agency = gr.Dropdown([("Any agency", ""), *((a.label, a.name) for a in registry.agencies)],
                                         value="", label="Agency filter", elem_id="agency-filter")  # fmt: skip
                    section = gr.Dropdown(ui.section_choices(plan), value="", label="Section filter",
                                          elem_id="section-filter")  # fmt: skip
                sources = gr.HTML(ui.sources_html([], plan), elem_id="sources")
        with gr.Tab("Read the plan", elem_id="read-tab"):
            query = gr.Textbox(
                placeholder="Search the plan: words, an agency (GAC, 海关), a measure number (30)…",
                show_label=False,
                elem_id="plan-search",
            )
            view = gr.HTML(reading.reading_html(plan, search.search("")), elem_id="reading")
            query.change(
                lambda q: reading.reading_html(plan, search.search(q)),
                query,
                view,
                api_visibility="private",
                trigger_mode="always_last",
                show_progress="hidden",
            )
        takeaway_ui.add_who_does_what_tab(plan, registry, version)
        gr.Markdown(  # a callable value: the cache's state (writable, read-only, off) as of each page load
            lambda: ui.footer(backend, version, len(plan.measures), assistant.writer.notice()), elem_id="footer"
        )
        gr.HTML(ui.library_html(plan), elem_id="library")  # every card, for citations in any answer

        io = ([box, chatbot, agency, section, memory], [chatbot, sources, box, memory])
        send.click(respond, *io, api_visibility="private")
        box.submit(respond, *io, api_visibility="private")
        clear.click(lambda: (ui.sources_html([], plan), {}), None, [sources, memory], api_visibility="private")
        chatbot.like(on_like, [chatbot, memory], [reason_row, liked], api_visibility="private")
        send_reason.click(on_reason, [reason, liked], [reason, reason_row, liked], api_visibility="private")
        reason.submit(on_reason, [reason, liked], [reason, reason_row, liked], api_visibility="private")

        def show_filters(a: str, s: str):
            labels = ui.filter_labels({"agency": a, "section": s}, plan, registry)
            return ui.filter_chips(labels), gr.update(visible=bool(labels))

        for dropdown in (agency, section):
            dropdown.change(show_filters, [agency, section], [chips, clear_filters], api_visibility="private")
        clear_filters.click(lambda: ("", ""), None, [agency, section], api_visibility="private")
        gr.api(ask_api, api_name="ask")
    return demo


def serve(host: str | None = None, port: int | None = None, llm: str | None = None) -> int:
    """Start the chat (building the index on first use); exit 2 when it must not or cannot start."""
    settings = Settings.from_env(host=host, port=port, llm=llm)
    auth = parse_auth(settings.auth)
    if not is_loopback(settings.host) and not auth:
        typer.echo(
            f"error: refusing to listen on {settings.host} without authentication. "
            "Set APP_AUTH=user:password (or APP_AUTH=@file) or bind 127.0.0.1.",
            err=True,
        )
        return 2
    from assistant.cli import open_assistant

    if (assistant := open_assistant(settings)) is None:
        return 2
    demo = build_app(assistant)
    from assistant.sentences import gradio_queue

    demo.queue(**gradio_queue(settings))  # follows the model workers (IPPLAN_LLM_WORKERS)
    if settings.warm_on_start:
        assistant.start_warming()  # background; a miss meanwhile is written live
    print(f"Chat ready on http://{settings.host}:{settings.port} (backend {assistant.llm.name})", flush=True)
    import gradio as gr

    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        share=False,
        auth=auth or None,
        allowed_paths=[],
        show_error=False,
        theme=gr.themes.Soft(),
        css=ui.CSS,
        js=ui.JS,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python app.py [--host H] [--port P] [--llm provider/model]``: an alias of ``ipplan serve``."""
    from ipplan import main as ipplan_main

    return ipplan_main(["serve", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
