"""The index commands (``ipplan index parse | build | info | warm | matrix``): parse the plan, build
the Chroma index, show what is indexed, write the sentence cache, the responsibility matrix.

The same commands answer to ``python -m index …`` (an alias kept for scripts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from index.config import Settings

commands = typer.Typer(help="Parse the plan, build the index, show it, warm the sentence cache, the matrix.")

Source = Annotated[Path | None, typer.Option(help="plan file (default: the 2012 plan, or IPPLAN_SOURCE)")]
IndexDir = Annotated[Path | None, typer.Option(help="Chroma directory (default: IPPLAN_INDEX_DIR or cache)")]
Json = Annotated[bool, typer.Option("--json", help="print the result as one JSON document")]


def _fail(exc: Exception) -> int:
    typer.echo(f"error: {exc}", err=True)
    return 2


@commands.command()
def parse(source: Source = None, index_dir: IndexDir = None, json_: Json = False) -> int:
    """Print the parsed measures (``--json``: one array, one object per measure)."""
    from index.build import IndexBuildError, load_plan

    try:
        plan, _ = load_plan(Settings.from_env(source=source, index_dir=index_dir))
    except IndexBuildError as exc:
        return _fail(exc)
    if json_:
        print(json.dumps([m.to_json() for m in plan.measures], ensure_ascii=False, indent=1))
    else:
        for m in plan.measures:
            print(f"[{m.number}] ({m.section}) {m.text}\n    -> {m.responsibility}")
    return 0


@commands.command()
def build(
    source: Source = None,
    index_dir: IndexDir = None,
    rebuild: Annotated[bool, typer.Option(help="rebuild even when up to date")] = False,
    quiet: Annotated[bool, typer.Option(help="no progress output")] = False,
    json_: Json = False,
) -> int:
    """Build the index (a no-op when it is up to date)."""
    from index.build import IndexBuildError
    from index.build import build as build_index

    try:
        result = build_index(Settings.from_env(source=source, index_dir=index_dir), rebuild=rebuild, quiet=quiet)
    except IndexBuildError as exc:
        return _fail(exc)
    if json_:
        print(json.dumps({k: getattr(result, k) for k in ("built", "reason", "documents", "seconds")}))
        return 0
    state = "built" if result.built else "up to date (no-op)"
    print(f"Index {state}: {result.documents} documents, {result.seconds:.2f}s ({result.reason}).")
    return 0


@commands.command()
def info(source: Source = None, index_dir: IndexDir = None) -> int:
    """Print what is indexed, with the manifest, index version and sentence-cache warmth (one JSON document)."""
    from assistant.sentences import cache_status, status_line
    from index.build import IndexBuildError
    from index.build import info as index_info

    settings = Settings.from_env(source=source, index_dir=index_dir)
    try:
        status = cache_status(settings)
        print(json.dumps({**index_info(settings), "sentence_cache": status}, indent=1, ensure_ascii=False))
    except IndexBuildError as exc:
        return _fail(exc)
    typer.echo("Sentence cache: " + status_line(status), err=True)
    return 0


@commands.command()
def warm(
    source: Source = None,
    index_dir: IndexDir = None,
    llm: Annotated[str | None, typer.Option(help="backend provider/model (default IPPLAN_LLM)")] = None,
) -> int:
    """Write every cached model sentence now (a deploy step)."""
    from assistant.sentences import warm_cli
    from index.build import IndexBuildError

    try:
        return warm_cli(Settings.from_env(source=source, index_dir=index_dir, llm=llm))
    except IndexBuildError as exc:
        return _fail(exc)


@commands.command()
def matrix(
    source: Source = None,
    index_dir: IndexDir = None,
    csv: Annotated[Path | None, typer.Option(help="write the matrix as CSV")] = None,
    pairs_csv: Annotated[Path | None, typer.Option(help="write the co-responsibility pairs as CSV")] = None,
    png: Annotated[Path | None, typer.Option(help="write the heatmap as PNG")] = None,
    size: Annotated[str, typer.Option(help="PNG size in pixels, WIDTHxHEIGHT")] = "1400x1000",
) -> int:
    """Agencies x sections lead/co counts, the top co-responsible pairs, a heatmap."""
    from index.build import IndexBuildError, load_plan
    from index.export import ExportError
    from index.matrix import write_outputs

    try:
        plan, registry = load_plan(Settings.from_env(source=source, index_dir=index_dir))
        text = write_outputs(plan, registry, csv=csv, pairs_path=pairs_csv, png=png, size=size)
    except (IndexBuildError, ExportError) as exc:
        return _fail(exc)
    print(text, end="")
    return 0
