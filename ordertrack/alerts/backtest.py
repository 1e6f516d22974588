"""Backtest: what would the rules have said, day by day, and were they right?

For each day of the period, the order center is rebuilt **as it stood at the end of that
day** in temp tables that shadow the real ones (DuckDB resolves a view's table names in
the temp schema first), so the rules run unchanged over the same views:

- ``orders``: created by then; stage and time entered from the last move in
  ``stage_events`` up to then; on hold / cancelled from the last hold, resume, cancel or
  reopen event; closed when in the last stage;
- ``shipments``: left by then; delivered only if delivered by then;
- ``invoices`` / ``payments``: dated by then; ``inventory``: the day's snapshot in
  ``inventory_history`` when there is one, else today's stock.

Each day is a set-based evaluation of every rule (the loop is over days, not orders).
An order **ended late** when it was delivered (its first ``delivered_at``, else its entry
into the delivered milestone stage) after its promised date, or is still undelivered with
the promise passed. Per rule: orders it fired for, how many of those ended late
(precision, over orders whose promise has passed), how many of the late orders promised
in the period it warned about on or before the promised day (recall), and the median lead
time from the first warning to the promised date.

Limits (stated in the report): statuses are today's (a carrier exception is known only
with the shipment's final status), projected dates use today's stage statistics, and
order lines are today's.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ordertrack.errors import UserError

if TYPE_CHECKING:
    from ordertrack.workspace import Workspace

__all__ = ["BacktestReport", "RuleBacktest", "backtest"]

MAX_DAYS = 3660


@dataclass
class RuleBacktest:
    rule_id: str
    fired: int = 0  # alerts (rule, order[, sku]) that would have opened
    orders: int = 0  # distinct orders
    known: int = 0  # of those, orders whose promise has passed (outcome known)
    true_positives: int = 0  # … that ended late
    precision: float | None = None
    late_caught: int = 0  # late orders promised in the period it warned about in time
    recall: float | None = None
    median_lead_days: float | None = None


@dataclass
class BacktestReport:
    since: date
    until: date
    days: int
    orders: int  # orders promised in the period
    late_orders: int
    rules: list[RuleBacktest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def asdict(self) -> dict[str, Any]:
        return asdict(self)


def backtest(
    ws: Workspace, *, since: date, until: date | None = None, rules: list[str] | None = None
) -> BacktestReport:
    """Replay ``since`` … ``until`` (default: yesterday) for the enabled rules (or ``rules``)."""
    from ordertrack.alerts.sweep import evaluate
    from ordertrack.flow.engine import require_valid_conditions

    config = ws.config
    now = ws.now()
    tz = ZoneInfo(ws.timezone)
    until = until or (now.date() - timedelta(days=1))
    if until < since:
        raise UserError(f"--until {until} is before --since {since}")
    if until >= now.date():
        raise UserError(
            f"--until {until} is not in the past (today is {now.date()}); replay up to yesterday"
        )
    days = (until - since).days + 1
    if days > MAX_DAYS:
        raise UserError(f"{days} days is too long a replay; at most {MAX_DAYS}")
    chosen = [r for r in config.rules if (r.id in rules if rules else r.enabled)]
    if rules:
        unknown = [x for x in rules if x not in {r.id for r in config.rules}]
        if unknown:
            from ordertrack.config import _unknown

            raise UserError(_unknown("rule", unknown[0], [r.id for r in config.rules]))
    if not chosen:
        raise UserError("no rule to replay: the configuration has no enabled [[rules]]")
    report = BacktestReport(since=since, until=until, days=days, orders=0, late_orders=0)
    with ws.connect(read_only=True) as store:
        con = store.con
        require_valid_conditions(config, None)
        delivered_stage = con.execute(
            "SELECT stage_id FROM flow_stages WHERE milestone = 'delivered' ORDER BY position LIMIT 1"
        ).fetchone()
        final = con.execute(
            "SELECT stage_id FROM flow_stages ORDER BY position DESC LIMIT 1"
        ).fetchone()
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _bt_first (rule_id VARCHAR, order_id VARCHAR, sku VARCHAR, first_day DATE)"
        )
        first_row = con.execute("SELECT min(as_of) FROM inventory_history").fetchone()
        first_snapshot = first_row[0] if first_row else None
        has_history = first_snapshot is not None
        # projected dates: the stage statistics as of now, in a temp table (read-only here)
        from ordertrack.alerts.forecast import refresh_forecast

        con.execute(
            "CREATE OR REPLACE TEMP TABLE stage_forecast AS SELECT * FROM stage_forecast LIMIT 0"
        )
        refresh_forecast(con, config, now, force=True, record=False)
        for n in range(days):
            day = since + timedelta(days=n)
            at = datetime.combine(day, time(23, 59, 59), tz)
            _shadow(con, at, final[0] if final else None, has_history)
            con.execute("SET VARIABLE ot_now = ?::TIMESTAMPTZ", [at])
            evaluate(con, chosen, live=False)
            con.execute(
                "INSERT INTO _bt_first SELECT h.rule_id, h.order_id, h.sku, ?::DATE FROM _hits h "
                "WHERE NOT EXISTS (SELECT 1 FROM _bt_first f WHERE f.rule_id = h.rule_id "
                "AND f.order_id = h.order_id AND f.sku IS NOT DISTINCT FROM h.sku)",
                [day],
            )
        for t in ("orders", "shipments", "invoices", "payments", "inventory", "stage_forecast"):
            con.execute(f"DROP TABLE IF EXISTS temp.{t}")
        con.execute("SET VARIABLE ot_now = ?::TIMESTAMPTZ", [now])
        _outcomes(con, delivered_stage[0] if delivered_stage else None, now)
        pop = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE late) FROM _bt_outcome "
            "WHERE promised_date BETWEEN ? AND ?",
            [since, until],
        ).fetchone()
        assert pop is not None
        report.orders, report.late_orders = int(pop[0]), int(pop[1])
        for r in chosen:
            report.rules.append(_score(con, r.id, since, until, now.date(), report.late_orders))
    report.notes = [
        "statuses (e.g. carrier exceptions) are the shipments' current ones, and order lines "
        "and projected stage times are today's: rules on them look a little better than they were",
    ]
    if first_snapshot is not None and first_snapshot > since:
        report.notes.append(
            f"the first inventory snapshot is of {first_snapshot}: days before it were replayed "
            "against today's stock"
        )
    if not has_history:
        report.notes.append(
            "no inventory history (imports of inventory files keep one snapshot per day): "
            "stock rules were replayed against today's stock"
        )
    return report


def _shadow(con: Any, at: datetime, final_stage: str | None, has_history: bool) -> None:
    """Temp tables with the order center as it stood at ``at`` (they shadow the real ones)."""
    from ordertrack.alerts.sweep import real_tables

    db = real_tables(con)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE orders AS
        WITH moves AS (
            SELECT order_id, arg_max(to_stage, (event_at, event_id)) AS stage, max(event_at) AS entered
            FROM {db}.stage_events WHERE kind = 'move' AND event_at <= $at GROUP BY order_id
        ),
        states AS (
            SELECT order_id, arg_max(kind, (event_at, event_id)) AS kind
            FROM {db}.stage_events WHERE kind IN ('hold', 'resume', 'cancel', 'reopen')
              AND event_at <= $at GROUP BY order_id
        )
        SELECT o.* REPLACE (
                   m.stage AS stage,
                   coalesce(m.entered, o.order_date::TIMESTAMPTZ) AS stage_entered_at,
                   CASE WHEN s.kind = 'hold' THEN 'on_hold'
                        WHEN s.kind = 'cancel' THEN 'cancelled'
                        WHEN m.stage = $final THEN 'closed'
                        WHEN o.state = 'cancelled' AND s.kind IS NULL
                             AND o.updated_at <= $at THEN 'cancelled'
                        ELSE 'open' END AS state)
        FROM {db}.orders o
        LEFT JOIN moves m USING (order_id)
        LEFT JOIN states s USING (order_id)
        WHERE coalesce(o.order_date::TIMESTAMPTZ, m.entered) <= $at
        """,
        {"at": at, "final": final_stage},
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE shipments AS
        SELECT s.* REPLACE (
                   CASE WHEN s.delivered_at > $at THEN NULL ELSE s.delivered_at END AS delivered_at,
                   CASE WHEN s.delivered_at > $at THEN 'in_transit' ELSE s.status END AS status)
        FROM {db}.shipments s WHERE s.shipped_at <= $at
        """,
        {"at": at},
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE invoices AS SELECT * FROM {db}.invoices WHERE invoice_date <= $day",
        {"day": at.date()},
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE payments AS SELECT * FROM {db}.payments WHERE paid_date <= $day",
        {"day": at.date()},
    )
    if has_history:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE inventory AS
            WITH snap AS (SELECT max(as_of) AS d FROM {db}.inventory_history WHERE as_of <= $day)
            SELECT i.* REPLACE (h.on_hand AS on_hand, h.reserved AS reserved, NULL::DECIMAL(18,3) AS available)
            FROM {db}.inventory i
            JOIN {db}.inventory_history h ON h.sku = i.sku AND h.warehouse = i.warehouse
            WHERE h.as_of = (SELECT d FROM snap)
            UNION ALL   -- before the first snapshot: today's stock (said in the report)
            SELECT i.* FROM {db}.inventory i WHERE (SELECT d FROM snap) IS NULL
            """,
            {"day": at.date()},
        )


