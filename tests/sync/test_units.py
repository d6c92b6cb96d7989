"""The sync's parts on their own: the merge decision, the flow plans, the state file, the report, the CLI."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import harness.cli
from harness.checklist import Endpoint, Flow, PropertyRow, Template, parse_file
from harness.checklist.model import DataType
from harness.sync import PlanError, StateError, SyncState, decide, plan_dataflow
from harness.sync.plan import plan_flow
from harness.sync.state import Link
from tests.sync.helpers import CHECKLIST

EVERY = Template.EVERY
T0 = datetime(2024, 11, 13, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("origin", "target", "synced", "origin_at", "target_at", "write_to", "value", "rule"),
    [
        ("A", "A", "A", T0, T0, None, None, "8: nothing edited, nothing written"),
        ("B", "A", "A", T1, T0, "target", "B", "3: an origin edit goes to the target"),
        ("A", "B", "A", T0, T1, "origin", "B", "3: a target edit goes to the origin"),
        (None, "A", "A", T1, T0, None, None, "5: an origin clear is not propagated"),
        ("A", "", "A", T0, T1, None, None, "5: a target clear is not propagated"),
        ("B", "C", "A", T1, T0, "target", "B", "4: the later origin wins"),
        ("B", "C", "A", T0, T1, "origin", "C", "4: the later target wins"),
        ("B", "C", "A", T0, T0, "target", "B", "4: on a tie the origin wins"),
        (None, "C", "A", T1, T0, None, None, "4+5: a later clear wins but overwrites nothing"),
        ("B", "B", "A", T0, T1, None, None, "both edited to the same value"),
        ("B", None, None, T0, None, "target", "B", "3: a first value reaches an empty target"),
    ],
)
def test_decide(
    origin: str | None,
    target: str | None,
    synced: str | None,
    origin_at: datetime,
    target_at: datetime | None,
    write_to: str | None,
    value: str | None,
    rule: str,
) -> None:
    decision = decide(origin, target, synced, origin_at, target_at)
    assert (decision.write_to, decision.value) == (write_to, value), f"rule {rule}: {decision}"


def test_the_checklist_gives_two_flows() -> None:
    plans = plan_dataflow(parse_file(CHECKLIST))
    summary = [
        (p.origin, p.target, p.target_type, p.target_filter, [(x.origin, x.target) for x in p.pairs]) for p in plans
    ]
    assert summary == [
        ("companies", "customers", "Company", None, []),
        (
            "contacts",
            "contacts",
            "Person",
            "type eq 'Person'",
            [("directPhone", "phoneNumber"), ("mobilePhone", "mobilePhoneNumber")],
        ),
    ], summary


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        (
            Flow(Endpoint("HubSpot", "Contacts"), Endpoint("Business Central", "Contacts"), EVERY),
            "CRMOffice to Business",
        ),
        (Flow(Endpoint("CRMOffice", "Users"), Endpoint("Business Central", "Contacts"), EVERY), "no resource"),
        (Flow(Endpoint("CRMOffice", "Contacts"), Endpoint("Business Central", "Vendors"), EVERY), "no entity set"),
        (
            Flow(Endpoint("CRMOffice", "Contacts"), Endpoint("Business Central", "Contacts"), Template.LINK_ONLY),
            "not supported",
        ),
        (
            Flow(
                Endpoint("CRMOffice", "Contacts"),
                Endpoint("Business Central", "Contacts"),
                EVERY,
                properties=(PropertyRow("postAddress.postCode", "postalCode", DataType.STRING),),
            ),
            "nested paths",
        ),
    ],
)
def test_a_flow_the_sync_cannot_run_is_refused_by_name(flow: Flow, message: str) -> None:
    with pytest.raises(PlanError, match=message) as caught:
        plan_flow(flow)
    assert "section" in str(caught.value)


def test_a_checklist_with_two_sections_for_one_flow_is_refused_naming_it() -> None:
    from dataclasses import replace

    checklist = parse_file(CHECKLIST)
    contacts = next(flow for flow in checklist.flows if flow.source.datatype == "Contacts")
    twice = replace(checklist, flows=(*checklist.flows, contacts))
    with pytest.raises(
        PlanError, match=r"more than one section for the flow\(s\) \['contacts->contacts\(humandata\)'\]"
    ):
        plan_dataflow(twice)
    assert len(plan_dataflow(checklist)) == 2, "expected the checklist as it is to plan without complaint"


def test_state_round_trip_and_forward_only_cursors(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    state = SyncState(path)
    with state.transaction():
        state.save_links([Link("f", "o1", "t1", synced={"phoneNumber": "1"}, origin_modified=T0)])
        state.set_cursor("crmoffice", "contacts", T1)
        state.set_cursor("crmoffice", "contacts", T0)
    state.close()
    again = SyncState(path)
    assert again.links("f")["o1"].synced == {"phoneNumber": "1"}
    assert again.links_for("f", "target_id", ["t1"])[0].origin_modified == T0
    assert again.cursor("crmoffice", "contacts") == T1, "a cursor never moves back"
    again.close()


def test_a_state_file_of_another_version_or_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    SyncState(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StateError, match="schema version 99"):
        SyncState(path)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(StateError, match="not a sync state"):
        SyncState(other)
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all, just some words " * 50)
    with pytest.raises(StateError, match=r"notes\.txt"):
        SyncState(text)


def test_harness_sync_against_served_tenants(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from harness.fake_pair import fake_pair
    from harness.fakes import LoopbackServer

    with fake_pair("mock", seed=3) as pair:
        crm, bc = pair.crmoffice_fake, pair.businesscentral_fake
        assert crm is not None
        assert bc is not None
        with LoopbackServer(crm) as crm_server, LoopbackServer(bc) as bc_server:
            crm.base_url, bc.base_url = crm_server.url, bc_server.url
            from harness.tenants import endpoints

            tenants = tmp_path / "tenants.json"
            tenants.write_text(json.dumps(endpoints(crm.info(), bc.info())))
            crm.seed({"contacts": [{"givenName": "Kari", "familyName": "Nordmann", "directPhone": "22 33 44 55"}]})
            state = tmp_path / "state.sqlite"
            args = ["sync", "--tenants", str(tenants), "--state", str(state), "--checklist", str(CHECKLIST), "--json"]
            assert harness.cli.main(args) == 0
            report = json.loads(capsys.readouterr().out)
            assert report["counts"]["contacts->contacts(humandata)"]["created"] == 1, report["counts"]
            assert harness.cli.main(args) == 0
            again = json.loads(capsys.readouterr().out)
            assert again["records"] == [], f"a second cycle writes nothing: {again['records']}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenants", "missing.json"], "cannot read the tenants file"),
        (["--tenants", "{bad}"], "cannot read the tenants file"),
        (["--checklist", "nope.rst"], "nope.rst"),
    ],
)
def test_harness_sync_bad_input_gets_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    base = {"--tenants": str(tmp_path / "t.json"), "--state": str(tmp_path / "s.sqlite"), "--checklist": str(CHECKLIST)}
    (tmp_path / "t.json").write_text("{}")
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    status = harness.cli.main(["sync", *[x for pair in base.items() for x in pair]])
    err = capsys.readouterr().err
    assert status == 2, err
    assert message in err and "Traceback" not in err, err


def test_harness_bench_prints_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert harness.cli.main(["bench", "--companies", "20", "--contacts", "150", "--edits", "10", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"companies", "contacts", "edits", "initial", "noop", "incremental", "peak_rss_mb"} <= set(result)
    for step in ("initial", "noop", "incremental"):
        assert {"seconds", "requests", "lower_bound_requests"} <= set(result[step]), result[step]
    assert result["initial"]["lower_bound_requests"] == 1 + 1 + 1 + 2 + 2, "token, 2 pages, 2 empty reads, 2 batches"
    assert result["noop"]["requests"] == {"crmoffice": 2, "businesscentral": 2}, result["noop"]
    assert result["initial"]["writes"] == 170


def test_decide_pair_returns_each_sides_writes_the_settled_values_and_what_to_report() -> None:
    from datetime import UTC, datetime

    from harness.sync.merge import decide_pair
    from harness.sync.plan import PropertyPair
    from harness.sync.report import Change

    pairs = [PropertyPair("directPhone", "phoneNumber"), PropertyPair("mobilePhone", "mobilePhoneNumber")]
    early, late = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
    decided = decide_pair(
        pairs,
        {"directPhone": "1", "mobilePhone": "9"},
        {"phoneNumber": "0", "mobilePhoneNumber": "8"},
        {"phoneNumber": "0", "mobilePhoneNumber": "9"},
        early,
        late,
    )
    assert (decided.to_target, decided.to_origin, decided.settled) == ({"phoneNumber": "1"}, {"mobilePhone": "8"}, {})
    assert decided.changes == [
        Change("phoneNumber", "origin->target", "0", "1"),
        Change("mobilePhone", "target->origin", "9", "8"),
    ], decided.changes
    assert decided.conflicts == [], decided.conflicts
