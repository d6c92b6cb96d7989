"""GUIDs the clients choose (harness/client/guids.py)."""

from __future__ import annotations

import time
import uuid
from collections import Counter

from harness.client.guids import is_guid, time_ordered_guid


def test_a_time_ordered_guid_is_a_version_7_guid_as_uuid_writes_it() -> None:
    drawn = [time_ordered_guid() for _ in range(2000)]
    assert len(set(drawn)) == len(drawn), "expected no repeat in 2,000 draws"
    for text in drawn:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122), f"{text} is not a version 7 RFC GUID"
        assert str(parsed) == text and is_guid(text), f"{text} is not written as uuid writes it"


def test_a_time_ordered_guid_starts_with_the_time_and_sorts_by_it() -> None:
    before = time.time_ns() // 1_000_000
    first = time_ordered_guid()
    time.sleep(0.002)
    second = time_ordered_guid()
    after = time.time_ns() // 1_000_000
    stamp = int(first.replace("-", "")[:12], 16)
    assert before <= stamp <= after, f"{first}: expected the Unix time in ms between {before} and {after}, read {stamp}"
    assert first < second, f"expected an id made later to sort after: {first} then {second}"


def test_every_random_digit_of_a_time_ordered_guid_varies() -> None:
    drawn = [time_ordered_guid().replace("-", "") for _ in range(2000)]
    fixed = {16: set("89ab")}
    for position in range(13, 32):
        seen = Counter(text[position] for text in drawn)
        expected = fixed.get(position, set("0123456789abcdef"))
        assert set(seen) == expected, f"digit {position}: expected {sorted(expected)}, drew {sorted(seen)}"
