"""``harness soak``: seeded random histories of user actions on both tenants while the product syncs them, checked
against the contract, a failure shrunk to a minimal history and printed as a Gherkin scenario.

Modules: :mod:`.program` (the seeded program), :mod:`.runner` (running it on the tenants), :mod:`.checker` (the
rules), :mod:`.shrink` (delta debugging), :mod:`.gherkin` (the reproduction), :mod:`.session` (one soak),
:mod:`.allure` (its Allure result), :mod:`.cli` (the command).
"""
