"""QA harness for Sesam Talk's CRMOffice <-> Microsoft Dynamics 365 Business Central dataflow.

Rooms, one per concept (see README.md):

- ``harness.fakes``: what every fake tenant shares (clock, ids, fault plan, control plane, loopback server).
- ``harness.client``: what every tenant client shares (exception tree, retry policy).
- ``harness.businesscentral`` / ``harness.crmoffice``: per vendor, the fake tenant (model, api) and the client.
- ``harness.checklist``: Sesam Talk checklists read into a dataflow model, and linted.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
