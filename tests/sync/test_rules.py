"""The sync contract (docs/contract.md), one rule at a time: each test names the rule it proves."""

from __future__ import annotations

import pytest

from tests.sync.helpers import COMPANIES, CONTACTS, World


def person_contacts(world: World) -> list[dict[str, object]]:
    return [c for c in world.bc_records("contacts") if c["type"] == "Person"]


def test_rule_1_every_contact_and_company_gets_exactly_one_counterpart(world: World) -> None:
    contact = world.crm_contact("Kari", "Nordmann")
    company = world.crm_company("Fjordkraft AS")
    for _ in range(3):
        world.sync()
    people = person_contacts(world)
    assert [p["displayName"] for p in people] == ["Kari Nordmann"], f"expected one person contact, found {people}"
    customers = world.bc_records("customers")
    assert [(c["displayName"], c["type"]) for c in customers] == [("Fjordkraft AS", "Company")], customers
    assert world.counterpart(CONTACTS, contact) == people[0]["id"]
    assert world.counterpart(COMPANIES, company) == customers[0]["id"]


def test_rule_2_display_name_is_set_on_create_only(world: World) -> None:
    contact = world.crm_contact("Kari", "Nordmann")
    world.sync()
    world.tick()
    world.crm_edit("contacts", contact, givenName="Karianne", directPhone="22 33 44 55")
    world.sync()
    person = world.bc_record("contacts", world.counterpart(CONTACTS, contact))
    assert (person["displayName"], person["phoneNumber"]) == ("Kari Nordmann", "22 33 44 55"), person


def test_rule_2_a_long_name_is_cut_to_business_centrals_100_characters(world: World) -> None:
    contact = world.crm_contact("G" * 50, "F" * 50)
    report = world.sync()
    assert report.failures == [], report.failures
    person = world.bc_record("contacts", world.counterpart(CONTACTS, contact))
    assert len(str(person["displayName"])) == 100, person["displayName"]


@pytest.mark.parametrize(
    ("crm_property", "bc_property", "value"),
    [("directPhone", "phoneNumber", "+47 22 33 44 55"), ("mobilePhone", "mobilePhoneNumber", "912 34 567")],
)
def test_rule_3_each_checklist_row_mirrors_both_ways(
    world: World, crm_property: str, bc_property: str, value: str
) -> None:
    contact = world.crm_contact()
    world.sync()
    target = world.counterpart(CONTACTS, contact)
    world.tick()
    world.crm_edit("contacts", contact, **{crm_property: value})
    world.sync()
    assert world.bc_record("contacts", target)[bc_property] == value, f"CRMOffice {crm_property} -> {bc_property}"
    world.tick()
    world.bc_edit("contacts", target, **{bc_property: "+47 400 00 000"})
    world.sync()
    assert world.crm_record("contacts", contact)[crm_property] == "+47 400 00 000", f"{bc_property} -> {crm_property}"


def test_rule_3_nothing_unmapped_is_written(world: World) -> None:
    contact = world.crm_contact(email="kari@example.no")
    company = world.crm_company()
    world.sync()
    target, customer = world.counterpart(CONTACTS, contact), world.counterpart(COMPANIES, company)
    world.tick()
    world.bc_edit("contacts", target, city="Bergen", email="ola@example.no")
    world.bc_edit("customers", customer, phoneNumber="55 55 55 55")
    world.crm_edit("contacts", contact, email="kari.n@example.no")
    world.crm_edit("companies", company, name="Fjordkraft Energi AS")
    world.clear_counts()
    report = world.sync()
    assert world.writes() == {"crmoffice": 0, "businesscentral": 0}, f"expected no write, report {report.to_dict()}"
    assert world.crm_record("contacts", contact)["email"] == "kari.n@example.no"
    assert world.bc_record("customers", customer)["displayName"] == "Fjordkraft AS"


