"""How a failed scenario reads: the step it stopped at first, in the feature's own words, then what was found.

A QA engineer reads a failure in the terminal, in JUnit and in Allure. Each starts with the step as the feature file
writes it, with an outline's example values in place ("Then the Business Central contact's mobilePhoneNumber is the
new mobilePhone"), and continues with the assertion's own message (expected, found, which record). An assertion is a
*product defect*: without an explicit ``--tb`` its terminal report is that text alone, no Python traceback. Any other
exception is the harness's own trouble and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PRODUCT_DEFECT", "Place", "lead_with_step", "plain_failure", "step_line", "summary_line"]

PRODUCT_DEFECT = AssertionError
"""The exception a failed expectation raises (a step's ``assert`` or the report check's :class:`ReportDisagrees`)."""


def step_line(step_type: str, name: str) -> str:
    """``Then its Business Central contact's phoneNumber is that directPhone``: the step's kind, not its "And"."""
    return f"{step_type.capitalize()} {name}"


def lead_with_step(exc: BaseException, step_type: str, name: str) -> None:
    """Put the failing step's line before an assertion's message (once), so every report of it starts there."""
    if not isinstance(exc, PRODUCT_DEFECT):
        return
    line = step_line(step_type, name)
    message = str(exc.args[0]) if exc.args else ""
    if message.startswith(line):
        return
    exc.args = (f"{line}\n{message}" if message else line, *exc.args[1:])


@dataclass(frozen=True)
class Place:
    """Where a scenario is written: its feature file (relative to the project), the line of its title, its name
    (an outline's with the example's values) and the feature's name."""

    path: str
    line: int
    name: str
    feature: str = ""


def plain_failure(place: Place, message: str) -> str:
    """A product defect as the terminal and JUnit show it: the message (its first line the failing step) without the
    ``assert`` explanation pytest appends, then where the scenario is written."""
    lines = message.splitlines()
    kept = lines[:1] + _until_explanation(lines[1:])
    return "\n".join(kept) + f"\n(scenario at {place.path}:{place.line})"


def _until_explanation(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if line.startswith("assert "):
            return lines[:index]
    return lines


def summary_line(status: str, path: str, line: int | None, name: str, first: str) -> str:
    """One line of the terminal's summary of failed scenarios: where, which, and the failing step's expectation."""
    where = f"{path}:{line + 1}" if line is not None else path
    return f"{status} {where} {name}" + (f" — {first}" if first else "")
