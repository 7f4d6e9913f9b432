"""Matrix pieces without a homeserver: rendering, mentions, and a fake server's 429s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from nio import MatrixRoom

from adapters.matrix.adapter import MatrixAdapter, strip_mention, strip_reply_fallback
from adapters.matrix.render import ALLOWED_TAGS, FACTS_KEY, MAX_ROWS, render
from bot.config import MatrixSection
from bot.model import BulletList, Paragraph, Reply, Table, room_ref
from bot.ports import OutboxItem
from tests.harness import Harness


def test_render_escapes_and_threads() -> None:
    reply = Reply(
        kind="decision",
        lang="en",
        title="Decision <recorded>",
        blocks=(Paragraph('note: <script>x</script> & "q"'), BulletList(("<b>",))),
        facts={"kind": "decision", "decisions": [3]},
    )
    (content,) = render(reply, reply_to="$cmd")
    assert content["msgtype"] == "m.notice"
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$cmd"}}
    assert content[FACTS_KEY] == {"kind": "decision", "decisions": [3]}
    assert content["formatted_body"] == (
        "<p><strong>Decision &lt;recorded&gt;</strong></p>"
        "<p>note: &lt;script&gt;x&lt;/script&gt; &amp; &quot;q&quot;</p>"
        "<ul><li>&lt;b&gt;</li></ul>"
    )
    assert content["body"] == 'Decision <recorded>\nnote: <script>x</script> & "q"\n• <b>'


def test_long_board_is_split_not_truncated() -> None:
    rows = tuple((f"service {i}", "all sites", "open", f"no. {i}") for i in range(75))
    reply = Reply(
        kind="board",
        lang="en",
        title="Status",
        blocks=(Table(("Service", "Sites", "Status", "Decision"), rows),),
    )
    contents = render(reply, reply_to="$x")
    assert len(contents) == 3
    assert [c["body"].splitlines()[0] for c in contents] == [
        "Status (1/3)",
        "Status (2/3)",
        "Status (3/3)",
    ]
    all_html = "".join(c["formatted_body"] for c in contents)
    for i in range(75):
        assert f"<td>service {i}</td>" in all_html
    assert all(c["formatted_body"].count("<tr>") <= MAX_ROWS + 1 for c in contents)
    tags = {
        t.split()[0].strip("/<>")
        for c in contents
        for t in c["formatted_body"].replace(">", ">\n").split("\n")
        if t.startswith("<")
    }
    assert tags <= ALLOWED_TAGS
    assert FACTS_KEY in contents[0] and FACTS_KEY not in contents[1]


def test_mentions_and_reply_fallback() -> None:
    names = ["@crisiscell:localhost", "crisiscell"]
    assert strip_mention("crisiscell: !status", names) == ("!status", True)
    assert strip_mention("@crisiscell:localhost decide radiology open", names) == (
        "decide radiology open",
        True,
    )
    assert strip_mention("Crisiscell, is radiology open?", names) == ("is radiology open?", True)
    assert strip_mention("crisiscellar is a word", names) == ("crisiscellar is a word", False)
    body = "> <@alice:localhost> !decide radiology open\n> more\n\n!status"
    assert strip_reply_fallback(body) == "!status"
    assert strip_reply_fallback("!status") == "!status"


@pytest.fixture
async def limited_server() -> AsyncIterator[tuple[str, list[str]]]:
    """A homeserver that answers the first send with 429 and only a Retry-After header."""
    seen: list[str] = []

    async def send(request: web.Request) -> web.Response:
        seen.append(request.match_info["txn"])
        if len(seen) == 1:
            return web.json_response(
                {"errcode": "M_LIMIT_EXCEEDED", "error": "Too many"},
                status=429,
                headers={"Retry-After": "2"},
            )
        return web.json_response({"event_id": "$sent"})

    app = web.Application()
    app.router.add_put("/_matrix/client/v3/rooms/{room}/send/{type}/{txn}", send)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_retry_after_header_is_honoured(
    bot: Harness, limited_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, seen = limited_server
    adapter = MatrixAdapter(
        bot.runtime,
        MatrixSection(enabled=True, homeserver=url, user_id="@bot:localhost"),
        store_dir=tmp_path,
        inviters=[],
        bot_name="crisiscell",
    )
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    adapter.sleep = record
    (tmp_path / "store").mkdir()
    adapter.client.restore_login("@bot:localhost", "DEVICE", "token")
    adapter.client.rooms["!r:localhost"] = MatrixRoom("!r:localhost", "@bot:localhost")
    item = OutboxItem(
        id=1,
        room=room_ref("matrix", "!r:localhost"),
        key="reply:matrix:$e:0",
        reply=Reply(kind="text", lang="en", blocks=(Paragraph("hi"),)),
        attempts=0,
        reply_to="$e",
    )
    try:
        await adapter.deliver(item)
    finally:
        await adapter.close()
    assert waits == [2.0]
    assert len(seen) == 2 and seen[0] == seen[1]  # the same transaction id: sent once
    assert adapter.sent_events[-1] == "$sent"
