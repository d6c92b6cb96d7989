"""The sync contract every feature asserts (``docs/contract.md``), and the tags that cite it.

Scenarios cite what they prove with tags, so the sign-off can trace each checklist section, row and contract rule to
the scenarios that proved it, and the run can refuse a checklist that changed under the features:

- ``@dataflow:<name>`` on a feature: the dataflow (Allure epic).
- ``@checklist:<origin>-to-<target>`` on a feature, rule or scenario: the checklist section (Allure feature), e.g.
  ``@checklist:contacts-to-contacts``. :func:`section_slug` makes the slug from a checklist flow.
- ``@rule:<n>``: the contract rule proved (Allure story).
- ``@severity:<level>``: Allure severity (blocker, critical, normal, minor, trivial).
- ``@to_businesscentral`` / ``@to_crmoffice`` on an Examples table whose columns are ``crmoffice property`` and
  ``businesscentral property``: each of its rows proves that checklist row in that direction.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.checklist import Flow, normalise_name

__all__ = [
    "DIRECTIONS",
    "ORIGIN_COLUMN",
    "ROW_OUTLINES",
    "RULES",
    "SEVERITIES",
    "TARGET_COLUMN",
    "Tag",
    "parse_tag",
    "row_id",
    "section_slug",
]

RULES: dict[int, str] = {
    1: "Every record is linked exactly once",
    2: "Business Central's required name is filled on create only",
    3: "Exactly the checklist's properties sync, both ways",
    4: "Latest version wins",
    5: "Empty never overwrites",
    6: "No deletes propagate; a deleted counterpart is re-created",
    7: "Business Central-only records are left alone",
    8: "The sync's own writes never echo",
    9: "A rejected value fails that record only",
    10: "Throttling, faults and interruptions converge",
    11: "A cycle costs what changed",
    12: "The product keeps to the tenants' published limits",
}

SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")
DIRECTIONS = {"to_businesscentral": "CRMOffice → Business Central", "to_crmoffice": "Business Central → CRMOffice"}
ORIGIN_COLUMN = "crmoffice property"
TARGET_COLUMN = "businesscentral property"

ROW_OUTLINES: dict[str, tuple[str, ...]] = {
    "to_businesscentral": (
        "a new record's <crmoffice property> arrives as its <businesscentral property> (rule 3)",
        "an edit of <crmoffice property> in CRMOffice reaches Business Central, and nothing else changes (rules 3, 8)",
        "CRMOffice's later edit wins over Business Central's earlier one (rule 4)",
        "clearing <crmoffice property> in CRMOffice leaves Business Central's value (rule 5)",
    ),
    "to_crmoffice": (
        "an edit of <businesscentral property> in Business Central reaches CRMOffice, and nothing else changes "
        "(rules 3, 8)",
        "Business Central's later edit wins over CRMOffice's earlier one (rule 4)",
        "clearing <businesscentral property> in Business Central leaves CRMOffice's value (rule 5)",
    ),
}
"""The scenario outlines a section with property rows needs in each direction, before its rows can be proven."""


class TagError(ValueError):
    """A tag of a known kind with a value that kind does not take; the message names the tag."""


@dataclass(frozen=True)
class Tag:
    kind: str  # "dataflow" | "checklist" | "rule" | "severity" | "direction" | "plain"
    value: str

    @property
    def rule(self) -> int:
        return int(self.value)


def parse_tag(tag: str) -> Tag:
    """``rule:4`` → Tag("rule", "4"); a tag with no known kind is ``plain``. Raises TagError on a bad value."""
    tag = tag.lstrip("@")
    if tag in DIRECTIONS:
        return Tag("direction", tag)
    kind, sep, value = tag.partition(":")
    if not sep or kind not in ("dataflow", "checklist", "rule", "severity", "cycles"):
        return Tag("plain", tag)
    if kind == "cycles" and (not value.isdigit() or int(value) < 1):
        raise TagError(f"@{tag}: cycles is how many sync cycles the scenario waits for, a whole number from 1")
    if kind == "rule" and (not value.isdigit() or int(value) not in RULES):
        raise TagError(f"@{tag}: the sync contract has rules {min(RULES)} to {max(RULES)}, not {value!r}")
    if kind == "severity" and value not in SEVERITIES:
        raise TagError(f"@{tag}: severity is one of {', '.join(SEVERITIES)}, not {value!r}")
    if not value:
        raise TagError(f"@{tag}: a {kind} tag needs a value after the colon")
    return Tag(kind, value)


def section_slug(flow: Flow) -> str:
    """``CRMOffice Contacts to Business Central Contacts (human data)`` → ``contacts-to-contacts``."""
    return f"{normalise_name(flow.source.datatype)}-to-{normalise_name(flow.target.datatype)}"


def row_id(section: str, origin: str, target: str) -> str:
    return f"{section}: {origin} ↔ {target}"
