"""One sweep: every enabled rule evaluated set-based, alerts updated, actions run once.

The whole sweep is a handful of SQL statements whatever the number of orders:

1. **Facts, once.** ``_of`` (open orders) and ``_lf`` (their lines) are materialised
   from ``v_order_facts`` / ``v_line_facts`` with only the columns the rules read (the
   optimiser then skips the joins and windows nobody needs).
2. **Hits.** One ``UNION ALL`` of ``SELECT rule, order[, sku] … WHERE <condition>`` gives
   every (rule, order[, sku]) whose condition holds now, keyed ``rule|order|sku``.
3. **Lifecycle** (Alertmanager's): a hit without an open alert opens one (``pending``
   while the rule's ``for`` has not passed, else ``firing``); a pending alert whose ``for``
   has passed fires; an open alert without a hit resolves (with the reason: condition
   cleared, order closed or cancelled, rule removed). Orders on hold are frozen: not
   evaluated, their alerts neither fire nor resolve, nobody is notified about them.
4. **Actions** run for the alerts that fired in this sweep only — so once per firing:
   tasks (deduplicated by alert), statuses, moves (via = rule), external commands.
5. **Escalation** levels rise with business time since firing.

No loops: conditions read the facts as they were when the sweep started (``_of`` is a
snapshot), so an action taken in this sweep is only seen by the next one; an alert's
actions run only when it fires, never while it keeps firing; and each order is changed by
at most one rule action per sweep (the first rule in the file wins; the others are
reported as skipped). A rule that sets what another rule reacts to therefore produces at
most one change per sweep and none while the alerts stay open.

A sweep that finds nothing new writes nothing. Notifications are ``ordertrack.alerts.notify``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from ordertrack.alerts.settings import Rule
from ordertrack.config import Config
from ordertrack.errors import ConfigError, Problem
from ordertrack.store.text import lit

__all__ = ["ActionReport", "RuleCounts", "apply_lifecycle", "evaluate", "lit"]


@dataclass
class RuleCounts:
    """What one sweep did with one rule's alerts."""

    rule_id: str
    severity: str
    new: int = 0  # fired in this sweep
    pending: int = 0  # holding, waiting for `for`
    firing: int = 0  # open and firing after the sweep (new included)
    resolved: int = 0  # resolved in this sweep


@dataclass
class ActionReport:
    """What the actions of one sweep did."""

    tasks: int = 0
    statuses: int = 0
    moved: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0  # changes not made: the order was changed by an earlier rule this sweep
    commands: list[tuple[str, list[str], list[dict[str, Any]]]] = field(default_factory=list)


# -- 1 and 2: facts and hits --------------------------------------------------------------------


def _columns(rules: list[Rule], level: str, always: tuple[str, ...]) -> list[str]:
    from ordertrack.conditions import referenced_columns

    cols = dict.fromkeys(always)
    for r in rules:
        if r.level == level:
            cols.update(dict.fromkeys(sorted(referenced_columns(r.when, r.view))))
    return list(cols)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def rule_select(r: Rule) -> str:
    """The hits of one rule from the snapshot tables ``_of`` / ``_lf``."""
    if r.level == "line":
        return (
            f"SELECT DISTINCT {lit(r.id)} AS rule_id, order_id, sku FROM _lf "
            f"WHERE coalesce(({r.when}), false)"
        )
    return (
        f"SELECT {lit(r.id)} AS rule_id, order_id, NULL::VARCHAR AS sku FROM _of "
        f"WHERE coalesce(({r.when}), false)"
    )


#: Tables the views aggregate per order: shadowed by their live orders' rows. Not
#: order_lines: the views inner-join them to (the shadowed) orders already, which filters
#: them as fast as a copy would.
_PER_ORDER = ("shipments", "invoices", "payments")


def _shadow_live(con: duckdb.DuckDBPyConnection) -> None:
    """Temp tables with only the live orders (open or on hold) and their rows.

    The views aggregate shipments, lines, invoices and payments per order before joining,
    and DuckDB computes those aggregates whole even for the columns nobody selects. Most
    orders of a company are closed: over the live ones only, the facts of a million-order
    database cost a fraction. DuckDB resolves the views' table names in the temp schema
    first, so the views run unchanged; every column they give for a live order is the
    same (the per-customer exposure and the stock allocation count live orders only).
    """
    db = real_tables(con)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE orders AS SELECT * REPLACE (NULL::JSON AS attrs) "
        f"FROM {db}.orders WHERE state IN ('open', 'on_hold')"
    )
    for table in _PER_ORDER:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * REPLACE (NULL::JSON AS attrs) "
            f"FROM {db}.{table} WHERE order_id IN (SELECT order_id FROM temp.orders)"
        )


