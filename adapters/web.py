"""The bot's web server: one aiohttp application per process; adapters add their routes."""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)


class WebServer:
    def __init__(self, app: web.Application | None = None) -> None:
        self.app = app or web.Application(client_max_size=4 * 1024 * 1024)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, listen: str) -> None:
        host, _, port = listen.rpartition(":")
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host.strip("[]"), int(port))
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the one bound (port 0: a free one)
        log.info("web server listening on %s:%s", host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
