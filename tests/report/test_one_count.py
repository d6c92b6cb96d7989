"""One count everywhere: pytest, the JUnit XML, the Allure report and the sign-off agree on how many scenarios passed,
failed and were skipped — in mock and wire mode (a clean run, and a run where the reference sync has a deliberate
defect), and in sandbox mode on `harness serve` fakes with the reference sync and with an external product, where
scenarios the mode cannot run are skipped. The report is made as ``make qa`` makes it (``harness report``), and its
first screen carries the verdict.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.report.panel import PANEL_ID
from tests.helpers import copy_project, run, skip_property

pytestmark = pytest.mark.slow  # runs the checklist suite in a subprocess

ROOT = Path(__file__).resolve().parents[2]
STATUSES = ("passed", "failed", "skipped")
# A scenario that passes in every mode, and one that needs the fakes' clock (skipped on real tenants).
SUBSET = "busy_day or very_same_moment"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = copy_project(tmp_path_factory.mktemp("one-count"))
    (copy / "node_modules").symlink_to(ROOT / "node_modules")
    return copy


_ALIASES = (("passed",), ("failed", "error", "errors", "broken"), ("skipped",))


def _counted(text: str) -> dict[str, int]:
    found = {status: int(n) for n, status in re.findall(r"(\d+) (passed|failed|errors?|broken|skipped)", text)}
    return {status: sum(found.get(name, 0) for name in names) for status, names in zip(STATUSES, _ALIASES, strict=True)}


def _report(project: Path, results: Path, suite: int) -> tuple[Path, Path]:
    """``harness report`` as make qa runs it: the sign-off (Markdown) and the HTML report folder."""
    signoff, report = results.parent / "signoff.md", results.parent / "report"
    command = [sys.executable, "-m", "harness", "report", "--results", str(results), "--out", str(signoff)]
    done = run([*command, "--report", str(report), "--suite-exit", str(suite)], project)
    assert (report / "index.html").is_file(), done.stdout[-1500:] + done.stderr[-1500:]
    return signoff, report


def _counts(pytest_output: str, junit: Path, signoff: Path, report: Path) -> dict[str, dict[str, int]]:
    summary = [line for line in pytest_output.strip().splitlines() if re.search(r"\d+ (passed|failed|skipped)", line)]
    header = signoff.read_text(encoding="utf-8").splitlines()[2]
    stats = json.loads((report / "summary.json").read_text(encoding="utf-8"))["stats"]
    suite_xml = ET.parse(junit).getroot().find("testsuite")
    assert suite_xml is not None
    tests, failures, errors, skips = (int(suite_xml.get(k, "0")) for k in ("tests", "failures", "errors", "skipped"))
    return {
        "pytest": _counted(summary[-1]),
        "junit": {"passed": tests - failures - errors - skips, "failed": failures + errors, "skipped": skips},
        "allure": {s: sum(int(stats.get(a, 0)) for a in names) for s, names in zip(STATUSES, _ALIASES, strict=True)},
        "sign-off": _counted(header),
    }


def _mock_counts(project: Path, tenants: str = "mock") -> tuple[dict[str, dict[str, int]], Path]:
    results = project / "results"
    for folder in (results, project / "report"):
        shutil.rmtree(folder, ignore_errors=True)
    junit = project / "junit.xml"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "-q", "steps", "--tenants", tenants]
    suite = run([*command, "--alluredir", str(results), "--junitxml", str(junit)], project)
    signoff, report = _report(project, results, suite.returncode)
    return _counts(suite.stdout, junit, signoff, report), report


def _first_screen(report: Path) -> tuple[str, str]:
    """The report's title and the panel's verdict, as the page carries them."""
    page = (report / "index.html").read_text(encoding="utf-8")
    title = re.search(r"<title>\s*(.*?)\s*</title>", page, re.DOTALL)
    panel = re.search(rf'<section id="{PANEL_ID}".*?data-verdict="([A-Z ]+)"', page, re.DOTALL)
    assert title and panel, "expected the report's title and the sign-off panel on the page"
    return title.group(1), panel.group(1)


def test_a_clean_run_is_counted_alike_everywhere_and_titled_ready(project: Path) -> None:
    counts, report = _mock_counts(project)
    assert counts["pytest"]["failed"] == 0 and counts["pytest"]["passed"] > 60, counts
    assert all(seen == counts["pytest"] for seen in counts.values()), f"expected one count everywhere: {counts}"
    title, verdict = _first_screen(report)
    assert title.startswith("READY for sign-off: 18 of 18 items proven") and verdict == "READY", (title, verdict)


def test_a_failing_run_is_counted_alike_everywhere_and_titled_not_ready(project: Path) -> None:
    original = skip_property(project, "directPhone")
    try:
        counts, report = _mock_counts(project, "wire")
    finally:
        (project / "harness" / "sync" / "engine.py").write_text(original, encoding="utf-8")
    assert counts["pytest"]["failed"] > 0, f"expected the defect to fail scenarios: {counts}"
    assert all(seen == counts["pytest"] for seen in counts.values()), f"expected one count everywhere: {counts}"
    title, verdict = _first_screen(report)
    assert title.startswith("NOT READY for sign-off: ") and "directPhone ↔ phoneNumber" in title, title
    assert verdict == "NOT READY", verdict


@pytest.mark.parametrize("mode", ["reference", "external"])
def test_sandbox_modes_on_served_fakes_count_alike_everywhere(tmp_path: Path, mode: str) -> None:
    results, junit = tmp_path / "results", tmp_path / "junit.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    # A fast product schedule keeps the external run short; PROXY=off so that more scenarios skip.
    env |= {"RESULTS_DIR": str(results), "PROXY": "off", "PRODUCT_INTERVAL": "0.3", "CONVERGE_TIMEOUT": "5"}
    extra = ["-q", "-k", SUBSET, "--junitxml", str(junit)] + (
        ["--alluredir", str(results)] if mode == "reference" else []
    )
    suite = subprocess.run(
        ["scripts/sandbox-on-fakes.sh", mode, *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    signoff, report = _report(ROOT, results, suite.returncode)
    counts = _counts(suite.stdout, junit, signoff, report)
    assert counts["pytest"]["passed"] > 0 and counts["pytest"]["skipped"] > 0, (counts, suite.stdout[-2000:])
    assert all(seen == counts["pytest"] for seen in counts.values()), f"expected one count everywhere: {counts}"
