"""A drill never touches real patients, and a shell that leaves lets the next one send.

Real `crisiscell` processes on SQLite files: a drill shell (--now) opens only a drill
database (its own by default, or a drill copy of the live one); `crisiscell run`, the
live shell and the SMS worker refuse a drill database; the other commands say which kind
they opened. The live shell releases the SMS sender lease on every way out, so the next
shell's approval truly says "going out now".
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.test_shell import NOW, crisiscell
from tests.bot.test_notify import MARTIN, MONDAY_LIST, draft, seed, sender
from tests.conftest import START
from tests.fakes.sms import FakeGateway
from tests.harness import DEFAULT_CONFIG, Harness

CONFIG = DEFAULT_CONFIG  # Dr Martin, a second cell member


def phone(n: int) -> str:
    """A fake Belgian mobile number (never a real one)."""
    return f"+3247100{n:04d}"


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A private data directory (SMS log, drill database) and a config with two persons."""
    (tmp_path / "crisiscell.toml").write_text(CONFIG, encoding="utf-8")
    return {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}


def cfg(tmp_path: Path) -> tuple[str, str]:
    return "--config", str(tmp_path / "crisiscell.toml")


def import_tomorrow(tmp_path: Path, db: Path, env: dict[str, str], n: int = 3) -> None:
    day = date.today() + timedelta(days=1)
    csv_file = tmp_path / "export.csv"
    rows = [
        f"T{i},{day.isoformat()}T{9 + i:02d}:00,arlon,consultations,{phone(i)},fr" for i in range(n)
    ]
    rows += [
        f"R{i},{day.isoformat()}T{9 + i:02d}:30,arlon,radiology,{phone(10 + i)},fr"
        for i in range(n)
    ]
    csv_file.write_text(
        "appointment_id,start,site,service,phone,language\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    proc = crisiscell("appointments", "import", str(csv_file), "--db", str(db), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "(live database)" in proc.stderr


def live_shell(
    tmp_path: Path, db: Path, env: dict[str, str], lines: list[str]
) -> list[dict[str, Any]]:
    proc = crisiscell(
        "shell",
        *cfg(tmp_path),
        "--db",
        str(db),
        "--jsonl",
        stdin="\n".join(lines) + "\n",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def sms_lease(db: Path) -> str | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT value FROM adapter_state WHERE key = 'sms-sender-lease'"
        ).fetchone()
    return None if row is None else str(row[0])


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def approval(out: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for o in out for r in o["replies"] if r["facts"].get("kind") == "job-approved")


# --------------------------------------------------------------------------- the lease


def test_end_of_input_releases_the_lease_the_next_shell_sends_now(
    tmp_path: Path, home: dict[str, str]
) -> None:
    db = tmp_path / "live.sqlite3"
    import_tomorrow(tmp_path, db, home)
    first = live_shell(
        tmp_path,
        db,
        home,
        [
            "/decide consultations cancelled tomorrow",
            "/notify consultations tomorrow",
            ":as @martin:hospital.example",
            "/notify approve 1",
        ],
    )
    assert approval(first)["facts"]["sending"] == "now"
    assert sms_lease(db) == ""  # released at the end of input, not left for two minutes
    second = live_shell(
        tmp_path,
        db,
        home,
        [
            "/decide radiology cancelled tomorrow",
            "/notify radiology tomorrow",
            ":as @martin:hospital.example",
            "/notify approve 2",
        ],
    )
    reply = approval(second)
    assert reply["facts"]["sending"] == "now", reply["text"]
    assert "going out now" in reply["text"]
    assert sms_lease(db) == ""


def test_quit_releases_the_lease(tmp_path: Path, home: dict[str, str]) -> None:
    db = tmp_path / "live.sqlite3"
    out = live_shell(tmp_path, db, home, ["/whoami", ":quit", "/whoami"])
    assert [o["input"] for o in out] == ["/whoami"]  # nothing after :quit
    assert sms_lease(db) == ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_stops_the_shell_cleanly(
    tmp_path: Path, home: dict[str, str], sig: signal.Signals
) -> None:
    db = tmp_path / "live.sqlite3"
    assert crisiscell("db", "upgrade", "--db", str(db), env=home).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "shell", *cfg(tmp_path), "--db", str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **home},
    )
    try:
        deadline = time.monotonic() + 60
        # the shell's sender holds its lease (another process's rows: re-checked)
        while not (sms_lease(db) or "").startswith("{"):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the shell's SMS sender never took its lease"
            time.sleep(0.1)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert sms_lease(db) == ""


# --------------------------------------------------------------------------- drill or live


