"""Loaded with ``-p tests.plugin.xdist_probe`` by test_external_workers.py: at the session's start, before any gate
or worker, whether pytest-xdist took over the run and with how many workers, written to ``XDIST_PROBE``; then the
run stops."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    found = {"distributed": config.pluginmanager.has_plugin("dsession"), "tx": list(config.option.tx or [])}
    Path(os.environ["XDIST_PROBE"]).write_text(json.dumps(found), encoding="utf-8")
    pytest.exit("probe done", returncode=0)
