"""``schedule run|once|next|crontab``: run the daily jobs unattended."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from ordertrack.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    make_typer,
    open_ws,
    print_json,
    print_table,
)

schedule_app = make_typer(
    "Run the daily jobs unattended: import an inbox folder, sweep the rules, send the outbox "
    "and e-mail reports at set times (\\[schedule] in ordertrack.toml; see docs/scheduling.md)."
)

QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only problems (the log file has everything).")
]


@schedule_app.command("run")
def schedule_run(workspace: WorkspaceOpt = None, quiet: QuietOpt = False) -> None:
    """Run the jobs of \\[schedule] until stopped: a long-running process (systemd, a terminal).

    The interval jobs run once at start, then every so often; reports at their times in
    the workspace time zone. Jobs run one at a time; one that fails is logged and the others
    go on; one that finds the database busy runs again next time. Each run is logged (start,
    result, duration) to logs/schedule.log, rotated, and, without --quiet, to stderr.
    SIGTERM or Ctrl-C finishes the running job and exits 0. Exit 2 when \\[schedule] has no
    job or a job cannot work (a report without \\[notify.smtp]); 3 when a scheduler already
    runs for the workspace.
    """
    import logging

    from ordertrack.schedule.jobs import log
    from ordertrack.schedule.runner import Scheduler, formatter

    scheduler = Scheduler.start(workspace)
    handler: logging.Handler | None = None
    if not quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(formatter(scheduler.ws))
        log.addHandler(handler)
    try:
        scheduler.run()
    finally:
        if handler is not None:
            log.removeHandler(handler)


@schedule_app.command("once")
def schedule_once(
    job: Annotated[
        str, typer.Argument(help="inbox, alerts, outbox or report.PACK (see `schedule next`).")
    ],
    workspace: WorkspaceOpt = None,
    quiet: QuietOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Run one job of \\[schedule] now, as the scheduler would (the lines of `schedule crontab`
    call this). Logged to the scheduler's log file. Exit 2 when the job fails, 3 when the
    database is busy."""
    from ordertrack.errors import UserError
    from ordertrack.schedule.runner import run_once

    outcome = run_once(workspace, job)
    if json_:
        print_json(outcome.asdict())
    elif not quiet and outcome.status == "ok":
        console().print(f"{outcome.job}: {outcome.summary}", markup=False, soft_wrap=True)
    if outcome.status != "ok":
        raise UserError(f"{outcome.job}: {outcome.error}", hint=outcome.hint)


@schedule_app.command("next")
def schedule_next(workspace: WorkspaceOpt = None, json_: JsonOpt = False) -> None:
    """Show when each job runs next, and how its last run went.

    When a scheduler runs for the workspace, its own plan; when none runs, the times one
    started now would use (interval jobs run at once)."""
    from ordertrack.schedule.runner import next_runs

    plan = next_runs(open_ws(workspace))
    if json_:
        print_json(plan.asdict())
        return
    out = console()
    if plan.running:
        out.print(
            f"Scheduler running: process {plan.pid}, started {plan.started} ({plan.timezone}).",
            markup=False,
        )
    else:
        out.print(
            f"No scheduler runs for this workspace; one started now would run ({plan.timezone}):",
            markup=False,
        )
    print_table(
        [
            {
                "job": j.job,
                "when": j.when,
                "next run": j.next_run,
                "last run": j.last_run,
                "last result": f"{j.last_status}: {j.last_summary}" if j.last_status else "",
            }
            for j in plan.jobs
        ]
    )


def _program() -> str:
    """The absolute command that starts this ordertrack, for crontab and systemd lines."""
    beside = Path(sys.executable).parent / "ordertrack"
    if beside.is_file() and os.access(beside, os.X_OK):
        return shlex.quote(str(beside.absolute()))
    found = shutil.which("ordertrack")
    if found:
        return shlex.quote(str(Path(found).absolute()))
    return f"{shlex.quote(str(Path(sys.executable).absolute()))} -m ordertrack"


@schedule_app.command("crontab")
def schedule_crontab(workspace: WorkspaceOpt = None) -> None:
    """Print the crontab lines equivalent to \\[schedule], for those who prefer cron to
    `schedule run` (each line runs `ordertrack schedule once JOB`)."""
    from ordertrack.schedule.cron import crontab

    typer.echo(crontab(open_ws(workspace), _program()), nl=False)
