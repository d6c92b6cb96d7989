"""What leaves a test run: the sign-off, the Allure environment and categories, attachments, the latency summary.

Secret redaction and the recorded HTTP exchanges live in :mod:`harness.client` (the suite records with them too);
they are re-exported here for the report's readers."""

from harness.client.exchanges import Exchange, ExchangeLog, RecordingTransport
from harness.client.redact import REDACTED, Redactor, redact_data, redact_headers, redact_text, redact_url

__all__ = [
    "REDACTED",
    "Exchange",
    "ExchangeLog",
    "RecordingTransport",
    "Redactor",
    "redact_data",
    "redact_headers",
    "redact_text",
    "redact_url",
]
