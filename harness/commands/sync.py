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
    _register_sync(subparsers)
    _register_bench(subparsers)


def _register_sync(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = subparsers.add_parser(
        "sync",
        help="run one cycle of the reference sync between two tenants",
        description="Run one cycle of the reference sync. The tenants are given as the JSON line `harness serve` "
        "prints (a file, or - for standard input); the state lives in a SQLite file.",
    )
    sync.add_argument(
        "--tenants",
        metavar="FILE",
        help="tenant endpoints as JSON ('-': stdin); without it, real tenants from the settings (docs/running.md)",
    )
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
    sync.add_argument("--watch", action="store_true", help="keep syncing, a cycle every --interval seconds")
    sync.add_argument("--interval", type=_seconds, default=5.0, help="seconds between cycles with --watch (default 5)")
    sync.add_argument(
        "--reconcile-every",
        type=_count,
        default=12,
        help="with --watch, read everything (to find deletes) every N cycles; the first cycle always (default 12)",
    )
    sync.add_argument("--timeout", type=_seconds, default=30.0, help="seconds a request may take (default 30)")
    sync.add_argument(
        "--allow-production",
        action="store_true",
        help="write to a production Business Central environment; also needs HARNESS_ALLOW_PRODUCTION=yes",
    )
    sync.set_defaults(func=run_sync)


def _register_bench(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"expected 0 to 86400 seconds, got {value}")
    return value


def run_sync(args: argparse.Namespace) -> int:
    from harness.businesscentral.client.guard import ProductionRefused
    from harness.checklist import ChecklistError, parse_file
    from harness.client import TenantError
    from harness.sync.plan import PlanError, plan_dataflow
    from harness.sync.state import StateError, SyncState
    from harness.tenants import open_pair

    if args.reconcile_every < 1:
        print("harness sync: --reconcile-every must be at least 1", file=sys.stderr)
        return 2
    try:
        plans = plan_dataflow(parse_file(args.checklist))
        state = SyncState(args.state)
    except (ChecklistError, PlanError, StateError, ValueError) as exc:
        print(f"harness sync: {exc}", file=sys.stderr)
        return 2
    try:
        try:
            pair = open_pair(args.tenants, allow_production=args.allow_production, timeout=args.timeout or 30.0)
        except (ProductionRefused, ValueError) as exc:
            print(f"harness sync: {exc}", file=sys.stderr)
            return 2
        with pair:
            if args.watch:
                return _watch(args, plans, pair, state)
            from harness.progress import Ticker, wanted

            with Ticker("harness sync", pair, show=wanted(json_output=args.json)):
                report = _cycle(args, plans, pair, state, reconcile=True if args.reconcile else None)
    except TenantError as exc:
        print(f"harness sync: {exc}", file=sys.stderr)
        return 1
    finally:
        state.close()
    _print_report(report, full=args.json)
    return 1 if report.failures else 0


def _cycle(args: argparse.Namespace, plans: Any, pair: Any, state: Any, *, reconcile: bool | None) -> Any:
    from harness.sync.engine import SyncEngine

    engine = SyncEngine(
        plans, pair.crmoffice, pair.businesscentral, state, overlap=timedelta(milliseconds=args.overlap_ms)
    )
    return engine.run(reconcile=reconcile)


def _watch(args: argparse.Namespace, plans: Any, pair: Any, state: Any) -> int:
    import signal
    import threading

    from harness.sync.watch import watch

    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        # Finish the cycle in progress (it commits as it goes), then leave: stopping never loses state.
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}

    def report_cycle(number: int, report: Any, error: Exception | None) -> None:
        if error is not None:
            print(f"harness sync: cycle {number} failed, trying again: {error}", file=sys.stderr, flush=True)
        elif report.records or args.json:
            print(json.dumps({"cycle": number, "counts": report.counts(), "writes": report.writes}), flush=True)

    try:
        stats = watch(
            lambda reconcile: _cycle(args, plans, pair, state, reconcile=reconcile or None),
            interval=args.interval,
            reconcile_every=args.reconcile_every,
            stop=stop,
            on_cycle=report_cycle,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(
        json.dumps(
            {"stopped": True, "cycles": stats.cycles, "failed_cycles": stats.failed_cycles, "writes": stats.writes}
        ),
        flush=True,
    )
    return 0


def _print_report(report: Any, *, full: bool) -> None:
    if full:
        print(report.to_json())
        return
    print(
        json.dumps(
            {
                "counts": report.counts(),
                "requests": report.requests,
                "passes": report.passes,
                "seconds": round(report.seconds, 3),
                "failures": [{"flow": f.flow, "origin_id": f.origin_id, **(f.error or {})} for f in report.failures],
            },
            indent=2,
        )
    )


def run_bench_command(args: argparse.Namespace) -> int:
    from harness.commands.bench import BenchWrong, run_bench
    from harness.progress import wanted

    try:
        result = run_bench(
            args.companies, args.contacts, args.edits, args.tenants, args.seed, progress=wanted(json_output=args.json)
        )
    except BenchWrong as exc:
        print(f"harness bench: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0
