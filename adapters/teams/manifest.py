"""The Teams app package: manifest (EN, with a FR localization), command list, icons."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.runtime.router import Command
from commands import all_commands

SCHEMA = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17"
MAX_COMMANDS = 10  # Teams shows at most ten per command list


def png(size: int, draw: Any) -> bytes:
    """A small RGBA PNG; ``draw(x, y)`` gives each pixel's (r, g, b, a)."""
    rows = b"".join(b"\x00" + b"".join(bytes(draw(x, y)) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _cross(x: int, y: int, size: int) -> bool:
    third, margin = size // 3, size // 6
    in_bar = third <= x < 2 * third and margin <= y < size - margin
    return in_bar or (third <= y < 2 * third and margin <= x < size - margin)


def color_icon() -> bytes:
    red, white = (178, 34, 34, 255), (255, 255, 255, 255)
    return png(192, lambda x, y: white if _cross(x, y, 192) else red)


def outline_icon() -> bytes:
    return png(32, lambda x, y: (255, 255, 255, 255) if _cross(x, y, 32) else (0, 0, 0, 0))


# What the Teams command menu shows (at most ten), most useful first.
MENU = (
    "help",
    "status",
    "ask",
    "decide",
    "revoke",
    "history",
    "plan",
    "milestone",
    "briefing",
    "whoami",
)


def listed_commands() -> list[Command]:
    by_name = {c.name: c for c in all_commands()}
    return [by_name[n] for n in MENU if n in by_name][:MAX_COMMANDS]


def _french_name(cmd: Command) -> str:
    return cmd.name_in("fr")


def manifest(settings: Settings, version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    t = settings.teams
    name = settings.bot.name
    commands = listed_commands()
    scopes = ["personal", "team", "groupChat"]
    main = {
        "$schema": f"{SCHEMA}/MicrosoftTeams.schema.json",
        "manifestVersion": "1.17",
        "version": version,
        "id": t.app_id,
        "developer": {
            "name": t.developer_name,
            "websiteUrl": t.website_url,
            "privacyUrl": t.privacy_url,
            "termsOfUseUrl": t.terms_url,
        },
        "name": {"short": name, "full": f"{name} — crisis cell"},
        "description": {
            "short": "The crisis cell's decisions, status answers and alerts.",
            "full": "Records the crisis cell's decisions per service, site and day, and "
            "answers staff questions such as 'is radiology open tomorrow?' in French, "
            "English and Dutch, citing the decision.",
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#B22222",
        "bots": [
            {
                "botId": t.app_id,
                "scopes": scopes,
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {
                        "scopes": scopes,
                        "commands": [
                            {"title": c.name, "description": c.summary_in("en")[:128]}
                            for c in commands
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
        "localizationInfo": {
            "defaultLanguageTag": "en",
            "additionalLanguages": [{"languageTag": "fr", "file": "fr.json"}],
        },
    }
    french: dict[str, Any] = {
        "$schema": f"{SCHEMA}/MicrosoftTeams.Localization.schema.json",
        "name.short": name,
        "name.full": f"{name} — cellule de crise",
        "description.short": "Les décisions de la cellule de crise, réponses et alertes.",
        "description.full": "Enregistre les décisions de la cellule de crise par service, "
        "site et jour, et répond aux questions du personnel comme « la radiologie "
        "est-elle ouverte demain ? » en français, anglais et néerlandais.",
    }
    for i, c in enumerate(commands):
        prefix = f"bots[0].commandLists[0].commands[{i}]"
        french[f"{prefix}.title"] = _french_name(c)
        french[f"{prefix}.description"] = c.summary_in("fr")[:128]
    return main, french


def write_package(settings: Settings, out: Path, version: str) -> Path:
    if not settings.teams.app_id:
        raise ValueError("teams.app_id is empty: the package needs the bot's app id")
    main, french = manifest(settings, version)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(main, ensure_ascii=False, indent=2))
        z.writestr("fr.json", json.dumps(french, ensure_ascii=False, indent=2))
        z.writestr("color.png", color_icon())
        z.writestr("outline.png", outline_icon())
    return out
