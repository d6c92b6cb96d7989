"""One ``harness soak``: run a seeded program against the tenants, check it, shrink a failure, report it.

The session owns the run's barrier service (the marker records of :mod:`harness.barriers.marker_records`), gives each
run of a history a tag of its own (the first run and every shrinking run), and removes every record of the run at the
end, whatever happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.barriers.barrier import BarrierService
from harness.barriers.external_run import poll_interval
from harness.barriers.marker_records import TenantBoard
from harness.client.redact import redact_url
from harness.proxy.client import ProxyControl, ProxyError
from harness.shared_tenants.cleanup import CleanupReport, cleanup, matcher
from harness.shared_tenants.runtag import RunTag
from harness.soak.checker import Verdict, carried_nothing, check
from harness.soak.gherkin import scenario
from harness.soak.history import Action, Event, FinalState
from harness.soak.nemesis import add_nemesis
from harness.soak.program import Program, generate
from harness.soak.runner import Runner
from harness.soak.shrink import Replay, Shrunk, shrink
from harness.sync.plan import FlowPlan
from harness.tenants import TenantPair
from harness.testdata.values import RowValues, values_by_property
from harness.traffic.limits import judge

__all__ = ["NO_PRODUCT", "Outcome", "Settings", "run_soak"]

SOAK_SCENARIO = 0x50A0
"""The scenario part of a soak's tags (``qa-<run>-50a0``, then ``50a1`` … for each later run of a history)."""


@dataclass(frozen=True)
class Settings:
    operations: int
    seed: int
    concurrency: int = 4
    duration: float | None = None
    converge_timeout: float = 12.0
    full_sync_timeout: float = 40.0
    shrink_runs: int = 20
    idle: float = 3.0
    proxy: str | None = None
    """``harness proxy``'s control URL: the nemesis's trouble goes there, and its meters judge rule 12."""
    nemesis: float = 0.0
    """Trouble actions per user action (0: none); see :mod:`harness.soak.nemesis`."""


