"""What a sync run did, per flow and record, in a shape that serialises to JSON for the Allure report.

Each record that needed anything is listed with its outcome: ``created``, ``updated`` (which properties, which
direction, old -> new), ``failed`` (the tenant's code and message), ``retired`` (its origin is gone),
``recreated`` (its counterpart was gone); a conflict resolved on the way says who won and why. Records that needed
nothing are counted per flow, not listed, so a no-op run over 100,000 records stays small.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Change", "RecordOutcome", "SyncReport"]

Action = Literal["created", "updated", "failed", "retired", "recreated"]


@dataclass(frozen=True, slots=True)
class Change:
    property: str
    direction: Literal["origin->target", "target->origin"]
    old: Any
    new: Any


@dataclass(slots=True)
class RecordOutcome:
    flow: str
    origin_id: str
    target_id: str | None
    action: Action
    # Tuples: a first sync keeps 120,000 outcomes, most without a conflict, and the empty tuple costs nothing.
    changes: tuple[Change, ...] = ()
    conflicts: tuple[str, ...] = ()
    error: dict[str, Any] | None = None


@dataclass
class SyncReport:
    flows: list[str] = field(default_factory=list)
    records: list[RecordOutcome] = field(default_factory=list)
    unchanged: Counter[str] = field(default_factory=Counter)
    requests: dict[str, int] = field(default_factory=dict)
    passes: int = 0
    reconciled: bool = False
    seconds: float = 0.0

    def add(self, outcome: RecordOutcome) -> None:
        self.records.append(outcome)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per flow: how many records ended in each action, plus ``unchanged``."""
        table: dict[str, Counter[str]] = {flow: Counter() for flow in self.flows}
        for outcome in self.records:
            table.setdefault(outcome.flow, Counter())[outcome.action] += 1
        for flow, count in self.unchanged.items():
            table.setdefault(flow, Counter())["unchanged"] += count
        return {flow: dict(sorted(counter.items())) for flow, counter in table.items()}

    @property
    def writes(self) -> int:
        return sum(1 for outcome in self.records if outcome.action in ("created", "updated", "recreated"))

    @property
    def failures(self) -> list[RecordOutcome]:
        return [outcome for outcome in self.records if outcome.action == "failed"]

    def for_record(self, origin_id: str) -> list[RecordOutcome]:
        return [outcome for outcome in self.records if outcome.origin_id == origin_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "flows": self.flows,
            "counts": self.counts(),
            "requests": self.requests,
            "passes": self.passes,
            "reconciled": self.reconciled,
            "seconds": round(self.seconds, 3),
            "records": [asdict(outcome) for outcome in self.records],
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str, **kwargs)
