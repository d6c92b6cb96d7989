"""In-process transport: an httpx client talks to a fake tenant without a socket, failing the way sockets fail.

``httpx.WSGITransport`` alone would surface a dropped connection as the app's Python exception and would wait out any
delay; here they become ``httpx.RemoteProtocolError`` and ``httpx.ReadTimeout``, as on the wire.
"""

from __future__ import annotations

from typing import Any

import httpx

from harness.fakes.tenant import DroppedConnection, SimulatedTimeout, read_timeout

__all__ = ["FakeTransport"]


class FakeTransport(httpx.BaseTransport):
    def __init__(self, app: Any) -> None:
        self._inner = httpx.WSGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout") or {}
        token = read_timeout.set(timeouts.get("read"))
        try:
            return self._inner.handle_request(request)
        except DroppedConnection as exc:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from exc
        except SimulatedTimeout as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from exc
        finally:
            read_timeout.reset(token)