@dataclass
class Outcome:
    """What ``harness soak`` reports."""

    program: Program
    events: list[Event]
    final: FinalState
    verdict: Verdict
    seconds: float
    run_id: str
    shrunk: Shrunk | None = None
    reproduction: str = ""
    cleanup: CleanupReport | None = None
    latencies: list[dict[str, Any]] = field(default_factory=list)
    no_product: str = ""
    """Set when the product carried nothing (:func:`harness.soak.checker.carried_nothing`): what was seen and what
    to check, from "no product seems to be syncing: "; the verdict's violations are then not the product's."""

    def to_dict(self) -> dict[str, Any]:
        ran = [e for e in self.events if e.action.kind not in ("pause", "trouble")]
        shape: dict[str, Any] = {
            "seed": self.program.seed,
            "run_id": self.run_id,
            "operations": len(ran),
            "skipped": sum(1 for e in ran if e.skipped is not None),
            "troubles": sum(1 for e in self.events if e.action.kind == "trouble"),
            "seconds": round(self.seconds, 1),
            **self.verdict.to_dict(),
        }
        if self.no_product:
            shape["no_product"] = self.no_product
        if self.shrunk is not None:
            shape["shrinking"] = {
                "runs": [{"actions": n, "failed": failed} for n, failed in self.shrunk.runs],
                "minimal_actions": [a.to_dict() for a in self.shrunk.minimal.actions],
                "confirmed": self.shrunk.confirmed,
            }
            shape["reproduction"] = self.reproduction
        if self.latencies:
            # The product's latency as the barriers measured it (marker change → seen on the other side).
            seconds = sorted(float(c["seconds"]) for c in self.latencies)
            shape["latency"] = {
                "crossings": len(seconds),
                "median": seconds[len(seconds) // 2],
                "max": seconds[-1],
            }
        if self.cleanup is not None:
            shape["removed"] = self.cleanup.total
        return shape


def run_soak(
    pair: TenantPair,
    plans: Sequence[FlowPlan],
    run_id: str,
    settings: Settings,
    *,
    progress: Callable[[str], None] = lambda text: None,
) -> Outcome:
    proxy = ProxyControl(settings.proxy) if settings.proxy else None
    program = _program(plans, settings, proxy)
    rows: dict[str, list[RowValues]] = {plan.origin: _rows(plan) for plan in plans}
    board = TenantBoard(pair, plans, run_id, seed=settings.seed)
    service = BarrierService(
        board,
        converge_timeout=settings.converge_timeout,
        full_sync_timeout=settings.full_sync_timeout,
        poll=poll_interval(settings.converge_timeout),
        allowance=proxy.trouble_seconds if proxy is not None else None,
    )
    service.start()
    started = time.monotonic()
    attempts = iter(range(SOAK_SCENARIO, SOAK_SCENARIO + 0x0FFF))

    def attempt(actions: Sequence[Action], *, quiet: bool = True) -> tuple[list[Event], FinalState, Verdict]:
        runner = Runner(
            pair,
            plans,
            RunTag(run_id, next(attempts)),
            service,
            settings.converge_timeout,
            settings.full_sync_timeout,
            settings.concurrency,
            stop_after=settings.duration,
            # Looks for a counterpart as often as the barriers look for markers: a real sandbox's rate limit is
            # shared by the soak's concurrent waits, the barriers and the product.
            poll=poll_interval(settings.converge_timeout),
            proxy=proxy,
        )
        events = runner.run(actions)
        cycled, final = runner.settle(quiet=quiet)
        verdict = check(events, final, rows, window=settings.converge_timeout)
        if proxy is not None:
            proxy.clear_faults()  # trouble the product never met stays in this history, not the next one's
            etiquette(proxy, verdict)
        early = check(events, cycled, rows, window=settings.converge_timeout, full_read=False)
        known = {(v.rule, v.record) for v in verdict.violations}
        for violation in early.violations:
            if (violation.rule, violation.record) not in known:
                verdict.fail(violation.rule, violation.record, f"before the full read: {violation.message}")
        return events, final, verdict

    try:
        progress(f"running {len(program.actions)} actions (seed {settings.seed})")
        events, final, verdict = attempt(program.actions)
        outcome = Outcome(program, events, final, verdict, time.monotonic() - started, run_id)
        if carried_nothing(events, final, len(service.crossings)):
            outcome.no_product = _no_product(pair, events, final, settings, proxy, time.monotonic() - started)
        rules = [] if outcome.no_product else _shrink_targets(verdict)
        if rules and settings.shrink_runs > 0:
            progress(f"{len(verdict.violations)} violation(s), shrinking the history (rules {rules})")

            def replay_for(rule: int) -> Callable[[Sequence[Action]], Replay]:
                def replay(actions: Sequence[Action]) -> Replay:
                    replayed, _final, replayed_verdict = attempt(actions, quiet=rule == 8)
                    return Replay(tuple(actions), tuple(replayed), replayed_verdict)

                return replay

            budget = settings.shrink_runs
            shrunk: Shrunk | None = None
            # A failure that the records it names reproduce on their own shrinks well; try the rules in turn (one run
            # each), then shrink the whole history on the first.
            for rule in rules:
                shrunk = shrink(program.actions, verdict, replay_for(rule), rule=rule, limit=budget, focus_only=True)
                budget -= 1
                if shrunk is not None or budget < 3:
                    break
            if shrunk is None:
                rule = rules[0]
                shrunk = shrink(program.actions, verdict, replay_for(rule), rule=rule, limit=max(budget, 2))
            assert shrunk is not None
            outcome.shrunk = shrunk
            minimal = shrunk.minimal
            failing = [v for v in minimal.verdict.violations if v.rule == rule] or verdict.violations[:1]
            plan_by_flow: dict[str, FlowPlan] = {plan.origin: plan for plan in plans}
            outcome.reproduction = scenario(
                list(minimal.events), failing, plan_by_flow, window=settings.converge_timeout
            )
        outcome.seconds = time.monotonic() - started
        outcome.latencies = [c.to_dict() for c in service.crossings]
        return outcome
    finally:
        service.close()
        report = cleanup(pair, matcher(run_id=run_id))
        if "outcome" in locals():
            outcome.cleanup = report
        if proxy is not None:
            proxy.close()


def _program(plans: Sequence[FlowPlan], settings: Settings, proxy: ProxyControl | None) -> Program:
    program = generate(
        plans, operations=settings.operations, seed=settings.seed, concurrency=settings.concurrency, idle=settings.idle
    )
    if settings.nemesis > 0:
        if proxy is None:
            raise ValueError("the nemesis makes its trouble at harness proxy: give --proxy URL")
        crash = bool(proxy.product().get("managed"))
        program.actions = add_nemesis(program.actions, rate=settings.nemesis, seed=settings.seed, crash=crash)
    return program


NO_PRODUCT = "no product seems to be syncing: "


def _no_product(
    pair: TenantPair,
    events: Sequence[Event],
    final: FinalState,
    settings: Settings,
    proxy: ProxyControl | None,
    seconds: float,
) -> str:
    """One line: what the soak planted and waited for that never crossed, the tenants, and what to check."""
    created = len({e.action.record for e in events if e.action.kind == "create" and not e.action.bc_only})
    tenants = (
        f"CRMOffice {redact_url(pair.crmoffice.http.base_url)} and Business Central "
        f"{redact_url(pair.businesscentral.http.base_url)}"
    )
    return (
        f"{NO_PRODUCT}none of the marker changes of {len(final.barriers_missed)} barrier(s) crossed (bounds "
        f"--converge-timeout {settings.converge_timeout:g} s, --full-sync-timeout {settings.full_sync_timeout:g} s), "
        f"and none of the {created} CRMOffice record(s) of the history got a Business Central counterpart, in "
        f"{seconds:.0f} s; is a product running against {tenants}? {_product_hint(proxy)}"
    )


def _product_hint(proxy: ProxyControl | None) -> str:
    if proxy is None:
        return (
            "Check the product's command and that its settings (e.g. the file `harness serve --env-file` wrote) name "
            "these tenants."
        )
    try:
        product = proxy.product()
    except ProxyError:
        product = {}
    if not product.get("managed"):
        return (
            "harness proxy did not start it: check the product's command and that its settings (the file `harness "
            "proxy --env-file` wrote) send it through the proxy's fronts."
        )
    return (
        f"harness proxy started it ({product.get('state')}, {product.get('starts')} start(s)): see its log "
        f"{product.get('log')} and its command (--product-command)."
    )


def etiquette(proxy: ProxyControl, verdict: Verdict) -> None:
    """Rule 12 from the proxy's meters: every published limit of the tenants the product broke since the proxy
    started (a limit is the product's whole run's, not one record's)."""
    for limit in judge(proxy.meters()):
        verdict.expect(
            limit.held,
            12,
            "*",
            f"{limit.tenant} {limit.rule} ({limit.limit}): {limit.measured}, since the proxy started",
        )


# Rules whose breach a record's own history decides, first; those that timing can also decide (which write won)
# reproduce less reliably in a run against a live product, so they are shrunk only when nothing else broke.
_SHRINK_ORDER = (1, 6, 7, 8, 9, 3, 5, 4)


def _shrink_targets(verdict: Verdict) -> list[int]:
    """The rules to try shrinking on: those broken on records (a record's history prints as a scenario), the most
    often broken first, then the steadier; a rule broken only on markers (a missed barrier) last. Rule 12 (the
    tenants' limits, judged over the whole run) is never shrunk: no shorter history is its reproduction."""
    counts: dict[int, int] = {}
    for violation in verdict.violations:
        if violation.record != "*" and violation.rule in _SHRINK_ORDER:
            counts[violation.rule] = counts.get(violation.rule, 0) + 1
    ordered = sorted(counts, key=lambda rule: (-counts[rule], _SHRINK_ORDER.index(rule)))
    others = [v.rule for v in verdict.violations if v.rule != 12]
    return ordered or others[:1]


def _rows(plan: FlowPlan) -> list[RowValues]:
    rows = values_by_property(plan)
    return [rows[pair.origin] for pair in plan.pairs]
