"""OData v4 query options as Business Central's API honours them: ``$filter``, ``$select``, ``$orderby``.

``$filter`` is parsed into a predicate over a record. Supported: ``eq ne gt ge lt le``, ``and or not``, parentheses,
the functions ``startswith endswith contains`` and ``tolower toupper``; literals are strings in single quotes
(``''`` escapes a quote), numbers, ``true``/``false``/``null``, unquoted GUIDs, and unquoted dates and date-times
(``2024-09-18T20:05:51.603Z``). As in Business Central, ``or`` must stay on one property: ``a eq 1 or b eq 2`` is
refused. Comparisons are type-checked against the entity schema the way the OData layer does, so
``phoneNumber eq 5`` is a 400, not an empty result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from harness.businesscentral.fake.errors import BadRequest
from harness.businesscentral.schema import EntitySchema, Field
from harness.client.guids import GUID_PATTERN

__all__ = ["Filter", "OrderBy", "Predicate", "parse_count", "parse_filter", "parse_orderby", "parse_select"]

Predicate = Callable[[Mapping[str, Any]], bool]

_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2}))
    | (?P<guid>GUID)(?![\w-])
    | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>[(),])
    )""".replace("GUID", GUID_PATTERN),
    re.VERBOSE,
)

_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
_OPERATOR_KIND = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}
_BOOL_FUNCTIONS = {"startswith", "endswith", "contains"}
_STRING_FUNCTIONS = {"tolower", "toupper"}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    value: Any
    position: int


@dataclass(frozen=True)
class _Operand:
    """A property (possibly wrapped in tolower/toupper) or a literal, with its EDM type."""

    edm: str
    field: str | None
    value: Any
    transform: Callable[[Any], Any] | None = None

    def evaluate(self, record: Mapping[str, Any]) -> Any:
        if self.field is None:
            return self.value
        value = record.get(self.field)
        return self.transform(value) if self.transform is not None and value is not None else value


@dataclass(frozen=True)
class _Node:
    predicate: Predicate
    fields: frozenset[str]
    # A lower bound on lastModifiedDateTime that every match obeys, so the store can skip older records.
    modified_from: datetime | None = None


@dataclass(frozen=True)
class Filter:
    """A parsed ``$filter``: the predicate, and the earliest ``lastModifiedDateTime`` a match can have (if known)."""

    predicate: Predicate
    modified_from: datetime | None = None
    text: str = ""
    """As written; with the schema it names the predicate, so a store can keep a filter's matches between pages."""

    def __call__(self, record: Mapping[str, Any]) -> bool:
        return self.predicate(record)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None or match.end() == position:
            raise BadRequest(f"Syntax error at position {position} in '{text}'.")
        kind = match.lastgroup or ""
        raw = match.group(kind)
        tokens.append(_Token(kind, raw, _literal(kind, raw), match.start(kind)))
        position = match.end()
    return tokens


def _literal(kind: str, raw: str) -> Any:
    if kind == "string":
        return raw[1:-1].replace("''", "'")
    if kind == "number":
        return float(raw) if any(c in raw for c in ".eE") else int(raw)
    if kind == "datetime":
        try:
            return datetime.fromisoformat(raw).astimezone(UTC)
        except ValueError:
            raise BadRequest(
                f"The DateTimeOffset text '{raw}' should be in format 'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?'"
                " and each field value is within valid range."
            ) from None
    if kind == "date":
        try:
            return datetime.combine(date.fromisoformat(raw), time(0), tzinfo=UTC)
        except ValueError:
            raise BadRequest(f"The Date text '{raw}' is not a valid date.") from None
    if kind == "guid":
        return raw.lower()
    return raw


def _either(a: Predicate, b: Predicate) -> Predicate:
    return lambda record: a(record) or b(record)


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda record: a(record) and b(record)


def _negation(a: Predicate) -> Predicate:
    return lambda record: not a(record)


