"""What one sync cycle cost each tenant (rule 11, "a cycle costs what changed"), held against a bound.

The fakes count what they serve and receive (:meth:`harness.fakes.tenant.FakeTenant.served`, ``requests``,
``writes``), so the figures are the tenants' own, whatever the sync is: records answered to reads (each record of a
page, each record read by id), HTTP requests for data (a ``$batch`` is one; token requests left out: a client's token
cache decides those), and writes (a ``$batch``'s operations one by one). Real tenants count nothing a test can read:
there the figures are the reference sync's own report, reported and not held against the bound (:class:`NotCounted`).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.suite.phrases import SIDES
from harness.suite.sync import SyncRun

__all__ = ["Cost", "NotCounted", "cost_of", "hold_reads", "hold_writes"]

SYSTEMS = {side: name for name, side in SIDES.items()}


class NotCounted(Exception):
    """The tenants cannot count what a cycle cost them; the message says what is known instead."""


@dataclass(frozen=True)
class Cost:
    served: dict[str, int]
    requests: dict[str, int]
    writes: dict[str, int]

    def describe(self) -> str:
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
            known = "an external product's cycles cannot be told apart from outside it"
        raise NotCounted(f"real tenants do not count the records they serve; reported, not asserted: {known}")
    return Cost(dict(run.served), dict(run.requests), dict(run.writes))


def hold_reads(run: SyncRun, *, records: int, requests: int) -> Cost:
    """Every tenant served at most ``records`` records to at most ``requests`` requests in the cycle."""
    cost = cost_of(run)
    over = [
        f"{name} served {cost.served[side]} records (at most {records}) to {cost.requests[side]} requests "
        f"(at most {requests})"
        for side, name in SYSTEMS.items()
        if cost.served[side] > records or cost.requests[side] > requests
    ]
    assert not over, (
        f"expected a cycle that costs what changed, at most {records} records and {requests} requests per system; "
        + "; ".join(over)
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
