"""Run the eval set through our assistant and the tutorial baseline, side by side; write
``results.json``, ``report.md`` and a per-category bar chart; compare two runs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from eval.metrics import Row, aggregate, by_category, score
from index.config import REPO_ROOT, Settings
from index.parse import depaginate, normalise_ws

QUESTIONS = REPO_ROOT / "eval" / "questions.jsonl"
ROBUSTNESS = REPO_ROOT / "eval" / "robustness.jsonl"  # dev data since issue 14: its failures were read
DEV14 = REPO_ROOT / "eval" / "dev14.jsonl"  # the issue 14/15 class examples: dev data
DEV14B = REPO_ROOT / "eval" / "dev14b.jsonl"  # more questions in the issue 14 classes, written blind: dev data
DEVZH = REPO_ROOT / "eval" / "devzh.jsonl"  # Chinese questions, written blind (50): dev data
DEV14C = REPO_ROOT / "eval" / "dev14c.jsonl"  # compositions and the weak classes, written blind (180): dev data
DEV14D = REPO_ROOT / "eval" / "dev14d.jsonl"  # other years, lookups, header facts and topics, written blind (95): dev
# sections, roles, today's names, other years, numbers and topics, written blind (188): dev
DEV14E = REPO_ROOT / "eval" / "dev14e.jsonl"
BLIND14 = REPO_ROOT / "eval" / "blind14.jsonl"  # compositions, written blind (issue 14): read per class only
BLIND15 = REPO_ROOT / "eval" / "blind15.jsonl"  # everyday topics, written blind (issue 15): dev/test
THRESHOLDS = REPO_ROOT / "eval" / "thresholds.json"
# The sets a full run reports, each with the file and split it reads. Floors apply to test and robustness.
SETS = {
    "dev": (QUESTIONS, "dev"),
    "test": (QUESTIONS, "test"),
    "robustness": (ROBUSTNESS, None),
    "dev14": (DEV14, None),
    "dev14b": (DEV14B, None),
    "blind14": (BLIND14, None),
    "topics-dev": (BLIND15, "dev"),
    "topics-test": (BLIND15, "test"),
    "devzh": (DEVZH, None),
    "dev14c": (DEV14C, None),
    "dev14d": (DEV14D, None),
    "dev14e": (DEV14E, None),
}


def load_questions(path: Path = QUESTIONS, split: str | None = None) -> list[dict]:
    """Read a JSONL question file (only the rows of ``split`` when given), with line numbers in errors."""
    rows = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"error: {path}:{i}: {exc.msg}") from exc
    return [r for r in rows if split is None or r.get("split") == split]


def run_ours(
    questions: list[dict], settings: Settings, llm: str | None, retrieval_only: bool, progress: bool = True
) -> list[Row]:
    """Answer every question with our assistant and score it."""
    from tqdm import tqdm

    from assistant.answer import Assistant

    assistant = Assistant.open(settings, llm="fake/none" if retrieval_only else llm)
    if retrieval_only:
        assistant.llm = None  # extractive sentences only: measures retrieval and routing
    plan_text = depaginate(settings.source.read_text(encoding="utf-8"))
    rows = []
    for q in tqdm(questions, desc="ours", disable=not progress, file=sys.stderr):
        a = assistant.ask(q["question"], q.get("history") or [])
        row = score(
            q,
            [c.measure for c in a.citations if not c.pointer],  # pointers elsewhere are not the answer
            a.abstained,
            a.text,
            [c.quote for c in a.citations],
            plan_text,
            a.timings["total_s"],
            a.route,
        )
        row.model_sentences = sum(c.source == "model" for c in a.citations)
        rows.append(row)
    return rows


def run_baseline(questions: list[dict], settings: Settings, progress: bool = True) -> list[Row]:
    """Answer every question with the tutorial pipeline and score it."""
    from tqdm import tqdm

    from eval.baseline import TutorialRAG

    rag = TutorialRAG(settings)
    raw = normalise_ws(settings.source.read_text(encoding="utf-8"))
    rows = []
    for q in tqdm(questions, desc="baseline", disable=not progress, file=sys.stderr):
        b = rag.ask(q["question"])
        rows.append(score(q, b.cited, False, b.text, [normalise_ws(c) for c in b.chunks], raw, b.seconds))
    return rows


def evaluate(
    questions_path: Path = QUESTIONS,
    llm: str | None = None,
    retrieval_only: bool = False,
    baseline: bool = True,
    settings: Settings | None = None,
    progress: bool = True,
    split: str | None = None,
) -> dict:
    """The whole run as one JSON-able dict: summary, per category, per-question rows."""
    settings = settings or Settings.from_env()
    questions = load_questions(questions_path, split)
    t0 = time.perf_counter()
    ours = run_ours(questions, settings, llm, retrieval_only, progress)
    result = {
        "mode": "retrieval-only" if retrieval_only else "full",
        "llm": None if retrieval_only else (llm or settings.llm),
        "questions_file": str(questions_path) + (f" ({split} split)" if split else ""),
        "ours": {"summary": aggregate(ours), "categories": by_category(ours), "rows": [r.__dict__ for r in ours]},
        "seconds": None,
    }
    if baseline:
        base = run_baseline(questions, settings, progress)
        result["baseline"] = {
            "summary": aggregate(base),
            "categories": by_category(base),
            "rows": [r.__dict__ for r in base],
        }
    result["seconds"] = round(time.perf_counter() - t0, 1)
    return result


def evaluate_sets(names=tuple(SETS), **kwargs) -> dict[str, dict]:
    """``evaluate`` on each named set (dev, test, robustness): the eval report shows them side by side."""
    return {name: evaluate(SETS[name][0], split=SETS[name][1], **kwargs) for name in names}


def load_floors(name: str, path: Path = THRESHOLDS) -> dict[str, float]:
    """metric -> floor for one block of ``thresholds.json``.

    Reads ``{"strict_accuracy": {"floor": 0.94, "measured": 0.96}}`` and the older flat
    ``{"strict_accuracy": 0.96}``; keys starting with ``_`` (question counts) are not metrics."""
    block = json.loads(Path(path).read_text())[name]
    return {m: v["floor"] if isinstance(v, dict) else v for m, v in block.items() if not m.startswith("_")}


def check_thresholds(result: dict, path: Path = THRESHOLDS, floors_for: str | None = None) -> list[str]:
    """Metrics below their floor for this mode (or the named set's floors): empty means the run passes.

    A metric missing from the summary (None) is reported as a failure, never compared."""
    summary = result["ours"]["summary"]
    failures = []
    for metric, floor in load_floors(floors_for or result["mode"], path).items():
        value = summary.get(metric)
        if value is None:
            failures.append(f"{metric} missing (floor {floor})")
        elif value > floor if metric.endswith(("_rate", "_s")) else value < floor:
            failures.append(f"{metric} = {value} (floor {floor})")
    return failures


METRICS = [
    "strict_accuracy",
    "citation_recall",
    "citation_precision",
    "f1",
    "abstention_accuracy",
    "false_abstention_rate",
    "quote_faithfulness",
    "model_sentence_share",
    "latency_p50_s",
    "latency_p95_s",
]


def _fmt(v) -> str:
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def report_markdown(result: dict) -> str:
    """A readable report: overall, per category, failing questions."""
    ours, base = result["ours"], result.get("baseline")
    lines = [
        f"# Eval report ({result['mode']}, llm: {result['llm']})",
        "",
        f"{ours['summary']['questions']} questions from `{result['questions_file']}`; run took {result['seconds']} s.",
        "",
        "## Overall",
        "",
        "| metric | ours | tutorial baseline |",
        "| --- | --- | --- |",
    ]
    for m in METRICS:
        lines.append(f"| {m} | {_fmt(ours['summary'][m])} | {_fmt(base['summary'][m]) if base else '–'} |")
    lines += [
        "",
        "## Strict accuracy by category",
        "",
        "| category | n | ours | baseline |",
        "| --- | --- | --- | --- |",
    ]
    for cat, agg in ours["categories"].items():
        b = base["categories"][cat]["strict_accuracy"] if base else None
        lines.append(f"| {cat} | {agg['questions']} | {_fmt(agg['strict_accuracy'])} | {_fmt(b)} |")
    failing = [r for r in ours["rows"] if not r["strict"]]
    lines += [
        "",
        f"## Failing questions ({len(failing)})",
        "",
        "| id | question | expected | cited | abstained | missing phrases |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in failing:
        exp = "abstain" if r["expect_abstain"] else r["expected"]
        q = r["question"].replace("|", "\\|")[:90]
        lines.append(
            f"| {r['id']} | {q} | {exp} | {r['cited']} | {r['abstained']} | {', '.join(r['missing_phrases'])} |"
        )
    return "\n".join(lines) + "\n"


def chart(result: dict, path: Path) -> None:
    """Bar chart of strict accuracy per category, ours vs baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cats = list(result["ours"]["categories"])
    ours = [result["ours"]["categories"][c]["strict_accuracy"] for c in cats]
    fig, ax = plt.subplots(figsize=(11, 4.5))
    x = range(len(cats))
    ax.bar([i - 0.2 for i in x], ours, width=0.4, label="ours", color="#2b6cb0")
    if "baseline" in result:
        base = [result["baseline"]["categories"][c]["strict_accuracy"] for c in cats]
        ax.bar([i + 0.2 for i in x], base, width=0.4, label="tutorial baseline", color="#a0aec0")
    ax.set_xticks(list(x), cats, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("strict accuracy")
    ax.set_title(f"Strict accuracy by category ({result['mode']})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sets_markdown(results: dict[str, dict]) -> str:
    """Per-class strict accuracy for each set, ours beside the tutorial baseline."""
    lines = [
        "# Eval by set and class",
        "",
        "| set | n | strict | recall | precision | false abstention | baseline strict |",
    ]
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        s, b = r["ours"]["summary"], r.get("baseline", {}).get("summary", {})
        lines.append(
            f"| **{name}** | {s['questions']} | {_fmt(s['strict_accuracy'])} | {_fmt(s['citation_recall'])} | "
            f"{_fmt(s['citation_precision'])} | {_fmt(s['false_abstention_rate'])} | {_fmt(b.get('strict_accuracy'))} |"
        )
    lines += ["", "| set | class | n | ours | baseline |", "| --- | --- | --- | --- | --- |"]
    for name, r in results.items():
        base = r.get("baseline", {}).get("categories", {})
        for cat, agg in r["ours"]["categories"].items():
            b = base.get(cat, {}).get("strict_accuracy")
            lines.append(f"| {name} | {cat} | {agg['questions']} | {_fmt(agg['strict_accuracy'])} | {_fmt(b)} |")
    return "\n".join(lines) + "\n"


def write_sets(results: dict[str, dict], out: Path) -> None:
    """One folder per set (report.md, results.json, chart) and ``report.md`` comparing them."""
    out.mkdir(parents=True, exist_ok=True)
    for name, result in results.items():
        write(result, out / name)
    (out / "report.md").write_text(sets_markdown(results))


def write(result: dict, out: Path) -> None:
    """results.json, report.md and strict_accuracy.png under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    (out / "report.md").write_text(report_markdown(result))
    chart(result, out / "strict_accuracy.png")


def compare(old: dict, new: dict) -> dict:
    """Questions whose strict result changed between two results.json files."""
    before = {r["id"]: r for r in old["ours"]["rows"]}
    regressed, improved = [], []
    for r in new["ours"]["rows"]:
        prev = before.get(r["id"])
        if prev is None or prev["strict"] == r["strict"]:
            continue
        entry = {
            "id": r["id"],
            "question": r["question"],
            "expected": r["expected"],
            "before": prev["cited"],
            "after": r["cited"],
        }
        (improved if r["strict"] else regressed).append(entry)
    delta = {m: (old["ours"]["summary"][m], new["ours"]["summary"][m]) for m in METRICS}
    return {"regressed": regressed, "improved": improved, "metrics": delta}
