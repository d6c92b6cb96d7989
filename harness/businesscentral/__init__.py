"""Microsoft Dynamics 365 Business Central, API v2.0: the fake tenant and the client.

``fake/`` (the HTTP layer ``http`` with ``call`` and ``batch``, over ``model``, with ``odata``, ``expand``, ``parts``,
``csdl`` and its ``errors``) plays the service; ``client/`` (the client, ``auth``, ``guard``) speaks to it or to a real
environment and never imports ``fake/``. ``schema``, ``limits`` and ``dataflow`` are what both sides know."""

from harness.businesscentral.schema import CONTACT, CUSTOMER, ENTITIES, REQUIRED_ON_CREATE

__all__ = ["CONTACT", "CUSTOMER", "ENTITIES", "REQUIRED_ON_CREATE"]
