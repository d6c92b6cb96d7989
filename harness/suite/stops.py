"""The sync stopped midway, as a killed process is: its Nth write to Business Central landed, its answer never came.

The reference sync is stopped by the tripwire in front of its client (:mod:`harness.suite.tripwire`). An external
product is killed by ``harness proxy`` with a ``crash`` fault (:mod:`harness.proxy.faults`), which only a proxy
that started the product (``--product-command``) can do; otherwise the scenario skips, saying so. The stop is set
before the scenario's records exist, since an external product writes them as soon as it sees them: it counts the
product's writes whose body carries the scenario's tag (the name of a record still to be created).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from harness.suite.dataflow import Dataflow
from harness.suite.tripwire import Interrupted

__all__ = ["CannotStop", "PlannedStop", "plan_stop"]

ORDINALS = {1: "first", 2: "second", 3: "third"}


class CannotStop(RuntimeError):
    """This run cannot stop the sync under test midway; the message says what is missing."""


@dataclass(frozen=True)
class PlannedStop:
    """What a scenario planned; it holds no dataflow, since pytest-bdd keeps a step's ``target_fixture`` value (and
    what it holds) alive for the whole session."""

    writes: int
    fault: str | None = None
    """The proxy's ``crash`` rule, for an external product."""

    @property
    def nth(self) -> str:
        return ORDINALS.get(self.writes, f"{self.writes}th")

    def run_until_stopped(self, dataflow: Dataflow, *, full: bool = False) -> None:
        """The run the stop ends; AssertionError when it ends otherwise (fewer writes than planned)."""
        if self.fault is None:
            self._reference(dataflow, full)
        else:
            self._external(dataflow, full)

    def _reference(self, dataflow: Dataflow, full: bool) -> None:
        wire = dataflow.tripwires["businesscentral"]
        wire.stop_after_writes(self.writes)  # armed now: the users' own writes before the run are not the sync's
        try:
            dataflow.run_sync(full=full)
        except Interrupted:
            return
        raise AssertionError(
            f"expected the sync to be stopped after its {self.nth} write to Business Central, "
            f"it finished its run after {wire.writes} write(s)"
        )

    def _external(self, dataflow: Dataflow, full: bool) -> None:
        proxy, fault = dataflow.proxy, self.fault
        assert proxy is not None
        assert fault is not None
        # What only a full read brings (a re-creation) comes within the full read's service level.
        bound = dataflow.full_sync_timeout if full else dataflow.converge_timeout
        # Stretched, as the barriers are, by what injected trouble makes the product wait meanwhile (not before).
        began, trouble = time.monotonic(), proxy.trouble_seconds()
        while proxy.wait_crashed(fault, within=1.0) is None:
            within = bound + proxy.trouble_seconds() - trouble
            if time.monotonic() - began >= within:
                proxy.remove_fault(fault)
                raise AssertionError(
                    f"expected the product to make its {self.nth} write to Business Central of this scenario's "
                    f"records within {within:.0f} s and be stopped there; it did not get that far"
                )


def plan_stop(dataflow: Dataflow, writes: int) -> PlannedStop:
    """Arm the stop after the sync's ``writes``-th write to Business Central from now."""
    if dataflow.sync.kind == "reference":
        return PlannedStop(writes)
    proxy = dataflow.proxy
    if proxy is None or not proxy.product().get("managed"):
        raise CannotStop(
            "an external product can be stopped midway only by harness proxy when it started the product's process "
            "(harness proxy --product-command CMD)"
        )
    scope: dict[str, Any] = {"method": "WRITE", "skip": writes - 1, "times": 1}
    if dataflow.tag is not None:
        # The tag ends the record's name, so in a JSON body a quote follows it: scenario 1f's tag is not 1f2a's.
        scope["contains"] = dataflow.tag.text + '"'
    rule = proxy.add_fault("businesscentral", "crash", **scope)
    return PlannedStop(writes, str(rule["id"]))
