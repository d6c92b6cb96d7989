"""The proxy's nemesis: fault rules the suite sets through the control plane, and each vendor's answer for them.

A rule is scoped to a tenant, optionally to an entity set, one record, a method and a text the request's body
``contains`` (a scenario's tag in the name of a record still to be created), and meets the next ``times`` matching
requests of the product after letting ``skip`` through. Kinds:

- ``throttle`` (429) and ``unavailable`` (503), with ``retry_after`` seconds when given, and ``gateway-timeout``
  (504): answered by the proxy in the vendor's own error shape; the tenant never sees the request.
- ``error``: any other status (``status``, required), in the vendor's shape: a value refused (400, 422), an
  internal error (500).
- ``reset``: the connection is closed before the request is forwarded (nothing applied).
- ``lose-answer``: the request is forwarded and applied, then the connection is closed without an answer: the
  product cannot know whether its write landed (the duplicate trap).
- ``slow``: the tenant's answer is held back ``delay`` seconds (past the product's timeout, it retries a request
  that may have landed).
- ``crash``: the request is forwarded and applied, then the product's process is killed before the answer leaves
  the proxy, and started again (:mod:`harness.proxy.product`; only when ``harness proxy --product-command``
  started it). "The product is stopped after its Nth write" is ``crash`` on writes with ``skip`` N-1.
- ``batch-operation``: one operation of a ``$batch`` that matches the scope is taken out before forwarding and
  answered with ``status`` (default 500) inside the batch's answer; the others go through.

A rule that names an entity set the tenant does not have, or a kind, status or count that makes no sense, is
refused with :class:`FaultError` naming the field, so a typo never silently injects nothing.
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from harness.traffic.routes import BatchOperation, Target

__all__ = ["KINDS", "TROUBLE_ALLOWANCE", "Fault", "FaultError", "FaultPlan", "vendor_error"]

KINDS = (
    "throttle",
    "unavailable",
    "gateway-timeout",
    "error",
    "reset",
    "lose-answer",
    "slow",
    "crash",
    "batch-operation",
)
_STATUS = {"throttle": 429, "unavailable": 503, "gateway-timeout": 504}
_BC_CODES = {
    400: "BadRequest",
    429: "Application_TooManyRequests",
    500: "Unknown",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
_TITLES = {
    400: "Bad Request",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


TROUBLE_ALLOWANCE = 2.0
"""Seconds a met fault that names no wait of its own (no Retry-After, no delay) is allowed to cost the product: a
client's first back-off step. Added to :attr:`FaultPlan.trouble_seconds`."""


class FaultError(ValueError):
    """A fault rule that cannot be obeyed; the message names the field and what is wrong."""


@dataclass
class Fault:
    tenant: str
    kind: str
    entity_set: str | None = None
    record: str | None = None
    method: str | None = None
    times: int = 1
    skip: int = 0
    retry_after: float | None = None
    delay: float = 0.0
    status: int | None = None
    contains: str | None = None
    id: str = ""
    met: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def answer_status(self) -> int:
        return self.status or _STATUS.get(self.kind, 500)

    def scope(self) -> str:
        where = self.entity_set or "any entity set"
        if self.record:
            where += f" record {self.record}"
        if self.contains:
            where += f" containing {self.contains!r}"
        return f"{self.tenant} {self.method or 'any method'} {where}"

    @property
    def narrowness(self) -> int:
        """How narrow the scope is: one record, then a text in the body, then an entity set, then the tenant."""
        return 4 * (self.record is not None) + 2 * (self.contains is not None) + (self.entity_set is not None)

    @property
    def through_batch(self) -> bool:
        """Whether a ``$batch`` meets this rule through one of its operations: a whole batch is throttled, made
        unavailable, reset or slowed when it carries the entity set; a refusal of one record (``error`` or a
        ``record`` scope) is one operation's answer, which is ``batch-operation``'s to give."""
        return self.kind != "error" and self.record is None

    def covers(self, target: Target) -> bool:
        if target.tenant != self.tenant:
            return False
        if self.method == "WRITE":
            if not (target.is_write or (target.entity_set == "$batch" and target.method == "POST")):
                return False
        elif self.method is not None and target.method != self.method:
            return False
        if self.entity_set is not None and target.entity_set != self.entity_set:
            return False
        return self.record is None or target.record == self.record


