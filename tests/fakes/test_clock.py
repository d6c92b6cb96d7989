"""The tenant clock and id source: UTC milliseconds, frozen or running, seedable ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from harness.client.timestamps import format_timestamp, parse_timestamp
from harness.fakes import Clock, IdSource

START = datetime(2024, 10, 14, 8, 0, 0, tzinfo=UTC)


def test_a_frozen_clock_stands_still_and_steps_when_advanced() -> None:
    clock = Clock(START, frozen=True)
    assert clock.now() == clock.now() == START
    assert clock.advance(1.2345) == START + timedelta(seconds=1, milliseconds=234)


def test_a_running_clock_moves_from_its_start() -> None:
    clock = Clock(START)
    first = clock.now()
    assert START <= first < START + timedelta(seconds=5), first
    assert clock.now() >= first


def test_freeze_and_unfreeze_keep_the_moment() -> None:
    clock = Clock(START)
    frozen = clock.freeze()
    assert clock.frozen
    clock.unfreeze()
    assert not clock.frozen
    assert clock.now() >= frozen


def test_set_keeps_the_frozen_state_unless_told() -> None:
    clock = Clock(START, frozen=True)
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert (clock.now(), clock.frozen) == (datetime(2030, 1, 1, tzinfo=UTC), True)
    clock.set(datetime(2030, 1, 1, tzinfo=UTC), frozen=False)
    assert not clock.frozen


def test_times_are_kept_to_the_millisecond() -> None:
    clock = Clock(datetime(2024, 1, 1, 0, 0, 0, 999_999, tzinfo=UTC), frozen=True)
    assert clock.now().microsecond == 999_000


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Clock(datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2020, 8, 21, 7, 38, 44, 293_000, tzinfo=UTC), "2020-08-21T07:38:44.293Z"),
        (datetime(2020, 8, 21, 9, 38, 44, tzinfo=timezone(timedelta(hours=2))), "2020-08-21T07:38:44.000Z"),
    ],
)
def test_format_timestamp(moment: datetime, text: str) -> None:
    assert format_timestamp(moment) == text
    assert parse_timestamp(text) == moment


@pytest.mark.parametrize("text", ["yesterday", "2024-10-14T08:00:00", "2024-13-01T00:00:00Z", ""])
def test_parse_timestamp_refuses_what_is_not_rfc3339_utc(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text).replace("(", r"\(")):
        parse_timestamp(text)


def test_ids_replay_from_the_same_seed_and_differ_across_seeds() -> None:
    first, again, other = IdSource(7), IdSource(7), IdSource(8)
    sequence = [first.guid() for _ in range(3)]
    assert sequence == [again.guid() for _ in range(3)]
    assert sequence != [other.guid() for _ in range(3)]
    assert all(len(g) == 36 and g[14] == "4" for g in sequence), sequence
    first.reseed(7)
    assert first.guid() == sequence[0]


def test_http_dates_read_as_utc_and_anything_else_as_none() -> None:
    from datetime import UTC, datetime

    from harness.client.timestamps import http_date

    assert http_date("Sun, 29 Nov 2026 16:53:22 GMT") == datetime(2026, 11, 29, 16, 53, 22, tzinfo=UTC)
    assert http_date("Sun, 29 Nov 2026 16:53:22 -0000") == datetime(2026, 11, 29, 16, 53, 22, tzinfo=UTC)
    assert [http_date(text) for text in (None, "", "  ", "yesterday")] == [None, None, None, None]
