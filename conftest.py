"""The checklist suite's options, its per-scenario fixtures, and the tags → Allure labels mapping.

Run the suite with ``pytest steps`` (``make qa`` adds the Allure results, the report and the sign-off). Options:
``--tenants mock|wire|sandbox``, ``--sync reference|external``, ``--checklist PATH``, ``--faker-seed N`` (printed
in the header, the report's environment and each scenario's parameters, so any run can be replayed), and for real
tenants ``--allow-production``, and for an external sync ``--converge-timeout``, ``--full-sync-timeout`` and
``--external-workers`` (see the README). The controller draws the seed and the run id once and hands both to the
pytest-xdist workers; with an external sync it also runs the run's barrier service, which the workers reach over
loopback (``harness.barriers.rpc``).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import allure
import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

from harness.barriers.external_run import ExternalRun
from harness.barriers.rpc import BarrierClient
from harness.businesscentral.client.guard import ProductionRefused
from harness.checklist import Checklist, ChecklistError, parse_file
from harness.client import TenantError
from harness.client.exchanges import ExchangeLog
from harness.doctor import blocker
from harness.proxy.client import ProxyControl, ProxyError
from harness.report.environment import environment, write_categories, write_properties
from harness.report.etiquette import write_run_etiquette
from harness.report.latency import BARRIERS_ATTACHMENT, summarise
from harness.report.mutation import describe_mutation_run
from harness.settings import Settings, SettingsError
from harness.shared_tenants.cleanup import CleanupReport
from harness.shared_tenants.runtag import RunTag, new_run_id
from harness.suite.attach import attach_json, attach_text, redactor
from harness.suite.build import SuiteError, SuiteMode, build_dataflow, build_sandbox_dataflow
from harness.suite.claims import REPORT_CHECK, judge_reports
from harness.suite.dataflow import Dataflow
from harness.suite.failures import PRODUCT_DEFECT, Place, lead_with_step, plain_failure, summary_line
from harness.suite.timebound import time_bound
from harness.suite.under_test import Barriers
from harness.sync import plan_dataflow
from harness.sync.plan import FlowPlan, PlanError
from harness.tenants import shared_rate_limit, what_to_check
from harness.testdata.values import NoGenerator, values_by_property
from harness.traceability.contract import (
    DIRECTIONS,
    ORIGIN_COLUMN,
    RULES,
    TARGET_COLUMN,
    TagError,
    parse_tag,
    section_slug,
)
from harness.traceability.coverage import (
    FeatureError,
    check_coverage,
    read_features,
    row_trace,
    rule_trace,
    section_trace,
)

pytest_plugins = ["steps.records", "steps.properties", "steps.sync", "steps.resilience", "steps.cost"]

ROOT = Path(__file__).resolve().parent
DEFAULT_CHECKLIST = ROOT / "features" / "crmoffice-businesscentral.rst"
OUTCOME = pytest.StashKey[pytest.TestReport]()
STEP = pytest.StashKey[str]()
STEPS_DONE = pytest.StashKey[int]()
PLACE = pytest.StashKey["Place"]()
SKIP = pytest.StashKey[str]()
DATAFLOW = pytest.StashKey[Dataflow]()
SEED = pytest.StashKey[int]()
RUN_ID = pytest.StashKey[str]()
LEDGER = pytest.StashKey[Path]()
EXTERNAL = pytest.StashKey[ExternalRun]()
SWEEP = pytest.StashKey[tuple[CleanupReport, str | None]]()
DEFAULT_EXTERNAL_WORKERS = 12


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("checklist suite")
    group.addoption("--tenants", choices=("mock", "wire", "sandbox"), default="mock", help="tenants (default: mock)")
    group.addoption("--sync", choices=("reference", "external"), default="reference", help="sync under test")
    group.addoption("--checklist", default=str(DEFAULT_CHECKLIST), help="the checklist under test (.rst)")
    group.addoption("--faker-seed", type=int, default=None, help="seed of the scenarios' data (default: random)")
    group.addoption(
        "--converge-timeout",
        type=float,
        default=120.0,
        help="external sync: an edit must have crossed to the other side within this many seconds (default 120)",
    )
    group.addoption(
        "--full-sync-timeout",
        type=float,
        default=900.0,
        help="external sync: a deleted counterpart must have been created again within this many seconds "
        "(the product's full read; default 900)",
    )
    group.addoption(
        "--external-workers",
        type=int,
        default=DEFAULT_EXTERNAL_WORKERS,
        help="external sync without -n: run on this many pytest-xdist workers, since scenarios mostly wait "
        f"(default {DEFAULT_EXTERNAL_WORKERS}; 0 runs in this process)",
    )
    group.addoption(
        "--scenario-timeout",
        type=float,
        default=None,
        help="fail a scenario whose steps take longer than this many seconds (default: 120 on fakes, 600 on real "
        "tenants, and from the service levels for an external sync; 0: no bound)",
    )
    group.addoption(
        "--proxy",
        default=None,
        metavar="URL",
        help="external sync: the control URL of the harness proxy the product reaches the tenants through "
        "(default: HARNESS_PROXY_URL); faults, holds and meters then prove rules 10 to 12",
    )
    group.addoption(
        "--product-timeout",
        type=float,
        default=None,
        metavar="S",
        help="external sync behind the proxy: the product's request timeout, so a too-slow answer outlasts it",
    )
    group.addoption(
        "--allow-production",
        action="store_true",
        help="let sandbox mode write to a production Business Central (also needs HARNESS_ALLOW_PRODUCTION=yes)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """An external sync's scenarios spend their time waiting for the product's cycles, so by default they overlap
    on many light workers (``--external-workers``); an explicit ``-n`` wins. Runs before pytest-xdist reads ``-n``."""
    if hasattr(config, "workerinput") or config.getoption("--sync") != "external":
        return
    if not config.pluginmanager.hasplugin("xdist") or not _runs_the_suite(config):
        return
    if config.option.numprocesses is None and config.option.dist == "no":
        workers = config.getoption("--external-workers")
        if workers > 0:
            config.option.numprocesses = workers
            config.option.dist = "worksteal"  # scenarios differ in length: idle workers take over queued ones


def pytest_configure(config: pytest.Config) -> None:
    for marker in ("checklist", "rule", "severity", "dataflow"):
        config.addinivalue_line("markers", f"{marker}(value): a checklist suite tag @{marker}:<value>")
    for direction, arrow in DIRECTIONS.items():
        config.addinivalue_line("markers", f"{direction}: Examples proving checklist rows {arrow}")
    config.addinivalue_line("markers", "fakes_only: needs the fake tenants' clock")
    config.addinivalue_line("markers", "faults: needs faults on cue: the fakes' fault plan, or harness proxy's")
    config.addinivalue_line("markers", "one_cycle: observes what one sync cycle does; not for an external product")
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_JUnitNames(config), "harness-junit-names")
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
    if not _runs_the_suite(config):
        return None
    return (
        f"checklist suite: --tenants {config.getoption('--tenants')} --sync {config.getoption('--sync')} "
        f"--faker-seed {config.stash[SEED]} --checklist {config.getoption('--checklist')} run {config.stash[RUN_ID]}"
    )


def _runs_the_suite(config: pytest.Config) -> bool:
    for arg in config.args:
        path = Path(arg.split("::")[0])
        path = path if path.is_absolute() else Path(config.invocation_params.dir, path)
        if path.resolve().is_relative_to(ROOT / "steps") or path.resolve().is_relative_to(ROOT / "features"):
            return True
    return False


def pytest_sessionstart(session: pytest.Session) -> None:
    """The traceability gate: a changed checklist must not pass silently (see harness.traceability.coverage). A run that
    cannot start leaves its reason beside the Allure results, so the sign-off says why it is not ready."""
    config = session.config
    if hasattr(config, "workerinput") or not _runs_the_suite(config):
        return
    try:
        _start(config)
    except pytest.UsageError as exc:
        _record_not_started(config, str(exc))
        raise


def _start(config: pytest.Config) -> None:
    sandbox = config.getoption("--tenants") == "sandbox"
    try:
        mode = _mode(config)
        mode.check()
        if sandbox:
            _check_sandbox(config)
    except (SuiteError, SettingsError, ProductionRefused) as exc:
        raise pytest.UsageError(f"{'--tenants sandbox: ' if sandbox else ''}{exc}") from None
    except TenantError as exc:
        raise pytest.UsageError(f"--tenants sandbox: {what_to_check(exc)} (harness doctor checks it all)") from None
    path = config.getoption("--checklist")
    try:
        checklist = parse_file(path)
        found, problems = read_features(ROOT / "features", root=ROOT)
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Beside the Allure results: what ran with what (environment.properties) and how to sort failures."""
    config = session.config
    external = config.stash.get(EXTERNAL, None)
    if external is not None and not hasattr(config, "workerinput"):
        # Interrupted: no last wait for the product (someone wants the prompt back); the sweep still runs.
        config.stash[SWEEP] = external.finish(last_barrier=exitstatus != pytest.ExitCode.INTERRUPTED)
    alluredir = config.getoption("allure_report_dir", None)
    if hasattr(config, "workerinput") or not alluredir or not _runs_the_suite(config):
        return
    env = _environment(config)
    write_properties(Path(alluredir), env)
    proxy_url = _proxy_url(config)
    if proxy_url is not None:
        try:
            with ProxyControl(proxy_url) as control:
                write_run_etiquette(Path(alluredir), control.meters())
        except ProxyError as exc:
            # Without the proxy's measure the sign-off still has the rule-12 scenario's; say why it is missing.
            print(f"the proxy's measure of the run (rule 12) is missing from the sign-off: {exc}", file=sys.stderr)
    write_categories(Path(alluredir))


