"""Sandbox mode against fakes on loopback: the scenario's records are tagged, its sync touches only them, and its
cleanup leaves none of them behind, also when the scenario fails midway."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.businesscentral.fake import BusinessCentralFake
from harness.checklist import parse_file
from harness.client.exchanges import ExchangeLog
from harness.client.redact import Redactor
from harness.crmoffice.fake import CRMOfficeFake
from harness.settings import Settings
from harness.shared_tenants.runtag import RunTag
from harness.suite import moves
from harness.suite.build import SuiteMode, build_sandbox_dataflow
from harness.suite.dataflow import Dataflow
from harness.suite.subject import noun
from harness.sync import plan_dataflow
from tests.helpers import Served

NamesWith = Callable[[CRMOfficeFake, BusinessCentralFake, str], list[str]]

pytestmark = pytest.mark.wire
PLANS = plan_dataflow(parse_file(Path(__file__).resolve().parents[2] / "features" / "crmoffice-businesscentral.rst"))


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


def test_a_scenario_that_fails_midway_leaves_nothing_behind(
    served: Served, tmp_path: Path, names_with: NamesWith
) -> None:
    config, crm, bc = served
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
        report = flow.remove_own_records()
        flow.close()
    assert report.total == 3 and not report.errors, report.to_dict()
    assert names_with(crm, bc, "qa-") == [], f"expected no tagged record left, found {names_with(crm, bc, 'qa-')}"


def test_a_scenario_syncs_and_removes_only_its_own_records(
    served: Served, tmp_path: Path, names_with: NamesWith
) -> None:
    config, crm, bc = served
    mine, theirs = _flow(config, tmp_path, 1), _flow(config, tmp_path, 2)
    try:
        other = moves.create_contact(theirs, noun("contact"))
        subject = moves.create_contact(mine, noun("contact"))
        moves.link(mine, subject)
        assert "qa-2611252345a7-1" in subject.name, subject.name
        assert mine.counterparts_named("contacts", other.name) == [], "the scenario's sync left the other's alone"
        mine.remove_own_records()
        assert theirs.crm_get("contacts", other.crm_id) is not None, "the other scenario's record is still there"
        left = names_with(crm, bc, "qa-")
        assert left and all(n.endswith("qa-2611252345a7-2") for n in left), f"only the other's left: {left}"
    finally:
        theirs.remove_own_records()
        mine.close()
        theirs.close()
    assert names_with(crm, bc, "qa-") == []
