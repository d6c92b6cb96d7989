"""Realistic Norwegian records for scenarios: names, companies, organisation numbers and phone numbers.

Everything comes from one seeded Faker (locale ``no_NO``), so a run printed with its seed can be replayed record for
record. Phone numbers follow the Norwegian numbering plan as people type them: eight digits, landlines starting 2 to 7,
mobiles 4 or 9, grouped ``22 33 44 55`` / ``912 34 567``, sometimes with ``+47``. Organisation numbers are nine digits
with a valid modulus-11 check digit, as Brønnøysundregistrene issues them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from harness.shared_tenants.runtag import RunTag

__all__ = ["NorwegianData", "is_valid_org_nr"]

_ORG_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def _org_check_digit(first_eight: str) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(first_eight, _ORG_WEIGHTS, strict=True)) % 11
    digit = 0 if remainder == 0 else 11 - remainder
    return None if digit == 10 else digit


def is_valid_org_nr(value: str) -> bool:
    """True for nine digits whose last is the modulus-11 check digit of the first eight."""
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return False
    return _org_check_digit(value[:8]) == int(value[8])


@dataclass
class NorwegianData:
    """One scenario's source of data; ``seed`` is printed in the report so the run can be replayed."""

    seed: int
    tag: RunTag | None = None
    """On shared tenants: appended to every family name and company name, so the run's records are recognisable."""
    _faker: Faker = field(init=False, repr=False)
    _rng: random.Random = field(init=False, repr=False)
    _used: set[str] = field(init=False, repr=False, default_factory=set)

    def __post_init__(self) -> None:
        self._faker = Faker("no_NO")
        self._faker.seed_instance(self.seed)
        self._rng = random.Random(self.seed)

    def _unique(self, make: Any) -> str:
        # Counterparts are found by the name the sync gives them, so two records of a scenario never share one.
        for _ in range(1000):
            value = str(make())
            if value not in self._used:
                self._used.add(value)
                return value
        raise RuntimeError("could not draw a fresh name in 1000 tries")

    def org_nr(self) -> str:
        while True:
            first = str(self._rng.choice((8, 9))) + "".join(str(self._rng.randrange(10)) for _ in range(7))
            digit = _org_check_digit(first)
            if digit is not None:
                return first + str(digit)

    def company(self) -> dict[str, Any]:
        name = self._unique(self._faker.company)
        return {"name": self.tag.apply(name, 100) if self.tag else name, "orgNr": self.org_nr()}

    def person(self) -> dict[str, Any]:
        name = self._unique(lambda: f"{self._faker.first_name()}\t{self._faker.last_name()}")
        given, family = name.split("\t")
        return {"givenName": given, "familyName": self.tag.apply(family, 50) if self.tag else family}

    def _number(self, first: str, groups: tuple[int, ...]) -> str:
        digits = self._rng.choice(first) + "".join(str(self._rng.randrange(10)) for _ in range(7))
        parts, at = [], 0
        for size in groups:
            parts.append(digits[at : at + size])
            at += size
        grouped = " ".join(parts)
        return str(self._rng.choice((grouped, "+47 " + grouped, digits)))

    def landline(self) -> str:
        return self._unique(lambda: self._number("234567", (2, 2, 2, 2)))

    def mobile(self) -> str:
        return self._unique(lambda: self._number("49", (3, 2, 3)))

    def phone_for(self, prop: str) -> str:
        """A number of the kind a property holds: a mobile for ``mobile*`` properties, a landline otherwise."""
        return self.mobile() if prop.casefold().startswith("mobile") else self.landline()

    def website(self) -> str:
        # Unique, like names: a scenario about two edits of one property tells them apart by value, and a common
        # family name makes a domain repeat within twenty draws.
        return self._unique(lambda: f"https://www.{self._faker.domain_name()}")

    def text_for(self, prop: str, limit: int) -> str:
        """Free text of at most ``limit`` characters, of the sort the property holds (a town for a city, a street
        address for an address line, a job for a title, a few words otherwise), never one the scenario used."""
        name = prop.casefold()
        source: Any = (
            self._faker.city
            if "city" in name
            else self._faker.street_address
            if "address" in name
            else self._faker.job
            if "title" in name
            else lambda: self._faker.sentence(nb_words=4).rstrip(".")
        )
        return self._unique(lambda: str(source())[:limit].strip())

    def choice(self, options: list[str]) -> str:
        return str(self._rng.choice(options))

    def code(self, limit: int) -> str:
        """An upper-case code (Business Central upper-cases codes on write), at most ``limit`` characters."""
        return self._unique(lambda: self._faker.bothify("???-####").upper()[:limit])

    def email(self, person: dict[str, Any]) -> str:
        local = f"{person.get('givenName', '')}.{person.get('familyName', '')}".casefold()
        local = "".join(ch for ch in local if ch.isascii() and (ch.isalnum() or ch == ".")).strip(".") or "kontakt"
        domain = self._faker.free_email_domain()
        # Unique, like names; the few free-mail domains cannot make it so, and names that differ only in letters
        # outside ASCII (Bjørn, Bjorn) share a local part, so a number tells them apart.
        address, n = f"{local}@{domain}", 1
        while address in self._used:
            n += 1
            address = f"{local}{n}@{domain}"
        self._used.add(address)
        return address
