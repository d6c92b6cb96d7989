"""Trouble a scenario can describe in words, turned into a fake tenant's fault rules.

The sentences are the ones QA writes in Examples tables ("throttles the next 3 requests, asking to retry after
2 seconds"); each becomes one :class:`~harness.fakes.faults.Fault` on the named fake. Anything else is refused with
the list of sentences understood, so a typo in a feature never silently injects nothing.
"""

from __future__ import annotations

import re
from typing import Literal

from harness.suite.dataflow import Dataflow, Side

__all__ = [
    "SENTENCES",
    "NotAtProxy",
    "TroubleError",
    "inject",
    "refusals_met",
    "refuse_next_change",
    "trouble_over",
]

SENTENCES = {
    r"throttles the next (?P<n>\d+) requests?, asking to retry after (?P<s>\d+(?:\.\d+)?) seconds?": "throttle-after",
    r"throttles the next (?P<n>\d+) requests? without saying when to retry": "throttle",
    r"is unavailable for the next (?P<n>\d+) requests?, asking to retry after (?P<s>\d+(?:\.\d+)?) seconds?": (
        "unavailable-after"
    ),
    r"is unavailable for the next (?P<n>\d+) requests?": "unavailable",
    r"drops the connection on the next (?P<n>\d+) requests?": "drop",
    r"loses its answers? to the next (?P<n>\d+) changes? after carrying (?:it|them) out": "lose-answer",
    r"answers the next (?P<n>\d+) requests? too slowly": "slow",
    r"fails the next (?P<n>\d+) changes? with an internal error": "failing-writes",
}


class TroubleError(ValueError):
    """A trouble sentence the harness does not understand; the message lists those it does."""


REFUSALS = 1000
"""An external product's tries that a refusal meets at most (it is lifted at the run after the next anyway)."""


class NotAtProxy(RuntimeError):
    """Trouble ``harness proxy`` cannot make for this product; the message says what is missing."""


def _understand(trouble: str) -> tuple[str, int, float | None]:
    for pattern, kind in SENTENCES.items():
        match = re.fullmatch(pattern, trouble.strip())
        if match is not None:
            seconds = match.groupdict().get("s")
            return kind, int(match["n"]), float(seconds) if seconds else None
    understood = "; ".join(SENTENCES)
    raise TroubleError(f"no fault matches {trouble!r}; the sentences understood are: {understood}")


def _at_proxy(flow: Dataflow, side: Side, trouble: str) -> None:
    """The same trouble at ``harness proxy``, for an external product: its next requests to ``side`` meet it."""
    assert flow.proxy is not None
    kind, times, seconds = _understand(trouble)
    if kind == "throttle-after":
        flow.proxy.add_fault(side, "throttle", times=times, retry_after=seconds)
    elif kind == "throttle":
        flow.proxy.add_fault(side, "throttle", times=times)
    elif kind == "unavailable":
        flow.proxy.add_fault(side, "unavailable", times=times)
    elif kind == "unavailable-after":
        flow.proxy.add_fault(side, "unavailable", times=times, retry_after=seconds)
    elif kind == "drop":
        flow.proxy.add_fault(side, "reset", times=times)
    elif kind == "lose-answer":
        flow.proxy.add_fault(side, "lose-answer", method="WRITE", times=times)
    elif kind == "failing-writes":
        # Scoped to nothing but the tenant, an outage at the proxy would stop every overlapping scenario's writes;
        # and what it proves (the run stops with the tenant's error) is the product's own report.
        raise NotAtProxy("how an external product's run ends in an outage is out of the harness's sight")
    else:
        if flow.product_timeout is None:
            raise NotAtProxy(
                "an answer too slow for the product needs its request timeout: pass --product-timeout SECONDS"
            )
        flow.proxy.add_fault(side, "slow", times=times, delay=flow.product_timeout + 0.5)


