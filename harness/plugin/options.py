"""The checklist suite's command-line options, and the worker count an external sync picks."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from harness.plugin.common import (
    DEFAULT_CHECKLIST,
    DEFAULT_EXTERNAL_WORKERS,
    runs_the_suite,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("checklist suite")
    group.addoption("--tenants", choices=("mock", "wire", "sandbox"), default="mock", help="tenants (default: mock)")
    group.addoption("--sync", choices=("reference", "external"), default="reference", help="sync under test")
    group.addoption("--checklist", default=None, help=f"the checklist under test (.rst; default: {DEFAULT_CHECKLIST})")
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


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, int | pytest.ExitCode, int | pytest.ExitCode]:
    """An external sync's scenarios spend their time waiting for the product's cycles, so by default they overlap
    on many light workers (``--external-workers``); an explicit ``-n`` wins.

    A wrapper, so it runs before pytest-xdist's own ``pytest_cmdline_main`` turns ``-n`` into its workers: as a
    plain ``tryfirst`` hook of an installed plugin it ran after it, and the external run went on in one process."""
    _choose_external_workers(config)
    return (yield)


def _choose_external_workers(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or config.getoption("--sync") != "external":
        return
    if not config.pluginmanager.hasplugin("xdist") or not runs_the_suite(config):
        return
    if config.option.numprocesses is None and config.option.dist == "no":
        workers = config.getoption("--external-workers")
        if workers > 0:
            config.option.numprocesses = workers
            config.option.dist = "worksteal"  # scenarios differ in length: idle workers take over queued ones
