"""CRMOffice: the fake tenant and the client that speaks to it (or to the real API).

``fake/`` (the HTTP layer ``http`` over ``model``, with ``index``, ``paging``, ``inbound``, ``tokens`` and its
``errors``) plays the harness's assumed CRMOffice contract (summarised in ``docs/tenants.md``); ``client/`` (the
client, ``auth``, ``errormap``) speaks it and never imports ``fake/``. ``schema``, ``limits`` and ``dataflow`` are
what both sides know. Each module's docstring states its rules.

Known from public evidence (sources in ``docs/tenants.md``): ``GET companies`` answers ``{"items": [...]}`` of
records keyed by ``id``; OAuth2 at ``/connect/token`` (``/connect/authorize`` to sign in) with the scopes
``crmoffice`` and ``offline_access``; the datatypes Companies, Contacts and Activities and the field names Sesam Talk's
checklists map (a contact's company as ``company.id``; an activity's ``subject``, ``ownerId``, ``startsAt``,
``endsAt``, ``address.*``), every one a string to Sesam. The paths ``/contacts`` and ``/activities`` are assumed from
the datatype names.

Assumed, not known, about the real API (correct here and in those modules once it is at hand):

- Error bodies: RFC 7807 problem+json; validation errors in ASP.NET Core's ValidationProblemDetails shape, keyed by
  field (``postAddress.postCode`` nested, ``$`` for the body as a whole).
- Field limits: company ``name`` required, at most 100; ``orgNr`` 9 digits (check digit not verified); address parts
  ``streetAddress`` 100, ``postCode`` 10, ``postalArea`` 50, ``country`` 50; contact names at most 50 with at least
  one of them; phones free text at most 50; ``email`` at most 100 with exactly one inner ``@``;
  ``city`` (at most 50) and ``website`` (at most 100) free text, assumed like the e-mail.
- A contact's ``company`` is exactly ``{"id": <company GUID>}`` or null (no other part, such as a name); the id must
  name an existing company.
- Activities: ``subject`` required, at most 255; ``ownerId`` free text at most 100 (a user's id, not checked: the fake
  keeps no users); ``startsAt``/``endsAt`` RFC 3339 times with a zone, answered in UTC with milliseconds, ``endsAt``
  not before ``startsAt``; ``address`` has a company address's four parts. Activities refer to no company or contact.
- Unknown fields and the read-only ``id``/``createdAt``/``updatedAt`` in a body are refused, not ignored.
- Every accepted PATCH is a write (new ``updatedAt`` and ETag) even when no value changes.
- Deleting a company detaches its contacts (``company`` null, a write to each) instead of refusing or cascading.
- Ids are GUIDs, case-insensitive; a non-GUID id is a 400 on ``id``.
- Lists: ``pageSize`` 1 to 1,000 (default 100), unknown query parameters refused; ``nextPage`` absolute with an
  opaque keyset ``cursor``; deletes are invisible to incremental reads.
- Tokens: the client-credentials grant also yields a refresh token when ``offline_access`` is asked for (real
  IdentityServer only gives them to the login flow); access tokens live 3,600 s; refresh tokens rotate.
- Rate limits: unknown, so off unless a test sets one.
"""

from harness.crmoffice.client import MAX_PAGE_SIZE, RESOURCES, CRMOfficeClient, Record, Resource, Versioned
from harness.crmoffice.client.auth import DEFAULT_SCOPE, CRMOfficeAuth, Secret

__all__ = [
    "DEFAULT_SCOPE",
    "MAX_PAGE_SIZE",
    "RESOURCES",
    "CRMOfficeAuth",
    "CRMOfficeClient",
    "Record",
    "Resource",
    "Secret",
    "Versioned",
]
