"""A defect in one checklist row fails that row, not its neighbours, and each failure reads as the scenario says it.

On a copy of the project the reference sync never writes ``mobilePhoneNumber`` to Business Central, while its report
and state say it did. The suite must go red; the sign-off marks the mobilePhone row (CRMOffice → Business Central)
FAILED and keeps the directPhone rows and the other direction proven, though every contact the scenarios create
carries both phones; the terminal names failed scenarios as the feature files write them, each with the Then-step it
stopped at and no Python traceback; JUnit points at the feature file and the scenario's line.

One suite run (``pytest -n 2 steps``) in a scratch copy, about 15 s.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import copy_project, never_write, run, suite_and_signoff

pytestmark = pytest.mark.slow  # runs the checklist suite in a subprocess

DIRECT = "contacts-to-contacts: directPhone ↔ phoneNumber"
MOBILE = "contacts-to-contacts: mobilePhone ↔ mobilePhoneNumber"
TO_BC, TO_CRM = "(CRMOffice → Business Central)", "(Business Central → CRMOffice)"
ARRIVES = "a new contact's mobilePhone arrives as its mobilePhoneNumber"
ARRIVES_THEN = "Then its Business Central contact's mobilePhoneNumber is that mobilePhone"


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str, Path]:
    project = copy_project(tmp_path_factory.mktemp("one-row-defect"))
    never_write(project, "mobilePhoneNumber")
    junit = project / "junit.xml"
    status, output, markdown = suite_and_signoff(project, "mock", "--junitxml", str(junit))
    return status, output, markdown, junit


def _one_scenario(junit: Path, *extra: str) -> str:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "steps", "-k", "arrives_as_its and mobile"]
    done = run([*command, *extra], junit.parent)
    return done.stdout + done.stderr


def _verdict(markdown: str, title: str) -> str:
    lines = [line for line in markdown.splitlines() if line.startswith(f"| {title} |")]
    assert len(lines) == 1, f"expected one sign-off line for {title}, found {lines}"
    return lines[0].split(" | ")[1]


def test_the_suite_fails_and_the_signoff_fails_only_the_defective_row(defective: tuple[int, str, str, Path]) -> None:
    status, output, markdown, _ = defective
    assert status == 1, f"expected the suite to fail, found exit {status}: {output[-2000:]}"
    assert "**NOT READY FOR SIGN-OFF**" in markdown, markdown[:300]
    assert _verdict(markdown, f"{MOBILE} {TO_BC}") == "FAILED"
    for title in (f"{DIRECT} {TO_BC}", f"{DIRECT} {TO_CRM}", f"{MOBILE} {TO_CRM}"):
        assert _verdict(markdown, title) == "proven", f"expected {title} still proven: {markdown[:3000]}"
    for rule in ("Rule 2: ", "Rule 7: ", "Rule 12: "):
        (line,) = [line for line in markdown.splitlines() if line.startswith(f"| {rule}")]
        assert "| proven |" in line, f"expected {rule.strip()} untouched by the defect, found {line[:200]}"


def test_the_terminal_names_each_failed_scenario_with_its_expectation(defective: tuple[int, str, str, Path]) -> None:
    _, output, _, _ = defective
    assert f"FAILED features/contacts.feature:57 {ARRIVES} — {ARRIVES_THEN}" in output, output[-4000:]
    assert "Traceback" not in output and "steps/test_checklist.py::" not in output, output[-4000:]
    assert "Business Central mobilePhoneNumber: expected '" in output, "expected the found value under the step"
    # The directPhone scenarios' own steps pass; the sync's report, which claims the phone was written, fails after.
    assert "— expected the reference sync's report agrees with the tenants" in output, output[-4000:]


def test_junit_points_at_the_feature_and_starts_with_the_expectation(defective: tuple[int, str, str, Path]) -> None:
    _, _, _, junit = defective
    cases = {case.get("name"): case for case in ET.parse(junit).iter("testcase")}
    case = cases[ARRIVES]
    assert (case.get("file"), case.get("line")) == ("features/contacts.feature", "57"), case.attrib
    failure = case.find("failure")
    assert failure is not None, f"expected {ARRIVES!r} failed"
    message = failure.get("message") or ""
    assert message.splitlines()[0].endswith(ARRIVES_THEN), f"expected the Then-step first, found {message[:300]}"
    assert all((c.get("file") or "").startswith("features/") for c in cases.values()), "every case in a feature"


def test_a_traceback_style_the_user_asks_for_still_shows(defective: tuple[int, str, str, Path]) -> None:
    _, _, _, junit = defective
    plain, short = _one_scenario(junit), _one_scenario(junit, "--tb=short")
    assert ARRIVES_THEN in plain and "steps/properties.py" not in plain, plain[-2000:]
    assert "steps/properties.py" in short and ARRIVES_THEN in short, short[-2000:]