class _Parser:
    def __init__(self, text: str, schema: EntitySchema) -> None:
        self.text = text
        self.schema = schema
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def next(self, expected: str) -> _Token:
        token = self.peek()
        if token is None:
            raise BadRequest(f"Syntax error: {expected} expected at the end of '{self.text}'.")
        self.index += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "name" and token.text == word:
            self.index += 1
            return True
        return False

    def punct(self, char: str) -> None:
        token = self.next(f"'{char}'")
        if token.text != char:
            raise BadRequest(f"Syntax error: '{char}' expected at position {token.position} in '{self.text}'.")

    def parse(self) -> _Node:
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            raise BadRequest(f"Syntax error at position {token.position} in '{self.text}'.")
        return node

    def or_expr(self) -> _Node:
        node = self.and_expr()
        while self.keyword("or"):
            right = self.and_expr()
            fields = node.fields | right.fields
            if len(fields) > 1:
                # Business Central turns a filter into per-field SETFILTERs, which cannot express an OR across fields.
                raise BadRequest(
                    f"'or' is not supported across different properties ({', '.join(sorted(fields))}) in '{self.text}'."
                )
            node = _Node(_either(node.predicate, right.predicate), fields)
        return node

    def and_expr(self) -> _Node:
        node = self.not_expr()
        while self.keyword("and"):
            right = self.not_expr()
            bounds = [b for b in (node.modified_from, right.modified_from) if b is not None]
            node = _Node(
                _both(node.predicate, right.predicate), node.fields | right.fields, max(bounds) if bounds else None
            )
        return node

    def not_expr(self) -> _Node:
        if self.keyword("not"):
            inner = self.not_expr()
            return _Node(_negation(inner.predicate), inner.fields)
        return self.primary()

    def primary(self) -> _Node:
        token = self.peek()
        if token is None:
            raise BadRequest(f"Syntax error: an expression is expected at the end of '{self.text}'.")
        if token.text == "(":
            self.index += 1
            node = self.or_expr()
            self.punct(")")
            return node
        if token.kind == "name" and token.text in _BOOL_FUNCTIONS:
            return self.bool_function()
        left = self.operand()
        operator = self.next("a comparison operator")
        if operator.kind != "name" or operator.text not in _COMPARISONS:
            raise BadRequest(
                f"Syntax error: a comparison operator (eq, ne, gt, ge, lt, le) is expected at position "
                f"{operator.position} in '{self.text}'."
            )
        right = self.operand()
        return self.comparison(left, operator.text, right)

    def operand(self) -> _Operand:
        token = self.next("an operand")
        if token.kind == "name" and token.text in _STRING_FUNCTIONS:
            self.punct("(")
            inner = self.operand()
            self.punct(")")
            if inner.edm != "Edm.String":
                raise BadRequest(
                    f"No function signature for the function with name '{token.text}' matches "
                    f"the argument of type '{inner.edm}'."
                )
            transform: Callable[[Any], Any] = str.lower if token.text == "tolower" else str.upper
            if inner.field is None:
                return _Operand("Edm.String", None, transform(inner.value))
            return _Operand("Edm.String", inner.field, None, transform)
        if token.kind == "name":
            if token.text in ("true", "false"):
                return _Operand("Edm.Boolean", None, token.text == "true")
            if token.text == "null":
                return _Operand("null", None, None)
            return self.property(token.text)
        edm = {
            "string": "Edm.String",
            "number": "Edm.Decimal" if isinstance(token.value, float) else "Edm.Int32",
            "datetime": "Edm.DateTimeOffset",
            "date": "Edm.Date",
            "guid": "Edm.Guid",
        }.get(token.kind)
        if edm is None:
            raise BadRequest(f"Syntax error at position {token.position} in '{self.text}'.")
        return _Operand(edm, None, token.value)

    def property(self, name: str) -> _Operand:
        field: Field | None = self.schema.by_name.get(name)
        if field is None:
            raise BadRequest(f"Could not find a property named '{name}' on type '{self.schema.odata_type}'.")
        return _Operand(field.edm_type, name, None)

    def comparison(self, left: _Operand, operator: str, right: _Operand) -> _Node:
        _check_types(left, operator, right)
        compare = _compare_function(operator)
        fields = frozenset(f for f in (left.field, right.field) if f is not None)

        def predicate(record: Mapping[str, Any]) -> bool:
            return compare(left.evaluate(record), right.evaluate(record))

        bound = None
        if (
            left.field == "lastModifiedDateTime"
            and left.transform is None
            and right.field is None
            and operator in ("gt", "ge", "eq")
            and isinstance(right.value, datetime)
        ):
            bound = right.value
        return _Node(predicate, fields, bound)

    def bool_function(self) -> _Node:
        name = self.next("a function").text
        self.punct("(")
        subject = self.operand()
        self.punct(",")
        pattern = self.operand()
        self.punct(")")
        if subject.edm != "Edm.String" or pattern.edm != "Edm.String" or pattern.field is not None:
            raise BadRequest(
                f"No function signature for the function with name '{name}' matches the specified arguments."
            )
        needle = str(pattern.value)
        test: Callable[[str], bool] = {
            "startswith": lambda value: value.startswith(needle),
            "endswith": lambda value: value.endswith(needle),
            "contains": lambda value: needle in value,
        }[name]
        fields = frozenset({subject.field} if subject.field else set())
        return _Node(lambda r: test(str(subject.evaluate(r) or "")), fields)


