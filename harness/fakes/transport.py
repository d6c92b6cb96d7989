"""In-process transport: an httpx client talks to a fake tenant without a socket, failing the way sockets fail.

``httpx.WSGITransport`` alone would surface a dropped connection as the app's Python exception and would wait out any
delay; here they become ``httpx.RemoteProtocolError`` and ``httpx.ReadTimeout``, as on the wire. A fault's delay passes
by ``wait``: ``time.sleep`` by default, or a recorder of the suite's own time, so a slow answer costs no real time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from harness.fakes.tenant import DroppedConnection, SimulatedTimeout, answer_wait, read_timeout

__all__ = ["FakeTransport"]


def _pep3333(app: Any) -> Any:
    """Undo httpx's unicode ``PATH_INFO``: WSGI wants the UTF-8 bytes as latin-1 text, as a socket server gives."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        environ["PATH_INFO"] = environ.get("PATH_INFO", "").encode("utf-8").decode("latin-1")
        return app(environ, start_response)

    return wrapped


class FakeTransport(httpx.BaseTransport):
    def __init__(self, app: Any, *, wait: Callable[[float], None] = time.sleep) -> None:
        self._inner = httpx.WSGITransport(app=_pep3333(app))
        self._wait = wait

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout") or {}
        token, waiting = read_timeout.set(timeouts.get("read")), answer_wait.set(self._wait)
        try:
            return self._inner.handle_request(request)
        except DroppedConnection as exc:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from exc
        except SimulatedTimeout as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from exc
        finally:
            read_timeout.reset(token)
            answer_wait.reset(waiting)
