"""Every data file loads through its schema; an unknown key or a wrong type names the file, line and key."""

from __future__ import annotations

import json
import shutil

import pytest

from assistant.topic import CALIBRATION_FILE, Calibration
from index.agencies import Registry
from index.chunk import load_expansions
from index.config import DEFAULT_EXPANSIONS, DEFAULT_GLOSSARY, DEFAULT_REGISTRY
from index.schemas import DataFileError, load_glossary


def test_the_committed_files_load(registry):
    assert len(registry) == 28
    assert len(load_expansions(DEFAULT_EXPANSIONS)) == 90
    assert load_glossary(DEFAULT_GLOSSARY)["专利"] == "patent"
    assert Calibration.load(CALIBRATION_FILE).alpha == json.loads(CALIBRATION_FILE.read_text())["alpha"]


def _with_line(tmp_path, source, after: str, line: str):
    """A copy of ``source`` with ``line`` inserted after the first line starting with ``after``."""
    lines = source.read_text(encoding="utf-8").splitlines()
    at = next(i for i, text in enumerate(lines) if text.startswith(after)) + 1
    lines.insert(at, line)
    path = tmp_path / source.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, at + 1  # 1-based line of the inserted key


@pytest.mark.parametrize(
    ("source", "after", "line", "load", "key"),
    [
        (DEFAULT_REGISTRY, "  - name: Ministry of Foreign Affairs", "    rolez: [diplomats]", Registry.load, "rolez"),
        (DEFAULT_EXPANSIONS, "  2:", "    keyword: [typo]", load_expansions, "keyword"),
        (DEFAULT_GLOSSARY, "terms:", "  nested: {a: b}", load_glossary, "nested"),
    ],
    ids=["agencies", "expansions", "glossary"],
)
def test_unknown_key_or_wrong_type_names_file_line_and_key(tmp_path, source, after, line, load, key):
    path, lineno = _with_line(tmp_path, source, after, line)
    with pytest.raises(DataFileError) as exc:
        load(path)
    assert f"{path}:{lineno}:" in str(exc.value) and key in str(exc.value)


def test_calibration_with_an_unknown_key_names_it(tmp_path):
    path = tmp_path / "calibration.json"
    shutil.copy(CALIBRATION_FILE, path)
    data = json.loads(path.read_text()) | {"alfa": 0.4}
    path.write_text(json.dumps(data, indent=1))
    with pytest.raises(DataFileError, match=r"calibration\.json:\d+: alfa: Extra inputs"):
        Calibration.load(path)
    path.write_text(json.dumps({"alpha": "high"}, indent=1))
    with pytest.raises(DataFileError, match=r"calibration\.json:2: alpha"):
        Calibration.load(path)


def test_a_bad_registry_is_a_clear_cli_error(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    path, lineno = _with_line(tmp_path, DEFAULT_REGISTRY, "  - name: Ministry of Foreign Affairs", "    rolez: [x]")
    env = {**__import__("os").environ, "IPPLAN_REGISTRY": str(path), "IPPLAN_DATA_DIR": str(tmp_path / "d")}
    out = subprocess.run(
        [sys.executable, "-m", "index", "parse"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert out.returncode == 2 and f"{path}:{lineno}: agencies.1.rolez" in out.stderr
    assert "Traceback" not in out.stderr
