"""``harness doctor``: is this machine ready to run the suite against real tenants?

It reads the settings and asks each tenant what a run asks first — signing in, the company, the environment's type,
one record of each kind — writing nothing, and prints one line per check: what is fine, and for what is not, what to
fix (the exact setting, Entra permission or Business Central page). Checks after a failed one that needs it are
skipped, saying so. Exit status: 0 when nothing blocks a run (notices allowed), 1 when something does, 2 for bad
arguments. ``--json`` prints the same as one JSON object. No secret is ever printed: messages carry URLs and the
tenants' answers, never credentials.

A sandbox run asks the same at its start (:func:`blocker`, from the suite's ``conftest.py``): the first check that
fails stops it with that check's words in one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Generator, Mapping
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from harness.businesscentral.client.guard import OPT_IN_FLAG, OPT_IN_VARIABLE, ProductionRefused, check_environment
from harness.client import RetryPolicy, TenantError
from harness.client.ratelimit import RateLimit
from harness.settings import Settings, SettingsError
from harness.tenants import TenantPair, clients, company_id, diagnosis

__all__ = ["QUICK_RETRY", "QUICK_TIMEOUT", "Check", "blocker", "diagnose", "register"]

Status = Literal["ok", "failed", "skipped", "notice"]
SKEW_NOTICE = 60.0
"""Seconds between this machine's clock and a tenant's beyond which the doctor says so (tokens and Retry-After dates
are judged by the local clock)."""

# One quick answer per question: a doctor that waits through a run's retries would hide what is wrong for minutes.
QUICK_RETRY = RetryPolicy(attempts=2, backoff=0.2, budget=10.0)
QUICK_TIMEOUT = httpx.Timeout(15.0, connect=3.0)
"""A tenant that does not even accept the connection within 3 s is unreachable; an answer may take 15 s."""


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {"ok": "✔", "failed": "✘", "skipped": "○", "notice": "!"}[self.status]
        return f"{mark} {self.name}: {self.detail}" + (f" — fix: {self.fix}" if self.fix else "")

    def problem(self) -> str:
        """What is wrong and what to fix, as one line (a tenant's answer may hold line breaks)."""
        return " ".join(f"{self.detail}; {self.fix}".split()) if self.fix else " ".join(self.detail.split())


def diagnose(environ: Mapping[str, str] | None = None, *, now: Callable[[], datetime] | None = None) -> list[Check]:
    """Every check, in the order a run meets them."""
    try:
        settings = Settings.from_env(environ)
    except SettingsError as exc:
        return [_settings_failed(exc)]
    clock = now or (lambda: datetime.now(UTC))
    return [Check("settings", "ok", _described(settings)), *_tenant_checks(settings, now=clock)]


def blocker(settings: Settings, *, allow_production: bool = False, rate_limit: RateLimit | None = None) -> Check | None:
    """The first tenant check that fails with these settings, or None: what a sandbox run asks at its start, within
    seconds (:data:`QUICK_RETRY`, :data:`QUICK_TIMEOUT`); the checks after a failed one are not asked."""
    checks = _tenant_checks(settings, allow_production=allow_production, rate_limit=rate_limit)
    with closing(checks):
        return next((check for check in checks if check.status == "failed"), None)


def _tenant_checks(
    settings: Settings,
    *,
    allow_production: bool = False,
    rate_limit: RateLimit | None = None,
    now: Callable[[], datetime] | None = None,
) -> Generator[Check]:
    """Each tenant check as it is answered (CRMOffice, then Business Central, then with ``now`` the clocks)."""
    try:
        pair = clients(settings, retry=QUICK_RETRY, timeout=QUICK_TIMEOUT, rate_limit=rate_limit)
    except SettingsError as exc:
        yield _settings_failed(exc)
        return
    with pair:
        yield from _crmoffice(pair)
        yield from _businesscentral(pair, settings, allow_production=allow_production)
        if now is not None:
            yield from _clocks(pair, now())


def _settings_failed(error: SettingsError) -> Check:
    return Check("settings", "failed", "; ".join(error.problems), "set them as docs/sandbox.md describes")


def _described(settings: Settings) -> str:
    return (
        f"CRMOffice {settings.crmoffice_api_url}; Business Central tenant {settings.bc_tenant}, environment "
        f"{settings.bc_environment}, company {settings.bc_company} ({settings.bc_auth})"
    )


def _crmoffice(pair: TenantPair) -> list[Check]:
    try:
        for resource in ("companies", "contacts"):
            next(pair.crmoffice.pages(resource, page_size=1))
    except TenantError as exc:
        return [_failed("CRMOffice", exc)]
    return [Check("CRMOffice", "ok", "signed in; companies and contacts readable")]


def _businesscentral(pair: TenantPair, settings: Settings, *, allow_production: bool) -> list[Check]:
    bc = pair.businesscentral
    try:
        bc.company_id = company_id(bc, settings)
    except TenantError as exc:
        return [_failed("Business Central sign-in", exc), *_skipped("sign-in")]
    except SettingsError as exc:
        return [
            Check("Business Central sign-in", "ok", "signed in; the environment's companies listed"),
            Check(
                "Business Central company",
                "failed",
                "; ".join(exc.problems),
                "set BC_COMPANY to the name or id of one of the companies listed",
            ),
            *_skipped("company")[1:],
        ]
    checks = [
        Check("Business Central sign-in", "ok", "signed in; the environment's companies listed"),
        Check("Business Central company", "ok", f"{settings.bc_company} is company {bc.company_id}"),
    ]
    try:
        kind = check_environment(bc, settings.bc_environment, allow_production=allow_production)
        if kind == "sandbox":
            checks.append(Check("Business Central environment", "ok", f"{settings.bc_environment} is a sandbox"))
        else:
            opted_in = f"writing to it is allowed ({OPT_IN_FLAG} and {OPT_IN_VARIABLE}=yes)"
            detail = f"{settings.bc_environment} is of type {kind!r}, not a sandbox; {opted_in}"
            checks.append(Check("Business Central environment", "notice", detail))
    except ProductionRefused as exc:
        checks.append(
            Check("Business Central environment", "failed", str(exc), "set BC_ENVIRONMENT to a sandbox environment")
        )
    except TenantError as exc:
        checks.append(_failed("Business Central environment", exc))
    try:
        for entity_set in ("customers", "contacts"):
            next(bc.pages(entity_set, page_size=1, select=["id"]))
        checks.append(Check("Business Central records", "ok", "customers and contacts readable"))
    except TenantError as exc:
        checks.append(_failed("Business Central records", exc))
    return checks


def _skipped(after: str) -> list[Check]:
    names = ("Business Central company", "Business Central environment", "Business Central records")
    return [Check(name, "skipped", f"needs the {after} check to pass first") for name in names]


def _clocks(pair: TenantPair, now: datetime) -> list[Check]:
    checks = []
    for name, stated in (
        ("CRMOffice", pair.crmoffice.server_time),
        ("Business Central", pair.businesscentral.server_time),
    ):
        if stated is None:
            continue  # it never answered, or stated no time: reported above
        skew = (now - stated).total_seconds()
        if abs(skew) > SKEW_NOTICE:
            where = "behind" if skew > 0 else "ahead of"
            detail = f"its clock is {abs(skew):.0f} s {where} this machine's"
            checks.append(Check(f"{name} clock", "notice", detail, "synchronise this machine's clock (NTP)"))
        else:
            checks.append(Check(f"{name} clock", "ok", f"within {SKEW_NOTICE:.0f} s of this machine's ({skew:+.0f} s)"))
    return checks


def _failed(name: str, error: TenantError) -> Check:
    happened, check = diagnosis(error)
    return Check(name, "failed", happened, check)


# --- the command ------------------------------------------------------------------------------------------------------
def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the settings and both real tenants before a sandbox run (reads only)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print the checks as one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    checks = diagnose()
    blocked = any(check.status == "failed" for check in checks)
    if args.json:
        payload: dict[str, Any] = {"ready": not blocked, "checks": [asdict(check) for check in checks]}
        print(json.dumps(payload, ensure_ascii=False))
    else:
        for check in checks:
            print(check.line())
        print("ready for a sandbox run" if not blocked else "NOT ready: fix what is marked ✘, then run harness doctor")
    sys.stdout.flush()
    return 1 if blocked else 0
