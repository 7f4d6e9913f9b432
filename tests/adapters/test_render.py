"""The terminal renderer is pure: a Reply gives exactly this text."""

from __future__ import annotations

from adapters.terminal.render import render_text
from bot.model import BulletList, Paragraph, Reply, Table


def test_board_snapshot() -> None:
    reply = Reply(
        kind="board",
        lang="en",
        title="Status for Monday 16 May 2022",
        blocks=(
            Table(
                ("Service", "Sites", "Status", "Decision"),
                (
                    ("radiology", "all sites", "cancelled", "no. 4"),
                    ("consultations", "Arlon", "no decision recorded", "—"),
                ),
            ),
            BulletList(("no. 4: all scheduled exams cancelled",)),
            Paragraph("Emergency care continues."),
        ),
    )
    assert render_text(reply) == (
        "== Status for Monday 16 May 2022 ==\n"
        "Service        Sites      Status                Decision\n"
        "-------------  ---------  --------------------  --------\n"
        "radiology      all sites  cancelled             no. 4\n"
        "consultations  Arlon      no decision recorded  —\n"
        "  • no. 4: all scheduled exams cancelled\n"
        "Emergency care continues."
    )


def test_reply_json_round_trip() -> None:
    reply = Reply(
        kind="decision",
        lang="fr",
        title="t",
        severity="success",
        blocks=(Paragraph("a"), BulletList(("b", "c")), Table(("h",), (("1",),))),
        facts={"kind": "decision", "decisions": [1]},
    )
    assert Reply.from_json(reply.to_json()) == reply
