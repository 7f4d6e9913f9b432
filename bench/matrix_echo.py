"""The floor for bench_matrix: a bare matrix-nio client that answers every text with a notice.

python -m bench.matrix_echo HOMESERVER USER_ID PASSWORD
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from tempfile import mkdtemp

from nio import AsyncClient, InviteMemberEvent, RoomMessageText, SyncResponse


async def main(url: str, user: str, password: str) -> None:
    store = Path(mkdtemp())
    client = AsyncClient(url, user, store_path=str(store))
    await client.login(password)
    token: str | None = None
    while True:
        resp = await client.sync(timeout=30_000 if token else 0, since=token)
        if not isinstance(resp, SyncResponse):
            continue
        for room_id, info in resp.rooms.invite.items():
            if any(isinstance(e, InviteMemberEvent) for e in info.invite_state):
                await client.join(room_id)
        if token is not None:
            for room_id, info in resp.rooms.join.items():
                for e in info.timeline.events:
                    if isinstance(e, RoomMessageText) and e.sender != user:
                        await client.room_send(
                            room_id,
                            "m.room.message",
                            {
                                "msgtype": "m.notice",
                                "body": e.body,
                                "m.relates_to": {"m.in_reply_to": {"event_id": e.event_id}},
                            },
                        )
        token = resp.next_batch


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
