"""The proxy's control plane: a small JSON API on its own loopback port, for the suite and for people.

Every request carries the run's key as the password of HTTP basic auth (the user name is free), which is how
``HARNESS_PROXY_URL`` (``http://harness:<key>@127.0.0.1:<port>/``) hands it to any HTTP client. Routes::

    GET    /health                   the fronts: tenant, listening URL, upstream origin
    GET    /trouble                  seconds of waiting the faults and holds have imposed on the product, in all
    GET    /meters                   every meter (harness.traffic.meters) and the limits judged (harness.traffic.limits)
    GET    /meters/writes?tenant=&entity_set=&record=[&since=&until=]   writes the product made to one record
    GET    /meters/cycles[?since=]   the product's complete cycles (see harness.traffic.meters.Meters)
    POST   /meters/cycles            the same, {"since", "records"}: with how many of those records each served
    GET    /faults                   the rules still in force
    POST   /faults                   add a rule (or a list of rules); 400 naming the field when one is wrong
    DELETE /faults[?tenant=]         drop the rules (of one tenant)
    DELETE /faults/{id}              drop one rule
    GET    /holds                    every hold
    POST   /holds                    hold the product's next write(s) to one record
    GET    /holds/{id}               one hold's state
    POST   /holds/{id}/release       let the caught write go on
    DELETE /holds/{id}               cancel it (a caught write goes on)
    GET    /product                  the product's process when the proxy started it: state, starts, crashes, exits
    POST   /product                  start it: {"command", "environment", "log"} (harness proxy --product-command)
    DELETE /product                  stop it (SIGTERM, then SIGKILL after 10 s): {"status": its exit status}

Nothing here ever echoes a header of the product's requests.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harness.proxy.faults import FaultError, FaultPlan
from harness.proxy.holds import HoldBook, HoldError
from harness.proxy.product import ProductError, Supervisor
from harness.traffic.limits import judge
from harness.traffic.meters import Meters

__all__ = ["ControlPlane"]


class ControlPlane:
    def __init__(
        self,
        key: str,
        meters: Meters,
        faults: FaultPlan,
        holds: HoldBook,
        health: Callable[[], dict[str, Any]],
        address: tuple[str, int] = ("127.0.0.1", 0),
        product: Supervisor | None = None,
    ) -> None:
        self.key, self.meters, self.faults, self.holds, self.health = key, meters, faults, holds, health
        self.product = product or Supervisor()
        plane = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Silent: a control request's line would be noise in the product's log."""

            def do_GET(self) -> None:
                plane.handle(self, "GET")

            def do_POST(self) -> None:
                plane.handle(self, "POST")

            def do_DELETE(self) -> None:
                plane.handle(self, "DELETE")

        self.server = ThreadingHTTPServer(address, Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="proxy-control", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, forever when it never ran
            self.server.shutdown()
        self.server.server_close()

    # --- requests ---------------------------------------------------------------------------------------------
    def _authorised(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            _, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(password.encode(), self.key.encode())

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        if not self._authorised(request.headers.get("Authorization")):
            self._send(request, 401, {"error": "wrong or missing control key: use the URL harness proxy printed"})
            return
        url = urlsplit(request.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        body: Any = None
        length = int(request.headers.get("Content-Length") or 0)
        if length:
            try:
                body = json.loads(request.rfile.read(length))
            except ValueError as exc:
                self._send(request, 400, {"error": f"the body is not JSON: {exc}"})
                return
        try:
            status, answer = self.route(method, parts, query, body)
        except (FaultError, HoldError, ProductError) as exc:
            status, answer = 400 if not str(exc).startswith("no hold") else 404, {"error": str(exc)}
        self._send(request, status, answer)

    def route(self, method: str, parts: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if parts == ["health"] and method == "GET":
            return 200, self.health()
        if parts == ["trouble"] and method == "GET":
            waited = self.faults.trouble_seconds + self.holds.held_seconds + self.product.trouble_seconds
            return 200, {"seconds": round(waited, 3)}
        if parts == ["product"] and method == "GET":
            return 200, self.product.status()
        if parts == ["product"] and method == "POST":
            self.product.start(body)
            self.faults.crashable = True
            return 201, self.product.status()
        if parts == ["product"] and method == "DELETE":
            return 200, {"status": self.product.stop()}
        if parts == ["meters"] and method == "GET":
            snapshot = self.meters.snapshot()
            return 200, {**snapshot, "limits": [limit.to_dict() for limit in judge(snapshot)]}
        if parts == ["meters", "writes"] and method == "GET":
            missing = [n for n in ("tenant", "entity_set", "record") if not query.get(n)]
            if missing:
                return 400, {"error": f"query parameter(s) missing: {', '.join(missing)}"}
            try:
                window = {k: float(query[k]) for k in ("since", "until") if k in query}
            except ValueError:
                return 400, {"error": "since and until are seconds since the epoch"}
            writes = self.meters.writes_to(query["tenant"], query["entity_set"], query["record"], **window)
            return 200, {"writes": writes}
        if parts == ["meters", "cycles"] and method in ("GET", "POST"):
            asked = body if isinstance(body, dict) else {}
            try:
                since = float(asked.get("since", query.get("since", "-inf")))
            except (TypeError, ValueError):
                return 400, {"error": "since is seconds since the epoch"}
            records = asked.get("records", [])
            if not isinstance(records, list):
                return 400, {"error": "records is a list of record ids"}
            return 200, self.meters.cycles(since, [str(r) for r in records])
        if len(parts) == 2 and parts[0] == "faults" and method == "DELETE":
            return 200, {"removed": self.faults.remove(parts[1])}
        if parts == ["faults"]:
            if method == "GET":
                return 200, {"faults": self.faults.pending()}
            if method == "POST":
                rules = body if isinstance(body, list) else [body]
                if not all(isinstance(r, dict) for r in rules):
                    raise FaultError("a fault is a JSON object (or a list of them)")
                return 201, {"faults": [f.to_dict() for f in self.faults.add_all(rules)]}
            if method == "DELETE":
                return 200, {"removed": self.faults.clear(query.get("tenant"))}
        if parts and parts[0] == "holds":
            if len(parts) == 1 and method == "GET":
                return 200, {"holds": self.holds.all()}
            if len(parts) == 1 and method == "POST":
                if not isinstance(body, dict):
                    raise HoldError("a hold is a JSON object: tenant, entity_set, record, timeout, times")
                return 201, self.holds.add(body).to_dict()
            if len(parts) == 2 and method == "GET":
                return 200, self.holds.get(parts[1]).to_dict()
            if len(parts) == 2 and method == "DELETE":
                return 200, self.holds.release(parts[1], cancel=True).to_dict()
            if len(parts) == 3 and parts[2] == "release" and method == "POST":
                return 200, self.holds.release(parts[1]).to_dict()
        return 404, {"error": f"no control route {method} /{'/'.join(parts)}; see harness/proxy/control.py"}

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
