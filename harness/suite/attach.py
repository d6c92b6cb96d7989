"""Allure attachments for the checklist suite, every one redacted before it is written.

Steps and fixtures attach through these functions only, never through ``allure.attach`` directly, so no token,
client secret or ``Authorization`` header can reach ``reports/`` by a path that skipped redaction. Without an
Allure results directory (``--alluredir``) allure-pytest-bdd is not listening and attaching costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import allure

from harness.client.redact import Redactor
from harness.report.latency import BARRIER_ATTACHMENT
from harness.suite.under_test import SyncRun

__all__ = ["attach_json", "attach_run", "attach_text", "redactor"]

redactor = Redactor()
"""The secrets known to this process (client secrets, tokens); fixtures add the ones they hand out."""


def attach_text(name: str, text: str) -> None:
    allure.attach(redactor.text(text), name=name, attachment_type=allure.attachment_type.TEXT)


def attach_json(name: str, data: Any) -> None:
    body = json.dumps(redactor.data(data), indent=2, ensure_ascii=False, default=str, sort_keys=False)
    allure.attach(redactor.text(body), name=name, attachment_type=allure.attachment_type.JSON)


def attach_run(run: SyncRun, before: Mapping[str, Any], after: Mapping[str, Any], *, label: str) -> None:
    """What one sync did: its report (or the barrier an external sync passed) and both sides' records."""
    attach_json(f"{label}: records before", before)
    if run.report is not None:
        attach_json(f"{label}: sync report", run.report.to_dict())
    if run.barrier is not None:
        attach_json(f"{label}: {BARRIER_ATTACHMENT}", run.barrier.to_dict())
    if run.writes is not None:
        attach_json(f"{label}: writes received by each tenant", run.writes)
    attach_json(f"{label}: records after", after)
