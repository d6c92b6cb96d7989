"""The fixtures steps build on: the checklist and its plans, the mode, real tenants' settings, the barrier
service, the proxy, each scenario's seed and its dataflow."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from pathlib import Path

import allure
import pytest

from harness.barriers.rpc import BarrierClient
from harness.checklist import Checklist, parse_file
from harness.client.exchanges import ExchangeLog
from harness.plugin.common import (
    DATAFLOW,
    EXTERNAL,
    OUTCOME,
    RUN_ID,
    SEED,
    checklist_path,
    suite_mode_of,
)
from harness.proxy.client import ProxyControl
from harness.report.latency import BARRIERS_ATTACHMENT
from harness.settings import Settings
from harness.shared_tenants.runtag import RunTag
from harness.suite.attach import attach_json, attach_text, redactor
from harness.suite.build import SuiteMode, build_dataflow, build_sandbox_dataflow
from harness.suite.dataflow import Dataflow
from harness.suite.under_test import Barriers
from harness.sync import plan_dataflow
from harness.sync.plan import FlowPlan


@pytest.fixture(scope="session")
def checklist(pytestconfig: pytest.Config) -> Checklist:
    return parse_file(checklist_path(pytestconfig))


@pytest.fixture(scope="session")
def plans(checklist: Checklist) -> list[FlowPlan]:
    return plan_dataflow(checklist)


@pytest.fixture(scope="session")
def suite_mode(pytestconfig: pytest.Config) -> SuiteMode:
    mode = suite_mode_of(pytestconfig)
    mode.check()  # already checked at session start, before any worker began
    return mode


@pytest.fixture(scope="session")
def sandbox(suite_mode: SuiteMode) -> Settings | None:
    """Real tenants' settings (checked at session start, see ``_check_sandbox``)."""
    return Settings.from_env() if suite_mode.tenants == "sandbox" else None


@pytest.fixture(scope="session")
def barriers(pytestconfig: pytest.Config, suite_mode: SuiteMode) -> Iterator[Barriers | None]:
    """External sync: the run's barrier service, in the controller (over loopback) or in this process."""
    if suite_mode.sync != "external":
        yield None
        return
    worker = getattr(pytestconfig, "workerinput", None)
    if worker is None:
        yield pytestconfig.stash[EXTERNAL].service
        return
    client = BarrierClient(**json.loads(worker["barriers"]))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def proxy(suite_mode: SuiteMode) -> Iterator[ProxyControl | None]:
    """External sync behind ``harness proxy``: its control plane (faults, holds, meters)."""
    if suite_mode.proxy is None:
        yield None
        return
    control = ProxyControl(suite_mode.proxy)
    try:
        yield control
    finally:
        control.close()


@pytest.fixture
def scenario_seed(request: pytest.FixtureRequest) -> int:
    """The run's seed mixed with the scenario's id: each scenario replays alone, whatever ran before it. The scenario
    page shows the command that replays exactly this scenario (the run's seed and the scenario's id), not the mixed
    seed, which --faker-seed would mix again."""
    config = request.config
    seed = zlib.crc32(f"{config.stash[SEED]}:{request.node.nodeid}".encode()) & 0x7FFFFFFF
    replay = (
        f'.venv/bin/pytest "{request.node.nodeid}" --faker-seed {config.stash[SEED]} '
        f"--tenants {config.getoption('--tenants')} --sync {config.getoption('--sync')}"
    )
    allure.dynamic.parameter("replay", replay, excluded=True)
    return seed


@pytest.fixture
def dataflow(
    request: pytest.FixtureRequest,
    suite_mode: SuiteMode,
    sandbox: Settings | None,
    plans: list[FlowPlan],
    scenario_seed: int,
    barriers: Barriers | None,
    proxy: ProxyControl | None,
    tmp_path: Path,
) -> Iterator[Dataflow]:
    exchanges = ExchangeLog(redactor=redactor)
    state_path = tmp_path / "sync-state.sqlite"
    if sandbox is None:
        flow = build_dataflow(
            suite_mode, plans, seed=scenario_seed, state_path=state_path, exchanges=exchanges, redactor=redactor
        )
    else:
        tag = RunTag(request.config.stash[RUN_ID], scenario_seed)
        flow = build_sandbox_dataflow(
            suite_mode,
            plans,
            sandbox,
            seed=scenario_seed,
            tag=tag,
            state_path=state_path,
            exchanges=exchanges,
            redactor=redactor,
            barriers=barriers,
            label=request.node.name,
            proxy=proxy,
        )
    request.node.stash[DATAFLOW] = flow
    try:
        yield flow
    finally:
        barriers_passed = [run.barrier.to_dict() for run in flow.runs if run.barrier is not None]
        if barriers_passed:
            attach_json(BARRIERS_ATTACHMENT, {"barriers": barriers_passed})
        if flow.tag is not None:
            _remove_scenario_records(flow)
        outcome = request.node.stash.get(OUTCOME, None)
        if outcome is not None and outcome.failed:
            attach_text("HTTP exchanges of the scenario", exchanges.render())
            try:
                attach_json("records when the scenario failed", flow.snapshot())
            except Exception as exc:  # noqa: BLE001 - the failure itself matters more than this attachment
                attach_text("records when the scenario failed", f"could not be read: {exc!r}")
        flow.close()
        # The test item outlives its scenario by the whole session: holding the dataflow there would keep every
        # scenario's fakes and exchanges alive to the end, and each garbage collection would walk them all.
        del request.node.stash[DATAFLOW]


def _remove_scenario_records(flow: Dataflow) -> None:
    try:
        report = flow.remove_own_records()
    except Exception as exc:  # noqa: BLE001 - reported; `harness cleanup --run-id` removes what is left
        attach_text("cleanup", f"the scenario's records could not all be removed: {exc!r}; run harness cleanup")
        return
    attach_json("cleanup: records removed from the shared tenants", report.to_dict())
