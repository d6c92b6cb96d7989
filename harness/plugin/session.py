"""The run: its seed and id (handed to pytest-xdist workers), the gates at its start, what it leaves beside the
Allure results, and the terminal's summary of failed scenarios and of an external sync."""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from harness.barriers.external_run import ExternalRun
from harness.businesscentral.client.guard import ProductionRefused
from harness.checklist import ChecklistError, parse_file
from harness.client import TenantError
from harness.doctor import blocker
from harness.plugin.common import (
    EXTERNAL,
    LEDGER,
    RUN_ID,
    SEED,
    SWEEP,
    checklist_path,
    proxy_url,
    runs_the_suite,
    suite_mode_of,
)
from harness.proxy.client import ProxyControl, ProxyError
from harness.report.environment import environment, write_categories, write_properties
from harness.report.etiquette import write_run_etiquette
from harness.report.latency import summarise
from harness.report.mutation import describe_mutation_run
from harness.settings import Settings, SettingsError
from harness.shared_tenants.runtag import new_run_id
from harness.suite.build import SuiteError
from harness.suite.failures import summary_line
from harness.sync import plan_dataflow
from harness.sync.plan import PlanError
from harness.tenants import shared_rate_limit, what_to_check
from harness.testdata.values import NoGenerator, values_by_property
from harness.traceability.coverage import (
    FeatureError,
    check_coverage,
    read_features,
)


def pytest_configure(config: pytest.Config) -> None:
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        config.stash[SEED] = int(worker["faker_seed"])
        config.stash[RUN_ID] = str(worker["run_id"])
    else:
        config.stash[RUN_ID] = os.environ.get("HARNESS_RUN_ID") or new_run_id()
        if config.getoption("--tenants") == "sandbox" and "HARNESS_BC_LEDGER" not in os.environ:
            # One Business Central request window for the controller and every worker (they inherit the variable):
            # a busy worker may use what idle ones leave (harness.tenants.shared_rate_limit).
            ledger = Path(tempfile.mkdtemp(prefix="harness-bc-ledger-")) / "requests"
            config.stash[LEDGER] = ledger
            os.environ["HARNESS_BC_LEDGER"] = str(ledger)
        seed = config.getoption("--faker-seed")
        if seed is None and os.environ.get("HARNESS_FAKER_SEED"):
            try:
                seed = int(os.environ["HARNESS_FAKER_SEED"])
            except ValueError:
                raise pytest.UsageError(
                    f"HARNESS_FAKER_SEED must be a whole number, got {os.environ['HARNESS_FAKER_SEED']!r}"
                ) from None
        config.stash[SEED] = seed if seed is not None else random.SystemRandom().randrange(1, 2**31)


def pytest_unconfigure(config: pytest.Config) -> None:
    ledger = config.stash.get(LEDGER, None)
    if ledger is not None:
        os.environ.pop("HARNESS_BC_LEDGER", None)
        shutil.rmtree(ledger.parent, ignore_errors=True)


