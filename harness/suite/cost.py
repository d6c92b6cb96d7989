"""What one sync cycle cost each tenant (rule 11, "a cycle costs what changed"), held against a bound.

An external product behind ``harness proxy`` is measured by the proxy's meters, per product cycle (delimited by the
product's own rhythm, see :class:`harness.traffic.meters.Meters`): other scenarios' edits share the product's cycles,
so the *cheapest* complete cycle that started while the scenario waited is held against the bound (a product that
reads everything every cycle has no cheap cycle), and the writes are counted on the scenario's own records.

The fakes count what they serve and receive (:meth:`harness.fakes.tenant.FakeTenant.served`, ``requests``,
``writes``), so the figures are the tenants' own, whatever the sync is: records answered to reads (each record of a
page, each record read by id), HTTP requests for data (a ``$batch`` is one; token requests left out: a client's token
cache decides those), and writes (a ``$batch``'s operations one by one). Real tenants count nothing a test can read:
there the figures are the reference sync's own report, reported and not held against the bound (:class:`NotCounted`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.suite.phrases import SYSTEM_NAMES
from harness.suite.under_test import SyncRun

if TYPE_CHECKING:
    from harness.proxy.client import ProxyControl

__all__ = ["Cost", "NotCounted", "cost_of", "cycle_cost", "hold_reads", "hold_record_writes", "hold_writes"]

SYSTEMS: dict[str, str] = dict(SYSTEM_NAMES.items())


class NotCounted(Exception):
    """The tenants cannot count what a cycle cost them; the message says what is known instead."""


@dataclass(frozen=True)
class Cost:
    served: dict[str, int]
    requests: dict[str, int]
    writes: dict[str, int]
    note: str = ""
    """What the figures are, when they are not one cycle's as the tenants counted them."""

    def describe(self) -> str:
        if self.note:
            return self.note
        return "; ".join(
            f"{name}: {self.served[side]} records served, {self.requests[side]} requests, {self.writes[side]} writes"
            for side, name in SYSTEMS.items()
        )


def cost_of(run: SyncRun) -> Cost:
    """The cycle's cost as the tenants counted it. Raises :class:`NotCounted` when they could not."""
    if run.served is None or run.requests is None or run.writes is None:
        if run.report is not None:
            sent = ", ".join(f"{SYSTEMS.get(k, k)} {n}" for k, n in sorted(run.report.requests.items()))
            known = f"the reference sync reported the requests it sent: {sent or 'none'}"
        else:
            known = "an external product's cycles are told apart only by harness proxy's meters (--proxy)"
        raise NotCounted(f"real tenants do not count the records they serve; reported, not asserted: {known}")
    return Cost(dict(run.served), dict(run.requests), dict(run.writes))


CYCLES_JUDGED = 2
"""Complete product cycles waited for before the cheapest is judged: a product's periodic full read (rule 6) may be
one of them, not both."""


def cycle_cost(
    proxy: ProxyControl, run: SyncRun, records: list[str], *, within: float
) -> tuple[dict[str, int], dict[str, int], int]:
    """An external product's cheapest complete cycles since ``run`` began waiting (at least :data:`CYCLES_JUDGED`
    of them, or as many as complete within ``within`` seconds): per tenant the fewest of the
    scenario's ``records`` (ids) any one cycle served, the fewest list requests (first pages and pages followed: what
    looking for changes costs) any one cycle made, and how many cycles there were. Waits up to ``within`` seconds for
    them. Other scenarios' edits share the product's cycles and cost it writes and reads of
    their own records, so what is read is counted on the scenario's own records (a product that reads everything
    reads them all, every cycle) and requests as the lists it reads to look for changes."""
    assert run.window is not None
    began = run.window[0]
    deadline = time.monotonic() + within
    while True:
        answer = proxy.cycles(since=began, records=records)
        cycles = [c for c in answer["cycles"] if c["ended"] is not None]
        if len(cycles) >= CYCLES_JUDGED or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    assert cycles, (
        f"expected the product to complete a cycle after the scenario's edits, within {within:g} s; it completed "
        f"none (its cycles are led by its first page of {answer['leader'] or 'no list read twice yet'})"
    )

    def fewest(key: str) -> dict[str, int]:
        return {side: min(int(c["tenants"].get(side, {}).get(key, 0)) for c in cycles) for side in SYSTEMS}

    return fewest("of_records_asked"), fewest("list_requests"), len(cycles)


