"""Set-based moves the order center makes by itself after an import.

* New orders are in the first stage of the flow: ``orders.stage`` stays NULL (read as the
  first stage, since ``created_at``) until the flow first moves them, so a million-row
  import writes no million events.
* Stage history sets an order's current stage from its latest imported event.
* ``[flow.on_import]``: a file that shows an order shipped / delivered / invoiced / paid
  moves it forward to the configured stage (``via = 'import'``) through the flow engine:
  never backwards, stages passed over recorded as skipped, guards not checked (the file
  shows what happened). Orders on hold or cancelled are not moved.

Every move is a row in ``stage_events``; all of it runs inside the import's transaction.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from ordertrack.config import Config


def stage_from_history(con: duckdb.DuckDBPyConnection, last_stage: str | None = None) -> int:
    """Orders whose latest imported history event is newer than their current stage.

    History rows that do not say which stage they left get it from the order's previous
    event."""
    con.execute(
        "UPDATE stage_events SET from_stage = p.prev FROM (SELECT event_id, lag(to_stage) OVER "
        "(PARTITION BY order_id ORDER BY event_at, event_id) AS prev FROM stage_events "
        "WHERE kind = 'move') p WHERE stage_events.event_id = p.event_id "
        "AND stage_events.from_stage IS NULL AND p.prev IS NOT NULL AND stage_events.kind = 'move'"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _latest AS SELECT order_id, arg_max(to_stage, event_at) AS stage, "
        "max(event_at) AS at FROM stage_events WHERE kind = 'move' GROUP BY order_id"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _upd AS SELECT o.order_id, l.stage, l.at FROM orders o "
        "JOIN _latest l USING (order_id) WHERE o.stage_entered_at IS NULL "
        "OR l.at > o.stage_entered_at"
    )
    n = con.execute("SELECT count(*) FROM _upd").fetchone()
    count = int(n[0]) if n else 0
    if count:
        con.execute(
            "UPDATE orders SET stage = u.stage, stage_entered_at = u.at, "
            "state = CASE WHEN u.stage = ? AND orders.state = 'open' THEN 'closed' ELSE orders.state END "
            "FROM _upd u WHERE orders.order_id = u.order_id",
            [last_stage],
        )
    return count


def import_moves(
    con: duckdb.DuckDBPyConnection, config: Config, import_id: int, now: datetime
) -> int:
    """Move open orders forward when shipments, invoices or payments show progress."""
    targets = config.flow.on_import.resolved(config.flow.stage_ids)
    position = {s.id: i for i, s in enumerate(config.flow.stages)}
    evidence = []
    if targets["shipped"]:
        evidence.append(
            f"SELECT order_id, {position[targets['shipped']]} AS pos, min(shipped_at) AS at FROM shipments "
            "WHERE shipped_at IS NOT NULL GROUP BY order_id"
        )
    if targets["delivered"]:
        evidence.append(
            f"SELECT order_id, {position[targets['delivered']]} AS pos, max(delivered_at) AS at FROM shipments "
            "GROUP BY order_id HAVING count(*) = count(delivered_at)"  # every parcel delivered
        )
    if targets["invoiced"]:
        evidence.append(
            f"SELECT order_id, {position[targets['invoiced']]} AS pos, max(invoice_date)::TIMESTAMPTZ AS at "
            "FROM invoices GROUP BY order_id"
        )
    if targets["paid"]:
        evidence.append(
            f"SELECT p.order_id, {position[targets['paid']]} AS pos, max(p.paid_date)::TIMESTAMPTZ AS at "
            "FROM payments p JOIN orders o USING (order_id) "
            "LEFT JOIN (SELECT order_id, sum(amount) AS lines_amount FROM order_lines "
            "GROUP BY order_id) l USING (order_id) "
            "GROUP BY p.order_id, o.amount, l.lines_amount "
            "HAVING sum(p.amount) >= coalesce(o.amount, l.lines_amount)"
        )
    if not evidence:
        return 0
    stages = ", ".join(f"({i}, '{s.id}')" for i, s in enumerate(config.flow.stages))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _moves AS "
        f"WITH ev AS ({' UNION ALL '.join(evidence)}), "
        f"best AS (SELECT order_id, max(pos) AS pos FROM ev GROUP BY order_id), "
        f"st AS (SELECT * FROM (VALUES {stages}) AS v(pos, stage_id)) "
        f"SELECT o.order_id, coalesce(o.stage, '{config.flow.stages[0].id}') AS from_stage, "
        f"st.stage_id AS to_stage "
        f"FROM orders o JOIN best b USING (order_id) JOIN st ON st.pos = b.pos "
        f"LEFT JOIN st cur ON cur.stage_id = coalesce(o.stage, '{config.flow.stages[0].id}') "
        f"WHERE o.state = 'open' AND (cur.pos IS NULL OR cur.pos < b.pos)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _req AS SELECT (row_number() OVER (ORDER BY order_id))::BIGINT "
        "AS row_no, order_id, to_stage, NULL::VARCHAR AS note FROM _moves"
    )
    n = con.execute("SELECT count(*) FROM _req").fetchone()
    if not n or not n[0]:
        return 0
    from ordertrack.flow.engine import MoveOptions, plan_and_apply

    result = plan_and_apply(
        con,
        config,
        MoveOptions(
            actor="ordertrack",
            via="import",
            note="shown by an imported file",
            check_guards=False,
            check_roles=False,
            import_id=import_id,
        ),
        now,
    )
    return len(result.moved)
