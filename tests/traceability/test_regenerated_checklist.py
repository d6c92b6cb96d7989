"""A regenerated checklist with rows of three new kinds (e-mail, a town, a web address), as a QA engineer meets
it: on a copy of the project, ``harness checklist scaffold`` adds the Examples rows, the suite passes on the fakes,
the sign-off proves each new row in both directions by as many scenarios as the phone rows, and each new row's
scenarios go red when the reference sync skips that one property. The passing run is made on the fakes in-process
and on loopback sockets.

Each suite run is the real one (``pytest -n 2 steps`` with Allure results, then ``harness signoff``) in a scratch copy,
so this module takes about a minute.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import copy_project, run, skip_property, suite_and_signoff

pytestmark = pytest.mark.slow  # runs the checklist suite in a subprocess

ROOT = Path(__file__).resolve().parents[2]
NEW_ROWS = (("email", "email"), ("city", "city"), ("website", "website"))
PHONE_ROW = ("directPhone", "phoneNumber")
ARROWS = ("CRMOffice → Business Central", "Business Central → CRMOffice")


def _run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return run(command, cwd, timeout)


def _add_rows(checklist: Path, rows: tuple[tuple[str, str], ...]) -> None:
    text = checklist.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    last = newline.join(["   * - mobilePhone", "     - mobilePhoneNumber", '     - "string"', ""])
    assert text.count(last) == 1, f"expected the mobilePhone row once in {checklist}"
    added = "".join(newline.join([f"   * - {o}", f"     - {t}", '     - "string"', ""]) for o, t in rows)
    checklist.write_bytes(text.replace(last, last + added).encode("utf-8"))


def _copy(copy: Path, rows: tuple[tuple[str, str], ...] = NEW_ROWS) -> Path:
    """The project as a user has it, with ``rows`` added to its checklist."""
    copy_project(copy)
    _add_rows(copy / "features" / "crmoffice-businesscentral.rst", rows)
    return copy


def _suite(project: Path, tenants: str = "mock") -> tuple[int, str, str]:
    return suite_and_signoff(project, tenants)


def _row_cell(markdown: str, origin: str, target: str, arrow: str) -> str:
    title = f"contacts-to-contacts: {origin} ↔ {target} ({arrow})"
    lines = [line for line in markdown.splitlines() if line.startswith(f"| {title} |")]
    assert len(lines) == 1, f"expected one sign-off line for {title}, found {lines}"
    return lines[0]


def _results(line: str) -> str:
    return line.split(" | ")[2]


def _scaffold(project: Path) -> subprocess.CompletedProcess[str]:
    return _run(
        [sys.executable, "-m", "harness", "checklist", "scaffold", "features/crmoffice-businesscentral.rst"], project
    )


def test_before_the_scaffold_the_suite_refuses_to_start_naming_the_tables(tmp_path: Path) -> None:
    project = _copy(tmp_path)
    status, output, _ = _suite(project)
    assert status == 4, f"expected pytest's usage-error exit 4 from the gate, found {status}: {output[-2000:]}"
    for origin, target in NEW_ROWS:
        assert f"features/contacts.feature:63: | {origin} | {target} |" in output, (
            f"expected the gate to name features/contacts.feature:63 with the row to paste for {origin}, "
            f"found {output[-3000:]}"
        )


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = _copy(tmp_path_factory.mktemp("regenerated"))
    done = _scaffold(project)
    assert done.returncode == 0, f"expected the scaffold to succeed, found {done.returncode}: {done.stderr}"
    for origin, target in NEW_ROWS:
        assert f"added | {origin} | {target} |" in done.stdout, f"expected {origin} added, found {done.stdout}"
    again = _scaffold(project)
    assert again.returncode == 0 and "nothing to add" in again.stdout, (
        f"expected a second scaffold to add nothing, found {again.returncode}: {again.stdout} {again.stderr}"
    )
    return project


@pytest.mark.parametrize("tenants", ["mock", "wire"])
def test_after_the_scaffold_each_new_row_is_proven_as_often_as_a_phone_row(scaffolded: Path, tenants: str) -> None:
    status, output, markdown = _suite(scaffolded, tenants)
    assert status == 0, f"expected the suite to pass with the new rows, found exit {status}: {output[-3000:]}"
    assert "**READY FOR SIGN-OFF**" in markdown, f"expected READY, found {markdown[:400]}"
    for arrow in ARROWS:
        phone = _results(_row_cell(markdown, *PHONE_ROW, arrow))
        assert re.fullmatch(r"\d+ passed \(of \d+ outlines\)", phone), f"unexpected phone row results {phone!r}"
        for origin, target in NEW_ROWS:
            line = _row_cell(markdown, origin, target, arrow)
            assert "| proven |" in line and _results(line) == phone, (
                f"expected {origin} ↔ {target} ({arrow}) proven by as many scenarios as the phone row ({phone}), "
                f"found {line[:300]}"
            )


@pytest.mark.parametrize(("origin", "target"), NEW_ROWS, ids=[origin for origin, _ in NEW_ROWS])
def test_a_sync_that_skips_a_new_property_fails_its_rows(scaffolded: Path, origin: str, target: str) -> None:
    original = skip_property(scaffolded, origin)
    try:
        status, output, markdown = _suite(scaffolded)
    finally:
        (scaffolded / "harness" / "sync" / "engine.py").write_text(original, encoding="utf-8")
    assert status == 1, (
        f"expected the suite to fail when the sync skips {origin}, found exit {status}: {output[-2000:]}"
    )
    for arrow in ARROWS:
        line = _row_cell(markdown, origin, target, arrow)
        assert "| FAILED |" in line, f"expected {origin} ↔ {target} ({arrow}) FAILED, found {line[:300]}"
    for other, other_target in (PHONE_ROW, *(row for row in NEW_ROWS if row[0] != origin)):
        line = _row_cell(markdown, other, other_target, ARROWS[1])
        assert "| proven |" in line, f"expected {other} ↔ {other_target} still proven, found {line[:300]}"


def test_a_row_no_generator_knows_is_refused_by_the_scaffold_and_at_session_start(tmp_path: Path) -> None:
    from harness.traceability.coverage import read_features, row_tables
    from harness.traceability.scaffold import Addition, write_additions

    project = _copy(tmp_path, rows=(("city", "privacyBlocked"),))
    before = {path: path.read_bytes() for path in (project / "features").glob("*.feature")}
    refused = _scaffold(project)
    assert refused.returncode == 1, f"expected the scaffold to refuse, found {refused.returncode}: {refused.stdout}"
    assert "city ↔ privacyBlocked" in refused.stderr and "harness/testdata/values.py" in refused.stderr, refused.stderr
    after = {path: path.read_bytes() for path in (project / "features").glob("*.feature")}
    assert after == before, "expected a refusing scaffold to change no feature file"
    # An engineer adds the rows by hand: the suite then refuses to start, naming the row and where to add a generator.
    scenarios, _ = read_features(project / "features", root=project)
    tables = [t for group in row_tables(scenarios).values() for t in group]
    by_hand = [Addition(t, t.cells("city", "privacyBlocked", lambda column: f"<{column}>")) for t in tables]
    write_additions(by_hand, project)
    status, output, _ = _suite(project)
    assert status == 4, f"expected the session to stop at start (exit 4), found {status}: {output[-2000:]}"
    assert "cannot start" in output and "city ↔ privacyBlocked" in output and "harness/testdata/values.py" in output, (
        output[-2000:]
    )
