"""The Business Central tenant's state and rules: environments, companies, customers and contacts.

No HTTP here: the model takes and returns plain values and raises :mod:`harness.businesscentral.fake.errors`.
Records are stored with native values (``lastModifiedDateTime`` as an aware datetime, GUIDs lower-case) and
rendered to the API's JSON by :meth:`BusinessCentralModel.render`.

Rules honoured (summarised for users in ``docs/tenants.md``):

- ``displayName`` is required on create and may never be blank; ``Text[n]`` and ``Code[n]`` lengths; ``Code``
  fields upper-cased; phone fields refuse letters; e-mail must be an address; enums take only their options;
  read-only properties refused; unknown properties refused; JSON types checked (``null`` is no value for a field).
- ``number`` comes from a number series when blank (``C00001``..., ``CT000001``...); a supplied number or id that
  exists is refused.
- every write sets ``lastModifiedDateTime`` from the tenant clock and a new row version, which is the ETag;
  updates need ``If-Match`` (``*`` or the current ETag); a stale one is ``Request_EntityChanged``.
- contacts: a Company contact is its own company (``companyNumber`` = its number, ``companyName`` = its name); a
  Person's ``companyNumber`` must name a Company contact, and its ``companyName`` follows that company.
- with Marketing Setup on (off by default), creating a customer also creates its Company contact with business
  relation ``Customer``.
"""

from __future__ import annotations

import base64
import bisect
import functools
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.businesscentral.fake.errors import (
    BadRequest,
    EntityChanged,
    EntityExists,
    FieldValidation,
    InvalidOperation,
    InvalidToken,
    NotFound,
    ResourceNotFound,
    StringTooLong,
    UnknownOption,
)
from harness.businesscentral.fake.odata import Filter, OrderBy
from harness.businesscentral.fake.parts import RELATED_CUSTOMER, edm_value
from harness.businesscentral.limits import MAX_PAGE_SIZE
from harness.businesscentral.schema import (
    CONTACT,
    CUSTOMER,
    EMPTY_GUID,
    ENTITIES,
    EntitySchema,
    Field,
    edm_timestamp,
    option_of,
)
from harness.client.guids import is_guid
from harness.client.timestamps import format_timestamp
from harness.fakes.clock import Clock, IdSource
from harness.fakes.etags import parse_if_match

