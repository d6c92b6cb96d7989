"""Words the features use as step parameters, as types for pytest-bdd's ``parsers.parse``.

``{side:System}`` in a step text matches "CRMOffice" or "Business Central"; :data:`SIDES` maps the name to the key
the harness uses for that side. Step texts stay plain sentences with named fields, so grepping a feature line's fixed
words finds its step.
"""

from __future__ import annotations

import re

__all__ = ["SIDES", "TYPES"]

SIDES = {"CRMOffice": "crmoffice", "Business Central": "businesscentral"}


class _OneOf:
    """A parse type matching exactly one of ``words`` (parse reads the ``pattern`` attribute)."""

    def __init__(self, *words: str) -> None:
        self.pattern = "|".join(re.escape(word) for word in words)

    def __call__(self, text: str) -> str:
        return text


class _Matching:
    """A parse type matching a regular expression (for a family of sentences whose check lives elsewhere)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __call__(self, text: str) -> str:
        return text


TYPES = {
    "System": _OneOf(*SIDES),
    # A tenant's trouble, as harness.suite.faults understands it; the verbs only, so a sentence it does not
    # understand still reaches it and is refused with the list of those it does.
    "Trouble": _Matching(r"(?:throttles|is unavailable|drops|loses|answers|fails) .+"),
}
