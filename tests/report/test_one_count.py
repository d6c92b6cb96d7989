"""One count everywhere: pytest, the JUnit XML, the Allure report and the sign-off agree on how many scenarios passed
and failed, in a clean run and in a run where the reference sync has a deliberate defect."""

from __future__ import annotations

import json
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.scratch import copy_project, run, skip_property

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = copy_project(tmp_path_factory.mktemp("one-count"))
    (copy / "node_modules").symlink_to(ROOT / "node_modules")
    return copy


def _counts(project: Path) -> dict[str, dict[str, int]]:
    """The make qa pipeline in the copy: the suite, the sign-off, the report; what each of them counts."""
    results, report = project / "results", project / "report"
    for folder in (results, report):
        shutil.rmtree(folder, ignore_errors=True)
    junit = project / "junit.xml"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "-q", "steps"]
    suite = run([*command, "--alluredir", str(results), "--junitxml", str(junit)], project)
    summary = suite.stdout.strip().splitlines()[-1]
    said = {status: int(n) for n, status in re.findall(r"(\d+) (passed|failed|error)", summary)}
    run(
        [sys.executable, "-m", "harness", "signoff", "--results", str(results), "--out", str(project / "s.md")], project
    )
    header = (project / "s.md").read_text(encoding="utf-8").splitlines()[2]
    signed = {status: int(n) for n, status in re.findall(r"(\d+) (passed|failed|broken)", header)}
    generated = run(["npx", "--no-install", "allure", "generate", str(results), "-o", str(report)], project)
    assert generated.returncode == 0, generated.stderr[-1500:]
    stats = json.loads((report / "summary.json").read_text(encoding="utf-8"))["stats"]
    suite_xml = ET.parse(junit).getroot().find("testsuite")
    assert suite_xml is not None
    tests, failures, errors = (int(suite_xml.get(k, "0")) for k in ("tests", "failures", "errors"))
    return {
        "pytest": {"passed": said.get("passed", 0), "failed": said.get("failed", 0) + said.get("error", 0)},
        "junit": {"passed": tests - failures - errors, "failed": failures + errors},
        "allure": {"passed": stats.get("passed", 0), "failed": stats.get("failed", 0) + stats.get("broken", 0)},
        "sign-off": {"passed": signed.get("passed", 0), "failed": signed.get("failed", 0) + signed.get("broken", 0)},
    }


def test_a_clean_run_is_counted_alike_everywhere(project: Path) -> None:
    counts = _counts(project)
    assert counts["pytest"]["failed"] == 0 and counts["pytest"]["passed"] > 60, counts
    assert all(seen == counts["pytest"] for seen in counts.values()), f"expected one count everywhere: {counts}"


def test_a_failing_run_is_counted_alike_everywhere(project: Path) -> None:
    original = skip_property(project, "directPhone")
    try:
        counts = _counts(project)
    finally:
        (project / "harness" / "sync" / "engine.py").write_text(original, encoding="utf-8")
    assert counts["pytest"]["failed"] > 0, f"expected the defect to fail scenarios: {counts}"
    assert all(seen == counts["pytest"] for seen in counts.values()), f"expected one count everywhere: {counts}"
