"""The crisis record exports (activity log and sitrep) of a scripted day, through the real
core on a SQLite file, compared byte for byte with golden files in ``tests/golden/``.

To regenerate the golden files after an intended change, run::

    CRISISCELL_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/adapters/test_exports.py

and review the diff. Without the variable a missing golden file is a failure, not a skip.

The day: Sunday 15 May 2022 from 09:12 (Europe/Brussels) the cell decides for Monday
(consultations cancelled everywhere, radiology cancelled but kept open at Bastogne,
surgery case by case until further notice, a laboratory decision recorded then revoked),
IT posts milestones (laboratory system restored, PACS restoring, medical records down),
the operator drafts an SMS job that Dr Martin approves and that a recording gateway
sends, and a second job is left as a draft. On Monday morning the PACS is restored and
radiology reopens for Tuesday.
"""

from __future__ import annotations

import asyncio
import difflib
import html
import os
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.exports import export_filename, export_log, export_sitrep
from adapters.terminal.render import render_text
from bot.jobs.appointments import Appointment, classify_phone
from bot.jobs.sending import ReceiptHandler, SendOptions, SmsSender
from bot.model import LANGS, Lang
from tests.fakes.sms import FakeGateway
from tests.harness import DEFAULT_CONFIG, Harness

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = os.environ.get("CRISISCELL_UPDATE_GOLDEN", "") not in ("", "0")

START = datetime.fromisoformat("2022-05-15T09:12:00+02:00")  # a Sunday
SUNDAY = START.date()
MONDAY = SUNDAY + timedelta(days=1)
MADE_AT = datetime.fromisoformat("2022-05-16T12:00:00+02:00")
MARTIN = "@martin:hospital.example"
IT = "@it:hospital.example"


def phone(n: int) -> str:
    """A fake Belgian mobile number (never a real one)."""
    return f"+3247100{n:04d}"


LANDLINE = "063 21 21 11"


def appt(
    ident: str, number: str, hour: int, minute: int, lang: Lang, site: str, service: str
) -> Appointment:
    e164, kind = classify_phone(number)
    start = (START + timedelta(days=1)).replace(hour=hour, minute=minute)
    return Appointment(ident, start, start.date(), site, service, e164, kind, lang)


APPOINTMENTS = [
    appt("C1", phone(1), 9, 0, "fr", "arlon", "consultations"),
    appt("C2", phone(2), 10, 30, "nl", "bastogne", "consultations"),
    appt("C3", LANDLINE, 11, 0, "fr", "marche", "consultations"),  # to phone
    appt("C4", phone(3), 14, 15, "fr", "virton", "consultations"),
    appt("R1", phone(4), 8, 15, "fr", "arlon", "radiology"),
]
PHONES = [phone(n) for n in range(1, 5)]


async def _seed(h: Harness) -> None:
    async with h.runtime.db.uow() as uow:
        await uow.appointments.upsert(APPOINTMENTS, at=h.clock.now())
        await uow.commit()


async def _send_all(h: Harness) -> FakeGateway:
    gateway = FakeGateway()
    s = SmsSender(
        h.runtime.db.uow,
        h.clock,
        gateway,
        catalog=h.runtime.catalog,
        notify=h.runtime.dispatcher.notify,
        options=SendOptions(rate_per_second=0),
        worker="test",
        receipts=ReceiptHandler(h.runtime.db.uow, h.clock),
    )
    await s.gateway.start(s.receipts)
    await s.run_until_idle()
    return gateway


async def _step(h: Harness, minutes: int, line: str, *, user: str | None = None) -> None:
    """Move the clock, then say one line; event ids are fixed so the hashes are too."""
    h.clock.advance(minutes=minutes)
    _EVENTS.append(line)
    kw = {"user": user} if user else {}
    replies = await h.say(line, event_id=f"evt-{len(_EVENTS):03d}", **kw)
    assert replies, line
    assert all(r.kind not in ("error", "usage") for r in replies), (line, replies)
    assert all(r.facts.get("kind") != "refused" for r in replies), (line, replies)


_EVENTS: list[str] = []


