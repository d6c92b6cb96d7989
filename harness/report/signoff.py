"""The sign-off summary: every checklist section, row (each direction) and contract rule, the scenarios that proved
it, their results, the checklist's lint findings and the environment, with one verdict.

It is built from what the run left behind (the Allure result files, whose ``trace`` labels the suite sets from the
scenarios' tags) and from the checklist and features themselves, so it can be rebuilt after the fact and cannot
disagree with the report. An item is *proven* when at least one scenario citing it ran and every one of them
passed — a checklist row only when every scenario outline of its direction passed with it; *failed* when any failed
or broke; *not proven* when none ran (or all were skipped). The run is ready for sign-off only when every item is
proven.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.checklist import Checklist
from harness.checklist.lint import Finding
from harness.report.etiquette import Etiquette, render_etiquette
from harness.report.latency import LatencyRow, render_latency
from harness.report.results import allure_results
from harness.traceability.coverage import Coverage

__all__ = ["ItemResult", "ScenarioResult", "SignOff", "build_signoff", "read_results", "render_markdown"]

PASSED, FAILED, BROKEN, SKIPPED = "passed", "failed", "broken", "skipped"


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    status: str
    traces: tuple[str, ...]
    parameters: tuple[tuple[str, str], ...] = ()
    message: str = ""
    failed_check: str = ""
    """Set when the scenario's own steps passed and only a check after them failed (the reference sync's report)."""

    @property
    def proves(self) -> str:
        """The status that counts for the items the scenario cites: its own steps' outcome."""
        return PASSED if self.status == FAILED and self.failed_check else self.status

    @property
    def title(self) -> str:
        shown = [f"{k}={v}" for k, v in self.parameters if k not in ("faker seed", "replay")]
        return f"{self.name} [{', '.join(shown)}]" if shown else self.name


@dataclass
class ItemResult:
    trace: str
    kind: str
    title: str
    scenarios: list[ScenarioResult] = field(default_factory=list)
    expected: int = 0
    """For a row: the scenario outlines that prove rows in its direction, each of which must have passed with it."""

    @property
    def verdict(self) -> str:
        statuses = {s.proves for s in self.scenarios}
        if statuses & {FAILED, BROKEN}:
            return "FAILED"
        if sum(s.proves == PASSED for s in self.scenarios) < self.expected:
            return "NOT PROVEN"  # some of its outlines did not run with it (deselected, skipped)
        if PASSED in statuses and statuses <= {PASSED, SKIPPED}:
            return "proven"
        return "NOT PROVEN"


@dataclass
class SignOff:
    title: str
    generated: str
    items: list[ItemResult]
    results: list[ScenarioResult]
    findings: Sequence[Finding]
    environment: Mapping[str, str]
    problems: Sequence[str] = ()
    latency: Sequence[LatencyRow] = ()
    """An external sync's latency per flow and direction (empty for the reference sync)."""
    not_started: str | None = None
    """Why the suite never ran a scenario (it stopped at session start, or left no results), when it did not."""
    etiquette: Sequence[Etiquette] = ()
    """Rule 12's measures (see :mod:`harness.report.etiquette`); a broken limit in any makes the run not ready."""

    @property
    def counts(self) -> Counter[str]:
        return Counter(result.status for result in self.results)

    @property
    def ready(self) -> bool:
        return (
            not self.problems
            and self.not_started is None
            and bool(self.results)
            and all(item.verdict == "proven" for item in self.items)
            and not (self.counts[FAILED] or self.counts[BROKEN])
            and all(measure.held for measure in self.etiquette)
        )

    @property
    def proven(self) -> int:
        return sum(1 for item in self.items if item.verdict == "proven")

    def verdict_line(self) -> str:
        """One line: READY, or NOT READY and the first reason why (what the report's title shows)."""
        if self.ready:
            return f"READY for sign-off: {self.proven} of {len(self.items)} items proven, {len(self.results)} scenarios"
        return f"NOT READY for sign-off: {self.why()}"

    def why(self) -> str:
        """The reason a run is not ready, most fundamental first; empty when it is ready."""
        if self.not_started is not None:
            return self.not_started
        if self.problems:
            return f"the features do not cover the checklist ({len(self.problems)} problem(s)): {self.problems[0]}"
        if not self.results:
            return "no scenario ran"
        failed = [item.title for item in self.items if item.verdict == "FAILED"]
        unproven = [item.title for item in self.items if item.verdict == "NOT PROVEN"]
        reasons = []
        if failed:
            reasons.append(f"{len(failed)} item(s) FAILED: " + "; ".join(failed))
        if unproven:
            reasons.append(f"{len(unproven)} item(s) not proven: " + "; ".join(unproven))
        reported = [r for r in self.results if r.status == FAILED and r.failed_check]
        if reported:
            reasons.append(f"the reference sync's report disagrees with the tenants in {len(reported)} scenario(s)")
        broken = [
            f"{limit.get('tenant')} {limit.get('rule')}"
            for measure in self.etiquette
            for limit in measure.limits
            if not limit.get("held")
        ]
        if broken:
            reasons.append("limits broken (rule 12): " + "; ".join(broken))
        if not reasons and (self.counts[FAILED] or self.counts[BROKEN]):
            reasons.append(f"{self.counts[FAILED] + self.counts[BROKEN]} scenario(s) failed")
        return " — ".join(reasons)


