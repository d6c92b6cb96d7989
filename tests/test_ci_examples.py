"""The pipeline examples (GitHub Actions and Azure Pipelines) are valid YAML, run only what the Makefile and the
harness provide, set only settings the harness reads, keep secrets in the platform's secret store, and publish the
files ``make qa`` writes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.settings import VARIABLES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {"github": ROOT / ".github" / "workflows" / "qa.yml", "azure": ROOT / "ci" / "azure-pipelines.yml"}
HARNESS_VARIABLES = {"HARNESS_RUN_ID", "HARNESS_ALLOW_PRODUCTION", "HARNESS_FAKER_SEED", "HARNESS_SETTINGS"}
SETTINGS = {variable.name for variable in VARIABLES} | HARNESS_VARIABLES
SECRETS = {variable.name for variable in VARIABLES if variable.secret}
PUBLISHED = ("reports/allure-report/index.html", "reports/junit.xml", "reports/signoff.md")


def _load(name: str) -> Any:
    return yaml.safe_load(EXAMPLES[name].read_text(encoding="utf-8"))


def _walk(node: Any) -> list[Any]:
    found = [node]
    if isinstance(node, dict):
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


def _commands(document: Any) -> list[str]:
    return [
        str(node[key]) for node in _walk(document) if isinstance(node, dict) for key in ("run", "script") if key in node
    ]


def _env_blocks(document: Any) -> list[dict[str, Any]]:
    return [node["env"] for node in _walk(document) if isinstance(node, dict) and isinstance(node.get("env"), dict)]


MAKE_TARGETS = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_make_target_and_harness_command_they_run_exists(name: str) -> None:
    commands = " ".join(_commands(_load(name)))
    targets = set(re.findall(r"\bmake ([a-z][a-z-]*)", commands))
    assert targets and targets <= MAKE_TARGETS, f"{name}: targets {targets - MAKE_TARGETS} are not in the Makefile"
    for sub in re.findall(r"harness (\w+)", commands):
        assert sub in ("cleanup", "checklist", "serve", "sync", "bench", "signoff"), f"{name}: harness {sub}?"


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_they_set_only_settings_the_harness_reads_and_secrets_only_from_the_secret_store(name: str) -> None:
    blocks = _env_blocks(_load(name))
    assert blocks, f"{name}: expected a sandbox job with its settings"
    for block in blocks:
        unknown = set(block) - SETTINGS
        assert not unknown, f"{name}: {sorted(unknown)} are no settings the harness reads"
        for key in set(block) & SECRETS:
            value = str(block[key])
            assert value.startswith(("${{ secrets.", "$(")), f"{name}: {key} must come from the secret store: {value}"


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_they_publish_what_make_qa_writes_and_keep_the_history(name: str) -> None:
    text = EXAMPLES[name].read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for path in PUBLISHED:
        assert path in text, f"{name}: expected {path} published"
    assert "reports/junit.xml" in makefile and "reports/signoff.md" in makefile, "make qa writes both"
    assert "reports/history.jsonl" in text, f"{name}: expected the Allure history kept between runs"
    assert '"historyPath": "reports/history.jsonl"' in (ROOT / "allurerc.json").read_text(encoding="utf-8")


def test_azure_publishes_junit_to_the_tests_tab() -> None:
    tasks = [node for node in _walk(_load("azure")) if isinstance(node, dict) and "task" in node]
    published = [t for t in tasks if t["task"] == "PublishTestResults@2"]
    assert published, "expected a PublishTestResults@2 task"
    assert published[0]["inputs"]["testResultsFormat"] == "JUnit", published[0]
    assert published[0]["inputs"]["testResultsFiles"] == "reports/junit.xml", published[0]
