from __future__ import annotations

from pathlib import Path

import pytest

from harness.report.build import TITLE_LENGTH, allure_command, title
from harness.report.panel import PANEL_ID, inject_panel, markdown_panel

SIGNOFF = """# Sign-off: CRMOffice to Business Central Dataflow

**NOT READY FOR SIGN-OFF** — 3 scenarios: 2 passed, 1 failed

## Checklist rows

| Item | Verdict | Results | Scenarios |
| --- | --- | --- | --- |
| a \\| b <row> | FAILED | 1 failed | ✘ one<br>✔ two<br>✔ three<br>✔ four |
| c | proven | 1 passed | ✔ only |

- warning: x <y>
"""
PAGE = '<html><body>\n<div id="app"></div>\n<script>app()</script></body></html>'


def test_the_panel_carries_the_verdict_and_every_table_row_escaped() -> None:
    panel = markdown_panel(SIGNOFF, "NOT READY for sign-off: 1 item(s) FAILED: a | b <row>", ready=False)
    assert 'data-verdict="NOT READY"' in panel and "not-ready" in panel, panel[:400]
    assert '<td class="FAILED">FAILED</td>' in panel and '<td class="proven">proven</td>' in panel, panel
    assert "a | b &lt;row&gt;" in panel and "<row>" not in panel, "expected cell text escaped, the pipe unescaped"
    assert "<strong>NOT READY FOR SIGN-OFF</strong>" in panel and "<li>warning: x &lt;y&gt;</li>" in panel, panel


def test_a_long_scenario_list_folds_and_a_short_one_does_not() -> None:
    panel = markdown_panel(SIGNOFF, "verdict", ready=True)
    assert "<details><summary>4 scenarios</summary>✘ one<br>✔ two<br>✔ three<br>✔ four</details>" in panel, panel
    assert "<td>✔ only</td>" in panel, panel


def test_the_panel_goes_above_allures_app_and_replaces_an_earlier_one() -> None:
    once = inject_panel(PAGE, markdown_panel(SIGNOFF, "first", ready=False))
    twice = inject_panel(once, markdown_panel(SIGNOFF, "second", ready=True))
    assert twice.count(f'<section id="{PANEL_ID}"') == 1 and "second" in twice and "first" not in twice, twice
    assert twice.index(PANEL_ID) < twice.index('<div id="app"></div>'), "expected the panel before the app"


def test_a_page_without_allures_app_root_is_refused() -> None:
    with pytest.raises(ValueError, match="app root"):
        inject_panel("<html><body></body></html>", "<section></section>")


def test_the_title_is_the_verdict_cut_to_one_heading() -> None:
    assert title("READY for sign-off: 18 of 18 items proven") == "READY for sign-off: 18 of 18 items proven"
    long = title("NOT READY for sign-off: " + "x" * 400)
    assert len(long) == TITLE_LENGTH and long.endswith("…"), long


def test_the_report_uses_the_projects_own_allure_and_npx_only_without_it(tmp_path: Path) -> None:
    assert allure_command("allure --verbose", tmp_path) == ["allure", "--verbose"]
    assert allure_command(None, tmp_path) == ["npx", "--no-install", "allure"]
    local = tmp_path / "node_modules" / ".bin" / "allure"
    local.parent.mkdir(parents=True)
    local.write_text("#!/bin/sh\n", encoding="utf-8")
    assert allure_command(None, tmp_path) == [str(local)]
