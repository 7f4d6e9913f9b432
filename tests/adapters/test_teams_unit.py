"""Teams pieces without a connector: the renderer, mentions, the app package, the config."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from adapters.teams.adapter import plain_text
from adapters.teams.render import adaptive_card, markdown, render
from bot.config import ConfigError, parse_settings
from bot.model import BulletList, Paragraph, Reply, Table
from tests.adapters.test_shell import crisiscell

BOARD = Reply(
    kind="board",
    lang="en",
    title="Status for Monday 16 May 2022",
    blocks=(
        Table(
            ("Service", "Sites", "Status", "Decision"),
            (("radiology", "all sites", "cancelled", "no. 4"),),
        ),
        BulletList(("no. 4: <b>all</b> exams *cancelled*",)),
    ),
    facts={"kind": "status"},
)


def test_board_card_snapshot() -> None:
    assert adaptive_card(BOARD) == {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": [
            {
                "type": "TextBlock",
                "text": "Status for Monday 16 May 2022",
                "wrap": True,
                "size": "Medium",
                "weight": "Bolder",
            },
            {
                "type": "Table",
                "columns": [{"width": 1}] * 4,
                "firstRowAsHeader": True,
                "showGridLines": True,
                "rows": [
                    {
                        "type": "TableRow",
                        "style": "accent",
                        "cells": [
                            {
                                "type": "TableCell",
                                "items": [
                                    {
                                        "type": "TextBlock",
                                        "text": h,
                                        "wrap": True,
                                        "weight": "Bolder",
                                    }
                                ],
                            }
                            for h in ("Service", "Sites", "Status", "Decision")
                        ],
                    },
                    {
                        "type": "TableRow",
                        "cells": [
                            {
                                "type": "TableCell",
                                "items": [{"type": "TextBlock", "text": c, "wrap": True}],
                            }
                            for c in ("radiology", "all sites", "cancelled", "no. 4")
                        ],
                    },
                ],
            },
            {
                "type": "TextBlock",
                "text": "• no. 4: &lt;b&gt;all&lt;/b&gt; exams \\*cancelled\\*",
                "wrap": True,
                "spacing": "Small",
            },
        ],
        "fallbackText": markdown(BOARD),
    }


def test_markdown_and_activity() -> None:
    short = Reply(
        kind="answer",
        lang="fr",
        blocks=(Paragraph("Non — radiologie : annulé"),),
        facts={"kind": "answer"},
    )
    activity = render(short, reply_to="1700")
    assert activity == {
        "type": "message",
        "textFormat": "markdown",
        "text": "Non — radiologie : annulé",
        "replyToId": "1700",
        "channelData": {"crisiscellFacts": {"kind": "answer"}},
    }
    board = render(BOARD)
    assert board["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert board["text"].startswith("**Status for Monday 16 May 2022**\n\n| Service |")


def test_mentions_are_stripped() -> None:
    assert plain_text("<at>crisiscell</at> /decide radiology open", {"crisiscell"}) == (
        "/decide radiology open",
        True,
    )
    assert plain_text("<at>Dr Martin</at> can you check?", {"crisiscell"}) == (
        "Dr Martin can you check?",
        False,
    )
    assert plain_text("<p>is radiology &lt;open&gt;?</p>", {"crisiscell"}) == (
        "is radiology <open>?",
        False,
    )


def test_teams_needs_an_app_id_unless_local_testing() -> None:
    with pytest.raises(ConfigError, match="teams: enabled = true needs app_id and tenant_id"):
        parse_settings("[teams]\nenabled = true\n")
    assert parse_settings("[teams]\nenabled = true\nlocal_testing = true\n").teams.local_testing


def test_manifest_package(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[teams]\napp_id = "0e5c1f8a-0000-4000-8000-00000000abcd"\ntenant_id = "t"\n',
        encoding="utf-8",
    )
    out = tmp_path / "pkg.zip"
    proc = crisiscell("teams", "manifest", "--config", str(cfg), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["color.png", "fr.json", "manifest.json", "outline.png"]
        manifest = json.loads(z.read("manifest.json"))
        french = json.loads(z.read("fr.json"))
        assert z.read("color.png")[:8] == b"\x89PNG\r\n\x1a\n"
    bot = manifest["bots"][0]
    assert bot["botId"] == manifest["id"] == "0e5c1f8a-0000-4000-8000-00000000abcd"
    titles = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert titles[:4] == ["help", "status", "ask", "decide"] and len(titles) <= 10
    assert french["bots[0].commandLists[0].commands[3].title"] == "décision"
    no_id = crisiscell("teams", "manifest", "--out", str(tmp_path / "x.zip"))
    assert no_id.returncode == 2 and "teams.app_id is empty" in no_id.stderr
