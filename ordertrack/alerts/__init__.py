"""The rule engine: If…Then rules over the order facts, alerts, tasks and notifications.

    >>> from ordertrack import open_workspace
    >>> from ordertrack.alerts import run_sweep
    >>> result = run_sweep(open_workspace(), notify=True)        # doctest: +SKIP
    >>> [(c.rule_id, c.new, c.resolved) for c in result.rules]   # doctest: +SKIP

A sweep (``ordertrack alerts run``) evaluates every enabled rule set-based, opens, fires
and resolves alerts, runs the actions of the alerts that fired, and (with ``notify``)
queues one digest per recipient in the outbox and delivers it. See docs/rules.md.

This module imports nothing heavy at load: ``ordertrack.config`` imports the rule
settings from this package.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ordertrack.errors import NotFound, UserError

if TYPE_CHECKING:
    from ordertrack.alerts.notify import Queued
    from ordertrack.alerts.outbox import Delivery
    from ordertrack.alerts.sweep import ActionReport, RuleCounts
    from ordertrack.workspace import Workspace

__all__ = [
    "CommandRun",
    "SweepResult",
    "ack",
    "assign_task",
    "backtest",
    "complete_task",
    "list_alerts",
    "list_outbox",
    "list_tasks",
    "retry_outbox",
    "run_sweep",
    "snooze",
]

SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class CommandRun:
    """A rule's ``run`` command, run once for the alerts it fired in the sweep."""

    rule_id: str
    argv: list[str]
    alerts: int
    returncode: int | None  # None: it could not be started or timed out
    error: str | None = None


@dataclass
class SweepResult:
    """What one ``alerts run`` found and did."""

    sweep_id: int
    as_of: datetime
    dry_run: bool
    notify: bool
    rules: list[RuleCounts]
    actions: ActionReport
    escalated: int = 0
    queued: list[Queued] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    commands: list[CommandRun] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    firing: dict[str, int] = field(default_factory=dict)  # open, unacknowledged, by severity
    forecast_refreshed: bool = False
    changed: bool = False

    def asdict(self) -> dict[str, Any]:
        actions = {k: v for k, v in asdict(self.actions).items() if k != "commands"}
        return {
            "sweep_id": self.sweep_id if self.changed else None,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "notify": self.notify,
            "changed": self.changed,
            "rules": [asdict(c) for c in self.rules],
            "actions": actions,
            "escalated": self.escalated,
            "queued": [asdict(q) for q in self.queued],
            "deliveries": [asdict(d) for d in self.deliveries],
            "commands": [asdict(c) for c in self.commands],
            "warnings": list(self.warnings),
            "firing": dict(self.firing),
            "forecast_refreshed": self.forecast_refreshed,
        }


def _actor(by: str | None) -> str:
    from ordertrack.clock import current_user

    return (by or current_user()).strip()


