"""``harness report``: what ``make qa`` does once the suite has run — the sign-off, then the Allure HTML report named
after its verdict, with the sign-off on its first screen, made self-contained.

Exit status: the suite's when it failed (``--suite-exit``), else the sign-off's (0 ready, 1 not ready, 2 an input is
missing), else 2 when the report could not be generated. The report is written whatever the outcome, so a failed run
can be read.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.report.cli import add_signoff_arguments, sign_off
from harness.report.offline import make_offline
from harness.report.panel import inject_panel, markdown_panel

__all__ = ["allure_command", "register", "run", "title"]

TITLE_LENGTH = 160
"""Allure shows the report's name as one heading: a longer verdict is cut there and given in full in the panel."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="sign off a finished suite run and generate its Allure HTML report (what make qa runs)"
    )
    add_signoff_arguments(parser)
    parser.add_argument("--report", default="reports/allure-report", help="the folder the HTML report goes to")
    parser.add_argument(
        "--allure",
        default=None,
        help="the Allure 3 command line (default: the project's own, installed by npm ci: node_modules/.bin/allure, "
        "else npx --no-install allure)",
    )
    parser.set_defaults(func=run)


def allure_command(given: str | None, project: Path) -> list[str]:
    """The Allure command line: ``given``, else the project's own binary (npx finds the same one, a few hundred
    milliseconds later), else npx's."""
    if given:
        return given.split()
    local = project / "node_modules" / ".bin" / "allure"
    return [str(local)] if local.is_file() else ["npx", "--no-install", "allure"]


def title(verdict_line: str) -> str:
    """The report's name: the verdict line, cut to :data:`TITLE_LENGTH` characters."""
    return verdict_line if len(verdict_line) <= TITLE_LENGTH else verdict_line[: TITLE_LENGTH - 1].rstrip() + "…"


def run(args: argparse.Namespace) -> int:
    made = sign_off(args, command="harness report")
    suite = int(args.suite_exit or 0)
    results = Path(args.results)
    if isinstance(made, int) or not results.is_dir():
        return suite or (made if isinstance(made, int) else 1)
    report = Path(args.report)
    shutil.rmtree(report, ignore_errors=True)
    verdict = made.verdict_line()
    command = [*allure_command(args.allure, Path.cwd()), "generate", str(results), "-o", str(report)]
    command += ["--report-name", title(verdict)]
    generated = subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
    page = report / "index.html"
    if generated.returncode != 0 or not page.is_file():
        print(
            f"harness report: {' '.join(command[:-1])} … failed (exit {generated.returncode}); no report",
            file=sys.stderr,
        )
        return suite or 2
    try:
        markdown = Path(args.out).read_text(encoding="utf-8")
        html = inject_panel(
            make_offline(page.read_text(encoding="utf-8")), markdown_panel(markdown, verdict, made.ready)
        )
    except ValueError as exc:
        print(f"harness report: {page}: {exc}", file=sys.stderr)
        return suite or 2
    page.write_text(html, encoding="utf-8")
    print(f"report: {page}")
    return suite or (0 if made.ready else 1)
