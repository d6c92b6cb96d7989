from __future__ import annotations

from pathlib import Path

import pytest

from tests.sync.helpers import World


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World(tmp_path / "state.sqlite")
    yield world  # type: ignore[misc]
    world.pair.close()
    assert world.crm.internal_errors == [], world.crm.internal_errors
    assert world.bc.internal_errors == [], world.bc.internal_errors
