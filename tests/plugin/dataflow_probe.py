"""Loaded with ``-p tests.plugin.dataflow_probe`` by test_release.py: at the session's end, how many scenario
dataflows are still alive, written to the file ``DATAFLOW_PROBE`` names."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from harness.suite.dataflow import Dataflow


def pytest_sessionfinish(session: pytest.Session) -> None:
    gc.collect()
    alive = sum(1 for thing in gc.get_objects() if isinstance(thing, Dataflow))
    Path(os.environ["DATAFLOW_PROBE"]).write_text(str(alive), encoding="utf-8")
