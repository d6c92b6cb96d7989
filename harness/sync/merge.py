"""The decisions for a linked pair, property by property: Sesam Talk's rules, as pure functions.

:func:`decide` decides one mapped property; :func:`decide_pair` decides every property of a pair and returns the
writes each side needs, the values now known to be in sync, and what to report.

Inputs: the origin's and the target's current values, the value last synced (None before the first sync), and the
two records' modification times. Rules (``docs/contract.md``):

- a side whose value differs from the synced value was edited since the last sync;
- one side edited: its value goes to the other side (rule 3), unless it is empty (rule 5: empty never overwrites);
- both edited to the same value: nothing to write, the value is now the synced one;
- both edited to different values: the later-modified record wins, the origin on a tie (rule 4); an empty winner
  still overwrites nothing (rule 5), so both keep what they have.

Empty means None or "": the two tenants spell a missing phone differently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from harness.sync.plan import PropertyPair
from harness.sync.report import Change

__all__ = ["Decision", "PairDecision", "decide", "decide_pair", "is_empty", "normalise"]

Side = Literal["origin", "target"]


def is_empty(value: Any) -> bool:
    return value is None or value == ""


def normalise(value: Any) -> Any:
    return None if is_empty(value) else value


@dataclass(frozen=True)
class Decision:
    """``write_to`` the side to write ``value`` to (None: no write); ``synced`` the value to remember."""

    write_to: Side | None
    value: Any
    synced: Any
    conflict: str | None = None


def decide(
    origin: Any, target: Any, synced: Any, origin_modified: datetime | None, target_modified: datetime | None
) -> Decision:
    origin, target, synced = normalise(origin), normalise(target), normalise(synced)
    origin_edited, target_edited = origin != synced, target != synced
    if not origin_edited and not target_edited:
        return Decision(None, None, synced)
    if origin == target:
        return Decision(None, None, origin)
    if origin_edited and target_edited:
        origin_wins = target_modified is None or (origin_modified is not None and origin_modified >= target_modified)
        winner: Side = "origin" if origin_wins else "target"
        why = (
            "origin modified later"
            if origin_wins and origin_modified != target_modified
            else "same modification time: the origin wins"
            if origin_wins
            else "target modified later"
        )
        value = origin if origin_wins else target
        if is_empty(value):
            return Decision(
                None, None, synced, conflict=f"{winner} wins ({why}) but cleared it: empty never overwrites"
            )
        return Decision("target" if origin_wins else "origin", value, value, conflict=f"{winner} wins ({why})")
    if origin_edited:
        if origin is None:
            return Decision(None, None, synced)
        return Decision("target", origin, origin)
    if target is None:
        return Decision(None, None, synced)
    return Decision("origin", target, target)


@dataclass(frozen=True)
class PairDecision:
    """What one linked pair needs: values to write to each side (by that side's property names), the values of the
    properties that need no write (now known to be in sync), and the changes and conflicts to report."""

    to_target: dict[str, Any] = field(default_factory=dict)
    to_origin: dict[str, Any] = field(default_factory=dict)
    settled: dict[str, Any] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def decide_pair(
    pairs: Sequence[PropertyPair],
    origin_values: Mapping[str, Any],
    target_values: Mapping[str, Any],
    synced: Mapping[str, Any],
    origin_modified: datetime | None,
    target_modified: datetime | None,
) -> PairDecision:
    """Every mapped property of a pair decided by :func:`decide`; ``synced`` is keyed by the target's names."""
    result = PairDecision()
    for pair in pairs:
        decision = decide(
            origin_values.get(pair.origin),
            target_values.get(pair.target),
            synced.get(pair.target),
            origin_modified,
            target_modified,
        )
        if decision.conflict:
            result.conflicts.append(f"{pair.origin} <-> {pair.target}: {decision.conflict}")
        if decision.write_to == "target":
            result.to_target[pair.target] = decision.value
            result.changes.append(Change(pair.target, "origin->target", target_values.get(pair.target), decision.value))
        elif decision.write_to == "origin":
            result.to_origin[pair.origin] = decision.value
            result.changes.append(Change(pair.origin, "target->origin", origin_values.get(pair.origin), decision.value))
        else:
            result.settled[pair.target] = decision.synced
    return result
