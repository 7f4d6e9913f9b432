"""The dispatcher's unit of work: a failing handler records nothing but the failure."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.ledger.decisions import record_decision
from bot.model import Status
from bot.runtime.dispatcher import Dispatcher
from bot.runtime.router import Command, Context, Router
from storage import tables as T
from tests.harness import Harness


async def broken(ctx: Context, args: str) -> list[object]:
    # writes first, then fails: the write must be rolled back
    await record_decision(
        ctx.uow,
        actor=ctx.actor,
        service="radiology",
        site="all",
        status=Status.OPEN,
        first_day=ctx.today(),
        last_day=None,
        note="",
        source_event_id=ctx.incoming.event_id,
        at=ctx.clock.now(),
    )
    raise RuntimeError("boom")


async def test_failing_handler_is_rolled_back_and_answered(bot: Harness) -> None:
    d = bot.runtime.dispatcher
    bot.runtime.dispatcher = Dispatcher(
        uow_factory=d.uow_factory,
        clock=d.clock,
        catalog=d.catalog,
        directory=d.directory,
        router=Router(
            [
                Command(
                    name="broken",
                    handler=broken,
                    names={"en": ("broken",)},
                    usage="command.help.usage",
                    summary="command.help.summary",
                )
            ]
        ),
        default_lang="en",
    )
    first = await bot.send("/broken", event_id="$e1")
    (reply,) = first.replies
    assert reply.facts["kind"] == "internal-error"
    assert "nothing was recorded" in reply.blocks[0].text  # type: ignore[union-attr]
    again = await bot.send("/broken", event_id="$e1")
    assert again.duplicate
    async with bot.runtime.db.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(T.ledger))).scalar() == 0
        outcomes = (await conn.execute(select(T.audit.c.outcome))).scalars().all()
    assert outcomes == ["error"]


async def test_edited_commands_are_not_run_again(bot: Harness) -> None:
    from bot.model import Incoming

    def edit(text: str, event_id: str) -> Incoming:
        return Incoming(
            platform="shell",
            room=bot.room,
            sender="@operator:local",
            sender_name="Operator",
            text=text,
            command_text=text,
            event_id=event_id,
            sent_at=bot.clock.now(),
            addressed=True,
            is_edit=True,
        )

    handled = await bot.runtime.dispatcher.handle(edit("/decide radiology open", "$e2"))
    assert handled.replies[0].facts == {"kind": "edit-ignored"}
    assert (await bot.runtime.dispatcher.handle(edit("just fixing a typo", "$e3"))).replies == []
    assert (await bot.facts("/history"))["total"] == 0