def test_rule_4_latest_version_wins(world: World) -> None:
    contact = world.crm_contact(directPhone="11 11 11 11")
    world.sync()
    target = world.counterpart(CONTACTS, contact)
    world.tick()
    world.crm_edit("contacts", contact, directPhone="22 22 22 22")
    world.tick()
    world.bc_edit("contacts", target, phoneNumber="33 33 33 33")
    report = world.sync()
    assert world.crm_record("contacts", contact)["directPhone"] == "33 33 33 33", "Business Central was later"
    assert any("target wins (target modified later)" in c for r in report.records for c in r.conflicts), report
    world.tick()
    world.bc_edit("contacts", target, phoneNumber="44 44 44 44")
    world.tick()
    world.crm_edit("contacts", contact, directPhone="55 55 55 55")
    world.sync()
    assert world.bc_record("contacts", target)["phoneNumber"] == "55 55 55 55", "CRMOffice was later"


def test_rule_4_on_a_tie_the_origin_wins(world: World) -> None:
    contact = world.crm_contact(mobilePhone="900 00 000")
    world.sync()
    target = world.counterpart(CONTACTS, contact)
    world.tick()
    world.crm_edit("contacts", contact, mobilePhone="911 11 111")
    world.bc_edit("contacts", target, mobilePhoneNumber="922 22 222")
    report = world.sync()
    assert world.bc_record("contacts", target)["mobilePhoneNumber"] == "911 11 111"
    assert world.crm_record("contacts", contact)["mobilePhone"] == "911 11 111"
    assert any("the origin wins" in c for r in report.records for c in r.conflicts), report.to_dict()


@pytest.mark.parametrize("side", ["crmoffice", "businesscentral"])
def test_rule_5_empty_never_overwrites(world: World, side: str) -> None:
    contact = world.crm_contact(directPhone="22 33 44 55")
    world.sync()
    target = world.counterpart(CONTACTS, contact)
    world.tick()
    if side == "crmoffice":
        world.crm_edit("contacts", contact, directPhone=None)
    else:
        world.bc_edit("contacts", target, phoneNumber="")
    world.clear_counts()
    world.sync()
    assert world.writes() == {"crmoffice": 0, "businesscentral": 0}, "a cleared value is not propagated"
    kept = (
        world.bc_record("contacts", target)["phoneNumber"]
        if side == "crmoffice"
        else world.crm_record("contacts", contact)["directPhone"]
    )
    assert kept == "22 33 44 55", f"the other side keeps its value after a clear in {side}, found {kept!r}"


def test_rule_6_a_deleted_counterpart_is_created_again(world: World) -> None:
    contact = world.crm_contact(directPhone="22 33 44 55")
    world.sync()
    first = world.counterpart(CONTACTS, contact)
    world.bc_delete("contacts", first)
    report = world.sync(reconcile=True)
    second = world.counterpart(CONTACTS, contact)
    assert second != first
    assert world.bc_record("contacts", second)["phoneNumber"] == "22 33 44 55"
    assert [r.action for r in report.for_record(contact)] == ["recreated"], report.to_dict()


def test_rule_6_a_deleted_counterpart_found_by_an_update_is_created_again(world: World) -> None:
    contact = world.crm_contact()
    world.sync()
    world.bc_delete("contacts", world.counterpart(CONTACTS, contact))
    world.tick()
    world.crm_edit("contacts", contact, mobilePhone="912 34 567")
    world.sync()
    assert [p["mobilePhoneNumber"] for p in person_contacts(world)] == ["912 34 567"]


def test_rule_6_a_deleted_origin_leaves_its_counterpart_and_retires_the_link(world: World) -> None:
    contact = world.crm_contact(directPhone="22 33 44 55")
    world.sync()
    target = world.counterpart(CONTACTS, contact)
    world.crm_delete("contacts", contact)
    report = world.sync(reconcile=True)
    assert world.bc_record("contacts", target)["phoneNumber"] == "22 33 44 55", "the counterpart is left alone"
    assert [r.action for r in report.for_record(contact)] == ["retired"], report.to_dict()
    world.tick()
    world.bc_edit("contacts", target, phoneNumber="99 99 99 99")
    world.clear_counts()
    world.sync(reconcile=True)
    assert world.writes() == {"crmoffice": 0, "businesscentral": 0}, "a retired link syncs nothing"


