"""The fault plan: the next N requests that match a method and a path misbehave in a chosen way.

A rule answers with a status (and ``Retry-After`` when asked), waits before answering, or drops the connection
without a response. Rules are consumed in the order they were added; a request meets at most one rule.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Fault", "FaultPlan", "FaultRuleError"]


class FaultRuleError(ValueError):
    """A fault rule that cannot be obeyed; the message names the field and what is wrong."""


@dataclass
class Fault:
    """One rule of the plan.

    ``path`` is a shell-style pattern over the request path without the query string (``*/contacts*``);
    ``method`` a method name or ``*``. ``skip`` lets that many matching requests through first, so a test can
    fail exactly the third page read. ``times`` is how many matching requests the rule then affects.
    ``status``: answer with this status and the vendor's error body for it. ``delay``: seconds to wait first.
    ``drop``: close the connection without answering (after ``delay``), the request not carried out.
    ``lose_answer``: carry the request out, then close the connection without answering (did the write land?).
    ``in_batch``: the rule meets the operations
    inside a ``$batch`` one by one instead of whole requests (answering that operation alone with ``status``), as a
    tenant refuses one record of a batch and accepts the rest.
    """

    method: str = "*"
    path: str = "*"
    times: int = 1
    skip: int = 0
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    drop: bool = False
    lose_answer: bool = False
    in_batch: bool = False
    fired: int = field(default=0)
    seen: int = field(default=0)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if self.times < 1:
            raise FaultRuleError(f"fault 'times' must be at least 1, got {self.times}")
        if self.skip < 0:
            raise FaultRuleError(f"fault 'skip' must not be negative, got {self.skip}")
        if self.delay < 0 or self.delay > 600:
            raise FaultRuleError(f"fault 'delay' must be between 0 and 600 seconds, got {self.delay}")
        if self.status is not None and not 400 <= self.status <= 599:
            raise FaultRuleError(f"fault 'status' must be an error status 400-599, got {self.status}")
        if self.status is None and not self.drop and not self.lose_answer and self.delay == 0:
            raise FaultRuleError("a fault needs a 'status', a 'delay', 'drop': true or 'lose_answer': true")
        if self.lose_answer and (self.status is not None or self.drop or self.in_batch):
            raise FaultRuleError(
                "'lose_answer' carries the request out, then drops the answer: no status, drop or batch"
            )
        if self.drop and self.status is not None:
            raise FaultRuleError("a fault either answers with a 'status' or drops the connection, not both")
        if self.in_batch and (self.status is None or self.drop or self.delay):
            raise FaultRuleError("a fault 'in_batch' answers one operation with a 'status'; it cannot wait or drop")
        if self.retry_after is not None and (self.status is None or self.retry_after < 0):
            raise FaultRuleError("'retry_after' needs a 'status' and must not be negative")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        allowed = {
            "method",
            "path",
            "times",
            "skip",
            "status",
            "retry_after",
            "delay",
            "drop",
            "lose_answer",
            "in_batch",
        }
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise FaultRuleError(f"unknown fault field(s) {unknown}; allowed: {sorted(allowed)}")
        try:
            return cls(**{key: data[key] for key in allowed if key in data})
        except TypeError as exc:
            raise FaultRuleError(f"malformed fault rule: {exc}") from None

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method.upper())) and fnmatch.fnmatchcase(path, self.path)

    @property
    def exhausted(self) -> bool:
        return self.fired >= self.times

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultPlan:
    """Thread-safe list of rules; :meth:`take` consumes the first live rule a request matches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method: str, path: str, *, in_batch: bool = False) -> Fault | None:
        """The rule this request (or, ``in_batch``, this operation of a ``$batch``) meets, if any."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or rule.in_batch != in_batch or not rule.matches(method, path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.skip:
                    # A skipped request is spent on this rule only: later rules still see it.
                    continue
                rule.fired += 1
                return rule
            return None

    def rules(self) -> list[Fault]:
        with self._lock:
            return list(self._rules)

    @property
    def pending(self) -> int:
        """How many faults are still to fire; a test can assert its plan was used up."""
        with self._lock:
            return sum(rule.times - rule.fired for rule in self._rules)
