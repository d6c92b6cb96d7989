"""What a CRMOffice company and contact are made of: their fields, types and limits, and JSON merge patch.

The known field names come from Sesam's CRMOffice connector; the limits are the harness's assumptions (see
``docs`` in :mod:`harness.crmoffice`). The rules, the same for a create (POST) and a merge patch (PATCH):

- Every writable field is a string or ``null`` (an address: an object of strings, or ``null``); any other JSON type is
  rejected naming the field.
- A field the kind does not have is rejected naming the field, so a misspelt name never silently does nothing.
- ``id``, ``createdAt`` and ``updatedAt`` are the server's: sending them is rejected, even with the current value.
- Lengths count characters (code points). A required text that is blank (empty or whitespace) counts as missing,
  as ASP.NET Core's ``[Required]`` does.
- Phones are free text: letters, ``ext.`` and punctuation are accepted (unlike Business Central, deliberately).
- ``orgNr`` is exactly 9 ASCII digits (no spaces; the mod-11 check digit is not verified). ``email`` follows ASP.NET
  Core's ``[EmailAddress]``: exactly one ``@``, neither first nor last, no line break.
- PATCH is RFC 7396 merge patch: a field present is set, ``null`` clears it, an absent one is kept; an address
  object merges part by part. Records always carry every field, ``null`` when empty.

Field errors are keyed by the field's name (``postAddress.postCode`` for an address part).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.client.guids import GUID

__all__ = [
    "ADDRESS",
    "COMPANY",
    "CONTACT",
    "GUID",
    "READ_ONLY",
    "Address",
    "Errors",
    "Kind",
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
    return f"must be a company id (a GUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301) or null, got {_show(value)}"


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
class Address:
    """A nullable object of text parts; a merge patch merges part by part, a part left out stays as it was."""

    parts: Mapping[str, Text]

    def problems_by_path(self, name: str, value: Any) -> Errors:
        if value is None:
            return {}
        if not isinstance(value, dict):
            listed = ", ".join(self.parts)
            return {name: [f"must be an object with {listed} (each a string or null), or null; got {json_type(value)}"]}
        errors: Errors = {}
        for part, part_value in value.items():
            path = f"{name}.{part}"
            rule = self.parts.get(part)
            if rule is None:
                errors[path] = [f"is not an address field; address fields are {', '.join(self.parts)}"]
                continue
            messages = rule.problems(part_value)
            if messages:
                errors[path] = messages
        return errors

    def merge(self, current: Any, patch: Any) -> Any:
        if patch is None:
            return None
        base = current if isinstance(current, dict) else {}
        return {part: patch.get(part, base.get(part)) for part in self.parts}


FieldRule = Text | Address

ADDRESS = Address(
    {
        "streetAddress": Text(100),
        "postCode": Text(10),
        "postalArea": Text(50),
        "country": Text(50),
    }
)


@dataclass(frozen=True)
class Kind:
    """One record type: its writable fields in output order, which must be non-blank, and which need one of them."""

    name: str
    fields: Mapping[str, FieldRule]
    required: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    field_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_names", ("id", *self.fields, "createdAt", "updatedAt"))

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
                errors[name] = [f"{name!r} is not a {self.name} field; the writable fields are {listed}."]
            elif isinstance(rule, Address):
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
        if self.one_of and all(_blank(fields.get(name)) for name in self.one_of):
            message = f"A {self.name} needs at least one of {' or '.join(self.one_of)}."
            # Like ASP.NET Core's ValidationResult with several member names: the message under each of them.
            for name in self.one_of:
                errors.setdefault(name, []).append(message)
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
        "companyId": Text(None, check=_guid, canonical=str.lower),
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
