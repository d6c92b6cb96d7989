"""What the plugin's parts share: stash keys, the suite's mode and paths, and the scenario behind a test.

Paths are the project's, under pytest's root directory (``features/``, ``steps/``), so a QA team's own repository
that installs the harness keeps its features, steps and checklist there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harness.barriers.external_run import ExternalRun
from harness.shared_tenants.cleanup import CleanupReport
from harness.suite.build import SuiteMode
from harness.suite.dataflow import Dataflow
from harness.suite.failures import Place

__all__ = [
    "DATAFLOW",
    "DEFAULT_CHECKLIST",
    "DEFAULT_EXTERNAL_WORKERS",
    "EXTERNAL",
    "LEDGER",
    "OUTCOME",
    "PLACE",
    "RUN_ID",
    "SEED",
    "SKIP",
    "STEP",
    "STEPS_DONE",
    "SWEEP",
    "checklist_path",
    "is_scenario",
    "proxy_url",
    "runs_the_suite",
    "scenario_template",
    "suite_mode_of",
]

DEFAULT_CHECKLIST = Path("features") / "crmoffice-businesscentral.rst"
"""The checklist under test unless ``--checklist`` names another, relative to pytest's root directory."""
DEFAULT_EXTERNAL_WORKERS = 12

OUTCOME = pytest.StashKey[pytest.TestReport]()
STEP = pytest.StashKey[str]()
STEPS_DONE = pytest.StashKey[int]()
PLACE = pytest.StashKey[Place]()
SKIP = pytest.StashKey[str]()
DATAFLOW = pytest.StashKey[Dataflow]()
SEED = pytest.StashKey[int]()
RUN_ID = pytest.StashKey[str]()
LEDGER = pytest.StashKey[Path]()
EXTERNAL = pytest.StashKey[ExternalRun]()
SWEEP = pytest.StashKey[tuple[CleanupReport, str | None]]()


def checklist_path(config: pytest.Config) -> Path:
    chosen = config.getoption("--checklist")
    return Path(chosen) if chosen else config.rootpath / DEFAULT_CHECKLIST


def suite_mode_of(config: pytest.Config) -> SuiteMode:
    return SuiteMode(
        tenants=config.getoption("--tenants"),
        sync=config.getoption("--sync"),
        converge_timeout=config.getoption("--converge-timeout"),
        full_sync_timeout=config.getoption("--full-sync-timeout"),
        scenario_timeout=config.getoption("--scenario-timeout"),
        proxy=proxy_url(config),
        product_timeout=config.getoption("--product-timeout"),
    )


def proxy_url(config: pytest.Config) -> str | None:
    """``--proxy``, else ``HARNESS_PROXY_URL`` for an external sync (the proxy's env file sets it for the product)."""
    url = config.getoption("--proxy")
    if url is None and config.getoption("--sync") == "external":
        url = os.environ.get("HARNESS_PROXY_URL") or None
    return str(url) if url else None


def runs_the_suite(config: pytest.Config) -> bool:
    """Whether this run runs the checklist suite (arguments under ``steps/`` or ``features/``), not the harness's
    own tests, which load this plugin too."""
    root = config.rootpath
    for arg in config.args:
        path = Path(arg.split("::")[0])
        path = (path if path.is_absolute() else Path(config.invocation_params.dir, path)).resolve()
        if path.is_relative_to(root / "steps") or path.is_relative_to(root / "features"):
            return True
    return False


def is_scenario(item: pytest.Item) -> bool:
    return "_pytest_bdd_example" in getattr(item, "fixturenames", ())


def scenario_template(item: pytest.Item) -> Any | None:
    """The pytest-bdd scenario a test runs (its feature, line, name and steps), or None for a plain test.

    pytest-bdd has no public way from a test item to its scenario; this is the one place that reads its registry,
    so a pytest-bdd upgrade that moves it breaks here and nowhere else."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    return scenario_wrapper_template_registry.get(getattr(item, "obj", None))  # type: ignore[arg-type]
