"""The status board on the bot's web server: ``/`` (HTML), ``/api/v1/status`` (JSON),
``/healthz`` and ``/metrics`` (Prometheus text format).

The board is public by default: statuses and the public part of notes. The internal view
(authors, whole notes, SMS jobs) needs the token from ``[web] internal_token_env``.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from adapters.exports import templates
from adapters.runtime import Runtime
from bot.i18n import fmt_period, t, tn
from bot.jobs.calls import CALL_OUTCOMES, CallError, call_counts, record_outcome
from bot.ledger.board import Audience, board_page, three_days
from bot.model import Actor, Lang, RoomRef, as_lang
from bot.runtime.runner import Audit

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
WEB_LANGS: tuple[tuple[Lang, str], ...] = (
    ("fr", "Français"),
    ("nl", "Nederlands"),
    ("en", "English"),
    ("de", "Deutsch"),
)


def negotiate(accept: str, default: Lang) -> Lang:
    """The first language of an Accept-Language header we speak, by quality."""
    choices: list[tuple[float, int, Lang]] = []
    for n, part in enumerate(accept.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = as_lang(tag.strip().lower()[:2])
        if lang is not None and q > 0:
            choices.append((-q, n, lang))
    return min(choices)[2] if choices else default


PUBLIC_CACHE_SECONDS = 15.0
SECURITY_HEADERS = {"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


class StatusSite:
    def __init__(self, runtime: Runtime, *, platforms: Sequence[str] = ()) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        # the chat platforms this process delivers to: their backlog is its outbox lag
        self.platforms = tuple(platforms)
        self._cache: dict[tuple[str, date], tuple[float, str]] = {}
        self.env = templates()

    def install(self, app: web.Application) -> None:
        app.router.add_get("/", self.board)
        app.router.add_get("/api/v1/status", self.api_status)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        app.router.add_get("/calls/{no:[0-9]+}", self.call_list)
        app.router.add_post("/calls/{no:[0-9]+}/outcome", self.call_outcome)
        app.router.add_static("/static", STATIC)

    # --- who is asking -------------------------------------------------------------------

    def _token(self) -> str | None:
        return os.environ.get(self.settings.web.internal_token_env) or None

    def audience(self, request: web.Request) -> Audience:
        """``internal`` with the right token, ``public`` without one; a wrong one: 403."""
        given = request.query.get("token") or ""
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            given = auth[7:].strip()
        if not given:
            return "public"
        if self._right_token(given):
            return "internal"
        raise web.HTTPForbidden(text="wrong token\n")

    def _right_token(self, given: str) -> bool:
        token = self._token()
        return bool(token and given and hmac.compare_digest(given.encode(), token.encode()))

    def lang(self, request: web.Request) -> Lang:
        asked = as_lang(request.query.get("lang", ""))
        return asked or negotiate(
            request.headers.get("Accept-Language", ""), self.settings.bot.language
        )

    # --- pages ---------------------------------------------------------------------------

    async def _page(self, audience: Audience, lang: Lang, days: list[date]) -> Any:
        rt = self.runtime
        async with rt.db.reader() as uow:
            return await board_page(
                uow,
                rt.catalog,
                days=days,
                lang=lang,
                audience=audience,
                tz=rt.clock.tz,
                now=rt.clock.now(),
            )

    async def board(self, request: web.Request) -> web.StreamResponse:
        audience = self.audience(request)
        lang = self.lang(request)
        today = self.runtime.clock.now().date()
        headers = {
            **SECURITY_HEADERS,
            "Cache-Control": "no-store" if audience == "internal" else "max-age=30",
            "Content-Language": lang,
            "Vary": "Accept-Language, Authorization",
        }
        cached = self._cache.get((lang, today)) if audience == "public" else None
        if cached and cached[0] > self.runtime.wall_clock.monotonic():
            # a busy public page costs the database one read per language every 15 s
            return web.Response(text=cached[1], content_type="text/html", headers=headers)
        page = await self._page(audience, lang, three_days(today))
        token = request.query.get("token")

        def link(code: str) -> str:
            return "?" + urlencode({"lang": code, **({"token": token} if token else {})})

        html = self.env.get_template("board.html").render(
            page=page,
            t=lambda key, **kw: t(lang, key, **kw),
            tn=lambda key, count, **kw: tn(lang, key, count, **kw),
            languages=WEB_LANGS,
            link=link,
            static="/static",
            hospital=self.settings.notify.hospital,
        )
        if audience == "public":
            expires = self.runtime.wall_clock.monotonic() + PUBLIC_CACHE_SECONDS
            self._cache[(lang, today)] = (expires, html)
        return web.Response(text=html, content_type="text/html", headers=headers)

    async def api_status(self, request: web.Request) -> web.StreamResponse:
        audience = self.audience(request)
        lang = self.lang(request)
        raw = request.query.get("date")
        today = self.runtime.clock.now().date()
        if raw:
            try:
                days = [date.fromisoformat(raw)]
            except ValueError:
                raise web.HTTPBadRequest(text="date: use YYYY-MM-DD\n") from None
        else:
            days = three_days(today)
        page = await self._page(audience, lang, days)
        return web.json_response(
            page.to_json(),
            headers={
                **SECURITY_HEADERS,
                "Cache-Control": "no-store" if audience == "internal" else "max-age=30",
                "Vary": "Accept-Language, Authorization",
            },
        )

    # --- monitoring ----------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.StreamResponse:
        rt = self.runtime
        now = rt.clock.now()  # the clock the messages were queued with
        database_ok = True
        try:
            async with rt.db.reader() as uow:
                oldest = await uow.stats.oldest_pending(self.platforms)
        except Exception as e:  # the database is part of the bot's health
            database_ok, oldest = False, None
            log.warning("/healthz: database unavailable (%s)", type(e).__name__)
        lag = (now - oldest).total_seconds() if oldest else 0.0
        lag_ok = lag <= self.settings.web.outbox_lag_seconds
        healthy = rt.health.healthy() and lag_ok and database_ok
        body = {
            "healthy": healthy,
            "components": rt.health.report(),
            "database": {"ok": database_ok},
            "outbox": {"lag_seconds": round(lag, 1), "ok": lag_ok},
        }
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics(self, request: web.Request) -> web.StreamResponse:
        # job and SMS counts are not for the public: with a token configured, it is needed
        if self._token() and self.audience(request) != "internal":
            raise web.HTTPUnauthorized(text="metrics need the internal token\n")
        rt = self.runtime
        async with rt.db.reader() as uow:
            commands = await uow.stats.commands()
            outbox = await uow.stats.outbox()
            sms = await uow.stats.sms()
            jobs = await uow.stats.jobs()
        registry = CollectorRegistry(auto_describe=False)
        families: list[GaugeMetricFamily | CounterMetricFamily] = []
        c = CounterMetricFamily(
            "crisiscell_commands",
            "Messages handled, by command and outcome (audit log; command '-': no command)",
            labels=["command", "outcome"],
        )
        for command, outcome, n in commands:
            c.add_metric([command, outcome], n)
        families.append(c)
        q = CounterMetricFamily("crisiscell_questions", "Questions answered (audit log)")
        q.add_metric([], sum(n for _, outcome, n in commands if outcome == "question"))
        families.append(q)
        o = GaugeMetricFamily(
            "crisiscell_outbox_messages",
            "Outgoing chat messages by platform, type (reply, alert, briefing, job) and state",
            labels=["platform", "type", "state"],
        )
        for platform, kind, state, n in outbox:
            o.add_metric([platform, kind, state], n)
        families.append(o)
        a = CounterMetricFamily("crisiscell_alerts", "Alerts written for subscribed rooms")
        a.add_metric([], sum(n for _, kind, _, n in outbox if kind == "alert"))
        families.append(a)
        d = GaugeMetricFamily("crisiscell_outbox_depth", "Chat messages waiting to be delivered")
        d.add_metric([], sum(n for _, _, state, n in outbox if state == "pending"))
        families.append(d)
        s = GaugeMetricFamily("crisiscell_sms", "Patient SMS by state", labels=["state"])
        for state, n in sms:
            s.add_metric([state], n)
        families.append(s)
        j = GaugeMetricFamily("crisiscell_sms_jobs", "SMS jobs by state", labels=["state"])
        for state, n in jobs:
            j.add_metric([state], n)
        families.append(j)
        up = GaugeMetricFamily(
            "crisiscell_component_up", "1 when a part of the bot is healthy", labels=["component"]
        )
        for item in rt.health.report():
            up.add_metric([str(item["name"])], 1.0 if item["healthy"] else 0.0)
        families.append(up)

        class _Snapshot:
            def collect(self) -> list[GaugeMetricFamily | CounterMetricFamily]:
                return families

        registry.register(_Snapshot())
        return web.Response(
            body=generate_latest(registry),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )

    # --- call lists (internal only: phone numbers) ----------------------------------------

    async def call_list(self, request: web.Request) -> web.StreamResponse:
        if self.audience(request) != "internal":
            raise web.HTTPForbidden(text="the call list needs the internal token\n")
        rt = self.runtime
        lang = self.lang(request)
        no = int(request.match_info["no"])
        async with rt.db.reader() as uow:
            call_list = await uow.calls.get(no)
            if call_list is None:
                raise web.HTTPNotFound(text="no such call list\n")
            calls = await uow.calls.calls(no)
            appts = {
                a.id: a for a in await uow.appointments.get_many([c.appointment_id for c in calls])
            }
        tz = rt.clock.tz
        groups: dict[str, list[dict[str, Any]]] = {}
        for c in calls:
            a = appts.get(c.appointment_id)
            groups.setdefault(rt.catalog.site_name(c.site, lang), []).append(
                {
                    "id": c.appointment_id,
                    "time": c.start.astimezone(tz).strftime("%d/%m %H:%M"),
                    "phone": a.phone if a else "",
                    "tries": c.tries,
                    "outcome": c.outcome,
                }
            )
        counts = call_counts(calls)
        html = self.env.get_template("calls.html").render(
            lang=lang,
            no=no,
            title=t(lang, "calls.title", no=no),
            internal=t(lang, "web.internal"),
            scope=" — ".join(
                (
                    rt.catalog.service_name(call_list.service, lang),
                    rt.catalog.sites_label(list(call_list.sites), lang),
                    fmt_period(call_list.first_day, call_list.last_day, lang),
                )
            ),
            status=", ".join(f"{k}: {v}" for k, v in sorted(counts.items())),
            groups=list(groups.items()),
            outcomes=CALL_OUTCOMES,
            token=request.query.get("token", "")
            or request.headers.get("Authorization", "").removeprefix("Bearer ").strip(),
            h={
                "time": t(lang, "web.calls.time"),
                "appointment": t(lang, "web.calls.appointment"),
                "phone": t(lang, "web.calls.phone"),
                "tries": t(lang, "web.calls.tries"),
                "outcome": t(lang, "web.calls.outcome"),
                "record": t(lang, "web.calls.record"),
            },
        )
        return web.Response(
            text=html,
            content_type="text/html",
            headers={**SECURITY_HEADERS, "Cache-Control": "no-store"},
        )

    async def call_outcome(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token = str(form.get("token", ""))
        if not self._right_token(token):
            raise web.HTTPForbidden(text="the call list needs the internal token\n")
        no = int(request.match_info["no"])
        outcome = str(form.get("outcome", ""))
        appointment = str(form.get("appointment", ""))
        if outcome not in CALL_OUTCOMES or not appointment:
            raise web.HTTPBadRequest(text="appointment and outcome are required\n")
        rt = self.runtime
        actor = Actor(
            "web:internal", "internal page", frozenset({"cell"}), "web", RoomRef("web:internal")
        )
        try:
            await rt.dispatcher.runner.run(
                lambda uow: record_outcome(
                    uow,
                    actor=actor,
                    appointment_id=appointment,
                    outcome=outcome,
                    note="",
                    at=rt.clock.now(),
                    lang=rt.settings.bot.language,
                    list_no=no,
                ),
                Audit.by(actor, "call", detail=f"list {no}: {outcome}"),
            )
        except CallError as e:  # not on this list, or already settled
            raise web.HTTPConflict(text=e.message + "\n") from None
        raise web.HTTPSeeOther(f"/calls/{no}?" + urlencode({"token": token}))
