"""``harness checklist show | lint | diff`` (and ``scaffold``, from :mod:`harness.commands.scaffold`): read Sesam
Talk checklists from the command line.

Exit status: 0 fine; 1 lint found an error, or diff found a difference (as diff(1)); 2 a file could not be read
as a checklist (the reason goes to stderr as ``path:line: message``, never as a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys

from harness.checklist.diff import diff_checklists
from harness.checklist.errors import ChecklistError
from harness.checklist.lint import Severity, lint
from harness.checklist.model import Checklist
from harness.checklist.parse import parse_file
from harness.checklist.render import render_checklist, render_diff, render_finding
from harness.checklist.targets import KNOWN_PROPERTIES, REQUIRED_ON_CREATE

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_UNREADABLE", "register"]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add ``checklist`` and its actions to the ``harness`` command; returns the actions, for others to add to
    (``scaffold`` knows the features, so it registers from :mod:`harness.commands.scaffold`)."""
    parser = subparsers.add_parser(
        "checklist",
        help="read, lint and compare Sesam Talk checklists",
        description="Read Sesam Talk checklists (reStructuredText) into the dataflow model the harness tests.",
    )
    actions = parser.add_subparsers(dest="checklist_action", required=True, metavar="ACTION")

    show = actions.add_parser("show", help="print the dataflow model of each checklist")
    show.add_argument("--json", action="store_true", help="one JSON object per file per line")
    show.add_argument("files", nargs="+", metavar="FILE")
    show.set_defaults(func=_show)

    lint_parser = actions.add_parser(
        "lint", help="report findings; exit 1 if any is an error", description="Exit 1 if any finding is an error."
    )
    lint_parser.add_argument("files", nargs="+", metavar="FILE")
    lint_parser.set_defaults(func=_lint)

    diff = actions.add_parser(
        "diff",
        help="list flows and rows added, removed or changed from OLD to NEW",
        description="Exit 0 when the checklists say the same, 1 when they differ.",
    )
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.set_defaults(func=_diff)
    return actions


def _read(path: str) -> Checklist | None:
    try:
        return parse_file(path)
    except ChecklistError as exc:
        print(f"harness checklist: error: {exc}", file=sys.stderr)
        return None


def _show(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for index, path in enumerate(args.files):
        checklist = _read(path)
        if checklist is None:
            status = EXIT_UNREADABLE
            continue
        if args.json:
            print(json.dumps(checklist.to_dict(), ensure_ascii=False))
        else:
            print(("\n" if index else "") + render_checklist(checklist), end="")
    return status


def _lint(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for path in args.files:
        checklist = _read(path)
        if checklist is None:
            status = EXIT_UNREADABLE
            continue
        findings = lint(checklist, required_on_create=REQUIRED_ON_CREATE, known_properties=KNOWN_PROPERTIES)
        for finding in findings:
            print(render_finding(path, finding))
        errors = sum(finding.severity is Severity.ERROR for finding in findings)
        print(f"{path}: {errors} error(s), {len(findings) - errors} other finding(s)")
        if errors and status == EXIT_OK:
            status = EXIT_FINDINGS
    return status


def _diff(args: argparse.Namespace) -> int:
    old = _read(args.old)
    new = _read(args.new)
    if old is None or new is None:
        return EXIT_UNREADABLE
    result = diff_checklists(old, new)
    print(render_diff(result), end="")
    return EXIT_OK if result.is_empty else EXIT_FINDINGS
