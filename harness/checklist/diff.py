"""What changed between two versions of a checklist: flows added, removed and changed, and their rows.

A flow is identified by its systems and datatypes, compared case- and space-insensitively (Sesam wrote
"Businesscentral" in September 2024 and "Business Central" since). One checklist may hold several flows with the
same identity (the same datatypes with different classifications, or a section Sesam printed twice): they are
paired first by equal classifications, then in document order, so a classification that changed shows as a
change of that flow rather than as one flow removed and another added.

A property row is identified by its source and target properties and their conditions; a row whose data type
changed is a changed row. A merge row is identified by its two properties.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from harness.checklist.model import Checklist, Flow, MergeRow, PropertyRow, normalise_name

__all__ = ["ChecklistDiff", "FieldChange", "FlowChange", "diff_checklists"]

_Row = TypeVar("_Row", PropertyRow, MergeRow, Flow)


@dataclass(frozen=True)
class FieldChange:
    """One value of a flow or document that changed, e.g. ``target classification``: "person" -> "human data"."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class FlowChange:
    """A flow present in both versions whose content differs."""

    old: Flow
    new: Flow
    fields: tuple[FieldChange, ...] = ()
    merge_added: tuple[MergeRow, ...] = ()
    merge_removed: tuple[MergeRow, ...] = ()
    properties_added: tuple[PropertyRow, ...] = ()
    properties_removed: tuple[PropertyRow, ...] = ()
    properties_changed: tuple[tuple[PropertyRow, PropertyRow], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.fields
            or self.merge_added
            or self.merge_removed
            or self.properties_added
            or self.properties_removed
            or self.properties_changed
        )


@dataclass(frozen=True)
class ChecklistDiff:
    old: Checklist
    new: Checklist
    fields: tuple[FieldChange, ...] = ()
    """Document-level changes (title, systems), compared like flow identities; the generated date is not one."""
    added: tuple[Flow, ...] = ()
    removed: tuple[Flow, ...] = ()
    changed: tuple[FlowChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.fields or self.added or self.removed or self.changed)


def diff_checklists(old: Checklist, new: Checklist) -> ChecklistDiff:
    """Compare two checklists; flows and rows are listed in the order of the document they come from."""
    fields = tuple(
        FieldChange(name, before, after)
        for name, before, after in (
            ("title", old.title, new.title),
            ("source system", old.source_system, new.source_system),
            ("target system", old.target_system, new.target_system),
        )
        if normalise_name(before) != normalise_name(after)
    )
    pairs, removed, added = _pair(old.flows, new.flows, key=Flow.key, preferred=_classifications)
    changes = tuple(change for change in (_flow_change(a, b) for a, b in pairs) if not change.is_empty)
    return ChecklistDiff(old, new, fields, tuple(added), tuple(removed), changes)


def _classifications(flow: Flow) -> tuple[str, str]:
    return normalise_name(flow.source.classification or ""), normalise_name(flow.target.classification or "")


def _flow_change(old: Flow, new: Flow) -> FlowChange:
    fields = []
    for name, before, after in (
        ("source classification", old.source.classification, new.source.classification),
        ("target classification", old.target.classification, new.target.classification),
    ):
        if normalise_name(before or "") != normalise_name(after or ""):
            fields.append(FieldChange(name, before, after))
    if old.template is not new.template:
        fields.append(FieldChange("template", old.template.value, new.template.value))
    if old.condition != new.condition:
        fields.append(FieldChange("condition", old.condition, new.condition))
    if old.created_when != new.created_when:
        fields.append(FieldChange("created when", old.created_when, new.created_when))
    merge_pairs, merge_removed, merge_added = _pair(old.merge, new.merge, key=lambda row: (row.source, row.target))
    del merge_pairs  # a merge row has nothing besides its identity that could change
    property_pairs, properties_removed, properties_added = _pair(old.properties, new.properties, key=PropertyRow.key)
    return FlowChange(
        old,
        new,
        tuple(fields),
        tuple(merge_added),
        tuple(merge_removed),
        tuple(properties_added),
        tuple(properties_removed),
        tuple((a, b) for a, b in property_pairs if a != b),
    )


def _pair(
    old: Sequence[_Row],
    new: Sequence[_Row],
    key: Callable[[_Row], Hashable],
    preferred: Callable[[_Row], Hashable] | None = None,
) -> tuple[list[tuple[_Row, _Row]], list[_Row], list[_Row]]:
    """Pair items with equal keys (those with equal ``preferred`` values first, then in order).

    Returns (pairs in new-document order, unpaired old items, unpaired new items).
    """
    waiting: dict[Hashable, list[int]] = defaultdict(list)
    for index, item in enumerate(old):
        waiting[key(item)].append(index)
    prefer: Callable[[_Row], Hashable] = preferred or (lambda _: None)
    partner: dict[int, int] = {}
    for strict in (True, False) if preferred is not None else (False,):
        for new_index, item in enumerate(new):
            if new_index in partner:
                continue
            candidates = waiting[key(item)]
            match = next(
                (
                    position
                    for position, old_index in enumerate(candidates)
                    if not strict or prefer(old[old_index]) == prefer(item)
                ),
                None,
            )
            if match is not None:
                partner[new_index] = candidates.pop(match)
    paired_old = set(partner.values())
    pairs = [(old[partner[index]], item) for index, item in enumerate(new) if index in partner]
    removed = [item for index, item in enumerate(old) if index not in paired_old]
    added = [item for index, item in enumerate(new) if index not in partner]
    return pairs, removed, added