def hold_reads(
    run: SyncRun,
    *,
    records: int,
    requests: int | Mapping[str, int],
    proxy: ProxyControl | None = None,
    within: float = 0.0,
    scenario_records: list[str] | None = None,
) -> Cost:
    """Every tenant served at most ``records`` records to at most ``requests`` requests in the cycle: one bound for
    both, or one per side (``crmoffice``, ``businesscentral``), so an extra read or a second round on one side shows
    (for an external product behind ``proxy``: see :func:`cycle_cost`; ``scenario_records``, the scenario's ids)."""
    bound = dict.fromkeys(SYSTEMS, requests) if isinstance(requests, int) else {s: requests[s] for s in SYSTEMS}
    said = (
        f"{requests} requests per system"
        if isinstance(requests, int)
        else " and ".join(f"{bound[side]} requests to {name}" for side, name in SYSTEMS.items())
    )
    if run.served is None and proxy is not None and run.window is not None:
        served, made, count = cycle_cost(proxy, run, scenario_records or [], within=within)
        over = [
            f"{name}: every cycle served at least {served[side]} of the scenario's {len(scenario_records or [])} "
            f"records (at most {records}) and read at least {made[side]} lists or pages (at most {bound[side]})"
            for side, name in SYSTEMS.items()
            if served[side] > records or made[side] > bound[side]
        ]
        assert not over, (
            f"expected a product cycle that costs what changed, at most {records} records and {said}; over its "
            f"{count} cycles while the scenario waited, " + "; ".join(over)
        )
        return Cost(served, made, dict.fromkeys(SYSTEMS, 0))
    cost = cost_of(run)
    over = [
        f"{name} served {cost.served[side]} records (at most {records}) to {cost.requests[side]} requests "
        f"(at most {bound[side]})"
        for side, name in SYSTEMS.items()
        if cost.served[side] > records or cost.requests[side] > bound[side]
    ]
    assert not over, f"expected a cycle that costs what changed, at most {records} records and {said}; " + "; ".join(
        over
    )
    return cost


def hold_writes(run: SyncRun, expected: dict[str, int]) -> Cost:
    """Each tenant received exactly the writes ``expected`` names (by side: ``crmoffice``, ``businesscentral``)."""
    cost = cost_of(run)
    wrong = {SYSTEMS[side]: (n, cost.writes[side]) for side, n in expected.items() if cost.writes[side] != n}
    assert not wrong, "expected writes per system " + "; ".join(
        f"{name}: expected {want}, received {got}" for name, (want, got) in wrong.items()
    )
    return cost


def hold_record_writes(
    proxy: ProxyControl,
    run: SyncRun,
    records: dict[str, tuple[str, str]],
    expected: dict[str, int],
    what: str,
    *,
    within: float = 0.0,
) -> dict[str, int]:
    """An external product: the writes it made to the scenario's own record on each side since the scenario began
    waiting are exactly ``expected`` (by side); ``records``: side → (entity set, id). A product may write the record
    a moment after the markers that ended the wait, so the counts are looked at until they reach ``expected`` or
    ``within`` seconds pass; a second write (an echo, a retry that duplicated) shows as one too many."""
    assert run.window is not None
    began = run.window[0]
    deadline = time.monotonic() + within
    while True:
        got = {side: proxy.writes_to(side, entity, record, since=began) for side, (entity, record) in records.items()}
        if all(got[side] >= n for side, n in expected.items()) or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    wrong = {SYSTEMS[side]: (n, got[side]) for side, n in expected.items() if got[side] != n}
    assert not wrong, f"expected the product's writes to {what} per system " + "; ".join(
        f"{name}: expected {want}, it wrote {have}" for name, (want, have) in wrong.items()
    )
    return got
