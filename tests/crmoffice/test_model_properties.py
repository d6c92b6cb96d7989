"""Property tests of the model alone: after any writes, paging equals a brute-force sort and filter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.client.timestamps import format_timestamp
from harness.crmoffice.fake import CRMOfficeModel
from harness.fakes import Clock, IdSource
from tests.crmoffice.helpers import START, same

operation = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 3)),
    st.tuples(st.just("update"), st.integers(0, 10_000)),
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(st.just("tick"), st.integers(0, 3)),
)


def _walk(model: CRMOfficeModel, since: Any, size: int) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        page = model.page("contacts", since=since, after=after, size=size)
        ids += [record["id"] for record in page.items]
        assert len(page.items) <= size, f"expected at most {size} items on a page, got {len(page.items)}"
        if page.last is None:
            return ids
        after = page.last


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    operations=st.lists(operation, max_size=60),
    size=st.integers(1, 7),
    since_ms=st.none() | st.integers(0, 4000),
)
def test_paging_matches_a_brute_force_sort(operations: list[tuple[str, int]], size: int, since_ms: int | None) -> None:
    clock = Clock(START, frozen=True)
    model = CRMOfficeModel(clock, IdSource(3))
    for action, number in operations:
        existing = [record["id"] for record in model.dump()["contacts"]]
        if action == "create":
            model.create("contacts", {"givenName": f"P{number}"})
        elif action == "tick":
            clock.advance(number / 1000)
        elif existing and action == "update":
            model.update("contacts", existing[number % len(existing)], {"directPhone": str(number)})
        elif existing and action == "delete":
            model.delete("contacts", existing[number % len(existing)])
    records = model.dump()["contacts"]
    since = None if since_ms is None else START + timedelta(milliseconds=since_ms)
    expected = sorted(
        (record["updatedAt"], record["id"])
        for record in records
        if since is None or record["updatedAt"] >= format_timestamp(since)
    )
    same(
        _walk(model, since, size), [record_id for _, record_id in expected], f"ids paged {size} at a time since {since}"
    )
