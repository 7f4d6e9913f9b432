"""What users can say: one module per family, each exposing ``COMMANDS``."""

from __future__ import annotations

from bot.catalog import Catalog
from bot.runtime.router import Command, Router
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
from commands.reading import mentions_service


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


def build_router(catalog: Catalog) -> Router:
    """Every command; a message that is none of them is read as a question."""
    return Router(
        all_commands(),
        fallback=questions.answer_question,
        overhears=lambda text: mentions_service(text, catalog),
    )
