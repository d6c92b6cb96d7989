"""The mitmproxy addon behind ``harness proxy``: meters, faults and holds on each front, loaded by ``mitmdump -s``.

Runs inside mitmproxy's own process and virtual environment (see :mod:`harness.proxy.launch` for why it is a
separate one), so it imports only the standard library, mitmproxy and the pure modules of ``harness.proxy`` and
``harness.traffic``. Its one option, ``harness_proxy_config``, names the JSON file ``harness proxy`` wrote: the
fronts (tenant, listening port, upstream origin, base path), the control plane's port and key, the entity sets per
tenant.

Per request: classify it (:mod:`harness.traffic.routes`), count it, hold it if a hold covers it, apply the first
fault rule it meets, forward it; per answer: put the front's origin where the upstream's appears (page links,
``Location``), count it, and lose or delay it when the fault says so. Nothing of a request's headers is logged.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mitmproxy import ctx, http  # type: ignore[import-not-found,unused-ignore]

from harness.proxy.control import ControlPlane
from harness.proxy.faults import Fault, FaultPlan, vendor_error
from harness.proxy.holds import HoldBook
from harness.proxy.product import Supervisor
from harness.traffic.meters import Meters
from harness.traffic.routes import Tenant, classify, operations

__all__ = ["HarnessProxy"]

_REWRITTEN = ("location", "content-location", "odata-entityid")


@dataclass(frozen=True)
class Front:
    tenant: Tenant
    port: int
    origin: str
    """How the product reaches this front: ``http(s)://127.0.0.1:PORT``."""
    upstream: str
    """The tenant's origin: ``scheme://host[:port]``."""
    base_path: str