@contextlib.contextmanager
def live_shadow(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Within: the views see only the live orders (see :func:`_shadow_live`). For
    questions about open orders now (the sweep, the reports' snapshot KPIs)."""
    _shadow_live(con)
    try:
        yield
    finally:
        _drop_shadows(con)


def real_tables(con: duckdb.DuckDBPyConnection) -> str:
    """The qualified schema of the database file's own tables, e.g. ``"ordertrack".main``.

    ``main.orders`` is not enough once a temp table shadows ``orders``: the temp schema
    is ``temp.main``, so an unqualified ``main`` finds the shadow.
    """
    row = con.execute("SELECT current_database()").fetchone()
    assert row is not None
    return '"' + str(row[0]).replace('"', '""') + '".main'


def _drop_shadows(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("orders", *_PER_ORDER):
        con.execute(f"DROP TABLE IF EXISTS temp.{table}")


def evaluate(
    con: duckdb.DuckDBPyConnection,
    rules: list[Rule],
    *,
    where: str = "state = 'open'",
    live: bool = True,
) -> None:
    """Fill temp table ``_hits(rule_id, order_id, sku, alert_key)`` for ``rules``.

    ``where`` picks the orders evaluated (open ones; the backtest passes its own).
    ``live``: read the facts over shadow tables of the live orders (see
    :func:`_shadow_live`); the backtest has its own shadows.
    """
    if live:
        with live_shadow(con):
            evaluate(con, rules, where=where, live=False)
        return
    order_rules = [r for r in rules if r.level == "order"]
    line_rules = [r for r in rules if r.level == "line"]
    if order_rules:
        cols = ", ".join(_quote(c) for c in _columns(rules, "order", ("order_id",)))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _of AS SELECT {cols} FROM v_order_facts WHERE {where}"
        )
    if line_rules:
        cols = ", ".join(_quote(c) for c in _columns(rules, "line", ("order_id", "sku")))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _lf AS SELECT {cols} FROM v_line_facts WHERE {where}"
        )
    parts = [rule_select(r) for r in rules]
    body = (
        " UNION ALL ".join(parts)
        if parts
        else (
            "SELECT NULL::VARCHAR AS rule_id, NULL::VARCHAR AS order_id, NULL::VARCHAR AS sku WHERE false"
        )
    )
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _hits AS "
            "SELECT rule_id, order_id, sku, rule_id || '|' || order_id || '|' || coalesce(sku, '') "
            f"AS alert_key FROM ({body}) WHERE order_id IS NOT NULL"
        )
    except duckdb.Error:
        _blame(con, rules)
        raise


