"""The Gradio chat staff use: streamed, cited answers beside a sources panel; filters, a browse
view, feedback. ``python app.py [--host H] [--port P] [--llm provider/model]``."""

import ipaddress
import logging
import sys
from pathlib import Path

import typer

from assistant import feedback, takeaway_ui, ui, validate
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

    def respond(message: str, chat: list, agency: str, section: str, memory: dict | None = None):
        chat = list(chat or [])
        memory = dict(memory or {})
        history = ui.history_for_retriever(chat, memory)
        chat.append({"role": "user", "content": message})
        chat.append({"role": "assistant", "content": ""})
        filters = {"agency": agency or None, "section": section or None}
        text = ""
        try:
            for event in assistant.stream(message, history, filters):
                if event.kind == "delta":
                    text += event.text
                    chat[-1]["content"] = ui.link_citations(text)
                    yield chat, gr.update(), "", memory
                else:
                    answer = event.answer
                    numbers = [c.measure for c in answer.citations]
                    chat[-1]["content"] = ui.link_citations(answer.text, set(numbers))
                    # the conversation state follow-ups edit: what this answer cited and the query it answered
                    memory[len(chat) - 1] = {"citations": numbers, "query": answer.query}
                    yield chat, ui.sources_html(numbers, plan), "", memory
        except IndexUnavailable as exc:  # Chroma is down or hung: say so, as the start-up check does
            chat[-1]["content"] = unavailable_answer(message, str(exc), backend).text
            yield chat, gr.update(), "", memory
        except Exception:  # never a stack trace in the page
            logger.exception("answering %r failed", message[:200])
            chat[-1]["content"] = (text + "\n\n" if text else "") + (
                "*Something went wrong while answering. Please try again; the error was logged.*"
            )
            yield chat, gr.update(), "", memory

    def on_like(chat: list, data: gr.LikeData):
        idx = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        content = ui.message_text(chat[idx]["content"]) if 0 <= idx < len(chat) else ""
        question = next((ui.message_text(t["content"]) for t in reversed(chat[:idx]) if t.get("role") == "user"), "")
        record = {
            "rating": "up" if data.liked else "down",
            "question": question,
            "answer": content,
            "citations": ui.cited_numbers(content),
            "backend": backend,
            "index_version": version,
        }
        try:
            feedback.append(log_path, record)
        except feedback.NotRecorded as exc:  # whole or not at all: nothing half-written is left
            logger.warning("%s", exc)
            gr.Warning(f"Sorry, your feedback was not recorded: {exc.reason}.")
            return
        gr.Info("Thanks, your feedback was recorded.")

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

    agencies = [a.name for a in registry.agencies]
    sections = [s.numeral for s in plan.sections]
    year, plan_title = plan.header.year, plan.header.plan_title  # from the parsed plan, never hard-coded
    with gr.Blocks(title=f"IP Strategy Plan {year} assistant") as demo:
        gr.Markdown(
            f"## IP Strategy Promotion Plan {year} — assistant\n"
            f"Ask about the *{plan_title}*. Every answer "
            "quotes the plan verbatim and cites measure numbers — click or hover a citation to see its source."
        )
        with gr.Tab("Chat"), gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    height=560,
                    buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                    elem_id="chat",
                    label="Chat",
                    sanitize_html=True,
                )
                box = gr.Textbox(
                    placeholder="Ask about the plan, e.g. What must Customs do?",
                    show_label=False,
                    elem_id="question",
                    max_length=20000,
                )
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    clear = gr.ClearButton([chatbot, box], value="New chat")
                gr.Examples(EXAMPLES, inputs=box, label="Examples")
                takeaway_ui.add_conversation_export(chatbot, plan, version)
            with gr.Column(scale=2):
                with gr.Row():
                    agency = gr.Dropdown([""] + agencies, value="", label="Agency filter")
                    section = gr.Dropdown([""] + sections, value="", label="Section filter")
                sources = gr.HTML(ui.sources_html([], plan), elem_id="sources")
        with gr.Tab("Browse the plan"):
            search = gr.Textbox(placeholder="Search measures (text, agency, section)", show_label=False)
            table = gr.Dataframe(
                value=ui.browse_rows(plan),
                headers=["#", "Section", "Lead agency", "Co-responsible", "Measure"],
                wrap=True,
                interactive=False,
            )
            search.change(lambda q: ui.browse_rows(plan, q), search, table, api_visibility="private")
        takeaway_ui.add_who_does_what_tab(plan, registry, version)
        gr.Markdown(  # a callable value: the cache's state (writable, read-only, off) as of each page load
            lambda: ui.footer(backend, version, len(plan.measures), assistant.writer.notice()), elem_id="footer"
        )

        memory = gr.State({})  # assistant message position -> {"citations", "query"}
        io = ([box, chatbot, agency, section, memory], [chatbot, sources, box, memory])
        send.click(respond, *io, api_visibility="private")
        box.submit(respond, *io, api_visibility="private")
        clear.click(lambda: (ui.sources_html([], plan), {}), None, [sources, memory], api_visibility="private")
        chatbot.like(on_like, chatbot, None, api_visibility="private")
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
