"""Files that are not checklists: a ChecklistError naming the file, the line and what was expected; exit status 2.

Each case starts from our real checklist and breaks one thing, so that the error can only come from that thing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harness.checklist import ChecklistError, parse_file
from harness.checklist.cli import EXIT_UNREADABLE, register

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "crmoffice-businesscentral.rst").read_bytes().replace(b"\r\n", b"\n")

_PROPERTY_TABLE = b"""   * - CRMOffice Contacts Property
     - Business Central Contacts (human data) Property
     - Business Central Data Type
   * - directPhone
     - phoneNumber
     - "string"
   * - mobilePhone
     - mobilePhoneNumber
     - "string"
"""


def _replace(old: bytes, new: bytes) -> bytes:
    assert GOOD.count(old) == 1, f"test setup: expected {old!r} exactly once in the good checklist"
    return GOOD.replace(old, new)


# (case id, file content, expected line, words the message must contain)
CASES: list[tuple[str, bytes, int | None, tuple[str, ...]]] = [
    ("empty", b"", 1, ("empty", "expected a Sesam Talk checklist")),
    ("markdown-not-rst", b"# Checklist\n\nSome *notes* here.\n", 1, ("no section", "expected", "Dataflow")),
    ("json-not-rst", b'{"title": "CRMOffice to Business Central Dataflow"}\n', 1, ("no section", "expected")),
    (
        "rst-but-not-a-checklist",
        b"Release notes\n=============\n\nNothing to see.\n",
        1,
        ("expected the title '<Source> to <Target> Dataflow'", "Release notes"),
    ),
    ("binary-nul", b"CRMOffice\n\x00\x01\x02", 2, ("binary", "NUL", "expected a UTF-8")),
    ("not-utf8", GOOD.replace(b"directPhone", b"direct\xffPhone"), 42, ("0xff", "not UTF-8", "expected a UTF-8")),
    (
        "no-generated-line",
        _replace(b"Generated: 2024-11-13 00:00:00\n", b""),
        3,
        ("expected 'Generated: YYYY-MM-DD HH:MM:SS' below the title",),
    ),
    (
        "bad-generated-date",
        _replace(b"Generated: 2024-11-13 00:00:00", b"Generated: 13.11.2024"),
        5,
        ("expected a date 'YYYY-MM-DD HH:MM:SS'", "13.11.2024"),
    ),
    (
        "property-table-with-two-columns",
        _replace(
            _PROPERTY_TABLE,
            b"   * - CRMOffice Contacts Property\n     - Business Central Contacts (human data) Property\n"
            b"   * - directPhone\n     - phoneNumber\n",
        ),
        36,
        ("expected a property table with 3 columns", "found 2"),
    ),
    (
        "table-rows-of-different-lengths",
        _replace(b'   * - mobilePhone\n     - mobilePhoneNumber\n     - "string"\n', b"   * - mobilePhone\n"),
        36,
        ("malformed reStructuredText", "expected", "same number of items"),
    ),
    (
        "merge-table-with-three-columns",
        _replace(
            b"The following properties are synchronized between a CRMOffice Contacts and a Business Central "
            b"Contacts (human data):\n",
            b"A CRMOffice Contacts will merge with a Business Central Contacts (human data) if one of the following "
            b"property combinations match:\n",
        ),
        36,
        ("expected a merge table with 2 columns", "found 3"),
    ),
    (
        "table-without-header-rows",
        _replace(
            b".. list-table::\n   :header-rows: 1\n\n   * - CRMOffice Contacts",
            b".. list-table::\n\n   * - CRMOffice Contacts",
        ),
        36,
        ("expected ':header-rows: 1'",),
    ),
    (
        "table-without-introducing-sentence",
        _replace(
            b"The following properties are synchronized between a CRMOffice Contacts and a Business Central "
            b"Contacts (human data):\n\n",
            b"",
        ),
        34,
        ("a table without its introducing sentence", "expected"),
    ),
    (
        "sentence-without-its-table",
        _replace(b".. list-table::\n   :header-rows: 1\n\n" + _PROPERTY_TABLE, b"Nothing follows.\n"),
        34,
        ("expected a list-table after", "The following properties"),
    ),
    (
        "no-template-sentence",
        _replace(
            b"Every CRMOffice Contacts will be synchronized with a Business Central Contacts (human data).\n\n", b""
        ),
        28,
        ("no template sentence", "expected 'Every <source> will be synchronized with a <target>.'"),
    ),
    (
        "section-naming-other-systems",
        GOOD.replace(b"CRMOffice Contacts", b"HubSpot Contact"),
        28,
        ("never names a 'CRMOffice' endpoint", "expected '<System> <Datatype> to <System> <Datatype>'"),
    ),
    (
        "flows-nested-under-the-introduction",
        _replace(b"Introduction\n------------\n", b"Introduction\n============\n"),
        12,
        ("a sub-section inside the Introduction", "expected entity-flow sections one level below the title"),
    ),
    (
        "unknown-directive",
        _replace(
            b".. list-table::\n   :header-rows: 1\n\n   * - CRMOffice Contacts",
            b".. list-tabel::\n   :header-rows: 1\n\n   * - CRMOffice Contacts",
        ),
        36,
        ("malformed reStructuredText", 'Unknown directive type "list-tabel"', "expected a Sesam Talk checklist"),
    ),
]


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / f"{name}.rst"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(("name", "content", "line", "words"), CASES, ids=[case[0] for case in CASES])
def test_malformed_file_raises_checklist_error_with_file_line_and_expectation(
    tmp_path: Path, name: str, content: bytes, line: int | None, words: tuple[str, ...]
) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(ChecklistError) as caught:
        parse_file(path)
    error = caught.value
    assert (error.path, error.line) == (str(path), line), (
        f"{name}: expected the error at {path}:{line}, found {error.path}:{error.line} ({error.message})"
    )
    text = str(error)
    assert text.startswith(f"{path}:{line}: "), f"{name}: expected the message to start with file:line, found {text!r}"
    missing = [word for word in words if word not in error.message]
    assert not missing, f"{name}: expected the message to mention {missing}, found {error.message!r}"


def test_missing_file_names_the_file_without_a_line(tmp_path: Path) -> None:
    path = tmp_path / "absent.rst"
    with pytest.raises(ChecklistError) as caught:
        parse_file(path)
    assert (caught.value.path, caught.value.line) == (str(path), None), (
        f"missing file: expected {path} with no line, found {caught.value.path}:{caught.value.line}"
    )
    assert "No such file" in caught.value.message and "expected a checklist file" in caught.value.message, (
        f"missing file: expected the OS reason and what was expected, found {caught.value.message!r}"
    )


def test_a_directory_is_not_a_checklist(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError) as caught:
        parse_file(tmp_path)
    assert caught.value.path == str(tmp_path) and "cannot read" in caught.value.message, (
        f"directory: expected 'cannot read' for {tmp_path}, found {caught.value}"
    )


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="harness")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


@pytest.mark.parametrize("action", ["show", "show --json", "lint", "diff"])
@pytest.mark.parametrize(("name", "content", "line", "words"), CASES, ids=[case[0] for case in CASES])
def test_cli_reports_malformed_file_on_stderr_and_exits_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    action: str,
    name: str,
    content: bytes,
    line: int | None,
    words: tuple[str, ...],
) -> None:
    path = _write(tmp_path, name, content)
    files = [str(DATA / "crmoffice-businesscentral.rst"), str(path)] if action == "diff" else [str(path)]
    status = _run(["checklist", *action.split(), *files])
    out, err = capsys.readouterr()
    assert status == EXIT_UNREADABLE, f"{action} {name}: expected exit status 2, found {status}"
    assert f"{path}:{line}: " in err, f"{action} {name}: expected '{path}:{line}: ' on stderr, found {err!r}"
    assert "Traceback" not in err + out, f"{action} {name}: expected no traceback, found {err!r}"
    assert err.count("\n") == 1, f"{action} {name}: expected our one line on stderr and nothing from docutils, {err!r}"


def test_cli_keeps_going_after_an_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path, "bad", b"not a checklist\n")
    good = DATA / "crmoffice-hubspot.rst"
    status = _run(["checklist", "show", "--json", str(bad), str(good)])
    out, err = capsys.readouterr()
    assert status == EXIT_UNREADABLE, f"expected exit status 2 when one of two files is unreadable, found {status}"
    assert out.count("\n") == 1 and '"target_system": "HubSpot"' in out, (
        f"expected the readable file {good.name} still shown as one JSON line, found {out!r}"
    )
    assert str(bad) in err, f"expected stderr to name {bad}, found {err!r}"
