"""Sesam Talk checklists read into a dataflow model, linted, and compared.

The checklist is the contract QA signs against; everything downstream (features, reference sync, sign-off) derives
from the document itself through this package:

- ``parse_file`` / ``parse_bytes`` / ``parse_text`` -> ``Checklist`` (raises ``ChecklistError`` on a file that is
  not a checklist),
- ``lint`` -> ``Finding``s (what to know before signing; target knowledge such as ``targets.REQUIRED_ON_CREATE``
  is passed in),
- ``diff_checklists`` -> ``ChecklistDiff`` (what a regenerated checklist changed),
- ``to_rst`` writes a ``Checklist`` the way Sesam did.

Modules: ``model`` (dataclasses), ``names`` and ``sentences`` (the checklist's fixed wording), ``rst`` (docutils),
``parse``, ``lint``, ``targets``, ``diff``, ``write``, ``render`` (text), ``cli`` (``harness checklist``).
"""

from harness.checklist.diff import ChecklistDiff, FieldChange, FlowChange, diff_checklists
from harness.checklist.errors import ChecklistError
from harness.checklist.lint import Finding, RequiredOnCreate, Severity, lint
from harness.checklist.model import (
    Checklist,
    Clause,
    DataType,
    Endpoint,
    Flow,
    Mention,
    MergeRow,
    Note,
    PropertyRow,
    Template,
    normalise_name,
)
from harness.checklist.parse import parse_bytes, parse_file, parse_text
from harness.checklist.write import to_rst

__all__ = [
    "Checklist",
    "ChecklistDiff",
    "ChecklistError",
    "Clause",
    "DataType",
    "Endpoint",
    "FieldChange",
    "Finding",
    "Flow",
    "FlowChange",
    "Mention",
    "MergeRow",
    "Note",
    "PropertyRow",
    "RequiredOnCreate",
    "Severity",
    "Template",
    "diff_checklists",
    "lint",
    "normalise_name",
    "parse_bytes",
    "parse_file",
    "parse_text",
    "to_rst",
]
