"""What ``make qa`` leaves for CI systems besides Allure: JUnit XML with one test case per scenario, named as the
feature files name them, and Allure history kept from run to run."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the checklist suite in a subprocess

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "HARNESS_"))}


def test_junit_xml_names_each_scenario_and_carries_what_it_proves(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "-q", "steps"]
    command += ["-k", "arrives_as_its or busy_day", "--junitxml", str(junit)]
    done = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    cases = ET.parse(junit).getroot().findall(".//testcase")
    names = sorted(case.get("name", "") for case in cases)
    expected = [
        "a new contact's directPhone arrives as its phoneNumber",
        "a new contact's mobilePhone arrives as its mobilePhoneNumber",
        "every company of a busy day gets its own customer",
        "every contact of a busy day gets its own Business Central contact",
    ]
    assert names == expected, f"expected the scenarios as the feature files name them, found {names}"
    arrives = next(case for case in cases if case.get("name", "").endswith("as its phoneNumber"))
    assert arrives.get("classname") == "CRMOffice contacts are kept as Business Central person contacts", arrives.attrib
    properties = [(p.get("name"), p.get("value")) for p in arrives.findall("properties/property")]
    assert ("checklist section", "CRMOffice Contacts to Business Central Contacts (human data)") in properties
    assert ("contract rule", "Rule 3: Exactly the checklist's properties sync, both ways") in properties
    assert ("severity", "blocker") in properties, properties


def _result(results: Path, name: str, status: str) -> None:
    data = {"uuid": str(uuid.uuid4()), "historyId": name, "testCaseId": name, "name": name, "status": status}
    data |= {"stage": "finished", "start": 1, "stop": 2, "labels": []}
    (results / f"{data['uuid']}-result.json").write_text(json.dumps(data), encoding="utf-8")


def test_the_allure_report_keeps_the_history_of_earlier_runs(tmp_path: Path) -> None:
    config = json.loads((ROOT / "allurerc.json").read_text(encoding="utf-8"))
    assert config.get("historyPath") == "reports/history.jsonl", "make qa keeps the history in reports/history.jsonl"
    config["historyPath"] = str(tmp_path / "history.jsonl")
    (tmp_path / "allurerc.json").write_text(json.dumps(config), encoding="utf-8")
    for run, status in enumerate(("passed", "failed")):
        results = tmp_path / f"results-{run}"
        results.mkdir()
        _result(results, "a scenario", status)
        command = ["npx", "--no-install", "allure", "generate", str(results), "-o", str(tmp_path / "report")]
        command += ["--config", str(tmp_path / "allurerc.json")]
        done = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    runs = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(runs) == 2, f"expected one history entry per run, found {len(runs)}"
    statuses = [next(iter(run["testResults"].values()))["status"] for run in runs]
    assert statuses == ["passed", "failed"], f"expected both runs' results in order, found {statuses}"
    report = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert runs[0]["uuid"] in report, "expected the second report to carry the first run's history"


def _scenario_result(results: Path, name: str) -> dict[str, object]:
    found = [
        data
        for path in results.glob("*-result.json")
        if (data := json.loads(path.read_text(encoding="utf-8"))).get("name") == name
    ]
    assert len(found) == 1, f"expected one result named {name!r} in {results}, found {len(found)}"
    return found[0]


def _given_names(results: Path, result: dict[str, object]) -> list[str]:
    """Every CRMOffice given name the scenario's recorded exchanges carry: the data it drew."""
    sources: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            sources.extend(str(a["source"]) for a in node.get("attachments") or [] if isinstance(a, dict))
            for step in node.get("steps") or []:
                collect(step)

    collect(result)
    text = " ".join((results / source).read_text(encoding="utf-8", errors="replace") for source in sources)
    return sorted(set(re.findall(r'givenName\\?"\s*:\s*\\?"([^"\\]+)', text)))


def test_a_scenario_page_gives_the_command_that_replays_exactly_that_scenario(tmp_path: Path) -> None:
    name = "a new contact's directPhone arrives as its phoneNumber"
    first = tmp_path / "first"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "steps", "-k", "arrives_as_its"]
    command += ["--faker-seed", "4242", "--alluredir", str(first)]
    done = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    result = _scenario_result(first, name)
    shown = next(str(p["value"]) for p in result["parameters"] if p["name"] == "replay")  # type: ignore[index, union-attr]
    replay = ast.literal_eval(shown)  # Allure shows a parameter as Python's repr of it
    assert replay.startswith('.venv/bin/pytest "steps/') and "--faker-seed 4242" in replay, replay
    again = tmp_path / "again"
    args = shlex.split(replay)[1:]
    replayed = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args, "--alluredir", str(again)]
    done = subprocess.run(replayed, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout[-2000:]
    drawn = _given_names(first, result)
    assert drawn, "expected the scenario's exchanges to show the contact it created"
    assert _given_names(again, _scenario_result(again, name)) == drawn, "expected the replay to draw the same data"
