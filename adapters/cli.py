"""The ``crisiscell`` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from adapters.console import counted
from adapters.files import write_private
from adapters.matrix.errors import MatrixError
from bot.config import ConfigError, Settings, example_config, load_settings
from bot.i18n import CatalogsMissing, require_catalogs, stale_catalogs
from bot.jobs.appointments import redact_phones
from bot.ledger.chain import verify
from bot.runtime.clock import Clock, DrillClock
from storage.db import Database, DatabaseError, DatabaseKindError

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return version("crisiscell")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "unknown"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="TOML config file (default: built-ins)")
    p.add_argument(
        "--db",
        metavar="URL",
        help="database URL or SQLite file (default: $CRISISCELL_DB, the config's "
        "bot.database, or a SQLite file in your data directory)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crisiscell",
        description="Chat bot for a hospital crisis cell: decisions ledger, status answers.",
    )
    parser.add_argument("--version", action="version", version=f"crisiscell {_version()}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    shell = sub.add_parser(
        "shell",
        help="chat with the bot in this terminal",
        description="Chat with the bot in this terminal (SQLite by default). "
        "Lines starting with ':' are for the shell: :as USER, :now ISO, :quit.",
    )
    _common(shell)
    shell.add_argument(
        "--as",
        dest="user",
        metavar="USER",
        help="your user id (default: the config's shell.user, @operator:local)",
    )
    shell.add_argument(
        "--now", metavar="ISO", help="start the clock at this time, e.g. 2022-05-15T09:00 (drills)"
    )
    shell.add_argument(
        "--jsonl", action="store_true", help="print one JSON object per input line (for scripts)"
    )

    run = sub.add_parser(
        "run",
        help="run the bot on the chat platforms the config enables (Matrix)",
        description="Run the bot on every chat adapter the config enables, until stopped "
        "(Ctrl-C or SIGTERM). Secrets come from environment variables (see the config).",
    )
    _common(run)

    st = sub.add_parser(
        "status",
        help="is the bot alive? (exit 1 when something needs attention)",
        description="The active process, each part's state and last success, the chat "
        "outbox backlog, running SMS jobs, the last backup. Exit 0: fine; 1: something "
        "needs attention; 2: the database cannot be read.",
    )
    _common(st)

    ledger = sub.add_parser("ledger", help="the decision ledger")
    lsub = ledger.add_subparsers(dest="ledger_cmd", required=True, metavar="ACTION")
    lv = lsub.add_parser("verify", help="check the hash chain; exit 1 at the first broken entry")
    _common(lv)

    db = sub.add_parser("db", help="the database")
    dsub = db.add_subparsers(dest="db_cmd", required=True, metavar="ACTION")
    du = dsub.add_parser("upgrade", help="apply the schema migrations (also done on start)")
    _common(du)
    ds = dsub.add_parser("status", help="show the database and its schema revision")
    _common(ds)
    db_backup = dsub.add_parser(
        "backup",
        help="a consistent, compressed snapshot while the bot runs (optionally encrypted)",
        description="Writes FILE (gzip'd JSON lines, the same from SQLite or PostgreSQL). "
        "Backups hold patients' phone numbers: encrypt them with --passphrase-env.",
    )
    _common(db_backup)
    db_backup.add_argument("file")
    db_restore = dsub.add_parser(
        "restore", help="load a backup into an EMPTY database, then verify the ledger"
    )
    _common(db_restore)
    db_restore.add_argument("file")
    for p in (db_backup, db_restore):
        p.add_argument(
            "--passphrase-env",
            metavar="VAR",
            help="environment variable holding the passphrase (default: backup.passphrase_env)",
        )
    db_copy = dsub.add_parser(
        "copy",
        help="copy everything to another database (e.g. SQLite -> PostgreSQL) and verify",
        description="Refuses while a bot holds the source's lease (stop it first) and into "
        "a non-empty target.",
    )
    db_copy.add_argument("--config", metavar="FILE", help="TOML config file")
    db_copy.add_argument("--from", dest="from_url", required=True, metavar="URL")
    db_copy.add_argument("--to", dest="to_url", required=True, metavar="URL")
    db_copy.add_argument(
        "--force", action="store_true", help="copy even though a lease looks active"
    )
    db_copy.add_argument(
        "--drill",
        action="store_true",
        help="make the copy a drill database: the ledger, plan, room settings and "
        "appointments, without SMS rows, the one-SMS-per-patient guard, undelivered chat "
        "messages or the chat adapters' state (open it with `crisiscell shell --now ...`)",
    )

    parse = sub.add_parser(
        "parse",
        help="show how the bot reads a question",
        description="Show what the bot understood of a question: intent, services, sites, "
        "date, the status asked and the language. Nothing is recorded.",
    )
    parse.add_argument("text", help='the question, e.g. "is radiology open tomorrow?"')
    parse.add_argument("--config", metavar="FILE", help="TOML config file")
    parse.add_argument("--now", metavar="ISO", help="read dates as if it were this time")
    parse.add_argument("--json", action="store_true", help="print JSON")

    appts = sub.add_parser("appointments", help="the appointment list (personal data)")
    asub = appts.add_subparsers(dest="appointments_cmd", required=True, metavar="ACTION")
    ai = asub.add_parser(
        "import",
        help="import the appointment export (CSV)",
        description="Import the appointment export (CSV, ',' or ';'). Default columns: "
        "appointment_id, start, site, service, phone, language. Re-importing the same "
        "file changes nothing. Rejected rows are listed by line number and reason.",
    )
    _common(ai)
    ai.add_argument("file", help="the CSV export")
    ai.add_argument(
        "--mapping",
        metavar="TOML",
        help="[columns] renames, [services] and [sites] map the hospital's labels",
    )
    am = asub.add_parser(
        "mark",
        help="mark appointments maintained or postponed from a CSV file",
        description="Columns: appointment_id, outcome (maintained or postponed), note. Each "
        "mark is a ledger entry under your login name.",
    )
    _common(am)
    am.add_argument("file", help="the CSV file")
    am.add_argument("--as", dest="user", metavar="NAME", help="who marks (default: your login)")
    ap = asub.add_parser("purge", help="delete the appointments of past days")
    _common(ap)
    ap.add_argument(
        "--older-than",
        type=int,
        required=True,
        metavar="DAYS",
        help="delete the appointments of days more than DAYS days ago",
    )

    notify = sub.add_parser("notify", help="patient SMS jobs (local only)")
    nsub = notify.add_subparsers(dest="notify_cmd", required=True, metavar="ACTION")
    nw = nsub.add_parser(
        "worker",
        help="run only the SMS sender (extra senders on PostgreSQL)",
        description="Send the messages of approved jobs until stopped. `crisiscell run` "
        "already runs one sender; on PostgreSQL extra workers may share the load.",
    )
    _common(nw)
    nr = nsub.add_parser(
        "report",
        help="the patients to phone for a job (failed, no mobile, uncertain)",
        description="Without --csv: counts only. With --csv: one row per appointment to phone, "
        "with the number -- personal data: keep it on this machine, never post it in chat.",
    )
    _common(nr)
    nr.add_argument("job", type=int, help="the job number (see /jobs)")
    nr.add_argument("--csv", action="store_true", help="print the list as CSV")
    nr.add_argument("--out", metavar="FILE", help="write the CSV to FILE (mode 0600)")

    calls = sub.add_parser("calls", help="call lists for case-by-case days (local only)")
    csub = calls.add_subparsers(dest="calls_cmd", required=True, metavar="ACTION")
    ce = csub.add_parser(
        "export",
        help="the list with phone numbers, grouped by site and time (CSV)",
        description="Personal data: keep it on this machine, never post it in chat.",
    )
    _common(ce)
    ce.add_argument("list", type=int, help="the call list number (see /calls)")
    ce.add_argument("--csv", action="store_true", help="CSV (the only format; the default)")
    ce.add_argument("--out", metavar="FILE", help="write to FILE (mode 0600)")
    co = csub.add_parser("outcome", help="record a call's outcome")
    _common(co)
    co.add_argument("appointment", help="the appointment id")
    co.add_argument("outcome", choices=("maintained", "postponed", "no-answer", "to-retry"))
    co.add_argument("--note", default="", help="a short note (no patient data)")
    co.add_argument("--as", dest="user", metavar="NAME", help="who called (default: your login)")

    export = sub.add_parser(
        "export",
        help="the crisis record: activity log, situation report",
        description="Internal documents (authors, whole notes; never patient data). The "
        "ledger's hash chain is verified and stated at the top.",
    )
    esub = export.add_subparsers(dest="export_cmd", required=True, metavar="DOCUMENT")
    el = esub.add_parser("log", help="the activity log (HICS 214 spirit), in order")
    _common(el)
    el.add_argument("--from", dest="first", metavar="DAY", help="first day (2022-05-16, monday)")
    el.add_argument("--to", dest="last", metavar="DAY", help="last day")
    el.add_argument("--format", choices=("csv", "md", "html"), default="html")
    es = esub.add_parser("sitrep", help="a situation report for one day and the next")
    _common(es)
    es.add_argument("--date", metavar="DAY", help="the day (default: today)")
    es.add_argument("--format", choices=("md", "html"), default="html")
    for p in (el, es):
        p.add_argument("--out", metavar="FILE", help="write to FILE (default: standard output)")
        p.add_argument("--lang", choices=("fr", "en", "nl", "de"), help="default: bot.language")
        p.add_argument("--now", metavar="ISO", help="as if it were this time (drills)")

    matrix = sub.add_parser("matrix", help="Matrix")
    msub = matrix.add_subparsers(dest="matrix_cmd", required=True, metavar="ACTION")
    mc = msub.add_parser(
        "crypto-setup",
        help="cross-sign the bot's device (once per account) so Element trusts it",
        description="Creates the bot account's cross-signing keys when it has none, "
        "uploads them, prints a recovery key once, and signs the bot's device; run "
        "again, it changes nothing. The private keys are stored in the database, sealed "
        "with the passphrase in $CRISISCELL_MATRIX_KEY_PASSPHRASE (matrix."
        "key_passphrase_env); the homeserver may ask for the bot's password "
        "($CRISISCELL_MATRIX_PASSWORD). `crisiscell run` then signs a new device by itself.",
    )
    _common(mc)
    mc.add_argument(
        "--recovery-key",
        action="store_true",
        help="the account already has keys (set up from Element): import them from its "
        "secret storage with its recovery key, read from $CRISISCELL_MATRIX_RECOVERY_KEY "
        "or asked for",
    )
    mc.add_argument(
        "--reset",
        action="store_true",
        help="replace the account's keys with new ones (people see the bot's identity "
        "change; for a lost recovery key)",
    )

    teams = sub.add_parser("teams", help="Microsoft Teams")
    tsub = teams.add_subparsers(dest="teams_cmd", required=True, metavar="ACTION")
    tm = tsub.add_parser("manifest", help="build the Teams app package (zip) to upload")
    tm.add_argument("--config", metavar="FILE", help="TOML config file (needs teams.app_id)")
    tm.add_argument(
        "--out",
        metavar="ZIP",
        default="crisiscell-teams.zip",
        help="where to write it (default: crisiscell-teams.zip)",
    )

    cfg = sub.add_parser("config", help="configuration files")
    csub = cfg.add_subparsers(dest="config_cmd", required=True, metavar="ACTION")
    csub.add_parser("example", help="print a complete, commented example config")
    cc = csub.add_parser("check", help="validate a config file")
    cc.add_argument("file")
    return parser


async def _write_out(text: str, out: str | None, said: str) -> None:
    """A document to standard output, or to the private file ``out`` (mode 0600), saying
    what was written there."""
    if not out:
        sys.stdout.write(text)
        return
    path = Path(out)
    await asyncio.to_thread(write_private, path, text)
    print(f"{path}: {said}")


def _opened(db: Database, kind: str) -> None:
    """Say which database, and which kind (live or drill), a command works on."""
    from adapters.runtime import shown

    print(f"crisiscell: {shown(db)} ({kind} database)", file=sys.stderr)


def _clock(settings: Settings, now: str | None) -> Clock | None:
    if not now:
        return None
    try:
        start = datetime.fromisoformat(now)
    except ValueError:
        raise SystemExit(
            f"crisiscell: --now: not an ISO date/time: {now!r} (e.g. 2022-05-15T09:00)"
        ) from None
    return DrillClock(start, settings.bot.timezone)


async def _shell(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.runtime import build_runtime, data_dir, drill_database
    from adapters.terminal.shell import run_shell

    clock = _clock(settings, args.now)
    if clock is not None:  # a drill: a drill database only, never the live one
        runtime = await build_runtime(
            settings, db_url=drill_database(args.db), clock=clock, kind="drill"
        )
    else:
        runtime = await build_runtime(
            settings, db_url=args.db, what="the shell without --now (it sends real SMS)"
        )
    try:
        history = data_dir() / "shell_history"
        return await run_shell(
            runtime,
            user=args.user or settings.shell.user,
            jsonl=args.jsonl,
            stdin=sys.stdin,
            history=history,
        )
    finally:
        await runtime.close()


async def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.runtime import database_url

    db = Database(database_url(settings, args.db))
    try:
        _opened(db, await db.migrate())
        async with db.uow() as uow:
            result = await verify(uow)
    finally:
        await db.dispose()
    if result.ok:
        print(f"ok: {result.checked} ledger entries chain and match the decision tables")
        return 0
    where = f"entry {result.bad_seq}" if result.bad_seq is not None else "the tables"
    print(f"FAILED at {where}: {result.reason} ({result.checked} entries before it verified)")
    return 1


async def _db(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.runtime import database_url
    from storage.backup import BackupError, backup, copy, passphrase_from_env, restore

    if args.db_cmd in ("backup", "restore", "copy"):
        try:
            if args.db_cmd == "copy":
                source, target = Database(args.from_url), Database(args.to_url)
                try:
                    info = await copy(source, target, force=args.force, drill=args.drill)
                    kind = await target.kind()
                finally:
                    await source.dispose()
                    await target.dispose()
                print(
                    f"copied {sum(info.tables.values())} rows ({info.ledger_entries} ledger "
                    f"entries verified on the target) in {info.seconds:.1f} s: a {kind} "
                    "database" + (" -- FORCED past an active lease" if info.forced else "")
                )
                if info.drill:
                    left = ", ".join(f"{t} {n} rows" for t, n in sorted(info.left_out.items()))
                    print(f"left out of the drill copy: {left or 'nothing to leave out'}")
                    print(f"drill on it: crisiscell shell --now ISO --db {args.to_url}")
                return 0
            passphrase = passphrase_from_env(args.passphrase_env or settings.backup.passphrase_env)
            db = Database(database_url(settings, args.db))
            try:
                if args.db_cmd == "backup":
                    b = await backup(db, Path(args.file), passphrase=passphrase)
                    print(
                        f"{b.path}: {b.rows} rows, {b.bytes} bytes, schema {b.revision}"
                        + (", encrypted" if b.encrypted else ", NOT encrypted (phone numbers!)")
                    )
                else:
                    r = await restore(db, Path(args.file), passphrase=passphrase)
                    print(
                        f"{db.description}: {sum(r.tables.values())} rows restored, "
                        f"{r.ledger_entries} ledger entries verified, schema {r.revision} -> "
                        f"{r.head}"
                    )
            finally:
                await db.dispose()
        except BackupError as e:
            print(f"crisiscell: {e}", file=sys.stderr)
            return 1
        return 0
    db = Database(database_url(settings, args.db))
    try:
        if args.db_cmd == "upgrade":
            _opened(db, await db.migrate())
            print(f"{db.description}: schema up to date")
        else:
            current, head = await db.revision()
            state = "up to date" if current == head else f"needs upgrade to {head}"
            print(f"{db.description}: schema revision {current or 'none'} ({state})")
    finally:
        await db.dispose()
    return 0


def _parse(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime.clock import SystemClock
    from commands.reading import read_question

    clock = _clock(settings, args.now) or SystemClock(settings.bot.timezone)
    reading = read_question(
        args.text,
        catalog=settings.build_catalog(),
        today=clock.now().date(),
        fallback=settings.bot.language,
    )
    data = {"text": args.text, "today": clock.now().date().isoformat(), **reading.to_json()}
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    for k, v in data.items():
        if v not in (None, [], {}):
            shown = ", ".join(v) if isinstance(v, list) else v
            print(f"{k:<12} {shown}")
    return 0


async def _appointments(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.appointments import import_file, purge
    from adapters.runtime import database_url
    from bot.jobs.appointments import MappingError

    db = Database(database_url(settings, args.db))
    try:
        _opened(db, await db.migrate())
        if args.appointments_cmd == "mark":
            from adapters.calls_cli import cli_actor, mark_file
            from adapters.runtime import cli_runner
            from bot.runtime.clock import SystemClock

            path = Path(args.file)
            if not await asyncio.to_thread(path.is_file):
                raise ConfigError(f"{path}: no such file")
            n, problems = await mark_file(
                cli_runner(settings, db),
                path,
                actor=cli_actor(args.user),
                now=SystemClock(settings.bot.timezone).now(),
            )
            print(f"{counted(n, 'appointment')} marked")
            for p in problems:
                print(p)
            return 1 if problems and not n else 0
        if args.appointments_cmd == "purge":
            n = await purge(settings, db, args.older_than)
            print(f"{n} appointments of days more than {args.older_than} days ago deleted")
            return 0
        path = Path(args.file)
        if not await asyncio.to_thread(path.is_file):
            raise ConfigError(f"{path}: no such file")
        try:
            report = await import_file(
                settings, db, path, Path(args.mapping) if args.mapping else None
            )
        except MappingError as e:
            raise ConfigError(str(e)) from e
    finally:
        await db.dispose()
    print("\n".join(report.lines()))
    return 1 if report.rejected and report.rows == 0 else 0


async def _notify(args: argparse.Namespace, settings: Settings) -> int:
    import csv
    import io
    from collections import Counter

    from adapters.runtime import data_dir, database_url
    from adapters.sms.service import run_worker, write_report

    data = data_dir()
    if args.notify_cmd == "worker":
        return await run_worker(settings, db_url=args.db, data_dir=data)
    db = Database(database_url(settings, args.db))
    try:
        _opened(db, await db.migrate())
        buf = io.StringIO()
        try:
            n = await write_report(db, settings, args.job, buf)
        except LookupError as e:
            print(f"crisiscell: {e}", file=sys.stderr)
            return 1
    finally:
        await db.dispose()
    if not args.csv and not args.out:
        reasons = Counter(row[1] for row in list(csv.reader(io.StringIO(buf.getvalue())))[1:])
        print(f"job {args.job}: {counted(n, 'appointment')} to phone")
        for reason, count in sorted(reasons.items()):
            print(f"  {reason}: {count}")
        print(f"the list with numbers: crisiscell notify report {args.job} --csv --out FILE")
        return 0
    await _write_out(
        buf.getvalue(), args.out, f"{counted(n, 'appointment')} to phone (personal data: mode 0600)"
    )
    return 0


class RedactingFormatter(logging.Formatter):
    """Every log line, traceback included, with phone-like numbers masked: a library's
    error text (a database constraint's DETAIL, a provider's message) may quote one."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_phones(super().format(record))


