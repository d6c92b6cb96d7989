"""A soak's minimal failing history, printed as a scenario in the features' own step language, ready to paste.

The history of one pair (or one Business Central-only record) maps onto the steps the features already have: its
creation becomes "a contact linked to a Business Central contact", each user action a When-step, a gap the product
crossed between two actions "the sync runs", and each violated rule the Then-step that states it. What the step
language cannot say (several records at once) is kept as a comment, so nothing of the history is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.soak.checker import Violation
from harness.soak.history import CRM, Event, side_name
from harness.soak.nemesis import sentence
from harness.sync.plan import FlowPlan, PropertyPair

__all__ = ["scenario"]

_SEVERITY = "@severity:critical"


def scenario(
    events: Sequence[Event],
    violations: Sequence[Violation],
    plans: Mapping[str, FlowPlan],
    *,
    window: float,
    title: str = "",
) -> str:
    """The Gherkin text of a scenario reproducing ``violations`` from ``events`` (already shrunk)."""
    ran = [e for e in events if e.action.kind not in ("pause", "trouble") and e.skipped is None]
    records = sorted({e.action.record for e in ran})
    named = [v.record for v in violations if v.record in records]
    record = named[0] if named else records[0] if records else ""
    mine = [e for e in ran if e.action.record == record]
    flow = mine[0].action.flow if mine else "contacts"
    words = _words(flow)
    rules = sorted({v.rule for v in violations})
    lines = [f"    {' '.join(f'@rule:{r}' for r in rules)} {_SEVERITY}".rstrip()]
    lines.append(f"    Scenario: {title or _title(rules, words)}")
    if len(records) > 1:
        lines.append(f"      # the shrunk history still touches {', '.join(records)}; shown: {record}")
    steps = _with_trouble(_steps(mine, words, plans[flow], window, violations), events)
    lines += [f"      {step}" for step in steps]
    return "\n".join(lines) + "\n"


def _with_trouble(steps: list[str], events: Sequence[Event]) -> list[str]:
    """The nemesis's trouble that the shrunk history kept, as Given-steps in the features' trouble sentences (the
    product meets it on its next requests); a crash, which has no such sentence, as a comment."""
    troubles = [e for e in events if e.action.kind == "trouble" and e.skipped is None]
    if not troubles:
        return steps
    given = next((i for i, step in enumerate(steps) if step.startswith("Given ")), 0)
    added = []
    for event in troubles:
        said = sentence(event.action)
        added.append(
            f"# the nemesis at {event.at:.1f} s: {said}" if event.action.values["fault"] == "crash" else f"And {said}"
        )
    return steps[: given + 1] + added + steps[given + 1 :]


def _words(flow: str) -> dict[str, str]:
    if flow == "companies":
        return {"crm": "company", "bc": "customer", "kind": "company customer", "plural": "companies"}
    return {"crm": "contact", "bc": "contact", "kind": "person contact", "plural": "contacts"}


def _title(rules: Sequence[int], words: Mapping[str, str]) -> str:
    return f"found by harness soak: a {words['crm']}'s history that breaks rule {', '.join(map(str, rules))}"


def _steps(
    events: Sequence[Event], words: Mapping[str, str], plan: FlowPlan, window: float, violations: Sequence[Violation]
) -> list[str]:
    if not events:
        return []
    first = events[0].action
    if first.bc_only:
        steps = [f"Given a {words['kind']} created by a Business Central user", "When the full sync runs"]
        return steps + _then(violations, words, plan, events)
    rest = events[1:]
    if violations and all(v.rule == 8 for v in violations):
        return _echo_steps(words, edited=bool(rest))
    unmapped = _unmapped_side(violations)
    if unmapped is not None and not any(e.action.kind == "delete" for e in events):
        # A value of a property the checklist does not map showed on the other side: the features say it with
        # their own "detail the checklist does not map" steps.
        other = "Business Central" if unmapped == "CRMOffice" else "CRMOffice"
        return [
            f"Given a {words['crm']} linked to a Business Central {words['bc']}",
            f"When a {unmapped} user changes a detail of the {words['crm']} that the checklist does not map",
            "And the sync runs",
            f"Then nothing has changed on the {other} {words['bc'] if other == 'Business Central' else words['crm']}",
        ]
    if not rest:
        row = _row_named(violations, plan)
        if row is not None and violations[0].rule == 3 and row.origin in first.values:
            given = f"Given a CRMOffice {words['crm']} with a {row.origin}"
            return [
                given,
                "When the sync runs",
                f"Then its Business Central {words['bc']}'s {row.target} is that {row.origin}",
            ]
        return [f"Given a CRMOffice {words['crm']}", "When the sync runs", *_then(violations, words, plan, events)]
    steps = [f"Given a {words['crm']} linked to a Business Central {words['bc']}"]
    previous: Event | None = None
    for event in rest:
        if previous is not None and _apart(previous, event, window):
            steps.append("the sync runs")
        later = (
            previous is not None and previous.action.side != event.action.side and not _apart(previous, event, window)
        )
        steps.append(_when(event, words, plan, later=later))
        previous = event
    full = any(e.action.kind == "delete" for e in rest)
    steps.append("the full sync runs" if full else "the sync runs")
    when = [("When " if i == 0 else "And ") + step for i, step in enumerate(steps[1:])]
    return [steps[0], *when, *_then(violations, words, plan, events)]


def _echo_steps(words: Mapping[str, str], *, edited: bool) -> list[str]:
    """Rule 8 in the features' words: records left alone by their users, synced twice, are not written to."""
    plural = words["plural"]
    values = " with a value in every mapped property" if plural == "contacts" else ""
    steps = [
        f"Given 5 CRMOffice {plural}{values}",
        "And the sync has run",
        "When the sync runs again",
        "Then the sync wrote nothing to either system",
        f"And no CRMOffice {words['crm']} has been written to since its user created it",
    ]
    if edited:
        # The features have no step for "not written since its user's last edit": the history's edits are not shown.
        return ["# the echo followed a user's edit in the soak; this is the features' nearest scenario", *steps]
    return steps