async def scripted_day(h: Harness) -> None:
    _EVENTS.clear()
    await _seed(h)
    await _step(
        h, 0, "/decide consultations cancelled monday : patients get an SMS || EHR down, no agenda"
    )
    await _step(h, 6, "/decide radiology cancelled monday : PACS down")
    await _step(h, 4, "/decide radiology at bastogne open monday : urgent exams only")
    await _step(h, 5, "/decide laboratory reduced monday")
    await _step(h, 2, "/revoke 4 : wrong service, the laboratory works normally")
    await _step(h, 10, "/decide surgery case-by-case from monday : urgent cases only")
    await _step(h, 8, "/milestone labs restored : validated by the lab", user=IT)
    await _step(
        h, 3, "/milestone pacs restoring eta demain 18h : database restore in progress", user=IT
    )
    await _step(h, 2, "/milestone records down : servers being rebuilt", user=IT)
    await _step(h, 20, "/notify consultations monday")
    await _step(h, 11, "/notify approve 1", user=MARTIN)
    h.clock.advance(minutes=1)
    gateway = await _send_all(h)
    assert sorted(gateway.per_number()) == [phone(1), phone(2), phone(3)]
    await _step(h, 25, "/notify radiology monday")  # left as a draft
    # Monday morning
    h.clock.set(datetime.fromisoformat("2022-05-16T08:05:00+02:00"))
    await _step(h, 0, "/milestone pacs restored : images available again", user=IT)
    await _step(h, 15, "/decide radiology open tuesday : PACS back")


@pytest.fixture
async def day(sqlite_url: str) -> AsyncIterator[Harness]:
    h = await Harness.start(sqlite_url, now=START)
    try:
        await scripted_day(h)
        yield h
    finally:
        await h.close()


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    if not path.exists():
        pytest.fail(
            f"golden file {path} is missing: run with CRISISCELL_UPDATE_GOLDEN=1 to write it"
        )
    expected = path.read_bytes().decode("utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                f"golden/{name}",
                "actual",
            )
        )
        pytest.fail(f"{name} differs from its golden file:\n{diff}")


async def all_exports(h: Harness, lang: Lang = "en") -> dict[str, str]:
    db, settings = h.runtime.db, h.runtime.settings
    out = {}
    for fmt in ("csv", "md", "html"):
        out[f"log.{fmt}"] = await export_log(
            db, settings, first=None, last=None, fmt=fmt, lang=lang, now=MADE_AT
        )
    for sfmt in ("md", "html"):
        out[f"sitrep.{sfmt}"] = await export_sitrep(
            db, settings, day=MONDAY, fmt=sfmt, lang=lang, now=MADE_AT
        )
    return out


async def test_golden_files_of_a_scripted_day(day: Harness) -> None:
    db, settings = day.runtime.db, day.runtime.settings
    for fmt in ("csv", "md", "html"):
        check_golden(
            f"log.{fmt}",
            await export_log(db, settings, first=None, last=None, fmt=fmt, lang="en", now=MADE_AT),
        )
    for sfmt in ("md", "html"):
        check_golden(
            f"sitrep.{sfmt}",
            await export_sitrep(db, settings, day=MONDAY, fmt=sfmt, lang="fr", now=MADE_AT),
        )


def _top(name: str, content: str) -> str:
    """What comes before the first listed entry or table of an export (HTML unescaped)."""
    if name.endswith(".csv"):
        return content.split("\nseq,time,", 1)[0]
    if name.endswith(".md"):
        return content.split("\n|", 1)[0]
    return html.unescape(content.split("<table", 1)[0])


async def test_chain_verified_at_the_top_of_every_format(day: Harness) -> None:
    exports = await all_exports(day)
    async with day.runtime.db.uow() as uow:
        seq, head = await uow.ledger.head()
    for name, content in exports.items():
        top = _top(name, content)
        assert f"Chain verified: {seq} entries, hash of the last: {head}" in top, name
        assert "CHAIN BROKEN" not in content, name


async def test_broken_chain_is_stated_at_the_top_of_every_format(day: Harness) -> None:
    async with day.runtime.db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE ledger SET body = replace(body, 'cancelled', 'open') WHERE seq = 2")
        )
    for lang in ("en", "fr"):
        exports = await all_exports(day, lang)
        marker = "CHAIN BROKEN at entry 2" if lang == "en" else "CHAÎNE ROMPUE à l'entrée 2"
        for name, content in exports.items():
            top = _top(name, content)
            assert marker in top, (lang, name, top)
            assert "Chain verified" not in content and "Chaîne vérifiée" not in content
    exports = await all_exports(day)
    assert "altered after it was recorded" in exports["log.md"]
    # the altered entry and those after it are flagged in the listing
    assert "| 2 ⚠ |" in exports["log.md"] and "| 1 |" in exports["log.md"]
    assert 'class="unverified"' in exports["log.html"]


async def test_tables_that_disagree_with_the_ledger_are_stated_too(day: Harness) -> None:
    async with day.runtime.db.engine.begin() as conn:
        await conn.execute(text("UPDATE decisions SET note = 'nothing' WHERE no = 1"))
    for name, content in (await all_exports(day, "fr")).items():
        top = html.unescape(_top(name, content))
        assert (
            "CHAÎNE ROMPUE à l'entrée 1 : la décision n°1 de la table des décisions diffère du "
            "registre. La chaîne d'empreintes tient (15 entrées)" in top
        ), name


