"""A fake's write count: what "the sync wrote nothing" is judged by on the fakes."""

from __future__ import annotations

from harness.businesscentral.client import BatchOperation
from harness.fake_pair import fake_pair


def test_writes_count_records_written_not_reads_tokens_or_batch_envelopes() -> None:
    with fake_pair("mock", seed=3) as pair:
        crm, bc = pair.crmoffice_fake, pair.businesscentral_fake
        assert crm is not None
        assert bc is not None
        created = pair.crmoffice.create("contacts", {"givenName": "Kari", "familyName": "Nordmann"})
        pair.crmoffice.get("contacts", created.record["id"])
        pair.crmoffice.update("contacts", created.record["id"], {"mobilePhone": "912 34 567"})
        body = {"displayName": "Kari Nordmann", "type": "Person"}
        pair.businesscentral.batch([BatchOperation("POST", "contacts", body=body), BatchOperation("GET", "contacts")])
        pair.businesscentral.create("customers", {"displayName": "Fjordkraft AS", "type": "Company"})
        assert crm.writes() == 2, f"expected a create and an update (the token request is no write), got {crm.counts()}"
        assert bc.writes() == 2, f"expected the batched create and the direct one, got {bc.counts()}"
        bc.clear_counts()
        assert bc.writes() == 0
