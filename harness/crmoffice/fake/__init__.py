"""The CRMOffice fake tenant: ``http`` (thin handlers and the control plane) over ``model`` (state and rules).

Only tests, ``harness serve`` and the suite's fake tenants load this package; the client never does."""

from harness.crmoffice.fake.http import CRMOfficeFake
from harness.crmoffice.fake.model import CRMOfficeModel

__all__ = ["CRMOfficeFake", "CRMOfficeModel"]
