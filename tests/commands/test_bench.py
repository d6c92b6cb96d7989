"""``harness bench`` checks what the sync left before it reports a time: a lost, duplicated or garbled record fails
it, whatever the speed."""

from __future__ import annotations

from typing import Any

import pytest

import harness.cli
from harness.businesscentral.fake import BusinessCentralFake
from harness.commands import bench


def _sabotaged(monkeypatch: pytest.MonkeyPatch, harm: Any) -> None:
    """Each step's sync runs as usual, then ``harm(fake)`` damages what it left on Business Central, as a defective
    sync would (once: the first step)."""
    real_step = bench._step
    done: list[bool] = []

    def step(engine: Any, crm: Any, bc: BusinessCentralFake, lower_bound: int) -> dict[str, Any]:
        result = real_step(engine, crm, bc, lower_bound)
        if not done:
            with bc.lock:
                harm(bc)
            done.append(True)
        return result

    monkeypatch.setattr(bench, "_step", step)


def _first_person(bc: BusinessCentralFake) -> dict[str, Any]:
    company = bc.dump()["environments"][0]["companies"][0]
    return next(r for r in company["contacts"] if r["type"] == "Person")


def test_a_correct_sync_passes_every_check_of_every_step() -> None:
    result = bench.run_bench(20, 150, 10)
    for step in ("initial", "noop", "incremental"):
        assert result[step]["checked"] == {"origins": 170, "problems": 0}, result[step]


def test_a_lost_counterpart_fails_the_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    def lose_one(bc: BusinessCentralFake) -> None:
        bc.model.delete(bc.company(), "contacts", _first_person(bc)["id"], None)

    _sabotaged(monkeypatch, lose_one)
    with pytest.raises(bench.BenchWrong, match=r"after the initial sync, .*no counterpart"):
        bench.run_bench(5, 20, 2)


def test_a_duplicated_counterpart_fails_the_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    def duplicate_one(bc: BusinessCentralFake) -> None:
        original = _first_person(bc)
        bc.model.create(bc.company(), "contacts", {"displayName": original["displayName"], "type": "Person"})

    _sabotaged(monkeypatch, duplicate_one)
    with pytest.raises(bench.BenchWrong, match=r"expected one Person contacts record per contacts record, found 21"):
        bench.run_bench(5, 20, 2)


def test_a_garbled_value_fails_the_bench_and_the_command_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def garble_one(bc: BusinessCentralFake) -> None:
        bc.model.update(bc.company(), "contacts", _first_person(bc)["id"], {"phoneNumber": "+47 00000000"}, "*")

    _sabotaged(monkeypatch, garble_one)
    status = harness.cli.main(["bench", "--companies", "5", "--contacts", "20", "--edits", "2", "--json"])
    assert status == 1
    err = capsys.readouterr().err
    assert "harness bench: after the initial sync" in err and "'+47 00000000'" in err, err
