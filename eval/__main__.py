"""``python -m eval``: run the regression eval, compare runs, calibrate, benchmark, load-test."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.run import SETS, check_thresholds, compare, evaluate, evaluate_sets, write, write_sets


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="score the eval set, ours beside the tutorial baseline")
    run.add_argument("--questions", type=Path, help="one JSONL question file (default: dev, test and robustness)")
    run.add_argument("--split", choices=["dev", "test"], help="only this split of the question file")
    run.add_argument("--sets", default=",".join(SETS), help="sets to run when no --questions: dev,test,robustness")
    run.add_argument("--llm", help="backend provider/model (default IPPLAN_LLM or llamacpp/smollm2)")
    run.add_argument("--retrieval-only", action="store_true", help="no LLM: routing and citations only (seconds)")
    run.add_argument("--no-baseline", action="store_true", help="skip the tutorial baseline")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--out", type=Path, default=Path("out/eval"), help="where report.md, results.json, PNG go")
    run.add_argument("--check", action="store_true", help="exit 1 when a metric is below eval/thresholds.json")
    cmp_ = sub.add_parser("compare", help="questions that regressed/improved between two results.json")
    cmp_.add_argument("old", type=Path)
    cmp_.add_argument("new", type=Path)
    sub.add_parser("calibrate", help="fit the topic cut-off and description threshold on the dev split")
    split = sub.add_parser("split", help="(re)assign the stratified dev/test split of eval/questions.jsonl")
    split.add_argument("--seed", type=int, default=2012)
    gold = sub.add_parser("gold", help="compute gold answers from specs (eval/specs/*.jsonl) into an eval file")
    gold.add_argument("specs", type=Path, nargs="+")
    gold.add_argument("--out", type=Path, required=True)
    bench = sub.add_parser("bench", help="latency/memory benchmark, ours vs baseline")
    bench.add_argument("--out", type=Path, default=Path("out/bench"))
    bench.add_argument("--llm", help="backend provider/model")
    load = sub.add_parser("load", help="concurrent chats against a running app (gradio_client)")
    load.add_argument("--url", default="http://127.0.0.1:7860/")
    load.add_argument("--users", type=int, default=8)
    load.add_argument("--seconds", type=float, default=60.0)
    load.add_argument("--single-seconds", type=float, help="length of the one-user phase (default seconds/4)")
    load.add_argument("--spawn", action="store_true", help="start the app itself: cold (no cache), then warm")
    load.add_argument("--llm", help="backend for --spawn (default IPPLAN_LLM)")
    args = parser.parse_args(argv)

    if args.command == "run":
        kwargs = {"llm": args.llm, "retrieval_only": args.retrieval_only, "baseline": not args.no_baseline}
        if args.questions:
            result = evaluate(args.questions, split=args.split, **kwargs)
            write(result, args.out)
            results = {"run": result}
            print((args.out / "report.md").read_text().split("## Failing")[0])
        else:
            results = evaluate_sets(tuple(args.sets.split(",")), **kwargs)
            write_sets(results, args.out)
            print((args.out / "report.md").read_text())
        if args.json:
            print(json.dumps({k: r["ours"]["summary"] for k, r in results.items()}, indent=1))
        print(f"Wrote {args.out}/")
        failures = []
        for name, result in results.items():
            if name in ("test", "robustness", "run"):
                floors = None if name in ("test", "run") else f"robustness/{result['mode']}"
                failures += [f"{name}: {f}" for f in check_thresholds(result, floors_for=floors)]
        if args.check and failures:
            print("Below threshold:\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1
        return 0
    if args.command == "split":
        from eval.run import QUESTIONS
        from eval.split import write_split

        print(write_split(QUESTIONS, args.seed))
        return 0
    if args.command == "gold":
        from eval.gold import convert
        from index.build import load_plan
        from index.config import Settings

        plan, registry = load_plan(Settings.from_env())
        rows = convert(args.specs, plan, [a.name for a in registry.agencies])
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{len(rows)} questions -> {args.out}")
        return 0
    if args.command == "compare":
        diff = compare(json.loads(args.old.read_text()), json.loads(args.new.read_text()))
        for m, (a, b) in diff["metrics"].items():
            print(f"{m:24} {a} -> {b}")
        for kind in ("regressed", "improved"):
            print(f"\n{kind} ({len(diff[kind])}):")
            for e in diff[kind]:
                print(f"  {e['id']}: {e['question']}\n    expected {e['expected']}: {e['before']} -> {e['after']}")
        return 1 if diff["regressed"] else 0
    if args.command == "calibrate":
        from eval.calibrate import calibrate

        print(json.dumps(calibrate(), indent=1))
        return 0
    if args.command == "bench":
        from eval.bench import bench

        bench(args.out, args.llm)
        return 0
    if args.command == "load":
        from eval.load import load_test, spawn_test

        if args.spawn:
            return spawn_test(args.users, args.seconds, args.single_seconds, args.llm)
        return load_test(args.url, args.users, args.seconds, args.single_seconds)
    return 2


if __name__ == "__main__":
    sys.exit(main())
