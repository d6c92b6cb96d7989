"""``harness sync`` (one cycle against tenants given by their endpoints) and ``harness bench``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

__all__ = ["register"]

DEFAULT_CHECKLIST = Path("features/crmoffice-businesscentral.rst")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = subparsers.add_parser(
        "sync",
        help="run one cycle of the reference sync between two tenants",
        description="Run one cycle of the reference sync. The tenants are given as the JSON line `harness serve` "
        "prints (a file, or - for standard input); the state lives in a SQLite file.",
    )
    sync.add_argument("--tenants", required=True, metavar="FILE", help="tenant endpoints as JSON ('-': stdin)")
    sync.add_argument("--state", required=True, type=Path, metavar="PATH", help="the sync state file (SQLite)")
    sync.add_argument("--checklist", type=Path, default=DEFAULT_CHECKLIST, help=f"default {DEFAULT_CHECKLIST}")
    sync.add_argument("--reconcile", action="store_true", help="read everything to find deleted records")
    sync.add_argument(
        "--overlap-ms",
        type=_count,
        default=200,
        help="re-read this many milliseconds before each cursor, for records committed late (default 200)",
    )
    sync.add_argument("--json", action="store_true", help="print the whole report as JSON")
    sync.set_defaults(func=run_sync)

    bench = subparsers.add_parser(
        "bench",
        help="time the reference sync on fresh fakes",
        description="Seed fresh fakes with faker data (fixed seed) and time the initial, no-op and incremental syncs.",
    )
    bench.add_argument("--companies", type=_count, required=True)
    bench.add_argument("--contacts", type=_count, required=True)
    bench.add_argument("--edits", type=_count, default=0, help="edits on each side before the incremental sync")
    bench.add_argument("--tenants", choices=("mock", "wire"), default="mock")
    bench.add_argument("--seed", type=int, default=2024)
    bench.add_argument("--json", action="store_true", help="print one JSON object (the default prints it indented)")
    bench.set_defaults(func=run_bench_command)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected zero or more, got {value}")
    return value


def _load_endpoints(source: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read the tenants file {source}: {exc.strerror}") from None
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        endpoints = json.loads(lines[0] if len(lines) == 1 else text)
    except (json.JSONDecodeError, IndexError):
        raise ValueError(f"{source}: expected the JSON object `harness serve` prints") from None
    if not isinstance(endpoints, dict):
        raise ValueError(f"{source}: expected a JSON object with 'crmoffice' and 'businesscentral'")
    return endpoints


def run_sync(args: argparse.Namespace) -> int:
    from harness.checklist import ChecklistError, parse_file
    from harness.client import TenantError
    from harness.sync.engine import SyncEngine
    from harness.sync.plan import PlanError, plan_dataflow
    from harness.sync.state import StateError, SyncState
    from harness.tenants import pair_from_endpoints

    try:
        plans = plan_dataflow(parse_file(args.checklist))
        endpoints = _load_endpoints(args.tenants)
        state = SyncState(args.state)
    except (ChecklistError, PlanError, StateError, ValueError) as exc:
        print(f"harness sync: {exc}", file=sys.stderr)
        return 2
    try:
        with pair_from_endpoints(endpoints) as pair:
            engine = SyncEngine(
                plans, pair.crmoffice, pair.businesscentral, state, overlap=timedelta(milliseconds=args.overlap_ms)
            )
            report = engine.run(reconcile=True if args.reconcile else None)
    except (TenantError, ValueError) as exc:
        print(f"harness sync: {exc}", file=sys.stderr)
        return 1
    finally:
        state.close()
    if args.json:
        print(report.to_json())
    else:
        print(
            json.dumps(
                {
                    "counts": report.counts(),
                    "requests": report.requests,
                    "passes": report.passes,
                    "seconds": round(report.seconds, 3),
                    "failures": [
                        {"flow": f.flow, "origin_id": f.origin_id, **(f.error or {})} for f in report.failures
                    ],
                },
                indent=2,
            )
        )
    return 1 if report.failures else 0


def run_bench_command(args: argparse.Namespace) -> int:
    from harness.sync.bench import run_bench

    result = run_bench(args.companies, args.contacts, args.edits, args.tenants, args.seed)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0
