"""Tags to markers, and each scenario's Allure labels, JUnit properties, place and skip reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.checklist import Checklist, parse_file
from harness.plugin.common import (
    PLACE,
    SKIP,
    checklist_path,
    is_scenario,
    proxy_url,
    scenario_template,
)
from harness.suite.failures import Place
from harness.traceability.contract import (
    DIRECTIONS,
    ORIGIN_COLUMN,
    RULES,
    TARGET_COLUMN,
    TagError,
    parse_tag,
    section_slug,
)
from harness.traceability.coverage import (
    row_trace,
    rule_trace,
    section_trace,
)


def pytest_configure(config: pytest.Config) -> None:
    for marker in ("checklist", "rule", "severity", "dataflow", "cycles"):
        config.addinivalue_line("markers", f"{marker}(value): a checklist suite tag @{marker}:<value>")
    for number, rule in RULES.items():
        config.addinivalue_line("markers", f"rule_{number}: scenarios citing rule {number} ({rule}); -m rule_{number}")
    for direction, arrow in DIRECTIONS.items():
        config.addinivalue_line("markers", f"{direction}: Examples proving checklist rows {arrow}")
    config.addinivalue_line("markers", "fakes_only: needs the fake tenants' clock")
    config.addinivalue_line("markers", "faults: needs faults on cue: the fakes' fault plan, or harness proxy's")
    config.addinivalue_line("markers", "one_cycle: observes what one sync cycle does; not for an external product")
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_JUnitNames(config), "harness-junit-names")


@pytest.hookimpl(tryfirst=True)  # before pytest-bdd's own, which makes a marker of any tag
def pytest_bdd_apply_tag(tag: str, function: Any) -> Any:
    """``@rule:4`` → ``pytest.mark.rule(4)``, which the labels read, and ``pytest.mark.rule_4``, which ``-m rule_4``
    selects (``-m`` cannot match a marker's value); ``@cycles:5`` → ``pytest.mark.cycles(5)``; plain tags as
    usual."""
    try:
        parsed = parse_tag(tag)
    except TagError as exc:
        raise pytest.UsageError(str(exc)) from None
    if parsed.kind in ("plain", "direction"):
        return None
    value: Any = int(parsed.value) if parsed.kind in ("rule", "cycles") else parsed.value
    getattr(pytest.mark, parsed.kind)(value)(function)
    if parsed.kind == "rule":
        getattr(pytest.mark, f"rule_{value}")(function)
    return True


def _labels(item: pytest.Item, checklist: Checklist) -> list[tuple[str, str]]:
    """Allure labels from the scenario's tags: epic = the dataflow, feature = the checklist section, story = the
    contract rule, severity; and ``trace`` labels the sign-off reads (section, row and direction, rule)."""
    headings = {section_slug(flow): flow.heading or flow.label() for flow in checklist.flows}
    labels: list[tuple[str, str]] = []
    sections = [str(m.args[0]) for m in item.iter_markers("checklist")]
    rules = sorted({int(m.args[0]) for m in item.iter_markers("rule")})
    if any(item.iter_markers("dataflow")):
        labels.append(("epic", checklist.title))
    for slug in sections:
        labels.append(("feature", headings.get(slug, slug)))
        if 1 in rules:
            labels.append(("trace", section_trace(slug)))
    for rule in rules:
        labels.append(("story", f"Rule {rule}: {RULES[rule]}"))
        labels.append(("trace", rule_trace(rule)))
    for mark in item.iter_markers("severity"):
        labels.append(("severity", str(mark.args[0])))
        break
    example = getattr(item, "callspec", None)
    raw = example.params.get("_pytest_bdd_example", {}) if example is not None else {}
    # Column names compare as the coverage gate compares them: trimmed, case-insensitively.
    params = {str(key).strip().casefold(): value for key, value in raw.items()}
    directions = [d for d in DIRECTIONS if any(item.iter_markers(d))]
    if ORIGIN_COLUMN in params and TARGET_COLUMN in params and len(sections) == 1 and len(directions) == 1:
        labels.append(("trace", row_trace(sections[0], params[ORIGIN_COLUMN], params[TARGET_COLUMN], directions[0])))
    return labels


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    scenario_items = [item for item in items if is_scenario(item)]
    if not scenario_items:
        return
    checklist = parse_file(checklist_path(config))
    real = config.getoption("--tenants") == "sandbox"
    external = config.getoption("--sync") == "external"
    proxied = external and proxy_url(config) is not None
    if external:
        # Longest first, so the slowest scenario does not start last (the order is the same on every worker).
        items.sort(key=_expected_waits, reverse=True)
    for item in scenario_items:
        reasons = [
            (real and any(item.iter_markers("fakes_only")), "needs the fake tenants' clock; the tenants are real"),
            (
                real and not proxied and any(item.iter_markers("faults")),
                "needs faults on cue: the tenants are real and no harness proxy fronts them (--proxy)",
            ),
            (
                external and not proxied and any(item.iter_markers("one_cycle")),
                "counts what one sync cycle costs; an external product's cycles are told apart only by "
                "harness proxy's meters (--proxy)",
            ),
        ]
        skipped = [reason for applies, reason in reasons if applies]
        if skipped:
            item.stash[SKIP] = skipped[0]
        place = _place(item)
        if place is not None:
            item.stash[PLACE] = place
            # The terminal's failure headers and JUnit's file and line come from here (0-based, as pytest keeps it).
            item.__dict__["location"] = (place.path, place.line - 1, place.name)
        labels = _labels(item, checklist)
        for name, value in labels:
            item.add_marker(pytest.mark.allure_label(value, label_type=name))
        item.user_properties.extend(_junit_properties(item, labels))


JUNIT_PROPERTIES = {"feature": "checklist section", "story": "contract rule", "severity": "severity", "trace": "trace"}


def _junit_properties(item: pytest.Item, labels: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What JUnit XML carries for a scenario: its name as the feature file says it (an outline's with its example's
    values), where it is written, and the checklist section, contract rules and severity its tags cite."""
    place = item.stash.get(PLACE, None)
    named = [] if place is None else [("scenario", place.name), ("feature", place.feature), ("file", place.path)]
    named += [("line", str(place.line))] if place is not None else []
    return named + [(JUNIT_PROPERTIES[k], v) for k, v in labels if k in JUNIT_PROPERTIES]


def _place(item: pytest.Item) -> Place | None:
    """Where the scenario is written and its name there, with an outline's example values in place."""
    template = scenario_template(item)
    if template is None:
        return None
    name = template.name
    example = getattr(item, "callspec", None)
    for key, value in (example.params.get("_pytest_bdd_example", {}) if example is not None else {}).items():
        name = name.replace(f"<{key}>", str(value))
    path = Path(template.feature.filename)
    shown = path.relative_to(item.config.rootpath) if path.is_relative_to(item.config.rootpath) else path
    return Place(shown.as_posix(), template.line_number, name, template.feature.name)


class _JUnitNames:
    """JUnit XML names each test case by the scenario and its class by the feature, not by the Python function and
    module pytest-bdd made of them. pytest-xdist's workers' reports arrive here with their properties, so the names
    are set where the XML is written."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # pytest keeps its JUnit writer under a private key; a user-set "name" attribute survives its own naming.
        from _pytest.junitxml import xml_key

        xml = self.config.stash.get(xml_key, None)
        properties = dict(report.user_properties)
        if xml is None or not properties.get("scenario"):
            return
        reporter = xml.node_reporter(report)
        reporter.add_attribute("name", properties["scenario"])
        if properties.get("feature"):
            reporter.add_attribute("classname", properties["feature"])
        if properties.get("file"):
            reporter.add_attribute("file", properties["file"])
            reporter.add_attribute("line", properties["line"])  # 1-based, as CI tools and editors count


def _expected_waits(item: pytest.Item) -> int:
    """How many sync cycles a scenario waits for, as its ``@cycles:N`` tag says (a full read counts as many); one
    without the tag waits about one, and one that needs the fakes' clock never waits for an external product."""
    if any(item.iter_markers("fakes_only")):
        return 0
    return max((int(mark.args[0]) for mark in item.iter_markers("cycles")), default=1)
