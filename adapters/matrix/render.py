"""Reply -> Matrix message contents. Pure: the same Reply gives the same contents.

Every reply is an ``m.notice`` with a plain ``body`` and an HTML ``formatted_body`` in
which every string is escaped and only tags from the spec's allow-list appear. Long
replies (a big board) are split into several messages, never truncated.
"""

from __future__ import annotations

from html import escape
from typing import Any

from adapters.terminal.render import render_table
from bot.model import Block, BulletList, Paragraph, Reply, Table

# https://spec.matrix.org/latest/client-server-api/#mroommessage-msgtypes (m.text HTML)
ALLOWED_TAGS = frozenset(
    [
        "font",
        "del",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "p",
        "a",
        "ul",
        "ol",
        "sup",
        "sub",
        "li",
        "b",
        "i",
        "u",
        "strong",
        "em",
        "s",
        "code",
        "hr",
        "br",
        "div",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "caption",
        "pre",
        "span",
        "img",
        "details",
        "summary",
    ]
)
FACTS_KEY = "io.crisiscell.facts"
MAX_ROWS = 30  # table rows per message
MAX_CHARS = 12_000  # formatted_body characters per message (events are capped at 64 KiB)


def _h(text: str) -> str:
    return escape(text, quote=True)


def _block_html(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_h(block.text)}</p>"
    if isinstance(block, BulletList):
        return "<ul>" + "".join(f"<li>{_h(i)}</li>" for i in block.items) + "</ul>"
    head = "".join(f"<th>{_h(c)}</th>" for c in block.headers)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_h(c)}</td>" for c in row) + "</tr>" for row in block.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _block_text(block: Block) -> str:
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, BulletList):
        return "\n".join(f"• {i}" for i in block.items)
    return "\n".join(render_table(block))


def _pieces(reply: Reply) -> list[Block]:
    """Blocks, with long tables cut into tables of MAX_ROWS rows (header repeated)."""
    out: list[Block] = []
    for block in reply.blocks:
        if isinstance(block, Table) and len(block.rows) > MAX_ROWS:
            for i in range(0, len(block.rows), MAX_ROWS):
                out.append(Table(block.headers, block.rows[i : i + MAX_ROWS]))
        else:
            out.append(block)
    return out


def render(reply: Reply, *, reply_to: str | None = None) -> list[dict[str, Any]]:
    """The message contents for one reply (one, or several for a long one)."""
    chunks: list[list[Block]] = [[]]
    size = rows = 0
    for block in _pieces(reply):
        html = _block_html(block)
        n_rows = len(block.rows) if isinstance(block, Table) else 0
        if chunks[-1] and (size + len(html) > MAX_CHARS or rows + n_rows > MAX_ROWS):
            chunks.append([])
            size = rows = 0
        chunks[-1].append(block)
        size += len(html)
        rows += n_rows
    contents: list[dict[str, Any]] = []
    for n, blocks in enumerate(chunks, start=1):
        title = reply.title or ""
        if title and len(chunks) > 1:
            title = f"{title} ({n}/{len(chunks)})"
        html = (f"<p><strong>{_h(title)}</strong></p>" if title else "") + "".join(
            _block_html(b) for b in blocks
        )
        text = "\n".join(([title] if title else []) + [_block_text(b) for b in blocks])
        content: dict[str, Any] = {
            "msgtype": "m.notice",
            "body": text,
            "format": "org.matrix.custom.html",
            "formatted_body": html,
            "m.mentions": {},  # never ping anyone
        }
        if reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        if n == 1:  # the machine-readable result, as `crisiscell shell --jsonl` gives it
            content[FACTS_KEY] = reply.facts
        contents.append(content)
    return contents