def _environment(config: pytest.Config) -> dict[str, str]:
    """What ran with what, for the report's environment and the sign-off."""
    try:
        generated = parse_file(config.getoption("--checklist")).generated.isoformat(sep=" ")
    except ChecklistError as exc:
        generated = f"unreadable: {exc}"
    env = environment(
        tenants=config.getoption("--tenants"),
        sync=config.getoption("--sync"),
        seed=config.stash[SEED],
        checklist_path=str(config.getoption("--checklist")),
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
    mutation = describe_mutation_run(ROOT / "reports" / "mutation.json", ROOT)
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


# --- tags -------------------------------------------------------------------------------------------------------
def pytest_bdd_apply_tag(tag: str, function: Any) -> Any:
    """``@rule:4`` → ``pytest.mark.rule(4)`` (a marker with a value, selectable with ``-m``); plain tags as usual."""
    try:
        parsed = parse_tag(tag)
    except TagError as exc:
        raise pytest.UsageError(str(exc)) from None
    if parsed.kind in ("plain", "direction"):
        return None
    value: Any = parsed.rule if parsed.kind == "rule" else parsed.value
    getattr(pytest.mark, parsed.kind)(value)(function)
    return True


@pytest.fixture(scope="session")
def checklist(pytestconfig: pytest.Config) -> Checklist:
    return parse_file(pytestconfig.getoption("--checklist"))


@pytest.fixture(scope="session")
def plans(checklist: Checklist) -> list[FlowPlan]:
    return plan_dataflow(checklist)


def _labels(item: pytest.Item, checklist: Checklist) -> list[tuple[str, str]]:
    """Allure labels from the scenario's tags: epic = the dataflow, feature = the checklist section, story = the
    contract rule, severity; and ``trace`` labels the sign-off reads (section, row and direction, rule)."""
    headings = {section_slug(flow): flow.heading or flow.label() for flow in checklist.flows}
    labels: list[tuple[str, str]] = []
    sections = [str(m.args[0]) for m in item.iter_markers("checklist")]
    rules = sorted({int(m.args[0]) for m in item.iter_markers("rule")})
    if any(item.iter_markers("dataflow")):
        labels.append(("epic", checklist.title))
    for slug in sections:
        labels.append(("feature", headings.get(slug, slug)))
        if 1 in rules:
            labels.append(("trace", section_trace(slug)))
    for rule in rules:
        labels.append(("story", f"Rule {rule}: {RULES[rule]}"))
        labels.append(("trace", rule_trace(rule)))
    for mark in item.iter_markers("severity"):
        labels.append(("severity", str(mark.args[0])))
        break
    example = getattr(item, "callspec", None)
    raw = example.params.get("_pytest_bdd_example", {}) if example is not None else {}
    # Column names compare as the coverage gate compares them: trimmed, case-insensitively.
    params = {str(key).strip().casefold(): value for key, value in raw.items()}
    directions = [d for d in DIRECTIONS if any(item.iter_markers(d))]
    if ORIGIN_COLUMN in params and TARGET_COLUMN in params and len(sections) == 1 and len(directions) == 1:
        labels.append(("trace", row_trace(sections[0], params[ORIGIN_COLUMN], params[TARGET_COLUMN], directions[0])))
    return labels


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    scenario_items = [item for item in items if "_pytest_bdd_example" in getattr(item, "fixturenames", ())]
    if not scenario_items:
        return
    checklist = parse_file(config.getoption("--checklist"))
    real = config.getoption("--tenants") == "sandbox"
    external = config.getoption("--sync") == "external"
    proxied = external and _proxy_url(config) is not None
    if external:
        # Longest first, so the slowest scenario does not start last (the order is the same on every worker).
        items.sort(key=_expected_waits, reverse=True)
    for item in scenario_items:
        reasons = [
            (real and any(item.iter_markers("fakes_only")), "needs the fake tenants' clock; the tenants are real"),
            (
                real and not proxied and any(item.iter_markers("faults")),
                "needs faults on cue: the tenants are real and no harness proxy fronts them (--proxy)",
            ),
            (
                external and not proxied and any(item.iter_markers("one_cycle")),
                "counts what one sync cycle costs; an external product's cycles are told apart only by "
                "harness proxy's meters (--proxy)",
            ),
        ]
        skipped = [reason for applies, reason in reasons if applies]
        if skipped:
            item.stash[SKIP] = skipped[0]
        place = _place(item)
        if place is not None:
            item.stash[PLACE] = place
            # The terminal's failure headers and JUnit's file and line come from here (0-based, as pytest keeps it).
            item.__dict__["location"] = (place.path, place.line - 1, place.name)
        labels = _labels(item, checklist)
        for name, value in labels:
            item.add_marker(pytest.mark.allure_label(value, label_type=name))
        item.user_properties.extend(_junit_properties(item, labels))


JUNIT_PROPERTIES = {"feature": "checklist section", "story": "contract rule", "severity": "severity", "trace": "trace"}


def _junit_properties(item: pytest.Item, labels: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What JUnit XML carries for a scenario: its name as the feature file says it (an outline's with its example's
    values), where it is written, and the checklist section, contract rules and severity its tags cite."""
    place = item.stash.get(PLACE, None)
    named = [] if place is None else [("scenario", place.name), ("feature", place.feature), ("file", place.path)]
    named += [("line", str(place.line))] if place is not None else []
    return named + [(JUNIT_PROPERTIES[k], v) for k, v in labels if k in JUNIT_PROPERTIES]


def _place(item: pytest.Item) -> Place | None:
    """Where the scenario is written and its name there, with an outline's example values in place."""
    template = scenario_wrapper_template_registry.get(getattr(item, "obj", None))  # type: ignore[arg-type]
    if template is None:
        return None
    name = template.name
    example = getattr(item, "callspec", None)
    for key, value in (example.params.get("_pytest_bdd_example", {}) if example is not None else {}).items():
        name = name.replace(f"<{key}>", str(value))
    path = Path(template.feature.filename)
    shown = path.relative_to(item.config.rootpath) if path.is_relative_to(item.config.rootpath) else path
    return Place(shown.as_posix(), template.line_number, name, template.feature.name)


class _JUnitNames:
    """JUnit XML names each test case by the scenario and its class by the feature, not by the Python function and
    module pytest-bdd made of them. pytest-xdist's workers' reports arrive here with their properties, so the names
    are set where the XML is written."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # pytest keeps its JUnit writer under a private key; a user-set "name" attribute survives its own naming.
        from _pytest.junitxml import xml_key

        xml = self.config.stash.get(xml_key, None)
        properties = dict(report.user_properties)
        if xml is None or not properties.get("scenario"):
            return
        reporter = xml.node_reporter(report)
        reporter.add_attribute("name", properties["scenario"])
        if properties.get("feature"):
            reporter.add_attribute("classname", properties["feature"])
        if properties.get("file"):
            reporter.add_attribute("file", properties["file"])
            reporter.add_attribute("line", properties["line"])  # 1-based, as CI tools and editors count


def _expected_waits(item: pytest.Item) -> int:
    """How many product cycles a scenario waits for, roughly: a full read counts as many."""
    template = scenario_wrapper_template_registry.get(getattr(item, "obj", None))  # type: ignore[arg-type]
    if template is None or any(item.iter_markers("fakes_only")):
        return 0
    waits = 0
    for step in template.steps:
        text = step.name
        if "full sync" in text:
            waits += 10
        elif "linked to a Business Central" in text:
            waits += 2
        elif "sync" in text or "linked since" in text:
            waits += int(text.split("run ")[-1].split()[0]) if " times" in text else 1
    return waits


# --- per scenario -----------------------------------------------------------------------------------------------
def pytest_bdd_before_step(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any) -> None:
    request.node.stash[STEP] = f"{step.keyword} {step.name}"


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(request: pytest.FixtureRequest) -> None:
    """A scenario this mode cannot run is skipped once it has started, not at collection: Allure, which records a
    scenario only once it starts, then counts it as pytest, JUnit and the sign-off do."""
    reason = request.node.stash.get(SKIP, None)
    if reason is not None:
        pytest.skip(reason)


def pytest_bdd_step_error(request: pytest.FixtureRequest, step: Any, exception: BaseException) -> None:
    lead_with_step(exception, step.type, step.name)


def pytest_bdd_after_step(request: pytest.FixtureRequest) -> None:
    request.node.stash[STEPS_DONE] = request.node.stash.get(STEPS_DONE, 0) + 1


def pytest_bdd_after_scenario(request: pytest.FixtureRequest, scenario: Any) -> None:
    """The reference sync's report, held against the tenants after each run, is judged once the scenario's own
    steps passed: a report that disagrees fails the scenario after them, never instead of them (nor instead of a
    step's failure or skip, which pytest-bdd is still raising when this runs)."""
    flow = request.node.stash.get(DATAFLOW, None)
    if flow is None or not flow.report_disagreements:
        return
    if request.node.stash.get(STEPS_DONE, 0) < len(scenario.steps):
        attach_text(
            "the sync's report (not judged: a step did not pass)",
            "\n".join(f"{label}: {problem}" for label, found in flow.report_disagreements for problem in found),
        )
        return
    allure.dynamic.label("failed_check", "sync report")
    with allure.step(REPORT_CHECK):
        judge_reports(flow.report_disagreements)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Each scenario's steps are bounded (``--scenario-timeout``): a hung sync fails its scenario, naming the step."""
    if "_pytest_bdd_example" not in getattr(item, "fixturenames", ()):
        return (yield)
    bound = _mode(item.config).scenario_bound()
    with time_bound(bound, lambda: item.stash.get(STEP, "before its first step")):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call" or report.failed:
        item.stash[OUTCOME] = report
    place = item.stash.get(PLACE, None)
    excinfo = call.excinfo
    if (
        report.when == "call"
        and report.failed
        and place is not None
        and excinfo is not None
        and excinfo.errisinstance(PRODUCT_DEFECT)
        and item.config.option.tbstyle == "auto"  # the user asked for no particular traceback style
    ):
        # A product defect reads as the expectation and what was found; a harness error keeps its traceback.
        report.longrepr = plain_failure(place, str(excinfo.value))
    return report


def _mode(config: pytest.Config) -> SuiteMode:
    return SuiteMode(
        tenants=config.getoption("--tenants"),
        sync=config.getoption("--sync"),
        converge_timeout=config.getoption("--converge-timeout"),
        full_sync_timeout=config.getoption("--full-sync-timeout"),
        scenario_timeout=config.getoption("--scenario-timeout"),
        proxy=_proxy_url(config),
        product_timeout=config.getoption("--product-timeout"),
    )


def _proxy_url(config: pytest.Config) -> str | None:
    """``--proxy``, else ``HARNESS_PROXY_URL`` for an external sync (the proxy's env file sets it for the product)."""
    url = config.getoption("--proxy")
    if url is None and config.getoption("--sync") == "external":
        url = os.environ.get("HARNESS_PROXY_URL") or None
    return str(url) if url else None


@pytest.fixture(scope="session")
def suite_mode(pytestconfig: pytest.Config) -> SuiteMode:
    mode = _mode(pytestconfig)
    mode.check()  # already checked at session start, before any worker began
    return mode


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


def _remove_scenario_records(flow: Dataflow) -> None:
    try:
        report = flow.remove_own_records()
    except Exception as exc:  # noqa: BLE001 - reported; `harness cleanup --run-id` removes what is left
        attach_text("cleanup", f"the scenario's records could not all be removed: {exc!r}; run harness cleanup")
        return
    attach_json("cleanup: records removed from the shared tenants", report.to_dict())
