"""Fixtures the harness's tests share: a scenario's dataflow on fresh fakes, and fakes served on loopback as a
sandbox would be configured (for the tests of sandbox and external mode, barriers, doctor and start-up)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.businesscentral.fake import BusinessCentralFake
from harness.checklist import parse_file
from harness.client.exchanges import ExchangeLog
from harness.client.redact import Redactor
from harness.commands.serve import settings_environment
from harness.crmoffice.fake import CRMOfficeFake
from harness.fakes import Clock, IdSource, mount
from harness.settings import Settings
from harness.suite.build import SuiteMode, build_dataflow
from harness.suite.dataflow import Dataflow
from harness.sync import plan_dataflow
from tests.helpers import Served

CHECKLIST = Path(__file__).resolve().parents[1] / "features" / "crmoffice-businesscentral.rst"
PLANS = plan_dataflow(parse_file(CHECKLIST))


@pytest.fixture
def flow(tmp_path: Path) -> Iterator[Dataflow]:
    """A scenario's dataflow on fresh in-process fakes with the reference sync, as the suite builds it in mock mode."""
    built = build_dataflow(
        SuiteMode(), PLANS, seed=1, state_path=tmp_path / "s.sqlite", exchanges=ExchangeLog(), redactor=Redactor()
    )
    yield built
    built.close()


@pytest.fixture
def served() -> Iterator[Served]:
    """Both fakes on loopback sockets, and the settings that make them the "real" tenants."""
    clock, ids = Clock(), IdSource(11)
    crm, bc = CRMOfficeFake(clock=clock, ids=ids), BusinessCentralFake(clock=clock, ids=ids)
    with mount(crm, "wire"), mount(bc, "wire"):
        yield Settings.from_env(settings_environment(crm.info(), bc.info())), crm, bc


@pytest.fixture
def names_with() -> Callable[[CRMOfficeFake, BusinessCentralFake, str], list[str]]:
    """Every record name on either fake (all environments and companies) that contains a text, e.g. a run tag."""

    def names(crm: CRMOfficeFake, bc: BusinessCentralFake, text: str) -> list[str]:
        crm_dump = crm.dump()
        found = [str(r.get("familyName") or r.get("name")) for k in ("contacts", "companies") for r in crm_dump[k]]
        for environment in bc.dump()["environments"]:
            for company in environment["companies"]:
                found += [str(r.get("displayName")) for k in ("contacts", "customers") for r in company[k]]
        return [name for name in found if text in name]

    return names
