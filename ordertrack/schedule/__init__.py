"""The scheduler: ``ordertrack schedule run`` runs the daily jobs unattended.

    >>> from ordertrack.schedule import Scheduler, run_once
    >>> Scheduler.start("/srv/orders").run()     # doctest: +SKIP  (until SIGTERM)
    >>> run_once("/srv/orders", "inbox").summary  # doctest: +SKIP

The jobs are configured in ``[schedule]`` (:mod:`ordertrack.schedule.settings`) and call
the library as the commands do: the inbox imports with ``ingest.import_files``, the alert
sweep is ``alerts.run_sweep``, the outbox job ``alerts.outbox.deliver`` and the reports
``report.mail.send_report``. One scheduler per workspace (a lock file in
``.ordertrack/``); a job that fails is logged and does not stop the others.

Nothing heavy is imported here: ``ordertrack.config`` imports the settings of this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ordertrack.schedule.cron import crontab
    from ordertrack.schedule.inbox import InboxResult, process_inbox
    from ordertrack.schedule.jobs import Job, JobOutcome, plan_jobs, run_job
    from ordertrack.schedule.lock import InstanceLock, LockHolder, ScheduleLocked
    from ordertrack.schedule.runner import NextRun, Schedule, Scheduler, next_runs, run_once

__all__ = [
    "InboxResult",
    "InstanceLock",
    "Job",
    "JobOutcome",
    "LockHolder",
    "NextRun",
    "Schedule",
    "ScheduleLocked",
    "Scheduler",
    "crontab",
    "next_runs",
    "plan_jobs",
    "process_inbox",
    "run_job",
    "run_once",
]

_WHERE = {
    "InboxResult": "inbox",
    "process_inbox": "inbox",
    "Job": "jobs",
    "JobOutcome": "jobs",
    "plan_jobs": "jobs",
    "run_job": "jobs",
    "InstanceLock": "lock",
    "LockHolder": "lock",
    "ScheduleLocked": "lock",
    "NextRun": "runner",
    "Schedule": "runner",
    "Scheduler": "runner",
    "crontab": "cron",
    "next_runs": "runner",
    "run_once": "runner",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'ordertrack.schedule' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"ordertrack.schedule.{module}"), name)
