"""Run tags, cleanup by tag, the production guard, the scoped engine and the watch loop."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harness.businesscentral.client.guard import OPT_IN_VARIABLE, ProductionRefused, check_environment
from harness.checklist import parse_file
from harness.client import TenantError
from harness.fake_pair import fake_pair
from harness.shared_tenants.cleanup import cleanup, matcher
from harness.shared_tenants.runtag import RunTag, new_run_id, parse_duration, run_started, tags_in
from harness.sync import SyncEngine, SyncReport, SyncState, plan_dataflow
from harness.sync.watch import watch
from harness.tenants import TenantPair

CHECKLIST = Path(__file__).resolve().parents[2] / "features" / "crmoffice-businesscentral.rst"
NOW = datetime(2026, 11, 25, 23, 45, tzinfo=UTC)


def test_a_run_id_says_when_the_run_started() -> None:
    run_id = new_run_id(NOW)
    assert run_id.startswith("2611252345") and len(run_id) == 12, run_id
    assert run_started(run_id) == NOW
    with pytest.raises(ValueError, match="not a run id"):
        run_started("yesterday")


def test_a_tag_fits_the_field_and_is_found_again() -> None:
    tag = RunTag("2611252345a7", 0x1F)
    name = tag.apply("Abrahamsen-Christophersen-Johannessen-Kristiansen", 50)
    assert len(name) <= 50 and name.endswith(" qa-2611252345a7-1f"), name
    assert tag.owns(name) and not RunTag("2611252345a7", 0x20).owns(name), name
    assert tags_in(name) == [("2611252345a7", "1f")]


@pytest.mark.parametrize(("text", "seconds"), [("90m", 5400), ("12h", 43200), ("1d12h", 129600), ("30s", 30)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "12", "soon", "1x", "h12"])
def test_a_bad_duration_is_named(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def _seed_records(pair: TenantPair) -> None:
    mine, theirs, old = RunTag("2611252345a7", 1), RunTag("2611252350b2", 1), RunTag("2610010900c3", 2)
    for tag in (mine, theirs, old):
        pair.crmoffice.create("contacts", {"givenName": "Kari", "familyName": tag.apply("Nordmann", 50)})
        pair.crmoffice.create("companies", {"name": tag.apply("Fjordkraft AS", 100)})
        pair.businesscentral.create("contacts", {"displayName": tag.apply("Kari Nordmann", 100), "type": "Person"})
        pair.businesscentral.create("customers", {"displayName": tag.apply("Fjordkraft AS", 100), "type": "Company"})
    pair.crmoffice.create("contacts", {"givenName": "Ola", "familyName": "Nordmann"})  # a person's own record
    pair.businesscentral.create("customers", {"displayName": "qa-team's own customer", "type": "Company"})


def test_cleanup_by_run_removes_that_run_only_and_never_an_untagged_record() -> None:
    with fake_pair("mock", seed=1) as pair:
        _seed_records(pair)
        report = cleanup(pair, matcher(run_id="2611252345a7"))
        assert report.total == 4 and not report.errors, report.to_dict()
        names = [r["familyName"] for r in pair.crmoffice.records("contacts")]
        assert sorted(names) == sorted(["Nordmann", "Nordmann qa-2611252350b2-1", "Nordmann qa-2610010900c3-2"])
        customers = [r["displayName"] for p in pair.businesscentral.pages("customers") for r in p]
        assert "qa-team's own customer" in customers and len(customers) == 3, customers


def test_cleanup_by_age_and_dry_run() -> None:
    with fake_pair("mock", seed=2) as pair:
        _seed_records(pair)
        old = matcher(older_than=timedelta(days=7), now=NOW)
        dry = cleanup(pair, old, dry_run=True)
        assert dry.total == 4, dry.to_dict()
        assert len(list(pair.crmoffice.records("contacts"))) == 4, "a dry run deletes nothing"
        assert cleanup(pair, old).total == 4
        assert cleanup(pair, old).total == 0, "nothing of that age is left"
    with pytest.raises(ValueError, match="exactly one"):
        matcher()


def test_the_production_guard() -> None:
    with fake_pair("mock", seed=3) as pair:
        bc = pair.businesscentral
        assert check_environment(bc, "sandbox", environ={}) == "sandbox", "names compare case-insensitively"
        with pytest.raises(ProductionRefused, match=r"type 'production'.*--allow-production.*HARNESS_ALLOW_PRODUCTION"):
            check_environment(bc, "Production", environ={})
        with pytest.raises(ProductionRefused):
            check_environment(bc, "Production", allow_production=True, environ={})
        with pytest.raises(ProductionRefused):
            check_environment(bc, "Production", environ={OPT_IN_VARIABLE: "yes"})
        assert check_environment(bc, "Production", allow_production=True, environ={OPT_IN_VARIABLE: "yes"})
        with pytest.raises(ProductionRefused, match="no environment named 'QA-9'"):
            check_environment(bc, "QA-9", environ={})


def test_a_scoped_engine_syncs_its_own_records_only(tmp_path: Path) -> None:
    plans = plan_dataflow(parse_file(CHECKLIST))
    mine = RunTag("2611252345a7", 5)
    with fake_pair("mock", seed=4) as pair:
        pair.crmoffice.create("contacts", {"givenName": "Kari", "familyName": mine.apply("Nordmann", 50)})
        pair.crmoffice.create("contacts", {"givenName": "Ola", "familyName": "Nordmann"})
        state = SyncState(tmp_path / "s.sqlite")
        try:
            engine = SyncEngine(
                plans,
                pair.crmoffice,
                pair.businesscentral,
                state,
                scope=lambda r: mine.owns(str(r.get("familyName") or r.get("name") or "")),
            )
            engine.run()
        finally:
            state.close()
        names = [r["displayName"] for p in pair.businesscentral.pages("contacts") for r in p]
        assert names == ["Kari Nordmann qa-2611252345a7-5"], names


def test_watch_runs_cycles_reconciles_on_cadence_and_survives_a_failed_cycle() -> None:
    calls: list[bool] = []

    def cycle(reconcile: bool) -> SyncReport:
        calls.append(reconcile)
        if len(calls) == 2:
            raise TenantError("Business Central unreachable", system="businesscentral")
        return SyncReport()

    seen: list[tuple[int, bool]] = []
    stats = watch(
        cycle,
        interval=0,
        reconcile_every=3,
        stop=threading.Event(),
        on_cycle=lambda n, report, error: seen.append((n, error is None)),
        max_cycles=7,
    )
    assert calls == [True, False, False, True, False, False, True], calls
    assert (stats.cycles, stats.failed_cycles) == (7, 1), stats
    assert seen[1] == (2, False), seen


def test_watch_stops_when_asked_without_starting_another_cycle() -> None:
    stop = threading.Event()

    def cycle(reconcile: bool) -> SyncReport:
        stop.set()  # a signal arriving during the cycle
        return SyncReport()

    stats = watch(cycle, interval=60, reconcile_every=1, stop=stop)
    assert stats.cycles == 1, "the cycle in progress finished, no further one started, and the wait ended at once"


def test_cleanup_by_age_passes_over_a_tag_shaped_name_with_no_real_time() -> None:
    old = matcher(older_than=timedelta(days=1), now=NOW)
    assert old("Nordmann qa-2610010900c3-2"), "a run from October is older than a day"
    assert not old("Nordmann qa-2613450900c3-2"), "month 13, minute 90: not a run id, so not a run of ours"
