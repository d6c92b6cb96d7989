"""Progress of a long command on a terminal: records read and written, requests, rate-limit waits and the time spent.

The first sync of a real sandbox, the clean-up of a large leftover and ``harness bench`` run for minutes; a person at
a terminal should see them move. A :class:`Ticker` samples the tenant clients' own counters every half second in a
thread and shows them on one line (tqdm), on standard error. It shows nothing when standard error is not a terminal,
when the command prints JSON, or in CI (``CI`` set), so logs and machines get only the result. No ETA: how many
records a tenant holds is not known before they are read.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TextIO

from tqdm import tqdm

from harness.tenants import TenantPair

__all__ = ["Ticker", "wanted"]


def wanted(
    stream: TextIO | None = None, *, json_output: bool = False, environ: Mapping[str, str] | None = None
) -> bool:
    """Whether to show progress: on a terminal, not for JSON output, not in CI."""
    stream = stream if stream is not None else sys.stderr
    environ = environ if environ is not None else os.environ
    if json_output or environ.get("CI") or environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class Ticker:
    """``with Ticker("syncing", pair):`` shows the pair's clients' counters while the block runs (when ``show``)."""

    def __init__(
        self, description: str, pair: TenantPair, *, show: bool, stream: TextIO | None = None, interval: float = 0.5
    ) -> None:
        self.description = description
        self.pair = pair
        self.show = show
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: tqdm[Any] | None = None

    def line(self) -> str:
        """What the clients have done so far, as the progress line says it."""
        crm, bc = self.pair.crmoffice, self.pair.businesscentral
        read = crm.records_read + bc.records_read
        written = crm.records_written + bc.records_written
        requests = sum(crm.sent.values()) + sum(bc.sent.values())
        waited = bc.rate_limit.waited if bc.rate_limit is not None else 0.0
        return f"{read:,} read, {written:,} written, {requests:,} requests, {waited:.0f} s waiting for rate limits"

    def __enter__(self) -> Ticker:
        if self.show:
            # A terminal that states no size (a fresh pseudo-terminal says 0 by 0) gets a usual one: tqdm would show
            # nothing on a screen of no rows.
            size = shutil.get_terminal_size(fallback=(120, 24))
            self._bar = tqdm(
                desc=self.description,
                file=self.stream,
                bar_format="{desc}: {postfix} [{elapsed}]",
                leave=True,
                ncols=size.columns,
                nrows=size.lines,
            )
            self._thread = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._thread.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            self._refresh()

    def _refresh(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self.line(), refresh=True)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._refresh()
            self._bar.close()
