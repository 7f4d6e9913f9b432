"""The terminal chat as a user runs it: a real `crisiscell` process on a SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

NOW = "2022-05-15T09:12"


def crisiscell(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def jsonl(db: Path, lines: list[str], *extra: str, **kw: Any) -> list[dict[str, Any]]:
    proc = crisiscell(
        "shell",
        "--db",
        str(db),
        "--now",
        NOW,
        "--jsonl",
        *extra,
        stdin="\n".join(lines) + "\n",
        **kw,
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_jsonl_session(tmp_path: Path) -> None:
    out = jsonl(
        tmp_path / "c.sqlite3",
        [
            "/decide radiology cancelled monday : all scheduled exams cancelled",
            "",
            "/status monday at arlon radiology",
            ":as @nurse:local",
            "/decide radiology open",
            ":now 2022-05-16T08:00",
            "/status radiology",
        ],
    )
    assert [o["input"] for o in out] == [
        "/decide radiology cancelled monday : all scheduled exams cancelled",
        "/status monday at arlon radiology",
        ":as @nurse:local",
        "/decide radiology open",
        ":now 2022-05-16T08:00",
        "/status radiology",
    ]
    assert out[0]["user"] == "@operator:local"
    assert out[0]["replies"][0]["facts"]["decisions"] == [1]
    assert (
        "No. 1 — radiology, all sites: cancelled on Monday 16 May 2022."
        in (out[0]["replies"][0]["text"])
    )
    assert out[1]["replies"][0]["facts"]["items"] == [
        {
            "service": "radiology",
            "site": "arlon",
            "date": "2022-05-16",
            "status": "cancelled",
            "decision": 1,
        }
    ]
    assert out[3]["user"] == "@nurse:local"
    assert out[3]["replies"][0]["facts"]["kind"] == "refused"
    assert out[4]["replies"][0]["facts"]["now"].startswith("2022-05-16T08:00")
    # after :now, "today" is Monday and tomorrow Tuesday
    today, tomorrow = out[5]["replies"]
    assert today["facts"]["items"][0]["status"] == "cancelled"
    assert tomorrow["facts"]["items"][0]["status"] is None


def test_plain_text_output_and_as_flag(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite3"
    proc = crisiscell(
        "shell",
        "--db",
        str(db),
        "--now",
        NOW,
        "--as",
        "@nurse:local",
        stdin="/whoami\n/decide radiology open\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert "You are @nurse:local. Roles: staff. Room: shell:local." in proc.stdout
    assert "Refused: /decide needs the role cell; you have: staff." in proc.stdout


def test_restart_keeps_the_ledger_and_verify(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite3"
    jsonl(db, ["/decide radiology cancelled monday", "/decide surgery case-by-case monday"])
    out = jsonl(db, ["/status monday", "/history"])
    board = {
        i["service"]: (i["status"], i["decision"]) for i in out[0]["replies"][0]["facts"]["items"]
    }
    assert board["radiology"] == ("cancelled", 1)
    assert board["surgery"] == ("case-by-case", 2)
    assert out[1]["replies"][0]["facts"]["total"] == 2

    ok = crisiscell("ledger", "verify", "--db", str(db))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("ok: 2 ledger entries")

    with sqlite3.connect(db) as conn:  # tamper with the first entry
        conn.execute("UPDATE ledger SET body = replace(body, 'cancelled', 'open') WHERE seq = 1")
    bad = crisiscell("ledger", "verify", "--db", str(db))
    assert bad.returncode == 1
    assert bad.stdout.startswith("FAILED at entry 1:")


def test_crash_after_commit_loses_no_reply(tmp_path: Path) -> None:
    """The process dies right after the commit: the decision is kept, recorded once, and
    its reply is delivered from the outbox when the shell starts again."""
    db = tmp_path / "c.sqlite3"
    crashed = crisiscell(
        "shell",
        "--db",
        str(db),
        "--now",
        NOW,
        stdin="/decide radiology cancelled monday\n",
        env={"CRISISCELL_CRASH_AT": "after-inbox-commit"},
    )
    assert crashed.returncode == 137
    assert "radiology" not in crashed.stdout
    again = crisiscell("shell", "--db", str(db), "--now", NOW, stdin="/history\n")
    assert again.returncode == 0, again.stderr
    delivered, history = again.stdout.split("== Decision history ==")
    assert "No. 1 — radiology, all sites: cancelled on Monday 16 May 2022." in delivered
    assert history.count("radiology") == 1
    third = crisiscell("shell", "--db", str(db), "--now", NOW, stdin="")
    assert "radiology" not in third.stdout  # delivered once, not at every start


def test_config_example_is_valid_and_used(tmp_path: Path) -> None:
    example = crisiscell("config", "example")
    assert example.returncode == 0
    cfg = tmp_path / "crisiscell.toml"
    cfg.write_text(example.stdout, encoding="utf-8")
    check = crisiscell("config", "check", str(cfg))
    assert check.returncode == 0, check.stderr
    out = jsonl(
        tmp_path / "c.sqlite3", ["/decide dialyse annulé lundi à Saint-Mard"], "--config", str(cfg)
    )
    item = out[0]["replies"][0]["facts"]["items"][0]
    assert (item["service"], item["site"], item["status"]) == (
        "dialysis",
        "saint-mard",
        "cancelled",
    )


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        '[bot]\ntimezone = "Mars/Olympus"\n[[person]]\nname = "X"\nids = ["@x:y"]\n'
        'roles = ["boss"]\n',
        encoding="utf-8",
    )
    proc = crisiscell("shell", "--config", str(cfg), "--db", str(tmp_path / "c.sqlite3"))
    assert proc.returncode == 2
    assert "bot.timezone: Value error, unknown time zone 'Mars/Olympus'" in proc.stderr
    assert "person[0].roles: Value error, unknown role(s) boss" in proc.stderr


def test_bad_now_and_unknown_database_scheme(tmp_path: Path) -> None:
    proc = crisiscell("shell", "--now", "yesterday-ish", "--db", str(tmp_path / "c.sqlite3"))
    assert proc.returncode != 0 and "--now: not an ISO date/time" in proc.stderr
    proc = crisiscell("db", "status", "--db", "mysql://root@127.0.0.1/test")
    assert proc.returncode == 2 and "unsupported database URL scheme" in proc.stderr


def test_db_upgrade_and_status(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite3"
    up = crisiscell("db", "upgrade", "--db", str(db))
    assert up.returncode == 0 and "schema up to date" in up.stdout
    st = crisiscell("db", "status", "--db", str(db))
    assert "schema revision " in st.stdout and "(up to date)" in st.stdout


@pytest.mark.parametrize(
    ("drill", "file"), [(False, "crisiscell.sqlite3"), (True, "drill.sqlite3")]
)
def test_default_database_lives_in_the_data_directory(
    tmp_path: Path, drill: bool, file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live shell's database, and a drill shell's own: a drill never opens the live
    database by default."""
    monkeypatch.delenv("CRISISCELL_DB", raising=False)
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    args = ("--now", NOW) if drill else ()
    proc = crisiscell("shell", *args, "--jsonl", stdin="/decide lab closed\n", env=env)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (tmp_path / "data" / "crisiscell").glob("*.sqlite3")] == [file]


