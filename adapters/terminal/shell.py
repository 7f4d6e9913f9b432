"""The terminal chat: the embedded default, for drills and first use.

Interactive on a terminal (prompt, history); one message per line otherwise.
Shell-only lines: ``:as USER``, ``:now ISO``, ``:help``, ``:quit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import signal
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from adapters.runtime import Runtime, data_dir, deliveries
from adapters.sms.service import build_sender
from adapters.terminal.render import render_text
from bot.model import Incoming, RoomRef, room_ref
from bot.ports import OutboxItem
from bot.runtime.clock import DrillClock
from bot.runtime.outbox import OutboxSender

ROOM: RoomRef = room_ref("shell", "local")

SHELL_HELP = """\
:as USER    speak as another user id (roles come from the config)
:now ISO    move the clock, e.g. :now 2022-05-15T08:00 (drills replay a day)
:quit       leave (Ctrl-D works too)
Anything else is sent to the bot: try /help"""


class ShellChat:
    """The terminal as a chat port: delivering means printing (or collecting, for
    ``--jsonl``, so that a line's replies are printed with it)."""

    platform = "shell"

    def __init__(self, emit: Callable[[OutboxItem], None]) -> None:
        self.emit = emit
        self.collected: list[OutboxItem] | None = None
        self.expected: frozenset[int] = frozenset()  # the current input's replies

    async def deliver(self, item: OutboxItem) -> None:
        # an alert the background sweep delivers meanwhile is not this input's reply
        if self.collected is not None and item.id in self.expected:
            self.collected.append(item)
        else:
            self.emit(item)


class Shell:
    def __init__(
        self,
        runtime: Runtime,
        *,
        user: str,
        jsonl: bool = False,
        out: TextIO | None = None,
    ) -> None:
        self.runtime = runtime
        self.user = user
        self.jsonl = jsonl
        self.out = out or sys.stdout
        self.chat = ShellChat(self._print_text)
        self.sender = OutboxSender(runtime.db.uow, runtime.wall_clock, {"shell": self.chat})

    def _print_text(self, item: OutboxItem) -> None:
        """Something said in the room on its own (an alert, a briefing, job progress)."""
        text = render_text(item.reply)
        if self.jsonl:
            reply = {"text": text, "facts": item.reply.facts}
            self._write_json({"input": None, "user": None, "replies": [reply]})
        else:
            self.out.write(text + "\n\n")
            self.out.flush()

    def _write_json(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.out.flush()

    def _name(self, user: str) -> str:
        person = self.runtime.directory.person(user)
        if person:
            return person.name
        shell = self.runtime.settings.shell
        return shell.user_name if user == shell.user else user

    async def start(self) -> None:
        """Deliver what an earlier run left undelivered (a crash after a commit)."""
        await self.sender.sweep()

    async def handle_line(self, line: str) -> bool:
        """Handle one input line; False means quit."""
        text = line.strip()
        if not text:
            return True
        if text.startswith(":") and not text.startswith("::"):
            return self._shell_line(text)
        incoming = Incoming(
            platform="shell",
            room=ROOM,
            sender=self.user,
            sender_name=self._name(self.user),
            text=text,
            command_text=text,
            event_id=uuid.uuid4().hex,
            sent_at=self.runtime.clock.now(),
            is_direct=True,
            addressed=True,
        )
        handled = await self.runtime.dispatcher.handle(incoming)
        if self.jsonl:
            self.chat.collected = []
            self.chat.expected = frozenset(i.id for i in handled.items)
            try:
                await self.sender.deliver_in_turn(handled.items)
                replies = [i.reply for i in self.chat.collected]
            finally:
                self.chat.collected = None
            self._write_json(
                {
                    "input": text,
                    "user": self.user,
                    "replies": [{"text": render_text(r), "facts": r.facts} for r in replies],
                }
            )
        else:
            await self.sender.deliver_in_turn(handled.items)
        return True

    def _shell_line(self, text: str) -> bool:
        cmd, _, arg = text[1:].partition(" ")
        arg = arg.strip()
        facts: dict[str, Any]
        if cmd in ("quit", "q", "exit"):
            return False
        if cmd == "as" and arg:
            self.user = arg
            roles = ", ".join(sorted(self.runtime.directory.roles(arg)))
            msg, facts = f"you are now {arg} (roles: {roles})", {"kind": "as", "user": arg}
        elif cmd == "now" and arg:
            clock = self.runtime.clock
            if not isinstance(clock, DrillClock):
                msg, facts = (
                    "the clock is real time here; start the shell with --now to drill",
                    {"kind": "error"},
                )
            else:
                try:
                    when = datetime.fromisoformat(arg)
                except ValueError:
                    msg, facts = (
                        f"not an ISO date/time: {arg!r} (e.g. 2022-05-15T08:00)",
                        {"kind": "error"},
                    )
                else:
                    clock.set(when)
                    now = clock.now()
                    msg, facts = (
                        f"clock set to {now:%A %Y-%m-%d %H:%M %Z}",
                        {"kind": "clock", "now": now.isoformat()},
                    )
        else:
            msg, facts = SHELL_HELP, {"kind": "shell-help"}
        if self.jsonl:
            self._write_json(
                {"input": text, "user": self.user, "replies": [{"text": msg, "facts": facts}]}
            )
        else:
            self.out.write(msg + "\n\n")
            self.out.flush()
        return True


def _setup_readline(history: Path) -> Callable[[], None]:
    try:
        import readline
    except ImportError:  # pragma: no cover - not on every platform
        return lambda: None
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)

    return save


class LineReader:
    """Input lines from a daemon thread: a read that blocks (a prompt nobody answers)
    never holds up the exit, so Ctrl-C and SIGTERM stop the shell at once and cleanly.

    A line is read only when asked for, so a prompt follows the previous replies."""

    def __init__(self, stdin: TextIO, *, interactive: bool) -> None:
        self.stdin = stdin
        self.interactive = interactive
        self._loop = asyncio.get_running_loop()
        self._asks: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._lines: asyncio.Queue[str] = asyncio.Queue()
        threading.Thread(target=self._run, name="shell-input", daemon=True).start()

    def _run(self) -> None:
        while True:
            prompt = self._asks.get()
            try:
                line = input(prompt) + "\n" if self.interactive else self.stdin.readline()
            except EOFError:
                line = ""
            except Exception:  # a closed or broken input is the end of input
                line = ""
            try:
                self._loop.call_soon_threadsafe(self._lines.put_nowait, line)
            except RuntimeError:  # the loop is closed: the shell has left
                return
            if not line:
                return

    async def readline(self, prompt: str = "") -> str:
        """The next line with its newline; "" at the end of input."""
        self._asks.put(prompt)
        return await self._lines.get()


def _terminal_state(stdin: TextIO) -> Callable[[], None]:
    """Restore the terminal's modes at exit (a prompt left reading may have changed them)."""
    try:
        import termios

        fd = stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError):
        return lambda: None

    def restore() -> None:
        with contextlib.suppress(OSError):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    return restore