class HarnessProxy:
    def __init__(self) -> None:
        self.fronts: dict[int, Front] = {}
        self.control: ControlPlane | None = None
        self.meters = Meters()
        self.faults = FaultPlan({})
        self.holds = HoldBook()
        self.product = Supervisor(on_start=self.meters.new_process)

    def load(self, loader: Any) -> None:
        loader.add_option("harness_proxy_config", str, "", "the JSON file harness proxy wrote")

    def running(self) -> None:
        path = ctx.options.harness_proxy_config
        config = json.loads(Path(path).read_text(encoding="utf-8"))
        for front in config["fronts"]:
            self.fronts[int(front["port"])] = Front(
                front["tenant"], int(front["port"]), front["origin"], front["upstream"], front["base_path"]
            )
        sets = {tenant: frozenset(names) for tenant, names in config["entity_sets"].items()}
        self.faults = FaultPlan(sets)
        self.holds = HoldBook(sets)
        self.control = ControlPlane(
            config["key"],
            self.meters,
            self.faults,
            self.holds,
            self.health,
            ("127.0.0.1", int(config["control_port"])),
            product=self.product,
        )
        self.control.start()

    def done(self) -> None:
        self.product.stop()
        self.holds.release_all()
        if self.control is not None:
            self.control.close()

    def health(self) -> dict[str, Any]:
        return {
            "fronts": [
                {"tenant": f.tenant, "url": f.origin, "upstream": f.upstream}
                for f in sorted(self.fronts.values(), key=lambda f: f.tenant)
            ]
        }

    # --- hooks ------------------------------------------------------------------------------------------------
    def _front(self, flow: http.HTTPFlow) -> Front | None:
        sockname = flow.client_conn.sockname
        return self.fronts.get(int(sockname[1])) if sockname else None

    async def request(self, flow: http.HTTPFlow) -> None:
        front = self._front(flow)
        if front is None or flow.request.path.startswith("/_harness/"):
            return
        request = flow.request
        target = classify(front.tenant, request.method, request.path, front.base_path)
        self.product.arrived(f"{target.tenant} {target.entity_set}" if target.is_list and not target.page else None)
        ops = tuple(operations(request.content or b"")) if target.entity_set == "$batch" else ()
        arrival = self.meters.arrived(
            target,
            authorization=request.headers.get("authorization"),
            if_match=request.headers.get("if-match"),
            operations=ops,
        )
        flow.metadata["harness"] = {"arrival": arrival, "front": front}
        hold = self.holds.catch(target, ops) if target.is_write or any(op.target.is_write for op in ops) else None
        if hold is not None:
            loop = asyncio.get_running_loop()
            released = loop.create_future()

            def wake() -> None:
                loop.call_soon_threadsafe(_resolve, released)

            hold.on_release.append(wake)
            if hold.state != "caught":  # released between the catch and the line above
                wake()
            try:
                await asyncio.wait_for(released, hold.timeout)
            except TimeoutError:
                self.holds.release(hold.id, timed_out=True)
        taken = self.faults.take(target, ops, request.content or b"")
        if taken is not None:
            self._meet(flow, front, *taken)
        if flow.response is None and not flow.metadata["harness"].get("settled"):
            # Whatever else met it, a request that goes on to the tenant can be the write the product dies after.
            crash = self.faults.take(target, ops, flow.request.content or b"", crash=True)
            if crash is not None:
                flow.metadata["harness"]["crash"] = crash[0].id

    def _meet(self, flow: http.HTTPFlow, front: Front, fault: Fault, operation: str | None) -> None:
        if fault.kind in ("throttle", "unavailable", "gateway-timeout", "error"):
            body, headers = vendor_error(front.tenant, fault.answer_status, fault.retry_after)
            flow.response = http.Response.make(fault.answer_status, body, headers)
        elif fault.kind == "reset":
            self._settle_lost(flow)
            flow.kill()
        elif fault.kind == "lose-answer":
            flow.metadata["harness"]["lose"] = True
        elif fault.kind == "slow":
            flow.metadata["harness"]["delay"] = fault.delay
        elif fault.kind == "batch-operation" and operation is not None:
            self._take_out(flow, operation, fault.answer_status)

    def _take_out(self, flow: http.HTTPFlow, operation: str, status: int) -> None:
        payload = json.loads(flow.request.content or b"{}")
        kept = [op for op in payload["requests"] if str(op.get("id", "")) != operation]
        body, _ = vendor_error("businesscentral", status, None)
        failed = {
            "id": operation,
            "status": status,
            "headers": {"content-type": "application/json"},
            "body": json.loads(body),
        }
        flow.metadata["harness"]["failed_operation"] = failed
        if not kept:
            flow.response = http.Response.make(
                200, json.dumps({"responses": []}).encode(), {"Content-Type": "application/json"}
            )
            return
        payload["requests"] = kept
        flow.request.content = json.dumps(payload).encode()

    async def response(self, flow: http.HTTPFlow) -> None:
        meta = flow.metadata.get("harness")
        if meta is None or flow.response is None:
            return
        front: Front = meta["front"]
        response = flow.response
        failed = meta.get("failed_operation")
        if failed is not None:
            answer = json.loads(response.content or b"{}")
            answer.setdefault("responses", []).append(failed)
            response.content = json.dumps(answer).encode()
        for name in _REWRITTEN:
            if name in response.headers:
                response.headers[name] = response.headers[name].replace(front.upstream, front.origin)
        content_type = response.headers.get("content-type", "")
        if "json" in content_type and response.content and front.upstream.encode() in response.content:
            response.content = response.content.replace(front.upstream.encode(), front.origin.encode())
        if meta.get("delay"):
            await asyncio.sleep(meta["delay"])
        if meta.get("lose") or meta.get("crash"):
            self._settle_lost(flow)
            if meta.get("crash"):
                self.product.kill(meta["crash"])  # before the answer could reach it: the write landed unseen
            flow.kill()
            return
        self._settle(flow, response)

    def error(self, flow: http.HTTPFlow) -> None:
        if flow.metadata.get("harness") is not None:
            if flow.error is not None and "connect" in str(flow.error.msg).lower():
                front: Front = flow.metadata["harness"]["front"]
                print(
                    f"harness proxy: {front.tenant} at {front.upstream} is not reachable: {flow.error.msg}",
                    file=sys.stderr,
                    flush=True,
                )
            self._settle_lost(flow)

    # --- counting ---------------------------------------------------------------------------------------------
    def _settle(self, flow: http.HTTPFlow, response: http.Response) -> None:
        meta = flow.metadata["harness"]
        if meta.get("settled"):
            return
        meta["settled"] = True
        self.meters.answered_on_the_wire(
            meta["arrival"],
            response.status_code,
            content_type=response.headers.get("content-type", ""),
            body=response.content or b"",
            retry_after=response.headers.get("retry-after"),
        )

    def _settle_lost(self, flow: http.HTTPFlow) -> None:
        meta = flow.metadata["harness"]
        if not meta.get("settled"):
            meta["settled"] = True
            self.meters.lost(meta["arrival"])


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


addons = [HarnessProxy()]
