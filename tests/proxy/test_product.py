"""``harness.proxy.product``: the product's process started with its settings, killed by a crash and started again,
started again after an exit, given up on when it keeps exiting at start, and stopped with the proxy."""

from __future__ import annotations

import shlex
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.proxy import product as product_module
from harness.proxy.product import Product, ProductError, Supervisor

PYTHON = shlex.quote(sys.executable)
LOOPS = "import os, time; print('up', os.environ['PRODUCT_SETTING'], flush=True); time.sleep(60)"
"""A product that says it is up with one of its settings, then runs until it is stopped."""


def until(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "the product did not get there in time"
        time.sleep(0.05)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Callable[[str], Product]]:
    made: list[Product] = []

    def start(code: str) -> Product:
        product = Product(
            f"{PYTHON} -c {shlex.quote(code)}", {"PRODUCT_SETTING": "from-the-env-file"}, tmp_path / "p.log"
        )
        product.start()
        made.append(product)
        return product

    yield start
    for product in made:
        product.stop(timeout=5)


def test_the_product_runs_with_the_settings_given_and_its_output_in_the_log(started: Callable[[str], Product]) -> None:
    product = started(LOOPS)
    until(lambda: "up from-the-env-file" in product.log.read_text())
    status = product.status()
    assert (status["state"], status["starts"], status["crashes"], status["exits"]) == ("running", 1, [], [])
    assert isinstance(status["pid"], int)
    assert "environment" not in status, "the settings (secrets) are never shown"


def test_a_crash_kills_the_product_and_starts_it_again(started: Callable[[str], Product]) -> None:
    product = started(LOOPS)
    starts: list[int] = []
    product.on_start = lambda: starts.append(product.starts)  # the proxy's meters forget the last token here
    until(lambda: product.log.read_text().count("up") == 1)
    first = product.status()["pid"]
    product.kill("fault-1")
    assert product.status()["state"] == "restarting"
    until(lambda: product.log.read_text().count("up") == 2)
    status = product.status()
    assert status["starts"] == 2 and status["pid"] != first and status["state"] == "running"
    assert [c["fault"] for c in status["crashes"]] == ["fault-1"]
    assert status["exits"] == [], "a crash is the proxy's doing, not an exit of the product's own"
    assert starts == [2], "each new start is told"


def test_a_crashs_downtime_lasts_until_the_product_starts_its_second_cycle(started: Callable[[str], Product]) -> None:
    product = started(LOOPS)
    product.kill("fault-1")
    until(lambda: product.status()["state"] == "running")
    time.sleep(0.2)
    down = product.trouble_seconds
    assert down >= product_module.RESTART_AFTER
    for first_cycle in ("crmoffice companies", "crmoffice contacts", None, "businesscentral contacts"):
        product.arrived(first_cycle)
    assert product.status()["crashes"][0]["back_at"] is None, "still in its first cycle"
    product.arrived("crmoffice companies")  # a list it has read since its start: the second cycle begins
    settled = product.trouble_seconds
    time.sleep(0.2)
    assert product.trouble_seconds == settled >= down, "the downtime stops counting at the second cycle"


def test_a_product_that_exits_on_its_own_is_started_again(
    started: Callable[[str], Product], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(product_module, "EARLY_EXIT", 0.0)  # every exit counts as a late one
    product = started("print('up', flush=True); raise SystemExit(3)")
    until(lambda: product.status()["starts"] >= 2)
    status = product.status()
    assert status["exits"][0]["status"] == 3 and status["crashes"] == []


def test_a_product_that_keeps_exiting_at_start_is_given_up_on(started: Callable[[str], Product]) -> None:
    product = started("raise SystemExit(5)")
    until(lambda: product.status()["state"] == "failing")
    status = product.status()
    assert status["starts"] == product_module.GIVE_UP_AFTER
    assert [e["status"] for e in status["exits"]] == [5] * product_module.GIVE_UP_AFTER
    time.sleep(product_module.RESTART_AFTER * 3)
    assert product.status()["starts"] == product_module.GIVE_UP_AFTER, "not started again once given up on"


def test_a_product_heard_from_is_never_given_up_on_however_soon_it_exits(started: Callable[[str], Product]) -> None:
    product = started("raise SystemExit(5)")
    done = threading.Event()

    def requests() -> None:  # each of its processes reaches the tenants before it exits
        while not done.wait(0.005):
            product.arrived(None)

    threading.Thread(target=requests, daemon=True).start()
    try:
        until(lambda: product.status()["starts"] > product_module.GIVE_UP_AFTER + 1)
    finally:
        done.set()
    assert product.status()["state"] != "failing"


def test_stop_ends_the_product_with_sigterm_and_it_is_not_started_again(started: Callable[[str], Product]) -> None:
    product = started(
        "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); "
        "print('up', flush=True); time.sleep(60)"
    )
    until(lambda: "up" in product.log.read_text())
    assert product.stop(timeout=5) == 0
    time.sleep(product_module.RESTART_AFTER * 2)
    assert product.status()["state"] == "stopped" and product.status()["starts"] == 1


def test_a_product_that_ignores_sigterm_is_killed(started: Callable[[str], Product]) -> None:
    product = started(
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    )
    until(lambda: "up" in product.log.read_text())
    assert product.stop(timeout=0.5) == -9


@pytest.mark.parametrize(
    ("command", "words"),
    [("", "empty"), ("sync 'unclosed", "cannot be split"), ("/nonexistent/product --watch", "cannot run")],
)
def test_a_command_that_cannot_run_is_refused_naming_it(tmp_path: Path, command: str, words: str) -> None:
    with pytest.raises(ProductError, match=words):
        Product(command, {}, tmp_path / "p.log").start()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([], "JSON object"),
        ({"command": 1, "environment": {}, "log": "x"}, "'command'"),
        ({"command": "x", "environment": {"A": 1}, "log": "x"}, "'environment'"),
        ({"command": "x", "environment": {}}, "'log'"),
    ],
)
def test_the_supervisor_refuses_a_product_it_cannot_start(body: object, words: str) -> None:
    seat = Supervisor()
    with pytest.raises(ProductError, match=words):
        seat.start(body)
    assert seat.status() == {"managed": False} and seat.trouble_seconds == 0.0


def test_the_supervisor_starts_one_product_only(tmp_path: Path) -> None:
    seat = Supervisor()
    body = {"command": f"{PYTHON} -c 'import time; time.sleep(60)'", "environment": {}, "log": str(tmp_path / "l")}
    seat.start(body)
    try:
        assert seat.status()["managed"] is True
        with pytest.raises(ProductError, match="already started"):
            seat.start(body)
    finally:
        seat.stop()
