"""``python -m index``: parse the plan, build the Chroma index, show what is indexed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from index import matrix
from index.build import IndexBuildError, build, info, load_plan
from index.config import Settings


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--source", type=Path, help="plan file (default: the 2012 plan, or IPPLAN_SOURCE)")
    common.add_argument("--index-dir", type=Path, help="Chroma directory (default: IPPLAN_INDEX_DIR or cache)")
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_parse = sub.add_parser("parse", parents=[common], help="print the parsed measures")
    p_parse.add_argument("--json", action="store_true", help="JSON array, one object per measure")
    p_build = sub.add_parser("build", parents=[common], help="build the index (a no-op when up to date)")
    p_build.add_argument("--rebuild", action="store_true", help="rebuild even when up to date")
    p_build.add_argument("--quiet", action="store_true", help="no progress output")
    p_build.add_argument("--json", action="store_true", help="print the result as JSON")
    sub.add_parser("info", parents=[common], help="print what is indexed (JSON)")
    p_warm = sub.add_parser("warm", parents=[common], help="write the cached model sentences now (a deploy step)")
    p_warm.add_argument("--llm", help="backend provider/model (default IPPLAN_LLM or llamacpp/smollm2)")
    matrix.add_parser(sub, parents=[common])
    args = parser.parse_args(argv)
    settings = Settings.from_env(source=args.source, index_dir=args.index_dir)
    try:
        if args.command == "parse":
            plan, _ = load_plan(settings)
            if args.json:
                json.dump([m.to_json() for m in plan.measures], sys.stdout, ensure_ascii=False, indent=1)
                print()
            else:
                for m in plan.measures:
                    print(f"[{m.number}] ({m.section}) {m.text}\n    -> {m.responsibility}")
        elif args.command == "build":
            result = build(settings, rebuild=args.rebuild, quiet=args.quiet)
            if args.json:
                keys = ("built", "reason", "documents", "seconds")
                print(json.dumps({k: getattr(result, k) for k in keys}))
                return 0
            state = "built" if result.built else "up to date (no-op)"
            print(f"Index {state}: {result.documents} documents, {result.seconds:.2f}s ({result.reason}).")
        elif args.command == "info":
            from assistant.sentences import cache_status, status_line

            status = cache_status(settings)
            print(json.dumps({**info(settings), "sentence_cache": status}, indent=1, ensure_ascii=False))
            print("Sentence cache: " + status_line(status), file=sys.stderr)
        elif args.command == "warm":
            from assistant.sentences import warm_cli

            return warm_cli(Settings.from_env(source=args.source, index_dir=args.index_dir, llm=args.llm))
        elif args.command == "matrix":
            return matrix.cli(args, *load_plan(settings))
    except IndexBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
