"""``python -m eval``: run the regression eval, compare runs, calibrate, benchmark, load-test."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.run import QUESTIONS, check_thresholds, compare, evaluate, write


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="score the eval set, ours beside the tutorial baseline")
    run.add_argument("--questions", type=Path, default=QUESTIONS, help="JSONL question file")
    run.add_argument("--llm", help="backend provider/model (default IPPLAN_LLM or llamacpp/smollm2)")
    run.add_argument("--retrieval-only", action="store_true", help="no LLM: routing and citations only (seconds)")
    run.add_argument("--no-baseline", action="store_true", help="skip the tutorial baseline")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--out", type=Path, default=Path("out/eval"), help="where report.md, results.json, PNG go")
    run.add_argument("--check", action="store_true", help="exit 1 when a metric is below eval/thresholds.json")
    cmp_ = sub.add_parser("compare", help="questions that regressed/improved between two results.json")
    cmp_.add_argument("old", type=Path)
    cmp_.add_argument("new", type=Path)
    sub.add_parser("calibrate", help="fit the topic cut-off on the eval set")
    bench = sub.add_parser("bench", help="latency/memory benchmark, ours vs baseline")
    bench.add_argument("--out", type=Path, default=Path("out/bench"))
    bench.add_argument("--llm", help="backend provider/model")
    load = sub.add_parser("load", help="concurrent chats against a running app (gradio_client)")
    load.add_argument("--url", default="http://127.0.0.1:7860/")
    load.add_argument("--users", type=int, default=8)
    load.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)

    if args.command == "run":
        result = evaluate(args.questions, args.llm, args.retrieval_only, baseline=not args.no_baseline)
        write(result, args.out)
        summary = {"ours": result["ours"]["summary"], "baseline": result.get("baseline", {}).get("summary")}
        if args.json:
            print(json.dumps(summary, indent=1))
        else:
            print((args.out / "report.md").read_text().split("## Failing")[0])
            print(f"Wrote {args.out}/report.md, results.json, strict_accuracy.png")
        if args.check and (failures := check_thresholds(result)):
            print("Below threshold:\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1
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
        from eval.load import load_test

        return load_test(args.url, args.users, args.seconds)
    return 2


if __name__ == "__main__":
    sys.exit(main())
