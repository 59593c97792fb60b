"""The model sentences a reader would see, collected for blind labelling (issue 16).

``pool`` answers every question of the given eval sets (retrieval only), collects the (measure,
focus) pairs whose sentences the chat would ask the model for, samples them evenly across the three
focus kinds (agency, topic, none), and writes the model's reply for each: the raw reply, the
candidate sentence (its first sentence, cleaned the way the checks clean it) and whether today's
checks pass it. Labellers see the plan and the candidates only; ``score`` measures the checks
against their labels (precision and recall for rejecting a bad sentence, per split), and ``errors``
lists the dev rows where checks and labels disagree (design on dev; the test split is only scored).

    python -m eval.sentence_pool pool --sets blind14,topics-dev --per-kind 120 --out eval/sentences/pool.jsonl
    python -m eval.sentence_pool score [--labels eval/sentences/labels.jsonl]
    python -m eval.sentence_pool errors   # dev only
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tqdm import tqdm

from assistant.retrieve import Retrieval
from assistant.sentences import focus_for
from assistant.understand.routes import Route


class FocusKind(StrEnum):
    AGENCY = "agency"
    TOPIC = "topic"
    NONE = "none"


def focus_kind(r: Retrieval) -> str:
    focus = focus_for(r)
    if not focus:
        return FocusKind.NONE
    return FocusKind.TOPIC if str(r.route) == Route.TOPIC else FocusKind.AGENCY


@dataclass(frozen=True)
class Job:
    measure: int
    focus: str
    kind: str
    allowed: tuple[int, ...]


def collect(assistant, questions: list[dict], max_generated: int) -> list[Job]:
    """Every distinct (measure, focus) the chat would write a sentence for, in question order."""
    seen: dict[tuple[int, str], Job] = {}
    for q in questions:
        r = assistant.retriever.retrieve(q["question"])
        if r.abstain or not r.hits:
            continue
        focus, kind = focus_for(r), focus_kind(r)
        allowed = tuple(r.numbers)
        for h in r.hits[:max_generated]:
            seen.setdefault((h.measure.number, focus), Job(h.measure.number, focus, kind, allowed))
    return list(seen.values())


def sample(jobs: list[Job], per_kind: int, seed: int) -> list[Job]:
    rng = random.Random(seed)
    out: list[Job] = []
    for kind in (FocusKind.AGENCY, FocusKind.TOPIC, FocusKind.NONE):
        these = [j for j in jobs if j.kind == kind]
        rng.shuffle(these)
        out += these[:per_kind]
    return out


def pool(sets: list[str], per_kind: int, seed: int, out: Path, llm_spec: str | None = None) -> Counter:
    from assistant.answer import Assistant
    from eval.run import SETS, load_questions

    assistant = Assistant.open(llm=llm_spec)
    questions = [q for name in sets for q in load_questions(SETS[name][0], SETS[name][1])]
    jobs = sample(collect(assistant, questions, assistant.settings.max_generated), per_kind, seed)
    return write(assistant, jobs, out)


def rewrite(jobs_from: Path, out: Path, llm_spec: str | None = None) -> Counter:
    """The same (measure, focus) jobs as an earlier pool, written by today's prompt, grammar and checks:
    a paired before/after for a second blind review (``shown`` is what the chat would show)."""
    from assistant.answer import Assistant

    rows = [json.loads(line) for line in jobs_from.read_text(encoding="utf-8").splitlines() if line.strip()]
    jobs = [Job(r["measure"], r["focus"], r["focus_kind"], (r["measure"],)) for r in rows]
    return write(Assistant.open(llm=llm_spec), jobs, out)


def write(assistant, jobs: list[Job], out: Path) -> Counter:
    """One row per job: the model's reply (from the cache or live), its first sentence and the verdict."""
    from assistant.checks import check_sentence, first_sentence
    from assistant.sentences import MAX_TOKENS, measure_focus, measure_grammar, measure_messages

    plan = {m.number: m for m in assistant.retriever.plan.measures}
    writer, llm = assistant.writer, assistant.llm
    out.parent.mkdir(parents=True, exist_ok=True)
    kinds: Counter = Counter()
    with out.open("w") as f:
        for i, job in enumerate(tqdm(jobs, desc="Sentences", unit="sentence", file=sys.stderr), 1):
            m = plan[job.measure]
            stored = writer.cache.get(writer.key(llm, m, job.focus)) if writer.cache is not None else None
            if stored is not None:
                raw = stored.reply
            else:
                grammar = measure_grammar(m, job.focus) if llm.grammars else None
                raw = llm.generate(measure_messages(m, job.focus), max_tokens=MAX_TOKENS, grammar=grammar)
            shown = check_sentence(raw, m, set(job.allowed), measure_focus(m, job.focus))
            passed = shown is not None
            row = {
                "id": f"S{i:03d}",
                "measure": job.measure,
                "focus": job.focus,
                "focus_kind": job.kind,
                "raw": raw,
                "candidate": first_sentence(raw),
                "passed": passed,
                "shown": shown,
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            kinds[(job.kind, passed)] += 1
    return kinds


# ---------------------------------------------------------------- scoring the checks against the labels

GOOD = "good"
LABELS = Path(__file__).resolve().parent / "sentences" / "labels.jsonl"


def load_labels(path: Path = LABELS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def verdicts(rows: list[dict]) -> list[tuple[dict, str]]:
    """Each labelled row with the reason today's checks reject its raw reply ("" = shown)."""
    from assistant.checks import judge
    from index.agencies import Registry
    from index.config import DEFAULT_REGISTRY, DEFAULT_SOURCE
    from index.parse import parse

    plan = {m.number: m for m in parse(DEFAULT_SOURCE, Registry.load(DEFAULT_REGISTRY)).measures}
    out = []
    for r in rows:
        m = plan[r["measure"]]
        out.append((r, judge(r["raw"], m, {m.number}, r.get("focus", "")).reason))
    return out


def figures(judged: list[tuple[dict, str]]) -> dict:
    """Precision and recall of the checks for rejecting a bad (not "good") sentence, and the shares.

    ``precision`` = rejected and bad / rejected; ``recall`` = rejected and bad / bad.
    """
    bad = [(r, why) for r, why in judged if r["label"] != GOOD]
    rejected = [(r, why) for r, why in judged if why]
    hit = sum(r["label"] != GOOD for r, _ in rejected)
    shown = [r for r, why in judged if not why]
    kinds = sorted({r["focus_kind"] for r, _ in judged})
    return {
        "n": len(judged),
        "bad": len(bad),
        "rejected": len(rejected),
        "precision": round(hit / len(rejected), 3) if rejected else None,
        "recall": round(hit / len(bad), 3) if bad else None,
        "shown_good": round(sum(r["label"] == GOOD for r in shown) / len(shown), 3) if shown else None,
        "shown": len(shown),
        "labels": dict(Counter(r["label"] for r, _ in judged).most_common()),
        "pass_share": {
            k: round(
                sum(not why for r, why in judged if r["focus_kind"] == k)
                / max(1, sum(r["focus_kind"] == k for r, _ in judged)),
                3,
            )
            for k in kinds
        },
        "good_share": {
            k: round(
                sum(r["label"] == GOOD for r, _ in judged if r["focus_kind"] == k)
                / max(1, sum(r["focus_kind"] == k for r, _ in judged)),
                3,
            )
            for k in kinds
        },
    }


def by_reason(judged: list[tuple[dict, str]]) -> dict[str, tuple[int, int]]:
    """Per check: (bad rows it rejected, good rows it rejected)."""
    out: dict[str, list[int]] = {}
    for r, why in judged:
        if why:
            out.setdefault(why, [0, 0])[r["label"] == GOOD] += 1
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def score(path: Path = LABELS) -> dict:
    """The figures per split (dev, test) and for the whole set."""
    judged = verdicts(load_labels(path))
    out = {}
    for split in ("dev", "test"):
        part = [(r, why) for r, why in judged if r.get("split") == split]
        before = [(r, "" if r["passed"] else "old checks") for r, _ in part]  # the checks the pool was made with
        out[split] = {
            **figures(part),
            "by_check": {k: list(v) for k, v in by_reason(part).items()},
            "before": {
                k: v for k, v in figures(before).items() if k in ("rejected", "precision", "recall", "shown_good")
            },
        }
    out["all"] = figures(judged)
    return out


def errors(path: Path = LABELS) -> list[str]:
    """Dev rows where the checks and the labels disagree, for designing the checks (never test rows)."""
    lines = []
    for r, why in verdicts([r for r in load_labels(path) if r.get("split") == "dev"]):
        good = r["label"] == GOOD
        if good == bool(why):
            kind = f"rejected good ({why})" if good else f"shown {r['label']}"
            lines.append(
                f"{r['id']} [{r['measure']}] {r['focus_kind']}: {kind}: {r['candidate']}  -- {r.get('why', '')}"
            )
    return lines


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["pool", "rewrite", "score", "errors"])
    p.add_argument("--jobs", type=Path, default=Path("eval/sentences/pool.jsonl"), help="rewrite: the pool to redo")
    p.add_argument("--labels", type=Path, default=LABELS)
    p.add_argument("--sets", default="blind14,topics-dev")
    p.add_argument("--per-kind", type=int, default=120)
    p.add_argument("--seed", type=int, default=16)
    p.add_argument("--llm", default=None)
    p.add_argument("--out", type=Path, default=Path("eval/sentences/pool.jsonl"))
    a = p.parse_args()
    if a.command == "score":
        print(json.dumps(score(a.labels), indent=2))
    elif a.command == "errors":
        print("\n".join(errors(a.labels)))
    elif a.command == "rewrite":
        print(rewrite(a.jobs, a.out, a.llm))
    else:
        print(pool(a.sets.split(","), a.per_kind, a.seed, a.out, a.llm))
