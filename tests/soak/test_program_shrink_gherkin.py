"""The soak's program (seeded, varied), its shrinker (minimal, bounded, confirmed) and its Gherkin reproduction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gherkin.parser import Parser

from harness.checklist import parse_file
from harness.soak.checker import Verdict, Violation
from harness.soak.gherkin import scenario
from harness.soak.history import BC, CRM, Action, Event
from harness.soak.program import generate
from harness.soak.shrink import Replay, shrink
from harness.sync import plan_dataflow

ROOT = Path(__file__).resolve().parents[2]
PLANS = plan_dataflow(parse_file(ROOT / "features" / "crmoffice-businesscentral.rst"))
BY_FLOW = {plan.origin: plan for plan in PLANS}


def test_the_same_seed_gives_the_same_program_and_another_seed_another() -> None:
    one = generate(PLANS, operations=300, seed=7).to_dict()
    assert one == generate(PLANS, operations=300, seed=7).to_dict()
    assert one != generate(PLANS, operations=300, seed=8).to_dict()


def test_a_program_does_what_users_do_on_both_sides() -> None:
    actions = generate(PLANS, operations=300, seed=7, concurrency=4).actions
    kinds = Counter((a.kind, a.side, a.bc_only) for a in actions)
    for wanted in [
        ("create", CRM, False),
        ("edit", CRM, False),
        ("clear", CRM, False),
        ("delete", CRM, False),
        ("edit", BC, False),
        ("clear", BC, False),
        ("delete", BC, False),
        ("create", BC, True),
        ("edit", BC, True),
        ("pause", CRM, False),
    ]:
        assert kinds[wanted] > 0, f"expected {wanted} in 300 operations, found {kinds}"
    assert sum(1 for a in actions if a.kind != "pause") >= 300
    assert any(a.refused for a in actions), "now and then a value Business Central refuses"
    groups = Counter(a.group for a in actions)
    assert max(groups.values()) > 1, "bursts and both-sides edits share a moment"
    same_pair = [g for g, n in groups.items() if n == 2 and len({a.record for a in actions if a.group == g}) == 1]
    assert same_pair, "both sides of one pair edited at the same moment"
    created = set()
    for action in actions:
        if action.kind == "create":
            created.add(action.record)
        elif action.kind != "pause":
            assert action.record in created, f"{action} acts on a record not created before it"
    unmapped = {name for a in actions for name in a.values if name in ("email", "city", "website")}
    assert unmapped, "properties the checklist does not map are written too"


def _actions() -> list[Action]:
    return [
        Action("create", CRM, "contacts", "c1", {"directPhone": "22 33 44 55"}),
        Action("create", CRM, "contacts", "c2", {"directPhone": "22 33 44 56"}, group=1),
        Action("edit", CRM, "contacts", "c2", {"directPhone": "22 33 44 57"}, group=2),
        Action("pause", CRM, "", "", seconds=1.0, group=3),
        Action("edit", BC, "contacts", "c1", {"phoneNumber": "66 77 88 99"}, group=4),
        Action("edit", CRM, "contacts", "c1", {"mobilePhone": "912 34 567"}, group=5),
        Action("clear", CRM, "contacts", "c2", {"directPhone": ""}, group=6),
    ]


def test_shrinking_keeps_what_the_failure_needs_and_confirms_it() -> None:
    actions = _actions()
    culprit = actions[4]  # the failure needs c1's Business Central edit (and so c1's creation)
    tried: list[int] = []

    def run(candidate: Sequence[Action]) -> Replay:
        tried.append(len(candidate))
        fails = culprit in candidate
        violations = [Violation(4, "c1", "Business Central's edit lost")] if fails else []
        return Replay(tuple(candidate), (), Verdict(violations=violations))

    first = Verdict(violations=[Violation(4, "c1", "Business Central's edit lost")])
    shrunk = shrink(actions, first, run, rule=4, limit=20)
    assert list(shrunk.minimal.actions) == [actions[0], culprit], shrunk.minimal.actions
    assert shrunk.confirmed and shrunk.runs[-1] == (2, True), shrunk.runs
    assert len(tried) <= 20 and tried[0] == 3, f"first the actions on the record named, then chunks: {tried}"


def test_shrinking_stops_at_its_bound() -> None:
    def run(candidate: Sequence[Action]) -> Replay:
        return Replay(tuple(candidate), (), Verdict(violations=[Violation(1, "c1", "two")]))

    shrunk = shrink(_actions(), Verdict(violations=[Violation(1, "*", "x")]), run, rule=1, limit=3)
    assert len(shrunk.runs) == 3, shrunk.runs


def _events(actions: Sequence[Action], gaps: Sequence[float]) -> list[Event]:
    t0 = datetime(2026, 11, 29, 12, tzinfo=UTC)
    at = 0.0
    events = []
    for index, (action, gap) in enumerate(zip(actions, gaps, strict=True)):
        at += gap
        events.append(Event(index, action, at, stamp=t0 + timedelta(seconds=at)))
    return events


def test_the_reproduction_is_a_scenario_in_the_features_step_language() -> None:
    actions = [
        Action("create", CRM, "contacts", "c1", {"directPhone": "22 33 44 55"}),
        Action("edit", CRM, "contacts", "c1", {"directPhone": "22 33 44 57"}),
        Action("edit", BC, "contacts", "c1", {"mobilePhoneNumber": "912 34 567"}),
    ]
    text = scenario(
        _events(actions, [0, 20, 30]), [Violation(3, "c1", "lost")], BY_FLOW, window=5.0, title="a lost phone"
    )
    assert text.splitlines() == [
        "    @rule:3 @severity:critical",
        "    Scenario: a lost phone",
        "      Given a contact linked to a Business Central contact",
        "      When a CRMOffice user changes the contact's directPhone",
        "      And the sync runs",
        "      And a Business Central user changes the contact's mobilePhoneNumber",
        "      And the sync runs",
        "      Then the CRMOffice contact's mobilePhone is the new mobilePhoneNumber",
    ], text
    feature = "Feature: pasted\n\n  Rule: r\n\n" + text
    parsed = Parser().parse(feature)
    steps = [
        step["text"]
        for child in parsed["feature"]["children"]
        for s in child["rule"]["children"]
        for step in s["scenario"]["steps"]
    ]
    assert len(steps) == 6, steps


def test_a_duplicate_and_a_business_central_only_record_print_their_rules() -> None:
    created = [Action("create", CRM, "companies", "c3", {})]
    text = scenario(_events(created, [0]), [Violation(1, "c3", "two")], BY_FLOW, window=5.0)
    assert "Given a CRMOffice company\n      When the sync runs\n" in text, text
    assert "Then Business Central holds exactly one company customer for it" in text, text
    bc_only = [Action("create", BC, "contacts", "b1", {"phoneNumber": "22 33 44 55"})]
    text = scenario(_events(bc_only, [0]), [Violation(7, "b1", "copied")], BY_FLOW, window=5.0)
    assert "Given a person contact created by a Business Central user" in text, text
    assert "Then CRMOffice has no contact of that name" in text, text


def test_a_value_that_never_arrived_prints_the_row_outline_s_steps() -> None:
    created = [Action("create", CRM, "contacts", "c1", {"directPhone": "22 33 44 55", "mobilePhone": "912 34 567"})]
    lost = Violation(
        3, "c1", "mobilePhone ↔ mobilePhoneNumber: expected Business Central to show '912 34 567', found ''"
    )
    text = scenario(_events(created, [0]), [lost], BY_FLOW, window=5.0, title="lost")
    assert text.splitlines()[2:] == [
        "      Given a CRMOffice contact with a mobilePhone",
        "      When the sync runs",
        "      Then its Business Central contact's mobilePhoneNumber is that mobilePhone",
    ], text


def test_a_missed_barrier_does_not_stand_for_a_records_violation_while_shrinking() -> None:
    actions = _actions()

    def run(candidate: Sequence[Action]) -> Replay:
        # Every run misses a barrier; only runs with c1's Business Central edit break the record itself.
        violations = [Violation(3, "*", "marker not carried")]
        if actions[4] in candidate:
            violations.append(Violation(3, "c1", "lost"))
        return Replay(tuple(candidate), (), Verdict(violations=violations))

    first = Verdict(violations=[Violation(3, "*", "marker"), Violation(3, "c1", "lost")])
    shrunk = shrink(actions, first, run, rule=3, limit=20)
    assert list(shrunk.minimal.actions) == [actions[0], actions[4]], shrunk.minimal.actions


def test_an_unmapped_value_copied_prints_the_detail_steps() -> None:
    created = [Action("create", CRM, "contacts", "c1", {"email": "kari@firma.no"})]
    copied = Violation(3, "c1", "unmapped CRMOffice values copied to the other side: {'email': 'kari@firma.no'}")
    text = scenario(_events(created, [0]), [copied], BY_FLOW, window=5.0, title="copied")
    assert text.splitlines()[2:] == [
        "      Given a contact linked to a Business Central contact",
        "      When a CRMOffice user changes a detail of the contact that the checklist does not map",
        "      And the sync runs",
        "      Then nothing has changed on the Business Central contact",
    ], text


def test_focus_only_gives_up_after_one_run_when_the_named_records_do_not_fail_alone() -> None:
    runs: list[int] = []

    def run(candidate: Sequence[Action]) -> Replay:
        runs.append(len(candidate))
        return Replay(tuple(candidate), (), Verdict())

    first = Verdict(violations=[Violation(4, "c1", "timing")])
    assert shrink(_actions(), first, run, rule=4, limit=20, focus_only=True) is None
    assert runs == [3], runs  # c1: its creation and two edits


def test_the_most_often_broken_rule_is_shrunk_first_and_markers_last() -> None:
    from harness.soak.session import _shrink_targets

    verdict = Verdict(
        violations=[
            Violation(8, "c1", "echo"),
            Violation(3, "c2", "a"),
            Violation(3, "c3", "b"),
            Violation(3, "*", "m"),
        ]
    )
    assert _shrink_targets(verdict) == [3, 8]
    assert _shrink_targets(Verdict(violations=[Violation(6, "*", "full read missed")])) == [6]


def test_an_echo_prints_the_features_quiet_second_sync() -> None:
    created = [Action("create", CRM, "contacts", "c1", {"directPhone": "22 33 44 55"})]
    text = scenario(_events(created, [0]), [Violation(8, "c1", "echo")], BY_FLOW, window=5.0, title="echo")
    assert text.splitlines()[2:] == [
        "      Given 5 CRMOffice contacts with a value in every mapped property",
        "      And the sync has run",
        "      When the sync runs again",
        "      Then the sync wrote nothing to either system",
        "      And no CRMOffice contact has been written to since its user created it",
    ], text
