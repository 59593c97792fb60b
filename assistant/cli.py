"""The assistant's commands (``ipplan ask | explain | doctor | brief | settings``): ask questions (one, or
a JSONL batch), say why a question was routed as it was, and check the installation.

The same commands answer to ``python -m assistant …`` (an alias kept for scripts)."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Annotated

import typer

from assistant import brief
from index.config import Settings

logger = logging.getLogger(__name__)
commands = typer.Typer(help="Ask questions about the plan, explain a route, check the installation.")
HISTORY_HELP = "JSON file with chat history [{role, content, citations?}]"
LLM_HELP = "backend provider/model (default IPPLAN_LLM or llamacpp/smollm2)"


def fail(message: str, code: int = 2) -> int:
    """Say what went wrong on stderr (the CLI's own voice, not a log line) and return the exit code."""
    typer.echo(f"error: {message}", err=True)
    return code


def _read_history(path: Path | None) -> list[dict]:
    if not path:
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list) or not all(isinstance(t, dict) and "role" in t and "content" in t for t in data):
        raise SystemExit(f"error: {path} must hold a JSON list of {{'role', 'content'}} objects")
    return data


def open_assistant(settings: Settings):
    """The assistant, or None after printing an actionable error (index or backend problem).

    The index is verified (and rebuilt when broken) and its vectors are read now, so a Chroma server
    that dies later costs nothing. One that is down or hung at start is a warning, not an error:
    agency, lookup and count questions are answered from the parsed plan, and topic questions say
    the server is unreachable until it is back (it is asked again every ``chroma_retry_s``)."""
    from assistant.answer import Assistant
    from assistant.llm import BackendError, load_llm
    from assistant.retrieve import Retriever
    from assistant.sentences import SentenceWriter, open_cache
    from assistant.vectors import Vectors
    from index.build import (
        IndexBuildError,
        IndexUnavailable,
        build,
        index_version,
        load_embeddings,
        load_plan,
        manifest_for,
    )

    down = ""
    try:
        try:
            result = build(settings, quiet=False)
            plan, registry = result.plan, result.registry
        except IndexUnavailable as exc:
            plan, registry = load_plan(settings)
            down = str(exc)
        llm = load_llm(settings.llm, settings)
    except (IndexBuildError, BackendError) as exc:
        fail(str(exc))
        return None
    manifest = manifest_for(settings, plan, registry)
    vectors = Vectors(settings, load_embeddings(settings.embed_model), manifest, down=down)
    retriever = Retriever(settings, plan, registry, vectors)
    try:
        _ = retriever.topics._vectors  # read once, now; scoring is numpy from here on
    except IndexUnavailable as exc:
        logger.warning(
            "%s Answering agency, lookup and count questions from the plan; topic questions say so until the "
            "server is back (asked again every %gs).",
            exc,
            settings.chroma_retry_s,
        )
    writer = SentenceWriter(open_cache(settings), index_version(manifest), idle_s=settings.warm_idle_s)
    return Assistant(retriever, llm, settings, writer)


