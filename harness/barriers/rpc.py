"""One barrier service for a whole run, shared by pytest-xdist workers over a loopback connection.

The controller process runs the :class:`~harness.barriers.barrier.BarrierService` and a :class:`BarrierServer`; each
worker holds a :class:`BarrierClient` with the same ``wait(kind, label)`` as the service. The server listens on
127.0.0.1 only and every connection must prove it knows the run's random key (``multiprocessing.connection``'s
HMAC handshake); messages are JSON, never pickles. A worker's request is sent after its edits, so the service's
clock stamps its arrival after them.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
from collections.abc import Collection
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from typing import Any

from harness.barriers.barrier import BarrierKind, BarrierResult, BarrierService, BarrierTimeout

__all__ = ["BarrierClient", "BarrierServer"]


class BarrierServer:
    def __init__(self, service: BarrierService, host: str = "127.0.0.1") -> None:
        self.service = service
        self.key = secrets.token_bytes(32)
        self._listener = Listener((host, 0), authkey=self.key)
        bound_host, port = self._listener.address
        self._address = (str(bound_host), int(port))
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="barrier-server", daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        return self._address

    def handle(self) -> dict[str, Any]:
        """What a worker needs to connect (``BarrierClient(**handle)``)."""
        host, port = self.address
        return {"host": host, "port": port, "key": self.key.hex()}

    def _accept(self) -> None:
        while True:
            try:
                conn = self._listener.accept()
            except (AuthenticationError, OSError, EOFError):
                continue  # a caller without the run's key, or one that hung up during the handshake
            if self._closed.is_set():
                conn.close()
                self._listener.close()
                return
            threading.Thread(target=self._serve, args=(conn,), name="barrier-conn", daemon=True).start()

    def _serve(self, conn: Connection) -> None:
        with conn:
            while True:
                try:
                    request = json.loads(conn.recv_bytes())
                except (EOFError, OSError):
                    return
                try:
                    flows = request.get("flows")
                    result = self.service.wait(request["kind"], str(request.get("label", "")), flows)
                    answer: dict[str, Any] = {"result": result.to_dict()}
                except BarrierTimeout as exc:
                    answer = {"timeout": str(exc)}
                except Exception as exc:  # noqa: BLE001 - the worker raises it as a harness error (a bad request too)
                    answer = {"error": f"{type(exc).__name__}: {exc}"}
                try:
                    conn.send_bytes(json.dumps(answer).encode())
                except OSError:
                    return

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        # accept() does not return when the listener is closed under it: wake it with a connection of our own.
        with contextlib.suppress(OSError, EOFError), Client(self.address, authkey=self.key):
            pass
        self._thread.join(timeout=10)


class BarrierClient:
    """A worker's end: ``wait`` blocks until the controller's service answers."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self._address = (host, port)
        self._key = bytes.fromhex(key)
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def wait(self, kind: BarrierKind, label: str = "", flows: Collection[str] | None = None) -> BarrierResult:
        request = {"kind": kind, "label": label, "flows": None if flows is None else sorted(flows)}
        with self._lock:
            if self._conn is None:
                self._conn = Client(self._address, authkey=self._key)
            try:
                self._conn.send_bytes(json.dumps(request).encode())
                answer = json.loads(self._conn.recv_bytes())
            except BaseException:
                # Interrupted mid-wait (a scenario's time bound): the answer still due would be read by the next
                # wait, so this connection is done with.
                self.close()
                raise
        if "timeout" in answer:
            raise BarrierTimeout(answer["timeout"])
        if "error" in answer:
            raise RuntimeError(f"the run's barrier service failed: {answer['error']}")
        return BarrierResult.from_dict(answer["result"])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
