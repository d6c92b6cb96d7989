"""What ``mitmdump -s`` loads: a script module is not importable by name (dataclasses in it break), so the addon
lives in :mod:`harness.proxy.addon` and this file only hands it over."""

from harness.proxy.addon import addons

__all__ = ["addons"]
