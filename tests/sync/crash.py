"""Crashing the sync between any two requests: a transport that stops the process (as far as the sync can tell)."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from harness.businesscentral.client import BusinessCentralClient
from harness.client import BearerToken, RetryPolicy
from harness.crmoffice.client import CRMOfficeClient
from harness.fakes import FakeTransport
from harness.tenants import TenantPair
from tests.sync.helpers import World


class Crash(BaseException):
    """Not an Exception: nothing in the harness may catch it, as nothing survives a killed process."""


@dataclass
class CrashPlan:
    at: int  # the request number (1-based, both tenants together) at which the process dies
    after: bool  # True: the tenant handles the request and the answer is lost; False: it never arrives
    seen: int = 0
    paths: list[str] = field(default_factory=list)  # "METHOD path" of each request seen, the crashing one included


class CrashingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, plan: CrashPlan) -> None:
        self.inner = inner
        self.plan = plan

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.plan.seen += 1
        self.plan.paths.append(f"{request.method} {request.url.path}")
        if self.plan.seen == self.plan.at:
            if self.plan.after:
                self.inner.handle_request(request).read()
            raise Crash(f"crashed at request {self.plan.seen}: {request.method} {request.url.path}")
        return self.inner.handle_request(request)


def crashing_pair(world: World, plan: CrashPlan) -> TenantPair:
    retry = RetryPolicy(sleep=world.sleeps.append, jitter=0.0)
    crm = CRMOfficeClient.connect(
        world.crm.info(), transport=CrashingTransport(FakeTransport(world.crm), plan), retry=retry
    )
    info = world.bc.info()
    bc = BusinessCentralClient(
        info["api"],
        info["company_id"],
        auth=BearerToken(info["token"]),
        transport=CrashingTransport(FakeTransport(world.bc), plan),
        retry=retry,
    )
    return TenantPair(crm, bc)
