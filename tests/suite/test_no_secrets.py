"""What a failed scenario attaches (its HTTP exchanges, its records) carries no credential of either tenant."""

from __future__ import annotations

from pathlib import Path

from harness.checklist import parse_file
from harness.client.exchanges import ExchangeLog
from harness.client.redact import Redactor
from harness.suite import moves
from harness.suite.build import SuiteMode, build_dataflow
from harness.suite.subject import noun
from harness.sync import plan_dataflow

CHECKLIST = Path(__file__).resolve().parents[2] / "features" / "crmoffice-businesscentral.rst"


def test_exchanges_and_records_of_a_scenario_carry_no_secret(tmp_path: Path) -> None:
    exchanges, redactor = ExchangeLog(), Redactor()
    flow = build_dataflow(
        SuiteMode(tenants="wire"),
        plan_dataflow(parse_file(CHECKLIST)),
        seed=3,
        state_path=tmp_path / "state.sqlite",
        exchanges=exchanges,
        redactor=redactor,
    )
    try:
        subject = moves.create_contact(flow, noun("contact"))
        moves.link(flow, subject)
        moves.change(flow, subject, "businesscentral", "phoneNumber")
        flow.run_sync()
        crm, bc = flow.fakes().crmoffice, flow.fakes().businesscentral
        secrets = [crm.info()["client_secret"], bc.info()["token"], *crm.tokens._access, *crm.tokens._refresh]
        shown = exchanges.render() + exchanges.to_json() + str(flow.snapshot())
    finally:
        flow.close()
    assert len(exchanges) > 5, f"expected the scenario's exchanges recorded, found {len(exchanges)}"
    assert "Authorization" in shown and "[redacted]" in shown, "the Authorization header is shown, redacted"
    leaked = [secret[:6] + "…" for secret in secrets if secret and secret in shown]
    assert not leaked, f"expected no credential in the attachments, found {leaked}"
