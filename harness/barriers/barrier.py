"""Barriers: how the suite knows that an external sync product has caught up with a scenario's edits.

An external product syncs on its own schedule and the suite only sees what it writes, so "the sync runs" cannot mean
"wait until nothing moves for a while" (which cannot tell *not yet* from *never*). A barrier instead makes *marker
changes* after the scenario's edits, one per flow and direction the dataflow carries, and waits until each one shows
on the other side: a marker change made at time *t* and seen on the other side proves that the product read the
source after *t*, so after the scenario's edits. "The full sync runs" waits for what only a full read finds: a marker
whose Business Central counterpart was deleted is created again.

Changes are numbered per channel (a flow and a direction). A waiter needs the first change made after it arrived;
the other side showing that change *or any later one* satisfies it, since a later change was made later still. So
one marker change serves every scenario waiting at that moment, on any worker, and the service makes at most one
change per channel and poll: waiting is shared, and the tenants see a handful of requests per poll, whatever the
number of waiting scenarios.

Each crossing is measured (marker change → first poll that saw it) and reported per flow and direction. A change
that has not crossed within its bound (``--converge-timeout`` for edits, ``--full-sync-timeout`` for full reads)
fails the waiting scenarios with :class:`BarrierTimeout`, a product failure naming the flow, the direction, the
marker record, the bound and the time waited.

The tenant side (which records, which properties) is :mod:`harness.barriers.marker_records`; this module is the
bookkeeping, on an injectable clock: :meth:`BarrierService.submit` and :meth:`BarrierService.step` drive it
deterministically in tests, :meth:`BarrierService.start` runs the same steps on a thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from harness.client import TenantError

__all__ = [
    "BOUND_OPTIONS",
    "BarrierKind",
    "BarrierResult",
    "BarrierService",
    "BarrierTimeout",
    "Board",
    "Channel",
    "Crossing",
    "Ticket",
]

BarrierKind = Literal["edits", "full"]
BOUND_OPTIONS: Mapping[str, str] = {"edits": "--converge-timeout", "full": "--full-sync-timeout"}


class BarrierTimeout(AssertionError):
    """The sync product did not carry a marker change within its service level: a product failure."""


class Channel(Protocol):
    """One flow and direction the product must carry, and the marker records that show it."""

    key: str
    flow: str
    direction: str
    kind: BarrierKind

    def ready(self) -> bool:
        """Whether a change can be made now (an inbound marker needs its counterpart first)."""
        ...

    def prepare(self) -> None:
        """Called while waiters need a change and the channel is not ready: make it ready if it can."""
        ...

    def change(self) -> int:
        """Make the next marker change; returns its number (1, 2, ...). May raise :class:`TenantError`."""
        ...

    def wrote(self, seq: int) -> str:
        """What change ``seq`` did, for messages."""
        ...

    def describe(self) -> str:
        """The marker record(s), with their ids, for messages."""
        ...

    def showing(self) -> str:
        """What the other side showed at the last look, for messages."""
        ...


class Board(Protocol):
    """The markers on the tenants: the channels, and one look at the other side of some of them."""

    @property
    def channels(self) -> Sequence[Channel]: ...

    def look(self, channels: Sequence[Channel]) -> dict[str, int]:
        """For each channel, the highest change number the other side shows now (0: none yet)."""
        ...


@dataclass(frozen=True)
class Crossing:
    """One marker change seen on the other side: the product's latency for that flow and direction."""

    flow: str
    direction: str
    marker: str
    change: int
    seconds: float
    """Marker change made → first look that saw it (or a later change) on the other side."""
    waited: float
    """The scenario's wait: it arrived → the crossing was seen."""

    @property
    def change_id(self) -> str:
        return f"{self.flow} / {self.direction} #{self.change}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "direction": self.direction,
            "marker": self.marker,
            "change": self.change,
            "seconds": round(self.seconds, 3),
            "waited": round(self.waited, 3),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Crossing:
        return cls(
            str(data["flow"]),
            str(data["direction"]),
            str(data["marker"]),
            int(data["change"]),
            float(data["seconds"]),
            float(data["waited"]),
        )