def _unmapped_side(violations: Sequence[Violation]) -> str | None:
    """The side whose unmapped values were copied to the other, when that is what a violation says."""
    for violation in violations:
        for side in ("CRMOffice", "Business Central"):
            if violation.message.startswith(f"unmapped {side} values copied"):
                return side
    return None


def _row_named(violations: Sequence[Violation], plan: FlowPlan) -> PropertyPair | None:
    """The checklist row a violation's message starts with (``directPhone ↔ phoneNumber: …``)."""
    for violation in violations:
        for pair in plan.pairs:
            if violation.message.startswith(f"{pair.origin} ↔ {pair.target}:"):
                return pair
    return None


def _apart(earlier: Event, later: Event, window: float) -> bool:
    return later.at - earlier.at > window


def _when(event: Event, words: Mapping[str, str], plan: FlowPlan, *, later: bool) -> str:
    action = event.action
    who = f"a {side_name(action.side)} user"
    noun = words["crm"]
    if action.kind == "delete":
        return f"{who} deletes the {noun}"
    name = next(iter(action.values), "")
    mapped = {p.origin for p in plan.pairs} if action.side == CRM else {p.target for p in plan.pairs}
    if name not in mapped:
        return f"{who} changes a detail of the {noun} that the checklist does not map"
    if action.kind == "clear":
        return f"{who} clears the {noun}'s {name}"
    return f"{'a minute later ' if later else ''}{who} changes the {noun}'s {name}"


def _then(
    violations: Sequence[Violation], words: Mapping[str, str], plan: FlowPlan, events: Sequence[Event]
) -> list[str]:
    thens: list[str] = []
    for violation in violations:
        for step in _rule_steps(violation, words, plan, events):
            if step not in thens:
                thens.append(step)
    return [("Then " if i == 0 else "And ") + step for i, step in enumerate(thens)]


def _rule_steps(violation: Violation, words: Mapping[str, str], plan: FlowPlan, events: Sequence[Event]) -> list[str]:
    crm, bc = words["crm"], words["bc"]
    if violation.rule == 1:
        return [f"Business Central holds exactly one {words['kind']} for it"]
    if violation.rule == 7:
        return [f"CRMOffice has no {crm} of that name", f"the Business Central {bc} is left as its user made it"]
    if violation.rule == 8:
        return ["the sync wrote nothing to either system"]
    if violation.rule == 6:
        deleted_in_crm = any(e.action.kind == "delete" and e.action.side == CRM for e in events)
        if deleted_in_crm:
            return [f"the Business Central {bc} is still there, unchanged"]
        return [f"Business Central holds exactly one {words['kind']} for it"]
    last = next((e for e in reversed(events) if e.action.kind in ("edit", "clear") and e.action.values), None)
    if last is None:
        return [f"that {bc} has the CRMOffice {crm}'s value in every mapped property"]
    name = next(iter(last.action.values))
    pair = next((p for p in plan.pairs if name in (p.origin, p.target)), None)
    if pair is None:
        other = "Business Central" if last.action.side == CRM else "CRMOffice"
        return [f"nothing has changed on the {other} {bc if other == 'Business Central' else crm}"]
    if last.action.kind == "clear":
        other_side, other_noun, prop = (
            ("Business Central", bc, pair.target) if last.action.side == CRM else ("CRMOffice", crm, pair.origin)
        )
        return [f"the {other_side} {other_noun} still has its {prop}"]
    if last.action.side == CRM:
        return [f"the Business Central {bc}'s {pair.target} is the new {pair.origin}"]
    return [f"the CRMOffice {crm}'s {pair.origin} is the new {pair.target}"]
