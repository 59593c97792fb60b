"""Benchmark: index build (cold, no-op), retrieval, first text, full answer, tokens/s, peak RSS —
ours and the tutorial baseline, each in its own process, in the same run. Prints figures; it
asserts nothing (speed targets are reported, not tested)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eval.metrics import percentile
from index.config import REPO_ROOT, Settings

QUESTIONS = [
    "What must Customs do?",
    "What does measure 7 say?",
    "Which measure ranks cities by work registration?",
    "Which measures concern courts and trials?",
    "What do measures 14 and 15 say?",
    "What does the Ministry of Culture have to do?",
    "Which measure mentions the Escort campaign?",
    "What must the police do?",
    "Which measures concern agriculture?",
    "What do the Ministry of Education and SIPO do together?",
    "What does the Ministry of Health do?",
    "Which measure involves ten provinces?",
    "Which measure revises the Patent Law?",
    "What does the Supreme People's Court do?",
    "What is the capital of France?",
    "When was the circular issued?",
    "Which measures concern national defense patents?",
    "What does the Ministry of Justice do?",
    "Which measure promotes genuine software in government organs?",
    "What must the Ministry of Foreign Affairs do?",
]


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def part_ours(llm: str | None) -> dict:
    """Our pipeline: routed retrieval, one model sentence per measure, streaming; the questions
    twice in one process: cold (empty sentence cache), then warm (every sentence cached)."""
    from assistant.answer import Assistant

    settings = Settings.from_env()
    t0 = time.perf_counter()
    assistant = Assistant.open(settings, llm=llm)
    load_s = time.perf_counter() - t0
    if assistant.llm is not None:  # first-call overhead, without putting anything in the cache
        assistant.llm.generate([{"role": "user", "content": "Say OK."}], max_tokens=4)
    tokens, gen_s = _tokens_per_second(assistant)
    passes = {}
    for name in ("cold", "warm"):
        figures = _pass(assistant, load_s)
        figures["tokens_per_s"] = round(tokens / gen_s, 1) if gen_s else None
        passes[name] = figures
    return passes


def _pass(assistant, load_s: float) -> dict:
    retrieval, first, full, small, first_sentence = [], [], [], [], []
    sentences = {"model": 0, "extractive": 0}
    hits = calls = 0
    for q in QUESTIONS:
        r = assistant.retriever.retrieve(q)
        retrieval.append(r.seconds)
        t = time.perf_counter()
        first_s = None
        for event in assistant.stream(q):
            if first_s is None:
                first_s = time.perf_counter() - t
            if event.kind == "done":
                total = time.perf_counter() - t
                timings = event.answer.timings
                for c in event.answer.citations:
                    sentences[c.source] += 1
                if "first_sentence_s" in timings:
                    first_sentence.append(timings["first_sentence_s"])
                if len(event.answer.citations) <= 4:
                    small.append(total)
                hits += timings.get("cache_hits", 0)
                calls += timings.get("llm_calls", 0)
        first.append(first_s)
        full.append(total)
    figures = _figures(load_s, retrieval, first, full, small, None)
    figures["first_cited_sentence_p50_s"] = percentile(first_sentence, 0.5)
    figures["first_cited_sentence_p95_s"] = percentile(first_sentence, 0.95)
    figures["model_sentence_share"] = round(sentences["model"] / max(1, sum(sentences.values())), 3)
    figures["cache_hit_rate"] = round(hits / (hits + calls), 3) if hits + calls else None
    figures["llm_calls"] = calls
    return figures


def _figures(load_s, retrieval, first, full, small, tokens_per_s) -> dict:
    return {
        "model_load_s": round(load_s, 2),
        "retrieval_p50_s": percentile(retrieval, 0.5),
        "retrieval_p95_s": percentile(retrieval, 0.95),
        "first_text_p50_s": percentile(first, 0.5),
        "first_text_p95_s": percentile(first, 0.95),
        "answer_p50_s": percentile(full, 0.5),
        "answer_p95_s": percentile(full, 0.95),
        "answer_le4_measures_p50_s": percentile(small, 0.5) if small else None,
        "tokens_per_s": tokens_per_s,
        "peak_rss_mb": _rss_mb(),
    }


def _tokens_per_second(assistant) -> tuple[int, float]:
    """Decode throughput on five single-measure prompts: tokens after the first / time after the first
    (prompt evaluation excluded; it shows in first-sentence time). Stream pieces ~ tokens."""
    if assistant.llm is None:
        return 0, 0.0
    plan = assistant.retriever.plan
    count, decode_s = 0, 0.0
    for n in (7, 32, 40, 52, 90):
        first, pieces = None, 0
        for _ in assistant.llm.stream(assistant._messages(plan.measure(n), ""), max_tokens=60):
            pieces += 1
            if first is None:
                first = time.perf_counter()
        if first is not None and pieces > 1:
            count += pieces - 1
            decode_s += time.perf_counter() - first
    return count, decode_s


def part_baseline(llm: str | None) -> dict:
    """The tutorial pipeline: 1000/200 chunks, top-4, all four chunks stuffed into one prompt."""
    from assistant.llm import load_llm
    from eval.baseline import TutorialRAG

    settings = Settings.from_env()
    t0 = time.perf_counter()
    rag = TutorialRAG(settings)
    model = load_llm(llm or settings.llm, settings)
    load_s = time.perf_counter() - t0
    retrieval, first, full = [], [], []
    for q in QUESTIONS:
        t = time.perf_counter()
        got = rag.ask(q)
        retrieval.append(got.seconds)
        context = "\n\n".join(got.chunks)
        messages = [
            {"role": "system", "content": "Answer the question from the context. Cite measure numbers like [7]."},
            {"role": "user", "content": f"Context:\n{context[:3500]}\n\nQuestion: {q}"},
        ]
        first_s = None
        for _ in model.stream(messages, max_tokens=200):
            if first_s is None:
                first_s = time.perf_counter() - t
        first.append(first_s or time.perf_counter() - t)
        full.append(time.perf_counter() - t)
    return _figures(load_s, retrieval, first, full, [], None)


def _child(part: str, llm: str | None, env: dict) -> dict:
    cmd = [sys.executable, "-m", "eval.bench", part] + ([llm] if llm else [])
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _index_build(env: dict) -> dict:
    """Cold build (fresh directory, model load included) and the no-op that follows, in new processes."""
    figures = {}
    for name in ("cold", "noop"):
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "index", "build", "--quiet", "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        figures[f"index_{name}_process_s"] = round(time.perf_counter() - t, 2)
        figures[f"index_{name}_build_s"] = round(json.loads(out.stdout)["seconds"], 3)
    return figures


def bench(out: Path, llm: str | None = None) -> dict:
    """Run everything; write ``bench.json`` and ``bench.md`` under ``out``."""
    with tempfile.TemporaryDirectory(prefix="ipplan-bench-") as tmp:
        env = {**os.environ, "IPPLAN_DATA_DIR": tmp, "IPPLAN_INDEX_DIR": str(Path(tmp) / "index")}
        index = _index_build(env)
        ours = _child("ours", llm, env)
        base = _child("baseline", llm, env)
    cold, warm = ours["cold"], ours["warm"]
    ratios = {
        k: round(base[k] / cold[k], 2) for k in cold if isinstance(cold.get(k), float) and base.get(k) and cold[k]
    }
    settings = Settings.from_env()
    result = {
        "llm": llm or settings.llm,
        "questions": len(QUESTIONS),
        "index": index,
        "ours": ours,
        "baseline": base,
        "baseline_over_ours_cold": ratios,
        "cpu_count": os.cpu_count(),
        "llm_threads": settings.llm_threads,
        "llm_workers": settings.model_workers,
        "load_average": os.getloadavg(),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, indent=1))
    lines = [
        f"# Benchmark ({result['llm']}, {len(QUESTIONS)} questions, {os.cpu_count()} CPUs, "
        f"{settings.model_workers} model workers x {settings.llm_threads} threads, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})",
        "",
        "| index | seconds |",
        "| --- | --- |",
    ] + [f"| {k} | {v} |" for k, v in index.items()]
    lines += [
        "",
        "Cold: empty sentence cache. Warm: the same questions again, every sentence cached.",
        "",
        "| metric | ours cold | ours warm | tutorial baseline | baseline / ours cold |",
        "| --- | --- | --- | --- | --- |",
    ]
    for k in cold:
        lines.append(f"| {k} | {cold[k]} | {warm.get(k)} | {base.get(k, '–')} | {ratios.get(k, '–')} |")
    (out / "bench.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return result


if __name__ == "__main__":  # child-process entry: python -m eval.bench ours|baseline [llm]
    part, llm_spec = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
    figures = part_ours(llm_spec) if part == "ours" else part_baseline(llm_spec)
    print(json.dumps(figures))