@dataclass(frozen=True)
class BarrierResult:
    kind: BarrierKind
    waited: float
    crossings: tuple[Crossing, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "waited": round(self.waited, 3), "crossings": [c.to_dict() for c in self.crossings]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BarrierResult:
        kind = data["kind"]
        if kind not in BOUND_OPTIONS:
            raise ValueError(f"not a barrier kind: {kind!r}")
        return cls(kind, float(data["waited"]), tuple(Crossing.from_dict(c) for c in data["crossings"]))


@dataclass(eq=False)
class Ticket:
    """One scenario's wait: which channels it needs, the change it needs on each, what has crossed."""

    kind: BarrierKind
    arrived: float
    bounds: dict[str, float]
    label: str = ""
    need: dict[str, int] = field(default_factory=dict)
    got: dict[str, Crossing] = field(default_factory=dict)
    troubles: list[str] = field(default_factory=list)
    allowance_at: float = 0.0
    """The service's trouble allowance when the ticket arrived (see :class:`BarrierService`)."""
    result: BarrierResult | None = None
    error: BarrierTimeout | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def outcome(self) -> BarrierResult:
        """The result, or the :class:`BarrierTimeout` raised; only once :attr:`done` is set."""
        if self.error is not None:
            raise self.error
        if self.result is None:
            raise RuntimeError("the barrier is still waiting")
        return self.result


class BarrierService:
    """Shared barriers over a :class:`Board`; thread-safe: any number of scenarios may wait at once."""

    def __init__(
        self,
        board: Board,
        *,
        converge_timeout: float,
        full_sync_timeout: float,
        poll: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        allowance: Callable[[], float] | None = None,
    ) -> None:
        if not 0 < poll <= converge_timeout <= full_sync_timeout:
            raise ValueError(
                f"need 0 < poll ({poll:g} s) <= converge timeout ({converge_timeout:g} s) <= full sync timeout "
                f"({full_sync_timeout:g} s)"
            )
        self.board = board
        self.converge_timeout = converge_timeout
        self.full_sync_timeout = full_sync_timeout
        self.poll = poll
        self.clock = clock
        self.allowance = allowance
        """Seconds of waiting imposed on the product so far by injected trouble (``harness proxy``'s faults and
        holds), in all: a service level is the product's own pace, so what trouble made it wait since a ticket
        arrived is added to that ticket's bounds."""
        self.crossings: list[Crossing] = []
        """Every crossing seen, one per marker change (what the run's latency summary is made of)."""
        self._lock = threading.Lock()
        self._tickets: list[Ticket] = []
        self._made: dict[tuple[str, int], float] = {}
        self._seen: dict[str, int] = {}
        self._recorded: set[tuple[str, int]] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    # --- waiting ----------------------------------------------------------------------------------------------
    def submit(self, kind: BarrierKind, label: str = "", flows: Collection[str] | None = None) -> Ticket:
        """Register a wait that starts now: after every edit the caller has made. ``flows``: the checklist sections
        (headings) the caller depends on, every direction of each; None: all of them."""
        if kind not in BOUND_OPTIONS:
            raise ValueError(f"a barrier is 'edits' or 'full', not {kind!r}")
        known = {channel.flow for channel in self.board.channels}
        if flows is not None and not set(flows) <= known:
            raise ValueError(f"no markers for {sorted(set(flows) - known)}; the sections are {sorted(known)}")
        bounds = {}
        for channel in self.board.channels:
            if flows is not None and channel.flow not in flows:
                continue
            if channel.kind == "edits":
                bounds[channel.key] = self.converge_timeout
            elif kind == "full":
                bounds[channel.key] = self.full_sync_timeout
        ticket = Ticket(kind, self.clock(), bounds, label, allowance_at=self._allowance())
        with self._lock:
            self._tickets.append(ticket)
        self._wake.set()
        return ticket

    def wait(self, kind: BarrierKind, label: str = "", flows: Collection[str] | None = None) -> BarrierResult:
        """Block until the product has carried a marker change made after this call, on every channel of ``flows``."""
        if self._thread is None:
            raise RuntimeError("the barrier service is not started")
        ticket = self.submit(kind, label, flows)
        # The service times tickets out itself; this bound only guards against a service that died.
        limit = max(ticket.bounds.values()) + 10 * self.poll + 30.0
        while not ticket.done.wait(limit):
            if self._thread is None or not self._thread.is_alive():
                break  # a bound stretched by injected trouble is still the service's to settle while it runs
        if ticket.result is None and ticket.error is None:
            raise RuntimeError(f"the barrier service stopped answering: {self._failure!r}")
        return ticket.outcome()

    # --- the service's own loop -------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="barrier-service", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                if not self._pending():
                    self._wake.wait(self.poll)
                    self._wake.clear()
                    continue
                self.step()
                self._stop.wait(self.poll)
        except BaseException as exc:
            self._failure = exc
            with self._lock:
                for ticket in self._tickets:
                    ticket.done.set()
            raise

    def close(self) -> None:
        """Stop; scenarios still waiting are failed (the run is ending)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            for ticket in self._tickets:
                if not ticket.done.is_set():
                    ticket.error = BarrierTimeout("the run ended while this scenario waited for the sync product")
                    ticket.done.set()

    def _pending(self) -> list[Ticket]:
        with self._lock:
            self._tickets = [t for t in self._tickets if not t.done.is_set()]
            return list(self._tickets)

    def step(self) -> None:
        """One poll: make the changes waiters need, look at the other side, release or time out waiters."""
        pending = self._pending()
        if not pending:
            return
        channels = {channel.key: channel for channel in self.board.channels}
        for key, channel in channels.items():
            needing = [t for t in pending if key in t.bounds and key not in t.need]
            if not needing:
                continue
            if not channel.ready():
                self._attempt(needing, channel.prepare, f"{channel.flow}, {channel.direction}")
                if not channel.ready():
                    continue
            made_at = self.clock()
            seq = self._attempt(needing, channel.change, f"{channel.flow}, {channel.direction}")
            if seq is None:
                continue
            self._made[(key, seq)] = made_at
            for ticket in needing:
                ticket.need[key] = seq
        watched = [c for k, c in channels.items() if any(k in t.bounds and k not in t.got for t in pending)]
        seen = self._attempt(pending, lambda: self.board.look(watched), "looking at the markers") or {}
        at = self.clock()
        for key, seq in seen.items():
            self._seen[key] = max(self._seen.get(key, 0), seq)
        for ticket in pending:
            for key, seq in ticket.need.items():
                if key in ticket.got or self._seen.get(key, 0) < seq:
                    continue
                channel = channels[key]
                crossing = Crossing(
                    channel.flow, channel.direction, channel.describe(), seq, at - self._made[(key, seq)],
                    at - ticket.arrived,
                )  # fmt: skip
                ticket.got[key] = crossing
                if (key, seq) not in self._recorded:
                    self._recorded.add((key, seq))
                    self.crossings.append(crossing)
        for ticket in pending:
            self._settle(ticket, channels, at)

    def _attempt(self, tickets: Sequence[Ticket], action: Callable[[], Any], what: str) -> Any:
        # A tenant that fails the markers' own requests fails no scenario by itself: the next poll tries again,
        # and a waiter that times out is told what went wrong.
        try:
            return action()
        except TenantError as exc:
            for ticket in tickets:
                ticket.troubles.append(f"{what}: {type(exc).__name__}: {exc}")
            return None

    def _allowance(self) -> float:
        if self.allowance is None:
            return 0.0
        try:
            return self.allowance()
        except Exception:  # noqa: BLE001 - no allowance read is no stretch; the bound as set applies
            return 0.0

    def _settle(self, ticket: Ticket, channels: Mapping[str, Channel], at: float) -> None:
        waited = at - ticket.arrived
        if len(ticket.got) == len(ticket.bounds):
            ticket.result = BarrierResult(ticket.kind, waited, tuple(ticket.got[k] for k in ticket.bounds))
            ticket.done.set()
            return
        if not any(k not in ticket.got and waited > bound for k, bound in ticket.bounds.items()):
            return
        stretch = max(0.0, self._allowance() - ticket.allowance_at) if self.allowance is not None else 0.0
        late = [k for k, bound in ticket.bounds.items() if k not in ticket.got and waited > bound + stretch]
        if not late:
            return
        lines = []
        for key in late:
            channel = channels[key]
            option = BOUND_OPTIONS[channel.kind]
            if key in ticket.need:
                seq = ticket.need[key]
                what = (
                    f"change {seq} ({channel.wrote(seq)}), made {at - self._made[(key, seq)]:.1f} s ago, has not "
                    f"shown on the other side; {channel.showing()}"
                )
            else:
                what = f"no marker change could be made: {channel.showing()}"
            lines.append(
                f"- {channel.flow}, {channel.direction}: marker {channel.describe()}: {what} "
                f"(bound {option} {ticket.bounds[key]:g} s"
                + (f" + {stretch:.1f} s of injected trouble" if stretch else "")
                + f", waited {waited:.1f} s)"
            )
        if ticket.troubles:
            count, last = len(ticket.troubles), ticket.troubles[-1]
            lines.append(f"- the markers' own requests failed {count} time(s), last: {last}")
        crossed = ", ".join(f"{c.flow}, {c.direction} in {c.seconds:.1f} s" for c in ticket.got.values()) or "none"
        what = "a full read" if ticket.kind == "full" else "the edits"
        scenario = f" ({ticket.label})" if ticket.label else ""
        ticket.error = BarrierTimeout(
            f"the sync product did not carry {what} within its service level{scenario}:\n"
            + "\n".join(lines)
            + f"\ncrossed: {crossed}"
        )
        ticket.done.set()