def inject(flow: Dataflow, side: Literal["crmoffice", "businesscentral"], trouble: str) -> None:
    """Add the fault rule ``trouble`` describes to the fake behind ``side``, or at ``harness proxy`` for an external
    product (FakesOnly when the tenant is real and there is no proxy)."""
    if flow.proxy is not None:
        _at_proxy(flow, side, trouble)
        return
    tenant = flow.fakes().tenant(side)
    kind, times, seconds = _understand(trouble)
    if kind == "throttle-after":
        tenant.add_fault(status=429, retry_after=seconds, times=times)
    elif kind == "throttle":
        tenant.add_fault(status=429, times=times)
    elif kind == "unavailable":
        tenant.add_fault(status=503, times=times)
    elif kind == "unavailable-after":
        tenant.add_fault(status=503, retry_after=seconds, times=times)
    elif kind == "drop":
        tenant.add_fault(drop=True, times=times)
    elif kind == "lose-answer":
        # Each tenant's way of writing: CRMOffice one PATCH or POST per record, Business Central the sync's $batch.
        if side == "crmoffice":
            tenant.add_fault(method="PATCH", lose_answer=True, times=times)
        else:
            tenant.add_fault(method="POST", path="*/$batch", lose_answer=True, times=times)
    elif kind == "failing-writes":
        # Each tenant's way of writing: CRMOffice one PATCH per record, Business Central the sync's $batch.
        if side == "crmoffice":
            tenant.add_fault(method="PATCH", status=500, times=times)
        else:
            tenant.add_fault(method="POST", path="*/$batch", status=500, times=times)
    else:
        # Longer than the clients' read timeout, so each of these requests times out and is tried again.
        tenant.add_fault(delay=flow.read_timeout + 0.5, times=times)


def refuse_next_change(
    flow: Dataflow, side: Literal["crmoffice", "businesscentral"], kind: str, record_id: str
) -> None:
    """The next change to that one record is refused as invalid, as a tenant refuses a value it will not store;
    later changes are accepted (FakesOnly when the tenant is real and there is no proxy). CRMOffice answers its PATCH
    with 422; Business Central answers 400 to a PATCH of it, whether sent alone or as one operation of a ``$batch``
    (the others of the batch go through)."""
    if flow.proxy is not None:
        # An external product syncs on its own schedule: a one-time refusal would be retried and pass within the
        # same wait. The record is refused for the whole of the next run and accepted from the run after it.
        proxy = flow.proxy
        status = 422 if side == "crmoffice" else 400
        scope = {"method": "PATCH", "entity_set": kind, "record": record_id, "status": status, "times": REFUSALS}
        rules = [proxy.add_fault(side, "error", **scope)]
        if side == "businesscentral":
            rules.append(proxy.add_fault(side, "batch-operation", **scope))
        ids = [str(rule["id"]) for rule in rules]
        flow.refusals[record_id] = ids
        flow.lifted_at_next_run.append((len(flow.runs), lambda: [proxy.remove_fault(i) for i in ids]))
        return
    tenant = flow.fakes().tenant(side)
    if side == "crmoffice":
        tenant.add_fault(method="PATCH", path=f"*/{kind}/{record_id}", status=422, times=1)
        return
    for in_batch in (False, True):
        tenant.add_fault(method="PATCH", path=f"*/{kind}({record_id})", status=400, times=1, in_batch=in_batch)


def refusals_met(flow: Dataflow, record_id: str) -> int | None:
    """How often the product's changes to that record met the proxy's refusal so far; None when none was set."""
    ids = flow.refusals.get(record_id)
    if flow.proxy is None or not ids:
        return None
    return sum(int(rule["met"]) for rule in flow.proxy.faults() if rule["id"] in ids)


def trouble_over(flow: Dataflow, side: Literal["crmoffice", "businesscentral"]) -> None:
    """The tenant works again: every fault rule still pending on it is dropped (FakesOnly when the tenant is real)."""
    if flow.proxy is not None:
        flow.proxy.clear_faults(side)
        return
    flow.fakes().tenant(side).faults.clear()
