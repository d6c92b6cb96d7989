"""A seeded random program of user actions on both tenants: what ``harness soak`` does, before it does it.

The program mixes what users do to the records a dataflow carries: create a record in CRMOffice (the origin),
edit, clear or delete it there, edit or clear its counterpart in Business Central or delete it there, edit both
sides of one pair at the same moment, write properties the checklist does not map, make and edit records only a
Business Central user knows, in bursts of concurrent actions and between idle spells. Values come from the
checklist rows' own generators (:mod:`harness.testdata.values`), so every row's type is exercised, and now and then a
CRMOffice value Business Central refuses. The same seed gives the same program.

Actions name records, not ids: ``c<n>`` a pair with a CRMOffice origin, ``b<n>`` a Business Central-only record.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.soak.history import BC, CRM, Action, ActionKind, Side
from harness.sync.plan import FlowPlan
from harness.testdata.norwegian import NorwegianData
from harness.testdata.values import RowValues, values_by_property

__all__ = ["UNMAPPED", "Program", "generate"]

UNMAPPED: dict[tuple[str, Side], tuple[str, ...]] = {
    ("contacts", CRM): ("email", "city", "website"),
    ("companies", CRM): (),
    ("contacts", BC): ("email", "website", "city"),
    ("companies", BC): ("email", "website", "city"),
}
"""Properties a user may write that a checklist could leave unmapped (those it maps are left out per flow)."""

# What users do, and how often (relative weights).
_WEIGHTS: dict[str, int] = {
    "create": 14,
    "edit crm": 18,
    "edit bc": 12,
    "clear crm": 4,
    "clear bc": 3,
    "edit both": 5,
    "unmapped crm": 3,
    "unmapped bc": 3,
    "delete crm": 2,
    "delete bc": 2,
    "bc only create": 2,
    "bc only edit": 2,
    "bc only delete": 1,
    "pause": 5,
    "burst": 4,
}


@dataclass
class _Pair:
    name: str
    plan: FlowPlan
    crm_deleted: bool = False


@dataclass
class Program:
    """The actions in order; actions sharing a ``group`` run at the same moment."""

    seed: int
    actions: list[Action] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"seed": self.seed, "actions": [action.to_dict() for action in self.actions]}


class _Builder:
    def __init__(self, plans: Sequence[FlowPlan], seed: int, concurrency: int, idle: float, refuse: float) -> None:
        self.rng = random.Random(seed)
        self.data = NorwegianData(seed)
        self.plans = list(plans)
        self.rows = {plan.key: values_by_property(plan) for plan in plans}
        self.concurrency = concurrency
        self.idle = idle
        self.refuse = refuse
        self.pairs: list[_Pair] = []
        self.bc_only: list[tuple[str, FlowPlan]] = []
        self.bc_only_made = 0
        self.actions: list[Action] = []
        self.group = 0

    # --- choosing ---------------------------------------------------------------------------------------------------
    def live(self) -> list[_Pair]:
        return [pair for pair in self.pairs if not pair.crm_deleted]

    def plan(self) -> FlowPlan:
        return self.rng.choice(self.plans)

    def row(self, plan: FlowPlan) -> RowValues | None:
        rows = [self.rows[plan.key][pair.origin] for pair in plan.pairs]
        return self.rng.choice(rows) if rows else None

    def unmapped(self, plan: FlowPlan, side: Side) -> list[str]:
        mapped = {pair.origin for pair in plan.pairs} | {pair.target for pair in plan.pairs}
        return [name for name in UNMAPPED[(plan.origin, side)] if name not in mapped]

    def value_for(self, name: str) -> str:
        if name == "email":
            return self.data.email(self.data.person())
        if name == "website":
            return self.data.website()
        return self.data.text_for(name, 30)

    def add(self, action: Action, *, new_group: bool = True) -> None:
        if new_group:
            self.group += 1
        self.actions.append(Action(**{**action.__dict__, "group": self.group}))

    # --- actions --------------------------------------------------------------------------------------------------
    def create(self) -> None:
        plan = self.plan()
        name = f"c{len(self.pairs) + 1}"
        values = {pair.origin: self.rows[plan.key][pair.origin].fresh(self.data, pair.origin) for pair in plan.pairs}
        if plan.origin == "companies":
            values["orgNr"] = self.data.org_nr()  # CRMOffice wants a valid one; the checklist maps none
        for prop in self.unmapped(plan, CRM):
            if self.rng.random() < 0.5:
                values[prop] = self.value_for(prop)
        self.pairs.append(_Pair(name, plan))
        self.add(Action("create", CRM, plan.origin, name, values))

    def edit(self, side: Side, *, clear: bool = False, new_group: bool = True, pair: _Pair | None = None) -> None:
        pair = pair or self.rng.choice(self.live())
        row = self.row(pair.plan)
        if row is None:
            return
        name = row.pair.origin if side == CRM else row.pair.target
        refused_value = (
            row.refused(self.data) if side == CRM and not clear and self.rng.random() < self.refuse else None
        )
        value = "" if clear else refused_value or row.fresh(self.data, name)
        kind: ActionKind = "clear" if clear else "edit"
        self.add(
            Action(kind, side, pair.plan.origin, pair.name, {name: value}, refused_value is not None),
            new_group=new_group,
        )

    def unmapped_edit(self, side: Side) -> None:
        pair = self.rng.choice(self.live())
        names = self.unmapped(pair.plan, side)
        if names:
            name = self.rng.choice(names)
            self.add(Action("edit", side, pair.plan.origin, pair.name, {name: self.value_for(name)}))

    def delete(self, side: Side) -> None:
        pair = self.rng.choice(self.live())
        if side == CRM:
            pair.crm_deleted = True
        self.add(Action("delete", side, pair.plan.origin, pair.name))

    def bc_only_action(self, kind: str) -> None:
        if kind == "create" or not self.bc_only:
            plan = self.plan()
            self.bc_only_made += 1
            name = f"b{self.bc_only_made}"
            self.bc_only.append((name, plan))
            self.add(Action("create", BC, plan.origin, name, self.bc_values(plan)))
            return
        name, plan = self.rng.choice(self.bc_only)
        if kind == "delete":
            self.bc_only.remove((name, plan))
            self.add(Action("delete", BC, plan.origin, name))
        else:
            self.add(Action("edit", BC, plan.origin, name, self.bc_values(plan, one=True)))

    def bc_values(self, plan: FlowPlan, *, one: bool = False) -> dict[str, str]:
        names = [pair.target for pair in plan.pairs] + self.unmapped(plan, BC)
        chosen = [self.rng.choice(names)] if one and names else names
        rows = self.rows[plan.key]
        return {n: rows[n].fresh(self.data, n) if n in rows else self.value_for(n) for n in chosen}

    def both(self) -> None:
        pair = self.rng.choice(self.live())
        self.group += 1  # one moment for both edits
        self.edit(CRM, pair=pair, new_group=False)
        self.edit(BC, pair=pair, new_group=False)

    def burst(self) -> None:
        candidates = self.live()
        self.rng.shuffle(candidates)
        self.group += 1  # one moment for the whole burst
        for pair in candidates[: self.concurrency]:
            self.edit(self.rng.choice((CRM, BC)), pair=pair, new_group=False)

    def pause(self) -> None:
        self.add(Action("pause", CRM, "", "", seconds=round(self.rng.uniform(0.2, self.idle), 2)))

    def step(self) -> None:
        if len(self.live()) < 2:
            self.create()
            return
        choice = self.rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()))[0]
        steps = {
            "create": self.create,
            "edit crm": lambda: self.edit(CRM),
            "edit bc": lambda: self.edit(BC),
            "clear crm": lambda: self.edit(CRM, clear=True),
            "clear bc": lambda: self.edit(BC, clear=True),
            "edit both": self.both,
            "unmapped crm": lambda: self.unmapped_edit(CRM),
            "unmapped bc": lambda: self.unmapped_edit(BC),
            "delete crm": lambda: self.delete(CRM),
            "delete bc": lambda: self.delete(BC),
            "bc only create": lambda: self.bc_only_action("create"),
            "bc only edit": lambda: self.bc_only_action("edit"),
            "bc only delete": lambda: self.bc_only_action("delete"),
            "pause": self.pause,
            "burst": self.burst,
        }
        steps[choice]()


def generate(
    plans: Sequence[FlowPlan],
    *,
    operations: int,
    seed: int,
    concurrency: int = 4,
    idle: float = 3.0,
    refuse: float = 0.05,
) -> Program:
    """A program of at least ``operations`` user actions (pauses not counted)."""
    builder = _Builder(plans, seed, concurrency, idle, refuse)
    while sum(1 for a in builder.actions if a.kind != "pause") < operations:
        builder.step()
    return Program(seed, builder.actions)