def test_rule_7_business_central_records_are_not_copied_to_crmoffice(world: World) -> None:
    own = world.bc_create("contacts", displayName="Bare i BC", type="Person", phoneNumber="77 77 77 77")
    world.bc_create("customers", displayName="Kunde AS")
    world.clear_counts()
    world.sync(reconcile=True)
    assert world.crm.dump()["contacts"] == [] and world.crm.dump()["companies"] == []
    assert world.bc_record("contacts", own)["phoneNumber"] == "77 77 77 77"
    assert world.writes() == {"crmoffice": 0, "businesscentral": 0}


def test_rule_8_a_second_sync_without_edits_writes_nothing(world: World) -> None:
    for index in range(5):
        world.crm_contact(f"P{index}", "Hansen", directPhone=f"2233445{index}", mobilePhone=f"91234 56{index}")
    world.crm_company()
    first = world.sync()
    assert first.writes == 6, first.to_dict()["counts"]
    world.clear_counts()
    second = world.sync()
    assert (second.writes, world.writes()) == (0, {"crmoffice": 0, "businesscentral": 0}), second.to_dict()
    world.tick()
    world.clear_counts()
    third = world.sync(reconcile=True)
    assert (third.writes, world.writes()) == (0, {"crmoffice": 0, "businesscentral": 0}), third.to_dict()


def served(world: World) -> dict[str, int]:
    return {"crmoffice": world.crm.served(), "businesscentral": world.bc.served()}


def test_rule_11_a_quiet_cycle_reads_nothing_once_the_tenants_clock_has_moved_on(world: World) -> None:
    for index in range(40):
        world.crm_contact(f"P{index}", "Hansen", directPhone=f"223344{index:02d}")
    world.sync()  # 40 counterparts, written in one $batch at one moment of the frozen clock
    world.tick(60)
    world.sync()  # reads that last burst once more: the overlap window is behind the newest change
    world.tick(60)
    world.clear_counts()
    quiet = world.sync()
    assert served(world) == {"crmoffice": 0, "businesscentral": 0}, (
        f"expected a quiet cycle to read no record, the tenants served {served(world)}; report {quiet.to_dict()}"
    )
    contact = world.crm_contact("Ny", "Person", directPhone="22334499")
    world.tick(60)
    world.clear_counts()
    world.sync()
    assert served(world)["crmoffice"] <= 2 and served(world)["businesscentral"] <= 2, (
        f"expected a cycle after one new contact {contact} to read about that one, the tenants served {served(world)}"
    )


def test_rule_11_a_change_in_the_same_moment_as_the_read_is_not_missed(world: World) -> None:
    contact = world.crm_contact("Kari", "Hansen", directPhone="22334455")
    world.sync()
    # The clock stands still: this edit carries the very moment the last read ran at.
    world.crm_edit("contacts", contact, directPhone="99887766")
    world.sync()
    target = world.bc_record("contacts", world.counterpart(CONTACTS, contact))
    assert target["phoneNumber"] == "99887766", f"expected the edit made at the read's moment synced, got {target}"


def test_rule_9_a_refused_value_fails_that_record_only_and_syncs_once_fixed(world: World) -> None:
    bad = world.crm_contact("Ola", "Hansen", directPhone="22 33 44 55 ext. 12")
    good = world.crm_contact("Kari", "Nordmann", directPhone="22 33 44 56")
    report = world.sync()
    assert [(f.origin_id, f.error and f.error["code"]) for f in report.failures] == [
        (bad, "Application_FieldValidationException")
    ], report.to_dict()
    assert [p["displayName"] for p in person_contacts(world)] == ["Kari Nordmann"]
    assert world.crm_record("contacts", bad)["directPhone"] == "22 33 44 55 ext. 12", "nothing is lost"
    assert world.counterpart(CONTACTS, good)
    world.tick()
    world.crm_edit("contacts", bad, directPhone="22 33 44 55")
    fixed = world.sync()
    assert fixed.failures == [], fixed.to_dict()
    assert world.bc_record("contacts", world.counterpart(CONTACTS, bad))["phoneNumber"] == "22 33 44 55"