def read_results(directory: Path) -> list[ScenarioResult]:
    """Every ``*-result.json`` Allure wrote (the sign-off's own result is left out)."""
    results = []
    for path, data in allure_results(directory):
        labels = [label for label in data.get("labels") or [] if isinstance(label, dict)]
        if any(label.get("name") == "signoff" for label in labels):
            continue
        traces = tuple(str(label.get("value")) for label in labels if label.get("name") == "trace")
        parameters = tuple((str(p.get("name")), str(p.get("value"))) for p in data.get("parameters") or ())
        details = data.get("statusDetails") or {}
        checks = [str(label.get("value")) for label in labels if label.get("name") == "failed_check"]
        results.append(
            ScenarioResult(
                str(data.get("name", path.stem)),
                str(data.get("status", "unknown")),
                traces,
                parameters,
                str(details.get("message") or "").strip(),
                checks[0] if checks else "",
            )
        )
    return results


def build_signoff(
    checklist: Checklist,
    coverage: Coverage,
    results: Sequence[ScenarioResult],
    findings: Sequence[Finding],
    environment: Mapping[str, str],
    latency: Sequence[LatencyRow] = (),
    not_started: str | None = None,
    etiquette: Sequence[Etiquette] = (),
) -> SignOff:
    items = [
        ItemResult(item.trace, item.kind, item.title, expected=len(item.scenarios) if item.kind == "row" else 0)
        for item in coverage.items
    ]
    by_trace = {item.trace: item for item in items}
    for result in results:
        for trace in result.traces:
            if trace in by_trace:
                by_trace[trace].scenarios.append(result)
    for item in items:
        item.scenarios.sort(key=lambda s: s.title)
    return SignOff(
        checklist.title,
        checklist.generated.isoformat(sep=" "),
        items,
        list(results),
        findings,
        environment,
        [str(problem) for problem in coverage.problems],
        latency,
        not_started,
        etiquette,
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _mark(scenario: ScenarioResult) -> str:
    if scenario.failed_check:
        return f"✔ (its steps passed; the {scenario.failed_check} check after them failed)"
    return "✔" if scenario.status == PASSED else "✘" if scenario.status in (FAILED, BROKEN) else "○"


def _status_line(scenarios: Sequence[ScenarioResult]) -> str:
    counts = Counter(f"{s.status} (the {s.failed_check} check only)" if s.failed_check else s.status for s in scenarios)
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none ran"


def render_markdown(signoff: SignOff) -> str:
    counts = signoff.counts
    verdict = "READY FOR SIGN-OFF" if signoff.ready else "NOT READY FOR SIGN-OFF"
    lines = [
        f"# Sign-off: {signoff.title}",
        "",
        f"**{verdict}** — {len(signoff.results)} scenarios: "
        + ", ".join(f"{counts[s]} {s}" for s in (PASSED, FAILED, BROKEN, SKIPPED) if counts[s]),
        f"Checklist generated {signoff.generated}.",
        "",
    ]
    if not signoff.ready:
        lines += [f"Why: {_cell(signoff.why())}", ""]
    if signoff.not_started is not None:
        lines += ["## The suite did not start", "", signoff.not_started, ""]
    if signoff.problems:
        lines += ["## Coverage problems", "", *[f"- {p}" for p in signoff.problems], ""]
    for kind, heading in (("section", "Checklist sections"), ("row", "Checklist rows"), ("rule", "Sync contract")):
        lines += [f"## {heading}", "", "| Item | Verdict | Results | Scenarios |", "| --- | --- | --- | --- |"]
        for item in (i for i in signoff.items if i.kind == kind):
            names = "<br>".join(_cell(f"{_mark(s)} {s.title}") for s in item.scenarios)
            results = _status_line(item.scenarios)
            if item.expected:
                results += f" (of {item.expected} outlines)"
            lines.append(f"| {_cell(item.title)} | {item.verdict} | {results} | {names or '—'} |")
        lines.append("")
    failing = [r for r in signoff.results if r.status in (FAILED, BROKEN)]
    if failing:
        lines += ["## Failed scenarios", ""]
        lines += [f"- **{_cell(r.title)}** ({r.status}): {_cell(r.message[:300])}" for r in failing]
        lines.append("")
    lines += render_etiquette(signoff.etiquette)
    lines += render_latency(signoff.latency, signoff.environment)
    lines += ["## Checklist lint findings", ""]
    if signoff.findings:
        lines += [
            f"- {f.severity.value}: {f.code}: {f.message}" + (f" (section {f.section!r})" if f.section else "")
            for f in signoff.findings
        ]
    else:
        lines.append("- none")
    lines += ["", "## Environment", "", "| Setting | Value |", "| --- | --- |"]
    lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in signoff.environment.items()]
    return "\n".join(lines) + "\n"
