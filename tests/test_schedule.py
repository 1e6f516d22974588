"""The scheduler: ``schedule run`` as a real process on a fast schedule (seconds), and
``schedule once | next | crontab`` and the ``[schedule]`` checks in-process.

The long-running tests start ``python -m ordertrack schedule run`` on a real workspace,
drop files into its inbox, poll (with a timeout, never a fixed sleep) until they have
moved and the log shows the jobs, then stop it with SIGTERM or SIGINT and assert exit 0,
the database rows and the log file.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import PYTHON, Invoke, set_config, subprocess_env
from test_locking import HOLDER
from test_transport import StartServer, smtp_server  # noqa: F401  (fixture)

from ordertrack.config import parse_config
from ordertrack.errors import EXIT_BUSY, EXIT_OK, EXIT_USER
from ordertrack.schedule.cron import cron_fields
from ordertrack.schedule.jobs import Job
from ordertrack.schedule.settings import DAYS, parse_at
from ordertrack.templates import config_template

ORDERS = (
    "订单编号,客户名称,下单日期,承诺交期,订单金额\n"
    "SO-9001,甲公司,2020-01-02,2020-01-20,1200\n"
    "SO-9002,Acme Ltd,2020-01-03,2020-01-21,5000\n"
)
BAD = "just some notes\nnothing here to import\n"

FAST = """
[schedule]
wait = "1s"

[schedule.inbox]
every = "1s"
settle = "1s"

[schedule.alerts]
every = "1s"
notify = false

