"""Errors a handler raises to answer the user instead of doing the command."""

from __future__ import annotations


class UsageError(Exception):
    """The command cannot be read: answer with these (localized) lines and the usage."""

    def __init__(self, *problems: str, show_usage: bool = True) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems
        self.show_usage = show_usage


class DomainError(Exception):
    """The command was understood but cannot be done (localized message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
