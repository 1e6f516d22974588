"""What the reliability tests share: real ``python -m ordertrack`` processes, checksums of
every table, generated exports, and real servers (aiosmtpd, an HTTP robot) on loopback
that can go down, come back, be slow, refuse, or hold a delivery still while the test
kills the sender.

Every process runs with the clock pinned (``ORDERTRACK_NOW`` = :data:`NOW`), so two runs
of the same command on copies of the same database write the same rows: "exactly the
state after" can be checked against a reference run. Only the columns in
:data:`VOLATILE` (wall-clock times, random MIME boundaries) are left out of the checksums.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import json
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session
from conftest import PYTHON, set_config, subprocess_env

from ordertrack.errors import EXIT_BUSY

#: The instant every command of these tests runs at (Tuesday 2026-06-30, 10:00 Shanghai).
NOW = "2026-06-30T10:00:00+08:00"

#: Columns that differ between two runs of the same command: wall-clock times (not the
#: pinned clock), and a message's bytes (its MIME boundary is random; a report's XLSX
#: says when it was written).
VOLATILE: dict[str, tuple[str, ...]] = {
    "calendar_state": ("synced_at",),
    "schema_version": ("applied_at",),
    "sweeps": ("started_at",),
    "outbox": ("payload",),
}
#: The outbox columns a delivery attempt writes (not the sweep or ``report send``).
DELIVERY: dict[str, tuple[str, ...]] = {
    "outbox": ("status", "attempts", "last_attempt_at", "last_error", "sent_at")
}

BUSY_ERROR = (
    "Error: the order center is busy (another ordertrack command is writing to "
    "ordertrack.duckdb); try again or use --wait 60"
)


# ---------------------------------------------------------------------------------------
# processes


def ot_env(ws: Path, **extra: str) -> dict[str, str]:
    """The environment of ``python -m ordertrack``: the workspace, the pinned clock, and no
    HTTP proxy between ordertrack and the loopback servers."""
    env = subprocess_env(ORDERTRACK_HOME=str(ws), ORDERTRACK_NOW=NOW, no_proxy="*", **extra)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        env.pop(name, None)
    return env


@dataclass
class Done:
    """A finished command: how it ended and what it printed."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"ordertrack {' '.join(self.args)} → {self.returncode}\n{self.stdout}\n{self.stderr}"


_numbers = itertools.count()


class Proc:
    """``python -m ordertrack ARGS`` on workspace ``ws``, its output in files (a pipe
    that nobody reads would stall a command that prints a lot)."""

    def __init__(self, ws: Path, *args: str, logs: Path | None = None, **env: str) -> None:
        self.args = args
        logs = logs or ws.parent / "logs"
        logs.mkdir(exist_ok=True)
        n = next(_numbers)
        self._out, self._err = logs / f"{n}.out", logs / f"{n}.err"
        with self._out.open("wb") as out, self._err.open("wb") as err:
            self.popen = subprocess.Popen(
                [PYTHON, "-m", "ordertrack", *args],
                stdout=out,
                stderr=err,
                env=ot_env(ws, **env),
                cwd=logs,  # not beside the files: their paths are written in full
            )
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> bool:
        """SIGKILL; True when it was still running (the kill landed mid-command)."""
        alive = self.running()
        if alive:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(30)
        return alive and self.popen.returncode == -signal.SIGKILL

    def wait(self, timeout: float = 240) -> Done:
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(30)
            raise
        return Done(
            self.args,
            self.popen.returncode,
            self._out.read_text(encoding="utf-8", errors="replace"),
            self._err.read_text(encoding="utf-8", errors="replace"),
        )


def ot(ws: Path, *args: str, timeout: float = 240, logs: Path | None = None, **env: str) -> Done:
    """Run ``python -m ordertrack ARGS`` to the end (output kept in ``logs``, by default
    a folder beside the workspace)."""
    return Proc(ws, *args, logs=logs, **env).wait(timeout)


def ok(done: Done, *codes: int) -> Done:
    """``done`` ended with exit 0 (or one of ``codes``) and without a traceback."""
    assert done.returncode in (codes or (0,)), str(done)
    assert "Traceback" not in done.stderr, str(done)
    return done


def assert_busy(done: Done) -> None:
    """Refused with exit 3 and the documented two lines, no traceback."""
    assert done.returncode == EXIT_BUSY, str(done)
    lines = done.stderr.splitlines()
    assert lines[0] == BUSY_ERROR, str(done)
    assert lines[1].startswith("Hint: Held by process "), str(done)
    assert len(lines) == 2 and "Traceback" not in done.stderr, str(done)


