"""The appointment list in: import, counts in chat, purge -- and no phone number shown."""

from __future__ import annotations

import io
import random
from pathlib import Path

from adapters.appointments import import_file, purge
from bot.jobs.appointments import classify_phone
from tests.adapters.test_shell import crisiscell
from tests.harness import NURSE, Harness


def fake_mobile(rng: random.Random) -> str:
    """A made-up Belgian mobile number (04xx xx xx xx): never a real patient's."""
    return (
        f"047{rng.randrange(10)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} "
        f"{rng.randrange(10, 99)}"
    )


def write_csv(
    path: Path, rows: list[str], header: str = "appointment_id,start,site,service,phone,language"
) -> list[str]:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return rows


def test_phone_classification() -> None:
    assert classify_phone("0470 12 34 56") == ("+32470123456", "mobile")
    assert classify_phone("+32 470 12 34 56") == ("+32470123456", "mobile")
    assert classify_phone("063 21 21 11") == ("+3263212111", "landline")
    assert classify_phone("12345") == (None, "invalid")
    assert classify_phone("not a number") == (None, "invalid")
    assert classify_phone("") == (None, "missing")


async def test_import_counts_and_reimport(bot: Harness, tmp_path: Path) -> None:
    rng = random.Random(7)
    mobiles = [fake_mobile(rng) for _ in range(3)]
    csv_file = tmp_path / "export.csv"
    write_csv(
        csv_file,
        [
            f"A1,2022-05-16T09:00,arlon,radiology,{mobiles[0]},fr",
            f"A2,16/05/2022 10:30,Arlon,radiologie,{mobiles[1]},NL",
            "A3,16/05/2022 11:00,bastogne,consultations,063 21 21 11,fr",
            "A4,16/05/2022 11:30,bastogne,consultations,12345,",
            "A5,16/05/2022 12:00,bastogne,dentistry,0470 00 00 01,fr",
            "A6,someday,arlon,radiology,0470 00 00 02,fr",
            f"A7,17/05/2022 08:00,virton,surgery,{mobiles[2]},de",
            "A8,16/05/2022 14:00,virton,surgery,,fr",
        ],
    )
    settings = bot.runtime.settings
    report = await import_file(
        settings, bot.runtime.db, csv_file, None, clock=bot.clock, out=io.StringIO()
    )
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (8, 6, 0, 0)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (6, "unknown service 'dentistry' (map it in the mapping file)"),
        (7, "start is not a date and time: 'someday'"),
    ]
    assert dict(report.kinds) == {"mobile": 3, "landline": 1, "invalid": 1, "missing": 1}
    text = "\n".join(report.lines())
    assert all(m not in text and m.replace(" ", "") not in text for m in mobiles)

    again = await import_file(
        settings, bot.runtime.db, csv_file, None, clock=bot.clock, out=io.StringIO()
    )
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)

    f = await bot.facts("/appointments monday", user=NURSE)
    assert f["total"] == 5 and f["mobile"] == 2
    assert {(i["service"], i["site"], i["total"], i["mobile"]) for i in f["items"]} == {
        ("radiology", "arlon", 2, 2),
        ("consultations", "bastogne", 2, 0),
        ("surgery", "virton", 1, 0),
    }
    chat = await bot.text("/rdv lundi à Bastogne", user=NURSE)
    assert "consultations" in chat and "047" not in chat and "+32" not in chat

    async with bot.runtime.db.uow() as uow:
        assert len(await uow.appointments.counts(bot.clock.now().date())) == 0
    bot.clock.advance(days=40)
    assert await purge(settings, bot.runtime.db, 30, bot.clock) == 6


def test_mapping_and_semicolons_through_the_cli(tmp_path: Path) -> None:
    rng = random.Random(11)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\nappointment_id = "RDV"\nstart = "QUAND"\nsite = "LIEU"\n'
        'service = "SERVICE"\nphone = "GSM"\nlanguage = "LANGUE"\n'
        '[services]\n"RX AMB" = "radiology"\n[sites]\n"CH Sud" = "arlon"\n',
        encoding="utf-8",
    )
    numbers = [fake_mobile(rng) for _ in range(2)]
    csv_file = tmp_path / "export.csv"
    write_csv(
        csv_file,
        [
            f"R1;16/05/2022 09:00;CH Sud;RX AMB;{numbers[0]};fr",
            f"R2;16/05/2022 09:15;CH Sud;RX AMB;{numbers[1]};nl",
        ],
        header="RDV;QUAND;LIEU;SERVICE;GSM;LANGUE",
    )
    db = tmp_path / "c.sqlite3"
    proc = crisiscell(
        "appointments", "import", str(csv_file), "--mapping", str(mapping), "--db", str(db)
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("2 rows read: 2 new, 0 updated, 0 unchanged, 0 rejected")
    assert all(n not in proc.stdout + proc.stderr for n in numbers)
    bad = tmp_path / "bad.toml"
    bad.write_text('[services]\n"X" = "dentistry"\n', encoding="utf-8")
    proc = crisiscell(
        "appointments", "import", str(csv_file), "--mapping", str(bad), "--db", str(db)
    )
    assert proc.returncode == 2 and "services.X: unknown id 'dentistry'" in proc.stderr
    proc = crisiscell("appointments", "purge", "--older-than", "0", "--db", str(db))
    assert proc.returncode == 0 and proc.stdout.startswith("2 appointments")
