"""Opaque page tokens as both fakes issue them (Business Central's ``$skiptoken``, CRMOffice's ``cursor``): a JSON value
in URL-safe base64 without padding. Each vendor decides what the value holds and how a bad token is answered."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

__all__ = ["decode", "encode"]


def encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(token: str) -> Any:
    """The value a token holds; ``ValueError`` when it is not a token of this shape."""
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError(f"{token[:40]!r} is not a page token") from None
