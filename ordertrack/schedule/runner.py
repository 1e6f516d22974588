"""The long-running scheduler (the ``schedule`` library), its log, and ``schedule next``.

One process per workspace (:mod:`ordertrack.schedule.lock`). Jobs run one after another,
never at the same time. The interval jobs run once at start, then every so often
(counted from the end of the previous run, so a slow run never causes a burst); reports
run at their set times in the workspace time zone. SIGTERM or SIGINT (Ctrl-C) lets the
job that is running finish, then :meth:`Scheduler.run` returns; a second signal
interrupts the job as soon as Python runs again (a DuckDB statement under way ends
first); its transaction is rolled back: nothing half-done stays.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import signal
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ordertrack.errors import ConfigError, Problem, UserError
from ordertrack.schedule.jobs import Job, JobOutcome, find_job, log, plan_jobs, run_job
from ordertrack.schedule.lock import LOCK_FILE, InstanceLock, is_held, read_holder
from ordertrack.words import counted

if TYPE_CHECKING:
    from ordertrack.schedule.settings import ScheduleSettings
    from ordertrack.workspace import Workspace

__all__ = [
    "STATE_FILE",
    "NextRun",
    "Schedule",
    "Scheduler",
    "log_handler",
    "next_runs",
    "preflight",
    "run_once",
]

STATE_FILE = Path(".ordertrack") / "schedule.state.json"


class _ZoneFormatter(logging.Formatter):
    """Log times in the workspace time zone, with the offset: 2026-06-30 14:00:05 +0800."""

    def __init__(self, timezone: str) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self.zone = ZoneInfo(timezone)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, self.zone).strftime("%Y-%m-%d %H:%M:%S %z")


def log_path(ws: Workspace) -> Path:
    return (ws.root / ws.config.schedule.log_file).expanduser()


def log_handler(ws: Workspace) -> logging.Handler:
    """The rotating log file of ``[schedule]`` (its folder is created)."""
    s = ws.config.schedule
    path = log_path(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=s.log_max_kb * 1024, backupCount=s.log_backups, encoding="utf-8"
    )
    handler.setFormatter(_ZoneFormatter(ws.timezone))
    return handler


def formatter(ws: Workspace) -> logging.Formatter:
    """The log's line format (for another handler, e.g. the terminal)."""
    return _ZoneFormatter(ws.timezone)


class _Logging:
    """Attach the log file to the ``ordertrack.schedule`` logger for a while."""

    def __init__(self, ws: Workspace) -> None:
        self.handler = log_handler(ws)
        self.level = log.level

    def __enter__(self) -> _Logging:
        log.addHandler(self.handler)
        if log.getEffectiveLevel() > logging.INFO:
            log.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc: object) -> None:
        log.removeHandler(self.handler)
        log.setLevel(self.level)
        self.handler.close()


def preflight(ws: Workspace) -> list[Problem]:
    """What would make a scheduled job fail for sure, found before the scheduler starts:
    reports without a mail server or without anyone to send them to."""
    s = ws.config.schedule
    file = ws.config_path.name
    problems: list[Problem] = []
    if not s.reports:
        return problems
    from ordertrack.report.mail import resolve_recipients
    from ordertrack.report.packs import pack_def

    for i, r in enumerate(s.reports):
        key = f"schedule.reports[{i}]"
        if ws.config.notify.smtp is None:
            problems.append(
                Problem(file, key, "e-mailing a report needs a mail server: add [notify.smtp]")
            )
            continue
        try:
            entries = r.to or pack_def(ws, r.pack).recipients
            if not entries:
                problems.append(
                    Problem(
                        file,
                        f"{key}.to",
                        f'nobody to send it to: pack "{r.pack}" has no recipients; list them '
                        "here or in the pack",
                    )
                )
                continue
            resolve_recipients(ws.config, list(entries))
        except UserError as e:
            problems.append(Problem(file, f"{key}.to", e.message))
    return problems


@dataclass
class NextRun:
    """When a job runs next (``schedule next``)."""

    job: str
    what: str
    when: str
    next_run: datetime | None
    last_run: datetime | None = None
    last_status: str | None = None
    last_summary: str | None = None

    def asdict(self) -> dict[str, Any]:
        return asdict(self)


