"""A transport in front of a tenant that a scenario can arm: stop the sync after a write, or act just before one.

"The sync is stopped midway" must look to the sync exactly like a killed process: the write reached the tenant, the
answer never came back, and nothing in the sync got to react. :class:`Interrupted` is therefore a BaseException that
no handler in the harness catches. "A user edits the record just before the sync writes it" runs a callback before
the write is sent, once or before each write, and the callback's own requests pass the wire as a user's would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

__all__ = ["Interrupted", "Tripwire"]

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


class Interrupted(BaseException):
    """The sync was stopped at a tripwire; like a killed process, nothing may catch it."""


class Tripwire(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, system: str) -> None:
        self.inner = inner
        self.system = system
        self._lock = threading.Lock()
        self._stop_after: int | None = None
        self._before_write: Callable[[], None] | None = None
        self._before_left: int | None = None
        self._acting = threading.local()
        self.writes = 0

    def stop_after_writes(self, count: int) -> None:
        """The ``count``-th write from now reaches the tenant, then the sync stops before it sees the answer."""
        if count < 1:
            raise ValueError(f"stop after at least one write, got {count}")
        with self._lock:
            self._stop_after, self.writes = count, 0

    def before_next_write(self, action: Callable[[], None]) -> None:
        self.before_writes(action, 1)

    def before_writes(self, action: Callable[[], None], times: int | None = None) -> None:
        """Run ``action`` before each of the next ``times`` writes (None: every write until disarmed). The action's
        own requests pass the wire untouched: they are a user's, not the sync's."""
        if times is not None and times < 1:
            raise ValueError(f"act before at least one write, got {times}")
        with self._lock:
            self._before_write, self._before_left = action, times

    def disarm(self) -> None:
        with self._lock:
            self._stop_after, self._before_write, self._before_left = None, None, None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in WRITE_METHODS or "/connect/token" in request.url.path:
            return self.inner.handle_request(request)
        if getattr(self._acting, "on", False):
            return self.inner.handle_request(request)  # the user's own write, made by an action before the sync's
        with self._lock:
            action = self._before_write
            if action is not None and self._before_left is not None:
                self._before_left -= 1
                if self._before_left <= 0:
                    self._before_write, self._before_left = None, None
        if action is not None:
            self._acting.on = True
            try:
                action()
            finally:
                self._acting.on = False
        response = self.inner.handle_request(request)
        with self._lock:
            self.writes += 1
            stop = self._stop_after is not None and self.writes >= self._stop_after
            if stop:
                self._stop_after = None
        if stop:
            response.read()
            response.close()
            raise Interrupted(f"the sync was stopped after write {self.writes} to {self.system}: {request.method}")
        return response

    def close(self) -> None:
        self.inner.close()
