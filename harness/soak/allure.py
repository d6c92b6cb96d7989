"""A soak as one Allure test result: the history as a timeline of steps, each violation as a failed step with the
records involved, and the minimal reproduction attached as a ``.feature`` snippet (written with Allure's own
``allure-python-commons`` file logger, so the real generator reads it beside the suite's results)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import (
    ATTACHMENT_PATTERN,
    Attachment,
    Label,
    Status,
    StatusDetails,
    TestResult,
    TestStepResult,
)

from harness.soak.history import Event
from harness.soak.session import Outcome

__all__ = ["write_result"]


def write_result(outcome: Outcome, directory: str | Path, *, started_ms: int) -> Path:
    """Write the soak's result (and attachments) into an Allure results directory; returns the directory."""
    logger = AllureFileLogger(directory)  # type: ignore[no-untyped-call]
    now = int(time.time() * 1000)
    result = TestResult(
        uuid=str(uuid.uuid4()),
        historyId=f"harness-soak-{outcome.program.seed}",
        name=f"harness soak, seed {outcome.program.seed}",
        fullName=f"harness.soak.seed{outcome.program.seed}",
        start=started_ms,
        stop=now,
        status=Status.BROKEN if outcome.no_product else Status.PASSED if outcome.verdict.ok else Status.FAILED,
        labels=[
            Label("epic", "Soak"),
            Label("feature", "Random histories on both tenants"),
            Label("severity", "critical"),
        ],
    )
    violations = [] if outcome.no_product else outcome.verdict.violations
    if outcome.no_product:
        result.statusDetails = StatusDetails(message=outcome.no_product)
    elif violations:
        first = outcome.verdict.violations[0]
        result.statusDetails = StatusDetails(
            message=f"{len(outcome.verdict.violations)} violation(s); first: rule {first.rule}, {first.record}: "
            f"{first.message}"
        )
    result.steps = [_event_step(event, started_ms) for event in outcome.events if event.action.kind != "pause"]
    for violation in violations:
        step = TestStepResult(
            name=f"rule {violation.rule} broken for {violation.record}",
            status=Status.FAILED,
            start=now,
            stop=now,
            statusDetails=StatusDetails(message=violation.message),
        )
        records = {
            "crmoffice": outcome.final.crm.get(violation.record),
            "businesscentral": outcome.final.bc.get(violation.record, []),
            "history": [e.to_dict() for e in outcome.events if e.action.record == violation.record],
        }
        step.attachments.append(_attach(logger, f"records of {violation.record}.json", "application/json", records))
        result.steps.append(step)
    attachments = {
        "summary.json": ("application/json", json.dumps(outcome.to_dict(), indent=2, ensure_ascii=False)),
        "history.json": ("application/json", json.dumps([e.to_dict() for e in outcome.events], indent=2)),
    }
    if outcome.reproduction:
        attachments["minimal-reproduction.feature"] = ("text/plain", outcome.reproduction)
    for name, (kind, body) in attachments.items():
        result.attachments.append(_attach(logger, name, kind, body))
    logger.report_result(result)  # type: ignore[no-untyped-call]
    return Path(directory)


def _attach(logger: AllureFileLogger, name: str, kind: str, body: object) -> Attachment:
    text = body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False, default=str)
    source = ATTACHMENT_PATTERN.format(prefix=uuid.uuid4(), ext=name.rsplit(".", 1)[1])
    logger.report_attached_data(text, source)  # type: ignore[no-untyped-call]
    return Attachment(name=name, source=source, type=kind)


def _event_step(event: Event, started_ms: int) -> TestStepResult:
    at = started_ms + int(event.at * 1000)
    status = Status.SKIPPED if event.skipped else Status.PASSED
    name = f"#{event.index} at {event.at:.1f} s: {event.action.describe()}"
    details = StatusDetails(message=event.skipped) if event.skipped else None
    return TestStepResult(name=name, status=status, start=at, stop=at, statusDetails=details)
