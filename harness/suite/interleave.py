"""A user's edit between an external product's read and its write, caught at ``harness proxy``.

The reference sync is caught by its tripwire (:mod:`harness.suite.tripwire`); a product in another process is caught
by a hold: the proxy stops the product's next write to the record, a thread here makes the user's edit as soon as it
sees the write caught, then lets the write go on. The write then meets a newer version than the one the product read.
:meth:`UserAtTheHold.finish` (after the scenario's next "the sync runs") fails the scenario, naming the record, when
the product never wrote it in time: then nothing was proven.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from harness.proxy.client import ProxyControl, ProxyError

__all__ = ["UserAtTheHold"]


class UserAtTheHold:
    def __init__(
        self,
        proxy: ProxyControl,
        *,
        tenant: str,
        entity_set: str,
        record: str,
        what: str,
        edit: Callable[[], Any],
        within: float,
        times: int = 1,
    ) -> None:
        self.proxy, self.what, self.edit, self.within, self.times = proxy, what, edit, within, times
        self.tenant, self.record = tenant, record
        self.hold_id = proxy.hold(tenant, entity_set, record, timeout=within, times=times)
        self.edits: list[Any] = []
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"user at hold {self.hold_id}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            for _ in range(self.times):
                state = self._wait_caught()
                if state != "caught":
                    return
                self.edits.append(self.edit())
                self.proxy.release(self.hold_id)
        except BaseException as exc:  # noqa: BLE001 - reported by finish(), in the scenario's own thread
            self.error = exc
            with contextlib.suppress(ProxyError):
                self.proxy.cancel(self.hold_id)

    def _wait_caught(self) -> str:
        while not self._stop.is_set():
            state = str(self.proxy.wait_caught(self.hold_id, within=0.5, poll=0.05)["state"])
            if state != "waiting":
                return state
        return "cancelled"

    def finish(self) -> None:
        """After the run: the first catch must have happened within the service level; any hold left is cancelled."""
        deadline = time.monotonic() + self.within
        while not self.edits and self.error is None and self._thread.is_alive() and time.monotonic() < deadline:
            self._thread.join(0.1)
        self.cancel()
        if self.error is not None:
            raise AssertionError(f"the user's edit of {self.what} at the product's write failed: {self.error}")
        if not self.edits:
            raise AssertionError(
                f"expected the product to write {self.what} ({self.tenant} record {self.record}) within "
                f"{self.within:g} s, so that the user's edit could land between its read and its write; it never did"
            )

    def cancel(self) -> None:
        self._stop.set()
        with contextlib.suppress(ProxyError):
            self.proxy.cancel(self.hold_id)
        self._thread.join(2.0)
