"""Assertions the Then-steps make, each failing with what was expected, what was found, and on which record."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from harness.suite.subject import Subject

__all__ = ["BOOKKEEPING", "changed_fields", "eventually", "is_empty", "same", "unchanged"]

T = TypeVar("T")

BOOKKEEPING = frozenset({"lastModifiedDateTime", "@odata.etag", "@odata.context", "updatedAt", "createdAt"})
"""Fields a tenant moves by itself on any write; "nothing changed" is judged without them."""


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def same(actual: Any, expected: Any, what: str, subject: Subject | str) -> None:
    where = subject.describe() if isinstance(subject, Subject) else subject
    assert actual == expected, f"{what}: expected {expected!r}, found {actual!r} — {where}"


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any], ignore: Iterable[str] = ()
) -> dict[str, tuple[Any, Any]]:
    skip = BOOKKEEPING | set(ignore)
    return {
        key: (before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if key not in skip and before.get(key) != after.get(key)
    }


def unchanged(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    what: str,
    subject: Subject | str,
    *,
    allowed: Iterable[str] = (),
) -> None:
    """``after`` equals ``before`` except in ``allowed`` fields (and the tenant's bookkeeping)."""
    where = subject.describe() if isinstance(subject, Subject) else subject
    assert before is not None, f"{what}: no earlier state was recorded — {where}"
    assert after is not None, f"{what}: expected the record to be unchanged, but it is gone — {where}"
    diff = changed_fields(before, after, allowed)
    shown = "; ".join(f"{key}: {old!r} → {new!r}" for key, (old, new) in diff.items())
    assert not diff, f"{what}: expected no change, found {shown} — {where}"


def eventually(
    check: Callable[[], T],
    timeout: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``check()`` until it stops raising AssertionError, for at most ``timeout`` seconds (0: once); the last
    failure is raised with how long it was polled. Only for positive expectations: a negative one ("nothing
    changed") would pass by polling through a moment it was false."""
    if timeout <= 0:
        return check()
    deadline = clock() + timeout
    delay = 0.2
    while True:
        try:
            return check()
        except AssertionError as exc:
            if clock() + delay > deadline:
                raise AssertionError(f"{exc} (still so after polling for --converge-timeout {timeout:g} s)") from None
        sleep(delay)
        delay = min(delay * 1.5, 2.0)
