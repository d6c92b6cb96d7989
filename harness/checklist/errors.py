"""The one exception of ``harness.checklist``: a file that cannot be read as a Sesam Talk checklist."""

from __future__ import annotations

__all__ = ["ChecklistError"]


class ChecklistError(ValueError):
    """A file is not a readable checklist: missing, binary, not reStructuredText, or not in the checklist format.

    ``str()`` gives ``path:line: message``; ``line`` is 1-based, or None when no line applies (a missing file).
    The message says what was expected and, where useful, what was found.
    """

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple[type[ChecklistError], tuple[str, int | None, str]]:
        # Keeps the exception picklable (process pools, pytest-xdist) despite the custom __init__.
        return type(self), (self.path, self.line, self.message)
