"""JSON text on the wire (harness/client/jsontext.py): the same text json writes, the same refusals."""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import pytest

from harness.client.jsontext import dumps, loads


class Kind(StrEnum):
    PERSON = "Person"


@dataclass
class Point:
    x: int


def test_text_is_what_json_writes_compact_and_unescaped() -> None:
    value = {
        "displayName": "Bjørn Ødegård «AS»",
        "n": [0, -1, 2311.3, 1.5e300, True, False, None],
        "nested": {"@odata.etag": 'W/"JzQ0OzE7MDA7Jw=="', "empty": {}, "list": []},
        1: "an int key, as json writes it",
        "ordered": OrderedDict(b=2, a=1),
        "kind": Kind.PERSON,
        "tuple": (1, 2),
    }
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert dumps(value).decode() == expected
    assert loads(dumps(value)) == json.loads(expected)


@pytest.mark.parametrize("value", [datetime(2024, 1, 1, tzinfo=UTC), Point(1), {1, 2}, object()])
def test_what_json_refuses_is_refused_naming_the_type(value: object) -> None:
    with pytest.raises(TypeError, match=type(value).__name__):
        dumps({"value": value})


@pytest.mark.parametrize("text", [b"{bad", b"", b'{"a": NaN}', "[1,]"])
def test_text_that_is_not_json_is_a_value_error(text: bytes | str) -> None:
    with pytest.raises(json.JSONDecodeError):
        loads(text)
