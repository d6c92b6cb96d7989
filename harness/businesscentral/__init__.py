"""Microsoft Dynamics 365 Business Central, API v2.0: the fake tenant and the client."""

from harness.businesscentral.api import BusinessCentralFake
from harness.businesscentral.model import BusinessCentralModel
from harness.businesscentral.schema import CONTACT, CUSTOMER, ENTITIES, REQUIRED_ON_CREATE

__all__ = ["CONTACT", "CUSTOMER", "ENTITIES", "REQUIRED_ON_CREATE", "BusinessCentralFake", "BusinessCentralModel"]
