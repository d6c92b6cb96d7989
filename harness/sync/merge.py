"""The decision for one mapped property of a linked pair: Sesam Talk's rules, as a pure function.

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

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

__all__ = ["Decision", "decide", "is_empty", "normalise"]

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
