"""From a checklist's dataflow model to the flows the engine runs: which resources, which property pairs.

One :class:`FlowPlan` per checklist section. Vendor knowledge (datatype names, classifications, creation defaults)
comes from the tenant packages; this module only joins it to the checklist.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.businesscentral.client import EntitySet
from harness.businesscentral.dataflow import classification_type, entity_set_for, scope_filter
from harness.checklist import Checklist, Flow, Template, normalise_name
from harness.crmoffice.client import Resource
from harness.crmoffice.dataflow import is_organisation, resource_for

__all__ = ["FlowPlan", "PlanError", "PropertyPair", "plan_dataflow"]

ORIGIN_SYSTEM = "crmoffice"
TARGET_SYSTEM = "businesscentral"


class PlanError(ValueError):
    """The checklist asks for something the reference sync cannot do; the message names the section."""


@dataclass(frozen=True)
class PropertyPair:
    origin: str
    target: str


@dataclass(frozen=True)
class FlowPlan:
    """``key`` names the flow in the sync state, so it must not change when the checklist is regenerated."""

    key: str
    heading: str
    origin: Resource
    target: EntitySet
    target_type: str
    target_filter: str | None
    pairs: tuple[PropertyPair, ...]

    @property
    def target_properties(self) -> tuple[str, ...]:
        return tuple(pair.target for pair in self.pairs)


def plan_flow(flow: Flow) -> FlowPlan:
    heading = flow.heading or f"{flow.source.label()} to {flow.target.label()}"
    systems = (normalise_name(flow.source.system), normalise_name(flow.target.system))
    if systems != (ORIGIN_SYSTEM, TARGET_SYSTEM):
        raise PlanError(f"section {heading!r}: the reference sync runs CRMOffice to Business Central flows only")
    if flow.template is not Template.EVERY:
        raise PlanError(
            f"section {heading!r}: template {flow.template.value!r} is not supported yet (only 'every': "
            "insert then keep in sync)"
        )
    try:
        origin = resource_for(flow.source.datatype)
        target = entity_set_for(flow.target.datatype)
    except ValueError as exc:
        raise PlanError(f"section {heading!r}: {exc}") from None
    pairs = []
    for row in flow.properties:
        if row.condition is not None or "." in row.source or "." in row.target:
            raise PlanError(f"section {heading!r}: row {row.source} -> {row.target} needs conditions or nested paths")
        pairs.append(PropertyPair(row.source, row.target))
    classification = flow.target.classification
    return FlowPlan(
        key=f"{origin}->{target}({normalise_name(classification or '')})",
        heading=heading,
        origin=origin,
        target=target,
        target_type=classification_type(classification, organisation=is_organisation(origin)),
        target_filter=scope_filter(classification),
        pairs=tuple(pairs),
    )


def plan_dataflow(checklist: Checklist) -> list[FlowPlan]:
    plans = [plan_flow(flow) for flow in checklist.flows]
    keys = [plan.key for plan in plans]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise PlanError(f"the checklist has more than one section for the flow(s) {duplicates}")
    return plans
