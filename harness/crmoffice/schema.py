"""What CRMOffice's companies, contacts and activities are made of: fields, types and limits, and JSON merge patch.

The field names are the ones Sesam Talk's generated CRMOffice checklists name (``docs/tenants.md`` lists each with its
source); the types beyond "string", the limits and the checks are the harness's assumptions (listed in
:mod:`harness.crmoffice`). The rules, the same for a create (POST) and a merge patch (PATCH):

- Every writable field is a string or ``null``, or a nested object of strings (an address, a contact's ``company``)
  or ``null``; any other JSON type is rejected naming the field.
- A field the kind does not have is rejected naming the field, so a misspelt name never silently does nothing.
- ``id``, ``createdAt`` and ``updatedAt`` are the server's: sending them is rejected, even with the current value.
- Lengths count characters (code points). A required text that is blank (empty or whitespace) counts as missing,
  as ASP.NET Core's ``[Required]`` does.
- Phones are free text: letters, ``ext.`` and punctuation are accepted (unlike Business Central, deliberately).
- ``orgNr`` is exactly 9 ASCII digits (no spaces; the mod-11 check digit is not verified). ``email`` follows ASP.NET
  Core's ``[EmailAddress]``: exactly one ``@``, neither first nor last, no line break.
- A contact's company is ``{"id": <company id>}`` or ``null`` (checklists read it as ``company.id``); an object
  without an id is refused, so "no company" has one spelling. An activity's ``startsAt`` and ``endsAt`` are RFC 3339
  times with a zone, stored as the API writes its own (UTC, milliseconds, ``Z``); ``endsAt`` is not before
  ``startsAt``.
- PATCH is RFC 7396 merge patch: a field present is set, ``null`` clears it, an absent one is kept; a nested object
  merges part by part. Records always carry every field, ``null`` when empty.

Field errors are keyed by the field's name (``postAddress.postCode``, ``company.id`` for a nested part).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.client.guids import GUID
from harness.client.timestamps import parse_timestamp

__all__ = [
    "ACTIVITY",
    "ADDRESS",
    "COMPANY",
    "COMPANY_REFERENCE",
    "CONTACT",
    "GUID",
    "KINDS",
    "READ_ONLY",
    "Errors",
    "Kind",
    "Nested",
    "Record",
    "Text",
    "canonical_id",
    "json_type",
]

Record = dict[str, Any]
Errors = dict[str, list[str]]

READ_ONLY = ("id", "createdAt", "updatedAt")
_ORG_NR = re.compile(r"[0-9]{9}")


def canonical_id(value: object) -> str | None:
    """The lower-case GUID an id stands for, or None when it is not a GUID."""
    if isinstance(value, str) and GUID.fullmatch(value):
        return value.lower()
    return None


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for messages ("got number")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _org_nr(value: str) -> str | None:
    if _ORG_NR.fullmatch(value):
        return None
    return f"must be 9 digits (a Norwegian organisation number such as 923609016) or null, got {_show(value)}"


def _email(value: str) -> str | None:
    at = value.find("@")
    if 0 < at < len(value) - 1 and at == value.rfind("@") and "\r" not in value and "\n" not in value:
        return None
    return f"is not a valid e-mail address: {_show(value)} needs exactly one @ with text on both sides"


def _guid(value: str) -> str | None:
    if GUID.fullmatch(value):
        return None
    return f"must be a company's id, a GUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301, got {_show(value)}"


def _timestamp(value: str) -> str | None:
    try:
        parse_timestamp(value)
    except (ValueError, OverflowError):  # OverflowError: an offset that moves the year out of 1-9999 in UTC
        return f"must be an RFC 3339 time with a zone such as 2024-09-18T20:05:51.603Z or null, got {_show(value)}"
    return None


def _utc_milliseconds(value: str) -> str:
    # As the API writes createdAt/updatedAt, so a reader meets one format; isoformat pads years below 1000, strftime
    # does not, and a stored time must read back as one.
    return parse_timestamp(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _show(value: str) -> str:
    # Enough of the value to recognise it, never a wall of text in an error.
    return repr(value if len(value) <= 60 else value[:57] + "...")


@dataclass(frozen=True)
class Text:
    """A nullable string: at most ``max_length`` characters, then ``check`` (the reason a value is wrong, or None)."""

    max_length: int | None
    check: Callable[[str], str | None] | None = None
    canonical: Callable[[str], str] | None = None

    def problems(self, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, str):
            return [f"must be a string or null, got {json_type(value)}"]
        if self.max_length is not None and len(value) > self.max_length:
            return [f"must be at most {self.max_length} characters, got {len(value)}"]
        reason = self.check(value) if self.check else None
        return [reason] if reason else []

    def merge(self, current: Any, patch: Any) -> Any:
        if isinstance(patch, str) and self.canonical is not None:
            return self.canonical(patch)
        return patch


@dataclass(frozen=True)
class Nested:
    """A nullable object of text parts (an address, a reference to another record), read by checklists as dotted
    paths (``postAddress.postCode``, ``company.id``). A merge patch merges part by part, a part left out stays as it
    was; ``required`` parts must be non-blank whenever the object is there."""

    parts: Mapping[str, Text]
    label: str = "an address"
    required: tuple[str, ...] = ()

    def problems_by_path(self, name: str, value: Any) -> Errors:
        if value is None:
            return {}
        listed = ", ".join(self.parts)
        if not isinstance(value, dict):
            return {name: [f"must be an object with {listed} (each a string or null), or null; got {json_type(value)}"]}
        errors: Errors = {}
        for part, part_value in value.items():
            path = f"{name}.{part}"
            rule = self.parts.get(part)
            if rule is None:
                errors[path] = [f"is not {self.label} field; the fields of {self.label} are {listed}"]
                continue
            messages = rule.problems(part_value)
            if messages:
                errors[path] = messages
        return errors

    def merge(self, current: Any, patch: Any) -> Any:
        if patch is None:
            return None
        base = current if isinstance(current, dict) else {}
        return {
            part: rule.merge(base.get(part), patch[part]) if part in patch else base.get(part)
            for part, rule in self.parts.items()
        }

    def missing_by_path(self, name: str, value: Any) -> Errors:
        """Required parts that are blank in a merged value (none when the whole object is null)."""
        if not isinstance(value, dict):
            return {}
        return {
            f"{name}.{part}": [f"The {name}.{part} field is required when {name} is given; send {name}: null for none."]
            for part in self.required
            if _blank(value.get(part))
        }


FieldRule = Text | Nested
RecordRule = Callable[[Mapping[str, Any]], Errors]

ADDRESS = Nested(
    {
        "streetAddress": Text(100),
        "postCode": Text(10),
        "postalArea": Text(50),
        "country": Text(50),
    }
)

COMPANY_REFERENCE = Nested({"id": Text(None, check=_guid, canonical=str.lower)}, "a company reference", ("id",))
"""A contact's ``company``: ``{"id": <company id>}``, as Sesam Talk's checklists read it (``company.id``)."""


@dataclass(frozen=True)
class Kind:
    """One record type: its writable fields in output order, which must be non-blank, which need one of them, and
    ``rules`` over the merged record as a whole (each returns its errors)."""

    name: str
    fields: Mapping[str, FieldRule]
    required: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    rules: tuple[RecordRule, ...] = ()
    field_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_names", ("id", *self.fields, "createdAt", "updatedAt"))

    @property
    def a(self) -> str:
        """The kind's name with its indefinite article, for messages ("a contact", "an activity")."""
        return f"{'an' if self.name[0] in 'aeiou' else 'a'} {self.name}"

    def blank(self) -> Record:
        return dict.fromkeys(self.fields)

    def check_body(self, body: Mapping[str, Any]) -> Errors:
        """Errors in a create or merge-patch body on its own: unknown and read-only fields, types, lengths, formats."""
        errors: Errors = {}
        for name, value in body.items():
            if name in READ_ONLY:
                errors[name] = [f"The {name} field is read-only: the server sets it; leave it out of the body."]
                continue
            rule = self.fields.get(name)
            if rule is None:
                listed = ", ".join(self.fields)
                errors[name] = [f"{name!r} is not {self.a} field; the writable fields are {listed}."]
            elif isinstance(rule, Nested):
                for path, messages in rule.problems_by_path(name, value).items():
                    errors[path] = [f"The {path} field {message}." for message in messages]
            else:
                messages = rule.problems(value)
                if messages:
                    errors[name] = [f"The {name} field {message}." for message in messages]
        return errors

    def merge(self, current: Mapping[str, Any], patch: Mapping[str, Any]) -> Record:
        """RFC 7396 merge of a checked body into the writable fields of ``current`` (``blank()`` for a create)."""
        merged = {name: current.get(name) for name in self.fields}
        for name, value in patch.items():
            merged[name] = self.fields[name].merge(merged[name], value)
        return merged

    def check_record(self, fields: Mapping[str, Any]) -> Errors:
        """Errors of the record as a whole, after the merge: required fields, and one-of groups."""
        errors: Errors = {}
        for name in self.required:
            if _blank(fields.get(name)):
                errors[name] = [f"The {name} field is required."]
        for name, rule in self.fields.items():
            if isinstance(rule, Nested):
                errors.update(rule.missing_by_path(name, fields.get(name)))
        if self.one_of and all(_blank(fields.get(name)) for name in self.one_of):
            message = f"{self.a.capitalize()} needs at least one of {' or '.join(self.one_of)}."
            # Like ASP.NET Core's ValidationResult with several member names: the message under each of them.
            for name in self.one_of:
                errors.setdefault(name, []).append(message)
        for record_rule in self.rules:
            for name, messages in record_rule(fields).items():
                errors.setdefault(name, []).extend(messages)
        return errors


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


