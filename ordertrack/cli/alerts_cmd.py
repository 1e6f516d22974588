"""``alerts …``, ``tasks …``, ``outbox …``: the rule engine's commands."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ordertrack.cli._common import (
    ByOpt,
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    console,
    make_typer,
    open_ws,
    print_json,
    print_table,
)

if TYPE_CHECKING:
    from ordertrack.alerts import SweepResult

alerts_app = make_typer("Run the rules; list, acknowledge and snooze alerts; backtest rules.")
tasks_app = make_typer("Tasks created by rules and stages: list, done, assign.")
outbox_app = make_typer("Notifications waiting to be sent, sent, or failed.")

_RANK = {"info": 0, "warning": 1, "critical": 2}


@alerts_app.command("run")
def alerts_run(
    notify: Annotated[
        bool, typer.Option("--notify", help="Send the digests due (e-mail, chat robots, files).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would happen; change and send nothing.")
    ] = False,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when alerts of this severity or higher are firing, not acknowledged "
            "and not snoozed: warning or critical.",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only problems (for cron).")
    ] = False,
    by: ByOpt = None,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """Evaluate every rule once: alerts fire and resolve, actions run, digests are sent.

    With --notify, one digest per recipient goes out (e-mail, chat robot, or a file in
    out/digests). Run it from cron, e.g. every 15 minutes: a sweep that finds nothing new changes and
    sends nothing. Exit 0; 1 with --fail-on when such alerts are firing; 2 on a
    configuration error; 3 when the database is busy (see --wait).
    """
    from ordertrack.alerts import run_sweep
    from ordertrack.errors import ConditionMet, UserError

    if fail_on is not None and fail_on not in ("warning", "critical"):
        raise UserError(f'--fail-on takes warning or critical, not "{fail_on}"')
    result = run_sweep(open_ws(workspace, wait), notify=notify, dry_run=dry_run, by=by)
    if json_:
        print_json(result.asdict())
    elif not quiet:
        render_sweep(result)
    else:
        _print_problems(result)
    if fail_on is not None:
        n = sum(v for k, v in result.firing.items() if _RANK[k] >= _RANK[fail_on])
        if n:
            raise ConditionMet(
                f"{n} unacknowledged alert(s) of severity {fail_on} or higher are firing"
            )


def render_sweep(result: SweepResult) -> None:
    """The sweep's summary table, actions and deliveries (also used by `demo`)."""
    from rich.table import Table

    out = console()
    title = "Dry run: nothing was changed or sent. " if result.dry_run else ""
    out.print(f"{title}Sweep at {result.as_of:%Y-%m-%d %H:%M} ({result.as_of.tzname()})")
    table = Table()
    for col in ("rule", "severity", "new", "pending", "firing", "resolved"):
        table.add_column(col, justify="left" if col in ("rule", "severity") else "right")
    for c in result.rules:
        table.add_row(
            c.rule_id,
            c.severity,
            f"{c.new:,}",
            f"{c.pending:,}",
            f"{c.firing:,}",
            f"{c.resolved:,}",
        )
    out.print(table)
    a = result.actions
    done = [
        f"{a.tasks:,} task(s) created" if a.tasks else "",
        f"{a.statuses:,} status(es) set" if a.statuses else "",
        f"{a.moved:,} order(s) moved" if a.moved else "",
        f"{result.escalated:,} alert(s) escalated" if result.escalated else "",
        f"{a.skipped:,} change(s) skipped (order already changed by an earlier rule)"
        if a.skipped
        else "",
    ]
    if any(done):
        out.print("Actions: " + "; ".join(d for d in done if d))
    for r in a.refused[:10]:
        out.print(
            f"  move refused: {r.get('order_id')} ({r.get('rule')}): {r.get('reason')}",
            markup=False,
        )
    if len(a.refused) > 10:
        out.print(f"  … and {len(a.refused) - 10:,} more refused moves")
    if result.notify:
        if result.queued:
            out.print(f"Digests queued: {len(result.queued)}")
        files = [d for d in result.deliveries if d.path and d.error is None]
        if files:
            from pathlib import Path

            folders = sorted({str(Path(d.path).parent) for d in files if d.path})
            out.print(
                f"  {len(files)} digest(s) written to {', '.join(folders)}",
                markup=False,
                soft_wrap=True,
            )
        for d in result.deliveries:
            if d.path is None or d.error is not None:
                state = d.status if d.error is None else f"{d.status}: {d.error}"
                out.print(f"  {d.channel} {d.recipient}: {state}", markup=False)
        if not result.queued and not result.deliveries:
            out.print("Nothing to notify.")
    elif any(c.new for c in result.rules):
        out.print("Nobody was notified (add --notify).")
    _print_problems(result)
    if not result.changed and not result.dry_run:
        out.print("Nothing changed.")