def kill_after(proc: Proc, seconds: float) -> bool:
    """SIGKILL ``proc`` ``seconds`` after it started; True when it was still running."""
    time.sleep(max(0.0, proc.started + seconds - time.monotonic()))
    return proc.kill()


def killed_copy(base: Path, ws: Path, args: tuple[str, ...], seconds: float) -> Path:
    """A copy of workspace ``base`` at ``ws`` on which ``ordertrack ARGS`` was killed
    ``seconds`` after it started. When the command was done by then (the calibration ran
    on a busier machine), it is tried again on a fresh copy, killed sooner."""
    for _ in range(4):
        copy_ws(base, ws)
        if kill_after(Proc(ws, *args), seconds):
            return ws
        shutil.rmtree(ws)
        seconds *= 0.6
    raise AssertionError(f"ordertrack {' '.join(args)} always ended before the kill")


# ---------------------------------------------------------------------------------------
# the database


def db_path(ws: Path) -> Path:
    return ws / "ordertrack.duckdb"


def checksums(
    ws: Path, ignore: dict[str, tuple[str, ...]] | None = None
) -> dict[str, tuple[int, int]]:
    """``(count(*), sum(hash(columns)))`` of every table of the workspace's database,
    leaving out :data:`VOLATILE` columns and those in ``ignore``. Opening the file
    read-only replays what a killed process left in the WAL, as the next command would."""
    skip: dict[str, set[str]] = {}
    for source in (VOLATILE, ignore or {}):
        for table, names in source.items():
            skip.setdefault(table, set()).update(names)
    con = duckdb.connect(str(db_path(ws)), read_only=True)
    try:
        kept: dict[str, list[str]] = {}
        for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main' "
            "AND table_name IN (SELECT table_name FROM duckdb_tables() "
            "  WHERE database_name = current_database() AND schema_name = 'main') "
            "ORDER BY table_name, column_index"
        ).fetchall():
            if column not in skip.get(table, set()):
                kept.setdefault(table, []).append(f'"{column}"')
        out: dict[str, tuple[int, int]] = {}
        for table, cols in kept.items():
            row = con.execute(
                f'SELECT count(*), coalesce(sum(hash({", ".join(cols)})), 0) FROM "{table}"'
            ).fetchone()
            assert row is not None
            out[table] = (int(row[0]), int(row[1]))
        return out
    finally:
        con.close()


def query(ws: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db_path(ws)), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def copy_ws(src: Path, dst: Path) -> Path:
    """A copy of a (closed) workspace."""
    shutil.copytree(src, dst)
    return dst


# ---------------------------------------------------------------------------------------
# workspaces and exports

ORDERS_HEADER = [
    "订单编号",
    "客户名称",
    "业务员",
    "下单日期",
    "承诺交期",
    "计划发货日期",
    "订单金额",
]
REPS = 5


def order_id(i: int, prefix: str = "SO") -> str:
    return f"{prefix}-{i:07d}"


def write_orders(
    path: Path, n: int, start: int = 0, *, prefix: str = "SO", ship: str = "2026-06-25"
) -> Path:
    """An orders export of ``n`` orders: sales reps ``rep0``…``rep4``, amounts 0.50 to
    9972.50, the planned ship date ``ship`` (before :data:`NOW`: every order is late)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(ORDERS_HEADER)
        for i in range(start, start + n):
            w.writerow(
                [
                    order_id(i, prefix),
                    f"客户{i % 997}",
                    f"rep{i % REPS}",
                    "2026/6/3",
                    "2026-07-20",
                    ship,
                    f"{i % 9973}.50",
                ]
            )
    return path


def write_moves(path: Path, ids: Iterable[str], stage: str = "business_review") -> Path:
    """An ``advance --from-file`` export: order number and target stage per row."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["订单编号", "目标环节"])
        w.writerows([i, stage] for i in ids)
    return path


#: Late orders tell their sales rep (and get a task); big orders get a status and tell
#: the boss. Every recipient has an e-mail address.
RULES = """
[[rules]]
id = "ship_due"
severity = "critical"
when = "planned_ship_date <= as_of::DATE AND before_shipped"
actions = [
    { notify = ["@sales_rep"] },
    { task = { assignee = "@sales_rep", title = "Ship {order_id}" } },
]

[[rules]]
id = "big_order"
when = "amount > 9000"
actions = [{ set_status = "big" }, { notify = ["boss"] }]
"""

