"""One CLI: ``ipplan`` lists every command, every published alias still runs, ``--json`` is one document."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

COMMANDS = ["ask", "explain", "doctor", "brief", "settings", "serve", "index", "eval"]
INDEX_COMMANDS = ["parse", "build", "info", "warm", "matrix"]
EVAL_COMMANDS = ["run", "compare", "calibrate", "split", "gold", "bench", "load"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=full, timeout=300)


def test_ipplan_help_lists_every_command(capsys, monkeypatch):
    import ipplan

    monkeypatch.setenv("COLUMNS", "200")
    for argv, names in (([], COMMANDS), (["index"], INDEX_COMMANDS), (["eval"], EVAL_COMMANDS)):
        assert ipplan.main([*argv, "--help"]) == 0
        out = capsys.readouterr().out
        assert all(f" {name} " in out for name in names), (argv, out)


def test_a_usage_error_exits_2_without_a_traceback(capsys):
    import ipplan

    assert ipplan.main(["index", "nope"]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.fixture(scope="module")
def index_env(real_index_dir) -> dict:
    return {"IPPLAN_INDEX_DIR": str(real_index_dir / "index"), "IPPLAN_LLM": "fake/echo"}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> tuple:
    folder = tmp_path_factory.mktemp("compare")
    rows = [{"id": "a", "question": "q", "expected": [1], "cited": [1], "strict": True}]
    metrics = dict.fromkeys(["strict_accuracy"], 1.0)
    from eval.run import METRICS

    metrics = dict.fromkeys(METRICS, 1.0)
    for name in ("old", "new"):
        (folder / f"{name}.json").write_text(json.dumps({"ours": {"rows": rows, "summary": metrics}}))
    return str(folder / "old.json"), str(folder / "new.json")


# Every published form once: python -m assistant | index | eval, app.py, and ipplan itself.
@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "assistant", "settings", "--json"],
        ["-m", "assistant", "ask", "What does measure 7 say?", "--json"],
        ["-m", "index", "parse", "--json"],
        ["-m", "index", "build", "--json"],
        ["-m", "eval", "compare", "OLD", "NEW", "--json"],
        ["ipplan.py", "settings", "--json"],
        ["ipplan.py", "index", "build", "--json"],
    ],
    ids=lambda a: " ".join(a[:3]),
)
def test_every_alias_runs_and_json_is_one_document(argv, index_env, results, tmp_path):
    argv = [results[0] if a == "OLD" else results[1] if a == "NEW" else a for a in argv]
    out = run(*argv, env={**index_env, "IPPLAN_DATA_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    json.loads(out.stdout)  # exactly one JSON document: nothing else on stdout


def test_app_py_is_the_serve_alias():
    out = run("app.py", "--help")
    assert out.returncode == 0 and "--host" in out.stdout and "--port" in out.stdout and "--llm" in out.stdout


def test_eval_run_json_is_one_document_and_the_report_is_a_file(index_env, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "q1", "question": "What does measure 7 say?", "expected_measures": [7], "category": "lookup"})
        + "\n"
    )
    out = run(
        "-m", "eval", "run", "--questions", str(questions), "--retrieval-only", "--no-baseline", "--json",
        "--out", str(tmp_path / "out"),
        env={**index_env, "IPPLAN_DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["run"]["strict_accuracy"] == 1.0
    assert (tmp_path / "out" / "report.md").exists() and "INFO eval.cli: Wrote" in out.stderr


def test_settings_say_where_each_value_came_from(monkeypatch):
    from index.config import Settings

    monkeypatch.setenv("IPPLAN_PORT", "7999")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    s = Settings.from_env(llm="fake/echo")
    origins = s.origins()
    assert (s.port, origins["port"]) == (7999, "env IPPLAN_PORT")
    assert origins["llm"] == "flag" and origins["collection"] == "default"
    assert origins["openai_api_key"] == "env OPENAI_API_KEY"
    assert "sk-secret" not in str(s.effective())


def test_readme_configuration_table_is_generated_from_the_settings():
    from index.config import describe

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert describe() in readme, "regenerate it: python -c 'from index.config import describe; print(describe())'"


def test_readme_module_layout_names_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("Module layout") :]
    for package in ("assistant", "assistant/understand", "index", "eval"):
        for path in sorted((ROOT / package).glob("*.py")):
            if path.name not in ("__init__.py", "__main__.py"):
                assert f"`{path.name}`" in layout, f"README's module layout omits {package}/{path.name}"


def test_log_lines_carry_level_and_logger_name(tmp_path, capsys):
    import logging

    from assistant import feedback
    from index import log

    path = tmp_path / "feedback.jsonl"
    path.write_text('{"rating": "up"}\n{"rating": "do')  # a torn last line
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        log.configure("INFO")
        feedback.read(path)
    finally:
        root.handlers[:] = before
    assert "WARNING assistant.feedback: Feedback log" in capsys.readouterr().err
