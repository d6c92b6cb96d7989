"""The sync state in a SQLite file: links, last synced values, cursors, creates in flight, records that failed.

Shape (schema version 2; ``meta.schema_version`` says which; a version 1 file is migrated when opened, a file of
any other version is refused, never guessed):

``links``     one row per origin record of a flow: ``target_id``, ``status`` (``live``, or ``retired`` once the origin
              is gone), ``synced`` (JSON: target property -> last synced value, to tell user edits from the sync's
              own writes), ``target_etag``, ``origin_modified`` / ``target_modified`` (as last seen).
``journal``   creates sent or about to be sent to the target, with the id chosen for them: a restart finds here a
              create that reached the target but whose link was never stored, and completes it instead of
              creating a duplicate. One row per ``$batch`` request (``batch``), its ``creates`` a JSON array of
              ``{"flow", "origin_id", "target_id", "body", "origin_modified"}``; the row goes once every create in it
              is settled (linked, or refused and on record). Version 1 held one row per create.
``cursors``   per system and entity, the latest modification time over committed work; reads start a little before
              it (the overlap window), so records modified within the same millisecond are never missed.
``failures``  records a tenant refused (rule 9), retried on every run until they sync.
``meta``      ``schema_version``, ``reconciled_at``.

Cursors and links change in one transaction per committed step, so a crash leaves either the old or the new state.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import harness.client.jsontext as jsontext
from harness.client.timestamps import format_timestamp, parse_timestamp

__all__ = ["SCHEMA_VERSION", "Failure", "JournalEntry", "Link", "StateError", "SyncState"]

SCHEMA_VERSION = 2

_JOURNAL = "CREATE TABLE journal (batch INTEGER PRIMARY KEY, creates TEXT NOT NULL)"
_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE links (
    flow TEXT NOT NULL,
    origin_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('live', 'retired')),
    synced TEXT NOT NULL,
    target_etag TEXT,
    origin_modified TEXT,
    target_modified TEXT,
    PRIMARY KEY (flow, origin_id)
);
CREATE INDEX links_by_target ON links (flow, target_id);
{_JOURNAL};
CREATE TABLE cursors (system TEXT NOT NULL, entity TEXT NOT NULL, position TEXT NOT NULL, PRIMARY KEY (system, entity));
CREATE TABLE failures (
    flow TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('origin', 'target')),
    record_id TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (flow, side, record_id)
);
"""


class StateError(RuntimeError):
    """The state file cannot be used; the message names the file and why."""


@dataclass(slots=True)
class Link:
    flow: str
    origin_id: str
    target_id: str
    status: str = "live"
    synced: dict[str, Any] = field(default_factory=dict)
    target_etag: str | None = None
    origin_modified: datetime | None = None
    target_modified: datetime | None = None

    @property
    def live(self) -> bool:
        return self.status == "live"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    flow: str
    origin_id: str
    target_id: str
    body: dict[str, Any]
    origin_modified: datetime | None
    batch: int | None = None  # the journal row it was read from


@dataclass(frozen=True, slots=True)
class Failure:
    flow: str
    side: str
    record_id: str
    code: str
    message: str


def _encode(value: Any, *, sort_keys: bool = False) -> str:
    return jsontext.dumps(value, sort_keys=sort_keys).decode()