def _number(raw: Mapping[str, Any], name: str, default: float | None, *, whole: bool = False) -> Any:
    value = raw.get(name)
    if value is None:  # absent or JSON null: the default
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or not math.isfinite(value):
        raise FaultError(f"fault field {name!r}: a number of at least 0, got {value!r}")
    if whole and int(value) != value:
        raise FaultError(f"fault field {name!r}: a whole number, got {value!r}")
    return int(value) if whole else float(value)


class FaultPlan:
    """The rules in force; a request meets at most one rule: the narrowest that covers it, of those the earliest
    added."""

    def __init__(self, entity_sets: Mapping[str, Collection[str]]) -> None:
        self._sets = {tenant: frozenset(names) for tenant, names in entity_sets.items()}
        self.crashable = False
        """Whether the proxy started the product (``--product-command``), so that ``crash`` can kill it."""
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self.trouble_seconds = 0.0
        """What the faults met so far asked the product to wait, in all (see :data:`TROUBLE_ALLOWANCE`): an
        external product's service level is stretched by it, since the time is the nemesis's, not the product's."""

    def add(self, raw: Mapping[str, Any]) -> Fault:
        """A rule from the control plane's JSON; raises :class:`FaultError` naming what is wrong."""
        return self.add_all([raw])[0]

    def add_all(self, raws: Sequence[Mapping[str, Any]]) -> list[Fault]:
        """Rules checked all before any is in force: when one is wrong, :class:`FaultError` and none is added."""
        faults = [self._checked(raw) for raw in raws]
        with self._lock:
            self._rules.extend(faults)
        return faults

    def _checked(self, raw: Mapping[str, Any]) -> Fault:
        known = {f for f in Fault.__dataclass_fields__ if f not in ("id", "met")}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise FaultError(f"unknown fault field(s) {', '.join(unknown)}; the fields are {', '.join(sorted(known))}")
        tenant = raw.get("tenant")
        if not isinstance(tenant, str) or tenant not in self._sets:
            raise FaultError(f"fault field 'tenant': one of {', '.join(sorted(self._sets))}, got {tenant!r}")
        kind = raw.get("kind")
        if kind not in KINDS:
            raise FaultError(f"fault field 'kind': one of {', '.join(KINDS)}, got {kind!r}")
        entity_set = raw.get("entity_set")
        if entity_set is not None and (not isinstance(entity_set, str) or entity_set not in self._sets[tenant]):
            raise FaultError(
                f"fault field 'entity_set': {tenant} has no entity set {entity_set!r}; "
                f"it has {', '.join(sorted(self._sets[tenant]))}"
            )
        method = raw.get("method")
        if method is not None and (not isinstance(method, str) or not method.isalpha()):
            raise FaultError(
                f"fault field 'method': an HTTP method such as PATCH, or WRITE (any write), got {method!r}"
            )
        times = _number(raw, "times", 1, whole=True)
        if times < 1:
            raise FaultError(f"fault field 'times': at least 1, got {times}")
        status = _number(raw, "status", None, whole=True)
        if status is not None and not 400 <= status <= 599:
            raise FaultError(f"fault field 'status': an error status from 400 to 599, got {status}")
        if kind == "slow" and not raw.get("delay"):
            raise FaultError("fault kind 'slow': give the 'delay' in seconds to hold the answer back")
        if kind == "error" and status is None:
            raise FaultError("fault kind 'error': give the 'status' to answer, e.g. 400, 422 or 500")
        if kind == "crash" and not self.crashable:
            raise FaultError(
                "fault kind 'crash': the proxy did not start the product, so it cannot kill it; "
                "start harness proxy with --product-command"
            )
        contains = raw.get("contains")
        if contains is not None and (not isinstance(contains, str) or not contains):
            raise FaultError(f"fault field 'contains': a text the request's body contains, got {contains!r}")
        if kind == "batch-operation" and tenant != "businesscentral":
            raise FaultError("fault kind 'batch-operation': only Business Central takes $batch requests")
        return Fault(
            tenant=tenant,
            kind=kind,
            entity_set=entity_set,
            record=None if raw.get("record") is None else str(raw["record"]),
            method=method.upper() if method else None,
            times=times,
            skip=_number(raw, "skip", 0, whole=True),
            retry_after=_number(raw, "retry_after", None),
            delay=_number(raw, "delay", 0.0),
            status=status,
            contains=contains,
            id=uuid.uuid4().hex[:12],
        )

    def take(
        self,
        target: Target,
        operations: Sequence[BatchOperation] = (),
        body: bytes = b"",
        *,
        crash: bool = False,
    ) -> tuple[Fault, str | None] | None:
        """The rule this request meets, if any, and for ``batch-operation`` the id of the operation it fails. A
        ``$batch`` meets a rule through its operations as :attr:`Fault.through_batch` says. ``crash`` rules are
        taken apart (``crash=True``): a crash comes after the tenant's answer, so it goes with any rule that lets
        the request reach the tenant, asked for once that is known."""
        with self._lock:
            # The narrowest rule first: a refusal of one record must not be overtaken by another scenario's trouble
            # for the whole tenant (a lost answer forwards the write the refusal is there to stop).
            for fault in sorted(self._rules, key=lambda f: -f.narrowness):
                if (fault.kind == "crash") is not crash:
                    continue
                matched: str | None = None
                if fault.contains is not None and fault.contains.encode() not in body:
                    continue
                if fault.kind == "batch-operation":
                    hit = next((op for op in operations if fault.covers(op.target)), None)
                    if hit is None:
                        continue
                    matched = hit.id
                elif not (
                    fault.covers(target) or (fault.through_batch and any(fault.covers(o.target) for o in operations))
                ):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.met += 1
                if fault.met >= fault.times:
                    self._rules.remove(fault)
                if fault.answer_status >= 429 or fault.kind not in ("error", "batch-operation"):
                    # A refused value is the record's failure, not a wait imposed on the product.
                    self.trouble_seconds += fault.retry_after or fault.delay or TROUBLE_ALLOWANCE
                return fault, matched
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_dict() for f in self._rules]

    def remove(self, fault_id: str) -> bool:
        """Drop one rule; False when it is no longer in force (met its count, or never was)."""
        with self._lock:
            kept = [f for f in self._rules if f.id != fault_id]
            removed, self._rules = len(kept) != len(self._rules), kept
            return removed

    def clear(self, tenant: str | None = None) -> int:
        with self._lock:
            before = len(self._rules)
            self._rules = [f for f in self._rules if tenant is not None and f.tenant != tenant]
            return before - len(self._rules)


def vendor_error(tenant: str, status: int, retry_after: float | None) -> tuple[bytes, dict[str, str]]:
    """The body and headers each vendor answers ``status`` with: Business Central's ``{"error": {code,
    message}}``, CRMOffice's RFC 7807 problem details. ``Retry-After`` in whole seconds, rounded up."""
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["Retry-After"] = str(max(0, math.ceil(retry_after)))
    message = f"Injected by harness proxy: HTTP {status}."
    body: dict[str, Any]
    if tenant == "businesscentral":
        headers["Content-Type"] = "application/json; odata.metadata=minimal; charset=utf-8"
        body = {"error": {"code": _BC_CODES.get(status, "Unknown"), "message": message}}
    else:
        headers["Content-Type"] = "application/problem+json; charset=utf-8"
        body = {
            "type": "https://tools.ietf.org/html/rfc9110#section-15.6",
            "title": _TITLES.get(status, "Error"),
            "status": status,
            "detail": message,
        }
    return json.dumps(body).encode(), headers
