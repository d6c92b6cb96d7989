"""The CRMOffice tenant's state and rules: companies, contacts, activities, their versions, and incremental reads. No
HTTP here.

Rules beyond the field rules of :mod:`harness.crmoffice.schema`:

- Ids are GUIDs from the tenant's :class:`~harness.fakes.clock.IdSource`, stored and compared in lower case (an id in
  upper case finds the same record); an id that is not a GUID is a validation error on ``id``, an unknown one a 404.
- ``createdAt`` and ``updatedAt`` come from the tenant's :class:`~harness.fakes.clock.Clock` (UTC, milliseconds).
- Every write (create, accepted PATCH, a contact detached by a company delete) sets ``updatedAt`` and a new version,
  whose opaque, strong ETag is the record's ``If-Match`` key. A PATCH is a write even when it changes no value, as in
  most CRMs: a sync that re-sends unchanged values shows up as an edit (an echo) instead of going unnoticed.
- A conditional write checks, in this order: the body on its own (400), the record exists (404), ``If-Match`` (412,
  ``*`` matches any existing record, weak tags never match), then the merged record (400).
- A contact's ``company.id`` must name an existing company. Deleting a company detaches its contacts (``company``
  becomes null, which is a write to each contact) rather than deleting them or refusing: nothing is lost, and the
  change shows up in incremental reads.
- Incremental reads order by ``(updatedAt, id)``; ``since`` is inclusive; ``after`` is the last key of the previous
  page (a keyset, not an offset), so a record modified while a reader pages moves behind the reader's position and is
  read again with its new values, and no record that was not modified is skipped or repeated. Deletes leave no
  trace in incremental reads: a reader that must notice them reads everything.
- The model does not lock: its callers (the fake's handlers and Python helpers) hold the tenant's lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from harness.client.timestamps import format_timestamp, parse_timestamp
from harness.crmoffice.fake.errors import NotFound, PreconditionFailed, ValidationProblem
from harness.crmoffice.fake.index import Key, KeysetIndex
from harness.crmoffice.schema import KINDS, Errors, Kind, Record, canonical_id, json_type
from harness.fakes.clock import Clock, IdSource

__all__ = ["RESOURCES", "CRMOfficeModel", "Page", "ResourceName", "Stored"]

ResourceName = Literal["companies", "contacts", "activities"]
# Companies first: a seed's contacts may name its companies.
RESOURCES: tuple[ResourceName, ...] = ("companies", "contacts", "activities")


@dataclass(frozen=True)
class Stored:
    """A copy of a record and its ETag (quoted, strong)."""

    record: Record
    etag: str


@dataclass(frozen=True)
class Page:
    """Records in ``(updatedAt, id)`` order; ``last`` is the key to continue after, None when nothing follows."""

    items: list[Record]
    last: Key | None


class _Collection:
    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self.records: dict[str, Record] = {}
        self.keys: dict[str, Key] = {}
        self.versions: dict[str, int] = {}
        self.index = KeysetIndex()

    def put(self, record: Record, key: Key, version: int) -> None:
        record_id = record["id"]
        old = self.keys.get(record_id)
        if old is None:
            self.index.add(key)
        else:
            self.index.move(old, key)
        self.records[record_id] = record
        self.keys[record_id] = key
        self.versions[record_id] = version

    def put_new(self, entries: list[tuple[Record, Key, int]]) -> None:
        """Records whose ids are not in the collection yet, indexed in one go."""
        for record, key, version in entries:
            self.records[key[1]] = record
            self.keys[key[1]] = key
            self.versions[key[1]] = version
        self.index.add_many([key for _, key, _ in entries])

    def drop(self, record_id: str) -> None:
        self.index.remove(self.keys.pop(record_id))
        del self.records[record_id]
        del self.versions[record_id]

    def clear(self) -> None:
        self.records.clear()
        self.keys.clear()
        self.versions.clear()
        self.index.clear()


def _copy(record: Record) -> Record:
    # Nested values (addresses, a contact's company) are one level deep: cheaper than deepcopy on a 1,000-record page.
    return {name: dict(value) if isinstance(value, dict) else value for name, value in record.items()}


def _ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


class CRMOfficeModel:
    def __init__(self, clock: Clock, ids: IdSource) -> None:
        self.clock = clock
        self.ids = ids
        # Never reset, so an ETag from before a reset can never match a record seeded again with the same id.
        self._writes = 0
        self._stamped: tuple[datetime | None, str] = (None, "")
        self._collections: dict[str, _Collection] = {resource: _Collection(KINDS[resource]) for resource in RESOURCES}

    # --- reads ------------------------------------------------------------------------------------------------
    def get(self, resource: str, record_id: str) -> Stored:
        collection = self._collection(resource)
        found = self._find(collection, record_id)
        return Stored(_copy(collection.records[found]), self._etag(collection, found))

    def page(self, resource: str, *, since: datetime | None, after: Key | None, size: int) -> Page:
        if size < 1:
            raise ValueError(f"page size must be at least 1, got {size}")
        collection = self._collection(resource)
        keys = collection.index.window(since=since, after=after, limit=size + 1)
        more = len(keys) > size
        keys = keys[:size]
        items = [_copy(collection.records[record_id]) for _, record_id in keys]
        return Page(items, keys[-1] if more else None)

    def count(self, resource: str) -> int:
        return len(self._collection(resource).records)

    def dump(self) -> dict[str, list[Record]]:
        return {resource: list(self.records(resource)) for resource in self._collections}

    def records(self, resource: str) -> Iterator[Record]:
        """Every record of ``resource`` in listing order, each copied as it is reached (a check over 100,000
        records holds one at a time, where :meth:`dump` holds them all)."""
        collection = self._collection(resource)
        for _, record_id in collection.index:
            yield _copy(collection.records[record_id])

    # --- writes -----------------------------------------------------------------------------------------------
    def create(self, resource: str, body: Mapping[str, Any]) -> Stored:
        collection = self._collection(resource)
        kind = collection.kind
        errors = kind.check_body(body)
        if errors:
            raise ValidationProblem(errors)
        fields = kind.merge(kind.blank(), body)
        errors = _combine(kind.check_record(fields), self._reference_errors(resource, fields, set()))
        if errors:
            raise ValidationProblem(errors)
        record_id = self._new_id(collection)
        now = self.clock.now()
        self._write(collection, record_id, fields, created=now, updated=now)
        return self.get(resource, record_id)

    def update(
        self, resource: str, record_id: str, patch: Mapping[str, Any], *, if_match: Sequence[str] | None = None
    ) -> Stored:
        collection = self._collection(resource)
        kind = collection.kind
        errors = kind.check_body(patch)
        if errors:
            raise ValidationProblem(errors)
        found = self._find(collection, record_id)
        self._check_if_match(collection, found, if_match)
        current = collection.records[found]
        fields = kind.merge(current, patch)
        errors = _combine(kind.check_record(fields), self._reference_errors(resource, fields, set()))
        if errors:
            raise ValidationProblem(errors)
        created = parse_timestamp(current["createdAt"])
        self._write(collection, found, fields, created=created, updated=self.clock.now())
        return self.get(resource, found)

    def delete(self, resource: str, record_id: str, *, if_match: Sequence[str] | None = None) -> None:
        collection = self._collection(resource)
        found = self._find(collection, record_id)
        self._check_if_match(collection, found, if_match)
        collection.drop(found)
        if resource == "companies":
            self._detach_contacts(found)

    def clear(self) -> None:
        for collection in self._collections.values():
            collection.clear()

    def seed(self, payload: Mapping[str, Any]) -> dict[str, list[Record]]:
        """Add records given as ``{"companies": [...], "contacts": [...], "activities": [...]}``, all or none.

        Records follow the create rules, and may also carry ``id`` (a GUID not in use), ``createdAt`` and
        ``updatedAt`` (RFC 3339; missing ones default to the clock's now, ``createdAt`` to ``updatedAt``). A contact
        may reference a company of the same seed. Raises ``ValueError`` naming the record and field at fault.
        """
        unknown = sorted(set(payload) - set(RESOURCES))
        if unknown:
            raise ValueError(f"seed: unknown collection(s) {unknown}; a seed holds {', '.join(map(repr, RESOURCES))}")
        prepared: dict[str, list[tuple[str, Record, datetime, datetime]]] = {}
        for resource in RESOURCES:
            records = payload.get(resource, [])
            if not isinstance(records, list):
                raise ValueError(f"seed: {resource!r} must be a list of records, got {json_type(records)}")
            seeded_companies = {record_id for record_id, _, _, _ in prepared.get("companies", [])}
            taken: set[str] = set()
            prepared[resource] = [
                self._prepare_seed(resource, raw, f"seed {resource}[{position}]", taken, seeded_companies)
                for position, raw in enumerate(records)
            ]
        created: dict[str, list[Record]] = {}
        for name, entries in prepared.items():
            collection = self._collection(name)
            new: list[tuple[Record, Key, int]] = []
            for record_id, fields, made, updated in entries:
                record, version = self._record(record_id, fields, made, updated)
                new.append((record, (updated, record_id), version))
            collection.put_new(new)
            created[name] = [_copy(collection.records[record_id]) for record_id, _, _, _ in entries]
        return created

    # --- helpers ----------------------------------------------------------------------------------------------
    def _collection(self, resource: str) -> _Collection:
        try:
            return self._collections[resource]
        except KeyError:
            raise ValueError(
                f"unknown CRMOffice resource {resource!r}; expected one of {', '.join(RESOURCES)}"
            ) from None

    def _find(self, collection: _Collection, record_id: str) -> str:
        found = canonical_id(record_id)
        if found is None:
            shown = record_id if len(record_id) <= 60 else record_id[:57] + "..."
            raise ValidationProblem.single("id", f"{shown!r} is not {collection.kind.a} id; ids are GUIDs.")
        if found not in collection.records:
            raise NotFound(f"No {collection.kind.name} has id {found}.")
        return found

    def _new_id(self, collection: _Collection) -> str:
        while True:
            candidate = self.ids.guid()
            if candidate not in collection.records:
                return candidate

    def _etag(self, collection: _Collection, record_id: str) -> str:
        # Opaque on purpose: a digest, not the counter, so no client comes to rely on versions being ordered.
        digest = hashlib.blake2s(f"{record_id}:{collection.versions[record_id]}".encode(), digest_size=8)
        return f'"{digest.hexdigest()}"'

    def _check_if_match(self, collection: _Collection, record_id: str, if_match: Sequence[str] | None) -> None:
        if if_match is None:
            return
        current = self._etag(collection, record_id)
        if "*" in if_match or current in if_match:
            return
        raise PreconditionFailed(
            f"The {collection.kind.name} {record_id} changed since it was read: If-Match {', '.join(if_match)} "
            f"does not match its current ETag {current}. Read it again and reapply the change."
        )

    def _record(
        self, record_id: str, fields: Mapping[str, Any], created: datetime, updated: datetime
    ) -> tuple[Record, int]:
        self._writes += 1
        record: Record = {
            "id": record_id,
            **fields,
            "createdAt": self._stamp(created),
            "updatedAt": self._stamp(updated),
        }
        return record, self._writes

    def _write(
        self,
        collection: _Collection,
        record_id: str,
        fields: Mapping[str, Any],
        *,
        created: datetime,
        updated: datetime,
    ) -> None:
        record, version = self._record(record_id, fields, created, updated)
        collection.put(record, (updated, record_id), version)

    def _stamp(self, moment: datetime) -> str:
        # Formatting dominates bulk writes, and consecutive writes mostly share a millisecond (always, when frozen).
        if moment != self._stamped[0]:
            self._stamped = (moment, format_timestamp(moment))
        return self._stamped[1]

    def _reference_errors(self, resource: str, fields: Mapping[str, Any], seeded_companies: set[str]) -> Errors:
        company_id = _company_id(fields) if resource == "contacts" else None
        if company_id is None or company_id in seeded_companies or company_id in self._collections["companies"].records:
            return {}
        return {"company.id": [f"The company.id field names no existing company: no company has id {company_id}."]}

    def _detach_contacts(self, company_id: str) -> None:
        contacts = self._collections["contacts"]
        attached = [record for record in contacts.records.values() if _company_id(record) == company_id]
        now = self.clock.now()
        for record in attached:
            fields = {name: record[name] for name in contacts.kind.fields}
            fields["company"] = None
            self._write(contacts, record["id"], fields, created=parse_timestamp(record["createdAt"]), updated=now)

    def _prepare_seed(
        self, resource: str, raw: Any, where: str, taken: set[str], seeded_companies: set[str]
    ) -> tuple[str, Record, datetime, datetime]:
        if not isinstance(raw, dict):
            raise ValueError(f"{where} must be an object, got {json_type(raw)}")
        collection = self._collection(resource)
        kind = collection.kind
        body = {name: value for name, value in raw.items() if name not in ("id", "createdAt", "updatedAt")}
        errors = kind.check_body(body)
        if errors:
            raise ValueError(f"{where}: {_flatten(errors)}")
        fields = kind.merge(kind.blank(), body)
        errors = _combine(kind.check_record(fields), self._reference_errors(resource, fields, seeded_companies))
        if errors:
            raise ValueError(f"{where}: {_flatten(errors)}")
        record_id = self._seed_id(collection, raw.get("id"), where, taken)
        updated = self._seed_time(raw.get("updatedAt"), f"{where}.updatedAt") or self.clock.now()
        created = self._seed_time(raw.get("createdAt"), f"{where}.createdAt") or updated
        if created > updated:
            raise ValueError(
                f"{where}: createdAt {format_timestamp(created)} is after updatedAt {format_timestamp(updated)}"
            )
        return record_id, fields, created, updated

    def _seed_id(self, collection: _Collection, given: Any, where: str, taken: set[str]) -> str:
        if given is None:
            record_id = self._new_id(collection)
            while record_id in taken:
                record_id = self._new_id(collection)
        else:
            found = canonical_id(given)
            if found is None:
                raise ValueError(f"{where}.id must be a GUID, got {given!r}")
            if found in collection.records or found in taken:
                raise ValueError(f"{where}.id {found} is already in use")
            record_id = found
        taken.add(record_id)
        return record_id

    @staticmethod
    def _seed_time(given: Any, where: str) -> datetime | None:
        if given is None:
            return None
        if not isinstance(given, str):
            raise ValueError(f"{where} must be an RFC 3339 timestamp string, got {json_type(given)}")
        try:
            return _ms(parse_timestamp(given))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None


def _company_id(fields: Mapping[str, Any]) -> str | None:
    company = fields.get("company")
    found = company.get("id") if isinstance(company, dict) else None
    return found if isinstance(found, str) else None


def _combine(*parts: Errors) -> Errors:
    combined: Errors = {}
    for errors in parts:
        for name, messages in errors.items():
            combined.setdefault(name, []).extend(messages)
    return combined


def _flatten(errors: Errors) -> str:
    return "; ".join(f"{name}: {message}" for name, messages in errors.items() for message in messages)
