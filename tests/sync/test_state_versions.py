"""Sync state files of an earlier schema version: migrated when opened, creates in flight kept (state.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from harness.sync import SyncState
from tests.sync.helpers import CONTACTS, World

# Version 1 as it shipped: one journal row per create.
VERSION_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE links (
    flow TEXT NOT NULL, origin_id TEXT NOT NULL, target_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('live', 'retired')), synced TEXT NOT NULL, target_etag TEXT,
    origin_modified TEXT, target_modified TEXT, PRIMARY KEY (flow, origin_id)
);
CREATE INDEX links_by_target ON links (flow, target_id);
CREATE TABLE journal (
    flow TEXT NOT NULL, origin_id TEXT NOT NULL, target_id TEXT NOT NULL, body TEXT NOT NULL, origin_modified TEXT,
    PRIMARY KEY (flow, origin_id)
);
CREATE TABLE cursors (system TEXT NOT NULL, entity TEXT NOT NULL, position TEXT NOT NULL, PRIMARY KEY (system, entity));
CREATE TABLE failures (
    flow TEXT NOT NULL, side TEXT NOT NULL CHECK (side IN ('origin', 'target')), record_id TEXT NOT NULL,
    code TEXT NOT NULL, message TEXT NOT NULL, PRIMARY KEY (flow, side, record_id)
);
INSERT INTO meta VALUES ('schema_version', '1');
"""

X = "0d6f2a1e-8c4b-4e59-9f1a-3b7c2d5e6f70"
Y = "5a9e3c7d-1b2f-4a68-8e0d-9c4b7a6f5e21"


def version_1_file(path: Path, journal: list[tuple[str, str, str, dict[str, object], str | None]]) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(VERSION_1)
        db.execute(
            "INSERT INTO links VALUES ('f', 'o9', 't9', 'live', '{\"phoneNumber\": \"1\"}', 'W/\"e\"', NULL, NULL)"
        )
        db.executemany(
            "INSERT INTO journal VALUES (?, ?, ?, ?, ?)", [(f, o, t, json.dumps(b), m) for f, o, t, b, m in journal]
        )
    db.close()


def test_a_version_1_file_becomes_version_2_with_its_creates_in_flight(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    version_1_file(
        path,
        [
            ("f", "o2", "t2", {"id": "t2", "displayName": "B"}, None),
            ("f", "o1", "t1", {"id": "t1", "displayName": "A"}, "2024-11-13T09:00:00.000Z"),
            ("g", "o3", "t3", {"id": "t3", "displayName": "C"}, None),
        ],
    )
    state = SyncState(path)
    try:
        assert state.meta("schema_version") == "2"
        entries = [(e.flow, e.origin_id, e.target_id, e.body["displayName"]) for e in state.journal()]
        assert entries == [("f", "o2", "t2", "B"), ("f", "o1", "t1", "A"), ("g", "o3", "t3", "C")], (
            "expected every create in flight kept, in the order it was journalled"
        )
        assert state.journal()[1].origin_modified is not None
        assert state.links("f")["o9"].synced == {"phoneNumber": "1"}, "links are carried over untouched"
    finally:
        state.close()
    reopened = SyncState(path)
    assert len(reopened.journal()) == 3, "opening a migrated file again changes nothing"
    reopened.close()
    SyncState(tmp_path / "fresh.sqlite").close()
    assert schema(path) == schema(tmp_path / "fresh.sqlite"), "expected a migrated file shaped as a fresh one"


def schema(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name").fetchall()
    db.close()
    return [(name, " ".join(sql.split())) for name, sql in rows]


def test_a_migrated_create_that_had_landed_is_linked_not_duplicated(world: World) -> None:
    landed = world.crm_contact("Kari", "Nordmann", directPhone="22 33 44 55")
    lost = world.crm_contact("Ola", "Hansen")
    body = {"type": "Person", "phoneNumber": "22 33 44 55"}
    world.bc_create("contacts", id=X, displayName="Kari Nordmann", **body)
    version_1_file(
        world.state_path,
        [
            (CONTACTS, landed, X, {"id": X, "displayName": "Kari Nordmann", **body}, None),
            (CONTACTS, lost, Y, {"id": Y, "displayName": "Ola Hansen", "type": "Person"}, None),
        ],
    )
    report = world.sync()
    assert report.failures == [], report.failures
    people = sorted((c["id"], c["displayName"]) for c in world.bc_records("contacts") if c["type"] == "Person")
    assert people == [(X, "Kari Nordmann"), (Y, "Ola Hansen")], (
        f"expected the landed create linked and the lost one sent with its journalled id, found {people}"
    )
    assert (world.counterpart(CONTACTS, landed), world.counterpart(CONTACTS, lost)) == (X, Y)
    state = SyncState(world.state_path)
    assert state.journal() == [], "expected no create left in flight after a run that settled them all"
    state.close()


def test_a_create_of_a_flow_the_checklist_no_longer_has_stays_journalled(world: World) -> None:
    """A run that does not know a flow cannot settle its creates; they wait for a run whose checklist has it."""
    contact = world.crm_contact("Kari", "Nordmann")
    version_1_file(
        world.state_path,
        [
            ("leads->contacts(humandata)", "lead-1", X, {"id": X, "displayName": "Lead"}, None),
            (CONTACTS, contact, Y, {"id": Y, "displayName": "Kari Nordmann", "type": "Person"}, None),
        ],
    )
    world.sync()
    world.sync()
    state = SyncState(world.state_path)
    flows = [(entry.flow, entry.origin_id) for entry in state.journal()]
    state.close()
    assert ("leads->contacts(humandata)", "lead-1") in flows, f"expected the unknown flow's create kept, found {flows}"
    people = [c["id"] for c in world.bc_records("contacts") if c["type"] == "Person"]
    assert people == [Y], f"expected the known create sent once with its journalled id, found {people}"
