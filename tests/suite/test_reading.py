"""Checks over many records read one listing per kind, and a listing never answers for a moment it did not see."""

from __future__ import annotations

from harness.suite.dataflow import Dataflow


def _requests(flow: Dataflow) -> dict[str, int]:
    counts = flow.tenant_counts()
    assert counts is not None
    return {side: requests for side, (_writes, _served, requests) in counts.items()}


def _linked_contacts(flow: Dataflow, count: int) -> list[tuple[str, str]]:
    people = [
        flow.crm_create("contacts", {**flow.data.person(), "directPhone": flow.data.landline()}) for _ in range(count)
    ]
    flow.run_sync()
    return [(str(p["id"]), str(flow.counterparts("contacts", p)[0]["id"])) for p in people]


def test_reading_many_records_costs_one_listing_per_kind(flow: Dataflow) -> None:
    pairs = _linked_contacts(flow, 30)
    before = _requests(flow)
    with flow.reading():
        crm = [flow.crm_get("contacts", crm_id) for crm_id, _ in pairs]
        bc = [flow.bc_get("contacts", bc_id) for _, bc_id in pairs]
        found = [flow.counterparts("contacts", record) for record in crm if record is not None]
    spent = {side: n - before[side] for side, n in _requests(flow).items()}
    assert spent == {"crmoffice": 1, "businesscentral": 1}, spent
    assert [r["id"] for r in crm if r] == [crm_id for crm_id, _ in pairs]
    assert [r["id"] for r in bc if r] == [bc_id for _, bc_id in pairs]
    assert [[r["id"] for r in f] for f in found] == [[bc_id] for _, bc_id in pairs]


def test_outside_reading_each_record_is_read_on_its_own(flow: Dataflow) -> None:
    pairs = _linked_contacts(flow, 5)
    before = _requests(flow)
    for crm_id, _ in pairs:
        flow.crm_get("contacts", crm_id)
    assert _requests(flow)["crmoffice"] - before["crmoffice"] == 5


def test_a_listing_gives_the_same_records_as_reading_them_one_by_one(flow: Dataflow) -> None:
    pairs = _linked_contacts(flow, 4)
    with flow.reading():
        listed = {
            "crm": [flow.crm_get("contacts", c) for c, _ in pairs],
            "bc": [flow.bc_get("contacts", b) for _, b in pairs],
        }
    single = {
        "crm": [flow.crm_get("contacts", c) for c, _ in pairs],
        "bc": [flow.bc_get("contacts", b) for _, b in pairs],
    }
    strip = lambda rows: [{k: v for k, v in (r or {}).items() if k != "@odata.context"} for r in rows]  # noqa: E731
    assert strip(listed["crm"]) == strip(single["crm"])
    assert strip(listed["bc"]) == strip(single["bc"])


def test_a_user_write_inside_reading_is_seen_by_the_next_read(flow: Dataflow) -> None:
    [(crm_id, bc_id)] = _linked_contacts(flow, 1)
    with flow.reading():
        assert flow.crm_get("contacts", crm_id)
        flow.crm_update("contacts", crm_id, {"directPhone": "41234567"})
        assert (flow.crm_get("contacts", crm_id) or {}).get("directPhone") == "41234567"
        flow.bc_delete("contacts", bc_id)
        assert flow.bc_get("contacts", bc_id) is None


def test_a_record_the_listing_lacks_is_read_on_its_own(flow: Dataflow) -> None:
    [(crm_id, _)] = _linked_contacts(flow, 1)
    with flow.reading():
        assert flow.crm_get("contacts", crm_id)
        # Made behind the listing's back (as the product would): the listing lacks it, so it is read on its own.
        late = flow.pair.crmoffice.create("contacts", flow.data.person()).record
        assert (flow.crm_get("contacts", str(late["id"])) or {}).get("id") == late["id"]


def test_a_polled_expectation_reads_afresh_on_each_new_attempt(flow: Dataflow) -> None:
    [(crm_id, _)] = _linked_contacts(flow, 1)
    flow.converge_timeout = 5.0
    attempts: list[str | None] = []

    def shows_new_number() -> None:
        value = (flow.crm_get("contacts", crm_id) or {}).get("directPhone")
        attempts.append(value)
        if len(attempts) == 1:
            # The product writes after the listing was taken: only a fresh listing shows it.
            flow.pair.crmoffice.update("contacts", crm_id, {"directPhone": "47654321"})
        assert value == "47654321", f"expected directPhone '47654321', found {value!r}"

    with flow.reading():
        flow.eventually(shows_new_number)
    assert attempts[-1] == "47654321" and len(attempts) == 2, attempts


def test_a_sync_run_drops_the_listings(flow: Dataflow) -> None:
    [(crm_id, bc_id)] = _linked_contacts(flow, 1)
    with flow.reading():
        assert flow.bc_get("contacts", bc_id)
        flow.pair.crmoffice.update("contacts", crm_id, {"directPhone": "47111222"})
        flow.run_sync()
        assert (flow.bc_get("contacts", bc_id) or {}).get("phoneNumber") == "47111222"


def test_a_snapshot_shows_now_whatever_a_step_read_before_it(flow: Dataflow) -> None:
    pairs = _linked_contacts(flow, 5)
    crm_id = pairs[0][0]
    with flow.reading():
        assert flow.crm_get("contacts", crm_id)
        flow.pair.crmoffice.update("contacts", crm_id, {"directPhone": "47333444"})
        shot = flow.snapshot()
    [row] = [r for r in shot["crmoffice"]["contacts"] if r["id"] == crm_id]
    assert row["directPhone"] == "47333444", row
