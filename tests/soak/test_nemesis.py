"""The soak's nemesis: trouble drawn from the seed between the users' actions, never inside a burst, the users'
actions unchanged; each trouble becomes the proxy's fault rule, is described in the features' own sentences, and is
kept through shrinking and printed in the reproduction."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harness.checklist import parse_file
from harness.soak.checker import Verdict, Violation
from harness.soak.gherkin import scenario
from harness.soak.history import BC, CRM, Action, Event
from harness.soak.nemesis import KINDS, add_nemesis, inject, sentence
from harness.soak.program import generate
from harness.soak.session import _shrink_targets
from harness.soak.shrink import Replay, shrink
from harness.sync import plan_dataflow
from tests.helpers import steps_matching

ROOT = Path(__file__).resolve().parents[2]
PLANS = plan_dataflow(parse_file(ROOT / "features" / "crmoffice-businesscentral.rst"))
BY_FLOW = {plan.origin: plan for plan in PLANS}


def program(seed: int = 3) -> list[Action]:
    return generate(PLANS, operations=400, seed=seed).actions


def test_the_same_seed_and_rate_give_the_same_trouble_and_the_users_actions_are_unchanged() -> None:
    actions = program()
    with_trouble = add_nemesis(actions, rate=0.1, seed=3, crash=True)
    assert with_trouble == add_nemesis(actions, rate=0.1, seed=3, crash=True)
    assert with_trouble != add_nemesis(actions, rate=0.1, seed=4, crash=True)
    assert [a for a in with_trouble if a.kind != "trouble"] == actions


def test_the_rate_is_the_share_of_actions_with_trouble_before_them() -> None:
    actions = program()
    troubles = [a for a in add_nemesis(actions, rate=0.1, seed=3, crash=True) if a.kind == "trouble"]
    groups = len({a.group for a in actions if a.kind != "pause"})
    assert 0.05 * groups < len(troubles) < 0.15 * groups, (len(troubles), groups)
    assert set(Counter(a.values["fault"] for a in troubles)) == set(KINDS), "every kind is drawn"


def test_no_crash_is_drawn_when_the_proxy_did_not_start_the_product() -> None:
    troubles = [a for a in add_nemesis(program(), rate=0.3, seed=3, crash=False) if a.kind == "trouble"]
    assert troubles and all(a.values["fault"] != "crash" for a in troubles)


def test_trouble_never_splits_a_burst_and_runs_alone() -> None:
    with_trouble = add_nemesis(program(), rate=0.5, seed=3, crash=True)
    for before, trouble, after in zip(with_trouble, with_trouble[1:], with_trouble[2:], strict=False):
        if trouble.kind == "trouble":
            assert before.group != after.group or before.kind == "trouble", "inside a group of concurrent actions"
            assert trouble.group < 0 and trouble.group not in (before.group, after.group)


@pytest.mark.parametrize("rate", [0.0, -0.1, 1.5])
def test_a_rate_outside_0_to_1_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="nemesis rate"):
        add_nemesis(program(), rate=rate, seed=1, crash=False)


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({"fault": "throttle", "times": "2", "retry_after": "3"}, {"kind": "throttle", "times": 2, "retry_after": 3.0}),
        ({"fault": "unavailable", "times": "1", "retry_after": "1"},
         {"kind": "unavailable", "times": 1, "retry_after": 1.0}),
        ({"fault": "reset", "times": "2"}, {"kind": "reset", "times": 2}),
        ({"fault": "lose-answer", "times": "1"}, {"kind": "lose-answer", "method": "WRITE", "times": 1}),
        ({"fault": "crash"}, {"kind": "crash", "method": "WRITE", "times": 1}),
    ],
)  # fmt: skip
def test_each_trouble_is_one_fault_rule_at_the_proxy(values: dict[str, str], rule: dict[str, Any]) -> None:
    added: list[dict[str, Any]] = []

    class Proxy:
        def add_fault(self, tenant: str, kind: str, **scope: Any) -> None:
            added.append({"tenant": tenant, "kind": kind, **scope})

    inject(Proxy(), Action("trouble", BC, "", "", values))  # type: ignore[arg-type]
    assert added == [{"tenant": BC, **rule}]


@pytest.mark.parametrize(
    ("fault", "step", "numbers"),
    [
        ("throttle", "throttles_saying_when", {"requests": 2, "seconds": 1.0}),
        ("unavailable", "is_unavailable_saying_when", {"requests": 2, "seconds": 1.0}),
        ("reset", "drops_the_connection", {"requests": 2}),
        ("lose-answer", "loses_its_answers", {"changes": 2}),
    ],
)
def test_the_trouble_is_said_in_a_sentence_the_features_understand(
    fault: str, step: str, numbers: dict[str, float]
) -> None:
    action = Action("trouble", CRM, "", "", {"fault": fault, "times": "2", "retry_after": "1"})
    said = sentence(action)
    assert said.startswith("CRMOffice ")
    matched = steps_matching("resilience", said)
    assert matched == {step: {"side": "crmoffice", **numbers}}, f"{said!r}: matched the steps {matched}"
    assert action.describe() == f"the nemesis: {said}"


def _events(actions: list[Action], at: list[float]) -> list[Event]:
    start = datetime(2026, 12, 3, 12, tzinfo=UTC)
    return [
        Event(i, a, t, stamp=None if a.kind == "trouble" else start + timedelta(seconds=t))
        for i, (a, t) in enumerate(zip(actions, at, strict=True))
    ]


def test_the_reproduction_gives_the_kept_trouble_as_given_steps() -> None:
    actions = [
        Action("create", CRM, "contacts", "c1", {"directPhone": "22 33 44 55"}),
        Action("trouble", BC, "", "", {"fault": "lose-answer", "times": "1"}, group=-1),
        Action("trouble", BC, "", "", {"fault": "crash"}, group=-2),
    ]
    text = scenario(_events(actions, [0, 1, 2]), [Violation(1, "c1", "two")], BY_FLOW, window=5.0)
    lines = [line.strip() for line in text.splitlines()]
    assert lines[2:5] == [
        "Given a CRMOffice contact",
        "And Business Central loses its answers to the next 1 changes after carrying them out",
        "# the nemesis at 2.0 s: the sync is stopped after its next write to Business Central and started again",
    ], text


def test_shrinking_keeps_the_trouble_a_duplicate_needs() -> None:
    create = Action("create", CRM, "contacts", "c1", {})
    lose = Action("trouble", BC, "", "", {"fault": "lose-answer", "times": "1"}, group=-1)
    others = [Action("create", CRM, "contacts", f"c{n}", {}, group=n) for n in range(2, 9)]
    runs: list[int] = []

    def run(candidate: Any) -> Replay:
        runs.append(len(candidate))
        broken = lose in candidate and create in candidate
        verdict = Verdict(violations=[Violation(1, "c1", "two")] if broken else [])
        return Replay(tuple(candidate), (), verdict)

    first = Verdict(violations=[Violation(1, "c1", "two")])
    shrunk = shrink([create, *others[:3], lose, *others[3:]], first, run, rule=1, limit=20)
    assert shrunk is not None and shrunk.confirmed
    assert list(shrunk.minimal.actions) == [create, lose], shrunk.minimal.actions


def test_a_broken_limit_is_never_shrunk() -> None:
    assert _shrink_targets(Verdict(violations=[Violation(12, "*", "Retry-After ignored")])) == []
    assert _shrink_targets(Verdict(violations=[Violation(12, "*", "x"), Violation(1, "c1", "two")])) == [1]


def test_the_summary_counts_the_trouble_apart_from_the_users_actions() -> None:
    from harness.soak.history import FinalState
    from harness.soak.program import Program
    from harness.soak.session import Outcome

    actions = [
        Action("create", CRM, "contacts", "c1", {"directPhone": "22 33 44 55"}),
        Action("trouble", BC, "", "", {"fault": "reset", "times": "1"}, group=-1),
        Action("pause", CRM, "", "", seconds=0.5),
    ]
    outcome = Outcome(Program(1, actions), _events(actions, [0, 1, 2]), FinalState(), Verdict(), 3.0, "2612031200ab")
    summary = outcome.to_dict()
    assert (summary["operations"], summary["troubles"], summary["skipped"]) == (1, 1, 0), summary