def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker draws its scenarios' data from the controller's seed."""
    node.workerinput["faker_seed"] = node.config.stash[SEED]
    node.workerinput["run_id"] = node.config.stash[RUN_ID]
    external = node.config.stash.get(EXTERNAL, None)
    if external is not None and external.server is not None:
        node.workerinput["barriers"] = json.dumps(external.server.handle())


def pytest_report_header(config: pytest.Config) -> str | None:
    if not runs_the_suite(config):
        return None
    return (
        f"checklist suite: --tenants {config.getoption('--tenants')} --sync {config.getoption('--sync')} "
        f"--faker-seed {config.stash[SEED]} --checklist {checklist_path(config)} run {config.stash[RUN_ID]}"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """The traceability gate: a changed checklist must not pass silently (see harness.traceability.coverage). A run that
    cannot start leaves its reason beside the Allure results, so the sign-off says why it is not ready."""
    config = session.config
    if hasattr(config, "workerinput") or not runs_the_suite(config):
        return
    try:
        _start(config)
    except pytest.UsageError as exc:
        _record_not_started(config, str(exc))
        raise


def _start(config: pytest.Config) -> None:
    sandbox = config.getoption("--tenants") == "sandbox"
    try:
        mode = suite_mode_of(config)
        mode.check()
        if sandbox:
            _check_sandbox(config)
    except (SuiteError, SettingsError, ProductionRefused) as exc:
        raise pytest.UsageError(f"{'--tenants sandbox: ' if sandbox else ''}{exc}") from None
    except TenantError as exc:
        raise pytest.UsageError(f"--tenants sandbox: {what_to_check(exc)} (harness doctor checks it all)") from None
    path = checklist_path(config)
    try:
        checklist = parse_file(path)
        found, problems = read_features(config.rootpath / "features", root=config.rootpath)
    except (ChecklistError, FeatureError) as exc:
        raise pytest.UsageError(f"the checklist suite cannot start: {exc}") from None
    coverage = check_coverage(checklist, found, problems)
    if not coverage.ok:
        listed = "\n".join(f"  - {problem}" for problem in coverage.problems)
        raise pytest.UsageError(
            f"the features do not cover the checklist {path} ({len(coverage.problems)} problem(s)):\n{listed}"
        )
    try:
        for plan in plan_dataflow(checklist):
            values_by_property(plan)  # every row has values both tenants accept, or the run stops here
    except (PlanError, NoGenerator) as exc:
        raise pytest.UsageError(f"the checklist suite cannot start: {path}: {exc}") from None
    if mode.proxy is not None and not config.option.collectonly:
        try:
            with ProxyControl(mode.proxy) as control:
                control.health()
        except ProxyError as exc:
            raise pytest.UsageError(f"--proxy: {exc}") from None
    if mode.sync == "external" and not config.option.collectonly:
        try:
            config.stash[EXTERNAL] = ExternalRun.start(
                Settings.from_env(),
                plan_dataflow(checklist),
                config.stash[RUN_ID],
                converge_timeout=mode.converge_timeout,
                full_sync_timeout=mode.full_sync_timeout,
                seed=config.stash[SEED],
                workers=int(getattr(config.option, "numprocesses", None) or 0),
                allowance=ProxyControl(mode.proxy).trouble_seconds if mode.proxy else None,
            )
        except TenantError as exc:
            raise pytest.UsageError(f"--sync external: the barrier markers could not be made: {exc}") from None


def _check_sandbox(config: pytest.Config) -> None:
    """Real tenants, checked once before any scenario, within seconds and as ``harness doctor`` checks them: settings
    complete; CRMOffice signed in to and read; Business Central signed in to, the company found, the environment a
    sandbox (the production guard), records read. The first failure stops the run in one line."""
    settings = Settings.from_env()
    # The same limiter the external sync's barrier service gets later in this process (one per principal).
    limit = shared_rate_limit(settings, shares=int(getattr(config.option, "numprocesses", None) or 0) + 1)
    failed = blocker(settings, allow_production=config.getoption("--allow-production"), rate_limit=limit)
    if failed is not None:
        raise pytest.UsageError(f"--tenants sandbox: {failed.problem()} (harness doctor checks it all)")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Beside the Allure results: what ran with what (environment.properties) and how to sort failures."""
    config = session.config
    external = config.stash.get(EXTERNAL, None)
    if external is not None and not hasattr(config, "workerinput"):
        # Interrupted: no last wait for the product (someone wants the prompt back); the sweep still runs.
        config.stash[SWEEP] = external.finish(last_barrier=exitstatus != pytest.ExitCode.INTERRUPTED)
    alluredir = config.getoption("allure_report_dir", None)
    if hasattr(config, "workerinput") or not alluredir or not runs_the_suite(config):
        return
    env = _environment(config)
    write_properties(Path(alluredir), env)
    url = proxy_url(config)
    if url is not None:
        try:
            with ProxyControl(url) as control:
                write_run_etiquette(Path(alluredir), control.meters())
        except ProxyError as exc:
            # Without the proxy's measure the sign-off still has the rule-12 scenario's; say why it is missing.
            print(f"the proxy's measure of the run (rule 12) is missing from the sign-off: {exc}", file=sys.stderr)
    write_categories(Path(alluredir))


