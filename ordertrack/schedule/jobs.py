"""The scheduler's jobs, each one call into the library, and running one of them safely.

A job opens the workspace afresh (an edit of the rules or the mail server applies at the
next run), runs, and becomes a :class:`JobOutcome`: ``ok``, ``busy`` (another command
holds the database: nothing was done, the job runs again next time) or ``failed`` (its
error is logged; the other jobs go on).
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ordertrack.durations import format_duration
from ordertrack.errors import DatabaseBusy, NotFound, OrdertrackError
from ordertrack.words import counted

if TYPE_CHECKING:
    from ordertrack.schedule.settings import At, ScheduleSettings
    from ordertrack.workspace import Workspace

__all__ = ["Job", "JobOutcome", "find_job", "plan_jobs", "run_job"]

log = logging.getLogger("ordertrack.schedule")

KINDS = ("inbox", "alerts", "outbox", "report")


@dataclass(frozen=True)
class Job:
    """One configured job: run ``every`` so long, or ``at`` set times."""

    name: str  # inbox | alerts | outbox | report.PACK (report.PACK.2 for a second one)
    kind: str  # inbox | alerts | outbox | report
    what: str  # for people: "import the files in inbox/"
    every: timedelta | None = None
    at: At | None = None
    index: int | None = None  # position in [[schedule.reports]]

    @property
    def when(self) -> str:
        if self.every is not None:
            return f"every {format_duration(self.every)}"
        assert self.at is not None
        return str(self.at)


def plan_jobs(settings: ScheduleSettings) -> list[Job]:
    """The configured jobs, in the order they are listed in the documentation."""
    jobs: list[Job] = []
    if settings.inbox is not None:
        folder = settings.inbox.folder.rstrip("/\\")
        jobs.append(
            Job("inbox", "inbox", f"import the files put into {folder}/", settings.inbox.every)
        )
    if settings.alerts is not None:
        what = "run the rules" + (" and send the digests" if settings.alerts.notify else "")
        jobs.append(Job("alerts", "alerts", what, settings.alerts.every))
    if settings.outbox is not None:
        jobs.append(Job("outbox", "outbox", "send queued notifications", settings.outbox.every))
    seen: dict[str, int] = {}
    for i, r in enumerate(settings.reports):
        seen[r.pack] = seen.get(r.pack, 0) + 1
        name = f"report.{r.pack}" + (f".{seen[r.pack]}" if seen[r.pack] > 1 else "")
        to = f" to {', '.join(r.to)}" if r.to else ""
        jobs.append(Job(name, "report", f"e-mail the {r.pack} report{to}", at=r.when, index=i))
    return jobs


def find_job(settings: ScheduleSettings, name: str) -> Job:
    jobs = plan_jobs(settings)
    for job in jobs:
        if job.name == name:
            return job
    known = ", ".join(j.name for j in jobs) or "(none: [schedule] configures no job)"
    raise NotFound(f'no job "{name}" in [schedule]; jobs: {known}')


@dataclass
class JobOutcome:
    """How one run of a job went."""

    job: str
    status: str  # ok | busy | failed
    started: datetime
    seconds: float
    summary: str
    error: str | None = None
    hint: str | None = None
    detail: dict[str, Any] | list[Any] | None = field(default=None, repr=False)

    def asdict(self) -> dict[str, Any]:
        return asdict(self)


def _open(root: Path, wait: float) -> Workspace:
    from ordertrack.workspace import open_workspace

    return open_workspace(root, wait=wait)


def _inbox(ws: Workspace, settings: ScheduleSettings) -> tuple[str, Any]:
    from ordertrack.schedule.inbox import process_inbox

    assert settings.inbox is not None
    result = process_inbox(ws, settings.inbox)
    return result.summary(), result.asdict()


def _alerts(ws: Workspace, settings: ScheduleSettings) -> tuple[str, Any]:
    from ordertrack.alerts import run_sweep

    assert settings.alerts is not None
    r = run_sweep(ws, notify=settings.alerts.notify)
    new = sum(c.new for c in r.rules)
    resolved = sum(c.resolved for c in r.rules)
    firing = ", ".join(f"{n} {sev}" for sev, n in r.firing.items() if n) or "none"
    sent = sum(1 for d in r.deliveries if d.status == "sent")
    parts = [f"{counted(len(r.rules), 'rule')}: {new} new, {resolved} resolved; firing: {firing}"]
    if r.notify:
        parts.append(f"{counted(len(r.queued), 'digest')} queued, {sent} sent")
    unsent = [d for d in r.deliveries if d.status != "sent"]
    if unsent:
        parts.append(f"{len(unsent)} not sent ({unsent[0].error})")
    parts += r.warnings
    return "; ".join(parts), r.asdict()


def _deliveries(deliveries: list[Any], nothing: str) -> str:
    if not deliveries:
        return nothing
    counts: dict[str, int] = {}
    for d in deliveries:
        counts[d.status] = counts.get(d.status, 0) + 1
    text = ", ".join(f"{n} {status}" for status, n in counts.items())
    errors = [d for d in deliveries if d.error]
    if errors:
        text += f" (message {errors[0].message_id} to {errors[0].recipient}: {errors[0].error})"
    return text


def _outbox(ws: Workspace, settings: ScheduleSettings) -> tuple[str, Any]:
    from ordertrack.alerts.outbox import deliver

    with ws.connect() as store:
        deliveries = deliver(store.con, ws.config, ws.root, ws.now())
    return _deliveries(deliveries, "nothing waiting"), [asdict(d) for d in deliveries]


def _report(ws: Workspace, settings: ScheduleSettings, index: int) -> tuple[str, Any]:
    from ordertrack.report.mail import send_report

    job = settings.reports[index]
    deliveries = send_report(ws, job.pack, None, to=job.to or None)
    text = _deliveries(deliveries, "no message")
    if any(d.status == "queued" for d in deliveries):
        text += "; the outbox sends it later"
    return f"pack {job.pack}: {text}", [asdict(d) for d in deliveries]


def execute(root: Path, settings: ScheduleSettings, job: Job) -> tuple[str, Any]:
    """Run ``job`` once: (summary, details). Raises what the library raises."""
    ws = _open(root, settings.wait.total_seconds())
    if job.kind == "inbox":
        return _inbox(ws, settings)
    if job.kind == "alerts":
        return _alerts(ws, settings)
    if job.kind == "outbox":
        return _outbox(ws, settings)
    assert job.index is not None
    return _report(ws, settings, job.index)


def run_job(root: Path, settings: ScheduleSettings, job: Job, now: datetime) -> JobOutcome:
    """Run ``job``, log its start, result and duration, and never raise for its failure
    (``KeyboardInterrupt`` and ``SystemExit`` pass)."""
    log.info("%s: start (%s)", job.name, job.what)
    began = time.monotonic()

    def took() -> float:
        return round(time.monotonic() - began, 3)

    try:
        summary, detail = execute(root, settings, job)
    except DatabaseBusy as e:
        seconds = took()
        log.warning(
            "%s: database busy after %.1fs, skipped until the next run: %s%s",
            job.name,
            seconds,
            e.message,
            f" ({e.hint})" if e.hint else "",
        )
        return JobOutcome(job.name, "busy", now, seconds, "database busy", e.message, e.hint)
    except OrdertrackError as e:
        seconds = took()
        log.error(
            "%s: failed after %.1fs: %s%s",
            job.name,
            seconds,
            e.message,
            f"\n  Hint: {e.hint}" if e.hint else "",
        )
        return JobOutcome(job.name, "failed", now, seconds, "failed", e.message, e.hint)
    except Exception as e:  # a bug: the whole traceback, and the other jobs go on
        seconds = took()
        log.error(
            "%s: failed after %.1fs with an unexpected error: %s: %s\n%s",
            job.name,
            seconds,
            type(e).__name__,
            e,
            traceback.format_exc().rstrip(),
        )
        return JobOutcome(
            job.name, "failed", now, seconds, "failed", f"{type(e).__name__}: {e}", None
        )
    seconds = took()
    log.info("%s: done in %.1fs: %s", job.name, seconds, summary)
    return JobOutcome(job.name, "ok", now, seconds, summary, detail=detail)