__all__ = ["BusinessCentralModel", "Company", "Environment", "Page", "Query"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class EntityStore:
    schema: EntitySchema
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    by_number: dict[str, str] = field(default_factory=dict)
    next_number: int = 1
    # (lastModifiedDateTime, id) sorted, rebuilt lazily after writes: incremental reads skip older records.
    by_modified: list[tuple[datetime, str]] | None = None
    # A query's matches in order, by (filter text, orderby), until the next write: paging through 100,000 records
    # would otherwise filter and sort them all again for every page.
    matches: dict[tuple[str, tuple[OrderBy, ...]], list[dict[str, Any]]] = field(default_factory=dict)
    # Per cached query, the id and position in its matches of the last record of the last page served: the next
    # page's skiptoken names it, so finding where that page starts is not a scan of everything before it.
    page_ends: dict[tuple[str, tuple[OrderBy, ...]], tuple[str, int]] = field(default_factory=dict)

    def changed(self, created: dict[str, Any] | None = None) -> None:
        """Every write calls this: what was derived from the records is stale. A record just ``created`` (stamped,
        and not in the store before) is put in its place in the order by modification instead: a new record is the
        latest, so it goes at or near the end, and a bulk load does not sort the whole store again per read."""
        ordered = self.by_modified
        self.by_modified = None
        self.matches.clear()
        self.page_ends.clear()
        if created is not None and ordered is not None:
            bisect.insort(ordered, (created["lastModifiedDateTime"], created["id"]))
            self.by_modified = ordered

    def modified_since(self, moment: datetime) -> list[dict[str, Any]]:
        if self.by_modified is None:
            self.by_modified = sorted((r["lastModifiedDateTime"], i) for i, r in self.records.items())
        start = bisect.bisect_left(self.by_modified, (moment, ""))
        return [self.records[record_id] for _, record_id in self.by_modified[start:]]


@dataclass
class Company:
    id: str
    name: str
    created_at: datetime
    stores: dict[str, EntityStore] = field(default_factory=dict)

    def store(self, entity_set: str) -> EntityStore:
        return self.stores[entity_set]


@dataclass
class Environment:
    name: str
    type: str  # "sandbox" | "production"
    country_code: str = "NO"
    companies: dict[str, Company] = field(default_factory=dict)


@dataclass(frozen=True)
class Query:
    filter: Filter | None = None
    orderby: tuple[OrderBy, ...] = ()
    top: int | None = None
    skip: int = 0
    after: Mapping[str, Any] | None = None  # the decoded $skiptoken: {"id": ..., "key": [...]}
    page_size: int = MAX_PAGE_SIZE


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    next_after: dict[str, Any] | None
    count: int


@dataclass
class _Undo:
    store: EntityStore
    id: str
    before: dict[str, Any] | None
    version: int | None
    next_number: int


_PLAIN_KINDS = frozenset({"guid", "text", "code", "phone", "email", "boolean", "integer", "int64"})
"""Kinds whose stored values are already as Business Central writes them in JSON (see ``edm_value``)."""


_PLANS: dict[tuple[int, tuple[str, ...] | None], tuple[EntitySchema, tuple[tuple[str, Field, bool], ...]]] = {}


def _render_plan(schema: EntitySchema, select: Collection[str] | None = None) -> tuple[tuple[str, Field, bool], ...]:
    """The properties a render writes, in the schema's order: all of them, or those ``$select`` names."""
    # By identity (the entry keeps its schema, so the id is never reused): hashing a frozen dataclass would hash all
    # its fields on every call. A page renders thousands of records with the same $select.
    key = (id(schema), None if select is None else tuple(select))
    entry = _PLANS.get(key)
    if entry is None or entry[0] is not schema:
        if len(_PLANS) >= 256:
            _PLANS.clear()  # a served fake may meet any number of different $select lists
        chosen = [s for s in schema.fields if select is None or s.name in select]
        entry = _PLANS[key] = (schema, tuple((s.name, s, s.kind in _PLAIN_KINDS) for s in chosen))
    return entry[1]


class BusinessCentralModel:
    def __init__(self, clock: Clock, ids: IdSource, *, tenant_id: str | None = None) -> None:
        self.clock = clock
        self.ids = ids
        self.tenant_id = tenant_id or ids.guid()
        self.environments: dict[str, Environment] = {}
        self.marketing_setup = False
        self._row_version = 1000
        self._undo: list[_Undo] | None = None

    # --- environments and companies ---------------------------------------------------------------------------
    def add_environment(self, name: str, type: str = "sandbox", country_code: str = "NO") -> Environment:
        if type not in ("sandbox", "production"):
            raise ValueError(f"environment type must be 'sandbox' or 'production', got {type!r}")
        environment = Environment(name=name, type=type, country_code=country_code)
        self.environments[name.lower()] = environment
        return environment

    def add_company(self, environment: str, name: str, company_id: str | None = None) -> Company:
        env = self.environment(environment)
        company = Company(id=(company_id or self.ids.guid()).lower(), name=name, created_at=self.clock.now())
        company.stores = {name: EntityStore(schema) for name, schema in ENTITIES.items()}
        env.companies[company.id] = company
        return company

    def environment(self, name: str) -> Environment:
        # Environment names are matched without regard to case, as in the service URL.
        env = self.environments.get(name.lower())
        if env is None:
            raise ResourceNotFound(f"The environment '{name}' does not exist in tenant '{self.tenant_id}'.")
        return env

    def company(self, environment: str, company_id: str) -> Company:
        env = self.environment(environment)
        company = env.companies.get(company_id.strip("'").lower())
        if company is None:
            if not is_guid(company_id):
                raise BadRequest(f"The key '{company_id}' is not a valid GUID for the companies entity set.")
            raise NotFound(f"The company with id '{company_id}' does not exist.")
        return company

    def render_company(self, company: Company) -> dict[str, Any]:
        stamp = edm_timestamp(company.created_at)
        return {
            "id": company.id,
            "systemVersion": "25.0.23364.24561",
            "timestamp": 1000,
            "name": company.name,
            "displayName": company.name,
            "businessProfileId": "",
            "systemCreatedAt": stamp,
            "systemCreatedBy": "00000000-0000-0000-0000-000000000001",
            "systemModifiedAt": stamp,
            "systemModifiedBy": "00000000-0000-0000-0000-000000000001",
        }

    # --- reading ----------------------------------------------------------------------------------------------
    def get(self, company: Company, entity_set: str, record_id: str) -> dict[str, Any]:
        store = company.store(entity_set)
        key = record_id.strip("'").lower()
        record = store.records.get(key)
        if record is None:
            if not is_guid(key):
                raise BadRequest(f"The key '{record_id}' is not a valid GUID for the {entity_set} entity set.")
            # As recorded (BC 25.4): a key that names no record, deleted or never there, is an unknown URL segment.
            raise ResourceNotFound(f"Resource not found for the segment '{entity_set}'.")
        return record

    def query(self, company: Company, entity_set: str, query: Query) -> Page:
        store = company.store(entity_set)
        predicate = query.filter
        orders = query.orderby or (OrderBy("number", False),)
        # A filter built in code has no text to key it by; it is filtered afresh each time.
        key = (predicate.text, orders) if predicate is not None else ("", orders)
        keep = predicate is None or bool(predicate.text)
        matches = store.matches.get(key) if keep else None
        if matches is None:
            if predicate is not None and predicate.modified_from is not None:
                candidates: Iterable[dict[str, Any]] = store.modified_since(predicate.modified_from)
            else:
                candidates = store.records.values()
            matches = [r for r in candidates if predicate is None or predicate(r)]
            # Stable sorts from the least significant key: the id breaks ties, so paging is deterministic.
            matches.sort(key=lambda r: r["id"])
            for order in reversed(orders):
                matches.sort(key=functools.partial(_sort_key, order.field), reverse=order.descending)
            if keep:
                store.matches[key] = matches
        count = len(matches)
        window = matches[query.skip :]
        if query.top is not None:
            window = window[: query.top]
        start = 0
        if query.after is not None:
            end = store.page_ends.get(key) if keep else None
            hint = end[1] - query.skip if end is not None and end[0] == query.after.get("id") else None
            start = _position_after(window, query.after, orders, hint)
        page = window[start : start + query.page_size]
        next_after = None
        if start + query.page_size < len(window) and page:
            last = page[-1]
            next_after = {"id": last["id"], "key": [_token_value(last.get(o.field)) for o in orders]}
            if keep:
                store.page_ends[key] = (last["id"], query.skip + start + len(page) - 1)
        return Page(records=page, next_after=next_after, count=count)

    def render(
        self,
        company: Company,
        entity_set: str,
        record: Mapping[str, Any],
        select: Collection[str] | None = None,
    ) -> dict[str, Any]:
        """The API's JSON for a record; with ``select``, only those properties (and the ETag), as ``$select`` does."""
        store = company.store(entity_set)
        body: dict[str, Any] = {"@odata.etag": self.etag(store, record["id"])}
        get = record.get
        # A page of 20,000 records renders 27 properties each: most are stored as written, so only enum, decimal
        # and time properties go through edm_value.
        for name, spec, plain in _render_plan(store.schema, select):
            body[name] = get(name) if plain else edm_value(spec, get(name))
        if store.schema is CONTACT and (select is None or "companyName" in select):
            body["companyName"] = self._company_name(company, record)
        return body

    def etag(self, store: EntityStore, record_id: str) -> str:
        # Recorded tags encode '<digits>;<row version>;00;' (W/"JzE4Ozg5MDM2...MDA7Jw==" is '18;8903...;00;').
        version = str(store.versions[record_id])
        opaque = base64.b64encode(f"'{len(version)};{version};00;'".encode()).decode()
        return f'W/"{opaque}"'

    # --- writing ----------------------------------------------------------------------------------------------
    def create(self, company: Company, entity_set: str, body: Mapping[str, Any]) -> dict[str, Any]:
        store = company.store(entity_set)
        schema = store.schema
        record: dict[str, Any] = {spec.name: spec.default for spec in schema.fields}
        supplied_id = body.get("id")
        if supplied_id is not None:
            if not isinstance(supplied_id, str) or not is_guid(supplied_id):
                raise BadRequest(f"Cannot convert the literal '{supplied_id}' to the expected type 'Edm.Guid'.")
            record["id"] = supplied_id.lower()
            if record["id"] in store.records:
                raise EntityExists(
                    f"The record in table {schema.table} already exists. "
                    f"Identification fields and values: SystemId='{record['id']}'"
                )
        else:
            record["id"] = self.ids.guid()
        self._apply(company, store, record, {k: v for k, v in body.items() if k != "id"}, creating=True)
        if "displayName" not in body:
            raise BadRequest('A "displayName" must be provided.')
        if record["number"]:
            if record["number"] in store.by_number:
                raise EntityExists(
                    f"The record in table {schema.table} already exists. "
                    f"Identification fields and values: No.='{record['number']}'"
                )
        else:
            self._log(store, record["id"])  # before the series moves, so an undo can move it back
            record["number"] = self._next_number(store)
        if schema is CONTACT and record["type"] == "Company":
            record["companyNumber"] = record["number"]
        self._store(store, record, previous=None)
        if schema is CUSTOMER and self.marketing_setup:
            self._create_customer_contact(company, record)
        return record

    def update(
        self, company: Company, entity_set: str, record_id: str, body: Mapping[str, Any], if_match: str | None
    ) -> dict[str, Any]:
        current = self.get(company, entity_set, record_id)
        store = company.store(entity_set)
        if if_match is None:
            raise InvalidToken(
                "Could not validate the client concurrency token required by the service. "
                "Please provide a valid token in the client request."
            )
        self._check_etag(store, current["id"], if_match)
        record = dict(current)
        self._apply(company, store, record, body, creating=False)
        if record["number"] != current["number"] and record["number"] in store.by_number:
            raise EntityExists(
                f"The record in table {store.schema.table} already exists. "
                f"Identification fields and values: No.='{record['number']}'"
            )
        if store.schema is CONTACT:
            self._check_type_change(store, current, record)
            if record["type"] == "Company":
                record["companyNumber"] = record["number"]
        self._store(store, record, previous=current)
        return record

    def delete(self, company: Company, entity_set: str, record_id: str, if_match: str | None) -> None:
        current = self.get(company, entity_set, record_id)
        store = company.store(entity_set)
        if if_match is not None:
            self._check_etag(store, current["id"], if_match)
        self._log(store, current["id"])
        store.changed()
        del store.records[current["id"]]
        del store.versions[current["id"]]
        store.by_number.pop(current["number"], None)
        if store.schema is CONTACT and current["type"] == "Company":
            # Persons keep existing when their company goes; they lose the link to it.
            for person in [r for r in store.records.values() if r["companyNumber"] == current["number"]]:
                self._store(store, {**person, "companyNumber": ""}, previous=person)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """All writes inside succeed together or are undone together (``$batch`` with ``Isolation: snapshot``)."""
        outer = self._undo
        self._undo = []
        try:
            yield
        except BaseException:
            for undo in reversed(self._undo):
                # The number series rolls back with the transaction, as in SQL: no gaps from undone creates.
                undo.store.next_number = undo.next_number
                undo.store.changed()
                if undo.before is None:
                    record = undo.store.records.pop(undo.id, None)
                    undo.store.versions.pop(undo.id, None)
                    if record is not None:
                        undo.store.by_number.pop(record["number"], None)
                else:
                    current = undo.store.records.get(undo.id)
                    if current is not None:
                        undo.store.by_number.pop(current["number"], None)
                    undo.store.records[undo.id] = undo.before
                    undo.store.by_number[undo.before["number"]] = undo.id
                    assert undo.version is not None
                    undo.store.versions[undo.id] = undo.version
            raise
        finally:
            if outer is not None and self._undo is not None:
                outer.extend(self._undo)
            self._undo = outer

    # --- rules ------------------------------------------------------------------------------------------------
    def _apply(
        self, company: Company, store: EntityStore, record: dict[str, Any], body: Mapping[str, Any], *, creating: bool
    ) -> None:
        schema = store.schema
        name_before = record.get("displayName")
        for name, value in body.items():
            if name.startswith("@odata."):
                continue  # annotations a client echoes back (the etag) are not properties
            spec = schema.by_name.get(name)
            if spec is None:
                raise BadRequest(
                    f"The property '{name}' does not exist on type '{schema.odata_type}'. Make sure to only use "
                    "property names that are defined by the type."
                )
            if spec.read_only:
                raise InvalidOperation(f"Control '{name}' is read-only.")
            record[name] = self._validate(spec, value, record, schema)
        if "displayName" in body and not str(record["displayName"]).strip():
            raise FieldValidation('The blank "displayName" is not allowed.')
        follows = "searchName" in schema.by_name and "displayName" in body and "searchName" not in body
        if follows and record["searchName"] in ("", str(name_before or "").upper()):
            # The Contact table's Name trigger: a search name that was blank or the old name follows the new name.
            record["searchName"] = str(record["displayName"]).upper()[: schema.by_name["searchName"].length]
        if schema is CONTACT and record["type"] == "Person" and record["companyNumber"]:
            target_id = store.by_number.get(record["companyNumber"])
            target = store.records.get(target_id) if target_id else None
            if target is None or target["type"] != "Company":
                raise FieldValidation(
                    f"The field Company No. of table Contact contains a value ({record['companyNumber']}) that cannot "
                    "be found in the related table (Contact)."
                )

    def _validate(self, spec: Field, value: Any, record: Mapping[str, Any], schema: EntitySchema) -> Any:
        if spec.kind == "guid":
            if not isinstance(value, str) or not is_guid(value):
                raise BadRequest(_conversion(value, "Edm.Guid"))
            if value.lower() != EMPTY_GUID:
                # The API page looks the id up in its table; the fake has none of those tables.
                raise FieldValidation(f'The "{spec.name}" does not match to a {spec.related}.')
            return value.lower()
        if spec.kind == "boolean":
            if not isinstance(value, bool):
                raise BadRequest(_conversion(value, "Edm.Boolean"))
            return value
        if spec.kind == "decimal":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadRequest(_conversion(value, "Edm.Decimal"))
            return float(value)
        if not isinstance(value, str):
            raise BadRequest(_conversion(value, "Edm.String"))
        if spec.kind == "enum":
            option = option_of(value, spec.options)
            if option is None:
                raise UnknownOption(value, spec.options)
            return option
        if spec.length is not None and len(value) > spec.length:
            raise StringTooLong(value, spec.length)
        if spec.kind == "code":
            if spec.related and value:
                raise FieldValidation(
                    f"The field {spec.caption} of table {schema.table} contains a value ({value.upper()}) that cannot "
                    f"be found in the related table ({spec.related})."
                )
            return value.upper()
        if spec.kind == "phone" and _has_letter(value):
            raise FieldValidation(
                f"{spec.caption} must not contain letters in {schema.table} No.='{record.get('number') or ''}'."
            )
        if spec.kind == "email" and value and not _EMAIL.match(value):
            raise FieldValidation(f'The email address "{value}" is not valid.')
        return value

    def _check_etag(self, store: EntityStore, record_id: str, if_match: str) -> None:
        try:
            offered = set(parse_if_match(if_match) or [])
        except ValueError:
            raise EntityChanged() from None  # a tag that cannot be read matches no version
        if "*" in offered:
            return
        current = self.etag(store, record_id)
        if not offered & {current, current.removeprefix("W/")}:
            raise EntityChanged()

    def _check_type_change(self, store: EntityStore, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        if before["type"] == "Company" and after["type"] == "Person":
            persons = [
                r for r in store.records.values() if r["companyNumber"] == before["number"] and r["id"] != before["id"]
            ]
            if persons:
                raise FieldValidation(
                    f"Type cannot be changed because Contact No.='{before['number']}' has contact persons."
                )

    def _company_name(self, company: Company, record: Mapping[str, Any]) -> str:
        if record["type"] == "Company":
            return str(record["displayName"])
        store = company.store("contacts")
        target_id = store.by_number.get(record["companyNumber"] or "")
        return str(store.records[target_id]["displayName"]) if target_id else ""

    def _next_number(self, store: EntityStore) -> str:
        while True:
            number = f"{store.schema.number_prefix}{store.next_number:0{store.schema.number_digits}d}"
            store.next_number += 1
            if number not in store.by_number:
                return number

    def _store(self, store: EntityStore, record: dict[str, Any], previous: Mapping[str, Any] | None) -> None:
        self._log(store, record["id"])
        self._row_version += 1
        record["lastModifiedDateTime"] = self.clock.now()
        store.changed(created=record if previous is None and record["id"] not in store.records else None)
        if previous is not None:
            store.by_number.pop(previous["number"], None)
        store.records[record["id"]] = record
        store.versions[record["id"]] = self._row_version
        store.by_number[record["number"]] = record["id"]

    def _log(self, store: EntityStore, record_id: str) -> None:
        if self._undo is not None:
            before = store.records.get(record_id)
            self._undo.append(
                _Undo(
                    store, record_id, dict(before) if before else None, store.versions.get(record_id), store.next_number
                )
            )

    def _create_customer_contact(self, company: Company, customer: Mapping[str, Any]) -> None:
        contacts = company.store("contacts")
        record: dict[str, Any] = {spec.name: spec.default for spec in CONTACT.fields}
        record.update(
            id=self.ids.guid(),
            displayName=customer["displayName"],
            type="Company",
            contactBusinessRelation="Customer",
        )
        record[RELATED_CUSTOMER] = customer["id"]
        self._log(contacts, record["id"])
        record["number"] = self._next_number(contacts)
        record["companyNumber"] = record["number"]
        self._store(contacts, record, previous=None)


_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _has_letter(value: str) -> bool:
    # Business Central refuses any Unicode letter; the ASCII test is the fast path for the usual phone number.
    if value.isascii():
        return _ASCII_LETTER.search(value) is not None
    return any(ch.isalpha() for ch in value)


def _conversion(value: Any, edm: str) -> str:
    literal = "null" if value is None else str(value).lower() if isinstance(value, bool) else value
    return f"Cannot convert the literal '{literal}' to the expected type '{edm}'."


def _sort_key(name: str, record: Mapping[str, Any]) -> tuple[bool, Any]:
    return _sortable(record.get(name))


def _sortable(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)


def _token_value(value: Any) -> Any:
    return format_timestamp(value) if isinstance(value, datetime) else value


def _position_after(
    window: list[dict[str, Any]], after: Mapping[str, Any], orders: tuple[OrderBy, ...], hint: int | None = None
) -> int:
    """Index of the first record past the skiptoken: by its id when still there, else by its sort key. ``hint``:
    where the token's record was last served, checked before anything is scanned."""
    if hint is not None and 0 <= hint < len(window) and window[hint]["id"] == after.get("id"):
        return hint + 1
    for index, record in enumerate(window):
        if record["id"] == after.get("id"):
            return index + 1
    token_key = list(after.get("key") or [])
    if len(token_key) != len(orders):
        raise BadRequest("The $skiptoken does not belong to this query.")
    for index, record in enumerate(window):
        if _sorts_after(record, token_key, str(after.get("id", "")), orders):
            return index
    return len(window)


def _sorts_after(record: Mapping[str, Any], key: list[Any], token_id: str, orders: tuple[OrderBy, ...]) -> bool:
    for order, token in zip(orders, key, strict=True):
        mine = _sortable(_token_value(record.get(order.field)))
        theirs = _sortable(token)
        if mine != theirs:
            return (mine > theirs) != order.descending
    return str(record["id"]) > token_id
