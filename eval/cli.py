"""The eval commands (``ipplan eval run | compare | calibrate | split | gold | bench | load``): score the
eval sets beside the tutorial baseline, compare runs, fit the cut-off, benchmark, load-test.

The same commands answer to ``python -m eval …`` (an alias kept for scripts). Reports are written to
files; ``--json`` prints exactly one JSON document on stdout and nothing else."""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

logger = logging.getLogger(__name__)
commands = typer.Typer(help="Score the eval sets, compare runs, calibrate, split, gold, benchmark, load-test.")
Llm = Annotated[str | None, typer.Option(help="backend provider/model (default IPPLAN_LLM or llamacpp/smollm2)")]


class SplitName(StrEnum):
    DEV = "dev"
    TEST = "test"


@commands.command()
def run(
    questions: Annotated[
        Path | None, typer.Option(help="one JSONL question file (default: dev, test and robustness)")
    ] = None,
    split: Annotated[SplitName | None, typer.Option(help="only this split of the question file")] = None,
    sets: Annotated[str | None, typer.Option(help="sets to run when no --questions: dev,test,robustness,…")] = None,
    llm: Llm = None,
    retrieval_only: Annotated[bool, typer.Option(help="no LLM: routing and citations only (seconds)")] = False,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="skip the tutorial baseline")] = False,
    json_: Annotated[bool, typer.Option("--json", help="print the summaries as one JSON document")] = False,
    out: Annotated[Path, typer.Option(help="where report.md, results.json and the PNG go")] = Path("out/eval"),
    check: Annotated[bool, typer.Option(help="exit 1 when a metric is below eval/thresholds.json")] = False,
) -> int:
    """Score the eval set, ours beside the tutorial baseline; the report goes to --out."""
    from eval.run import SETS, check_thresholds, evaluate, evaluate_sets, write, write_sets

    kwargs = {"llm": llm, "retrieval_only": retrieval_only, "baseline": not no_baseline}
    if questions:
        results = {"run": evaluate(questions, split=str(split) if split else None, **kwargs)}
        write(results["run"], out)
        report = (out / "report.md").read_text().split("## Failing")[0]
    else:
        results = evaluate_sets(tuple((sets or ",".join(SETS)).split(",")), **kwargs)
        write_sets(results, out)
        report = (out / "report.md").read_text()
    if json_:
        print(json.dumps({k: r["ours"]["summary"] for k, r in results.items()}, indent=1))
    else:
        print(report)
    logger.info("Wrote %s/", out)
    failures = []
    for name, result in results.items():
        if name in ("test", "robustness", "run"):
            floors = None if name in ("test", "run") else f"robustness/{result['mode']}"
            failures += [f"{name}: {f}" for f in check_thresholds(result, floors_for=floors)]
    if failures:
        logger.log(logging.ERROR if check else logging.WARNING, "Below threshold:\n  %s", "\n  ".join(failures))
    return 1 if check and failures else 0


@commands.command()
def compare(
    old: Annotated[Path, typer.Argument(help="the earlier results.json")],
    new: Annotated[Path, typer.Argument(help="the later results.json")],
    json_: Annotated[bool, typer.Option("--json", help="print the difference as one JSON document")] = False,
) -> int:
    """Questions that regressed or improved between two results.json (exit 1 on a regression)."""
    from eval.run import compare as diff_runs

    diff = diff_runs(json.loads(old.read_text()), json.loads(new.read_text()))
    if json_:
        print(json.dumps(diff, ensure_ascii=False))
        return 1 if diff["regressed"] else 0
    for m, (a, b) in diff["metrics"].items():
        print(f"{m:24} {a} -> {b}")
    for kind in ("regressed", "improved"):
        print(f"\n{kind} ({len(diff[kind])}):")
        for e in diff[kind]:
            print(f"  {e['id']}: {e['question']}\n    expected {e['expected']}: {e['before']} -> {e['after']}")
    return 1 if diff["regressed"] else 0


@commands.command()
def calibrate() -> int:
    """Fit the topic cut-off and description threshold on the dev split (prints one JSON document)."""
    from eval.calibrate import calibrate as fit

    print(json.dumps(fit(), indent=1))
    return 0


@commands.command()
def split(seed: Annotated[int, typer.Option(help="shuffle seed")] = 2012) -> int:
    """(Re)assign the stratified dev/test split of eval/questions.jsonl (committed assignments are kept)."""
    from eval.run import QUESTIONS
    from eval.split import write_split

    print(json.dumps(write_split(QUESTIONS, seed)))
    return 0


@commands.command()
def gold(
    specs: Annotated[list[Path], typer.Argument(help="spec files (eval/specs/*.jsonl)")],
    out: Annotated[Path, typer.Option(help="the eval file to write")],
) -> int:
    """Compute gold answers from specs into an eval file."""
    from eval.gold import convert
    from index.build import load_plan
    from index.config import Settings

    plan, registry = load_plan(Settings.from_env())
    rows = convert(specs, plan, [a.name for a in registry.agencies])
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} questions -> {out}")
    return 0


@commands.command()
def bench(out: Annotated[Path, typer.Option(help="where the report goes")] = Path("out/bench"), llm: Llm = None) -> int:
    """Latency and memory benchmark, ours beside the baseline."""
    from eval.bench import bench as run_bench

    run_bench(out, llm)
    return 0


@commands.command()
def load(
    url: Annotated[str, typer.Option(help="the running app")] = "http://127.0.0.1:7860/",
    users: Annotated[int, typer.Option(help="concurrent users")] = 8,
    seconds: Annotated[float, typer.Option(help="length of the many-user phase")] = 60.0,
    single_seconds: Annotated[
        float | None, typer.Option(help="length of the one-user phase (default seconds/4)")
    ] = None,
    spawn: Annotated[bool, typer.Option(help="start the app itself: cold (no cache), then warm")] = False,
    llm: Annotated[str | None, typer.Option(help="backend for --spawn (default IPPLAN_LLM)")] = None,
) -> int:
    """Concurrent chats against a running app (gradio_client)."""
    from eval.load import load_test, spawn_test

    if spawn:
        return spawn_test(users, seconds, single_seconds, llm)
    return load_test(url, users, seconds, single_seconds)
