"""Projected ship and delivery dates, from how long stages have taken before.

``stage_forecast`` holds, per stage and customer segment (``*`` = all customers), the
configured percentile (``[alerts] projection``: p50 or p80) of the time orders spent in
the stage during ``projection_window``, and the share of delivered orders that passed
through it (a conditional stage such as director approval counts for the share of orders
that need it). A segment gets its own row for a stage only with at least
``projection_min_samples`` stays; otherwise the all-customer figure stands in.

``v_order_facts`` turns it into ``projected_ship_date`` / ``projected_delivery_date``:
now + what is left of the current stage's typical time + the typical times of the stages
still to come (each weighted by its share). The table is recomputed only when the stage
history, the settings or the day changed (one aggregate over ``stage_events``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb

from ordertrack.config import Config

__all__ = ["SAMPLE_ORDERS", "refresh_forecast"]

#: Orders whose history the percentiles are computed from, at most.
SAMPLE_ORDERS = 20_000


def _key(con: duckdb.DuckDBPyConnection, config: Config, now: datetime) -> str:
    # the moves recorded (not holds or notes), the settings and the flow: the window
    # slides with the moves that arrive, so a day without moves needs no new figures
    row = con.execute(
        "SELECT count(*), max(event_id) FROM stage_events WHERE kind = 'move'"
    ).fetchone()
    a = config.alerts
    parts = (
        row,
        a.projection,
        a.projection_window,
        a.projection_min_samples,
        config.flow.stage_ids,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def refresh_forecast(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    now: datetime,
    *,
    force: bool = False,
    record: bool = True,
) -> bool:
    """Recompute ``stage_forecast`` if stale. Runs in the caller's transaction.

    ``record``: remember what it was computed from (in ``meta``) so the next call knows it
    is fresh. The backtest fills a temp ``stage_forecast`` on a read-only connection and
    records nothing. Returns whether it was recomputed.
    """
    key = _key(con, config, now)
    row = con.execute("SELECT value FROM meta WHERE key = 'forecast_key'").fetchone()
    if row and row[0] == key and not force:
        return False
    a = config.alerts
    quantile = {"p50": 0.5, "p80": 0.8}[a.projection]
    since = now - a.projection_window
    # Percentiles need thousands of stays, not millions: above SAMPLE_ORDERS orders in
    # the window, a fixed hash-based subset of orders (the same one every day) is used.
    row = con.execute(
        "SELECT approx_count_distinct(order_id) FROM stage_events "
        "WHERE kind = 'move' AND event_at >= $since AND event_at <= $now",
        {"since": since, "now": now},
    ).fetchone()
    every = max(1, -(-int(row[0] if row else 0) // SAMPLE_ORDERS))
    # the sample as a literal: DuckDB pushes it below the window only then (a parameter
    # there costs 5x)
    sample = "" if every == 1 else f"AND hash(e.order_id) % {int(every)} = 0"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _stays AS
        SELECT e.order_id, e.to_stage AS stage,
               date_diff('second', e.event_at,
                         lead(e.event_at) OVER (PARTITION BY e.order_id ORDER BY e.event_at, e.event_id))
                   / 3600.0 AS hours
        FROM stage_events e
        WHERE e.kind = 'move' AND e.event_at >= $since AND e.event_at <= $now {sample}
        """,
        {"since": since, "now": now},
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _fc AS
        WITH ms AS (
            SELECT min(position) FILTER (WHERE milestone = 'shipped') AS ship_pos,
                   min(position) FILTER (WHERE milestone = 'delivered') AS delivery_pos,
                   max(position) AS last_pos
            FROM flow_stages
        ),
        seg AS (
            SELECT o.order_id, any_value(c.segment) AS segment
            FROM orders o LEFT JOIN customers c ON c.customer_id = o.customer_id
            WHERE o.order_id IN (SELECT order_id FROM _stays) GROUP BY o.order_id
        ),
        -- the orders whose history runs to the end of the projection: the population for shares
        done AS (
            SELECT DISTINCT s.order_id FROM _stays s JOIN flow_stages fs ON fs.stage_id = s.stage, ms
            WHERE fs.position = coalesce(ms.delivery_pos, ms.ship_pos, ms.last_pos)
        ),
        stays AS (SELECT s.*, g.segment FROM _stays s JOIN seg g USING (order_id)),
        per AS (
            SELECT stage, '*' AS segment, count(hours) AS samples,
                   quantile_cont(hours, {quantile}) AS hours,
                   count(DISTINCT order_id) FILTER (WHERE order_id IN (SELECT order_id FROM done)) AS visits,
                   (SELECT count(*) FROM done) AS population
            FROM stays GROUP BY stage
            UNION ALL
            SELECT stage, segment, count(hours), quantile_cont(hours, {quantile}),
                   count(DISTINCT order_id) FILTER (WHERE order_id IN (SELECT order_id FROM done)),
                   (SELECT count(*) FROM done d JOIN seg USING (order_id) WHERE seg.segment = stays.segment)
            FROM stays WHERE segment IS NOT NULL GROUP BY stage, segment
        ),
        segments AS (SELECT DISTINCT segment FROM per),
        val AS (
            SELECT g.segment, fs.stage_id, fs.position,
                   CASE WHEN sp.samples >= {a.projection_min_samples} THEN sp.samples ELSE al.samples END
                       AS samples,
                   CASE WHEN sp.samples >= {a.projection_min_samples} THEN sp.hours ELSE al.hours END
                       AS hours,
                   least(coalesce(
                       CASE WHEN sp.samples >= {a.projection_min_samples} AND sp.population > 0
                            THEN sp.visits / sp.population END,
                       CASE WHEN al.population > 0 THEN al.visits / al.population END, 1.0), 1.0) AS share,
                   sp.samples >= {a.projection_min_samples} AS own
            FROM segments g CROSS JOIN flow_stages fs
            LEFT JOIN per sp ON sp.segment = g.segment AND sp.stage = fs.stage_id
            LEFT JOIN per al ON al.segment = '*' AND al.stage = fs.stage_id
        )
        SELECT v.stage_id, v.segment, v.samples, v.share AS visit_share, v.hours,
               CASE WHEN v.position < ms.ship_pos THEN
                   coalesce((SELECT sum(w.share * w.hours) FROM val w WHERE w.segment = v.segment
                             AND w.position > v.position AND w.position < ms.ship_pos), 0) END
                   AS to_ship_hours,
               CASE WHEN v.position < ms.delivery_pos THEN
                   coalesce((SELECT sum(w.share * w.hours) FROM val w WHERE w.segment = v.segment
                             AND w.position > v.position AND w.position < ms.delivery_pos), 0) END
                   AS to_delivery_hours
        FROM val v, ms
        WHERE v.hours IS NOT NULL AND (v.segment = '*' OR v.own)
        """
    )
    con.execute("DELETE FROM stage_forecast")
    con.execute(
        "INSERT INTO stage_forecast SELECT stage_id, segment, samples, visit_share, hours, "
        "to_ship_hours, to_delivery_hours FROM _fc"
    )
    if record:
        con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('forecast_key', ?)", [key])
    con.execute("DROP TABLE _stays")
    con.execute("DROP TABLE _fc")
    return True
