"""What a scenario says about its record fails as an assertion when the product made it untrue, never as a crash."""

from __future__ import annotations

import pytest

from harness.suite.subject import Subject, noun


def test_a_value_no_step_wrote_is_an_assertion_naming_the_property_and_the_record() -> None:
    subject = Subject(noun("contact"), "c-1", "Kari Nordmann", bc_id="b-1", new={"phoneNumber": "22 33 44 55"})
    assert subject.written("phoneNumber") == "22 33 44 55"
    with pytest.raises(AssertionError) as failure:
        subject.written("directPhone")
    message = str(failure.value)
    for part in ("directPhone", "written: phoneNumber", "never happened", "CRMOffice id c-1, Business Central id b-1"):
        assert part in message, f"expected {part!r} in {message!r}"