def _environment(config: pytest.Config) -> dict[str, str]:
    """What ran with what, for the report's environment and the sign-off."""
    try:
        generated = parse_file(checklist_path(config)).generated.isoformat(sep=" ")
    except ChecklistError as exc:
        generated = f"unreadable: {exc}"
    env = environment(
        tenants=config.getoption("--tenants"),
        sync=config.getoption("--sync"),
        seed=config.stash[SEED],
        checklist_path=str(checklist_path(config)),
        checklist_generated=generated,
        workers=str(getattr(config.option, "numprocesses", None) or 1),
    )
    env["Run id"] = config.stash[RUN_ID]
    if config.getoption("--sync") == "external":
        env["Converge timeout"] = f"{config.getoption('--converge-timeout'):g} s"
        env["Full sync timeout"] = f"{config.getoption('--full-sync-timeout'):g} s"
    if config.getoption("--tenants") == "sandbox":
        try:
            env.update(Settings.from_env().describe())
        except SettingsError as exc:
            env["Settings"] = str(exc)
    mutation = describe_mutation_run(config.rootpath / "reports" / "mutation.json", config.rootpath)
    if mutation is not None:
        env["Mutation score (reference sync)"] = mutation
    return env


def _record_not_started(config: pytest.Config, reason: str) -> None:
    alluredir = config.getoption("allure_report_dir", None)
    if not alluredir:
        return
    env = _environment(config)
    env["Run not started"] = reason
    write_properties(Path(alluredir), env)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Failed scenarios by the names and places the feature files give them; for an external sync, the product's
    latency per flow and direction, and what the run's final sweep removed."""
    _failed_scenarios(terminalreporter, config)
    external = config.stash.get(EXTERNAL, None)
    if external is None or hasattr(config, "workerinput"):
        return
    terminalreporter.section("external sync")
    for row in summarise(external.service.crossings):
        terminalreporter.write_line(
            f"{row.flow}, {row.direction}: {row.count} marker changes, median {row.median:.2f} s, "
            f"p95 {row.p95:.2f} s, max {row.max:.2f} s"
        )
    sweep, problem = config.stash.get(SWEEP, (None, None))
    if problem:
        terminalreporter.write_line(f"the last barrier before the sweep failed: {problem}", red=True)
    if sweep is not None:
        terminalreporter.write_line(
            f"final sweep of run {external.run_id}: {sweep.total} records removed (markers and late counterparts)"
            + (f"; {len(sweep.errors)} could not be: {sweep.errors}" if sweep.errors else "")
        )


def _failed_scenarios(terminalreporter: Any, config: pytest.Config) -> None:
    """pytest's short summary names a scenario by the test function pytest-bdd made of it; this one names it as its
    feature file does, and takes the place of pytest's list of failures when every failure is a scenario's."""
    lines, others = [], False
    for status in ("failed", "error"):
        for report in terminalreporter.stats.get(status, []):
            path, line, name = report.location
            if not path.endswith(".feature"):
                others = True
                continue
            text = report.longrepr if isinstance(report.longrepr, str) else ""
            first = text.splitlines()[0] if text else _crash_line(report)
            lines.append(summary_line(status.upper(), path, line, name, first))
    if not lines:
        return
    if not others:
        terminalreporter.reportchars = terminalreporter.reportchars.replace("f", "")
    terminalreporter.section("failed scenarios", red=True)
    for line in lines:
        terminalreporter.write_line(line)


def _crash_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = str(getattr(crash, "message", "") or "")
    return message.splitlines()[0] if message else ""