def run_sweep(
    ws: Workspace,
    *,
    notify: bool = False,
    dry_run: bool = False,
    by: str | None = None,
) -> SweepResult:
    """Evaluate every enabled rule once and act on what changed.

    ``notify``: queue digests for the alerts due and deliver the outbox. ``dry_run``:
    compute everything, change nothing (the transaction is rolled back; nothing is sent
    and no command is run).
    """
    import contextlib

    import duckdb

    from ordertrack.alerts import sweep as sw
    from ordertrack.alerts.forecast import refresh_forecast
    from ordertrack.flow.engine import require_valid_conditions

    config = ws.config
    rules = [r for r in config.rules if r.enabled]
    actor = _actor(by)
    now = ws.now()
    started = datetime.now(now.tzinfo)
    with ws.connect() as store:
        con = store.con
        require_valid_conditions(config, con)
        con.execute("BEGIN TRANSACTION")
        try:
            row = con.execute("SELECT nextval('seq_sweep_id')").fetchone()
            assert row is not None
            sweep_id = int(row[0])
            refreshed = refresh_forecast(con, config, now)
            sw.rules_table(con, config, rules)
            sw.evaluate(con, rules)
            life = sw.apply_lifecycle(con, now, sweep_id)
            report = sw.run_actions(con, config, rules, now, actor)
            escalated = sw.escalate(con, config, rules, now)
            counts = sw.rule_counts(con, rules, sweep_id, now)
            queued: list[Queued] = []
            warnings: list[str] = []
            if notify:
                from ordertrack.alerts.notify import queue_digests

                queued, warnings = queue_digests(
                    con, config, rules, now, sweep_id, config.workspace.name
                )
            # the stage statistics are a cache of the history: refreshing them is not news
            changed = bool(
                any(life.values())
                or report.tasks
                or report.statuses
                or report.moved
                or escalated
                or queued
            )
            result = SweepResult(
                sweep_id=sweep_id,
                as_of=now,
                dry_run=dry_run,
                notify=notify,
                rules=counts,
                actions=report,
                escalated=escalated,
                queued=queued,
                warnings=warnings,
                firing=_firing(con, now),
                forecast_refreshed=refreshed,
                changed=changed,
            )
            if changed and not dry_run:
                sw.sweep_record(
                    con,
                    sweep_id,
                    started,
                    now,
                    actor,
                    notify,
                    counts,
                    len(queued),
                    {
                        "rules": [asdict(c) for c in counts],
                        "tasks": report.tasks,
                        "statuses": report.statuses,
                        "moved": report.moved,
                        "escalated": escalated,
                    },
                )
            con.execute("ROLLBACK" if dry_run or not (changed or refreshed) else "COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        if not dry_run:
            if notify:
                from ordertrack.alerts.outbox import deliver

                result.deliveries = deliver(con, config, ws.root, now)
            result.commands = [_run_command(ws, *c) for c in report.commands]
    return result


def _firing(con: Any, now: datetime) -> dict[str, int]:
    rows = con.execute(
        "SELECT severity, count(*) FROM alerts WHERE state = 'firing' AND acked_at IS NULL "
        "AND (snoozed_until IS NULL OR snoozed_until <= ?) GROUP BY severity",
        [now],
    ).fetchall()
    found = dict(rows)
    return {s: int(found.get(s, 0)) for s in SEVERITIES}


def _run_command(
    ws: Workspace, rule_id: str, argv: list[str], alerts: list[dict[str, Any]]
) -> CommandRun:
    """The extension point: the rule's command with the fired alerts as JSON on stdin."""
    import json
    import os
    import subprocess

    env = {**os.environ, "ORDERTRACK_RULE": rule_id, "ORDERTRACK_WORKSPACE": str(ws.root)}
    try:
        proc = subprocess.run(
            argv,
            input=json.dumps(alerts, ensure_ascii=False, default=str).encode(),
            cwd=ws.root,
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return CommandRun(rule_id, argv, len(alerts), None, f"{type(e).__name__}: {e}")
    err = None
    if proc.returncode:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        err = f"exit {proc.returncode}" + (": " + " / ".join(tail) if tail else "")
    return CommandRun(rule_id, argv, len(alerts), proc.returncode, err)


# -- alerts ---------------------------------------------------------------------------------------

_ALERT_COLUMNS = (
    "alert_id",
    "rule_id",
    "severity",
    "state",
    "order_id",
    "sku",
    "first_seen_at",
    "fired_at",
    "resolved_at",
    "resolved_reason",
    "acked_at",
    "acked_by",
    "ack_note",
    "snoozed_until",
    "last_notified_at",
    "notify_count",
    "escalation_level",
)


def list_alerts(
    ws: Workspace,
    *,
    open_only: bool = False,
    rule: str | None = None,
    severity: str | None = None,
    order_id: str | None = None,
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    """Alerts, newest first. ``open_only``: pending and firing (not resolved)."""
    known = [r.id for r in ws.config.rules]
    if severity is not None and severity not in SEVERITIES:
        raise UserError(f'unknown severity "{severity}"; use info, warning or critical')
    where: list[str] = ["true"]
    params: list[Any] = []
    if open_only:
        where.append("a.state IN ('pending', 'firing')")
    if rule is not None:
        where.append("a.rule_id = ?")
        params.append(rule)
    if severity is not None:
        where.append("a.severity IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(SEVERITIES[SEVERITIES.index(severity) :]))
    if order_id is not None:
        where.append("a.order_id = ?")
        params.append(order_id)
    order_by = (
        "ORDER BY a.state = 'resolved', "
        "CASE a.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, "
        "coalesce(a.fired_at, a.first_seen_at) DESC, a.alert_id DESC"
    )
    limit_sql = f" LIMIT {int(limit)}" if limit is not None else ""
    # the page of alerts first, then the customer and rep of just those orders
    sql = (
        f"WITH a AS (SELECT * FROM alerts a WHERE {' AND '.join(where)} {order_by}{limit_sql}) "
        f"SELECT {', '.join('a.' + c for c in _ALERT_COLUMNS)}, o.customer, o.sales_rep "
        "FROM a LEFT JOIN (SELECT order_id, any_value(customer) AS customer, "
        "any_value(sales_rep) AS sales_rep FROM orders "
        "WHERE order_id IN (SELECT order_id FROM a) GROUP BY order_id) o USING (order_id) "
        f"{order_by}"
    )
    with ws.connect(read_only=True) as store:
        rows = store.fetchall(sql, params)
    if rule is not None and not rows and rule not in known:
        from ordertrack.config import _closest

        hint = _closest(rule, known)
        raise NotFound(
            f'no rule "{rule}"' + (f'; did you mean "{hint}"?' if hint else ""),
            hint="`ordertrack config show` lists the rules.",
        )
    keys = (*_ALERT_COLUMNS, "customer", "sales_rep")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def _one(con: Any, table: str, key: str, value: int, columns: tuple[str, ...]) -> dict[str, Any]:
    """One alert or task by id, as a dict; NotFound naming the command that lists them."""
    row = con.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = ?", [value]
    ).fetchone()
    if row is None:
        what = table.rstrip("s")
        raise NotFound(f"no {what} {value}", hint=f"`ordertrack {table} list` shows them.")
    return dict(zip(columns, row, strict=True))


def _alert(con: Any, alert_id: int) -> dict[str, Any]:
    return _one(con, "alerts", "alert_id", alert_id, _ALERT_COLUMNS)


def ack(
    ws: Workspace, alert_id: int, *, note: str | None = None, by: str | None = None
) -> dict[str, Any]:
    """Acknowledge an alert: someone is on it. No more repeats or escalations; it still
    resolves by itself (and that is still told)."""
    from ordertrack.flow.engine import audit

    actor, now = _actor(by), ws.now()
    with ws.connect() as store, store.transaction() as con:
        alert = _alert(con, alert_id)
        if alert["state"] == "resolved":
            raise UserError(f"alert {alert_id} is already resolved ({alert['resolved_reason']})")
        if alert["acked_at"] is not None:
            if not note:
                raise UserError(
                    f"alert {alert_id} was already acknowledged by {alert['acked_by']} "
                    f"at {alert['acked_at']:%Y-%m-%d %H:%M}",
                    hint="Add --note to record something more; the first note is kept.",
                )
            con.execute(
                "UPDATE alerts SET ack_note = concat_ws(' | ', ack_note, ?) WHERE alert_id = ?",
                [f"{actor}: {note}", alert_id],
            )
        else:
            con.execute(
                "UPDATE alerts SET acked_at = ?, acked_by = ?, ack_note = ? WHERE alert_id = ?",
                [now, actor, note, alert_id],
            )
        audit(con, now, actor, "alerts ack", {"alert_id": alert_id, "note": note}, {})
        return _alert(con, alert_id)


def snooze(
    ws: Workspace, alert_id: int, duration: timedelta, *, by: str | None = None
) -> dict[str, Any]:
    """Mute an alert's notifications for ``duration`` (it keeps firing and may resolve)."""
    from ordertrack.flow.engine import audit

    actor, now = _actor(by), ws.now()
    with ws.connect() as store, store.transaction() as con:
        alert = _alert(con, alert_id)
        if alert["state"] == "resolved":
            raise UserError(f"alert {alert_id} is already resolved ({alert['resolved_reason']})")
        con.execute(
            "UPDATE alerts SET snoozed_until = ?, snoozed_by = ? WHERE alert_id = ?",
            [now + duration, actor, alert_id],
        )
        audit(con, now, actor, "alerts snooze", {"alert_id": alert_id, "for": str(duration)}, {})
        return _alert(con, alert_id)


# -- tasks ----------------------------------------------------------------------------------------

_TASK_COLUMNS = (
    "task_id",
    "state",
    "kind",
    "title",
    "role",
    "assignee",
    "order_id",
    "sku",
    "rule_id",
    "alert_id",
    "opened_at",
    "due_at",
    "done_at",
    "done_by",
    "note",
)


def list_tasks(
    ws: Workspace,
    *,
    mine: bool = False,
    role: str | None = None,
    open_only: bool = False,
    by: str | None = None,
    limit: int | None = 500,
) -> list[dict[str, Any]]:
    """Tasks, open first, by due time. ``mine``: assigned to me or to a role I hold."""
    where: list[str] = ["true"]
    params: list[Any] = []
    if open_only:
        where.append("state = 'open'")
    if role is not None:
        if role not in ws.config.known_roles:
            from ordertrack.config import _unknown

            raise UserError(_unknown("role", role, ws.config.known_roles))
        where.append("role = ?")
        params.append(role)
    if mine:
        me = _actor(by)
        roles = ws.config.roles_of(me)
        names = _names_of(ws, me)
        where.append(
            "(lower(assignee) IN (SELECT unnest(?::VARCHAR[])) "
            "OR (assignee IS NULL AND role IN (SELECT unnest(?::VARCHAR[]))))"
        )
        params += [names, roles]
    sql = (
        f"SELECT {', '.join(_TASK_COLUMNS)} FROM tasks WHERE {' AND '.join(where)} "
        "ORDER BY state = 'done', due_at NULLS LAST, task_id"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with ws.connect(read_only=True) as store:
        rows = store.fetchall(sql, params)
    return [dict(zip(_TASK_COLUMNS, r, strict=True)) for r in rows]


def _names_of(ws: Workspace, who: str) -> list[str]:
    """Every way ``who`` is written (lower case): the login, and the key, e-mail and
    aliases of the [people] entry it matches (a task assigned with @sales_rep carries the
    name as the exports spell it, e.g. 陈静, while the login is chenjing)."""
    me = who.strip().lower()
    names = {me}
    for key, person in ws.config.people.items():
        spellings = {x.strip().lower() for x in (key, person.email, *person.aliases) if x}
        if me in spellings:
            names |= spellings
    return sorted(names)


def _task(con: Any, task_id: int) -> dict[str, Any]:
    return _one(con, "tasks", "task_id", task_id, _TASK_COLUMNS)


def complete_task(
    ws: Workspace, task_id: int, *, note: str | None = None, by: str | None = None
) -> dict[str, Any]:
    """Mark a task done (its done time feeds the exception-handling effort KPI)."""
    from ordertrack.flow.engine import audit

    actor, now = _actor(by), ws.now()
    with ws.connect() as store, store.transaction() as con:
        task = _task(con, task_id)
        if task["state"] == "done":
            raise UserError(
                f"task {task_id} is already done ({task['done_by']}, {task['done_at']:%Y-%m-%d %H:%M})"
            )
        con.execute(
            "UPDATE tasks SET state = 'done', done_at = ?, done_by = ?, "
            "note = CASE WHEN ? IS NULL THEN note ELSE concat_ws(' | ', note, ?) END WHERE task_id = ?",
            [now, actor, note, note, task_id],
        )
        audit(con, now, actor, "tasks done", {"task_id": task_id, "note": note}, {})
        return _task(con, task_id)


def assign_task(ws: Workspace, task_id: int, user: str, *, by: str | None = None) -> dict[str, Any]:
    """Give a task to someone."""
    from ordertrack.flow.engine import audit

    user = user.strip()
    if not user:
        raise UserError("say who the task is for, e.g. `ordertrack tasks assign 12 zhangwei`")
    actor, now = _actor(by), ws.now()
    with ws.connect() as store, store.transaction() as con:
        task = _task(con, task_id)
        if task["state"] == "done":
            raise UserError(f"task {task_id} is already done")
        con.execute("UPDATE tasks SET assignee = ? WHERE task_id = ?", [user, task_id])
        audit(
            con,
            now,
            actor,
            "tasks assign",
            {"task_id": task_id, "assignee": user},
            {"assignee": [task["assignee"], user]},
        )
        return _task(con, task_id)


# -- outbox ---------------------------------------------------------------------------------------

_OUTBOX_COLUMNS = (
    "message_id",
    "status",
    "channel",
    "recipient",
    "recipient_name",
    "subject",
    "alert_count",
    "created_at",
    "attempts",
    "last_attempt_at",
    "last_error",
    "sent_at",
)


def list_outbox(
    ws: Workspace, *, status: str | None = None, limit: int | None = 200
) -> list[dict[str, Any]]:
    """Messages, newest first; ``status``: queued, sent, failed or superseded (a report
    copy replaced by a newer one before it went out)."""
    if status is not None and status not in ("queued", "sent", "failed", "superseded"):
        raise UserError(f'unknown status "{status}"; use queued, sent, failed or superseded')
    where = "WHERE status = ?" if status else ""
    sql = f"SELECT {', '.join(_OUTBOX_COLUMNS)} FROM outbox {where} ORDER BY message_id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with ws.connect(read_only=True) as store:
        rows = store.fetchall(sql, [status] if status else [])
    return [dict(zip(_OUTBOX_COLUMNS, r, strict=True)) for r in rows]


def retry_outbox(ws: Workspace, ids: list[int] | None = None) -> list[Delivery]:
    """Send what is waiting: queued messages, and failed ones (all, or those in ``ids``)
    queued again first."""
    from ordertrack.alerts.outbox import deliver

    now = ws.now()
    with ws.connect() as store:
        con = store.con
        if ids:
            found = {
                r[0]
                for r in con.execute(
                    "SELECT message_id FROM outbox WHERE message_id IN (SELECT unnest(?::BIGINT[]))",
                    [ids],
                ).fetchall()
            }
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound(
                    f"no message {', '.join(map(str, missing))} in the outbox",
                    hint="`ordertrack outbox list` shows them.",
                )
            con.execute(
                "UPDATE outbox SET status = 'queued' WHERE status = 'failed' "
                "AND message_id IN (SELECT unnest(?::BIGINT[]))",
                [ids],
            )
        else:
            con.execute("UPDATE outbox SET status = 'queued' WHERE status = 'failed'")
        return deliver(con, ws.config, ws.root, now, ids=ids)


def backtest(*args: Any, **kwargs: Any) -> Any:
    """See :func:`ordertrack.alerts.backtest.backtest`."""
    from ordertrack.alerts.backtest import backtest as run

    return run(*args, **kwargs)