def _day_arg(text: str | None, today: date, what: str) -> date | None:
    if not text:
        return None
    from bot.dates import DateError, parse_day

    try:
        return parse_day(text, today)
    except DateError:
        raise SystemExit(f"crisiscell: {what}: not a day: {text!r} (e.g. 2022-05-16)") from None


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from adapters.runtime import database_url
    from adapters.status_cli import status_lines
    from bot.runtime.clock import SystemClock

    db = Database(database_url(settings, args.db))
    try:
        # read only: status never creates or migrates a database (a running bot's own)
        current, _ = await db.revision()
        if current is None:
            raise DatabaseError(f"{db.description} is not a crisiscell database (no schema)")
        code, lines = await status_lines(
            db,
            now=SystemClock(settings.bot.timezone).now(),
            lag_limit=timedelta(seconds=settings.web.outbox_lag_seconds),
        )
    finally:
        await db.dispose()
    print("\n".join(lines))
    return code


async def _calls(args: argparse.Namespace, settings: Settings) -> int:

    from adapters.calls_cli import calls_csv, cli_actor, record
    from adapters.runtime import cli_runner, database_url
    from bot.runtime.clock import SystemClock

    db = Database(database_url(settings, args.db))
    try:
        _opened(db, await db.migrate())
        if args.calls_cmd == "outcome":
            try:
                line = await record(
                    cli_runner(settings, db),
                    appointment_id=args.appointment,
                    outcome=args.outcome,
                    note=args.note,
                    actor=cli_actor(args.user),
                    now=SystemClock(settings.bot.timezone).now(),
                )
            except LookupError as e:
                print(f"crisiscell: {e}", file=sys.stderr)
                return 1
            print(line)
            return 0
        try:
            text = await calls_csv(db, settings, args.list)
        except LookupError as e:
            print(f"crisiscell: {e}", file=sys.stderr)
            return 1
    finally:
        await db.dispose()
    await _write_out(
        text, args.out, f"{counted(text.count(chr(10)) - 1, 'call')} (personal data: mode 0600)"
    )
    return 0


