"""``harness soak``: a seeded random history on both tenants while the product syncs them, checked against the
contract. Exit 0 when no rule was broken, 1 on violations, 2 on usage errors (and on tenants that cannot be reached
at the start, where nothing was tried, or a ``harness proxy`` that stopped answering mid-run, where nothing can be
judged), 3 when no product seems to be syncing (it carried none of the barriers' markers and none of the history's
records: nothing to judge)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.soak.session import Outcome

__all__ = ["NO_PRODUCT_STATUS", "register"]

DEFAULT_CHECKLIST = Path("features/crmoffice-businesscentral.rst")
NO_PRODUCT_STATUS = 3
"""The exit status when the product carried nothing (see :func:`harness.soak.checker.carried_nothing`)."""
UNDECIDED_DOC = 'docs/contract.md, "Undecided checks"'
EXIT_STATUS = (
    "exit status: 0 no rule broken; 1 violations; 2 usage errors, tenants not reachable at the start, or harness "
    "proxy gone mid-run; 3 no product seems to be syncing (none of the barriers' markers and none of the history's "
    "records crossed: nothing to judge)"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    soak = subparsers.add_parser(
        "soak",
        help="random user actions on both tenants while the product syncs, checked against the contract",
        description="Perform a seeded random history of user actions on both tenants (the ones `harness serve` "
        "printed, or real sandboxes from the settings) while the product syncs them on its own schedule; then wait "
        "for the product through barriers, check the final state and the history against the contract's rules, "
        "shrink a failing history to a minimal one and print it as a Gherkin scenario.",
        epilog=EXIT_STATUS,
    )
    soak.add_argument("--operations", type=_positive, required=True, help="user actions to perform (pauses aside)")
    soak.add_argument("--seed", type=int, required=True, help="the same seed gives the same history")
    soak.add_argument("--concurrency", type=_positive, default=4, help="actions at once in a burst (default 4)")
    soak.add_argument("--duration", type=_seconds, help="start no action after this many seconds")
    soak.add_argument("--tenants", metavar="FILE", help="`harness serve`'s JSON; default: real tenants from settings")
    soak.add_argument("--checklist", type=Path, default=DEFAULT_CHECKLIST, help=f"default {DEFAULT_CHECKLIST}")
    soak.add_argument(
        "--converge-timeout", type=_seconds, default=12.0, help="an edit must have crossed within this (default 12)"
    )
    soak.add_argument(
        "--full-sync-timeout", type=_seconds, default=40.0, help="a full read must have run within this (default 40)"
    )
    soak.add_argument("--idle", type=_seconds, default=3.0, help="longest idle spell between actions (default 3)")
    soak.add_argument(
        "--shrink-runs", type=int, default=20, help="runs allowed to shrink a failure (default 20; 0: no shrinking)"
    )
    soak.add_argument(
        "--proxy",
        metavar="URL",
        help="harness proxy's control URL (default HARNESS_PROXY_URL): the nemesis's trouble and rule 12's meters",
    )
    soak.add_argument(
        "--nemesis",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="trouble at the proxy before about RATE of the actions (e.g. 0.05), drawn from the seed; needs --proxy",
    )
    soak.add_argument("--alluredir", type=Path, help="write an Allure result (timeline, violations, reproduction)")
    soak.add_argument("--json", action="store_true", help="print the summary as JSON")
    soak.add_argument("--allow-production", action="store_true", help="also needs HARNESS_ALLOW_PRODUCTION=yes")
    soak.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness.businesscentral.client.guard import ProductionRefused
    from harness.checklist import ChecklistError, parse_file
    from harness.client import TenantError
    from harness.progress import wanted
    from harness.shared_tenants.runtag import new_run_id
    from harness.soak.session import Settings, run_soak
    from harness.sync.plan import PlanError, plan_dataflow
    from harness.tenants import open_pair

    if args.converge_timeout > args.full_sync_timeout:
        return _usage("--converge-timeout may not exceed --full-sync-timeout")
    proxy = args.proxy or os.environ.get("HARNESS_PROXY_URL") or None
    if args.nemesis and proxy is None:
        return _usage("--nemesis makes its trouble at harness proxy: give --proxy URL (or HARNESS_PROXY_URL)")
    if proxy is not None:
        from harness.proxy.client import ProxyControl, ProxyError

        try:
            with ProxyControl(proxy) as control:
                control.health()
        except ProxyError as exc:
            return _usage(str(exc))
    try:
        plans = plan_dataflow(parse_file(args.checklist))
    except (ChecklistError, PlanError) as exc:
        return _usage(str(exc))
    try:
        pair = open_pair(args.tenants, allow_production=args.allow_production)
    except (ProductionRefused, TenantError, ValueError) as exc:
        return _usage(f"cannot reach the tenants: {exc}")
    settings = Settings(
        operations=args.operations,
        seed=args.seed,
        concurrency=args.concurrency,
        duration=args.duration,
        converge_timeout=args.converge_timeout,
        full_sync_timeout=args.full_sync_timeout,
        shrink_runs=max(0, args.shrink_runs),
        idle=args.idle,
        proxy=proxy,
        nemesis=args.nemesis,
    )
    show = wanted(json_output=args.json)
    started_ms = int(time.time() * 1000)
    from harness.progress import Ticker
    from harness.proxy.client import ProxyError

    try:
        with pair, Ticker("harness soak", pair, show=show):
            outcome = run_soak(pair, plans, new_run_id(), settings, progress=_progress if show else lambda text: None)
    except ProxyError as exc:
        # The proxy stopped mid-run (its own output says why: the product kept exiting, it was stopped): nothing
        # the soak saw can be judged. The run's records were removed on the way out.
        return _usage(f"the soak stopped: {exc}")
    if args.alluredir is not None:
        from harness.soak.allure import write_result

        write_result(outcome, args.alluredir, started_ms=started_ms)
    if args.json:
        print(json.dumps(outcome.to_dict(), ensure_ascii=False))
    else:
        _print(outcome)
    if outcome.no_product:
        return NO_PRODUCT_STATUS
    return 0 if outcome.verdict.ok else 1


def _print(outcome: Outcome) -> None:
    summary = outcome.to_dict()
    if outcome.no_product:
        # Nothing crossed: the rules' violations would all be the product's absence; say that instead.
        print(
            f"harness soak: seed {summary['seed']}, {summary['operations']} actions ({summary['skipped']} skipped) in "
            f"{summary['seconds']} s; nothing judged"
        )
        print(outcome.no_product)
        return
    checks = ", ".join(f"rule {rule}: {count}" for rule, count in summary["checks"].items())
    undecided = len(outcome.verdict.undecided)
    print(
        f"harness soak: seed {summary['seed']}, {summary['operations']} actions ({summary['skipped']} skipped) in "
        f"{summary['seconds']} s; checks {checks}; {undecided} undecided"
    )
    if undecided:
        print(
            f"  {undecided} undecided: the users' writes and the product's reads interleaved so that the contract "
            f"allows either end state (both sides must still agree); see {UNDECIDED_DOC}"
        )
    troubles = [e for e in outcome.events if e.action.kind == "trouble"]
    if troubles:
        print(f"  the nemesis made {len(troubles)} trouble(s):")
        for event in troubles:
            print(f"    #{event.index} at {event.at:.1f} s: {event.action.describe().removeprefix('the nemesis: ')}")
    for violation in outcome.verdict.violations:
        print(f"  VIOLATION rule {violation.rule}, {violation.record}: {violation.message}")
    if outcome.reproduction:
        print("\nMinimal reproduction (paste into the feature file of its section):\n")
        print(outcome.reproduction)
    print("NO VIOLATION" if outcome.verdict.ok else f"{len(outcome.verdict.violations)} VIOLATION(S)")


def _progress(text: str) -> None:
    print(f"harness soak: {text}", file=sys.stderr, flush=True)


def _usage(message: str) -> int:
    print(f"harness soak: {message}", file=sys.stderr)
    return 2


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"a share of the actions from 0 to 1 (e.g. 0.05), got {text}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value
