"""Building one scenario's dataflow for a mode: fresh fakes (in-process or on loopback), a sync, data, recording.

Every scenario gets its own tenants and its own sync state, so scenarios are independent and run in parallel. The
clients' traffic passes through a :class:`~harness.suite.tripwire.Tripwire` (steps can stop the sync or act before a
write) and a :class:`~harness.client.exchanges.RecordingTransport` (the exchanges go into the report when the
scenario fails).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpx

from harness.client import RetryPolicy
from harness.client.exchanges import ExchangeLog, RecordingTransport
from harness.client.redact import Redactor
from harness.fake_pair import fake_pair
from harness.fakes import Clock, IdSource
from harness.settings import Settings
from harness.shared_tenants.runtag import RunTag
from harness.suite.dataflow import Dataflow
from harness.suite.tripwire import Tripwire
from harness.suite.under_test import Barriers, ExternalSync, ReferenceSync, SyncUnderTest
from harness.sync.plan import FlowPlan
from harness.tenants import connect
from harness.testdata.norwegian import NorwegianData
from harness.traffic.meters import Meters
from harness.traffic.transport import MeteringTransport

if TYPE_CHECKING:
    from harness.proxy.client import ProxyControl

__all__ = ["START", "SuiteError", "SuiteMode", "build_dataflow", "build_sandbox_dataflow"]

TenantMode = Literal["mock", "wire", "sandbox"]
SyncMode = Literal["reference", "external"]
START = datetime(2024, 11, 13, 9, 0, 0, tzinfo=UTC)
"""The fakes' clock starts on the checklist's Generated day; it moves only when a scenario says time passes."""
LABELS = {"crmoffice": "CRMOffice", "businesscentral": "Business Central"}


class SuiteError(RuntimeError):
    """The suite cannot run as configured; the message names the option and what to do."""


@dataclass(frozen=True)
class SuiteMode:
    tenants: TenantMode = "mock"
    sync: SyncMode = "reference"
    read_timeout: float = 2.0
    converge_timeout: float = 120.0
    """External sync: an edit must have crossed within this many seconds (the product's service level)."""
    full_sync_timeout: float = 900.0
    """External sync: what only a full read finds (a deleted counterpart) must have happened within this."""
    scenario_timeout: float | None = None
    """A scenario's whole time; None: :meth:`scenario_bound` works it out from the mode."""
    proxy: str | None = None
    """External sync: the control URL of the ``harness proxy`` the product reaches the tenants through."""
    product_timeout: float | None = None
    """External sync: the product's request timeout, when known (a "too slow" answer is made to outlast it)."""

    def scenario_bound(self) -> float:
        """The bound on one scenario's steps: generous for the fakes (a scenario takes seconds), more for real
        tenants, and for an external sync room for every barrier a scenario passes (up to about six, one of them a
        full read) and the polls after them. 0 turns the bound off."""
        if self.scenario_timeout is not None:
            return self.scenario_timeout
        if self.sync == "external":
            return 8 * self.converge_timeout + 2 * self.full_sync_timeout + 60
        return 600.0 if self.tenants == "sandbox" else 120.0

    def check(self) -> None:
        if self.sync == "external" and self.tenants != "sandbox":
            raise SuiteError(
                f"--sync external with --tenants {self.tenants}: an external sync product cannot reach the tenants "
                "this process creates for each scenario; run external mode with --tenants sandbox (real sandboxes, "
                "or `harness serve` fakes configured as sandboxes: docs/sandbox.md)"
            )
        if self.proxy is not None and self.sync != "external":
            raise SuiteError(
                "--proxy is for --sync external: the proxy fronts the tenants for the product; the reference sync "
                "is metered and faulted by the harness itself"
            )
        if self.scenario_timeout is not None and self.scenario_timeout < 0:
            raise SuiteError(f"--scenario-timeout ({self.scenario_timeout:g} s) must be 0 (no bound) or positive")
        if not 0 < self.converge_timeout <= self.full_sync_timeout:
            raise SuiteError(
                f"--converge-timeout ({self.converge_timeout:g} s) must be positive and at most "
                f"--full-sync-timeout ({self.full_sync_timeout:g} s): a full read carries edits too"
            )


def build_sandbox_dataflow(
    mode: SuiteMode,
    plans: Sequence[FlowPlan],
    settings: Settings,
    *,
    seed: int,
    tag: RunTag,
    state_path: Path,
    exchanges: ExchangeLog,
    redactor: Redactor,
    barriers: Barriers | None = None,
    label: str = "",
    proxy: ProxyControl | None = None,
) -> Dataflow:
    """A scenario on shared real tenants: its records carry ``tag``; the reference sync is scoped to them, or an
    external sync is waited for through the run's ``barriers``; the clients keep to Business Central's published
    limits on their own."""
    tripwires: dict[str, Tripwire] = {}
    for secret in settings.secrets():
        redactor.add(secret)
    meters, metering = Meters(), threading.Event()
    bases = {"crmoffice": urlsplit(settings.crmoffice_api_url).path or "/", "businesscentral": "/"}
    pair = connect(settings, wrap=_instrument(tripwires, exchanges, meters, metering, bases))
    sync: SyncUnderTest
    if mode.sync == "external":
        if barriers is None:
            raise SuiteError("--sync external needs the run's barrier service (started by conftest.py)")
        sync = ExternalSync(barriers, label)
    else:
        sync = ReferenceSync(
            list(plans), pair, state_path, new_id=IdSource(seed).guid, scope=lambda record: _owned(tag, record)
        )
    return Dataflow(
        pair,
        list(plans),
        sync,
        NorwegianData(seed, tag=tag),
        tripwires=tripwires,
        tag=tag,
        converge_timeout=mode.converge_timeout if mode.sync == "external" else 0.0,
        full_sync_timeout=mode.full_sync_timeout if mode.sync == "external" else 0.0,
        meters=meters if mode.sync == "reference" else None,
        metering=metering,
        proxy=proxy,
        product_timeout=mode.product_timeout,
    )


def _owned(tag: RunTag, record: Mapping[str, Any]) -> bool:
    return any(tag.owns(str(record.get(key) or "")) for key in ("name", "familyName"))


def _instrument(
    tripwires: dict[str, Tripwire],
    exchanges: ExchangeLog,
    meters: Meters,
    metering: threading.Event,
    bases: Mapping[str, str],
) -> Callable[[str, httpx.BaseTransport], httpx.BaseTransport]:
    """In front of each tenant: the meters (counting while the sync runs), a tripwire the steps can arm, then the
    recorder whose exchanges a failure attaches."""

    def wrap(system: str, transport: httpx.BaseTransport) -> httpx.BaseTransport:
        metered = MeteringTransport(
            transport,
            "crmoffice" if system == "crmoffice" else "businesscentral",
            meters,
            base_path=bases.get(system, "/"),
            gate=metering.is_set,
        )
        tripwires[system] = Tripwire(metered, system)
        return RecordingTransport(tripwires[system], exchanges, label=LABELS[system])

    return wrap


def build_dataflow(
    mode: SuiteMode,
    plans: Sequence[FlowPlan],
    *,
    seed: int,
    state_path: Path,
    exchanges: ExchangeLog,
    redactor: Redactor,
) -> Dataflow:
    mode.check()
    if mode.tenants == "sandbox":
        raise SuiteError("--tenants sandbox: real tenants come from the settings (build_sandbox_dataflow), not fakes")
    tripwires: dict[str, Tripwire] = {}
    clock = Clock(START, frozen=True)
    waits: list[float] = []

    # The meters' time is the fakes' clock (a scenario's "later" moves it, token lifetimes run on it) plus the waits
    # the retry policy recorded instead of sleeping: a client that honoured a Retry-After "slept" it.
    def scenario_time() -> float:
        return clock.now().timestamp() + sum(waits)

    meters, metering = Meters(scenario_time, wall=scenario_time), threading.Event()
    # The fakes' Retry-After and back-off waits are recorded, not slept: the clock is the fakes' own. So is an
    # in-process slow answer's delay (the client's timeout "fired"); on the wire it is slept, the socket's timeout real.
    retry = RetryPolicy(sleep=waits.append, jitter=0.0)
    tenant_mode: Literal["mock", "wire"] = "wire" if mode.tenants == "wire" else "mock"
    pair = fake_pair(
        tenant_mode,
        seed=seed,
        clock=clock,
        retry=retry,
        timeout=mode.read_timeout,
        wrap=_instrument(tripwires, exchanges, meters, metering, {}),
        wait=waits.append,
    )
    crm_fake, bc_fake = pair.crmoffice_fake, pair.businesscentral_fake
    assert crm_fake is not None
    assert bc_fake is not None
    redactor.add(crm_fake.info()["client_secret"])
    redactor.add(bc_fake.info()["token"])
    sync = ReferenceSync(list(plans), pair, state_path, new_id=IdSource(seed).guid)
    return Dataflow(
        pair,
        list(plans),
        sync,
        NorwegianData(seed),
        clock=clock,
        read_timeout=mode.read_timeout,
        tripwires=tripwires,
        waits=waits,
        meters=meters,
        metering=metering,
    )