def test_parse_shows_the_reading() -> None:
    proc = crisiscell(
        "parse", "y a-t-il des opérations après-demain à Bastogne ?", "--now", NOW, "--json"
    )
    assert proc.returncode == 0, proc.stderr
    reading = json.loads(proc.stdout)
    assert {k: reading[k] for k in ("lang", "intent", "services", "sites", "date", "asked")} == {
        "lang": "fr",
        "intent": "service-status",
        "services": ["surgery"],
        "sites": ["bastogne"],
        "date": "2022-05-17",
        "asked": "open",
    }
    text = crisiscell("parse", "wat is er vandaag gesloten?", "--now", NOW).stdout
    assert "intent       day-overview" in text and "lang         nl" in text


def test_questions_in_the_shell(tmp_path: Path) -> None:
    out = jsonl(
        tmp_path / "c.sqlite3",
        [
            "/decide radiology cancelled monday",
            "la radiologie est-elle ouverte lundi ?",
        ],
    )
    (answer,) = out[1]["replies"]
    assert answer["text"].startswith("Non — radiologie, tous les sites : annulé le lundi")
    assert answer["facts"]["items"] == [
        {
            "service": "radiology",
            "site": "all",
            "date": "2022-05-16",
            "status": "cancelled",
            "decision": 1,
            "answer": "no",
        }
    ]
