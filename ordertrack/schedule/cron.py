"""``schedule crontab``: the jobs of ``[schedule]`` as crontab lines, for those who prefer cron.

Each line runs ``ordertrack schedule once JOB``: the same job the scheduler runs, with the
same log file. cron cannot do everything the scheduler does: it runs at most once a
minute, on the minute, and ``*/7`` restarts every hour; such lines get a comment.
"""

from __future__ import annotations

import shlex
from datetime import timedelta
from typing import TYPE_CHECKING

from ordertrack.clock import machine_timezone
from ordertrack.durations import format_duration
from ordertrack.schedule.jobs import Job, plan_jobs
from ordertrack.schedule.settings import DAYS
from ordertrack.words import counted

if TYPE_CHECKING:
    from ordertrack.workspace import Workspace

__all__ = ["cron_fields", "crontab"]


def _every(every: timedelta) -> tuple[str, str | None]:
    seconds = every.total_seconds()
    note = None
    minutes = max(1, round(seconds / 60))
    if seconds < 60 or seconds % 60:
        note = f"cron cannot run every {format_duration(every)}: every {counted(minutes, 'minute')}"
    if minutes < 60:
        if 60 % minutes:
            note = note or (
                f"approximately every {minutes} minutes (cron restarts */{minutes} each hour)"
            )
        return ("* * * * *" if minutes == 1 else f"*/{minutes} * * * *"), note
    hours = max(1, round(minutes / 60))
    if minutes % 60:
        note = (
            note
            or f"cron cannot run every {format_duration(every)}: every {counted(hours, 'hour')}"
        )
    if hours < 24:
        if 24 % hours:
            note = note or f"approximately every {hours} hours (cron restarts */{hours} each day)"
        return ("0 * * * *" if hours == 1 else f"0 */{hours} * * *"), note
    days = max(1, round(hours / 24))
    if hours % 24 or days > 1:
        note = note or f"approximately every {counted(days, 'day')}"
    return ("0 0 * * *" if days == 1 else f"0 0 */{days} * *"), note


def cron_fields(job: Job) -> tuple[str, str | None]:
    """The five time fields of ``job`` and a note when cron cannot do it exactly."""
    if job.every is not None:
        return _every(job.every)
    assert job.at is not None
    at = job.at
    if at.every_day:
        dow = "*"
    elif at.days == DAYS[:5]:
        dow = "1-5"
    else:
        dow = ",".join(str((DAYS.index(d) + 1) % 7) for d in at.days)
    note = (
        f"cron runs on the minute: {at.clock()} becomes {at.time:%H:%M}" if at.time.second else None
    )
    return f"{at.time.minute} {at.time.hour} * * {dow}", note


def crontab(ws: Workspace, program: str) -> str:
    """The crontab lines for the workspace's ``[schedule]``; ``program`` is the command
    that starts ordertrack (an absolute path)."""
    root = str(ws.root)
    zone = ws.timezone
    machine = machine_timezone()
    lines = [
        f"# ordertrack jobs for {root} (from `ordertrack schedule crontab`).",
        "# Install: crontab -e, paste these lines. Run either cron or `ordertrack schedule run`,",
        "# not both. Each line logs to the scheduler's log file; cron mails what it prints.",
        f"# Times are in the workspace time zone, {zone}. CRON_TZ is understood by cronie",
        "# (Fedora, RHEL, Arch) and busybox cron; Debian/Ubuntu cron ignores it and uses the",
        f"# machine's zone, which is {machine}"
        + (" (the same)." if machine == zone else ": convert the report times or set it."),
        f"CRON_TZ={zone}",
    ]
    jobs = plan_jobs(ws.config.schedule)
    if not jobs:
        lines.append("# [schedule] configures no job: nothing to run.")
    for job in jobs:
        fields, note = cron_fields(job)
        command = " ".join(
            [
                program,
                "schedule",
                "once",
                shlex.quote(job.name),
                "--workspace",
                shlex.quote(root),
                "--quiet",
            ]
        )
        lines.append(f"# {job.name}: {job.what} ({job.when})" + (f"; {note}" if note else ""))
        lines.append(f"{fields} {command}")
    return "\n".join(lines) + "\n"