async def test_period_filter_keeps_order_and_the_verification_line(day: Harness) -> None:
    db, settings = day.runtime.db, day.runtime.settings
    async with db.uow() as uow:
        total, head = await uow.ledger.head()
    seen: list[int] = []
    for first, last in ((SUNDAY, SUNDAY), (MONDAY, MONDAY), (MONDAY, None), (None, SUNDAY)):
        csv_text = await export_log(
            db, settings, first=first, last=last, fmt="csv", lang="en", now=MADE_AT
        )
        head_part, _, body = csv_text.partition("\nseq,time,")
        assert f"Chain verified: {total} entries, hash of the last: {head}" in head_part
        rows = [line for line in body.splitlines()[1:] if line]
        seqs = [int(line.split(",", 1)[0]) for line in rows]
        assert seqs == sorted(seqs) and seqs, (first, last)
        days = {line.split(",", 2)[1][:10] for line in rows}
        lo, hi = (first or SUNDAY).isoformat(), (last or MONDAY).isoformat()
        assert all(lo <= d <= hi for d in days), (first, last, days)
        assert f"Entries listed: {len(rows)} of {total}" in head_part
        if first == last:
            seen.extend(seqs)
        md = await export_log(
            db, settings, first=first, last=last, fmt="md", lang="en", now=MADE_AT
        )
        md_seqs = [int(m) for m in re.findall(r"^\| (\d+) \|", md, flags=re.M)]
        assert md_seqs == seqs
    assert seen == list(range(1, total + 1))  # the two days together: everything, in order
    monday = await export_log(
        db, settings, first=MONDAY, last=MONDAY, fmt="md", lang="en", now=MADE_AT
    )
    assert "Period covered: Monday 16 May 2022" in monday
    assert "Sunday 15 May 2022" not in monday.split("\n|", 1)[0]
    empty = await export_log(
        db,
        settings,
        first=date(2022, 5, 20),
        last=date(2022, 5, 21),
        fmt="html",
        lang="nl",
        now=MADE_AT,
    )
    assert "Keten geverifieerd" in empty and "Geen items in deze periode." in empty
    with pytest.raises(ValueError):
        await export_log(db, settings, first=MONDAY, last=SUNDAY, fmt="md", lang="en", now=MADE_AT)


def _phone_forms(number: str) -> list[str]:
    digits = number.lstrip("+")
    national = "0" + digits[2:]
    return [
        number,
        digits,
        national,
        digits[-9:],
        f"{national[:4]} {national[4:6]} {national[6:8]} {national[8:]}",
    ]


async def test_no_phone_number_in_any_export(day: Harness) -> None:
    landline, _ = classify_phone(LANDLINE)
    assert landline is not None
    numbers = [*PHONES, landline]
    for lang in LANGS:
        for name, content in (await all_exports(day, lang)).items():
            flat = re.sub(r"[\s.\-/()]", "", content)
            for number in numbers:
                for form in _phone_forms(number):
                    assert form not in content, (lang, name, form)
                    assert form.replace(" ", "") not in flat, (lang, name, form)
            assert LANDLINE not in content
            for a in APPOINTMENTS:  # nor an appointment id or time
                assert f"{a.id}," not in content and f">{a.id}<" not in content


async def test_every_language_renders_the_whole_record(day: Harness) -> None:
    for lang in LANGS:
        exports = await all_exports(day, lang)
        for name, content in exports.items():
            assert "export." not in content, (lang, name)  # no message key left untranslated
            if name.endswith(".html"):
                assert f'<html lang="{lang}">' in content
                assert "<script" not in content and "http://" not in content
                assert "https://" not in content and "@media print" in content


async def test_notes_are_escaped_in_html_and_markdown(day: Harness) -> None:
    day.clock.advance(minutes=5)
    await day.say("/decide scintigraphy closed tuesday : <b>no</b> | tracer * missing")
    db, settings = day.runtime.db, day.runtime.settings
    html = await export_log(db, settings, first=None, last=None, fmt="html", lang="en", now=MADE_AT)
    assert "&lt;b&gt;no&lt;/b&gt; | tracer * missing" in html and "<b>no</b>" not in html
    md = await export_log(db, settings, first=None, last=None, fmt="md", lang="en", now=MADE_AT)
    assert r"\<b\>no\</b\> \| tracer \* missing" in md
    sitrep = await export_sitrep(db, settings, day=MONDAY, fmt="html", lang="en", now=MADE_AT)
    assert "&lt;b&gt;no&lt;/b&gt;" in sitrep and "<b>no</b>" not in sitrep


