"""Plain-text rendering of a Reply for the terminal. Pure: same Reply, same text."""

from __future__ import annotations

from bot.model import BulletList, Paragraph, Reply, Table


def render_table(table: Table) -> list[str]:
    cols = len(table.headers)
    widths = [len(h) for h in table.headers]
    for row in table.rows:
        for i, cell in enumerate(row[:cols]):
            widths[i] = max(widths[i], len(cell))

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(widths[i]) for i, c in enumerate(cells[:cols])).rstrip()

    out = [line(table.headers), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in table.rows)
    return out


def render_text(reply: Reply) -> str:
    lines: list[str] = []
    if reply.title:
        lines.append(f"== {reply.title} ==")
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, BulletList):
            lines.extend(f"  • {item}" for item in block.items)
        else:
            lines.extend(render_table(block))
    for a in reply.attachments:
        lines.append(f"[attachment: {a.name} ({a.media_type})]")
    return "\n".join(lines)