def test_rule_9_a_refused_update_keeps_the_link_and_reports_the_code(world: World) -> None:
    contact = world.crm_contact(mobilePhone="912 34 567")
    world.sync()
    world.tick()
    world.crm_edit("contacts", contact, mobilePhone="9" * 31)
    report = world.sync()
    assert [(f.action, f.error and f.error["code"]) for f in report.failures] == [
        ("failed", "Application_StringExceededLength")
    ]
    assert world.bc_record("contacts", world.counterpart(CONTACTS, contact))["mobilePhoneNumber"] == "912 34 567"


def test_rule_10_throttling_and_dropped_connections_are_retried(world: World) -> None:
    world.crm_contact(directPhone="22 33 44 55")
    world.bc.add_fault(method="POST", path="*/$batch", status=429, retry_after=2, times=2)
    world.bc.add_fault(method="GET", path="*/contacts", status=503, times=1)
    world.crm.add_fault(method="GET", path="/contacts", drop=True, times=1)
    report = world.sync()
    assert report.failures == [], report.to_dict()
    assert len(person_contacts(world)) == 1
    assert world.bc.faults.pending == 0 and world.crm.faults.pending == 0
    assert 2.0 in world.sleeps, f"the Retry-After was honoured: {world.sleeps}"


def test_rule_10_a_stale_etag_is_read_again_and_decided_again(world: World) -> None:
    contact = world.crm_contact(directPhone="11 11 11 11", mobilePhone="900 00 000")
    world.sync()
    target = world.counterpart(CONTACTS, contact)
    world.tick()
    world.crm_edit("contacts", contact, directPhone="22 22 22 22")
    # A Business Central user edits the record after the sync read it and before it writes.
    original = world.pair.businesscentral.batch

    def edit_then_batch(operations, **kwargs):  # type: ignore[no-untyped-def]
        world.bc_edit("contacts", target, mobilePhoneNumber="955 55 555")
        world.pair.businesscentral.batch = original  # type: ignore[method-assign]
        return original(operations, **kwargs)

    world.pair.businesscentral.batch = edit_then_batch  # type: ignore[method-assign]
    report = world.sync()
    record = world.bc_record("contacts", target)
    assert (record["phoneNumber"], record["mobilePhoneNumber"]) == ("22 22 22 22", "955 55 555"), record
    assert world.crm_record("contacts", contact)["mobilePhone"] == "955 55 555", "the concurrent edit syncs back"
    assert report.failures == [], report.to_dict()


def test_rule_10_a_crmoffice_record_edited_between_read_and_write_is_decided_again(world: World) -> None:
    contact = world.crm_contact(directPhone="11 11 11 11", mobilePhone="900 00 000")
    world.sync()
    target = world.counterpart(CONTACTS, contact)
    world.tick()
    world.bc_edit("contacts", target, phoneNumber="22 22 22 22")
    original = world.pair.crmoffice.update

    def edit_then_update(*args, **kwargs):  # type: ignore[no-untyped-def]
        world.crm_edit("contacts", contact, mobilePhone="977 77 777")  # makes the ETag the sync holds stale
        world.pair.crmoffice.update = original  # type: ignore[method-assign]
        return original(*args, **kwargs)

    world.pair.crmoffice.update = edit_then_update  # type: ignore[method-assign]
    report = world.sync()
    assert report.failures == [], report.to_dict()
    record = world.crm_record("contacts", contact)
    assert (record["directPhone"], record["mobilePhone"]) == ("22 22 22 22", "977 77 777"), record
    assert world.bc_record("contacts", target)["mobilePhoneNumber"] == "977 77 777"
