"""Meters: what a client did to each tenant, per entity set, as seen on the wire.

One :class:`Meters` per observer (the proxy in front of both tenants, or a fake tenant of its own). A request is
counted when it arrives (:meth:`Meters.arrived`) and settled when its answer leaves or it dies without one
(:meth:`Meters.answered`, :meth:`Meters.lost`). Everything is counted under one lock, so the control plane can read a
consistent :meth:`Meters.snapshot` at any moment while requests flow.

What is kept, per tenant: requests (and per entity set: requests, records served, records written, pages followed,
updates by their ``If-Match``), ``$batch`` sizes, the most requests in flight at once, the most requests within any
sliding window (300 s: Business Central's), requests sent before a ``Retry-After`` the tenant (or a fault) gave had
expired, answers by status, and token changes. Tokens are never kept: only a keyed digest of the last one (the key
is random per process) and, for a JWT, its expiry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.traffic.routes import BatchOperation, Target

__all__ = [
    "CYCLES_KEPT",
    "EARLY_GRACE",
    "TOKEN_MIN_USE",
    "WINDOW_SECONDS",
    "Meters",
    "if_match_kind",
    "record_ids",
    "records_in",
    "retry_after_seconds",
]

WINDOW_SECONDS = 300.0
"""Business Central's request window: 6,000 requests per 5 minutes per principal."""
EARLY_GRACE = 0.25
"""A request that reaches the tenant this soon after a Retry-After answer left was sent before the client saw it."""
TOKEN_MIN_USE = 60.0
"""An opaque token replaced sooner than this after its first use, with no 401 in between, was not reused."""
_TOKEN_EXPIRY_MARGIN = 300.0
_EXAMPLES = 20
_UPDATES = frozenset({"PATCH", "PUT", "MERGE"})
CYCLES_KEPT = 2000
"""Complete product cycles kept (at 0.3 s a cycle, ten minutes' worth)."""


def if_match_kind(value: str | None) -> str:
    """``etag`` (a version the client read), ``any`` (``*``: overwrite whatever is there) or ``none``."""
    if value is None or not value.strip():
        return "none"
    return "any" if value.strip() == "*" else "etag"


def records_in(payload: Any) -> int:
    """Records an answer body carries: the items of a list page (``value``, CRMOffice's ``items``), or one record."""
    if isinstance(payload, dict):
        for key in ("value", "items"):
            if isinstance(payload.get(key), list):
                return len(payload[key])
        return 0 if "error" in payload or ("status" in payload and "title" in payload) else 1
    return 0


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds; None when absent or an HTTP date (neither tenant sends one)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def record_ids(payload: Any) -> list[str]:
    """The ids of the records an answer body carries (see :func:`records_in`)."""
    if not isinstance(payload, dict):
        return []
    for key in ("value", "items"):
        if isinstance(payload.get(key), list):
            return [str(item["id"]) for item in payload[key] if isinstance(item, dict) and "id" in item]
    return [str(payload["id"])] if "id" in payload else []


def _jwt_expiry(token: str) -> float | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) else None


@dataclass
class _EntitySet:
    requests: int = 0
    records_served: int = 0
    records_written: int = 0
    pages_followed: int = 0
    updates: Counter[str] = field(default_factory=Counter)
    deletes: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "records_served": self.records_served,
            "records_written": self.records_written,
            "pages_followed": self.pages_followed,
            "updates": {k: self.updates[k] for k in ("etag", "any", "none")},
            "deletes": {k: self.deletes[k] for k in ("etag", "any", "none")},
        }


@dataclass
class _Token:
    digest: bytes
    first_used: float
    expires: float | None
    refused: bool = False


