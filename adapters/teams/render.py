"""Reply -> a Teams message activity. Pure: the same Reply gives the same activity.

Short answers are markdown text; the status board and decision confirmations are
Adaptive Cards with the same content as a text fallback. User text is escaped so that
nobody's note turns into markup.
"""

from __future__ import annotations

import re
from typing import Any

from bot.model import Block, BulletList, Paragraph, Reply

CARD_KINDS = frozenset({"board", "decision"})
FACTS_KEY = "crisiscellFacts"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~>])")


def escape_md(text: str) -> str:
    """Markdown and HTML-safe text for Teams."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _block_md(block: Block) -> str:
    if isinstance(block, Paragraph):
        return escape_md(block.text)
    if isinstance(block, BulletList):
        return "\n".join(f"- {escape_md(i)}" for i in block.items)
    head = "| " + " | ".join(escape_md(h) for h in block.headers) + " |"
    sep = "|" + "|".join("---" for _ in block.headers) + "|"
    rows = ["| " + " | ".join(escape_md(c) for c in row) + " |" for row in block.rows]
    return "\n".join([head, sep, *rows])


def markdown(reply: Reply) -> str:
    parts = [f"**{escape_md(reply.title)}**"] if reply.title else []
    parts += [_block_md(b) for b in reply.blocks]
    return "\n\n".join(parts)


def _text_block(text: str, **extra: Any) -> dict[str, Any]:
    # Adaptive Card TextBlocks render a markdown subset: escape user text the same way.
    return {"type": "TextBlock", "text": escape_md(text), "wrap": True, **extra}


def _card_block(block: Block) -> list[dict[str, Any]]:
    if isinstance(block, Paragraph):
        return [_text_block(block.text)]
    if isinstance(block, BulletList):
        return [_text_block(f"• {item}", spacing="Small") for item in block.items]
    columns = [{"width": 1} for _ in block.headers]
    header = {
        "type": "TableRow",
        "style": "accent",
        "cells": [
            {"type": "TableCell", "items": [_text_block(h, weight="Bolder")]} for h in block.headers
        ],
    }
    rows = [
        {
            "type": "TableRow",
            "cells": [{"type": "TableCell", "items": [_text_block(c)]} for c in row],
        }
        for row in block.rows
    ]
    return [
        {
            "type": "Table",
            "columns": columns,
            "rows": [header, *rows],
            "firstRowAsHeader": True,
            "showGridLines": True,
        }
    ]


def adaptive_card(reply: Reply) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if reply.title:
        body.append(_text_block(reply.title, size="Medium", weight="Bolder"))
    for block in reply.blocks:
        body.extend(_card_block(block))
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
        "fallbackText": markdown(reply),
    }


def render(reply: Reply, *, reply_to: str | None = None) -> dict[str, Any]:
    """The activity to post: markdown, or an Adaptive Card with a text fallback."""
    activity: dict[str, Any] = {
        "type": "message",
        "textFormat": "markdown",
        "text": markdown(reply),
        "channelData": {FACTS_KEY: reply.facts},
    }
    if reply.kind in CARD_KINDS:
        activity["attachments"] = [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": adaptive_card(reply),
            }
        ]
    if reply_to:
        activity["replyToId"] = reply_to
    return activity