_COMPATIBLE = {
    "Edm.String": {"Edm.String"},
    "Edm.Guid": {"Edm.Guid"},
    "Edm.Boolean": {"Edm.Boolean"},
    "Edm.Int32": {"Edm.Int32", "Edm.Decimal"},
    "Edm.Decimal": {"Edm.Int32", "Edm.Decimal"},
    "Edm.DateTimeOffset": {"Edm.DateTimeOffset", "Edm.Date"},
    "Edm.Date": {"Edm.DateTimeOffset", "Edm.Date"},
}


def _check_types(left: _Operand, operator: str, right: _Operand) -> None:
    if left.edm == "null" or right.edm == "null":
        if operator not in ("eq", "ne"):
            raise BadRequest(f"The operator '{operator}' cannot be applied to null.")
        return
    if right.edm not in _COMPATIBLE.get(left.edm, {left.edm}):
        raise BadRequest(
            "A binary operator with incompatible types was detected. Found operand types "
            f"'{left.edm}' and '{right.edm}' for operator kind '{_OPERATOR_KIND[operator]}'."
        )
    if left.edm in ("Edm.Guid", "Edm.Boolean") and operator not in ("eq", "ne"):
        raise BadRequest(f"The operator '{operator}' is not defined for operands of type '{left.edm}'.")


def _compare_function(operator: str) -> Callable[[Any, Any], bool]:
    def ordered(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
        # OData: an ordering comparison with null is false.
        return lambda a, b: a is not None and b is not None and test(a, b)

    return {
        "eq": lambda a, b: a == b,
        "ne": lambda a, b: a != b,
        "gt": ordered(lambda a, b: a > b),
        "ge": ordered(lambda a, b: a >= b),
        "lt": ordered(lambda a, b: a < b),
        "le": ordered(lambda a, b: a <= b),
    }[operator]


def parse_filter(text: str, schema: EntitySchema) -> Filter:
    """A filter over records stored with native values (datetimes as aware datetimes, GUIDs lower-case)."""
    if not text.strip():
        raise BadRequest("The $filter expression must not be empty.")
    node = _Parser(text, schema).parse()
    return Filter(node.predicate, node.modified_from, text)


def parse_select(text: str, schema: EntitySchema) -> list[str]:
    names = [part.strip() for part in text.split(",")]
    for name in names:
        if name not in schema.by_name:
            raise BadRequest(f"Could not find a property named '{name}' on type '{schema.odata_type}'.")
    return names


def parse_count(options: Mapping[str, str], name: str) -> int | None:
    """``$top`` or ``$skip``: a non-negative integer, or None when not given."""
    if name not in options:
        return None
    value = options[name]
    if not value.isdigit():
        raise BadRequest(
            f"Invalid value '{value}' for {name} query option found. The {name} query option requires a "
            "non-negative integer value."
        )
    return int(value)


@dataclass(frozen=True)
class OrderBy:
    field: str
    descending: bool


def parse_orderby(text: str, schema: EntitySchema) -> list[OrderBy]:
    orders: list[OrderBy] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise BadRequest(f"Syntax error in $orderby '{text}': expected 'property [asc|desc], ...'.")
        if words[0] not in schema.by_name:
            raise BadRequest(f"Could not find a property named '{words[0]}' on type '{schema.odata_type}'.")
        orders.append(OrderBy(words[0], len(words) == 2 and words[1] == "desc"))
    return orders