COMPANY = Kind(
    "company",
    {
        "name": Text(100),
        "orgNr": Text(None, check=_org_nr),
        "postAddress": ADDRESS,
        "visitAddress": ADDRESS,
    },
    required=("name",),
)

CONTACT = Kind(
    "contact",
    {
        "company": COMPANY_REFERENCE,
        "givenName": Text(50),
        "familyName": Text(50),
        "directPhone": Text(50),
        "mobilePhone": Text(50),
        "email": Text(100, check=_email),
        "city": Text(50),
        "website": Text(100),
    },
    one_of=("givenName", "familyName"),
)


def _ends_after_start(fields: Mapping[str, Any]) -> Errors:
    starts, ends = fields.get("startsAt"), fields.get("endsAt")
    if starts is None or ends is None or parse_timestamp(ends) >= parse_timestamp(starts):
        return {}
    return {"endsAt": [f"The endsAt field ({ends}) must not be before startsAt ({starts})."]}


_TIME = Text(None, check=_timestamp, canonical=_utc_milliseconds)

ACTIVITY = Kind(
    "activity",
    {
        "subject": Text(255),
        # A CRMOffice user's id; the fake keeps no users, so any text names one.
        "ownerId": Text(100),
        "startsAt": _TIME,
        "endsAt": _TIME,
        "address": ADDRESS,
    },
    required=("subject",),
    rules=(_ends_after_start,),
)

KINDS: Mapping[str, Kind] = {"companies": COMPANY, "contacts": CONTACT, "activities": ACTIVITY}
"""Each resource's kind, by the resource's path (``/companies``); a checklist calls the datatype by it capitalised."""