def _blame(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> None:
    """The combined query failed on the data (a cast, a division): say which rule."""
    from ordertrack.store.errors import duckdb_message

    problems = []
    for i, r in enumerate(rules):
        try:
            con.execute(f"SELECT count(*) FROM ({rule_select(r)})").fetchall()
        except duckdb.Error as e:
            problems.append(
                Problem(
                    "ordertrack.toml",
                    f"rules[{i}].when ({r.id})",
                    f"fails on the data: {duckdb_message(e)}",
                )
            )
    if problems:
        raise ConfigError(problems) from None


# -- 3: lifecycle ---------------------------------------------------------------------------------


def rules_table(con: duckdb.DuckDBPyConnection, config: Config, rules: list[Rule]) -> None:
    """Temp table ``_rules``: the enabled rules' settings, for the set-based statements."""
    rows = [
        "("
        + ", ".join(
            [
                lit(r.id),
                lit(r.severity),
                lit(r.level),
                lit(i),
                lit(r.for_.total_seconds() if r.for_ else 0.0),
                lit((r.repeat or config.alerts.repeat).total_seconds()),
                lit(r.notify_resolved),
                lit(r.description or r.id),
            ]
        )
        + ")"
        for i, r in enumerate(rules)
    ]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rules (rule_id VARCHAR, severity VARCHAR, level VARCHAR, "
        "position INTEGER, for_s DOUBLE, repeat_s DOUBLE, notify_resolved BOOLEAN, title VARCHAR)"
    )
    if rows:
        con.execute(f"INSERT INTO _rules VALUES {', '.join(rows)}")


def apply_lifecycle(con: duckdb.DuckDBPyConnection, now: datetime, sweep_id: int) -> dict[str, int]:
    """Open, fire and resolve alerts from ``_hits`` and ``_rules``. Returns counts."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _act AS SELECT alert_id, alert_key, rule_id, order_id, "
        "state, first_seen_at, severity FROM alerts WHERE state IN ('pending', 'firing')"
    )
    # resolve: open alerts whose condition no longer holds (orders on hold are frozen)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _gone AS
        SELECT a.alert_id,
               CASE WHEN r.rule_id IS NULL THEN 'rule removed or disabled'
                    WHEN o.order_id IS NULL THEN 'order removed'
                    WHEN o.state = 'cancelled' THEN 'order cancelled'
                    WHEN o.state = 'closed' THEN 'order closed'
                    ELSE 'condition cleared' END AS reason
        FROM _act a
        LEFT JOIN _rules r USING (rule_id)
        LEFT JOIN (SELECT order_id, any_value(state) AS state FROM orders
                   WHERE order_id IN (SELECT order_id FROM _act) GROUP BY order_id) o USING (order_id)
        WHERE NOT EXISTS (SELECT 1 FROM _hits h WHERE h.alert_key = a.alert_key)
          AND NOT (r.rule_id IS NOT NULL AND coalesce(o.state = 'on_hold', false))
        """
    )
    resolved = _count(con, "_gone")
    if resolved:
        con.execute(
            "UPDATE alerts SET state = 'resolved', resolved_at = ?, resolved_reason = g.reason "
            "FROM _gone g WHERE alerts.alert_id = g.alert_id",
            [now],
        )
    # fire: pending alerts whose `for` has passed
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _promote AS
        SELECT a.alert_id FROM _act a JOIN _rules r USING (rule_id)
        WHERE a.state = 'pending'
          AND EXISTS (SELECT 1 FROM _hits h WHERE h.alert_key = a.alert_key)
          AND epoch(?::TIMESTAMPTZ) - epoch(a.first_seen_at) >= r.for_s
        """,
        [now],
    )
    promoted = _count(con, "_promote")
    if promoted:
        con.execute(
            "UPDATE alerts SET state = 'firing', fired_at = ?, sweep_id = ? "
            "WHERE alert_id IN (SELECT alert_id FROM _promote)",
            [now, sweep_id],
        )
    # open: hits without an open alert
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _new AS
        SELECT h.* FROM _hits h WHERE NOT EXISTS (SELECT 1 FROM _act a WHERE a.alert_key = h.alert_key)
        """
    )
    opened = _count(con, "_new")
    if opened:
        con.execute(
            """
            INSERT INTO alerts (alert_key, rule_id, order_id, sku, severity, state, first_seen_at,
                                fired_at, sweep_id)
            SELECT h.alert_key, h.rule_id, h.order_id, h.sku, r.severity,
                   CASE WHEN r.for_s > 0 THEN 'pending' ELSE 'firing' END, $now,
                   CASE WHEN r.for_s > 0 THEN NULL ELSE $now END,
                   CASE WHEN r.for_s > 0 THEN NULL ELSE $sweep END
            FROM _new h JOIN _rules r USING (rule_id)
            """,
            {"now": now, "sweep": sweep_id},
        )
    # a rule's severity edited in the config: its open alerts follow
    row = con.execute(
        "UPDATE alerts SET severity = r.severity FROM _rules r "
        "WHERE alerts.rule_id = r.rule_id AND alerts.state IN ('pending', 'firing') "
        "AND alerts.severity <> r.severity"
    ).fetchone()
    regraded = int(row[0]) if row else 0
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _fired AS SELECT alert_id, alert_key, rule_id, order_id, sku "
        "FROM alerts WHERE sweep_id = ?",
        [sweep_id],
    )
    return {"opened": opened, "promoted": promoted, "resolved": resolved, "regraded": regraded}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def rule_counts(
    con: duckdb.DuckDBPyConnection, rules: list[Rule], sweep_id: int, now: datetime
) -> list[RuleCounts]:
    rows = con.execute(
        """
        SELECT rule_id,
               count(*) FILTER (WHERE sweep_id = $sweep AND state = 'firing') AS new,
               count(*) FILTER (WHERE state = 'pending') AS pending,
               count(*) FILTER (WHERE state = 'firing') AS firing,
               count(*) FILTER (WHERE state = 'resolved' AND resolved_at = $now
                                AND alert_id IN (SELECT alert_id FROM _gone)) AS resolved
        FROM alerts
        WHERE state IN ('pending', 'firing') OR alert_id IN (SELECT alert_id FROM _gone)
        GROUP BY rule_id
        """,
        {"sweep": sweep_id, "now": now},
    ).fetchall()
    by_rule = {r[0]: r for r in rows}
    out = []
    for r in rules:
        row = by_rule.get(r.id)
        out.append(
            RuleCounts(r.id, r.severity, *(int(x) for x in row[1:]))
            if row
            else RuleCounts(r.id, r.severity)
        )
    # rules no longer configured whose alerts resolved now
    for rule_id, row in by_rule.items():
        if rule_id not in {r.id for r in rules} and row[4]:
            out.append(RuleCounts(rule_id, "-", resolved=int(row[4])))
    return out


