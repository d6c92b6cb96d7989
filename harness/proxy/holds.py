"""Holds: the product's next write to one record waits until the suite has made its user's edit, then goes on.

That is how an external product's read-then-write window is caught from outside: the suite asks for a hold on a
record, the proxy stops the product's write to it (``caught``), the suite edits the record as a user would and
releases the hold, and the write meets a record newer than the one the product read. A product that writes with the
version it read is refused and must decide again; one that overwrites loses the user's edit, which the scenario
sees. A hold never outlives its ``timeout``: a caught write is let go then (``timed out``), and one never written
stays ``waiting``, which the suite reports naming the record.

States: ``waiting`` → ``caught`` → ``released`` (or ``timed out``); ``cancelled`` from any.
The waiting itself is the proxy's (an asyncio future); this module keeps the bookkeeping, thread-safe, so the
control plane (another thread) and the proxy's event loop share it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.traffic.routes import BatchOperation, Target

__all__ = ["Hold", "HoldBook", "HoldError"]


class HoldError(ValueError):
    """A hold that cannot be set or found; the message says which and why."""


@dataclass
class Hold:
    id: str
    tenant: str
    entity_set: str
    record: str
    timeout: float
    times: int = 1
    state: str = "waiting"
    caught: int = 0
    released: int = 0
    created: float = field(default_factory=time.monotonic)
    caught_at: float | None = None
    on_release: list[Callable[[], None]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tenant": self.tenant,
            "entity_set": self.entity_set,
            "record": self.record,
            "state": self.state,
            "caught": self.caught,
            "released": self.released,
            "times": self.times,
            "timeout": self.timeout,
        }

    def covers(self, target: Target) -> bool:
        return (
            target.tenant == self.tenant
            and target.entity_set == self.entity_set
            and target.record == self.record
            and target.is_write
        )


class HoldBook:
    def __init__(self, entity_sets: dict[str, frozenset[str]] | None = None) -> None:
        self._holds: dict[str, Hold] = {}
        self._lock = threading.Lock()
        self.held_seconds = 0.0
        """How long the product's writes have been held, in all."""
        self._sets = entity_sets

    def add(self, raw: dict[str, Any]) -> Hold:
        for name in ("tenant", "entity_set", "record"):
            if not isinstance(raw.get(name), str) or not raw[name]:
                raise HoldError(f"hold field {name!r}: a non-empty string, got {raw.get(name)!r}")
        if self._sets is not None:
            if raw["tenant"] not in self._sets:
                raise HoldError(f"hold field 'tenant': one of {', '.join(sorted(self._sets))}, got {raw['tenant']!r}")
            if raw["entity_set"] not in self._sets[raw["tenant"]]:
                raise HoldError(f"hold field 'entity_set': {raw['tenant']} has no entity set {raw['entity_set']!r}")
        timeout = raw.get("timeout", 120)
        times = raw.get("times", 1)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise HoldError(f"hold field 'timeout': seconds above 0, got {timeout!r}")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise HoldError(f"hold field 'times': a whole number of at least 1, got {times!r}")
        hold = Hold(uuid.uuid4().hex[:12], raw["tenant"], raw["entity_set"], raw["record"], float(timeout), times)
        with self._lock:
            self._holds[hold.id] = hold
        return hold

    def get(self, hold_id: str) -> Hold:
        with self._lock:
            try:
                return self._holds[hold_id]
            except KeyError:
                raise HoldError(f"no hold {hold_id!r}") from None

    def catch(self, target: Target, operations: tuple[BatchOperation, ...] = ()) -> Hold | None:
        """The hold this write meets (now ``caught``), if any: a ``$batch`` meets it through any operation."""
        with self._lock:
            for hold in self._holds.values():
                if hold.state != "waiting":
                    continue
                if hold.covers(target) or any(hold.covers(op.target) for op in operations):
                    hold.state, hold.caught, hold.caught_at = "caught", hold.caught + 1, time.monotonic()
                    return hold
        return None

    def release(self, hold_id: str, *, timed_out: bool = False, cancel: bool = False) -> Hold:
        with self._lock:
            hold = self._holds.get(hold_id)
            if hold is None:
                raise HoldError(f"no hold {hold_id!r}")
            was_caught = hold.state == "caught"
            if was_caught and hold.caught_at is not None:
                self.held_seconds += time.monotonic() - hold.caught_at
            if cancel:
                hold.state = "cancelled"
            elif timed_out and was_caught:
                hold.state = "timed out"
            elif was_caught:
                hold.released += 1
                hold.state = "waiting" if hold.released < hold.times else "released"
            callbacks = list(hold.on_release) if was_caught else []
            hold.on_release.clear()
        for callback in callbacks:
            callback()
        return hold

    def release_all(self) -> int:
        with self._lock:
            ids = [h.id for h in self._holds.values() if h.state in ("waiting", "caught")]
        for hold_id in ids:
            self.release(hold_id, cancel=True)
        return len(ids)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [h.to_dict() for h in self._holds.values()]
