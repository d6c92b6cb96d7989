"""What every fake tenant shares: routing, the fault plan, request counters, and the control plane.

A vendor's fake subclasses :class:`FakeTenant`. It brings a model (state and the vendor's rules), its routes (thin
handlers that only translate HTTP to model calls), its error body (:class:`VendorError`), and its seed/dump format.
The base class is the WSGI application: it counts each request by route, applies the fault plan, authenticates,
serialises access to the model, and answers ``/_harness/...`` (the control plane), which is never counted, faulted
or authenticated.

Control plane over HTTP (JSON bodies):

=======  ========================  ==========================================================
POST     /_harness/reset           empty the tenant, clear faults and counters
POST     /_harness/seed            add records (vendor format, see the vendor's ``seed``)
GET      /_harness/records         every record the tenant holds (vendor format)
GET      /_harness/clock           ``{"now": "...Z", "frozen": bool}``
PUT      /_harness/clock           ``{"now": "...Z"?, "frozen": bool?, "advance": seconds?}``
GET      /_harness/faults          the plan, with how often each rule fired
POST     /_harness/faults          add a rule (see :class:`~harness.fakes.faults.Fault`)
DELETE   /_harness/faults          clear the plan
GET      /_harness/requests        ``{"total": n, "routes": {route: n}, "batch_operations": {...}}``
DELETE   /_harness/requests        zero the counters
GET      /_harness/info            how to reach and authenticate to this tenant
=======  ========================  ==========================================================
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
import socket
import sys
import threading
import time
import traceback
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from werkzeug.http import http_date
from werkzeug.wrappers import Request, Response

import harness.client.jsontext as jsontext
from harness.client.timestamps import format_timestamp, parse_timestamp
from harness.fakes.clock import Clock, IdSource
from harness.fakes.faults import Fault, FaultPlan, FaultRuleError

__all__ = [
    "CONTROL_PREFIX",
    "DroppedConnection",
    "FakeTenant",
    "Route",
    "SimulatedTimeout",
    "VendorError",
    "answer_wait",
    "json_response",
    "read_timeout",
]

CONTROL_PREFIX = "/_harness/"

# The read timeout of the in-process client making the current request, so a fault delay longer than it can time
# out the way a socket would (set by harness.fakes.transport; None on real sockets, where the socket times out).
read_timeout: contextvars.ContextVar[float | None] = contextvars.ContextVar("read_timeout", default=None)
# How a fault's delay passes for the current request: on a socket it is slept (the client's own timeout must fire);
# in-process the transport may record it on the suite's clock instead, so a slow answer costs no real time.
answer_wait: contextvars.ContextVar[Callable[[float], None]] = contextvars.ContextVar("answer_wait", default=time.sleep)


class DroppedConnection(ConnectionResetError):
    """Raised by the app to drop the connection without a response (werkzeug treats it as a dropped peer)."""


class SimulatedTimeout(TimeoutError):
    """Raised in-process when a fault delay outlasts the client's read timeout."""


class VendorError(Exception):
    """An error the vendor's API would answer with; each vendor renders its own body."""

    status: int = 500

    @abstractmethod
    def to_response(self) -> Response:
        raise NotImplementedError


Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    """``name`` is what the request counters show, e.g. ``GET {entity_set}({id})``."""

    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Handler
    public: bool = False

    def label(self, params: Mapping[str, str]) -> str:
        """The counter name: placeholders that are route parameters are filled in (``GET {entity_set}``)."""
        return self.name.format_map(_KeepMissing(params))