def test_a_drill_shell_refuses_a_live_database(tmp_path: Path, home: dict[str, str]) -> None:
    db = tmp_path / "live.sqlite3"
    live_shell(tmp_path, db, home, ["/decide radiology cancelled tomorrow"])
    proc = crisiscell("shell", "--db", str(db), "--now", NOW, stdin="/whoami\n", env=home)
    assert proc.returncode == 2
    assert f"{db} is a live database: a drill (--now) never opens one" in proc.stderr
    assert f"crisiscell db copy --drill --from {db} --to drill.sqlite3" in proc.stderr
    assert count(db, "decisions") == 1  # nothing was recorded


def test_live_processes_refuse_a_drill_database(tmp_path: Path, home: dict[str, str]) -> None:
    drill = tmp_path / "drill.sqlite3"
    made = crisiscell("shell", "--db", str(drill), "--now", NOW, stdin="/whoami\n", env=home)
    assert made.returncode == 0, made.stderr
    matrix = tmp_path / "matrix.toml"
    matrix.write_text(
        CONFIG + '\n[matrix]\nenabled = true\nhomeserver = "http://127.0.0.1:9"\n'
        'user_id = "@bot:localhost"\n',
        encoding="utf-8",
    )
    for args, what in [
        (("run", "--config", str(matrix)), "`crisiscell run` opens only a live database"),
        (("shell", *cfg(tmp_path)), "the shell without --now (it sends real SMS) opens only"),
        (("notify", "worker"), "`crisiscell notify worker` opens only a live database"),
    ]:
        proc = crisiscell(*args, "--db", str(drill), stdin="/whoami\n", env=home)
        assert proc.returncode == 2, (args, proc.stderr)
        assert f"{drill} is a drill database" in proc.stderr, args
        assert what in proc.stderr, (args, proc.stderr)
        assert f"crisiscell shell --now 2022-05-16T08:00 --db {drill}" in proc.stderr
    verify = crisiscell("ledger", "verify", "--db", str(drill), env=home)
    assert verify.returncode == 0 and "(drill database)" in verify.stderr
    status = crisiscell("status", "--db", str(drill), env=home)
    assert "(drill database)" in status.stdout
    export = crisiscell("export", "sitrep", "--format", "md", "--db", str(drill), env=home)
    assert export.returncode == 0 and "(drill database)" in export.stderr
    assert "drill database" not in export.stdout  # the document itself is untouched


async def test_a_drill_copy_keeps_the_ledger_and_drops_the_sms(
    tmp_path: Path, home: dict[str, str]
) -> None:
    live = tmp_path / "live.sqlite3"
    h = await Harness.start(f"sqlite+aiosqlite:///{live}", now=START)
    try:  # a live job: three patients messaged, their guard rows won
        await seed(h, MONDAY_LIST)
        await draft(h)
        await h.say("/notify approve 1", user=MARTIN)
        await sender(h, FakeGateway()).run_until_idle()
        await h.say("/subscribe milestones")
        assert (await h.facts("/notify consultations monday"))["already"] == 4
    finally:
        await h.close()
    assert count(live, "sms") == 4 and count(live, "sms_guard") == 4
    drill = tmp_path / "drill-copy.sqlite3"
    copied = crisiscell("db", "copy", "--drill", "--from", str(live), "--to", str(drill), env=home)
    assert copied.returncode == 0, copied.stderr
    assert "a drill database" in copied.stdout
    assert "left out of the drill copy:" in copied.stdout and "sms 4 rows" in copied.stdout
    for table in ("decisions", "ledger", "appointments", "jobs", "subscriptions", "audit"):
        assert count(drill, table) == count(live, table), table
    for table in ("sms", "sms_guard", "sms_receipts", "outbox"):
        assert count(drill, table) == 0, table
    with sqlite3.connect(drill) as conn:
        state = dict(conn.execute("SELECT key, value FROM adapter_state").fetchall())
    assert state == {"database-kind": "drill"}
    verify = crisiscell("ledger", "verify", "--db", str(drill), env=home)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # the drill opens the copy; a patient messaged in the live database is not "already
    # messaged" in the drill, and nothing the drill does reaches the live database
    proc = crisiscell(
        "shell",
        *cfg(tmp_path),
        "--db",
        str(drill),
        "--now",
        "2022-05-15T10:00",
        "--jsonl",
        stdin="/status consultations monday at arlon\n/notify consultations monday\n",
        env=home,
    )
    assert proc.returncode == 0, proc.stderr
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    assert replies[0]["replies"][0]["facts"]["items"][0]["status"] == "cancelled"
    dry_run = replies[1]["replies"][0]["facts"]
    assert dry_run["recipients"] == 4 and dry_run["already"] == 0
    assert count(live, "jobs") == 1 and count(live, "sms") == 4
