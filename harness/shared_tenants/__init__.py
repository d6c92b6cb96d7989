"""Hygiene on tenants shared with people and other runs: run tags in record names (``runtag``) and removing what
runs left behind (``cleanup``); a record without a run tag is never touched."""