async def _export(args: argparse.Namespace, settings: Settings) -> int:

    from adapters.exports import export_log, export_sitrep
    from adapters.runtime import database_url
    from bot.runtime.clock import SystemClock

    clock = _clock(settings, args.now) or SystemClock(settings.bot.timezone)
    now = clock.now()
    lang = args.lang or settings.bot.language
    db = Database(database_url(settings, args.db))
    try:
        _opened(db, await db.migrate())
        if args.export_cmd == "log":
            first = _day_arg(args.first, now.date(), "--from")
            last = _day_arg(args.last, now.date(), "--to")
            if first and last and first > last:
                raise SystemExit("crisiscell: --from is after --to")
            text = await export_log(
                db, settings, first=first, last=last, fmt=args.format, lang=lang, now=now
            )
        else:
            day = _day_arg(args.date, now.date(), "--date") or now.date()
            text = await export_sitrep(db, settings, day=day, fmt=args.format, lang=lang, now=now)
    finally:
        await db.dispose()
    await _write_out(text, args.out, f"written ({len(text.encode())} bytes)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        handlers=[handler],
    )
    try:
        require_catalogs()
    except CatalogsMissing as e:
        print(f"crisiscell: {e}", file=sys.stderr)
        return 2
    for lang in stale_catalogs():
        log.warning(
            "the %s message catalog was edited after it was compiled: the old wording is "
            "used until you run: pybabel compile -d bot/locale -D crisiscell",
            lang,
        )
    try:
        if args.cmd == "config":
            if args.config_cmd == "example":
                sys.stdout.write(example_config())
                return 0
            load_settings(args.file)
            print(f"{args.file}: ok")
            return 0
        settings = load_settings(args.config)
        if args.cmd == "run":
            from adapters.run import run

            return asyncio.run(run(settings, db_url=args.db))
        if args.cmd == "parse":
            return _parse(args, settings)
        if args.cmd == "appointments":
            return asyncio.run(_appointments(args, settings))
        if args.cmd == "notify":
            return asyncio.run(_notify(args, settings))
        if args.cmd == "export":
            return asyncio.run(_export(args, settings))
        if args.cmd == "calls":
            return asyncio.run(_calls(args, settings))
        if args.cmd == "status":
            return asyncio.run(_status(args, settings))
        if args.cmd == "matrix":
            from adapters.matrix.setup_cli import crypto_setup_command

            return asyncio.run(
                crypto_setup_command(
                    settings, args.db, recovery=args.recovery_key, reset=args.reset
                )
            )
        if args.cmd == "teams":
            from adapters.teams.manifest import listed_commands, write_package

            try:
                out = write_package(settings, Path(args.out), _version())
            except ValueError as e:
                raise ConfigError(str(e)) from e
            print(
                f"{out}: Teams app package (manifest EN + FR, {len(listed_commands())} "
                "commands, icons); upload it in Teams > Apps > Manage your apps"
            )
            return 0
        if args.cmd == "shell":
            return asyncio.run(_shell(args, settings))
        if args.cmd == "ledger":
            return asyncio.run(_verify(args, settings))
        if args.cmd == "db":
            return asyncio.run(_db(args, settings))
    except ConfigError as e:
        print(f"crisiscell: config error:\n{e}", file=sys.stderr)
        return 2
    except MatrixError as e:
        print(f"crisiscell: matrix: {e}", file=sys.stderr)
        return 2
    except DatabaseKindError as e:
        print(f"crisiscell: {e}", file=sys.stderr)
        return 2
    except DatabaseError as e:
        print(f"crisiscell: database error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
