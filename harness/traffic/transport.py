"""Meters on the client side: an httpx transport that counts what passes through it, as the proxy counts a product.

The reference sync on the fakes has no proxy in front of it; this transport, in front of each tenant's client, feeds
the same :class:`~harness.traffic.meters.Meters`, so rule 12 judges the reference sync and an external product by
the same figures. ``gate`` says when to count (while the sync runs, not while the scenario's users edit);
``now`` may be a virtual clock (on the fakes the retry policy records its waits instead of sleeping them).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from harness.traffic.meters import Meters
from harness.traffic.routes import Tenant, classify, operations

__all__ = ["MeteringTransport"]


class MeteringTransport(httpx.BaseTransport):
    def __init__(
        self,
        inner: httpx.BaseTransport,
        tenant: Tenant,
        meters: Meters,
        *,
        base_path: str = "/",
        gate: Callable[[], bool] = lambda: True,
    ) -> None:
        self.inner, self.tenant, self.meters, self.base_path, self.gate = inner, tenant, meters, base_path, gate

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.gate() or "/connect/token" in request.url.path or "/_harness/" in request.url.path:
            return self.inner.handle_request(request)
        target = classify(self.tenant, request.method, str(request.url), self.base_path)
        ops = tuple(operations(request.read())) if target.entity_set == "$batch" else ()
        arrival = self.meters.arrived(
            target,
            authorization=request.headers.get("authorization"),
            if_match=request.headers.get("if-match"),
            operations=ops,
        )
        try:
            response = self.inner.handle_request(request)
        except BaseException:
            self.meters.lost(arrival)
            raise
        self.meters.answered_on_the_wire(
            arrival,
            response.status_code,
            content_type=response.headers.get("content-type", ""),
            body=response.read(),
            retry_after=response.headers.get("retry-after"),
        )
        return response

    def close(self) -> None:
        self.inner.close()
