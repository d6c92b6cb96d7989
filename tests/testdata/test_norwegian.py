"""``NorwegianData``: replayable, realistic Norwegian records that both fake tenants accept."""

from __future__ import annotations

import re
from typing import Any

import pytest

from harness.fake_pair import fake_pair
from harness.testdata.norwegian import NorwegianData, is_valid_org_nr

PHONE_SHAPE = re.compile(r"(?:\+47 )?(?:\d{2} \d{2} \d{2} \d{2}|\d{3} \d{2} \d{3}|\d{8})")


def _draw(data: NorwegianData) -> list[Any]:
    person = data.person()
    return [person, data.email(person), data.company(), data.org_nr(), data.landline(), data.mobile()]


def _digits(number: str) -> str:
    bare = number.replace(" ", "")
    return bare.removeprefix("+47")


def test_the_same_seed_replays_the_same_records() -> None:
    one, two = NorwegianData(1234), NorwegianData(1234)
    first, second = [_draw(one) for _ in range(20)], [_draw(two) for _ in range(20)]
    assert first == second, (
        f"expected 20 draws from seed 1234 twice to be equal, found {first[0]} and {second[0]} first"
    )


def test_different_seeds_give_different_records() -> None:
    one, two = _draw(NorwegianData(1)), _draw(NorwegianData(2))
    assert one != two, f"expected seeds 1 and 2 to differ, both gave {one}"


def test_a_seed_replays_whatever_other_instances_drew_before() -> None:
    expected = _draw(NorwegianData(77))
    for seed in (1, 2, 3):
        _draw(NorwegianData(seed))
    found = _draw(NorwegianData(77))
    assert found == expected, f"expected seed 77 to replay {expected}, found {found}"


@pytest.mark.parametrize(("value", "valid"), [("923609016", True), ("923609017", False)])
def test_known_organisation_numbers(value: str, valid: bool) -> None:
    assert is_valid_org_nr(value) is valid, f"is_valid_org_nr({value!r}): expected {valid}, found {not valid}"


FULLWIDTH_ORG_NR = "".join(chr(0xFF10 + int(d)) for d in "923609016")


@pytest.mark.parametrize("value", ["", "92360901", "9236090160", "92360901a", FULLWIDTH_ORG_NR, " 923609016"])
def test_malformed_organisation_numbers_are_invalid(value: str) -> None:
    assert not is_valid_org_nr(value), f"is_valid_org_nr({value!r}): expected False, found True"


def test_drawn_organisation_numbers_are_valid() -> None:
    data = NorwegianData(5)
    numbers = [data.org_nr() for _ in range(200)] + [data.company()["orgNr"] for _ in range(50)]
    bad = [n for n in numbers if not is_valid_org_nr(n) or n[0] not in "89"]
    assert bad == [], f"expected nine-digit valid organisation numbers starting 8 or 9, found {bad}"


def test_landlines_are_eight_digits_starting_2_to_7() -> None:
    data = NorwegianData(11)
    numbers = [data.landline() for _ in range(200)]
    bad = [n for n in numbers if not PHONE_SHAPE.fullmatch(n) or not re.fullmatch(r"[2-7]\d{7}", _digits(n))]
    assert bad == [], f"expected landlines of 8 digits starting 2-7, optionally +47 and grouped, found {bad}"


def test_mobiles_are_eight_digits_starting_4_or_9() -> None:
    data = NorwegianData(12)
    numbers = [data.mobile() for _ in range(200)]
    bad = [n for n in numbers if not PHONE_SHAPE.fullmatch(n) or not re.fullmatch(r"[49]\d{7}", _digits(n))]
    assert bad == [], f"expected mobiles of 8 digits starting 4 or 9, optionally +47 and grouped, found {bad}"


def test_all_three_ways_of_writing_a_number_occur() -> None:
    data = NorwegianData(13)
    numbers = [data.landline() for _ in range(100)] + [data.mobile() for _ in range(100)]
    shapes = {"+47": any(n.startswith("+47 ") for n in numbers), "bare": any(n.isdigit() for n in numbers)}
    shapes["grouped"] = any(" " in n and not n.startswith("+") for n in numbers)
    assert all(shapes.values()), f"expected grouped, +47 and bare numbers among 200 draws, found {shapes}"


@pytest.mark.parametrize(
    ("prop", "first"), [("mobilePhone", "49"), ("mobilePhoneNumber", "49"), ("directPhone", "234567")]
)
def test_phone_for_picks_the_kind_the_property_holds(prop: str, first: str) -> None:
    data = NorwegianData(14)
    leads = {_digits(data.phone_for(prop))[0] for _ in range(50)}
    assert leads <= set(first), f"phone_for({prop!r}): expected numbers starting with one of {first}, found {leads}"


def test_names_and_numbers_are_unique_within_one_instance() -> None:
    data = NorwegianData(3)
    people = [data.person() for _ in range(300)]
    names = [f"{p['givenName']} {p['familyName']}" for p in people]
    companies = [data.company()["name"] for _ in range(300)]
    landlines = [data.landline() for _ in range(300)]
    mobiles = [data.mobile() for _ in range(300)]
    websites = [data.website() for _ in range(300)]
    emails = [data.email(data.person()) for _ in range(300)]
    same_person = [data.email({"givenName": "Bjørn", "familyName": "Ås"}) for _ in range(20)]
    for what, values in (
        ("people", names),
        ("companies", companies),
        ("landlines", landlines),
        ("mobiles", mobiles),
        ("websites", websites),
        ("e-mail addresses", emails + same_person),
    ):
        repeated = sorted({v for v in values if values.count(v) > 1})
        assert repeated == [], f"expected {len(values)} distinct {what}, found repeats {repeated}"


def test_emails_are_ascii_addresses_built_from_the_name() -> None:
    data = NorwegianData(21)
    for _ in range(100):
        person = data.person()
        email = data.email(person)
        assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.-]+\.[a-z]+", email), f"expected an ASCII address, found {email!r}"
        local = email.split("@")[0]
        assert not local.startswith(".") and not local.endswith("."), f"expected no dot at the ends of {email!r}"


def test_both_fakes_accept_the_values() -> None:
    data = NorwegianData(99)
    with fake_pair("mock", seed=99) as pair:
        for _ in range(40):
            person = data.person()
            body = {**person, "email": data.email(person), "directPhone": data.landline(), "mobilePhone": data.mobile()}
            created = pair.crmoffice.create("contacts", body).record
            assert {k: created.get(k) for k in body} == body, f"CRMOffice contact: expected {body}, found {created}"

            company = data.company()
            created = pair.crmoffice.create("companies", company).record
            assert {k: created.get(k) for k in company} == company, (
                f"CRMOffice company: expected {company}, found {created}"
            )

            person = data.person()
            bc_body = {
                "displayName": f"{person['givenName']} {person['familyName']}",
                "type": "Person",
                "email": data.email(person),
                "phoneNumber": data.landline(),
                "mobilePhoneNumber": data.mobile(),
            }
            created = pair.businesscentral.create("contacts", bc_body).record
            found = {k: created.get(k) for k in bc_body}
            assert found == bc_body, f"Business Central contact: expected {bc_body}, found {found}"

            customer = {"displayName": data.company()["name"], "type": "Company", "phoneNumber": data.landline()}
            created = pair.businesscentral.create("customers", customer).record
            found = {k: created.get(k) for k in customer}
            assert found == customer, f"Business Central customer: expected {customer}, found {found}"
