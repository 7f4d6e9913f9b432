"""The dispatcher: one unit of work per incoming message.

Inside one transaction: the inbox row (a redelivered event does nothing), the audit
row, the handler's writes, the domain events and the outbox rows of every reply.
It commits once; only then may an adapter show the replies.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.catalog import Catalog
from bot.errors import DomainError, UsageError
from bot.events import EventBus
from bot.i18n import t
from bot.jobs.notify import NotifyOptions
from bot.model import Actor, Incoming, Lang, Paragraph, Reply, as_lang
from bot.runtime.clock import Clock

if TYPE_CHECKING:
    from bot.record.exports import Exporter
from bot.ports import OutboxItem, RoomSettings, UnitOfWork, UnitOfWorkFactory
from bot.roles import Directory
from bot.runtime.router import Command, Context, Match, Router, Unknown
from bot.runtime.runner import Audit, UseCaseRunner

log = logging.getLogger(__name__)


def crash_point(name: str) -> None:
    """Test seam: ``CRISISCELL_CRASH_AT=<name>`` exits the process at once, right here."""
    if os.environ.get("CRISISCELL_CRASH_AT") == name:
        os._exit(137)


@dataclass(frozen=True)
class Handled:
    """What came of one incoming message: the committed outbox items to deliver."""

    duplicate: bool
    items: tuple[OutboxItem, ...] = ()

    @property
    def replies(self) -> list[Reply]:
        return [i.reply for i in self.items]


class Dispatcher:
    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        catalog: Catalog,
        directory: Directory,
        router: Router,
        bus: EventBus | None = None,
        default_lang: Lang = "fr",
        who_decides: Mapping[str, str] | None = None,
        notify: NotifyOptions | None = None,
        exporter: Exporter | None = None,
        wall_clock: Clock | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        # real time (leases, heartbeats), whatever time a drill's clock shows
        self.wall_clock = wall_clock or clock
        self.catalog = catalog
        self.directory = directory
        self.router = router
        self.default_lang = default_lang
        self.who_decides = dict(who_decides or {})
        self.notify = notify or NotifyOptions()
        self.exporter = exporter
        # every entry point ends its unit of work the same way (bot.runtime.runner); the
        # bus holds every feature's subscribers
        self.runner = UseCaseRunner(uow_factory, clock, bus)

    @property
    def on_commit(self) -> Callable[[], None] | None:
        """Called after every commit that may have queued messages for other rooms
        (alerts): the outbox sender's wake-up."""
        return self.runner.on_commit

    @on_commit.setter
    def on_commit(self, wake: Callable[[], None] | None) -> None:
        self.runner.on_commit = wake

    def actor_for(self, incoming: Incoming) -> Actor:
        person = self.directory.person(incoming.sender)
        return Actor(
            id=incoming.sender,
            name=person.name if person else (incoming.sender_name or incoming.sender),
            roles=self.directory.roles(incoming.sender),
            platform=incoming.platform,
            room=incoming.room,
        )

    async def handle(self, incoming: Incoming) -> Handled:
        if incoming.from_bot:
            return Handled(duplicate=False)
        match = self.router.match(incoming.command_text, addressed=incoming.addressed)
        if incoming.is_edit and match is None:
            return Handled(duplicate=False)  # an edited chat line: nothing to do
        # Not addressed and not a command: only a question naming a known service, in a
        # room that asked for such answers (/room questions on), gets an answer.
        overheard = match is None and not incoming.addressed
        overhears = self.router.overhears
        if overheard and not (overhears is not None and overhears(incoming.text)):
            return Handled(duplicate=False)
        try:
            async with self.uow_factory() as uow:
                settings = await uow.rooms.get(incoming.room)
                if overheard and not settings.answer_questions:
                    return Handled(duplicate=False)
                if not await self._claim(uow, incoming):
                    return Handled(duplicate=True)
                ctx = self._context(uow, incoming, match, settings)
                replies, command, outcome, detail = await self._route(ctx, match)
                items = await self._finish(uow, incoming, command, outcome, detail, replies)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("handler failed (ref %s, event %s)", ref, incoming.event_id)
            return await self._record_failure(incoming, match, ref)
        crash_point("after-inbox-commit")
        self.runner.wake()
        return Handled(duplicate=False, items=tuple(items))

    async def _claim(self, uow: UnitOfWork, incoming: Incoming) -> bool:
        return await uow.inbox.claim(
            platform=incoming.platform,
            event_id=incoming.event_id,
            room=incoming.room,
            at=self.clock.now(),
        )

    async def _finish(
        self,
        uow: UnitOfWork,
        incoming: Incoming,
        command: str | None,
        outcome: str,
        detail: str,
        replies: Sequence[Reply],
    ) -> list[OutboxItem]:
        audit = Audit(
            platform=incoming.platform,
            room=incoming.room,
            sender=incoming.sender,
            command=command,
            event_id=incoming.event_id,
            outcome=outcome,
            detail=detail,
        )
        return await self.runner.finish(
            uow,
            audit,
            replies,
            reply_key=f"reply:{incoming.platform}:{incoming.event_id}",
            reply_to=incoming.event_id,
        )

    def _context(
        self,
        uow: UnitOfWork,
        incoming: Incoming,
        match: Match | Unknown | None,
        settings: RoomSettings,
    ) -> Context:
        lang: Lang = (
            as_lang(settings.language)
            or (match.alias_lang if isinstance(match, Match) else None)
            or incoming.lang_hint
            or self.default_lang
        )
        return Context(
            incoming=incoming,
            uow=uow,
            clock=self.clock,
            catalog=self.catalog,
            directory=self.directory,
            router=self.router,
            actor=self.actor_for(incoming),
            lang=lang,
            default_lang=self.default_lang,
            who_decides_texts=self.who_decides,
            notify=self.notify,
            exporter=self.exporter,
            wall_clock=self.wall_clock,
        )

    async def _route(
        self, ctx: Context, match: Match | Unknown | None
    ) -> tuple[list[Reply], str | None, str, str]:
        """(replies, command name, audit outcome, audit detail)."""
        if ctx.incoming.is_edit:  # an edited command is not run again
            reply = Reply(
                kind="error",
                lang=ctx.lang,
                severity="warning",
                blocks=(Paragraph(ctx.t("edit.not_rerun")),),
                facts={"kind": "edit-ignored"},
            )
            name = match.command.name if isinstance(match, Match) else None
            return [reply], name, "edit-ignored", ""
        if isinstance(match, Unknown):
            return [self._unknown(ctx, match)], None, "unknown", match.word
        if match is None:
            if self.router.fallback is not None:
                answer = await self.router.fallback(ctx, ctx.incoming.command_text)
                if answer:
                    return answer, None, "question", ""
            return (
                [
                    Reply(
                        kind="error",
                        lang=ctx.lang,
                        severity="warning",
                        blocks=(Paragraph(ctx.t("not_understood")),),
                    )
                ],
                None,
                "not-understood",
                "",
            )
        cmd = match.command
        if not cmd.may_run(ctx.actor.roles):
            need = " / ".join(sorted(cmd.roles))
            text = ctx.t(
                "refused",
                command=f"/{cmd.name}",
                roles=need,
                have=", ".join(sorted(ctx.actor.roles)),
            )
            reply = Reply(
                kind="error",
                lang=ctx.lang,
                severity="error",
                blocks=(Paragraph(text),),
                facts={
                    "kind": "refused",
                    "command": cmd.name,
                    "needs": sorted(cmd.roles),
                },
            )
            return [reply], cmd.name, "refused", f"needs {need}"
        try:
            replies = await cmd.handler(ctx, match.args)
        except UsageError as e:
            return [usage_reply(ctx.lang, cmd, e.problems, e.show_usage)], cmd.name, "usage", str(e)
        except DomainError as e:
            reply = Reply(
                kind="error",
                lang=ctx.lang,
                severity="error",
                blocks=(Paragraph(e.message),),
                facts={"kind": "error"},
            )
            return [reply], cmd.name, "rejected", e.message
        return list(replies), cmd.name, "ok", ""

    def _unknown(self, ctx: Context, match: Unknown) -> Reply:
        lines = [ctx.t("unknown_command", command=match.word)]
        if match.suggestions:
            lines.append(
                ctx.t(
                    "parse.did_you_mean", choices=", ".join(f"/{c.name}" for c in match.suggestions)
                )
            )
        lines.append(ctx.t("not_understood"))
        return Reply(
            kind="error",
            lang=ctx.lang,
            severity="warning",
            blocks=tuple(Paragraph(x) for x in lines),
            facts={"kind": "unknown-command", "suggestions": [c.name for c in match.suggestions]},
        )

    async def _record_failure(
        self, incoming: Incoming, match: Match | Unknown | None, ref: str
    ) -> Handled:
        lang = (match.alias_lang if isinstance(match, Match) else None) or self.default_lang
        reply = Reply(
            kind="error",
            lang=lang,
            severity="error",
            blocks=(Paragraph(t(lang, "internal_error", ref=ref)),),
            facts={"kind": "internal-error", "ref": ref},
        )
        async with self.uow_factory() as uow:
            if not await self._claim(uow, incoming):
                return Handled(duplicate=True)
            command = match.command.name if isinstance(match, Match) else None
            items = await self._finish(uow, incoming, command, "error", f"ref {ref}", [reply])
        return Handled(duplicate=False, items=tuple(items))


def usage_reply(lang: Lang, cmd: Command, problems: Sequence[str], show_usage: bool) -> Reply:
    lines = list(problems)
    if show_usage:
        lines.append(t(lang, "usage", usage=cmd.usage_in(lang)))
        examples = cmd.examples_in(lang)
        if examples:
            lines.append(t(lang, "example", example=examples[0]))
    return Reply(
        kind="usage",
        lang=lang,
        severity="warning",
        blocks=tuple(Paragraph(x) for x in lines),
        facts={"kind": "usage", "command": cmd.name},
    )