[schedule.outbox]
every = "2s"
"""

TIMEOUT = 60.0


def add_config(ws: Path, text: str) -> None:
    path = ws / "ordertrack.toml"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def until(check: Callable[[], object], what: str, timeout: float = TIMEOUT) -> None:
    """Poll ``check`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def log_text(ws: Path) -> str:
    path = ws / "logs" / "schedule.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def drop(path: Path, text: str, *, age: float = 0.0) -> Path:
    """Write a file whole (as a finished copy), optionally dated ``age`` seconds back."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


Start = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def start(workspace: Path) -> Iterator[Start]:
    """``start()`` runs ``ordertrack schedule run`` for the workspace in a subprocess."""
    started: list[subprocess.Popen[str]] = []

    def run(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [PYTHON, "-m", "ordertrack", "schedule", "run", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(ORDERTRACK_HOME=str(workspace)),
            cwd=workspace.parent,
        )
        started.append(proc)
        return proc

    yield run
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def ordertrack(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "ordertrack", *args],
        capture_output=True,
        text=True,
        env=subprocess_env(ORDERTRACK_HOME=str(ws)),
        cwd=ws.parent,
        timeout=60,
    )


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out, err


def lines_after(text: str, marker: str) -> str:
    assert marker in text, text
    return text[text.index(marker) :]


# ---------------------------------------------------------------------------------------
# schedule run: a real process


def test_run_imports_the_inbox_sweeps_and_stops_on_sigterm(workspace: Path, start: Start) -> None:
    add_config(workspace, FAST)
    proc = start()
    inbox = workspace / "inbox"
    until(lambda: (inbox / "done").is_dir(), "the first inbox run")

    # one instance per workspace: a second one exits 3 and names the first
    second = ordertrack(workspace, "schedule", "run")
    assert second.returncode == EXIT_BUSY, second.stderr
    assert re.fullmatch(
        rf"Error: a scheduler already runs for this workspace: process {proc.pid}, started "
        rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 holds {re.escape(str(workspace))}/\.ordertrack/"
        rf"schedule\.pid\nHint: Stop it first \(kill -TERM {proc.pid}\), or leave it running: "
        r"one scheduler per workspace\.\n",
        second.stderr,
    ), second.stderr

    drop(inbox / "orders.csv", ORDERS)
    drop(inbox / "notes.csv", BAD)
    drop(inbox / ".hidden.csv", ORDERS)  # hidden and temporary files are never taken
    drop(inbox / "copying.csv.part", ORDERS)
    until(
        lambda: (
            (inbox / "done" / "orders.csv").exists()
            and (inbox / "failed" / "notes.csv.reason.txt").exists()
        ),
        "the files to move",
    )
    assert sorted(p.name for p in inbox.iterdir()) == [
        ".hidden.csv",
        "copying.csv.part",
        "done",
        "failed",
    ]
    assert (inbox / "done" / "orders.csv").read_text(encoding="utf-8") == ORDERS
    assert (inbox / "failed" / "notes.csv").read_text(encoding="utf-8") == BAD
    reason = (inbox / "failed" / "notes.csv.reason.txt").read_text(encoding="utf-8")
    assert reason.startswith("notes.csv: not imported (")
    assert "no profile matches the headers" in reason
    assert "Hint: " in reason

    # the sweep after the import finds the two orders past their promised date
    until(
        lambda: "alerts: done" in lines_after(log_text(workspace), "1 to failed/ (notes.csv)"),
        "a sweep after the import",
    )
    nxt = ordertrack(workspace, "schedule", "next", "--json")
    assert nxt.returncode == EXIT_OK, nxt.stderr
    plan = json.loads(nxt.stdout)
    assert (plan["running"], plan["pid"]) == (True, proc.pid)
    assert [(j["job"], j["when"]) for j in plan["jobs"]] == [
        ("inbox", "every 1s"),
        ("alerts", "every 1s"),
        ("outbox", "every 2s"),
    ]
    assert all(j["next_run"] and j["last_status"] == "ok" for j in plan["jobs"]), plan

    code, out, err = stop(proc)
    assert code == EXIT_OK, err
    assert out == ""
    log = log_text(workspace)
    assert log.count("scheduler started (process") == 1
    assert re.search(r"inbox: done in \d+\.\ds: 2 files; 1 to done/ \(2 inserted", log)
    assert re.search(r"alerts: done in \d+\.\ds: 6 rules: 2 new, 0 resolved", log)
    assert re.search(r"outbox: done in \d+\.\ds: nothing waiting", log)
    runs = log.count(": done in ")
    assert log.rstrip().endswith(
        f"scheduler stopped (SIGTERM) after {runs} job run{'' if runs == 1 else 's'}"
    )
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 INFO scheduler started", log)
    assert err.splitlines() == log.splitlines()  # the terminal shows the log too
    assert "Traceback" not in log

    with duckdb.connect(str(workspace / "ordertrack.duckdb"), read_only=True) as con:
        assert con.execute("SELECT order_id, customer FROM orders ORDER BY 1").fetchall() == [
            ("SO-9001", "甲公司"),
            ("SO-9002", "Acme Ltd"),
        ]
        assert con.execute("SELECT rule_id, order_id FROM alerts ORDER BY order_id").fetchall() == [
            ("promise_missed", "SO-9001"),
            ("promise_missed", "SO-9002"),
        ]
        assert con.execute("SELECT file_name, status FROM imports").fetchall() == [
            ("orders.csv", "ok")
        ]
    # the lock is free again: `schedule next` says nothing runs
    nxt = ordertrack(workspace, "schedule", "next", "--json")
    assert json.loads(nxt.stdout)["running"] is False


def test_a_failing_job_does_not_stop_the_others(workspace: Path, start: Start) -> None:
    """The inbox is a file, so that job fails every time; the sweeps go on. A lock file
    left by a dead scheduler is taken over; Ctrl-C (SIGINT) stops it like SIGTERM."""
    add_config(workspace, FAST.replace("settle = ", 'folder = "inbox.txt"\nsettle = '))
    (workspace / "inbox.txt").write_text("not a folder\n", encoding="utf-8")
    dead = subprocess.run(
        [PYTHON, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    lock = workspace / ".ordertrack" / "schedule.pid"
    lock.parent.mkdir()
    lock.write_text(
        json.dumps(
            {"pid": dead_pid, "started": "2026-06-01T08:00:00+00:00", "host": socket.gethostname()}
        ),
        encoding="utf-8",
    )
    proc = start("--quiet")

    def ran() -> bool:
        after = lines_after(log_text(workspace), "inbox: failed")
        return after.count("alerts: done") >= 2 and after.count("inbox: failed") >= 2

    until(lambda: "inbox: failed" in log_text(workspace) and ran(), "sweeps after inbox failures")
    code, out, err = stop(proc, signal.SIGINT)
    assert code == EXIT_OK, err
    assert (out, err) == ("", "")  # --quiet: the log file only
    log = log_text(workspace)
    assert (
        f"took over the lock file of process {dead_pid}, started 2026-06-01T08:00:00+00:00, "
        "which is no longer running"
    ) in log
    assert re.search(
        rf"ERROR inbox: failed after \d+\.\ds: the inbox {re.escape(str(workspace))}/inbox\.txt "
        r"is a file, not a folder\n  Hint: Point \[schedule.inbox\] folder at a folder",
        log,
    ), log
    assert "scheduler stopped (SIGINT)" in log
    assert "Traceback" not in log
    assert lock.read_text(encoding="utf-8") == ""  # released


def test_a_busy_database_is_retried_at_the_next_run(workspace: Path, start: Start) -> None:
    add_config(workspace, FAST)
    holder = subprocess.Popen(
        [PYTHON, "-c", HOLDER, str(workspace / "ordertrack.duckdb"), "6", "rw"],
        stdout=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        drop(workspace / "inbox" / "orders.csv", ORDERS, age=60)
        proc = start("--quiet")
        until(lambda: "inbox: database busy" in log_text(workspace), "a busy inbox run")
        assert (workspace / "inbox" / "orders.csv").exists()  # left for the next run
        until(lambda: (workspace / "inbox" / "done" / "orders.csv").exists(), "the import")
        code, _, err = stop(proc)
        assert code == EXIT_OK, err
    finally:
        holder.wait(timeout=30)
    log = log_text(workspace)
    assert re.search(
        r"WARNING inbox: database busy after \d+\.\ds, skipped until the next run: the order "
        r"center is busy .*Held by process \d+",
        log,
    ), log


# ---------------------------------------------------------------------------------------
# schedule once: one job now (what the crontab lines run)


def test_once_moves_files_suffixes_clashes_and_leaves_files_being_written(
    invoke: Invoke, workspace: Path
) -> None:
    add_config(workspace, '\n[schedule.inbox]\nsettle = "1m"\n')
    inbox = workspace / "inbox"
    drop(inbox / "done" / "orders.csv", "an older file of the same name\n")
    drop(inbox / "orders.csv", ORDERS, age=120)
    drop(inbox / "writing.csv", ORDERS)  # modified just now: still being written
    result = invoke("schedule", "once", "inbox", "--workspace", str(workspace))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == (
        "inbox: 1 file; 1 to done/ (2 inserted, 0 updated, 0 rejected); "
        "1 still being written (writing.csv)\n"
    )
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["orders-2.csv", "orders.csv"]
    assert (inbox / "done" / "orders-2.csv").read_text(encoding="utf-8") == ORDERS
    assert (inbox / "writing.csv").exists()
    assert "inbox: done in" in log_text(workspace)

    # the same content again: already imported, so done/ too (never deleted)
    drop(inbox / "orders.csv", ORDERS, age=120)
    result = invoke("schedule", "once", "inbox", "--workspace", str(workspace), "--json")
    files = json.loads(result.stdout)["detail"]["files"]
    assert [(f["name"], f["status"], f["moved_to"]) for f in files] == [
        ("orders.csv", "skipped", "done/orders-3.csv")
    ]


def test_once_failure_and_unknown_job(invoke: Invoke, workspace: Path) -> None:
    add_config(workspace, '\n[schedule.inbox]\nfolder = "in.txt"\n')
    (workspace / "in.txt").write_text("x", encoding="utf-8")
    result = invoke("schedule", "once", "inbox", "--workspace", str(workspace))
    assert result.exit_code == EXIT_USER
    assert result.stderr == (
        f"Error: inbox: the inbox {workspace}/in.txt is a file, not a folder\n"
        "Hint: Point [schedule.inbox] folder at a folder, or move the file away.\n"
    )
    result = invoke("schedule", "once", "alerts", "--workspace", str(workspace))
    assert result.exit_code == EXIT_USER
    assert result.stderr == 'Error: no job "alerts" in [schedule]; jobs: inbox\n'


def test_once_sends_a_scheduled_report(
    invoke: Invoke,
    workspace: Path,
    smtp_server: StartServer,  # noqa: F811
) -> None:
    controller, received = smtp_server()
    add_config(
        workspace,
        f"""
[notify.smtp]
host = "127.0.0.1"
port = {controller.port}
security = "plain"
sender = "ot@example.com"

[[schedule.reports]]
pack = "ceo"
at = "monday 08:30"
to = ["boss@example.com"]
""",
    )
    result = invoke("schedule", "once", "report.ceo", "--workspace", str(workspace))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == "report.ceo: pack ceo: 1 sent\n"
    assert [e.rcpt_tos for e in received.received] == [["boss@example.com"]]
    assert re.search(r"INFO report\.ceo: done in \d+\.\ds: pack ceo: 1 sent", log_text(workspace))


# ---------------------------------------------------------------------------------------
# schedule next and crontab

PLAN = """
[schedule.inbox]
every = "5m"

[schedule.alerts]
every = "7m"

[[schedule.reports]]
pack = "ceo"
at = "monday 08:30"

[[schedule.reports]]
pack = "sales"
at = "weekdays 18:00"
to = ["sales_director"]

[[schedule.reports]]
pack = "ceo"
at = "07:15:30"
"""


@pytest.fixture
def planned(workspace: Path) -> Path:
    set_config(workspace, '# timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghai"')
    add_config(workspace, PLAN)
    return workspace


def test_next_when_no_scheduler_runs(invoke: Invoke, planned: Path, frozen: datetime) -> None:
    # frozen: Tuesday 2026-06-30 14:00 in Shanghai
    result = invoke("schedule", "next", "--workspace", str(planned), "--json")
    assert result.exit_code == EXIT_OK, result.output
    plan = json.loads(result.stdout)
    assert (plan["running"], plan["pid"], plan["timezone"]) == (False, None, "Asia/Shanghai")
    assert [(j["job"], j["when"], j["next_run"]) for j in plan["jobs"]] == [
        ("inbox", "every 5m", "2026-06-30T14:00:00+08:00"),
        ("alerts", "every 7m", "2026-06-30T14:00:00+08:00"),
        ("report.ceo", "monday 08:30", "2026-07-06T08:30:00+08:00"),
        ("report.sales", "weekdays 18:00", "2026-06-30T18:00:00+08:00"),
        ("report.ceo.2", "daily 07:15:30", "2026-07-01T07:15:30+08:00"),
    ]
    assert plan["jobs"][3]["what"] == "e-mail the sales report to sales_director"

    result = invoke("schedule", "next", "--workspace", str(planned))
    assert result.exit_code == EXIT_OK
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "No scheduler runs for this workspace; one started now would run (Asia/Shanghai):"
    )
    assert any(re.search(r"report\.ceo\s+│ monday 08:30\s+│ 2026-07-06 08:30", ln) for ln in lines)


def test_crontab(invoke: Invoke, planned: Path) -> None:
    result = invoke("schedule", "crontab", "--workspace", str(planned))
    assert result.exit_code == EXIT_OK, result.output
    lines = result.stdout.splitlines()
    assert "CRON_TZ=Asia/Shanghai" in lines
    assert lines[0] == f"# ordertrack jobs for {planned} (from `ordertrack schedule crontab`)."
    program = lines[-1].split(" schedule once ")[0].split(" ", 5)[5]
    assert program.endswith(("/ordertrack", " -m ordertrack"))
    assert Path(program.split(" ")[0]).is_absolute()
    suffix = f"--workspace {planned} --quiet"
    jobs = [ln for ln in lines if not ln.startswith(("#", "CRON_TZ"))]
    assert jobs == [
        f"*/5 * * * * {program} schedule once inbox {suffix}",
        f"*/7 * * * * {program} schedule once alerts {suffix}",
        f"30 8 * * 1 {program} schedule once report.ceo {suffix}",
        f"0 18 * * 1-5 {program} schedule once report.sales {suffix}",
        f"15 7 * * * {program} schedule once report.ceo.2 {suffix}",
    ]
    assert (
        "# alerts: run the rules and send the digests (every 7m); approximately every 7 "
        "minutes (cron restarts */7 each hour)"
    ) in lines
    assert (
        "# report.ceo.2: e-mail the ceo report (daily 07:15:30); cron runs on the minute: "
        "07:15:30 becomes 07:15" in lines
    )


@pytest.mark.parametrize(
    ("every", "fields", "exact"),
    [
        (timedelta(seconds=2), "* * * * *", False),
        (timedelta(minutes=1), "* * * * *", True),
        (timedelta(minutes=15), "*/15 * * * *", True),
        (timedelta(hours=1), "0 * * * *", True),
        (timedelta(minutes=90), "0 */2 * * *", False),
        (timedelta(hours=6), "0 */6 * * *", True),
        (timedelta(days=1), "0 0 * * *", True),
    ],
)
def test_cron_fields_of_intervals(every: timedelta, fields: str, exact: bool) -> None:
    got, note = cron_fields(Job("x", "outbox", "x", every=every))
    assert (got, note is None) == (fields, exact)


def test_cron_fields_of_days() -> None:
    assert cron_fields(Job("r", "report", "r", at=parse_at("sun 09:05")))[0] == "5 9 * * 0"
    assert cron_fields(Job("r", "report", "r", at=parse_at("daily 00:00")))[0] == "0 0 * * *"


# ---------------------------------------------------------------------------------------
# [schedule] checks


def test_parse_at() -> None:
    assert parse_at("monday 08:30").days == ("monday",)
    assert parse_at("Mon 8:30").time.hour == 8
    assert parse_at("weekdays 18:00").days == DAYS[:5]
    assert parse_at("08:30").every_day
    assert str(parse_at("daily 7:05:09")) == "daily 07:05:09"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[schedule.reports]]\npack = "ceo"\nat = "monday 8.30"\n',
            'ordertrack.toml: schedule.reports[0].at: "8.30" is not a time of day (HH:MM, '
            '24-hour clock); expected a time like "monday 08:30", "weekdays 18:00" or "08:30" '
            "(every day)",
        ),
        (
            '[[schedule.reports]]\npack = "ceo"\nat = "someday 08:30"\n',
            'ordertrack.toml: schedule.reports[0].at: unknown day "someday" in "someday 08:30"; '
            "use monday … sunday (or mon … sun), weekdays or daily",
        ),
        (
            '[[schedule.reports]]\npack = "coe"\nat = "monday 08:30"\n',
            'ordertrack.toml: schedule.reports[0].pack: unknown pack "coe"; did you mean "ceo"? '
            "known: ceo, sales, production",
        ),
        (
            '[schedule.inbox]\nevery = "often"\n',
            'ordertrack.toml: schedule.inbox.every: expected a duration like "24h" or "2d", '
            'got "often"',
        ),
        (
            '[schedule.inbox]\nfoldr = "in"\n',
            'ordertrack.toml: schedule.inbox.foldr: unknown key; did you mean "folder"? allowed '
            "keys here: every, folder, settle",
        ),
    ],
    ids=["bad-time", "bad-day", "unknown-pack", "bad-interval", "unknown-key"],
)
def test_config_check_names_the_key(
    invoke: Invoke, workspace: Path, text: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_config(workspace, "\n" + text)
    monkeypatch.chdir(workspace)
    result = invoke("config", "check")
    assert result.exit_code == EXIT_USER
    assert result.stderr.splitlines()[0] == f"Error: {message}"
    result = invoke("schedule", "run")
    assert result.exit_code == EXIT_USER
    assert result.stderr.splitlines()[0] == f"Error: {message}"


def test_run_refuses_without_jobs_or_a_mail_server(invoke: Invoke, workspace: Path) -> None:
    result = invoke("schedule", "run", "--workspace", str(workspace))
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith(
        "Error: nothing to schedule: ordertrack.toml has no [schedule.inbox], "
        "[schedule.alerts], [schedule.outbox] or [[schedule.reports]]\n"
    )
    add_config(workspace, '\n[[schedule.reports]]\npack = "ceo"\nat = "monday 08:30"\n')
    result = invoke("schedule", "run", "--workspace", str(workspace))
    assert result.exit_code == EXIT_USER
    assert result.stderr.splitlines()[0] == (
        "Error: ordertrack.toml: schedule.reports[0]: e-mailing a report needs a mail server: "
        "add [notify.smtp]"
    )
    assert not (workspace / ".ordertrack").exists()  # refused before taking the lock


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_schedule_example_is_valid(lang: str) -> None:
    text = config_template(lang)
    block = text[text.index("# [schedule.inbox]") :]
    uncommented = "\n".join(line.removeprefix("# ") for line in block.splitlines())
    schedule = parse_config(text.replace(block, uncommented)).schedule
    assert schedule.inbox is not None and schedule.inbox.every == timedelta(minutes=5)
    assert schedule.alerts is not None and schedule.outbox is not None
    assert [(r.pack, r.at) for r in schedule.reports] == [("ceo", "monday 08:30")]
    assert parse_config(text).schedule.empty  # commented out: nothing runs by default
