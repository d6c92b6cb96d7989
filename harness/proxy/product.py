"""The product's process, when ``harness proxy --product-command`` starts it, so that a fault can kill it.

A sync product must survive being killed at any moment (rule 10): the write it sent lands, its answer never comes,
and the next start must neither duplicate nor lose it. Only the process that started the product can kill it at that
very moment, so the proxy starts it: the command is split into words as a shell splits them (no pipes or ``&&``;
wrap such a command in ``sh -c '…'``) and run in a session of its own, with the environment ``harness proxy`` hands
over (the settings file's values), its output appended to a log file.

The ``crash`` fault (:mod:`harness.proxy.faults`) kills the product's whole process group with SIGKILL after the
tenant applied the write and before the answer leaves the proxy, then starts it again. A product that exits on its
own is started again after :data:`RESTART_AFTER` (a sync service is restarted by its supervisor; that it exited at
all is reported); one that exits within :data:`EARLY_EXIT` seconds of its start, before any request of it reached the
proxy, :data:`GIVE_UP_AFTER` times running is given up on (``failing``: the command is wrong), and ``harness proxy``
stops naming it.

The time from a kill to the end of the product's first cycle after its new start (it starts a list it has read
since) is trouble the product was made to wait (``GET /trouble``): the barriers of scenarios running meanwhile are
stretched by it.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["EARLY_EXIT", "GIVE_UP_AFTER", "RESTART_AFTER", "Product", "ProductError", "Supervisor"]

RESTART_AFTER = 0.2
"""Seconds between the product's end (killed or exited) and its next start: a supervisor's usual pause."""
EARLY_EXIT = 2.0
"""An exit this soon after a start counts towards giving up: the command is wrong, not the product unlucky."""
GIVE_UP_AFTER = 3


class ProductError(ValueError):
    """The product cannot be started as asked; the message names what is wrong."""


@dataclass
class Crash:
    fault: str
    at: float
    """Wall clock of the kill."""
    back_at: float | None = None
    """Wall clock of the product's return to its rhythm: the first list it reads a second time since its new start
    (the start of its second cycle), so the downtime covers the start-up and the catching-up first cycle."""
    lists: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {"fault": self.fault, "at": self.at, "back_at": self.back_at}


class Product:
    def __init__(
        self,
        command: str,
        environment: Mapping[str, str],
        log: Path,
        on_start: Callable[[], None] = lambda: None,
    ) -> None:
        try:
            self.words = shlex.split(command)
        except ValueError as exc:
            raise ProductError(f"the product's command {command!r} cannot be split into words: {exc}") from None
        if not self.words:
            raise ProductError("the product's command is empty")
        self.command, self.environment, self.log = command, dict(environment), log
        self.on_start = on_start
        """Called at each start: a new process has none of its predecessor's tokens or state in memory."""
        self.state = "stopped"
        self.starts = 0
        self.crashes: list[Crash] = []
        self.exits: list[dict[str, Any]] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        self._early = 0
        self._heard = False
        """Whether a request of the product's current process has reached the proxy."""
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="product-watch", daemon=True)

    # --- life ---------------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the product and watch it; raises :class:`ProductError` when its command cannot be run."""
        self._spawn()
        self._watcher.start()

    def _spawn(self) -> None:
        with self._lock:
            if self._closing.is_set():
                return
            with self.log.open("ab") as out:  # the child keeps its own copy of the file
                try:
                    self._process = subprocess.Popen(
                        self.words,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        env=self.environment,
                        start_new_session=True,  # its own process group: a kill reaches its children too
                    )
                except OSError as exc:
                    raise ProductError(f"cannot run the product's command: {exc.strerror or exc}") from None
            self.starts += 1
            self._started_at = time.monotonic()
            self._heard = False
            self.state = "running"
        self.on_start()

    def kill(self, fault: str) -> None:
        """SIGKILL the product's process group now (a crash), and start it again after :data:`RESTART_AFTER`."""
        with self._lock:
            process = self._process
            if process is None or process.poll() is not None:
                return
            self.state = "restarting"
            self.crashes.append(Crash(fault, time.time()))
            _signal_group(process, signal.SIGKILL)
            process.wait()
        threading.Timer(RESTART_AFTER, self._respawn).start()

    def _respawn(self) -> None:
        try:
            self._spawn()
        except ProductError as exc:
            with self._lock:
                self.state = "failing"
                self.exits.append({"status": None, "at": time.time(), "seconds": 0.0, "error": str(exc)})

    def arrived(self, list_read: str | None) -> None:
        """A request of the product reached the proxy; ``list_read`` names the list when it starts reading one
        (tenant and entity set). A crash's downtime ends when the product starts a list it has already read since
        its new start: its first cycle after the crash is done."""
        self._heard = True
        if list_read is None or not self.crashes or self.crashes[-1].back_at is not None:
            return
        with self._lock:
            crash = self.crashes[-1]
            if crash.back_at is not None or self.state != "running":
                return
            if list_read in crash.lists:
                crash.back_at = time.time()
            else:
                crash.lists.add(list_read)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the product (SIGKILL after ``timeout``); its exit status, None when it was not running."""
        self._closing.set()
        with self._lock:
            process, self._process = self._process, None
            self.state = "stopped" if self.state != "failing" else self.state
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        _signal_group(process, signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            return process.wait()

    def _watch(self) -> None:
        while not self._closing.wait(0.1):
            with self._lock:
                process = self._process
                if process is None or self.state != "running" or process.poll() is None:
                    continue
                lived = time.monotonic() - self._started_at
                self.exits.append({"status": process.returncode, "at": time.time(), "seconds": round(lived, 3)})
                self._early = self._early + 1 if lived < EARLY_EXIT and not self._heard else 0
                self.state = "failing" if self._early >= GIVE_UP_AFTER else "restarting"
                again = self.state == "restarting"
            if again:
                threading.Timer(RESTART_AFTER, self._respawn).start()

    # --- reading ------------------------------------------------------------------------------------------------
    @property
    def trouble_seconds(self) -> float:
        """The crashes' downtime so far (a crash the product has not come back from counts up to now)."""
        now = time.time()
        return sum((c.back_at or now) - c.at for c in self.crashes)

    def status(self) -> dict[str, Any]:
        with self._lock:
            process = self._process
            return {
                "managed": True,
                "command": self.command,
                "state": self.state,
                "pid": process.pid if process is not None and process.poll() is None else None,
                "starts": self.starts,
                "crashes": [c.to_dict() for c in self.crashes],
                "exits": list(self.exits),
                "log": str(self.log),
            }


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone: nothing left to signal
        os.killpg(process.pid, sig)


