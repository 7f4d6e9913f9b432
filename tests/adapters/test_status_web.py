"""The status board, /api/v1/status, /healthz and /metrics on the bot's real web server,
fed by decisions recorded in chat; the page itself in a real headless Chromium (Debian's
``chromium``, driven with Playwright); /healthz against a real Synapse whose network is
cut. Screenshots go to ``test-artifacts/`` (CRISISCELL_ARTIFACTS overrides)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.status_web import StatusSite, negotiate
from adapters.web import WebServer
from tests.conftest import skip_or_fail
from tests.harness import Harness

START = datetime.fromisoformat("2022-05-15T09:12:00+02:00")  # Sunday
TOKEN = "board+token/for=tests"  # characters that must be URL-encoded
CHROMIUM = os.environ.get("CRISISCELL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get("CRISISCELL_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


class Site:
    def __init__(self, h: Harness, url: str) -> None:
        self.h, self.url = h, url

    async def get(self, path: str, **kw: Any) -> tuple[int, str, dict[str, str]]:
        async with aiohttp.ClientSession() as s, s.get(self.url + path, **kw) as r:
            return r.status, await r.text(), dict(r.headers)

    async def json(self, path: str, **kw: Any) -> Any:
        async with aiohttp.ClientSession() as s, s.get(self.url + path, **kw) as r:
            assert r.status == 200, await r.text()
            return await r.json()


@pytest.fixture
async def site(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Site]:
    monkeypatch.setenv("CRISISCELL_WEB_TOKEN", TOKEN)
    h = await Harness.start(sqlite_url, now=START)
    web = WebServer()
    StatusSite(h.runtime, platforms=["shell"]).install(web.app)
    await web.start("127.0.0.1:0")
    try:
        # a scripted morning: one status of each kind, and the plan
        await h.say("/decide consultations cancelled today : patients will be called || Dr X")
        await h.say("/decide radiology at arlon reduced tomorrow : urgent exams only")
        await h.say("/decide surgery case-by-case tomorrow")
        await h.say("/decide blood sampling open from today")
        await h.say("/decide scintigraphy at virton closed from today")
        await h.say("/milestone labs restored", user="@it:hospital.example")
        await h.say(
            "/milestone pacs restoring eta tomorrow 14:00 : restoring from the 3rd backup",
            user="@it:hospital.example",
        )
        yield Site(h, f"http://127.0.0.1:{web.port}")
    finally:
        await web.stop()
        await h.close()


def cell(day: dict[str, Any], service: str, site: str) -> dict[str, Any]:
    found = [i for i in day["items"] if i["service"] == service and i["site"] == site]
    assert len(found) == 1
    item: dict[str, Any] = found[0]
    return item


async def test_api_public_shows_statuses_and_public_notes_only(site: Site) -> None:
    data = await site.json("/api/v1/status")
    assert data["audience"] == "public"
    today, tomorrow, after = data["days"]
    assert today["date"] == "2022-05-15" and after["date"] == "2022-05-17"
    c = cell(today, "consultations", "arlon")
    assert c["status"] == "cancelled" and c["note"] == "patients will be called"
    assert "decision" not in c and "author" not in c
    assert cell(tomorrow, "radiology", "arlon")["status"] == "reduced"
    assert cell(tomorrow, "radiology", "bastogne")["status"] is None  # no decision recorded
    assert cell(today, "scintigraphy", "virton")["status"] == "closed"
    assert "jobs" not in data
    text = str(data)
    for internal in ("Dr X", "Operator", "IT on call", "3rd backup", "'decision'"):
        assert internal not in text, internal
    plan = {p["system"]: p for p in data["plan"]["items"]}
    assert plan["laboratory-system"]["state"] == "restored"
    assert plan["radiology-pacs"]["eta"] and "owner" not in plan["radiology-pacs"]


async def test_api_one_date_and_bad_date(site: Site) -> None:
    data = await site.json("/api/v1/status?date=2022-05-16")
    assert [d["date"] for d in data["days"]] == ["2022-05-16"]
    status, body, _ = await site.get("/api/v1/status?date=16/05")
    assert status == 400 and "YYYY-MM-DD" in body


async def test_internal_view_needs_the_token(site: Site) -> None:
    data = await site.json("/api/v1/status", headers={"Authorization": f"Bearer {TOKEN}"})
    c = cell(data["days"][0], "consultations", "arlon")
    assert data["audience"] == "internal"
    assert c["note"] == "patients will be called || Dr X"
    assert c["decision"] == 1 and c["author"] == "Operator"
    assert "jobs" in data
    status, _, _ = await site.get("/api/v1/status?token=wrong")
    assert status == 403
    status, html, headers = await site.get("/?" + urlencode({"token": TOKEN}))
    assert status == 200 and "Dr X" in html and headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    # the language links keep the (encoded) token working
    link = re.search(r'href="(\?lang=nl[^"]*)"', html)
    assert link is not None
    status, html, _ = await site.get("/" + link.group(1).replace("&amp;", "&"))
    assert status == 200 and "Interne weergave" in html


async def test_page_language_from_the_browser_or_the_link(site: Site) -> None:
    _, html, headers = await site.get("/", headers={"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"})
    assert headers["Content-Language"] == "nl" and "Stand van de diensten" in html
    _, html, _ = await site.get("/?lang=en", headers={"Accept-Language": "nl"})
    assert "Service status" in html and "cancelled" in html
    _, html, _ = await site.get("/", headers={"Accept-Language": "ja, es;q=0.8"})
    assert "État des services" in html  # the configured default


def test_accept_language_negotiation() -> None:
    assert negotiate("de-CH;q=0.4, en-GB;q=0.8, fr;q=0.1", "fr") == "en"
    assert negotiate("", "nl") == "nl"
    assert negotiate("xx, *;q=0.1", "fr") == "fr"
    assert negotiate("en;q=0, nl", "fr") == "nl"


async def test_metrics_in_prometheus_text_format(site: Site) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    await site.h.say("is radiology open tomorrow?")
    assert (await site.get("/metrics"))[0] == 401  # job and SMS counts: not public
    status, text, headers = await site.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["crisiscell_commands"].type == "counter"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert samples[("crisiscell_commands_total", (("command", "decide"), ("outcome", "ok")))] == 5
    assert samples[("crisiscell_questions_total", ())] == 1
    key = ("platform", "shell"), ("state", "pending"), ("type", "reply")
    assert samples[("crisiscell_outbox_messages", key)] >= 8
    assert "crisiscell_outbox_depth" in families and "crisiscell_sms" in families


async def test_healthz_components_and_outbox_lag(site: Site) -> None:
    rt = site.h.runtime
    status, body, _ = await site.get("/healthz")
    assert status == 200, body
    rt.health.failure("matrix", "sync failed: SyncError")
    status, body, _ = await site.get("/healthz")
    assert status == 503 and "sync failed" in body
    rt.health.success("matrix", "syncing")
    assert (await site.get("/healthz"))[0] == 200
    site.h.clock.advance(minutes=10)  # the replies above were never delivered
    status, body, _ = await site.get("/healthz")
    assert status == 503 and json.loads(body)["outbox"]["lag_seconds"] >= 600


# --- in a real browser ----------------------------------------------------------------


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not shutil.which(CHROMIUM):
        skip_or_fail(f"Chromium is not installed at {CHROMIUM} (apt install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            await b.close()


def shot(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


STATUS_RGB = {
    "open": "rgb(200, 240, 207)",
    "reduced": "rgb(255, 231, 168)",
    "case-by-case": "rgb(255, 231, 168)",
    "cancelled": "rgb(255, 201, 201)",
    "closed": "rgb(255, 201, 201)",
    "none": "rgb(236, 236, 236)",
}


async def test_board_in_chromium_colours_words_language_and_public_mode(
    site: Site, browser: Any
) -> None:
    page = await browser.new_page(locale="fr-BE", viewport={"width": 1280, "height": 900})
    await page.goto(site.url + "/")
    assert await page.title() == "État des services"

    async def seen(date: str, service: str, site_id: str) -> tuple[str, str, str]:
        sel = f'table[data-date="{date}"] td[data-service="{service}"][data-site="{site_id}"]'
        loc = page.locator(sel)
        return (
            await loc.get_attribute("data-status") or "",
            await loc.evaluate("e => getComputedStyle(e).backgroundColor"),
            (await loc.inner_text()).strip(),
        )

    expected = [
        ("2022-05-15", "consultations", "arlon", "cancelled", "annulé"),
        ("2022-05-16", "radiology", "arlon", "reduced", "réduit"),
        ("2022-05-16", "surgery", "marche", "case-by-case", "au cas par cas"),
        ("2022-05-15", "blood-sampling", "bastogne", "open", "ouvert"),
        ("2022-05-15", "scintigraphy", "virton", "closed", "fermé"),
        ("2022-05-16", "radiology", "bastogne", "none", "aucune décision"),
    ]
    for date, service, site_id, status, word in expected:
        got_status, colour, text = await seen(date, service, site_id)
        assert got_status == status, (service, site_id)
        assert colour == STATUS_RGB[status], (service, site_id, colour)
        assert word in text.lower(), (service, site_id, text)  # never colour alone
    # the note opens on a tap
    summary = page.locator(
        'table[data-date="2022-05-15"] td[data-service="consultations"][data-site="arlon"] summary'
    )
    await summary.click()
    assert await page.locator("text=patients will be called").first.is_visible()
    # public: nothing internal anywhere on the page
    html = await page.content()
    for internal in ("Dr X", "Operator", "Vue interne", "IT on call", "3rd backup"):
        assert internal not in html, internal
    assert await page.locator("progress").get_attribute("value") == "1"
    await page.screenshot(path=str(shot("board-public-fr.png")), full_page=True)
    # switch to Dutch with the link
    await page.get_by_role("link", name="Nederlands").click()
    await page.wait_for_load_state()
    assert "Stand van de diensten" in await page.title()
    assert "geannuleerd" in (
        await page.locator(
            'table[data-date="2022-05-15"] td[data-service="consultations"][data-site="arlon"]'
        ).inner_text()
    )
    # a phone-sized screen, and the internal view
    phone = await browser.new_page(viewport={"width": 390, "height": 844})
    await phone.goto(site.url + "/?" + urlencode({"lang": "en", "token": TOKEN}))
    assert "Internal view" in await phone.title()
    assert "Dr X" in await phone.content()
    await phone.screenshot(path=str(shot("board-internal-en-phone.png")), full_page=True)
    assert shot("board-public-fr.png").stat().st_size > 10_000


# --- /healthz when Matrix loses its homeserver ----------------------------------------


@pytest.mark.slow
@pytest.mark.matrix
async def test_healthz_turns_503_when_matrix_loses_its_homeserver(
    synapse: Any, tmp_path: Path
) -> None:
    from tests.fakes.proxy import Proxy
    from tests.matrix_helpers import BotProcess

    proxy = Proxy(synapse.port)
    await proxy.start()
    bot_id, _ = synapse.register("crisiscell-health")
    alice_id, _ = synapse.register("alice-health")
    bot = BotProcess(tmp_path / "bot", synapse, bot_id, cell=[alice_id], homeserver=proxy.url)
    bot.start()
    url = f"http://127.0.0.1:{bot.web_port}/healthz"

    async def status() -> int:
        try:
            async with aiohttp.ClientSession() as s, s.get(url) as r:
                body = await r.json()
        except aiohttp.ClientError:
            return 0  # not listening yet
        names = {c["name"]: c["healthy"] for c in body["components"]}
        assert "matrix" in names  # registered (starting) before the server answers
        return r.status

    async def until(code: int, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while await status() != code:
            assert time.monotonic() < deadline, f"/healthz never answered {code}"
            await asyncio.sleep(0.2)

    try:
        await until(200)
        proxy.cut()  # the homeserver is gone
        await until(503)
        proxy.restore()
        await until(200)
    finally:
        bot.stop()
        await proxy.stop()
