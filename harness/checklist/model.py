"""The dataflow model a Sesam Talk checklist is read into.

Plain frozen dataclasses with no knowledge of reStructuredText or of any vendor. Equality is about what the
checklist *says* (systems, datatypes, templates, rows): where a value was found (line numbers), the exact
sentences that stated it and the text the parser could not place are carried along for the linter and for error
messages, but never take part in ``==``, so two checklists that say the same thing compare equal.

``to_dict()`` gives the JSON shape of ``harness checklist show --json``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "Checklist",
    "Clause",
    "DataType",
    "Endpoint",
    "Flow",
    "Mention",
    "MergeRow",
    "Note",
    "PropertyRow",
    "Template",
    "normalise_name",
]


def normalise_name(name: str) -> str:
    """The form in which two spellings of a system or datatype name are compared.

    Sesam spelled the same system differently from one generation to the next ("Businesscentral",
    "BusinessCentral", "Business Central"), so names compare case- and space-insensitively.
    """
    return "".join(name.split()).casefold()


class Template(enum.Enum):
    """How a flow creates and links records (the section's opening sentences)."""

    EVERY = "every"
    """"Every X will be synchronized with a Y.": insert a Y for every X that has none, then keep them in sync."""
    MERGE_OR_CREATE = "merge-or-create"
    """As EVERY, but an existing Y that matches a merge-table row is linked instead of inserting a new one."""
    LINK_ONLY = "link-only"
    """"Before any synchronization can take place, a link ... must be established.": link on a merge match only."""
    CONDITIONAL = "conditional"
    """"<condition>, it  will be synchronized with a Y.": as EVERY, for the X meeting the condition only.
    ``Flow.condition`` keeps the condition's words verbatim: free text from the flow's configuration, such as
    "When a HubSpot Deal has a 100% probability of beeing sold" or "When a Zendesk User is of type Agent"."""


class DataType(enum.Enum):
    """The target data type column of a property table."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    NOT_APPLICABLE = "N/A"
    UNKNOWN = "unknown"
    """Anything else the checklist wrote; the text itself is kept in ``PropertyRow.type_text``."""

    @classmethod
    def from_cell(cls, text: str) -> DataType:
        """Read a data type cell: ``"string"`` (quoted), ``N/A`` (bare), anything else is UNKNOWN."""
        stripped = text.strip()
        if stripped == cls.NOT_APPLICABLE.value:
            return cls.NOT_APPLICABLE
        if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
            inner = stripped[1:-1]
            for member in (cls.STRING, cls.INTEGER, cls.FLOAT, cls.BOOLEAN):
                if inner == member.value:
                    return member
        return cls.UNKNOWN

    def to_cell(self) -> str:
        """The cell text Sesam's generator writes for this type (UNKNOWN has none of its own)."""
        if self is DataType.UNKNOWN:
            raise ValueError("DataType.UNKNOWN has no cell text of its own; use PropertyRow.type_text")
        if self is DataType.NOT_APPLICABLE:
            return str(self.value)
        return f'"{self.value}"'


class Clause(enum.Enum):
    """Every place in a section that names the flow's two endpoints."""

    HEADING = "heading"
    EVERY = "every"
    CONDITIONAL = "conditional"
    MERGE_IF_EXISTS = "merge-if-exists"
    CREATE_IF_MISSING = "create-if-missing"
    LINK_REQUIRED = "link-required"
    CREATED_WHEN = "created-when"
    MERGE_CRITERIA = "merge-criteria"
    KEEP_IN_SYNC = "keep-in-sync"
    PROPERTIES = "properties"
    MERGE_TABLE_HEADER = "merge-table-header"
    PROPERTY_TABLE_HEADER = "property-table-header"


@dataclass(frozen=True)
class Endpoint:
    """One side of a flow: ``Business Central`` / ``Contacts`` / ``human data``.

    ``system`` is spelled as the section spells it. ``classification`` is the parenthesised suffix ("human data"),
    or, in checklists generated before mid-September 2024, the bare words after the datatype ("person").
    """

    system: str
    datatype: str
    classification: str | None = None

    def label(self) -> str:
        """``Business Central Contacts (human data)``."""
        parts = [self.system, self.datatype] if self.system else [self.datatype]
        text = " ".join(parts)
        return f"{text} ({self.classification})" if self.classification else text

    def key(self) -> tuple[str, str]:
        """The identity of this side in a flow: system and datatype, case- and space-insensitively."""
        return normalise_name(self.system), normalise_name(self.datatype)

    def same_as(self, other: Endpoint) -> bool:
        """Whether both name the same system, datatype and classification, however they are spelled."""
        return self.key() == other.key() and normalise_name(self.classification or "") == normalise_name(
            other.classification or ""
        )

    def to_dict(self) -> dict[str, str | None]:
        return {"system": self.system, "datatype": self.datatype, "classification": self.classification}


@dataclass(frozen=True)
class PropertyRow:
    """A row of a property table. Conditions are split off the property names.

    ``phone_numbers.number (Dependant on having wd:Q17517 in phone_numbers.name)`` becomes target
    ``phone_numbers.number`` with target condition ``Dependant on having wd:Q17517 in phone_numbers.name``.
    """

    source: str
    target: str
    type: DataType
    type_text: str = field(default="", compare=False)
    """The data type cell as written (``"string"``, ``N/A``, or whatever an UNKNOWN type said)."""
    source_condition: str | None = None
    target_condition: str | None = None
    line: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Rows built in code rarely spell out the cell text of a known type; derive it so rendering has it.
        if not self.type_text and self.type is not DataType.UNKNOWN:
            object.__setattr__(self, "type_text", self.type.to_cell())
        if self.type is DataType.UNKNOWN and DataType.from_cell(self.type_text) is not DataType.UNKNOWN:
            raise ValueError(f"type_text {self.type_text!r} is a known type, not DataType.UNKNOWN")

    @property
    def type_name(self) -> str:
        """``string`` ... ``N/A`` for the known types, the cell text for an unknown one."""
        return self.type.value if self.type is not DataType.UNKNOWN else self.type_text

    @property
    def condition(self) -> str | None:
        """The row's condition in one string (either side's, or both joined by ``; `` when both have one)."""
        conditions = [c for c in (self.source_condition, self.target_condition) if c is not None]
        return "; ".join(conditions) if conditions else None

    def key(self) -> tuple[str, str, str | None, str | None]:
        """What identifies a row between two versions of a checklist (its type may change, its names not)."""
        return self.source, self.target, self.source_condition, self.target_condition

    def to_dict(self) -> dict[str, str | None]:
        return {"source": self.source, "target": self.target, "type": self.type_name, "condition": self.condition}


@dataclass(frozen=True)
class MergeRow:
    """A row of a merge table: records whose two properties are equal are the same record."""

    source: str
    target: str
    line: int | None = field(default=None, compare=False)

    def to_list(self) -> list[str]:
        return [self.source, self.target]


@dataclass(frozen=True)
class Mention:
    """One place in a section that names the flow's endpoints, as the linter needs to compare them.

    ``source``/``target`` are None when the text could not be read as endpoints of the document's systems.
    """

    clause: Clause
    text: str
    line: int | None = None
    source: Endpoint | None = None
    target: Endpoint | None = None


@dataclass(frozen=True)
class Note:
    """Something the parser read past without understanding it; the linter reports it under ``code``."""

    message: str
    line: int | None = None
    code: str = "unrecognised-text"
    """``unrecognised-text``, or ``rst-warning`` for a docutils warning that left the file readable."""


@dataclass(frozen=True)
class Flow:
    """One section of a checklist: an entity flow from a source datatype to a target datatype."""

    source: Endpoint
    target: Endpoint
    template: Template
    merge: tuple[MergeRow, ...] = ()
    properties: tuple[PropertyRow, ...] = ()
    created_when: str | None = None
    """For link-only flows that still insert: "connected to a <X> that is synchronized into <system>"."""
    condition: str | None = None
    """For conditional flows: the words before ", it  will be synchronized with a <target>.", verbatim ("When a
    HubSpot Deal has a 100% probability of beeing sold")."""
    heading: str = field(default="", compare=False)
    line: int | None = field(default=None, compare=False)
    mentions: tuple[Mention, ...] = field(default=(), compare=False)
    notes: tuple[Note, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if (self.template is Template.CONDITIONAL) != bool(self.condition):
            raise ValueError(
                f"a flow has a condition exactly when its template is conditional: template {self.template.value!r}, "
                f"condition {self.condition!r}"
            )

    def label(self) -> str:
        """``CRMOffice Contacts to Business Central Contacts (human data)``."""
        return f"{self.source.label()} to {self.target.label()}"

    def key(self) -> tuple[str, str, str, str]:
        """The flow's identity across versions: its systems and datatypes, case- and space-insensitively."""
        return (*self.source.key(), *self.target.key())

    def to_dict(self) -> dict[str, object]:
        shape: dict[str, object] = {
            "source": self.source.to_dict(),
            "target": self.target.to_dict(),
            "template": self.template.value,
        }
        if self.condition is not None:
            shape["condition"] = self.condition
        shape["merge"] = [row.to_list() for row in self.merge]
        shape["properties"] = [row.to_dict() for row in self.properties]
        return shape


@dataclass(frozen=True)
class Checklist:
    """A whole checklist: ``<source_system> to <target_system> Dataflow`` and its flows, in document order."""

    title: str
    source_system: str
    target_system: str
    generated: datetime
    flows: tuple[Flow, ...] = ()
    path: str | None = field(default=None, compare=False)
    notes: tuple[Note, ...] = field(default=(), compare=False)
    """docutils warnings and document-level text the parser did not place."""

    def to_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "source_system": self.source_system,
            "target_system": self.target_system,
            "generated": self.generated.isoformat(sep=" "),
            "flows": [flow.to_dict() for flow in self.flows],
        }