async def test_sitrep_counts_messages_the_bot_could_not_deliver(day: Harness) -> None:
    async with day.runtime.db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE outbox SET state = 'dead' WHERE id IN (SELECT id FROM outbox LIMIT 2)")
        )
    md = await export_sitrep(
        day.runtime.db, day.runtime.settings, day=MONDAY, fmt="md", lang="en", now=MADE_AT
    )
    assert "- 2 messages could not be delivered to chat rooms" in md


async def test_csv_cells_never_start_a_formula(sqlite_url: str) -> None:
    config = '[[person]]\nname = "=HYPERLINK(1)"\nids = ["@evil:local"]\nroles = ["cell"]\n'
    h = await Harness.start(sqlite_url, now=START, config=config)
    try:
        await h.say("/decide surgery open monday : -fine", user="@evil:local")
        out = await export_log(
            h.runtime.db,
            h.runtime.settings,
            first=None,
            last=None,
            fmt="csv",
            lang="en",
            now=MADE_AT,
        )
    finally:
        await h.close()
    row = out.splitlines()[-1]
    assert ",'=HYPERLINK(1) (@evil:local)," in row and ",=" not in row


def test_export_filename() -> None:
    assert export_filename("log", MONDAY, "html") == "crisiscell-log-2022-05-16.html"
    assert export_filename("sitrep", SUNDAY, "md") == "crisiscell-sitrep-2022-05-15.md"


async def test_chat_export_writes_the_file_and_says_where(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    h = await Harness.start(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3",
        now=datetime.fromisoformat("2022-05-15T09:12:00+02:00"),
        config=DEFAULT_CONFIG + f'\n[bot]\nexports_dir = "{exports}"\n',
    )
    try:
        await h.say("/decide radiology cancelled tomorrow : PACS down || see IT")
        reply = (await h.say("/export sitrep tomorrow"))[0]
        path = Path(reply.facts["path"])
        assert path.parent == exports and path.name.startswith("crisiscell-sitrep-2022-05-16-")
        mode = (await asyncio.to_thread(path.stat)).st_mode
        assert oct(mode & 0o777) == "0o600"
        html = await asyncio.to_thread(path.read_text, encoding="utf-8")
        assert "PACS down" in html and "see IT" in html  # internal: the whole note
        assert reply.attachments[0].path == str(path)  # the outbox refers to the file
        assert str(path) in render_text(reply)  # the terminal and Teams say where
        log = (await h.say("/exporter journal"))[0]
        assert log.facts["export"] == "log" and "crisiscell-log-" in log.facts["path"]
        refused = (await h.say("/export log", user="@nurse:local"))[0]
        assert refused.facts["kind"] == "refused"
        usage = await h.text("/export minutes")
        assert "log" in usage and "sitrep" in usage
    finally:
        await h.close()


def test_cli_export_log_and_sitrep(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = tmp_path / "db.sqlite3"

    async def seed_db() -> None:
        h = await Harness.start(
            f"sqlite+aiosqlite:///{db}", now=datetime.fromisoformat("2022-05-15T09:12:00+02:00")
        )
        try:
            await h.say("/decide consultations cancelled tomorrow : patients informed")
            await h.say("/milestone pacs restoring", user="@it:hospital.example")
        finally:
            await h.close()

    asyncio.run(seed_db())

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "adapters.cli", "export", *args, "--db", str(db)],
            capture_output=True,
            text=True,
            check=False,
        )

    md = cli("log", "--format", "md", "--lang", "en", "--now", "2022-05-15T18:00")
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# ") and "Chain verified: 2 entries" in md.stdout
    assert "patients informed" in md.stdout
    out = tmp_path / "sitrep.html"
    html = cli("sitrep", "--date", "2022-05-16", "--out", str(out), "--now", "2022-05-15T18:00")
    assert html.returncode == 0, html.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o600" and "<html" in out.read_text()
    bad = cli("log", "--from", "2022-05-17", "--to", "2022-05-16")
    assert bad.returncode != 0 and "--from is after --to" in bad.stderr


async def test_days_are_the_hospitals_not_utc(tmp_path: Path) -> None:
    """00:30 in Brussels is still the day before in UTC: --from/--to use the local day."""
    h = await Harness.start(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3",
        now=datetime.fromisoformat("2022-05-16T00:30:00+02:00"),
    )
    try:
        await h.say("/decide surgery cancelled today : night decision")
        settings = h.runtime.settings

        async def listed(day: date) -> str:
            return await export_log(
                h.runtime.db, settings, first=day, last=day, fmt="csv", lang="en", now=MADE_AT
            )

        assert "night decision" in await listed(date(2022, 5, 16))
        assert "night decision" not in await listed(date(2022, 5, 15))
    finally:
        await h.close()