async def run_shell(
    runtime: Runtime,
    *,
    user: str,
    jsonl: bool,
    stdin: TextIO,
    history: Path | None = None,
) -> int:
    """The shell until end of input, ``:quit``, Ctrl-C or SIGTERM; every one of them is a
    clean stop: background work is stopped and the SMS sender releases its lease."""
    shell = Shell(runtime, user=user, jsonl=jsonl)
    await shell.start()
    interactive = stdin.isatty() and not jsonl
    # SMS jobs approved here are sent from here (one sender per SQLite database: if
    # `crisiscell run` is sending, this one waits). A drill (--now) sends nothing at all:
    # its shifted clock must never touch real jobs' messages.
    drill = isinstance(runtime.clock, DrillClock)
    sms = None if drill else build_sender(runtime, data_dir(), None)
    tasks = [asyncio.create_task(c, name=n) for n, c in deliveries(runtime, shell.sender, sms)]
    save_history = _setup_readline(history) if (interactive and history) else (lambda: None)
    restore_terminal = _terminal_state(stdin) if interactive else (lambda: None)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            signals.append(sig)
    stopping = asyncio.create_task(stop.wait(), name="shell-stop")
    try:
        if sms is not None:
            # whether this shell sends (or another sender does) is known before the first
            # command, so an approval says the truth about when the SMS leave
            checked = asyncio.create_task(sms.checked.wait())
            await asyncio.wait([checked, stopping], timeout=10, return_when=asyncio.FIRST_COMPLETED)
            checked.cancel()
        if interactive:
            print(
                f"crisiscell — {runtime.db.description} ({runtime.kind} database) — you "
                f"are {user}. "
                "Type /help, or :help for the shell. Ctrl-D quits.\n"
            )
        reader = LineReader(stdin, interactive=interactive)
        while not stop.is_set():
            reading = asyncio.create_task(reader.readline(f"{shell.user}> "))
            await asyncio.wait([reading, stopping], return_when=asyncio.FIRST_COMPLETED)
            if not reading.done():
                reading.cancel()
                if interactive:
                    print()
                break
            line = reading.result()
            if not line:
                if interactive:
                    print()
                break
            if not await shell.handle_line(line):
                break
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        stopping.cancel()
        save_history()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        restore_terminal()
    return 0
