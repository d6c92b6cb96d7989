"""What leaves a test run, made safe to share: secret redaction and the recorded HTTP exchanges of a scenario."""

from harness.report.exchanges import Exchange, ExchangeLog, RecordingTransport
from harness.report.redact import REDACTED, Redactor, redact_data, redact_headers, redact_text, redact_url

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