def _print_problems(result: SweepResult) -> None:
    err = console(stderr=True)
    for w in result.warnings:
        err.print(f"Warning: {w}", markup=False)
    for d in result.deliveries:
        if d.error is not None:
            err.print(
                f"Warning: message {d.message_id} to {d.recipient} not sent: {d.error}",
                markup=False,
            )
    for c in result.commands:
        if c.error is not None:
            err.print(
                f"Warning: rule {c.rule_id}: command {' '.join(c.argv)} failed: {c.error}",
                markup=False,
            )


@alerts_app.command("list")
def alerts_list(
    open_: Annotated[bool, typer.Option("--open", help="Only pending and firing alerts.")] = False,
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule's alerts.")] = None,
    severity: Annotated[
        str | None,
        typer.Option("--severity", help="This severity or higher: info, warning, critical."),
    ] = None,
    order: Annotated[str | None, typer.Option("--order", help="Only this order's alerts.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 200,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """List alerts: open ones first, most severe first, newest first.

    Alerts are never deleted; resolved ones stay listed (use --open to hide them)."""
    from ordertrack.alerts import list_alerts

    rows = list_alerts(
        open_ws(workspace, wait),
        open_only=open_,
        rule=rule,
        severity=severity,
        order_id=order,
        limit=limit,
    )
    if json_:
        print_json(rows)
        return
    shown = [
        {
            "id": r["alert_id"],
            "rule": r["rule_id"],
            "severity": r["severity"],
            "state": r["state"]
            + (" (acked)" if r["acked_at"] else "")
            + (" (snoozed)" if r["snoozed_until"] and r["state"] != "resolved" else ""),
            "order": r["order_id"],
            "sku": r["sku"],
            "customer": r["customer"],
            "fired": r["fired_at"] or r["first_seen_at"],
            "resolved": r["resolved_at"],
            "esc": r["escalation_level"] or "",
        }
        for r in rows
    ]
    print_table(shown)


def _alert_line(a: dict[str, Any]) -> str:
    what = a["order_id"] + (f" / {a['sku']}" if a["sku"] else "")
    return f"alert {a['alert_id']} ({a['rule_id']}, {what})"


@alerts_app.command("ack")
def alerts_ack(
    alert_id: Annotated[int, typer.Argument(help="Alert id (from `alerts list`).")],
    note: Annotated[str | None, typer.Option("--note", help="What is being done about it.")] = None,
    by: ByOpt = None,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """Acknowledge an alert: no more reminders or escalations; it still resolves by itself."""
    from ordertrack.alerts import ack

    a = ack(open_ws(workspace, wait), alert_id, note=note, by=by)
    if json_:
        print_json(a)
    else:
        console().print(f"Acknowledged {_alert_line(a)} as {a['acked_by']}.")


@alerts_app.command("snooze")
def alerts_snooze(
    alert_id: Annotated[int, typer.Argument(help="Alert id (from `alerts list`).")],
    for_: Annotated[str, typer.Option("--for", help='How long, e.g. "4h" or "2d".')],
    by: ByOpt = None,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """Mute an alert's notifications for a while (it keeps firing, and may resolve)."""
    from ordertrack.alerts import snooze
    from ordertrack.durations import parse_duration
    from ordertrack.errors import UserError

    try:
        duration = parse_duration(for_)
    except ValueError as e:
        raise UserError(f"--for: {e}") from None
    a = snooze(open_ws(workspace, wait), alert_id, duration, by=by)
    if json_:
        print_json(a)
    else:
        console().print(f"Snoozed {_alert_line(a)} until {a['snoozed_until']:%Y-%m-%d %H:%M}.")


@alerts_app.command("backtest")
def alerts_backtest(
    since: Annotated[
        datetime,
        typer.Option("--since", help="First day replayed (YYYY-MM-DD).", formats=["%Y-%m-%d"]),
    ],
    until: Annotated[
        datetime | None,
        typer.Option(
            "--until", help="Last day replayed (default: yesterday).", formats=["%Y-%m-%d"]
        ),
    ] = None,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Only this rule (repeatable).")
    ] = None,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """Replay the history day by day: would the rules have warned in time?

    Per rule: how many alerts would have fired, how many of those orders ended late
    (precision), how many late orders it caught before their promised date (recall), and
    how long before the promised date it warned (median lead time)."""
    from ordertrack.alerts.backtest import backtest

    report = backtest(
        open_ws(workspace, wait),
        since=since.date(),
        until=until.date() if until else None,
        rules=rule,
    )
    if json_:
        print_json(report.asdict())
        return
    out = console()
    out.print(
        f"Backtest {report.since} … {report.until} ({report.days} days); "
        f"{report.late_orders:,} of {report.orders:,} orders with a promised date in the period ended late."
    )
    rows = [
        {
            "rule": r.rule_id,
            "fired": f"{r.fired:,}",
            "orders": f"{r.orders:,}",
            "promise passed": f"{r.known:,}",
            "ended late": f"{r.true_positives:,}",
            "precision": "" if r.precision is None else f"{r.precision:.0%}",
            "recall": "" if r.recall is None else f"{r.recall:.0%}",
            "median lead (days)": "" if r.median_lead_days is None else f"{r.median_lead_days:.1f}",
        }
        for r in report.rules
    ]
    print_table(rows)
    for note in report.notes:
        out.print(f"Note: {note}", markup=False)


# -- tasks ----------------------------------------------------------------------------------------


@tasks_app.command("list")
def tasks_list(
    mine: Annotated[
        bool, typer.Option("--mine", help="Assigned to me or to a role I hold.")
    ] = False,
    role: Annotated[str | None, typer.Option("--role", help="Only this role's tasks.")] = None,
    open_: Annotated[bool, typer.Option("--open", help="Only tasks not done.")] = False,
    by: ByOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 500,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """List tasks: open first, soonest due first."""
    from ordertrack.alerts import list_tasks

    rows = list_tasks(
        open_ws(workspace, wait), mine=mine, role=role, open_only=open_, by=by, limit=limit
    )
    if json_:
        print_json(rows)
        return
    print_table(
        [
            {
                "id": r["task_id"],
                "state": r["state"],
                "title": r["title"],
                "role": r["role"],
                "assignee": r["assignee"],
                "order": r["order_id"],
                "due": r["due_at"],
                "opened": r["opened_at"],
                "done": r["done_at"],
            }
            for r in rows
        ]
    )


@tasks_app.command("done")
def tasks_done(
    task_id: Annotated[int, typer.Argument(help="Task id (from `tasks list`).")],
    note: Annotated[str | None, typer.Option("--note", help="What was done.")] = None,
    by: ByOpt = None,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """Mark a task done."""
    from ordertrack.alerts import complete_task

    t = complete_task(open_ws(workspace, wait), task_id, note=note, by=by)
    if json_:
        print_json(t)
    else:
        console().print(f"Task {t['task_id']} done: {t['title']}")


@tasks_app.command("assign")
def tasks_assign(
    task_id: Annotated[int, typer.Argument(help="Task id (from `tasks list`).")],
    user: Annotated[str, typer.Argument(help="Who it is for (a login name or person).")],
    by: ByOpt = None,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """Give a task to someone."""
    from ordertrack.alerts import assign_task

    t = assign_task(open_ws(workspace, wait), task_id, user, by=by)
    if json_:
        print_json(t)
    else:
        console().print(f"Task {t['task_id']} assigned to {t['assignee']}: {t['title']}")


# -- outbox ---------------------------------------------------------------------------------------


@outbox_app.command("list")
def outbox_list(
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only queued, sent, failed or superseded messages."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 200,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """List notifications, newest first, with attempts and the last error."""
    from ordertrack.alerts import list_outbox

    rows = list_outbox(open_ws(workspace, wait), status=status, limit=limit)
    if json_:
        print_json(rows)
        return
    print_table(
        [
            {
                "id": r["message_id"],
                "status": r["status"],
                "channel": r["channel"],
                "to": r["recipient"],
                "subject": r["subject"],
                "alerts": r["alert_count"],
                "created": r["created_at"],
                "tries": r["attempts"],
                "error": r["last_error"],
            }
            for r in rows
        ]
    )


@outbox_app.command("retry")
def outbox_retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Message ids (default: all waiting or failed).")
    ] = None,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """Send queued messages now, and failed ones again (after fixing the configuration).

    Exit 1 when some still could not be sent."""
    from dataclasses import asdict

    from ordertrack.alerts import retry_outbox
    from ordertrack.errors import ConditionMet

    results = retry_outbox(open_ws(workspace, wait), ids or None)
    if json_:
        print_json([asdict(d) for d in results])
    else:
        if not results:
            console().print("Nothing to send.")
        for d in results:
            state = d.status if d.error is None else f"{d.status}: {d.error}"
            console().print(f"{d.message_id} {d.channel} {d.recipient}: {state}")
    unsent = [d for d in results if d.status != "sent"]
    if unsent:
        raise ConditionMet(
            f"{len(unsent)} message(s) not sent; `ordertrack outbox list` shows the errors"
        )
