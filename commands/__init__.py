"""What users can say: one module per family, each exposing ``COMMANDS``."""

from __future__ import annotations

from bot.router import Command, Router
from commands import (
    appointments,
    board,
    calls,
    decisions,
    exports,
    meta,
    notify,
    plan,
    questions,
)


def all_commands() -> tuple[Command, ...]:
    return (
        *decisions.COMMANDS,
        *board.COMMANDS,
        *questions.COMMANDS,
        *plan.COMMANDS,
        *appointments.COMMANDS,
        *notify.COMMANDS,
        *exports.COMMANDS,
        *calls.COMMANDS,
        *meta.COMMANDS,
    )


def build_router() -> Router:
    return Router(all_commands())
