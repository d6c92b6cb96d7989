"""Building one scenario's dataflow for a mode: fresh fakes (in-process or on loopback), a sync, data, recording.

Every scenario gets its own tenants and its own sync state, so scenarios are independent and run in parallel. The
clients' traffic passes through a :class:`~harness.suite.tripwire.Tripwire` (steps can stop the sync or act before a
write) and a :class:`~harness.report.exchanges.RecordingTransport` (the exchanges go into the report when the
scenario fails).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx

from harness.client import RetryPolicy
from harness.fakes import Clock, IdSource
from harness.report.exchanges import ExchangeLog, RecordingTransport
from harness.report.redact import Redactor
from harness.suite.data import NorwegianData
from harness.suite.dataflow import Dataflow
from harness.suite.sync import ReferenceSync
from harness.suite.tripwire import Tripwire
from harness.sync.plan import FlowPlan
from harness.tenants import fake_pair

__all__ = ["START", "SuiteError", "SuiteMode", "build_dataflow"]

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

    def check(self) -> None:
        if self.tenants == "sandbox":
            raise SuiteError(
                "--tenants sandbox: real CRMOffice and Business Central sandboxes are not configured in this version "
                "of the harness (no settings for their URLs and credentials exist yet); use --tenants mock or wire"
            )
        if self.sync == "external":
            raise SuiteError(
                f"--sync external with --tenants {self.tenants}: an external sync product cannot reach the tenants "
                "this process creates for each scenario; external mode needs --tenants sandbox, which is not "
                "configured yet; use --sync reference"
            )


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
    tripwires: dict[str, Tripwire] = {}

    def wrap(system: str, transport: httpx.BaseTransport) -> httpx.BaseTransport:
        tripwires[system] = Tripwire(transport, system)
        return RecordingTransport(tripwires[system], exchanges, label=LABELS[system])

    clock = Clock(START, frozen=True)
    waits: list[float] = []
    # The fakes' Retry-After and back-off waits are recorded, not slept: the clock is the fakes' own.
    retry = RetryPolicy(sleep=waits.append, jitter=0.0)
    tenant_mode: Literal["mock", "wire"] = "wire" if mode.tenants == "wire" else "mock"
    pair = fake_pair(tenant_mode, seed=seed, clock=clock, retry=retry, timeout=mode.read_timeout, wrap=wrap)
    for fake in (pair.crmoffice_fake, pair.businesscentral_fake):
        if fake is not None:
            for key, value in fake.info().items():
                if any(word in key for word in ("secret", "token")) and isinstance(value, str) and "/" not in value:
                    redactor.add(value)
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
    )
