"""Shrinking a failing soak history to a minimal one that still fails the same rule (delta debugging).

A candidate is judged by running it again on the tenants, against the live product, under a fresh tag: a history
"still fails" when the checker finds a violation of the same rule. The first candidate keeps only the actions on the
records the violations name; then chunks of actions are removed while the failure stays (Zeller's ddmin), a record's
actions leaving with its creation. Runs are bounded (each costs the product's cycles); the last failing run is the
result, and it is run once more to confirm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness.soak.checker import Verdict
from harness.soak.history import Action, Event

__all__ = ["Replay", "Shrunk", "shrink"]


@dataclass(frozen=True)
class Replay:
    actions: tuple[Action, ...]
    events: tuple[Event, ...]
    verdict: Verdict


@dataclass
class Shrunk:
    """The smallest failing history found, its confirming run, and every run made on the way."""

    minimal: Replay
    confirmed: bool
    runs: list[tuple[int, bool]] = field(default_factory=list)
    """(actions tried, whether that run failed the rule) for each run, in order."""


Run = Callable[[Sequence[Action]], Replay]


def shrink(
    actions: Sequence[Action],
    verdict: Verdict,
    run: Run,
    *,
    rule: int,
    limit: int = 20,
    focus_only: bool = False,
) -> Shrunk | None:
    """Shrink ``actions`` (whose run gave ``verdict``, failing ``rule``) with at most ``limit`` more runs. With
    ``focus_only``, give up (None) after one run when the actions on the records named do not fail again on their
    own: the caller may rather try another rule than shrink the whole history."""
    runs: list[tuple[int, bool]] = []
    best = Replay(tuple(actions), (), verdict)

    # A record's violation is only reproduced by a record's violation of the rule, not by a missed barrier ("*").
    on_record = any(v.rule == rule and v.record != "*" for v in verdict.violations)

    def fails(candidate: Sequence[Action]) -> Replay | None:
        replay = run(candidate)
        failed = any(v.rule == rule and (v.record != "*" or not on_record) for v in replay.verdict.violations)
        runs.append((len(candidate), failed))
        return replay if failed else None

    named = {v.record for v in verdict.violations if v.rule == rule}
    # The nemesis's trouble stays in the focus: a duplicate after a lost answer needs the lost answer to come back.
    focus = [a for a in actions if a.kind == "trouble" or (a.kind != "pause" and (a.record in named or "*" in named))]
    if focus and len(focus) < len(actions) and len(runs) < limit:
        found = fails(focus)
        if found is not None:
            best = found
        elif focus_only:
            return None
    current = list(best.actions)
    chunks = 2
    while len(current) > 1 and len(runs) < limit - 1:
        size = max(1, len(current) // chunks)
        reduced = False
        for start in range(0, len(current), size):
            if len(runs) >= limit - 1:
                break
            candidate = _without(current, current[start : start + size])
            if not candidate or candidate == current:
                continue
            found = fails(candidate)
            if found is not None:
                best, current, reduced = found, candidate, True
                chunks = max(chunks - 1, 2)
                break
        if not reduced:
            if size == 1:
                break
            chunks = min(chunks * 2, len(current))
    confirmation = fails(list(best.actions))
    return Shrunk(confirmation or best, confirmation is not None, runs)


def _without(actions: Sequence[Action], removed: Sequence[Action]) -> list[Action]:
    """``actions`` less ``removed``; a record whose creation is removed loses all its actions."""
    gone = {id(a) for a in removed}
    uncreated = {a.record for a in removed if a.kind == "create"}
    return [a for a in actions if id(a) not in gone and a.record not in uncreated]