@commands.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="the question")] = None,
    json_: Annotated[bool, typer.Option("--json", help="print one JSON object per answer")] = False,
    batch: Annotated[Path | None, typer.Option(help="JSONL of {id, question, history}; models load once")] = None,
    history: Annotated[Path | None, typer.Option(help=HISTORY_HELP)] = None,
    llm: Annotated[str | None, typer.Option(help=LLM_HELP)] = None,
) -> int:
    """Answer a question, or a JSONL batch (--json: one JSON object per answer, one per line)."""
    settings = Settings.from_env(llm=llm)
    if not question and not batch:
        return fail("give a question or --batch FILE.jsonl")
    if (assistant := open_assistant(settings)) is None:
        return 2
    if batch:
        with open(batch, encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    return fail(f"{batch}:{line_no}: not JSON ({exc.msg})")
                answer = _ask(assistant, str(row.get("question", "")), row.get("history") or [])
                answer.id = row.get("id")
                _print(answer, json_)
        return 0
    turns = _read_history(history)
    if json_:
        _print(_ask(assistant, question, turns), True)
        return 0
    from index.build import IndexUnavailable

    try:
        for event in assistant.stream(question, turns):  # a person sees it as it is written
            if event.kind == "delta":
                print(event.text, end="", flush=True)
            else:
                t = event.answer.timings
                typer.echo(f"\n\n[{event.answer.backend} · {t['total_s']:.2f}s]", err=True)
    except IndexUnavailable as exc:
        return fail(str(exc), 1)
    print()
    return 0


def _ask(assistant, question: str, history: list):
    """The answer, or one whose notice says the index is unavailable (Chroma down or hung)."""
    from assistant.vectors import unavailable_answer
    from index.build import IndexUnavailable

    try:
        return assistant.ask(question, history)
    except IndexUnavailable as exc:
        return unavailable_answer(question, str(exc), assistant.llm.name if assistant.llm else "none")


@commands.command()
def explain(
    question: Annotated[str, typer.Argument(help="the question")],
    history: Annotated[Path | None, typer.Option(help=HISTORY_HELP)] = None,
) -> int:
    """Why a question is routed as it is: the parse, the route, the scores behind the cut-off."""
    from dataclasses import asdict, is_dataclass

    from assistant.retrieve import Retriever

    settings = Settings.from_env()
    retriever = Retriever.open(settings)
    r = retriever.retrieve(question, _read_history(history))
    q = r.query
    print(f"question   {question}")
    print(f"intent     {q.intent}    route {r.route}    language {q.language}    history used {q.history_used}")
    print(f"asks for   {q.ask}" + (f" ({q.rank})" if q.rank else "") + (f", fact {q.fact}" if q.fact else ""))
    if q.edit:
        print(f"follow-up  {q.edit}")
    for c in q.constraints:
        print(f"constraint {c.describe()}    [{'include' if c.include else 'exclude'}]")
    for step in r.steps:
        print(f"step       {step}")
    for key in ("agencies", "measures", "out_of_range", "section", "role", "rank", "topic", "topic_terms"):
        value = getattr(q, key)
        if value:
            print(f"{key:<10} {[asdict(a) if is_dataclass(a) else a for a in value] if key == 'agencies' else value}")
    if q.corrections:
        print(f"spelling   {q.corrections}")
    if q.previous:
        print(f"previous   {q.previous}")
    for line in q.trace:
        print(f"trace      {line}")
    cal = retriever.calibration
    if r.scores:
        print(f"cut-off    alpha {cal.alpha}, floor {cal.floor}, dense floor {cal.dense_floor}, ratio {cal.ratio}")
        for s in r.scores:
            rel = cal.alpha * s["dense"] + (1 - cal.alpha) * s["bm25"]
            mark = "kept" if s["measure"] in r.numbers else "cut"
            clause = f"  clause {s['clause']}: “{s['clause_text']}”" if "clause" in s else ""
            row = f"  [{s['measure']:>2}] dense {s['dense']:.3f}  bm25 {s['bm25']:.3f}  relevance {rel:.3f}  {mark}"
            print(row + clause)
    if r.abstain:
        print(f"abstained  {r.abstain}" + (f" ({r.detail})" if r.detail else ""))
    print(f"answer set {r.numbers}" + (f"   count {r.count}" if r.count is not None else ""))
    return 0


def _print(answer, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
    else:
        print(answer.text + "\n", flush=True)


class Degraded(Exception):
    """A doctor check that found the app will work, but with less (a read-only cache, say)."""


def data_dir_state(path: Path) -> tuple[str, str]:
    """``(state, detail)`` of the data directory: writable, full, read-only, absent or unusable.

    A file is written, fsync'ed and removed to find out: a full or read-only disk often opens and
    reads fine, and root passes every permission check."""
    import errno
    import shutil
    import tempfile

    path = Path(path)
    if not path.exists():
        parent = next((p for p in path.parents if p.exists()), Path("/"))
        state, detail = data_dir_state(parent)
        if state == "writable":
            return "absent", f"{path} does not exist yet; it will be created ({detail})"
        return state, f"{path} does not exist and cannot be created: {parent} is {state} ({detail})"
    if not path.is_dir():
        return "unusable", f"{path} is not a directory"
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-") as probe:
            probe.write(b"x" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "full", f"{path}: no space left"
        if exc.errno == errno.EROFS:
            return "read-only", f"{path}: read-only file system"
        return "read-only", f"{path}: {exc.strerror}"
    free = shutil.disk_usage(path).free
    return "writable", f"{path}, {free / 1e6:,.0f} MB free"


@commands.command()
def doctor(llm: Annotated[str | None, typer.Option(help="backend to check")] = None) -> int:
    """Check index, models and backend; exit 1 when something is broken (WARN: works, with less)."""
    import importlib.metadata as md

    settings = Settings.from_env(llm=llm)
    checks: list[tuple[str, str, str]] = []

    def check(name, fn):
        t0 = time.perf_counter()
        try:
            detail = fn()
            checks.append((name, "ok  ", f"{detail} ({time.perf_counter() - t0:.2f}s)"))
        except Degraded as exc:
            checks.append((name, "WARN", str(exc)))
        except Exception as exc:  # doctor reports every failure instead of stopping at the first
            checks.append((name, "FAIL", f"{type(exc).__name__}: {exc}"))

    def versions():
        pkgs = ["chromadb", "langchain-core", "sentence-transformers", "gradio", "llama_cpp_python", "torch"]
        return ", ".join(f"{p} {md.version(p)}" for p in pkgs)

    def source():
        from index.build import load_plan

        plan, registry = load_plan(settings)
        return f"{len(plan.measures)} measures, {len(plan.sections)} sections, {len(registry)} agencies"

    def embed():
        from index.build import embedding_path

        return embedding_path(settings.embed_model)

    def index():
        from index.build import build, index_version, info

        build(settings, quiet=True)
        got = info(settings)
        return f"{got['location']}: {got['documents']} documents, version {index_version(got)}"

    def backend():
        from assistant.llm import load_llm

        llm = load_llm(settings.llm, settings)
        reply = llm.generate([{"role": "user", "content": "Say OK."}], max_tokens=4)
        return f"{llm.name} answered {reply.strip()[:20]!r}"

    def sentence_cache():
        from assistant.sentences import cache_status, status_line

        status = cache_status(settings)
        if status.get("state", "ok") != "ok":
            raise Degraded(status_line(status))
        return status_line(status)

    def data_dir():
        state, detail = data_dir_state(settings.data_dir)
        if state in ("writable", "absent"):
            return f"{state}: {detail}"
        raise Degraded(
            f"{state}: {detail}. The chat still answers; sentences are written live and not cached, "
            "feedback is not recorded."
        )

    def chroma():
        from index.build import open_client

        timeouts = f"timeouts {settings.chroma_connect_timeout_s:g}s connect, {settings.chroma_timeout_s:g}s read"
        if not settings.chroma_host:
            return f"embedded store at {settings.index_path} (no server; set CHROMA_HOST for one)"
        t = time.perf_counter()
        open_client(settings, quiet=True).heartbeat()
        where = f"{settings.chroma_host}:{settings.chroma_port}"
        return f"server at {where} reachable ({(time.perf_counter() - t) * 1000:.0f} ms), {timeouts}"

    def feedback_log():
        from assistant import feedback

        log = feedback.load(settings.feedback_path)
        torn = f", {len(log.torn)} torn line(s) skipped (lines {log.torn[:5]})" if log.torn else ""
        return f"{len(log.records)} records in {settings.feedback_path}{torn}"

    check("versions", versions)
    check("data directory", data_dir)
    check("plan source", source)
    check("embedding model", embed)
    check("chroma", chroma)
    check("index", index)
    check("llm backend", backend)
    check("sentence cache", sentence_cache)
    check("feedback log", feedback_log)
    width = max(len(n) for n, _, _ in checks)
    for name, mark, detail in checks:
        print(f"{mark} {name:<{width}}  {detail}")
    print("\nSettings (value, origin):")
    for name, value, origin in settings.effective():
        print(f"     {name:<{width}}  {value}  ({origin})")
    return 0 if all(mark != "FAIL" for _, mark, _ in checks) else 1


@commands.command("settings")
def show_settings(
    json_: Annotated[bool, typer.Option("--json", help="one JSON object: field -> {value, origin}")] = False,
) -> int:
    """The effective settings and where each came from (flag, environment variable or default)."""
    rows = Settings.from_env().effective()
    if json_:
        print(json.dumps({name: {"value": value, "origin": origin} for name, value, origin in rows}))
        return 0
    width = max(len(name) for name, _, _ in rows)
    for name, value, origin in rows:
        print(f"{name:<{width}}  {value}  ({origin})")
    return 0


commands.command("brief")(brief.cli)  # ipplan brief AGENCY [--format md|docx|csv|json] [--out FILE]


def main(argv: list[str] | None = None) -> int:
    """``python -m assistant …``: an alias of ``ipplan …`` (ask, explain, doctor, brief, settings)."""
    from ipplan import main as ipplan_main

    return ipplan_main(argv)