def _stamp(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment is not None else None


def _moment(text: str | None) -> datetime | None:
    return parse_timestamp(text) if text else None


class SyncState:
    """``SyncState(path)`` opens (or creates) a state file; ``":memory:"`` keeps it in memory for unit tests."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL under WAL is durable against a process crash, which is the crash the contract speaks of.
            self._db.execute("PRAGMA synchronous=NORMAL")
            # A first sync commits thousands of small transactions: checkpoint the log less often than every 4 MB.
            self._db.execute("PRAGMA wal_autocheckpoint=10000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.path}: not a usable sync state file ({exc})") from None

    def _migrate(self) -> None:
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            with self.transaction():
                for statement in filter(None, (part.strip() for part in _SCHEMA.split(";"))):
                    self._db.execute(statement)
                self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            return
        row = (
            self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if "meta" in tables
            else None
        )
        if row is None:
            raise StateError(f"{self.path}: a SQLite file, but not a sync state (no schema_version)")
        if row[0] == "1":
            self._from_version_1()
        elif int(row[0]) != SCHEMA_VERSION:
            raise StateError(
                f"{self.path}: sync state schema version {row[0]}, this harness reads versions 1 and {SCHEMA_VERSION}"
            )

    def _from_version_1(self) -> None:
        """Version 1 journalled each create in a row of its own: its creates in flight become one batch row."""
        with self.transaction():
            rows = self._db.execute(
                "SELECT flow, origin_id, target_id, body, origin_modified FROM journal ORDER BY rowid"
            ).fetchall()
            self._db.execute("DROP TABLE journal")
            self._db.execute(_JOURNAL)
            if rows:
                creates = [
                    {"flow": f, "origin_id": o, "target_id": t, "body": json.loads(b), "origin_modified": m}
                    for f, o, t, b, m in rows
                ]
                self._db.execute("INSERT INTO journal (creates) VALUES (?)", (_encode(creates),))
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- meta -------------------------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- links ------------------------------------------------------------------------------------------------
    def links(self, flow: str) -> dict[str, Link]:
        rows = self._db.execute(
            "SELECT origin_id, target_id, status, synced, target_etag, origin_modified, target_modified "
            "FROM links WHERE flow = ?",
            (flow,),
        )
        return {
            origin_id: Link(flow, origin_id, target_id, status, jsontext.loads(synced), etag, _moment(om), _moment(tm))
            for origin_id, target_id, status, synced, etag, om, tm in rows
        }

    def links_for(self, flow: str, column: str, ids: Iterable[str]) -> list[Link]:
        """The links of ``flow`` whose ``origin_id`` (or ``target_id``) is one of ``ids``."""
        if column not in ("origin_id", "target_id"):
            raise ValueError(f"links are looked up by origin_id or target_id, not {column!r}")
        wanted = list(dict.fromkeys(ids))
        found: list[Link] = []
        for start in range(0, len(wanted), 500):  # SQLite bounds the number of parameters in one statement
            chunk = wanted[start : start + 500]
            rows = self._db.execute(
                "SELECT origin_id, target_id, status, synced, target_etag, origin_modified, target_modified "
                f"FROM links WHERE flow = ? AND {column} IN ({', '.join('?' * len(chunk))})",
                (flow, *chunk),
            )
            found.extend(
                Link(flow, origin_id, target_id, status, jsontext.loads(synced), etag, _moment(om), _moment(tm))
                for origin_id, target_id, status, synced, etag, om, tm in rows
            )
        return found

    def save_links(self, links: Iterable[Link]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    link.flow,
                    link.origin_id,
                    link.target_id,
                    link.status,
                    _encode(link.synced, sort_keys=True),
                    link.target_etag,
                    _stamp(link.origin_modified),
                    _stamp(link.target_modified),
                )
                for link in links
            ],
        )

    # --- journal ----------------------------------------------------------------------------------------------
    def journal(self) -> list[JournalEntry]:
        """Every create in flight, oldest first, each with the row (``batch``) it was journalled in."""
        return [
            JournalEntry(c["flow"], c["origin_id"], c["target_id"], c["body"], _moment(c["origin_modified"]), batch)
            for batch, creates in self._db.execute("SELECT batch, creates FROM journal ORDER BY batch")
            for c in jsontext.loads(creates)
        ]

    def journal_creates(self, entries: Iterable[JournalEntry]) -> int:
        """Journal the creates of one ``$batch`` request in one row; returns the row's ``batch`` number."""
        creates = [
            {
                "flow": e.flow,
                "origin_id": e.origin_id,
                "target_id": e.target_id,
                "body": e.body,
                "origin_modified": _stamp(e.origin_modified),
            }
            for e in entries
        ]
        cursor = self._db.execute("INSERT INTO journal (creates) VALUES (?)", (_encode(creates),))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def forget_batches(self, batches: Iterable[int]) -> None:
        """Drop journal rows whose creates are all settled."""
        self._db.executemany("DELETE FROM journal WHERE batch = ?", [(batch,) for batch in batches])

    # --- cursors ----------------------------------------------------------------------------------------------
    def cursor(self, system: str, entity: str) -> datetime | None:
        row = self._db.execute(
            "SELECT position FROM cursors WHERE system = ? AND entity = ?", (system, entity)
        ).fetchone()
        return _moment(row[0]) if row else None

    def set_cursor(self, system: str, entity: str, position: datetime) -> None:
        current = self.cursor(system, entity)
        if current is not None and position <= current:
            return  # cursors only move forward
        self._db.execute(
            "INSERT OR REPLACE INTO cursors VALUES (?, ?, ?)", (system, entity, format_timestamp(position))
        )

    # --- failures ---------------------------------------------------------------------------------------------
    def failures(self, flow: str) -> list[Failure]:
        rows = self._db.execute("SELECT side, record_id, code, message FROM failures WHERE flow = ?", (flow,))
        return [Failure(flow, side, record_id, code, message) for side, record_id, code, message in rows]

    def record_failure(self, failure: Failure) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?)",
            (failure.flow, failure.side, failure.record_id, failure.code, failure.message),
        )

    def clear_failure(self, flow: str, side: str, record_id: str) -> None:
        self._db.execute("DELETE FROM failures WHERE flow = ? AND side = ? AND record_id = ?", (flow, side, record_id))
