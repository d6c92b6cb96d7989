"""The settings files the harness writes for a shell (``harness serve --env-file``, ``harness proxy --env-file``).

One ``export NAME=value`` line per setting, each value quoted for the shell (:func:`shlex.quote`), so that a plain
``source FILE`` (or ``. FILE``) hands every setting to the processes the shell starts afterwards; ``set -a`` is not
needed, and still works. The file is the owner's only (mode 0600): it holds secrets.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path

__all__ = ["env_lines", "write_env_file"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def env_lines(values: Mapping[str, str]) -> str:
    """``export NAME=value`` lines; ValueError naming a name a shell cannot assign."""
    for name in values:
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a shell variable name: {name!r} (letters, digits and _, not starting with a digit)")
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())


def write_env_file(path: Path, values: Mapping[str, str]) -> None:
    """Write ``values`` to ``path`` as :func:`env_lines`, mode 0600 before anything is written (OSError as raised)."""
    text = env_lines(values)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text, encoding="utf-8")
