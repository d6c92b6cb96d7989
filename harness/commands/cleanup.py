"""``harness cleanup``: remove what test runs left on shared tenants, recognised by the run tag in their names.

Exit status: 0 when everything matched was removed (or would be, with ``--dry-run``), 1 when some records could not
be removed (each named on stderr), 2 for bad arguments, unusable settings or a refused environment.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cleanup",
        help="remove test runs' records from shared tenants",
        description="Remove the records test runs created, found by the run tag in their names "
        "(qa-<run id>-<scenario>). Records without a tag are never touched.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--run-id", help="the run whose records to remove (its id is in the report's environment)")
    which.add_argument("--older-than", metavar="DURATION", help="every run that started longer ago (90m, 12h, 7d)")
    parser.add_argument("--tenants", metavar="FILE", help="`harness serve`'s JSON; default: real tenants from settings")
    parser.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    parser.add_argument("--allow-production", action="store_true", help="also needs HARNESS_ALLOW_PRODUCTION=yes")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness.businesscentral.client.guard import ProductionRefused
    from harness.client import TenantError
    from harness.shared_tenants.cleanup import cleanup, matcher
    from harness.shared_tenants.runtag import parse_duration
    from harness.tenants import open_pair

    try:
        older = parse_duration(args.older_than) if args.older_than else None
        matches = matcher(run_id=args.run_id, older_than=older)
        pair = open_pair(args.tenants, allow_production=args.allow_production)
    except (ProductionRefused, ValueError) as exc:
        print(f"harness cleanup: {exc}", file=sys.stderr)
        return 2
    from harness.progress import Ticker, wanted

    try:
        # The report is JSON on standard output; progress goes to standard error, on a terminal only.
        with pair, Ticker("harness cleanup", pair, show=wanted()):
            report = cleanup(pair, matches, dry_run=args.dry_run)
    except TenantError as exc:
        print(f"harness cleanup: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"dry_run": args.dry_run, **report.to_dict()}, indent=2, ensure_ascii=False))
    for error in report.errors:
        print(f"harness cleanup: not removed: {error}", file=sys.stderr)
    return 1 if report.errors else 0
