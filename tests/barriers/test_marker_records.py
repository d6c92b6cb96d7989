"""Markers on fakes served on loopback, with the reference sync run by hand as the product: each marker change shows
on the other side only once the product has run after it, a deleted counterpart only after a full read; and a run
that ends with a scenario that failed its barrier still leaves no marker behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.barriers.barrier import BarrierTimeout
from harness.barriers.external_run import ExternalRun, poll_interval
from harness.barriers.marker_records import TenantBoard, marker_tag
from harness.businesscentral.fake import BusinessCentralFake
from harness.checklist import parse_file
from harness.crmoffice.fake import CRMOfficeFake
from harness.sync import SyncEngine, SyncState, plan_dataflow
from harness.tenants import TenantPair, connect
from tests.helpers import Served

pytestmark = pytest.mark.wire
PLANS = plan_dataflow(parse_file(Path(__file__).resolve().parents[2] / "features" / "crmoffice-businesscentral.rst"))
RUN = "2611291500ab"


@pytest.fixture
def pair(served: Served) -> Iterator[TenantPair]:
    with connect(served[0]) as connected:
        yield connected


def _product(pair: TenantPair, tmp_path: Path, *, full: bool = False) -> None:
    state = SyncState(tmp_path / "product.sqlite")
    try:
        SyncEngine(PLANS, pair.crmoffice, pair.businesscentral, state).run(reconcile=True if full else None)
    finally:
        state.close()


def test_each_marker_change_crosses_only_once_the_product_has_run_after_it(pair: TenantPair, tmp_path: Path) -> None:
    board = TenantBoard(pair, PLANS, RUN, seed=3)
    channels = {c.key.split(" ", 1)[1]: c for c in board.channels}
    assert sorted(channels) == [
        "create companies",
        "full companies",
        "full contacts",
        "inbound contacts",
        "outbound contacts",
    ], f"expected creations for the section without rows and edits both ways for contacts, found {sorted(channels)}"
    assert not channels["inbound contacts"].ready(), "expected the inbound marker to need its counterpart first"
    _product(pair, tmp_path)  # the first run links the markers (and reads everything)
    board.look(board.channels)
    assert channels["inbound contacts"].ready(), "expected the inbound marker ready once its counterpart exists"
    assert channels["full contacts"].ready(), "expected the full-read pool ready once linked"

    changes = {name: channel.change() for name, channel in channels.items()}
    assert set(changes.values()) == {1}, f"expected change 1 on every channel, found {changes}"
    before = board.look(board.channels)
    assert set(before.values()) == {0}, f"expected nothing crossed before the product ran again, found {before}"

    _product(pair, tmp_path)  # incremental: carries edits and creations, cannot see the deleted counterparts
    after = {key.split(" ", 1)[1]: seq for key, seq in board.look(board.channels).items()}
    assert after == {
        "outbound contacts": 1,
        "inbound contacts": 1,
        "create companies": 1,
        "full contacts": 0,
        "full companies": 0,
    }, f"expected the edits crossed and the full reads not yet, found {after}"
    assert "Business Central has no" not in channels["outbound contacts"].showing(), channels[
        "outbound contacts"
    ].showing()

    _product(pair, tmp_path, full=True)
    final = {key.split(" ", 1)[1]: seq for key, seq in board.look(board.channels).items()}
    assert final["full contacts"] == 1, f"expected the full read seen after the product's full read, found {final}"
    assert final["full companies"] == 1, f"expected the full read seen after the product's full read, found {final}"
    assert "deleted" in channels["full contacts"].wrote(1), channels["full contacts"].wrote(1)


def test_markers_carry_the_run_tag_and_a_scenario_part_no_scenario_can_have(pair: TenantPair) -> None:
    board = TenantBoard(pair, PLANS, RUN, seed=3)
    names = [r["familyName"] for r in pair.crmoffice.records("contacts")]
    assert names and all(name.endswith(f" qa-{RUN}-fffff") for name in names), names
    assert board.tag == marker_tag(RUN) == f"qa-{RUN}-fffff"


def test_a_run_whose_scenario_failed_its_barrier_still_removes_every_marker(
    served: Served, tmp_path: Path, names_with: Callable[[CRMOfficeFake, BusinessCentralFake, str], list[str]]
) -> None:
    settings, crm, bc = served
    run = ExternalRun.start(settings, PLANS, RUN, converge_timeout=0.5, full_sync_timeout=0.5, seed=4)
    assert names_with(crm, bc, marker_tag(RUN)), "expected the markers made at the start of the run"
    with pytest.raises(BarrierTimeout, match="the sync product did not carry the edits"):
        run.service.wait("edits", "a scenario with no product running")  # nobody syncs: the scenario fails
    with connect(settings) as pair:
        _product(pair, tmp_path)  # a product links the markers late, and creates counterparts behind them
    sweep, problem = run.finish()
    assert problem is not None and "the run's final sweep" in problem, f"expected the last barrier to fail, {problem}"
    assert sweep.total > 0 and not sweep.errors, sweep.to_dict()
    left = names_with(crm, bc, RUN)
    assert not left, f"expected no record of run {RUN} left on either tenant, found {left}"


def test_the_poll_interval_follows_the_service_level_within_bounds() -> None:
    assert [poll_interval(s) for s in (1, 15, 30, 600)] == [0.5, 0.5, 1.0, 2.0]
