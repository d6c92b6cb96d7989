"""Trouble a scenario describes, as a fake tenant's fault rules or ``harness proxy``'s.

Each trouble sentence of the features ("Business Central throttles the next 3 requests, asking to retry after
2 seconds") is a step of its own, and each calls one function here with the side and the sentence's numbers:
:func:`throttle`, :func:`unavailable`, :func:`drop_connection`, :func:`lose_answers`, :func:`answer_too_slowly`,
:func:`fail_changes`. Each adds one :class:`~harness.fakes.faults.Fault` to the fake behind the side, or one rule at
``harness proxy`` for an external product (FakesOnly when the tenants are real and no proxy fronts them).
"""

from __future__ import annotations

from harness.suite.dataflow import Dataflow, Side

__all__ = [
    "NotAtProxy",
    "answer_too_slowly",
    "drop_connection",
    "fail_changes",
    "lose_answers",
    "refusals_met",
    "refuse_next_change",
    "throttle",
    "trouble_over",
    "unavailable",
]

REFUSALS = 1000
"""An external product's tries that a refusal meets at most (it is lifted at the run after the next anyway)."""


class NotAtProxy(RuntimeError):
    """Trouble ``harness proxy`` cannot make for this product; the message says what is missing."""


def throttle(flow: Dataflow, side: Side, requests: int, *, retry_after: float | None = None) -> None:
    """The next ``requests`` requests to ``side`` are throttled (429), asking to retry after ``retry_after`` seconds
    when given, without saying when otherwise."""
    if flow.proxy is not None:
        flow.proxy.add_fault(side, "throttle", times=requests, retry_after=retry_after)
        return
    flow.fakes().tenant(side).add_fault(status=429, retry_after=retry_after, times=requests)


def unavailable(flow: Dataflow, side: Side, requests: int, *, retry_after: float | None = None) -> None:
    """The next ``requests`` requests to ``side`` find it unavailable (503), asking to retry after ``retry_after``
    seconds when given."""
    if flow.proxy is not None:
        flow.proxy.add_fault(side, "unavailable", times=requests, retry_after=retry_after)
        return
    flow.fakes().tenant(side).add_fault(status=503, retry_after=retry_after, times=requests)


def drop_connection(flow: Dataflow, side: Side, requests: int) -> None:
    """The connection is dropped on the next ``requests`` requests to ``side``, before anything is applied."""
    if flow.proxy is not None:
        flow.proxy.add_fault(side, "reset", times=requests)
        return
    flow.fakes().tenant(side).add_fault(drop=True, times=requests)


def lose_answers(flow: Dataflow, side: Side, changes: int) -> None:
    """``side`` carries out the next ``changes`` changes and its answers are lost (the duplicate trap)."""
    if flow.proxy is not None:
        flow.proxy.add_fault(side, "lose-answer", method="WRITE", times=changes)
        return
    tenant = flow.fakes().tenant(side)
    # Each tenant's way of writing: CRMOffice one PATCH or POST per record, Business Central the sync's $batch.
    if side == "crmoffice":
        tenant.add_fault(method="PATCH", lose_answer=True, times=changes)
    else:
        tenant.add_fault(method="POST", path="*/$batch", lose_answer=True, times=changes)


def answer_too_slowly(flow: Dataflow, side: Side, requests: int) -> None:
    """``side`` answers the next ``requests`` requests after the client has stopped waiting: the reference sync's
    read timeout, or an external product's --product-timeout (NotAtProxy when it was not given)."""
    if flow.proxy is not None:
        if flow.product_timeout is None:
            raise NotAtProxy(
                "an answer too slow for the product needs its request timeout: pass --product-timeout SECONDS"
            )
        flow.proxy.add_fault(side, "slow", times=requests, delay=flow.product_timeout + 0.5)
        return
    # Longer than the clients' read timeout, so each of these requests times out and is tried again.
    flow.fakes().tenant(side).add_fault(delay=flow.read_timeout + 0.5, times=requests)


def fail_changes(flow: Dataflow, side: Side, changes: int) -> None:
    """The next ``changes`` changes to ``side`` fail with an internal error (500): an outage of its writes. Not at
    ``harness proxy`` (NotAtProxy)."""
    if flow.proxy is not None:
        # Scoped to nothing but the tenant, an outage at the proxy would stop every overlapping scenario's writes;
        # and what it proves (the run stops with the tenant's error) is the product's own report.
        raise NotAtProxy("how an external product's run ends in an outage is out of the harness's sight")
    tenant = flow.fakes().tenant(side)
    # Each tenant's way of writing: CRMOffice one PATCH per record, Business Central the sync's $batch.
    if side == "crmoffice":
        tenant.add_fault(method="PATCH", status=500, times=changes)
    else:
        tenant.add_fault(method="POST", path="*/$batch", status=500, times=changes)


def refuse_next_change(flow: Dataflow, side: Side, kind: str, record_id: str) -> None:
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


def trouble_over(flow: Dataflow, side: Side) -> None:
    """The tenant works again: every fault rule still pending on it is dropped (FakesOnly when the tenant is real)."""
    if flow.proxy is not None:
        flow.proxy.clear_faults(side)
        return
    flow.fakes().tenant(side).faults.clear()
