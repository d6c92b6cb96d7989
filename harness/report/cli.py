"""``harness signoff``: write ``reports/signoff.md`` from a finished run, and attach it to the Allure results.

Exit status: 0 when every checklist section, row and contract rule is proven, 1 when not, 2 when an input is
missing or unreadable (one line on stderr naming it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from harness.checklist import ChecklistError, parse_file
from harness.checklist.lint import lint
from harness.checklist.targets import KNOWN_PROPERTIES, REQUIRED_ON_CREATE
from harness.report.environment import read_properties
from harness.report.etiquette import read_etiquette
from harness.report.latency import read_crossings, summarise
from harness.report.signoff import SignOff, build_signoff, read_results, render_markdown
from harness.traceability.coverage import FeatureError, check_coverage, read_features

__all__ = ["add_signoff_arguments", "register", "sign_off", "write_signoff_result"]

DEFAULT_CHECKLIST = "features/crmoffice-businesscentral.rst"


_EXITS = {2: "it was interrupted", 3: "pytest failed internally", 4: "pytest refused its arguments (a usage error)"}


def _left_nothing(results_dir: Path, suite_exit: int | None) -> str | None:
    """Why the run has no results, when it has none: the folder is missing or holds no scenario."""
    if results_dir.is_dir() and any(results_dir.glob("*-result.json")):
        return None
    if suite_exit is None:
        return None  # no scenario ran, and nothing says why: the sign-off's counts tell
    why = _EXITS.get(suite_exit, f"it exited with status {suite_exit}")
    return f"The suite left no results in {results_dir}: {why}. Its own output says why."


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("signoff", help="write the sign-off summary of a finished checklist-suite run")
    add_signoff_arguments(parser)
    parser.set_defaults(func=run)


def add_signoff_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checklist",
        help="the checklist (.rst); default: the one the run used (its environment.properties), else "
        + DEFAULT_CHECKLIST,
    )
    parser.add_argument("--features", default="features", help="the folder of .feature files")
    parser.add_argument("--results", default="reports/allure-results", help="the run's Allure results folder")
    parser.add_argument("--out", default="reports/signoff.md", help="where to write the summary (Markdown)")
    parser.add_argument(
        "--suite-exit",
        type=int,
        metavar="STATUS",
        help="the suite's exit status (make qa passes it), to say why a run left no results",
    )
    parser.add_argument(
        "--no-attach", action="store_true", help="do not add the summary to the Allure results as its own entry"
    )


def run(args: argparse.Namespace) -> int:
    made = sign_off(args)
    return made if isinstance(made, int) else (0 if made.ready else 1)


def sign_off(args: argparse.Namespace, command: str = "harness signoff") -> SignOff | int:
    """Write the sign-off ``args`` ask for (and attach it to the results); the sign-off, or 2 when an input is
    missing or unreadable (one line on stderr naming it)."""
    results_dir = Path(args.results)
    try:
        if not results_dir.is_dir() and args.suite_exit is None:
            raise ValueError(f"{results_dir}: no such results folder; run the suite with --alluredir first")
        environment = read_properties(results_dir / "environment.properties")
        not_started = environment.pop("Run not started", None) or _left_nothing(results_dir, args.suite_exit)
        checklist = parse_file(args.checklist or environment.get("Checklist") or DEFAULT_CHECKLIST)
        features = Path(args.features)
        scenarios, problems = read_features(features, root=features.resolve().parent)
        results = read_results(results_dir)
        latency = summarise(read_crossings(results_dir))
        etiquette = read_etiquette(results_dir) if results_dir.is_dir() else []
    except (ChecklistError, FeatureError, ValueError, OSError) as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 2
    coverage = check_coverage(checklist, scenarios, problems)
    signoff = build_signoff(
        checklist,
        coverage,
        results,
        lint(checklist, required_on_create=REQUIRED_ON_CREATE, known_properties=KNOWN_PROPERTIES),
        environment,
        latency,
        not_started,
        etiquette,
    )
    text = render_markdown(signoff)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    if not args.no_attach and results_dir.is_dir():
        write_signoff_result(results_dir, signoff, text)
    verdict = "ready for sign-off" if signoff.ready else "NOT ready for sign-off"
    print(f"{out}: {verdict}: {signoff.proven} of {len(signoff.items)} items proven, {len(signoff.results)} scenarios")
    return signoff


def write_signoff_result(results_dir: Path, signoff: SignOff, markdown: str) -> Path:
    """The summary on the Allure report's home page, not as a test of its own (so the report counts the scenarios
    that pytest and JUnit count): a global attachment with the table, and, when not ready, a global error saying
    why. Allure 3 reads both from a ``*-globals.json`` file beside the results."""
    for old in results_dir.glob("signoff-*"):
        old.unlink()
    attachment = f"signoff-{uuid.uuid4()}-attachment.md"
    (results_dir / attachment).write_text(markdown, encoding="utf-8")
    now = int(time.time() * 1000)
    globals_: dict[str, Any] = {
        "attachments": [{"name": "Sign-off", "source": attachment, "type": "text/markdown", "timestamp": now}],
        "errors": [],
    }
    if not signoff.ready:
        globals_["errors"].append({"message": signoff.verdict_line(), "timestamp": now})
    path = results_dir / f"signoff-{uuid.uuid4()}-globals.json"
    path.write_text(json.dumps(globals_, indent=2, ensure_ascii=False), encoding="utf-8")
    return path
