"""Fakes served on loopback as a sandbox would be configured, for the suite's own tests of sandbox and external mode."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.businesscentral import BusinessCentralFake
from harness.crmoffice import CRMOfficeFake
from harness.fakes import Clock, IdSource, mount
from harness.serve import settings_environment
from harness.settings import Settings

Served = tuple[Settings, CRMOfficeFake, BusinessCentralFake]


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