class Scheduler:
    """The jobs of ``[schedule]`` on a ``schedule.Scheduler``, run until stopped."""

    def __init__(self, ws: Workspace) -> None:
        import schedule as schedule_lib

        self.ws = ws
        self.root = ws.root
        self.settings: ScheduleSettings = ws.config.schedule
        self.timezone = ws.timezone
        self.jobs = plan_jobs(self.settings)
        self.stop = threading.Event()
        self.outcomes: list[JobOutcome] = []
        self.last: dict[str, JobOutcome] = {}
        self.started = datetime.now(ZoneInfo(self.timezone))
        self.signal_name: str | None = None
        self._lib = schedule_lib
        self._sched = schedule_lib.Scheduler()
        self._plan()

    @classmethod
    def start(cls, workspace: Path | str | None = None) -> Scheduler:
        """Open the workspace and check ``[schedule]``: ``UserError`` when it has no job,
        ``ConfigError`` when a job cannot work (see :func:`preflight`)."""
        from ordertrack.workspace import open_workspace

        ws = open_workspace(workspace)
        if ws.config.schedule.empty:
            raise UserError(
                f"nothing to schedule: {ws.config_path.name} has no [schedule.inbox], "
                "[schedule.alerts], [schedule.outbox] or [[schedule.reports]]",
                hint="Add the jobs you want (see docs/scheduling.md), then run "
                "`ordertrack schedule next` to check them.",
            )
        problems = preflight(ws)
        if problems:
            raise ConfigError(problems)
        return cls(ws)

    # -- the plan -------------------------------------------------------------------

    def _plan(self) -> None:
        for job in self.jobs:
            if job.every is not None:
                seconds = max(1, round(job.every.total_seconds()))
                self._sched.every(seconds).seconds.do(self._run, job).tag(job.name)
                continue
            assert job.at is not None
            clock = job.at.time.strftime("%H:%M:%S")
            if job.at.every_day:
                self._sched.every().day.at(clock, self.timezone).do(self._run, job).tag(job.name)
            else:
                for day in job.at.days:
                    lib_job = getattr(self._sched.every(), day)
                    lib_job.at(clock, self.timezone).do(self._run, job).tag(job.name)

    def next_runs(self, started: bool = True) -> list[NextRun]:
        zone = ZoneInfo(self.timezone)
        out = []
        for job in self.jobs:
            runs = [j.next_run for j in self._sched.get_jobs(job.name) if j.next_run]
            nxt: datetime | None = min(runs).astimezone(zone) if runs else None
            if not started and job.every is not None:
                nxt = datetime.now(zone).replace(microsecond=0)  # at start
            last = self.last.get(job.name)
            out.append(
                NextRun(
                    job.name,
                    job.what,
                    job.when,
                    nxt,
                    last.started if last else None,
                    last.status if last else None,
                    (last.error or last.summary) if last else None,
                )
            )
        return out

    # -- running --------------------------------------------------------------------

    def _run(self, job: Job) -> Any:
        if self.stop.is_set():
            return None
        outcome = run_job(self.root, self.settings, job, datetime.now(ZoneInfo(self.timezone)))
        self.outcomes.append(outcome)
        self.last[job.name] = outcome
        if outcome.status == "busy" and job.kind == "report":
            self._retry_later(job)
        self._write_state()
        return None

    def _retry_later(self, job: Job) -> None:
        """A report not sent because the database was busy is tried again soon."""
        tag = f"{job.name}:retry"
        if self._sched.get_jobs(tag):
            return
        seconds = max(1, round(self.settings.retry.total_seconds()))
        log.info("%s: will try again in %ss", job.name, seconds)

        def again() -> Any:
            self._run(job)
            if self.last[job.name].status != "busy":
                return self._lib.CancelJob
            return None

        self._sched.every(seconds).seconds.do(again).tag(tag)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.stop.is_set():
            log.warning("%s again: interrupting the running job", name)
            raise KeyboardInterrupt
        self.signal_name = name
        log.info("%s: stopping once the running job (if any) is finished", name)
        self.stop.set()

    def run(self, *, handle_signals: bool = True, lock: bool = True) -> list[JobOutcome]:
        """Run until :attr:`stop` is set (by SIGTERM / SIGINT with ``handle_signals``).

        Raises ``ScheduleLocked`` (exit 3) when another scheduler runs for the workspace.
        Returns the outcomes of the jobs run.
        """
        instance = InstanceLock(self.root, self.started) if lock else None
        if instance is not None:
            instance.acquire()
        previous: dict[int, Any] = {}
        try:
            with _Logging(self.ws):
                if handle_signals and threading.current_thread() is threading.main_thread():
                    for sig in (signal.SIGTERM, signal.SIGINT):
                        previous[sig] = signal.signal(sig, self._on_signal)
                self._loop(instance)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            if instance is not None:
                instance.release()
            self._write_state(running=False)
        return self.outcomes

    def _loop(self, instance: InstanceLock | None) -> None:
        log.info(
            "scheduler started (process %s) for %s; time zone %s; jobs: %s",
            os.getpid(),
            self.root,
            self.timezone,
            "; ".join(f"{j.name} {j.when}" for j in self.jobs),
        )
        if instance is not None and instance.stale is not None:
            log.info(
                "took over the lock file of %s, which is no longer running",
                instance.stale.describe(),
            )
        self._write_state()
        # the interval jobs run once at start; the reports wait for their time
        for job in self.jobs:
            if job.every is not None:
                for lib_job in self._sched.get_jobs(job.name):
                    lib_job.run()  # runs it and plans the next run
        while not self.stop.is_set():
            self._sched.run_pending()
            idle = self._sched.idle_seconds
            wait = 60.0 if idle is None else min(max(idle, 0.0), 60.0)
            self.stop.wait(wait)
        log.info(
            "scheduler stopped%s after %s",
            f" ({self.signal_name})" if self.signal_name else "",
            counted(len(self.outcomes), "job run"),
        )

    # -- state, for `schedule next` -------------------------------------------------

    def _write_state(self, running: bool = True) -> None:
        path = self.root / STATE_FILE
        data = {
            "pid": os.getpid(),
            "started": self.started.isoformat(timespec="seconds"),
            "running": running,
            "jobs": [
                {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(n).items()}
                for n in self.next_runs()
            ],
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
            tmp.replace(path)
        except OSError as e:  # the state is a convenience; the jobs matter
            log.warning("cannot write %s: %s", path, e)


@dataclass
class Schedule:
    """What ``schedule next`` shows: whether a scheduler runs, and each job's next run."""

    running: bool
    pid: int | None
    started: str | None
    timezone: str
    jobs: list[NextRun]

    def asdict(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "pid": self.pid,
            "started": self.started,
            "timezone": self.timezone,
            "jobs": [j.asdict() for j in self.jobs],
        }


def _state(root: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def next_runs(ws: Workspace) -> Schedule:
    """When each job of ``[schedule]`` runs next: as the running scheduler planned it, or,
    when none runs, as one started now would (interval jobs: at once)."""
    holder = read_holder(ws.root / LOCK_FILE) if is_held(ws.root / LOCK_FILE) else None
    state = _state(ws.root)
    planned = Scheduler(ws).next_runs(started=False)
    if holder is not None and state and state.get("pid") == holder.pid and state.get("running"):
        by_name = {j["job"]: j for j in state.get("jobs", [])}
        jobs = []
        for p in planned:
            j = by_name.get(p.job)
            if j is None:  # configured after the scheduler started: it does not know it
                jobs.append(NextRun(p.job, p.what, p.when, None, last_summary="(not loaded)"))
                continue
            jobs.append(
                NextRun(
                    p.job,
                    p.what,
                    p.when,
                    _iso(j.get("next_run")),
                    _iso(j.get("last_run")),
                    j.get("last_status"),
                    j.get("last_summary"),
                )
            )
        return Schedule(True, holder.pid, holder.started, ws.timezone, jobs)
    return Schedule(False, None, None, ws.timezone, planned)


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def run_once(workspace: Path | str | None, name: str) -> JobOutcome:
    """Run one job of ``[schedule]`` now (``schedule once JOB``, for cron), logging to the
    scheduler's log file. Its failure is the outcome's, not an exception, except a busy
    database, which raises ``DatabaseBusy`` (exit 3)."""
    from ordertrack.errors import DatabaseBusy
    from ordertrack.workspace import open_workspace

    ws = open_workspace(workspace)
    job = find_job(ws.config.schedule, name)
    with _Logging(ws):
        outcome = run_job(ws.root, ws.config.schedule, job, ws.now())
    if outcome.status == "busy":
        raise DatabaseBusy(outcome.error or "the order center is busy", outcome.hint)
    return outcome
