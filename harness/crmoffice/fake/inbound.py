"""What a request brings to the API, read strictly: its JSON body and its ``If-Match`` header.

- A body must be declared JSON (``application/json``, ``text/json`` or any ``application/*+json`` such as
  ``application/merge-patch+json``, as ASP.NET Core accepts), or the answer is 415.
- An empty body, bytes that are not UTF-8, text that is not JSON, and JSON that is not an object are 400s keyed ``$``;
  a field given twice in one object is a 400 keyed by that field (JSON parsers disagree on which copy wins).
- ``If-Match`` is ``*`` or a comma-separated list of quoted entity tags (RFC 9110 section 13.1.1); anything else is a
  400 naming the header rather than a silent mismatch.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request

from harness.crmoffice.fake.errors import UnsupportedMediaType, ValidationProblem
from harness.crmoffice.schema import json_type
from harness.fakes import etags

__all__ = ["parse_if_match", "read_json_object"]


class _DuplicateField(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _DuplicateField(name)
        result[name] = value
    return result


def _is_json(mimetype: str) -> bool:
    return mimetype in ("application/json", "text/json") or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def read_json_object(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object, or the problem (415 or 400) saying what is wrong with it."""
    if not _is_json(request.mimetype):
        declared = request.mimetype or "no Content-Type"
        raise UnsupportedMediaType(
            f"{request.method} {request.path} takes a JSON body (Content-Type: application/json), got {declared}."
        )
    data = request.get_data(cache=True)
    if not data.strip():
        raise ValidationProblem.single("$", "A non-empty request body is required.")
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=_refuse_duplicates)
    except UnicodeDecodeError:
        raise ValidationProblem.single("$", "The body is not UTF-8 text.") from None
    except _DuplicateField as exc:
        raise ValidationProblem.single(
            exc.name, f"The {exc.name} field appears twice in the body; send it once."
        ) from None
    except json.JSONDecodeError as exc:
        message = f"The body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
        raise ValidationProblem.single("$", message) from None
    except (ValueError, RecursionError) as exc:
        # Python's own limits (digits in a number, nesting depth): still bad input, not a server error.
        raise ValidationProblem.single("$", f"The body is not JSON this API can read: {type(exc).__name__}.") from None
    if not isinstance(value, dict):
        raise ValidationProblem.single("$", f"The body must be a JSON object, got {json_type(value)}.")
    return value


def parse_if_match(header: str | None) -> list[str] | None:
    """None without the header; ``["*"]``; or the entity tags as sent (weak ones keep their ``W/``)."""
    try:
        return etags.parse_if_match(header)
    except ValueError:
        assert header is not None
        shown = header if len(header) <= 60 else header[:57] + "..."
        raise ValidationProblem.single(
            "If-Match", f'The If-Match header must be * or quoted ETags such as "1a2b3c", got {shown!r}.'
        ) from None
