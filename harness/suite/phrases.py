"""Words the features use as step parameters, as types for pytest-bdd's ``parsers.parse``.

``{side:System}`` in a step text matches "CRMOffice" or "Business Central" and gives the step the key the harness
uses for that side (a :data:`~harness.suite.dataflow.Side`); :data:`SYSTEM_NAMES` turns the key back into the
feature's words for a message. Step texts stay plain sentences with named fields, so grepping a feature line's fixed
words finds its step.
"""

from __future__ import annotations

import re

from harness.suite.dataflow import Side

__all__ = ["SYSTEM_NAMES", "TYPES"]

SYSTEM_NAMES: dict[Side, str] = {"crmoffice": "CRMOffice", "businesscentral": "Business Central"}
"""Each side's key and the name the features give it."""


class _System:
    """A parse type matching a system's name in the features and giving its key (parse reads ``pattern``)."""

    def __init__(self, names: dict[Side, str]) -> None:
        self.keys = {name: side for side, name in names.items()}
        self.pattern = "|".join(re.escape(name) for name in self.keys)

    def __call__(self, text: str) -> Side:
        return self.keys[text]


TYPES = {"System": _System(SYSTEM_NAMES)}