class _KeepMissing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def json_response(
    payload: Any,
    status: int = 200,
    *,
    headers: Mapping[str, str] | None = None,
    content_type: str | None = None,
) -> Response:
    body = jsontext.dumps(payload)
    response = Response(body, status=status, content_type=content_type or "application/json; charset=utf-8")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class FakeTenant(ABC):
    """A fake tenant: the WSGI app, with the vendor's model behind it."""

    system: ClassVar[str]

    def __init__(self, *, clock: Clock | None = None, ids: IdSource | None = None) -> None:
        self.clock = clock or Clock()
        self.ids = ids or IdSource()
        self.faults = FaultPlan()
        self.lock = threading.RLock()
        self._count_lock = threading.Lock()
        self.request_counts: Counter[str] = Counter()
        self.batch_operation_counts: Counter[str] = Counter()
        self._served = 0
        # Every unexpected exception the fake hit: a bug in the fake, which tests assert never happens.
        self.internal_errors: list[str] = []
        self.base_url = "http://testserver"
        self._routes: list[Route] = list(self.routes())
        self._dispatched: dict[tuple[str, str], tuple[Route, dict[str, str]] | list[str]] = {}

    # --- what a vendor supplies -------------------------------------------------------------------------------
    @abstractmethod
    def routes(self) -> Iterable[Route]: ...

    @abstractmethod
    def authenticate(self, request: Request) -> str:
        """Return the principal a request acts for, or raise the vendor's 401."""

    @abstractmethod
    def no_route(self, request: Request, allowed: list[str]) -> VendorError:
        """The vendor's answer to an unknown path (``allowed`` empty) or a method the path does not take."""

    @abstractmethod
    def fault_error(self, status: int, retry_after: float | None) -> VendorError:
        """The vendor's body for an injected status."""

    @abstractmethod
    def internal_error(self) -> VendorError: ...

    @abstractmethod
    def reset_state(self) -> None: ...

    @abstractmethod
    def seed(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Add records given in the vendor's seed format; return what was created (with ids)."""

    @abstractmethod
    def dump(self) -> dict[str, Any]: ...

    @abstractmethod
    def info(self) -> dict[str, Any]:
        """How to reach and authenticate to the tenant (the shape ``harness serve`` prints)."""

    def before_request(self, request: Request, principal: str) -> None:  # noqa: B027 - optional hook
        """Vendor hook after authentication (rate limits, size limits); raise a VendorError to refuse.

        Public routes (a token endpoint) skip authentication and this hook.
        """

    # --- control plane in Python ------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.reset_state()
        self.faults.clear()
        self.clear_counts()
        self.internal_errors.clear()

    def add_fault(self, **rule: Any) -> Fault:
        return self.faults.add(Fault.from_json(rule))

    def clear_counts(self) -> None:
        with self._count_lock:
            self.request_counts.clear()
            self.batch_operation_counts.clear()
            self._served = 0

    def counts(self) -> dict[str, Any]:
        with self._count_lock:
            return {
                "total": sum(self.request_counts.values()),
                "routes": dict(sorted(self.request_counts.items())),
                "batch_operations": dict(sorted(self.batch_operation_counts.items())),
                "records_served": self._served,
            }

    def writes(self) -> int:
        """Creates, updates and deletes received so far, ``$batch`` operations one by one (the ``$batch`` envelope
        and token requests are not writes of data)."""
        with self._count_lock:
            routes = [*self.request_counts.items(), *self.batch_operation_counts.items()]
        return sum(
            n
            for route, n in routes
            if route.split()[0] in ("POST", "PATCH", "PUT", "DELETE") and "$batch" not in route and "token" not in route
        )

    def requests(self) -> int:
        """HTTP requests for data received so far, a ``$batch`` as one (token requests are not counted: a client's
        token cache decides those, not how much it reads or writes)."""
        with self._count_lock:
            return sum(n for route, n in self.request_counts.items() if "token" not in route)

    def served(self) -> int:
        """Records answered to reads so far: each record of a page, each record read by id (in a ``$batch`` too).
        What a sync costs a tenant grows with this, not with the number of requests alone."""
        with self._count_lock:
            return self._served

    def count_served(self, records: int) -> None:
        with self._count_lock:
            self._served += records

    def count_batch_operation(self, name: str) -> None:
        with self._count_lock:
            self.batch_operation_counts[name] += 1

    # --- WSGI -------------------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            response = self._control(request)
        else:
            response = self._serve(request, environ)
        # The tenant's clock as every HTTP server states it: a client learns from it how far the tenant's time has
        # come (a sync's cursor may move up to it), so it is the fake's clock, never the machine's.
        response.headers["Date"] = http_date(self.clock.now())
        return response(environ, start_response)

    def dispatch(self, method: str, path: str) -> tuple[Route, dict[str, str]] | list[str]:
        """The route and its parameters, or the methods the path does accept (empty: no such path)."""
        key = (method, path)
        found = self._dispatched.get(key)
        if found is None:
            found = self._dispatch(method, path)
            if len(self._dispatched) >= 4096:
                self._dispatched.clear()  # a bounded memo: a $batch repeats the same paths a hundred times
            self._dispatched[key] = found
        if isinstance(found, tuple):
            return found[0], dict(found[1])
        return list(found)

    def _dispatch(self, method: str, path: str) -> tuple[Route, dict[str, str]] | list[str]:
        allowed: list[str] = []
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            if route.method == method:
                return route, match.groupdict()
            allowed.append(route.method)
        return allowed

    def _serve(self, request: Request, environ: dict[str, Any]) -> Response:
        found = self.dispatch(request.method, request.path)
        name = found[0].label(found[1]) if isinstance(found, tuple) else f"{request.method} (unrouted)"
        with self._count_lock:
            self.request_counts[name] += 1
        fault = self.faults.take(request.method, request.path)
        if fault is not None:
            self._delay(fault.delay)
            if fault.drop:
                self._drop(environ)
            if fault.status is not None:
                return self.error_response(self.fault_error(fault.status, fault.retry_after))
        try:
            if not isinstance(found, tuple):
                raise self.no_route(request, found)
            route, params = found
            if not route.public:
                self.before_request(request, self.authenticate(request))
            with self.lock:
                answer = route.handler(request, **params)
        except VendorError as exc:
            answer = self.error_response(exc)
        except Exception:  # noqa: BLE001 - the fake must answer like the vendor whatever went wrong
            # A bug in the fake must not look like a vendor answer: keep it for the tests, answer like the vendor.
            self.internal_errors.append(traceback.format_exc())
            print(self.internal_errors[-1], file=sys.stderr)
            answer = self.error_response(self.internal_error())
        if fault is not None and fault.lose_answer:
            self._drop(environ)  # carried out, and the answer never reaches the client
        return answer

    def error_response(self, error: VendorError) -> Response:
        """The vendor's answer for ``error``; a vendor whose errors carry ids (Business Central's correlation ids)
        draws them from the tenant's seeded id source here."""
        return error.to_response()

    @staticmethod
    def _delay(seconds: float) -> None:
        if seconds <= 0:
            return
        limit, wait = read_timeout.get(), answer_wait.get()
        if limit is not None and seconds > limit:
            wait(limit)
            raise SimulatedTimeout(f"no response within the client's {limit} s read timeout")
        wait(seconds)

    @staticmethod
    def _drop(environ: Mapping[str, Any]) -> None:
        sock = environ.get("werkzeug.socket")
        if isinstance(sock, socket.socket):
            # Shut the socket down so the client sees the connection close instead of waiting for a reply.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise DroppedConnection("connection dropped by the fault plan")

    # --- control plane over HTTP ------------------------------------------------------------------------------
    def _control(self, request: Request) -> Response:
        action = request.path[len(CONTROL_PREFIX) :].strip("/")
        try:
            payload = self._control_body(request)
            key = (request.method, action)
            if key == ("POST", "reset"):
                self.reset()
                return json_response({"reset": True})
            if key == ("POST", "seed"):
                with self.lock:
                    return json_response(self.seed(payload), status=201)
            if key == ("GET", "records"):
                with self.lock:
                    return json_response(self.dump())
            if key == ("GET", "clock"):
                return json_response(self._clock_state())
            if key == ("PUT", "clock"):
                self._set_clock(payload)
                return json_response(self._clock_state())
            if key == ("GET", "faults"):
                return json_response({"faults": [rule.to_json() for rule in self.faults.rules()]})
            if key == ("POST", "faults"):
                return json_response(self.add_fault(**payload).to_json(), status=201)
            if key == ("DELETE", "faults"):
                self.faults.clear()
                return json_response({"faults": []})
            if key == ("GET", "requests"):
                return json_response(self.counts())
            if key == ("DELETE", "requests"):
                self.clear_counts()
                return json_response(self.counts())
            if key == ("GET", "info"):
                return json_response(self.info())
        except (ValueError, FaultRuleError, KeyError, TypeError, VendorError) as exc:
            return json_response({"error": f"{request.method} {request.path}: {exc}"}, status=400)
        except Exception:  # noqa: BLE001 - a bug in a control action is kept for the tests, like any other
            self.internal_errors.append(traceback.format_exc())
            return json_response({"error": f"{request.method} {request.path}: internal error in the fake"}, status=500)
        return json_response({"error": f"no control action {request.method} {request.path}"}, status=404)

    @staticmethod
    def _control_body(request: Request) -> dict[str, Any]:
        if request.method in ("GET", "DELETE") or not request.get_data():
            return {}
        try:
            payload = json.loads(request.get_data(as_text=True))
        except json.JSONDecodeError as exc:
            raise ValueError(f"the body is not JSON ({exc})") from None
        if not isinstance(payload, dict):
            raise ValueError("the body must be a JSON object")
        return payload

    def _clock_state(self) -> dict[str, Any]:
        return {"now": format_timestamp(self.clock.now()), "frozen": self.clock.frozen}

    def _set_clock(self, payload: Mapping[str, Any]) -> None:
        unknown = sorted(set(payload) - {"now", "frozen", "advance"})
        if unknown:
            raise ValueError(f"unknown clock field(s) {unknown}; allowed: advance, frozen, now")
        frozen = payload.get("frozen")
        if frozen is not None and not isinstance(frozen, bool):
            raise ValueError(f"'frozen' must be true or false, got {frozen!r}")
        if "now" in payload:
            self.clock.set(parse_timestamp(str(payload["now"])), frozen=frozen)
        elif frozen is True:
            self.clock.freeze()
        elif frozen is False:
            self.clock.unfreeze()
        if "advance" in payload:
            step = payload["advance"]
            if isinstance(step, bool) or not isinstance(step, int | float):
                raise ValueError(f"'advance' must be a number of seconds, got {step!r}")
            self.clock.advance(float(step))
