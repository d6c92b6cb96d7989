"""What a client did to a tenant, seen on the wire: requests classified by entity set and record, the meters that
count them, and the tenants' published limits those meters are held against (contract rule 12).

Pure standard library: the same code runs inside ``harness proxy`` (a mitmproxy process of its own, see
:mod:`harness.proxy`) and beside the fakes, so the product behind the proxy and the reference sync on the fakes are
measured and judged alike.
"""

__all__: list[str] = []
