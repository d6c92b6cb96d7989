"""Sandbox mode against fakes on loopback: the scenario's records are tagged, its sync touches only them, and its
cleanup leaves none of them behind, also when the scenario fails midway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.businesscentral import BusinessCentralFake
from harness.checklist import parse_file
from harness.crmoffice import CRMOfficeFake
from harness.fakes import Clock, IdSource, mount
from harness.fakes.serve import settings_environment
from harness.report.exchanges import ExchangeLog
from harness.report.redact import Redactor
from harness.settings import Settings
from harness.suite import moves
from harness.suite.build import SuiteMode, build_sandbox_dataflow
from harness.suite.cleanup import remove_scenario_records
from harness.suite.dataflow import Dataflow
from harness.suite.runtag import RunTag
from harness.suite.subject import noun
from harness.sync import plan_dataflow

pytestmark = pytest.mark.wire
PLANS = plan_dataflow(parse_file(Path(__file__).resolve().parents[2] / "features" / "crmoffice-businesscentral.rst"))


@pytest.fixture
def settings() -> Iterator[tuple[Settings, CRMOfficeFake, BusinessCentralFake]]:
    clock, ids = Clock(), IdSource(11)
    crm, bc = CRMOfficeFake(clock=clock, ids=ids), BusinessCentralFake(clock=clock, ids=ids)
    with mount(crm, "wire"), mount(bc, "wire"):
        yield Settings.from_env(settings_environment(crm.info(), bc.info())), crm, bc


def _flow(settings: Settings, tmp_path: Path, scenario: int) -> Dataflow:
    return build_sandbox_dataflow(
        SuiteMode(tenants="sandbox"),
        PLANS,
        settings,
        seed=scenario,
        tag=RunTag("2611252345a7", scenario),
        state_path=tmp_path / f"state-{scenario}.sqlite",
        exchanges=ExchangeLog(),
        redactor=Redactor(),
    )


def _tagged(crm: CRMOfficeFake, bc: BusinessCentralFake) -> list[str]:
    """Every tagged name left on either fake (all environments and companies)."""
    crm_dump = crm.dump()
    names = [str(r.get("familyName") or r.get("name")) for kind in ("contacts", "companies") for r in crm_dump[kind]]
    for environment in bc.dump()["environments"]:
        for company in environment["companies"]:
            names += [str(r.get("displayName")) for kind in ("contacts", "customers") for r in company[kind]]
    return [name for name in names if "qa-" in name]


def test_a_scenario_that_fails_midway_leaves_nothing_behind(
    settings: tuple[Settings, CRMOfficeFake, BusinessCentralFake], tmp_path: Path
) -> None:
    config, crm, bc = settings
    flow = _flow(config, tmp_path, 7)

    def scenario() -> None:
        subject = moves.create_contact(flow, noun("contact"))
        moves.settle_linked(flow, subject)
        moves.create_bc_only(flow, noun("customer"))
        raise AssertionError("the scenario fails here")

    try:
        with pytest.raises(AssertionError, match="the scenario fails here"):
            scenario()
    finally:
        report = remove_scenario_records(flow)
        flow.close()
    assert report.total == 3 and not report.errors, report.to_dict()
    assert _tagged(crm, bc) == [], f"expected no tagged record left, found {_tagged(crm, bc)}"


def test_a_scenario_syncs_and_removes_only_its_own_records(
    settings: tuple[Settings, CRMOfficeFake, BusinessCentralFake], tmp_path: Path
) -> None:
    config, crm, bc = settings
    mine, theirs = _flow(config, tmp_path, 1), _flow(config, tmp_path, 2)
    try:
        other = moves.create_contact(theirs, noun("contact"))
        subject = moves.create_contact(mine, noun("contact"))
        moves.link(mine, subject)
        assert "qa-2611252345a7-1" in subject.name, subject.name
        assert mine.counterparts_named("contacts", other.name) == [], "the scenario's sync left the other's alone"
        remove_scenario_records(mine)
        assert theirs.crm_get("contacts", other.crm_id) is not None, "the other scenario's record is still there"
        left = _tagged(crm, bc)
        assert left and all(n.endswith("qa-2611252345a7-2") for n in left), f"only the other's left: {left}"
    finally:
        remove_scenario_records(theirs)
        mine.close()
        theirs.close()
    assert _tagged(crm, bc) == []
