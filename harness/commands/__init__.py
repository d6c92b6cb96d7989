"""The ``harness`` command's sub-commands that drive other packages: they open tenants, build fake pairs and print.

Each module exposes ``register(subparsers)`` (see :mod:`harness.cli`). The libraries they drive never import them."""
