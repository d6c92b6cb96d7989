"""The Business Central fake tenant: ``http`` (thin handlers and the control plane) over ``model`` (state and rules).

Only tests, ``harness serve`` and the suite's fake tenants load this package; the client never does."""

from harness.businesscentral.fake.http import BusinessCentralFake
from harness.businesscentral.fake.model import BusinessCentralModel

__all__ = ["BusinessCentralFake", "BusinessCentralModel"]
