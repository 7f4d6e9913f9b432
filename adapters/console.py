"""The command line's own lines: English, for the operator at the bot's machine (chat
replies are in the message catalogs)."""

from __future__ import annotations


def counted(n: int, one: str, many: str | None = None) -> str:
    """ "1 appointment", "3 appointments" (``many`` when the plural is not ``one + s``)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"
