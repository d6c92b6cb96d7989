"""Make the generated Allure report self-contained in fact: drop the analytics it loads from the internet.

Allure 3's single-file report embeds everything it needs, yet also loads Google's tag manager and sends the report's
id to it. A sign-off report opened from disk on a QA laptop or a CI artefact store has no business calling out, so
``make qa`` removes that script after generating. ``python -m harness.report.offline index.html`` fails (exit 2)
when the report is missing, which ``allure generate`` does not report by itself.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

__all__ = ["main", "make_offline"]

_ANALYTICS = re.compile(
    r"\s*<script async src=\"https://www\.googletagmanager\.com/[^\"]*\"></script>"
    r"(?:\s*<script>\s*window\.dataLayer.*?</script>)?",
    re.DOTALL,
)
_REMOTE_SCRIPT = re.compile(r"<script[^>]+src=\"https?://", re.IGNORECASE)


def make_offline(html: str) -> str:
    """The page without the analytics scripts; raises ValueError if another remote script remains."""
    cleaned = _ANALYTICS.sub("", html)
    remote = _REMOTE_SCRIPT.search(cleaned)
    if remote:
        raise ValueError(f"the report still loads a remote script: {cleaned[remote.start() : remote.start() + 120]!r}")
    return cleaned


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m harness.report.offline REPORT/index.html", file=sys.stderr)
        return 2
    path = Path(args[0])
    if not path.is_file():
        print(f"{path}: no report was generated (see the allure generate output above)", file=sys.stderr)
        return 2
    try:
        path.write_text(make_offline(path.read_text(encoding="utf-8")), encoding="utf-8")
    except ValueError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