# -- 4: actions -----------------------------------------------------------------------------------


def _title_sql(template: str) -> str:
    """A task title template as a SQL expression over f (fired alert), o (order), fs (stage)."""
    values = {
        "order_id": "f.order_id",
        "sku": "coalesce(f.sku, '')",
        "customer": "coalesce(o.customer, '')",
        "sales_rep": "coalesce(o.sales_rep, '')",
        "rule": "f.rule_id",
        "stage": "coalesce(fs.name, o.stage, '')",
    }
    expr = lit(template)
    for name, sql in values.items():
        if "{" + name + "}" in template:
            expr = f"replace({expr}, {lit('{' + name + '}')}, {sql})"
    return expr


def run_actions(
    con: duckdb.DuckDBPyConnection, config: Config, rules: list[Rule], now: datetime, actor: str
) -> ActionReport:
    """The actions of the alerts in ``_fired`` (fired in this sweep), in rule order."""
    from ordertrack.flow.engine import audit

    report = ActionReport()
    if not _count(con, "_fired"):
        return report
    con.execute("CREATE OR REPLACE TEMP TABLE _changed (order_id VARCHAR, rule_id VARCHAR)")
    for r in rules:
        if not r.actions:
            continue
        fired = con.execute("SELECT count(*) FROM _fired WHERE rule_id = ?", [r.id]).fetchone()
        if not fired or not fired[0]:
            continue
        for j, action in enumerate(r.actions):
            if action.task is not None:
                report.tasks += _create_tasks(con, r, j, now)
            elif action.set_status is not None:
                changed, skipped = _set_status(con, r, action.set_status, now)
                report.statuses += changed
                report.skipped += skipped
                if changed:
                    audit(
                        con,
                        now,
                        actor,
                        "alerts run",
                        {"rule": r.id},
                        {
                            "set_status": action.set_status,
                            "orders": [
                                x[0]
                                for x in con.execute(
                                    "SELECT order_id FROM _now_changed ORDER BY 1"
                                ).fetchall()
                            ],
                        },
                    )
            elif action.advance is not None:
                moved, refused, skipped = _advance(con, config, r, action.advance, now)
                report.moved += moved
                report.refused += refused
                report.skipped += skipped
            elif action.run is not None:
                rows = con.execute(
                    "SELECT f.alert_id, f.rule_id, f.order_id, f.sku, o.customer, o.sales_rep "
                    "FROM _fired f LEFT JOIN orders o USING (order_id) WHERE f.rule_id = ? ORDER BY f.alert_id",
                    [r.id],
                ).fetchall()
                keys = ("alert_id", "rule", "order_id", "sku", "customer", "sales_rep")
                report.commands.append(
                    (r.id, list(action.run), [dict(zip(keys, row, strict=True)) for row in rows])
                )
    return report


def _create_tasks(con: duckdb.DuckDBPyConnection, r: Rule, j: int, now: datetime) -> int:
    task = r.actions[j].task
    assert task is not None
    assignee = "NULL"
    if task.assignee == "@sales_rep":
        assignee = "o.sales_rep"
    elif task.assignee == "@follow_up":
        assignee = "coalesce(o.follow_up, o.sales_rep)"
    elif task.assignee is not None:
        assignee = lit(task.assignee)
    due = f"$now + to_seconds({int(task.due.total_seconds())})" if task.due else "NULL"
    before = _count(con, "tasks")
    con.execute(
        f"""
        INSERT INTO tasks (dedupe_key, alert_id, order_id, sku, kind, title, role, assignee,
                           state, opened_at, due_at, rule_id)
        SELECT 'alert:' || f.alert_id || ':' || {j}, f.alert_id, f.order_id, f.sku, 'rule',
               {_title_sql(task.title)}, {lit(task.role)}, {assignee}, 'open', $now, {due}, f.rule_id
        FROM _fired f
        LEFT JOIN orders o USING (order_id)
        LEFT JOIN flow_stages fs ON fs.stage_id = o.stage
        WHERE f.rule_id = $rule
        ON CONFLICT (dedupe_key) DO NOTHING
        """,
        {"now": now, "rule": r.id},
    )
    return _count(con, "tasks") - before