PEOPLE = (
    "\n".join(
        f'[people.{key}]\nemail = "{key}@example.com"\n' for key in [f"rep{i}" for i in range(REPS)]
    )
    + '\n[people.boss]\nname = "沈国栋"\nemail = "boss@example.com"\n'
)

RECIPIENTS = sorted([*(f"rep{i}@example.com" for i in range(REPS)), "boss@example.com"])


def configure(ws: Path, *, rules: str = RULES, extra: str = "") -> Path:
    """Replace the template's seed rules (and its commented [notify] and [people]) with
    ``rules``, :data:`PEOPLE` and ``extra``; the user ``tester`` becomes admin."""
    path = ws / "ordertrack.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("# Rules: If…Then")
    end = text.index("# Source profiles", start)
    block = "\n".join(part.strip() for part in (rules, PEOPLE, extra) if part.strip())
    path.write_text(text[:start] + block + "\n\n" + text[end:], encoding="utf-8")
    set_config(ws, "\nadmin = []", '\nadmin = ["tester"]')
    return ws


def smtp_config(port: int, timeout: float = 2) -> str:
    return f"""
[notify.smtp]
host = "127.0.0.1"
port = {port}
security = "plain"
sender = "ot@example.com"
sender_name = "订单中心"
timeout = {timeout}
"""


def robot_config(port: int, timeout: float = 2) -> str:
    return f"""
[notify.webhooks.ops]
kind = "json"
url = "http://127.0.0.1:{port}/hook"
timeout = {timeout}
"""


# ---------------------------------------------------------------------------------------
# SMTP


@dataclass
class Mailbox:
    """aiosmtpd handler keeping what it accepts.

    ``refuse``: the reply to every RCPT (``"550 5.1.1 No such user"``, ``"421 …"``).
    ``delay``: seconds before answering RCPT (a slow server: the sender times out before
    it sends the message, so nothing is accepted). ``gate``: the RCPT of the gate-th
    message is held (``reached`` set) until ``release`` is set — a delivery caught
    half-way, for the test to kill the sender then.
    """

    received: list[Envelope] = field(default_factory=list)
    refuse: str | None = None
    delay: float = 0.0
    gate: int | None = None
    rcpts: int = 0
    first_rcpt: float = 0.0  # time.monotonic() of the first RCPT
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        self.rcpts += 1
        self.first_rcpt = self.first_rcpt or time.monotonic()
        if self.gate == self.rcpts:
            self.reached.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 Message accepted for delivery"


class MailServer:
    """A real SMTP server on a fixed loopback port that can go down and come back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.box = Mailbox()
        self._controller: Controller | None = None

    def up(self) -> MailServer:
        if self._controller is None:
            self._controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
            self._controller.start()
        return self

    def down(self) -> None:
        self.box.release.set()
        if self._controller is not None:
            self._controller.stop(no_assert=True)
            self._controller = None

    def heal(self) -> None:
        """Answer normally from now on (the same messages received so far)."""
        self.box.refuse, self.box.delay, self.box.gate = None, 0.0, None
        self.box.release.set()

    def recipients(self) -> list[str]:
        """One entry per message accepted, sorted."""
        return sorted(a for e in self.box.received for a in e.rcpt_tos)

    def message_ids(self) -> list[str]:
        import email
        import email.policy

        ids = []
        for e in self.box.received:
            msg = email.message_from_bytes(e.original_content or b"", policy=email.policy.default)
            ids.append(str(msg["Message-ID"]))
        return sorted(ids)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Hits:
    bodies: list[Any] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0


class Robot:
    """A chat-robot endpoint (any ``kind = "json"`` webhook) on a fixed loopback port.

    ``status``: the HTTP status it answers. ``delay``: seconds before answering; a slow
    robot gives up on the request (it is not recorded), as an overloaded endpoint that
    never got to it. Only requests answered 2xx count as delivered."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.state = Hits()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def up(self) -> Robot:
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if state.delay:
                    time.sleep(state.delay)
                    return  # too late: the sender gave up; the request is dropped
                if 200 <= state.status < 300:
                    state.bodies.append(json.loads(raw))
                answer = b'{"ok": true}'
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True
        self._thread.start()
        return self

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(5)
            self._server = None

    def heal(self) -> None:
        self.state.status, self.state.delay = 200, 0.0
