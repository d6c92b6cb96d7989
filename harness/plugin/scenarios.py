"""Per scenario: the step it is at, its bound in time, how its failure reads, and the sync report's judgement."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import allure
import pytest

from harness.plugin.common import (
    DATAFLOW,
    OUTCOME,
    PLACE,
    SKIP,
    STEP,
    STEPS_DONE,
    is_scenario,
    suite_mode_of,
)
from harness.suite.attach import attach_text
from harness.suite.claims import REPORT_CHECK, judge_reports
from harness.suite.failures import PRODUCT_DEFECT, lead_with_step, plain_failure
from harness.suite.timebound import time_bound


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
    allure.dynamic.label("failed_check", "sync report")  # type: ignore[no-untyped-call]
    with allure.step(REPORT_CHECK):
        judge_reports(flow.report_disagreements)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Each scenario's steps are bounded (``--scenario-timeout``): a hung sync fails its scenario, naming the step."""
    if not is_scenario(item):
        return (yield)
    bound = suite_mode_of(item.config).scenario_bound()
    with time_bound(bound, lambda: item.stash.get(STEP, "before its first step")):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
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