@dataclass
class _Tenant:
    requests: int = 0
    in_flight: int = 0
    in_flight_max: int = 0
    window: deque[float] = field(default_factory=deque)
    window_max: int = 0
    batches: Counter[int] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    not_before: float = 0.0
    asked_at: float = 0.0
    early: int = 0
    early_examples: list[dict[str, Any]] = field(default_factory=list)
    token: _Token | None = None
    token_changes: int = 0
    token_early: int = 0
    sets: defaultdict[str, _EntitySet] = field(default_factory=lambda: defaultdict(_EntitySet))
    written: Counter[str] = field(default_factory=Counter)
    written_at: defaultdict[str, deque[float]] = field(default_factory=lambda: defaultdict(lambda: deque(maxlen=50)))
    list_starts: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Arrival:
    """A request counted on arrival, to be settled by :meth:`Meters.answered` or :meth:`Meters.lost`."""

    target: Target
    operations: tuple[BatchOperation, ...]
    at: float


@dataclass
class _Cycle:
    started: float
    ended: float | None = None
    figures: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    served_ids: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def to_dict(self, records: frozenset[str] = frozenset()) -> dict[str, Any]:
        return {
            "started": self.started,
            "ended": self.ended,
            "tenants": {
                name: {
                    **{k: c[k] for k in ("requests", "list_requests", "records_served", "records_written")},
                    "of_records_asked": len(self.served_ids[name] & records),
                }
                for name, c in sorted(self.figures.items())
            },
        }


