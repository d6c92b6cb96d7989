"""What a cycle cost the tenants, held against a bound: the messages name the system, the figure and the bound."""

from __future__ import annotations

import pytest

from harness.suite.cost import NotCounted, cost_of, hold_reads, hold_writes
from harness.suite.under_test import SyncRun
from harness.sync import SyncReport


def counted(served: tuple[int, int], requests: tuple[int, int], writes: tuple[int, int] = (0, 0)) -> SyncRun:
    def sides(pair: tuple[int, int]) -> dict[str, int]:
        return {"crmoffice": pair[0], "businesscentral": pair[1]}

    return SyncRun(None, 0.1, writes=sides(writes), served=sides(served), requests=sides(requests))


def test_a_cycle_within_its_bound_passes_and_says_what_it_cost() -> None:
    cost = hold_reads(counted((1, 2), (4, 5)), records=2, requests=6)
    assert cost.describe() == (
        "CRMOffice: 1 records served, 4 requests, 0 writes; Business Central: 2 records served, 5 requests, 0 writes"
    )


def test_records_over_the_bound_fail_naming_the_system_and_both_figures() -> None:
    with pytest.raises(AssertionError, match=r"Business Central served 100 records \(at most 2\) to 2 requests"):
        hold_reads(counted((0, 100), (2, 2)), records=2, requests=6)


def test_requests_over_the_bound_fail_even_when_each_serves_little() -> None:
    with pytest.raises(AssertionError, match=r"CRMOffice served 0 records \(at most 2\) to 101 requests \(at most 6\)"):
        hold_reads(counted((0, 0), (101, 2)), records=2, requests=6)


def test_writes_are_held_exactly_per_system() -> None:
    hold_writes(counted((0, 0), (0, 0), writes=(0, 1)), {"businesscentral": 1, "crmoffice": 0})
    with pytest.raises(AssertionError, match="CRMOffice: expected 0, received 1"):
        hold_writes(counted((0, 0), (0, 0), writes=(1, 1)), {"businesscentral": 1, "crmoffice": 0})


def test_real_tenants_report_the_syncs_own_figures_instead() -> None:
    report = SyncReport(requests={"crmoffice": 4, "businesscentral": 5})
    with pytest.raises(NotCounted, match=r"reported, not asserted: .*CRMOffice 4"):
        cost_of(SyncRun(report, 0.1))
    with pytest.raises(NotCounted, match="external product's cycles"):
        cost_of(SyncRun(None, 0.1))