def _outcomes(con: Any, delivered_stage: str | None, now: datetime) -> None:
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _bt_outcome AS
        WITH shipped AS (SELECT order_id, min(delivered_at) AS delivered_at FROM shipments
                         WHERE delivered_at IS NOT NULL GROUP BY order_id),
        signed AS (SELECT order_id, min(event_at) AS at FROM stage_events
                   WHERE kind = 'move' AND to_stage = $stage GROUP BY order_id),
        o AS (SELECT o.order_id, o.promised_date, o.state,
                     coalesce(s.delivered_at, g.at)::DATE AS delivered
              FROM orders o LEFT JOIN shipped s USING (order_id) LEFT JOIN signed g USING (order_id)
              WHERE o.promised_date IS NOT NULL AND o.state <> 'cancelled')
        SELECT order_id, promised_date, delivered,
               CASE WHEN delivered IS NOT NULL THEN delivered > promised_date
                    ELSE promised_date < $today END AS late
        FROM o
        """,
        {"stage": delivered_stage, "today": now.date()},
    )


def _score(
    con: Any, rule_id: str, since: date, until: date, today: date, late_total: int
) -> RuleBacktest:
    r = RuleBacktest(rule_id)
    row = con.execute(
        """
        WITH f AS (SELECT order_id, min(first_day) AS first_day, count(*) AS alerts
                   FROM _bt_first WHERE rule_id = $rule GROUP BY order_id)
        SELECT sum(f.alerts), count(*),
               count(*) FILTER (WHERE o.promised_date < $today),
               count(*) FILTER (WHERE o.promised_date < $today AND o.late),
               count(*) FILTER (WHERE o.late AND o.promised_date BETWEEN $since AND $until
                                AND f.first_day <= o.promised_date),
               list(date_diff('day', f.first_day, o.promised_date))
                   FILTER (WHERE o.late AND f.first_day <= o.promised_date)
        FROM f LEFT JOIN _bt_outcome o USING (order_id)
        """,
        {"rule": rule_id, "today": today, "since": since, "until": until},
    ).fetchone()
    if not row or not row[1]:
        return r
    r.fired, r.orders, r.known, r.true_positives, r.late_caught = (int(x or 0) for x in row[:5])
    r.precision = r.true_positives / r.known if r.known else None
    r.recall = r.late_caught / late_total if late_total else None
    leads = [x for x in (row[5] or []) if x is not None]
    r.median_lead_days = float(statistics.median(leads)) if leads else None
    return r
