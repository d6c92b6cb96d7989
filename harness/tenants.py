"""A pair of tenants and their clients, for a mode: in-process fakes, fakes on loopback, or given endpoints.

``fake_pair("mock")`` and ``fake_pair("wire")`` build a fresh CRMOffice and Business Central fake on one clock and
one id source; ``pair_from_endpoints(json)`` connects to tenants described the way ``harness serve`` prints them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from harness.businesscentral import BusinessCentralFake
from harness.businesscentral.client import BusinessCentralClient
from harness.client import BearerToken, RetryPolicy
from harness.crmoffice import CRMOfficeFake
from harness.crmoffice.client import CRMOfficeClient
from harness.fakes import Clock, IdSource, Mode, Mounted, mount

__all__ = ["TenantPair", "fake_pair", "load_endpoints", "open_pair", "pair_from_endpoints"]


@dataclass
class TenantPair:
    crmoffice: CRMOfficeClient
    businesscentral: BusinessCentralClient
    crmoffice_fake: CRMOfficeFake | None = None
    businesscentral_fake: BusinessCentralFake | None = None
    _mounts: list[Mounted] = field(default_factory=list)

    def close(self) -> None:
        self.crmoffice.close()
        self.businesscentral.close()
        for mounted in self._mounts:
            mounted.close()

    def __enter__(self) -> TenantPair:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def fake_pair(
    mode: Mode = "mock",
    *,
    seed: int | None = None,
    clock: Clock | None = None,
    retry: RetryPolicy | None = None,
    bc_rate_limit: tuple[int, float] | None = (6000, 300.0),
    timeout: float = 30.0,
    wrap: Callable[[str, httpx.BaseTransport], httpx.BaseTransport] | None = None,
) -> TenantPair:
    """``wrap(system, transport)`` may put a transport of its own in front of each tenant (recording, tripwires);
    ``system`` is ``"crmoffice"`` or ``"businesscentral"``."""
    clock = clock or Clock()
    ids = IdSource(seed)
    crm_fake = CRMOfficeFake(clock=clock, ids=ids)
    bc_fake = BusinessCentralFake(clock=clock, ids=ids, rate_limit=bc_rate_limit)
    crm_mount, bc_mount = mount(crm_fake, mode), mount(bc_fake, mode)
    crm_transport, bc_transport = crm_mount.transport(), bc_mount.transport()
    if wrap is not None:
        crm_transport, bc_transport = wrap("crmoffice", crm_transport), wrap("businesscentral", bc_transport)
    crm = CRMOfficeClient.connect(crm_fake.info(), transport=crm_transport, retry=retry, timeout=timeout)
    bc_info = bc_fake.info()
    bc = BusinessCentralClient(
        bc_info["api"],
        bc_info["company_id"],
        auth=BearerToken(bc_info["token"]),
        transport=bc_transport,
        retry=retry,
        timeout=timeout,
        environments_url=bc_info["environments_url"],
    )
    return TenantPair(crm, bc, crm_fake, bc_fake, [crm_mount, bc_mount])


def pair_from_endpoints(endpoints: Mapping[str, Any], *, retry: RetryPolicy | None = None) -> TenantPair:
    """Clients for the tenants in ``harness serve``'s JSON line (or the same shape from elsewhere)."""
    try:
        crm_info, bc_info = endpoints["crmoffice"], endpoints["businesscentral"]
        api, token, company_id = bc_info["api"], bc_info["token"], bc_info["company_id"]
    except (KeyError, TypeError) as exc:
        raise ValueError(
            f"tenant endpoints lack {exc}; expected {{'crmoffice': {{api, token_url, client_id, client_secret}}, "
            "'businesscentral': {api, token, company_id}}"
        ) from None
    crm = CRMOfficeClient.connect(crm_info, retry=retry)
    bc = BusinessCentralClient(api, company_id, auth=BearerToken(token), retry=retry)
    return TenantPair(crm, bc)


def load_endpoints(source: str) -> dict[str, Any]:
    """``harness serve``'s JSON line from a file (``-``: standard input); ValueError naming the source otherwise."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read the tenants file {source}: {exc.strerror}") from None
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        endpoints = json.loads(lines[0] if len(lines) == 1 else text)
    except (json.JSONDecodeError, IndexError):
        raise ValueError(f"{source}: expected the JSON object `harness serve` prints") from None
    if not isinstance(endpoints, dict):
        raise ValueError(f"{source}: expected a JSON object with 'crmoffice' and 'businesscentral'")
    return endpoints


def open_pair(
    tenants_file: str | None, *, allow_production: bool = False, retry: RetryPolicy | None = None
) -> TenantPair:
    """The tenants a command works on: ``harness serve``'s endpoints from a file, or real tenants from the settings
    (environment variables), the latter only after the production guard has seen a sandbox."""
    if tenants_file:
        return pair_from_endpoints(load_endpoints(tenants_file), retry=retry)
    from harness.businesscentral.guard import check_environment
    from harness.settings import Settings, connect

    settings = Settings.from_env()
    pair = connect(settings, retry=retry)
    try:
        check_environment(pair.businesscentral, settings.bc_environment, allow_production=allow_production)
    except BaseException:
        pair.close()
        raise
    return pair
