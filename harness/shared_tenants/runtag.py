"""Run ids and the tags that make a run's records recognisable on tenants shared with people and other runs.

A run id is the UTC minute the run started and two random hex digits (``2611252345a7``), so it sorts by time and
says its own age. Each scenario tags the names of the records it creates with ``qa-<run id>-<scenario>``
(``Nordmann qa-2611252345a7-1f``): the tag survives into Business Central through the display name the sync gives
a counterpart, so a scenario finds its own records by name on both sides, and ``harness cleanup`` finds a run's
leftovers by the same tag, or every run's older than a given age.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["TAG_PATTERN", "RunTag", "new_run_id", "parse_duration", "run_started", "tags_in"]

TAG_PATTERN = re.compile(r"\bqa-(?P<run>\d{10}[0-9a-f]{2})-(?P<scenario>[0-9a-f]{1,6})\b")
_RUN_ID = re.compile(r"\d{10}[0-9a-f]{2}")


def new_run_id(now: datetime | None = None) -> str:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return now.strftime("%y%m%d%H%M") + secrets.token_hex(1)


def run_started(run_id: str) -> datetime:
    """The minute a run started, from its id; ValueError naming the id when it is not one."""
    if not _RUN_ID.fullmatch(run_id):
        raise ValueError(f"{run_id!r} is not a run id (ten digits of UTC time yymmddHHMM and two hex digits)")
    return datetime.strptime(run_id[:10], "%y%m%d%H%M").replace(tzinfo=UTC)


def tags_in(text: str) -> list[tuple[str, str]]:
    """Every (run id, scenario) tag in a name."""
    return [(m["run"], m["scenario"]) for m in TAG_PATTERN.finditer(text)]


_DURATION = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>s|m|h|d|w)")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``90m``, ``12h``, ``7d``, ``1d12h`` → a timedelta; ValueError naming the text otherwise."""
    compact = text.strip().replace(" ", "")
    pos, total = 0, 0.0
    for match in _DURATION.finditer(compact):
        if match.start() != pos:
            break
        total += float(match["n"]) * _UNITS[match["unit"]]
        pos = match.end()
    if not compact or pos != len(compact):
        raise ValueError(f"{text!r} is not a duration: use a number and s, m, h, d or w (e.g. 90m, 12h, 7d)")
    return timedelta(seconds=total)


@dataclass(frozen=True)
class RunTag:
    run_id: str
    scenario: int

    def __post_init__(self) -> None:
        run_started(self.run_id)

    @property
    def text(self) -> str:
        return f"qa-{self.run_id}-{self.scenario & 0xFFFF:x}"

    def apply(self, name: str, limit: int) -> str:
        """``name`` with the tag appended, shortened first so the whole fits ``limit`` characters."""
        room = limit - len(self.text) - 1
        return f"{name[:room].rstrip()} {self.text}"

    def owns(self, name: str) -> bool:
        return self.text in name.split()