class Supervisor:
    """The proxy's one product seat: empty until ``POST /product`` (which ``harness proxy --product-command`` sends
    once the fronts are up and the settings file is written)."""

    def __init__(self, on_start: Callable[[], None] = lambda: None) -> None:
        self.product: Product | None = None
        self.on_start = on_start

    def start(self, raw: Any) -> Product:
        if self.product is not None:
            raise ProductError("the product is already started; one proxy fronts one product")
        if not isinstance(raw, dict):
            raise ProductError("the product is a JSON object: command, environment, log")
        command, environment, log = raw.get("command"), raw.get("environment"), raw.get("log")
        if not isinstance(command, str):
            raise ProductError(f"product field 'command': a shell command, got {command!r}")
        if not isinstance(environment, dict) or not all(isinstance(v, str) for v in environment.values()):
            raise ProductError("product field 'environment': an object of names to texts")
        if not isinstance(log, str) or not log:
            raise ProductError(f"product field 'log': the file the product's output goes to, got {log!r}")
        product = Product(command, environment, Path(log), self.on_start)
        product.start()
        self.product = product
        return product

    def status(self) -> dict[str, Any]:
        return self.product.status() if self.product is not None else {"managed": False}

    def arrived(self, list_read: str | None) -> None:
        if self.product is not None:
            self.product.arrived(list_read)

    def kill(self, fault: str) -> None:
        if self.product is not None:
            self.product.kill(fault)

    @property
    def trouble_seconds(self) -> float:
        return self.product.trouble_seconds if self.product is not None else 0.0

    def stop(self) -> int | None:
        return self.product.stop() if self.product is not None else None
