"""``harness proxy``: a reverse proxy in front of each tenant, through which the *product* reaches the tenants, so
an external sync can be metered, faulted and caught in its read-then-write window (contract rules 10 to 12).

Built on mitmproxy (reverse mode, one front per tenant, an addon): see ``docs/proxy.md`` and, for why it runs in a
virtual environment of its own, ``docs/architecture.md``. Rooms:

- :mod:`harness.proxy.faults`, :mod:`harness.proxy.holds`, :mod:`harness.proxy.control`: the nemesis, the holds and
  the control plane (standard library only: they run inside mitmproxy's process).
- :mod:`harness.proxy.addon`: the mitmproxy addon that applies them to each request.
- :mod:`harness.proxy.launch`, :mod:`harness.proxy.cli`: ``harness proxy`` itself (the harness's environment).
- :mod:`harness.proxy.client`: the control plane's client, for the suite and ``harness soak``.

This module imports nothing, so mitmproxy's process can load the addon without the harness's dependencies.
"""

__all__: list[str] = []
