"""A fresh CRMOffice and Business Central fake on one clock and one id source, with clients connected to them.

``fake_pair("mock")`` serves them in-process, ``fake_pair("wire")`` on loopback sockets: the tenants of the suite's
mock and wire modes, of the sync's tests and of ``harness bench``.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from harness.businesscentral.client import BusinessCentralClient
from harness.businesscentral.fake.http import BusinessCentralFake
from harness.businesscentral.limits import MAX_REQUESTS, REQUEST_WINDOW
from harness.client import BearerToken, RetryPolicy
from harness.crmoffice.client import CRMOfficeClient
from harness.crmoffice.fake.http import CRMOfficeFake
from harness.fakes.clock import Clock, IdSource
from harness.fakes.mount import Mode, mount
from harness.tenants import TenantPair

__all__ = ["fake_pair"]


def fake_pair(
    mode: Mode = "mock",
    *,
    seed: int | None = None,
    clock: Clock | None = None,
    retry: RetryPolicy | None = None,
    bc_rate_limit: tuple[int, float] | None = (MAX_REQUESTS, REQUEST_WINDOW),
    timeout: float = 30.0,
    wrap: Callable[[str, httpx.BaseTransport], httpx.BaseTransport] | None = None,
    host: str = "127.0.0.1",
    ports: tuple[int, int] = (0, 0),
    wait: Callable[[float], None] | None = None,
) -> TenantPair:
    """``wrap(system, transport)`` may put a transport of its own in front of each tenant (recording, tripwires);
    ``system`` is ``"crmoffice"`` or ``"businesscentral"``. ``host`` and ``ports`` (CRMOffice's, Business
    Central's; 0 picks a free one) say where ``wire`` mode listens; OSError or ValueError when it cannot. ``wait``:
    in ``mock`` mode, how a slow answer's delay passes (default: slept); ``wire`` mode always sleeps it."""
    clock = clock or Clock()
    ids = IdSource(seed)
    crm_fake = CRMOfficeFake(clock=clock, ids=ids)
    bc_fake = BusinessCentralFake(clock=clock, ids=ids, rate_limit=bc_rate_limit)
    waiting = {} if wait is None else {"wait": wait}
    crm_mount = mount(crm_fake, mode, host=host, port=ports[0], **waiting)
    try:
        bc_mount = mount(bc_fake, mode, host=host, port=ports[1], **waiting)
    except BaseException:
        crm_mount.close()
        raise
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