class Meters:
    """Counts per tenant; also the product's cycles, as far as they can be told apart from outside.

    A cycle is delimited by the product's own rhythm: the first list that it starts reading a second time (the
    first page of one entity set on one tenant, e.g. CRMOffice's contacts) is its *leader*, and each later first
    page of the leader starts a new cycle. A lookup made once (the company at start-up) never becomes the leader.
    The last :data:`CYCLES_KEPT` cycles are kept with their wall-clock bounds and figures.
    """

    def __init__(self, now: Callable[[], float] = time.monotonic, *, wall: Callable[[], float] = time.time) -> None:
        self._now = now
        self._wall = wall
        self._lock = threading.Lock()
        self._key = secrets.token_bytes(32)
        self._tenants: defaultdict[str, _Tenant] = defaultdict(_Tenant)
        self._started = now()
        self._leader: tuple[str, str] | None = None
        self._cycles: deque[_Cycle] = deque(maxlen=CYCLES_KEPT)
        self._cycle: _Cycle | None = None

    def _count(self, tenant: str, **figures: int) -> None:
        if self._cycle is not None:
            self._cycle.figures[tenant].update(figures)

    def _list_started(self, tenant: _Tenant, name: str, entity_set: str) -> None:
        tenant.list_starts[entity_set] += 1
        if self._leader is None and tenant.list_starts[entity_set] >= 2:
            self._leader = (name, entity_set)
        if self._leader == (name, entity_set):
            now = self._wall()
            if self._cycle is not None:
                self._cycle.ended = now
                self._cycles.append(self._cycle)
            self._cycle = _Cycle(now)

    # --- counting ---------------------------------------------------------------------------------------------
    def arrived(
        self,
        target: Target,
        *,
        authorization: str | None = None,
        if_match: str | None = None,
        operations: Iterable[BatchOperation] = (),
    ) -> Arrival:
        ops = tuple(operations)
        now = self._now()
        with self._lock:
            tenant = self._tenants[target.tenant]
            tenant.requests += 1
            tenant.in_flight += 1
            tenant.in_flight_max = max(tenant.in_flight_max, tenant.in_flight)
            tenant.window.append(now)
            while tenant.window and now - tenant.window[0] > WINDOW_SECONDS:
                tenant.window.popleft()
            tenant.window_max = max(tenant.window_max, len(tenant.window))
            if now < tenant.not_before and now - tenant.asked_at > EARLY_GRACE:
                tenant.early += 1
                if len(tenant.early_examples) < _EXAMPLES:
                    tenant.early_examples.append(
                        {
                            "entity_set": target.entity_set,
                            "method": target.method,
                            "seconds_early": round(tenant.not_before - now, 3),
                        }
                    )
            entity = tenant.sets[target.entity_set]
            entity.requests += 1
            if target.page:
                entity.pages_followed += 1
            elif target.is_list:
                self._list_started(tenant, target.tenant, target.entity_set)
            self._count(target.tenant, requests=1, list_requests=int(target.is_list or target.page))
            if ops:
                tenant.batches[len(ops)] += 1
            for one in ops or (BatchOperation("", target, if_match),):
                self._conditional(tenant, one)
            if authorization:
                self._token(tenant, authorization, now)
        return Arrival(target, ops, now)

    def _conditional(self, tenant: _Tenant, op: BatchOperation) -> None:
        kind = if_match_kind(op.if_match)
        if op.target.method in _UPDATES and op.target.record is not None:
            tenant.sets[op.target.entity_set].updates[kind] += 1
        elif op.target.method == "DELETE":
            tenant.sets[op.target.entity_set].deletes[kind] += 1

    def _token(self, tenant: _Tenant, authorization: str, now: float) -> None:
        digest = hmac.new(self._key, authorization.encode(), hashlib.sha256).digest()
        current = tenant.token
        if current is not None and hmac.compare_digest(current.digest, digest):
            return
        expires = _jwt_expiry(authorization.removeprefix("Bearer ").strip())
        if current is not None:
            tenant.token_changes += 1
            if not current.refused:
                if current.expires is not None:
                    early = self._wall() < current.expires - _TOKEN_EXPIRY_MARGIN
                else:
                    early = now - current.first_used < TOKEN_MIN_USE
                tenant.token_early += int(early)
        tenant.token = _Token(digest, now, expires)

    def answered(
        self,
        arrival: Arrival,
        status: int,
        *,
        served: int = 0,
        served_ids: Iterable[str] = (),
        retry_after: float | None = None,
        operation_statuses: Mapping[str, int] | None = None,
        operation_served: Mapping[str, int] | None = None,
    ) -> None:
        """The answer left for the client. ``operation_statuses``: a ``$batch``'s answer per operation id."""
        now = self._now()
        target = arrival.target
        with self._lock:
            tenant = self._tenants[target.tenant]
            tenant.in_flight = max(0, tenant.in_flight - 1)
            tenant.statuses[str(status)] += 1
            if retry_after is not None and status in (429, 503):
                tenant.not_before = max(tenant.not_before, now + retry_after)
                tenant.asked_at = now
            if status == 401 and tenant.token is not None:
                tenant.token.refused = True
            if arrival.operations:
                statuses = operation_statuses or {}
                served_ops = operation_served or {}
                for op in arrival.operations:
                    entity = tenant.sets[op.target.entity_set]
                    op_status = statuses.get(op.id, 0)
                    if 200 <= op_status < 300 and op.target.is_write:
                        entity.records_written += 1
                        self._count(target.tenant, records_written=1)
                        if op.target.record:
                            self._wrote(tenant, f"{op.target.entity_set}/{op.target.record}")
                    entity.records_served += served_ops.get(op.id, 0)
                    self._count(target.tenant, records_served=served_ops.get(op.id, 0))
                return
            entity = tenant.sets[target.entity_set]
            entity.records_served += served
            self._count(target.tenant, records_served=served)
            if self._cycle is not None:
                self._cycle.served_ids[target.tenant].update(served_ids)
            if 200 <= status < 300 and target.is_write:
                entity.records_written += 1
                self._count(target.tenant, records_written=1)
                if target.record:
                    self._wrote(tenant, f"{target.entity_set}/{target.record}")

    def _wrote(self, tenant: _Tenant, key: str) -> None:
        tenant.written[key] += 1
        tenant.written_at[key].append(self._wall())

    def answered_on_the_wire(
        self, arrival: Arrival, status: int, *, content_type: str, body: bytes, retry_after: str | None
    ) -> None:
        """:meth:`answered` from the answer as it travels: status, ``Content-Type``, body and ``Retry-After`` (the
        records served, and a ``$batch``'s answer per operation, are read from the body)."""
        payload: Any = None
        if 200 <= status < 300 and "json" in content_type:
            try:
                payload = json.loads(body or b"null")
            except ValueError:
                payload = None
        wait = retry_after_seconds(retry_after)
        if arrival.operations:
            answers = payload.get("responses", []) if isinstance(payload, dict) else []
            answers = [a for a in answers if isinstance(a, dict)]
            statuses = {str(a.get("id", "")): int(a.get("status", 0)) for a in answers}
            served = {
                str(a.get("id", "")): records_in(a.get("body")) for a in answers if 200 <= int(a.get("status", 0)) < 300
            }
            self.answered(arrival, status, retry_after=wait, operation_statuses=statuses, operation_served=served)
            return
        reading = arrival.target.method == "GET"
        self.answered(
            arrival,
            status,
            served=records_in(payload) if reading else 0,
            served_ids=record_ids(payload) if reading else (),
            retry_after=wait,
        )

    def new_process(self) -> None:
        """The product was started again (after a crash, or an exit): a process has no token of its predecessor's to
        reuse, so its first token is no replacement."""
        with self._lock:
            for tenant in self._tenants.values():
                tenant.token = None

    def lost(self, arrival: Arrival) -> None:
        """The request ended without an answer to the client (connection dropped, timed out, killed)."""
        with self._lock:
            tenant = self._tenants[arrival.target.tenant]
            tenant.in_flight = max(0, tenant.in_flight - 1)
            tenant.statuses["lost"] += 1

    # --- reading ----------------------------------------------------------------------------------------------
    def writes_to(
        self, tenant: str, entity_set: str, record: str, *, since: float | None = None, until: float | None = None
    ) -> int:
        """Writes that reached the tenant for one record; ``since``/``until`` (wall clock): only those in between
        (the last 50 writes of a record are kept with their time)."""
        with self._lock:
            if tenant not in self._tenants:
                return 0
            key = f"{entity_set}/{record}"
            if since is None and until is None:
                return self._tenants[tenant].written[key]
            times = self._tenants[tenant].written_at.get(key, ())
            low, high = since if since is not None else float("-inf"), until if until is not None else float("inf")
            return sum(1 for at in times if low <= at <= high)

    def cycles(self, since: float = float("-inf"), records: Iterable[str] = ()) -> dict[str, Any]:
        """The product's complete cycles that started at or after ``since`` (wall clock), and what leads them; per
        cycle and tenant, ``of_records_asked`` is how many of ``records`` (ids) it served."""
        asked = frozenset(records)
        with self._lock:
            return {
                "leader": list(self._leader) if self._leader else None,
                "cycles": [c.to_dict(asked) for c in self._cycles if c.started >= since],
            }

    def snapshot(self) -> dict[str, Any]:
        """Every figure, per tenant, as JSON-ready data (see ``docs/proxy.md`` for each field)."""
        with self._lock:
            now = self._now()
            tenants = {}
            for name, t in sorted(self._tenants.items()):
                sizes = sorted(t.batches.elements())
                tenants[name] = {
                    "requests": t.requests,
                    "in_flight": t.in_flight,
                    "in_flight_max": t.in_flight_max,
                    "window_seconds": WINDOW_SECONDS,
                    "window_max": t.window_max,
                    "batches": {
                        "count": len(sizes),
                        "max_operations": sizes[-1] if sizes else 0,
                        "operations": sum(sizes),
                    },
                    "answers": dict(sorted(t.statuses.items())),
                    "early_after_retry_after": t.early,
                    "early_examples": list(t.early_examples),
                    "token_changes": t.token_changes,
                    "token_replaced_early": t.token_early,
                    "entity_sets": {k: v.to_dict() for k, v in sorted(t.sets.items())},
                    "list_starts": dict(sorted(t.list_starts.items())),
                }
            return {"seconds": round(now - self._started, 3), "tenants": tenants}