def _claim(con: duckdb.DuckDBPyConnection, r: Rule) -> int:
    """``_now_changed``: this rule's fired orders no *other* rule changed in this sweep (a
    rule's own actions all apply: its status, then its move). Returns how many were
    skipped because an earlier rule changed them."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _now_changed AS SELECT DISTINCT order_id FROM _fired "
        "WHERE rule_id = $rule AND order_id NOT IN "
        "(SELECT order_id FROM _changed WHERE rule_id <> $rule)",
        {"rule": r.id},
    )
    row = con.execute(
        "SELECT count(DISTINCT order_id) FROM _fired WHERE rule_id = $rule "
        "AND order_id IN (SELECT order_id FROM _changed WHERE rule_id <> $rule)",
        {"rule": r.id},
    ).fetchone()
    return int(row[0]) if row else 0


def _set_status(
    con: duckdb.DuckDBPyConnection, r: Rule, status: str, now: datetime
) -> tuple[int, int]:
    skipped = _claim(con, r)
    con.execute(
        "DELETE FROM _now_changed WHERE order_id IN "
        "(SELECT order_id FROM orders WHERE status IS NOT DISTINCT FROM ?)",
        [status],
    )
    n = _count(con, "_now_changed")
    if n:
        con.execute(
            "UPDATE orders SET status = ?, updated_at = ? WHERE order_id IN (SELECT order_id FROM _now_changed)",
            [status, now],
        )
        con.execute("INSERT INTO _changed SELECT order_id, ? FROM _now_changed", [r.id])
    return n, skipped


def _advance(
    con: duckdb.DuckDBPyConnection, config: Config, r: Rule, target: str, now: datetime
) -> tuple[int, list[dict[str, Any]], int]:
    from ordertrack.flow.engine import MoveOptions, plan_and_apply

    skipped = _claim(con, r)
    if not _count(con, "_now_changed"):
        return 0, [], skipped
    to_stage = "NULL::VARCHAR" if target == "next" else lit(target)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _req AS SELECT (row_number() OVER (ORDER BY order_id))::BIGINT "
        f"AS row_no, order_id, {to_stage} AS to_stage, {lit('rule ' + r.id)} AS note FROM _now_changed"
    )
    result = plan_and_apply(
        con,
        config,
        MoveOptions(actor=f"rule:{r.id}", via="rule", note=f"rule {r.id}", check_roles=False),
        now,
    )
    con.execute("INSERT INTO _changed SELECT order_id, ? FROM _now_changed", [r.id])
    refused = [{"rule": r.id, **x.__dict__} for x in result.refused]
    return len(result.moved), refused, skipped


# -- 5: escalation --------------------------------------------------------------------------------


def escalate(
    con: duckdb.DuckDBPyConnection, config: Config, rules: list[Rule], now: datetime
) -> int:
    """Raise the escalation level of firing, unacknowledged alerts. Returns how many rose."""
    from ordertrack.workspace import sla_hours

    total = 0
    for r in rules:
        if not r.escalate:
            continue
        hours = [sla_hours(config, step.after) for step in r.escalate]
        level = (
            "CASE "
            + " ".join(
                f"WHEN business_hours_between(fired_at, $now) >= {h} THEN {len(hours) - k}"
                for k, h in enumerate(reversed(hours))
            )
            + " ELSE 0 END"
        )
        row = con.execute(
            f"""
            UPDATE alerts SET escalation_level = lv.level
            FROM (SELECT alert_id, {level} AS level FROM alerts
                  WHERE rule_id = $rule AND state = 'firing' AND acked_at IS NULL
                    -- orders on hold are frozen: their alerts do not climb either
                    AND order_id NOT IN (SELECT order_id FROM orders WHERE state = 'on_hold')) lv
            WHERE alerts.alert_id = lv.alert_id AND lv.level > alerts.escalation_level
            """,
            {"now": now, "rule": r.id},
        ).fetchone()
        total += int(row[0]) if row else 0
    return total


def sweep_record(
    con: duckdb.DuckDBPyConnection,
    sweep_id: int,
    started: datetime,
    now: datetime,
    actor: str,
    notify: bool,
    counts: list[RuleCounts],
    messages: int,
    summary: dict[str, Any],
) -> None:
    con.execute(
        "INSERT INTO sweeps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            sweep_id,
            started,
            now,
            actor,
            notify,
            len(counts),
            sum(c.new for c in counts),
            sum(c.resolved for c in counts),
            messages,
            json.dumps(summary, ensure_ascii=False, default=str),
        ],
    )
