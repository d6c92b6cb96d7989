"""Serve a fake tenant on a loopback socket, in a background thread, for real-HTTP runs."""

from __future__ import annotations

import contextlib
import io
import ipaddress
import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

__all__ = ["LoopbackServer"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost could resolve anywhere


class _QuietHandler(WSGIRequestHandler):
    # One log line per request would drown the test output; failures surface through the tests instead.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        # The base class adds a Date from the machine's clock; the fakes state their own (their clock, which a test
        # may have set or frozen), and two Date headers that disagree would leave a client guessing.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())


class LoopbackServer:
    """``with LoopbackServer(app) as server: server.url`` — threaded, port 0 picks a free port."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        if not _is_loopback(host):
            raise ValueError(f"host {host!r} is not a loopback address; the fakes listen on 127.0.0.0/8 or ::1 only")
        try:
            # werkzeug prints its own advice and exits when the port is taken; a library raises instead.
            with contextlib.redirect_stderr(io.StringIO()):
                self._server: BaseWSGIServer = make_server(
                    host, port, app, threaded=True, request_handler=_QuietHandler
                )
        except SystemExit:
            raise OSError(f"port {port} on {host} is already in use") from None
        # A short poll keeps shutdown quick: tests start and stop a server per test.
        self._thread = threading.Thread(target=self._serve, name=f"fake@{self.url}", daemon=True)

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
