"""The model sentences a reader would see, collected for blind labelling (issue 16).

``pool`` answers every question of the given eval sets (retrieval only), collects the (measure,
focus) pairs whose sentences the chat would ask the model for, samples them evenly across the three
focus kinds (agency, topic, none), and writes the model's reply for each: the raw reply, the
candidate sentence (its first sentence, cleaned the way the checks clean it) and whether today's
checks pass it. Labellers see the plan and the candidates only; ``score`` measures the checks
against their labels.

    python -m eval.sentence_pool pool --sets blind14,topics-dev --per-kind 120 --out eval/sentences/pool.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.retrieve import Retrieval
from assistant.sentences import focus_for
from assistant.understand.routes import Route


class FocusKind:
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
    from assistant.checks import check_sentence, first_sentence
    from assistant.sentences import measure_messages
    from eval.run import SETS, load_questions

    assistant = Assistant.open(llm=llm_spec)
    questions = [q for name in sets for q in load_questions(SETS[name][0], SETS[name][1])]
    jobs = sample(collect(assistant, questions, assistant.settings.max_generated), per_kind, seed)
    plan = {m.number: m for m in assistant.retriever.plan.measures}
    writer, llm = assistant.writer, assistant.llm
    out.parent.mkdir(parents=True, exist_ok=True)
    kinds: Counter = Counter()
    with out.open("w") as f:
        for i, job in enumerate(jobs, 1):
            m = plan[job.measure]
            stored = writer.cache.get(writer.key(llm, m, job.focus)) if writer.cache is not None else None
            raw = stored.reply if stored is not None else llm.generate(measure_messages(m, job.focus), max_tokens=60)
            passed = check_sentence(raw, m, set(job.allowed)) is not None
            row = {
                "id": f"S{i:03d}",
                "measure": job.measure,
                "focus": job.focus,
                "focus_kind": job.kind,
                "raw": raw,
                "candidate": first_sentence(raw),
                "passed": passed,
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            kinds[(job.kind, passed)] += 1
            print(f"\r{i}/{len(jobs)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return kinds


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["pool"])
    p.add_argument("--sets", default="blind14,topics-dev")
    p.add_argument("--per-kind", type=int, default=120)
    p.add_argument("--seed", type=int, default=16)
    p.add_argument("--llm", default=None)
    p.add_argument("--out", type=Path, default=Path("eval/sentences/pool.jsonl"))
    a = p.parse_args()
    print(pool(a.sets.split(","), a.per_kind, a.seed, a.out, a.llm))
