"""The KPI registry: every KPI of the report packs, defined once as SQL plus its formula.

    >>> from ordertrack.report.kpis import KPIS, compute
    >>> from ordertrack.report.periods import parse_period
    >>> period = parse_period("2026-W25", today=ws.now().date())      # doctest: +SKIP
    >>> with ws.connect(read_only=True) as store:                      # doctest: +SKIP
    ...     values = compute(store.con, ["on_time_delivery"], period, ws.timezone)
    >>> values["on_time_delivery"].value                               # doctest: +SKIP
    87.5

A :class:`Kpi` is a SELECT over the public views and the bookkeeping tables that returns
one row: the headline ``value``, helper columns (``n``, ``median``, ``p90``, …) and
``reason``, a code saying why the value is missing or partial (its text is in
:attr:`Kpi.notes`, in English and Chinese). KPIs that are tables (per stage, per sales
rep, …) also have ``table_sql`` returning their rows. Each statement runs once for a
period, set-based: no Python loop ever looks at an order.

Parameters: ``$start`` and ``$end`` are the TIMESTAMPTZ bounds ``[first day 00:00,
day after the last 00:00)`` of the period in the workspace's time zone; DATE columns are
compared with ``$start::DATE`` / ``$end::DATE`` (DuckDB casts in the session's time
zone, which :func:`compute` sets). "Now" and "today" come from ``v_now``, so a pinned
clock (``ORDERTRACK_NOW``) pins the KPIs too.

Nothing heavy is imported here (duckdb only for type checking): the CLI can list KPIs
without loading a database driver. ``docs/kpis.md`` is :func:`kpi_doc_markdown`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ordertrack.errors import UserError
from ordertrack.report.periods import FORMS, Period, previous

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "BLOCKS",
    "KPIS",
    "Block",
    "Kpi",
    "KpiSession",
    "KpiValue",
    "compare",
    "compute",
    "kpi_doc_markdown",
]

Unit = Literal["%", "h", "d", "CNY", "count", "ratio", "score"]
Better = Literal["higher", "lower"] | None


@dataclass(frozen=True)
class Kpi:
    """One KPI: names, unit, which direction is good, the formula in words, the SQL."""

    id: str
    name_en: str
    name_zh: str
    unit: Unit
    better: Better
    formula_en: str
    formula_zh: str
    sql: str
    table_sql: str | None = None
    #: a snapshot of now (open orders today), the same whatever the period
    snapshot: bool = False
    #: ``reason`` code → (English, Chinese) text; ``{column}`` is filled from the row
    notes: Mapping[str, tuple[str, str]] = field(default_factory=dict, hash=False)

    def name_for(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def formula_for(self, lang: str = "en") -> str:
        return self.formula_zh if lang == "zh" else self.formula_en

    def note_for(self, reason: str | None, row: Mapping[str, Any], lang: str = "en") -> str | None:
        """The text of ``reason`` (from the KPI's row) in ``lang``; None without a reason."""
        if reason is None:
            return None
        texts = self.notes.get(reason)
        if texts is None:
            return reason
        return (texts[1] if lang == "zh" else texts[0]).format_map(
            {k: _fmt(v) for k, v in row.items()}
        )


@dataclass(frozen=True)
class KpiValue:
    """A KPI computed over one period. ``value`` is None when it cannot be computed
    (``note`` says why); ``extra`` holds the helper columns, ``rows`` a table KPI's rows."""

    kpi: Kpi
    value: Any
    extra: dict[str, Any]
    rows: list[dict[str, Any]] | None
    note: str | None

    def asdict(self) -> dict[str, Any]:
        return {
            "id": self.kpi.id,
            "unit": self.kpi.unit,
            "better": self.kpi.better,
            "value": self.value,
            "extra": dict(self.extra),
            "rows": None if self.rows is None else [dict(r) for r in self.rows],
            "note": self.note,
        }


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


# ---------------------------------------------------------------------------------------
# SQL building blocks: the blocks (temp tables built once per report) and the CTEs KPIs
# share; docs/kpis.md shows each block and each KPI's SQL whole

_DELIVERY_POS = "(SELECT min(position) FROM flow_stages WHERE milestone = 'delivered')"


@dataclass(frozen=True)
class Block:
    """A building block several KPIs read: materialized once per report, as a temporary
    table of that name, instead of being recomputed by every KPI and every period.

    ``$start``/``$end`` in a block's SQL are the bounds of the window it is built for:
    from the first day of the earliest period that needs it to the end of the latest.
    """

    name: str
    about_en: str
    about_zh: str
    sql: str
    #: built over the open orders of the moment (inside the sweep's live shadow)
    snapshot: bool = False


def _delivered(candidates: str) -> str:
    """CTEs ``ship_done``, ``flow_done``, ``delivered`` (order_id, delivered_at) for the
    orders of CTE ``candidates``: when every parcel of the order was signed for (the last
    signature), else when the flow first moved it into its delivered stage or a later one.
    """
    return f"""-- delivered: every parcel signed for (the last signature); else the first move
-- into the flow's delivered stage ([flow.on_import] delivered) or a later stage
ship_done AS (
    SELECT order_id, max(delivered_at) AS delivered_at
    FROM shipments
    WHERE order_id IN (SELECT order_id FROM {candidates})
    GROUP BY order_id
    HAVING count(*) = count(delivered_at)
),
flow_done AS (
    SELECT e.order_id, min(e.event_at) AS delivered_at
    FROM stage_events e
    JOIN flow_stages fs ON fs.stage_id = e.to_stage
    WHERE e.kind = 'move' AND e.order_id IN (SELECT order_id FROM {candidates})
      AND fs.position >= {_DELIVERY_POS}
    GROUP BY e.order_id
),
delivered AS (
    SELECT order_id, coalesce(s.delivered_at, f.delivered_at) AS delivered_at
    FROM ship_done s
    FULL JOIN flow_done f USING (order_id)
)"""


_BLOCKS: tuple[Block, ...] = (
    Block(
        "kpi_delivered",
        "Every delivered order and when: every parcel signed for (the last signature); "
        "else the first move into the flow's delivered stage or a later one.",
        "每个已交付订单及交付时间:所有包裹均已签收(取最后一次签收);否则取流程首次进入"
        "交付环节或其后环节的时间。",
        f"""WITH ship_done AS (
    SELECT order_id, max(delivered_at) AS delivered_at
    FROM shipments
    GROUP BY order_id
    HAVING count(*) = count(delivered_at)
),
flow_done AS (
    SELECT e.order_id, min(e.event_at) AS delivered_at
    FROM stage_events e
    JOIN flow_stages fs ON fs.stage_id = e.to_stage
    WHERE e.kind = 'move' AND fs.position >= {_DELIVERY_POS}
      AND e.order_id NOT IN (SELECT order_id FROM ship_done)  -- the parcels tell those
    GROUP BY e.order_id
)
SELECT order_id, coalesce(s.delivered_at, f.delivered_at) AS delivered_at
FROM ship_done s
FULL JOIN flow_done f USING (order_id)""",
    ),
    Block(
        "kpi_closed",
        "When each order left the open states: cancelled, or moved into the last stage.",
        "每个订单结束的时间:取消,或进入最后一个环节。",
        """SELECT order_id, max(event_at) AS closed_at
FROM stage_events
WHERE kind = 'cancel'
   OR (kind = 'move'
       AND to_stage = (SELECT stage_id FROM flow_stages ORDER BY position DESC LIMIT 1))
GROUP BY order_id""",
    ),
    Block(
        "kpi_stays",
        "The stays in a stage that ended in the window (the order moved on): the rows of "
        "v_stage_durations whose left_at falls in it, with their length in hours and in "
        "business hours. Only the orders that moved in the window are read.",
        "窗口内结束的环节停留(订单离开该环节):v_stage_durations 中 left_at 落在窗口内的"
        "记录,附停留小时数与工作小时数。只读取窗口内有流转的订单。",
        """WITH moved AS (
    SELECT DISTINCT order_id FROM stage_events
    WHERE kind = 'move' AND event_at >= $start AND event_at < $end
),
moves AS (
    SELECT e.order_id, e.to_stage AS stage, e.event_at AS entered_at,
           lead(e.event_at) OVER (PARTITION BY e.order_id ORDER BY e.event_at, e.event_id)
               AS left_at
    FROM stage_events e
    JOIN moved USING (order_id)
    WHERE e.kind = 'move'
)
SELECT order_id, stage, entered_at, left_at,
       date_diff('second', entered_at, left_at) / 3600.0 AS hours,
       business_hours_between(entered_at, left_at) AS business_hours
FROM moves
WHERE left_at >= $start AND left_at < $end""",
    ),
    Block(
        "kpi_open_facts",
        "The open orders of the moment (open or on hold) with their projected dates, "
        "from v_order_facts.",
        "当前未完结的订单(进行中或暂停)及其预计日期,取自 v_order_facts。",
        """SELECT order_id, customer, sales_rep, stage_name, promised_date,
       projected_delivery_date, before_delivered, as_of
FROM v_order_facts
WHERE state IN ('open', 'on_hold')""",
        snapshot=True,
    ),
    Block(
        "kpi_short_lines",
        "The order lines short of stock now, from v_line_facts.",
        "当前缺货的订单行,取自 v_line_facts。",
        """SELECT order_id, sku, shortage_qty, available, open_demand_to_here
FROM v_line_facts
WHERE is_short""",
        snapshot=True,
    ),
)

#: The building blocks, by name (temporary tables while a report is computed).
BLOCKS: dict[str, Block] = {b.name: b for b in _BLOCKS}

# Orders delivered in the period, cancelled aside.
_DONE = """done AS (
    SELECT o.order_id, o.order_date, o.promised_date, d.delivered_at
    FROM kpi_delivered d
    JOIN orders o USING (order_id)
    WHERE d.delivered_at >= $start AND d.delivered_at < $end AND o.state <> 'cancelled'
)"""

# Orders due in the period: promised date in it, cancelled aside.
_DUE = """due AS (
    SELECT order_id, customer, customer_id, sales_rep, promised_date
    FROM orders
    WHERE promised_date >= $start::DATE AND promised_date < $end::DATE
      AND state <> 'cancelled'
)"""

# The orders due, graded: on_time (delivered on or before the promised day), late
# (delivered after it), late_open (not delivered, promised day passed), not_yet_due (not
# delivered, promised day not passed yet).
_GRADED = """graded AS (
    SELECT due.*, d.delivered_at,
           CASE WHEN d.delivered_at::DATE <= due.promised_date THEN 'on_time'
                WHEN d.delivered_at IS NOT NULL THEN 'late'
                WHEN due.promised_date < (SELECT now FROM v_now)::DATE THEN 'late_open'
                ELSE 'not_yet_due' END AS grade
    FROM due
    LEFT JOIN kpi_delivered d USING (order_id)
)"""

_DUE_IN_PERIOD = f"""{_DUE},
{_GRADED}"""

# The stays that ended in the period.
_STAYS_ENDED = """stays AS (
    SELECT * FROM kpi_stays WHERE left_at >= $start AND left_at < $end
)"""

_STAGE_DWELL_ROWS = f"""WITH {_STAYS_ENDED},
per_stage AS (
    SELECT fs.position, fs.stage_id AS stage, fs.name, fs.owner_role, fs.sla_hours,
           count(s.stage) AS n,
           quantile_cont(s.hours, 0.5) AS median_hours,
           quantile_cont(s.hours, 0.9) AS p90_hours,
           quantile_cont(s.business_hours, 0.5) AS median_business_hours,
           quantile_cont(s.business_hours, 0.5) / fs.sla_hours AS sla_ratio
    FROM flow_stages fs
    LEFT JOIN stays s ON s.stage = fs.stage_id
    GROUP BY fs.position, fs.stage_id, fs.name, fs.owner_role, fs.sla_hours
)"""

_SLA_BREACH_ROWS = f"""WITH {_STAYS_ENDED},
per_stage AS (
    SELECT fs.position, fs.stage_id AS stage, fs.name, fs.owner_role, fs.sla_hours,
           count(s.stage) AS stays,
           count(s.stage) FILTER (WHERE s.business_hours > fs.sla_hours) AS breaches,
           100.0 * count(s.stage) FILTER (WHERE s.business_hours > fs.sla_hours)
               / nullif(count(s.stage), 0) AS breach_share,
           quantile_cont(s.business_hours - fs.sla_hours, 0.5)
               FILTER (WHERE s.business_hours > fs.sla_hours) AS median_excess_hours
    FROM flow_stages fs
    LEFT JOIN stays s ON s.stage = fs.stage_id
    WHERE fs.sla_hours IS NOT NULL
    GROUP BY fs.position, fs.stage_id, fs.name, fs.owner_role, fs.sla_hours
)"""

_OPEN_STATES = "('open', 'on_hold')"


def _top_late(column: str, label: str) -> tuple[str, str]:
    """(headline SQL, table SQL) of the late orders due in the period, per ``column``."""
    base = f"""WITH {_DUE_IN_PERIOD},
per AS (
    SELECT {column} AS {label},
           count(*) AS due,
           count(*) FILTER (WHERE grade IN ('late', 'late_open')) AS late,
           100.0 * count(*) FILTER (WHERE grade IN ('late', 'late_open')) / count(*) AS late_share
    FROM graded
    WHERE grade <> 'not_yet_due'
    GROUP BY {column}
)"""
    headline = f"""{base}
SELECT count(*) FILTER (WHERE late > 0) AS value,
       (SELECT sum(due) FROM per) AS due,
       (SELECT sum(late) FROM per) AS late,
       (SELECT {label} FROM per WHERE late > 0
        ORDER BY late DESC, late_share DESC, {label} NULLS LAST LIMIT 1) AS top,
       CASE WHEN (SELECT count(*) FROM graded WHERE grade <> 'not_yet_due') = 0
            THEN 'none_due' END AS reason
FROM per"""
    table = f"""{base}
SELECT {label}, due, late, late_share
FROM per
WHERE late > 0
ORDER BY late DESC, late_share DESC, {label} NULLS LAST
LIMIT 10"""
    return headline, table


_CUSTOMERS_SQL, _CUSTOMERS_TABLE = _top_late("coalesce(customer, customer_id)", "customer")
_REPS_SQL, _REPS_TABLE = _top_late("sales_rep", "sales_rep")

_NONE_DUE = (
    "no order was due in the period",
    "本期没有到期的订单",
)


# ---------------------------------------------------------------------------------------
# the registry

_REGISTRY: tuple[Kpi, ...] = (
    Kpi(
        id="on_time_delivery",
        name_en="On-time delivery (OTD)",
        name_zh="准时交付率",
        unit="%",
        better="higher",
        formula_en=(
            "Of the orders whose promised date falls in the period (cancelled orders aside), "
            "the share delivered on or before the promised day; an order not delivered whose "
            "promised day has passed counts as late, and one whose promised day has not come "
            "yet (only in a period that ends after today) is left out. Orders without a "
            "promised date cannot be judged: those delivered in the period are counted "
            "apart (no_promise)."
        ),
        formula_zh=(
            "承诺交期落在本期的订单(已取消的除外)中,在承诺当日或之前交付的比例;"
            "承诺日已过仍未交付的订单计为延迟,承诺日未到且未交付的订单(仅当本期结束于今天之后)"
            "不计入。没有承诺交期的订单无法判断,本期交付的此类订单单独计数(no_promise)。"
        ),
        sql=f"""WITH {_DUE},
{_GRADED},
{_DONE},
counts AS (
    SELECT count(*) FILTER (WHERE grade = 'on_time') AS on_time,
           count(*) FILTER (WHERE grade = 'late') AS late,
           count(*) FILTER (WHERE grade = 'late_open') AS late_open,
           count(*) FILTER (WHERE grade = 'not_yet_due') AS not_yet_due,
           (SELECT count(*) FROM done WHERE promised_date IS NULL) AS no_promise
    FROM graded
)
SELECT 100.0 * on_time / nullif(on_time + late + late_open, 0) AS value,
       on_time + late + late_open AS n, on_time, late, late_open, not_yet_due, no_promise,
       CASE WHEN on_time + late + late_open = 0 AND not_yet_due > 0 THEN 'none_due_yet'
            WHEN on_time + late + late_open = 0 THEN 'none_due'
            WHEN not_yet_due + no_promise > 0 THEN 'excluded' END AS reason
FROM counts""",
        notes={
            "none_due": _NONE_DUE,
            "none_due_yet": (
                "no order due in the period has reached its promised date yet "
                "({not_yet_due} still to come)",
                "本期到期的订单均未到承诺日(尚有 {not_yet_due} 单未到期)",
            ),
            "excluded": (
                "not counted: {not_yet_due} not delivered and not yet due, "
                "{no_promise} delivered without a promised date",
                "未计入:{not_yet_due} 单未交付且未到承诺日,{no_promise} 单已交付但无承诺交期",
            ),
        },
    ),
    Kpi(
        id="order_cycle_time",
        name_en="Order cycle time",
        name_zh="订单周期",
        unit="d",
        better="lower",
        formula_en=(
            "For the orders delivered in the period (cancelled orders aside): calendar days "
            "from the order date to the day of delivery; the headline is the median, with "
            "the mean and the 90th percentile beside it. Orders without an order date are "
            "counted apart (no_order_date)."
        ),
        formula_zh=(
            "本期交付的订单(已取消的除外):从下单日期到交付当日的自然日数;主指标为中位数,"
            "并列出平均值和第 90 百分位数。没有下单日期的订单单独计数(no_order_date)。"
        ),
        sql=f"""WITH {_DONE}
SELECT quantile_cont(days, 0.5) AS value,
       count(days) AS n,
       avg(days) AS mean,
       quantile_cont(days, 0.5) AS median,
       quantile_cont(days, 0.9) AS p90,
       count(*) FILTER (WHERE days IS NULL) AS no_order_date,
       CASE WHEN count(days) = 0 THEN 'none' END AS reason
FROM (SELECT delivered_at::DATE - order_date AS days FROM done)""",
        notes={"none": ("no order was delivered in the period", "本期没有交付的订单")},
    ),
    Kpi(
        id="stage_dwell",
        name_en="Stage dwell time and bottleneck",
        name_zh="各环节停留时间与瓶颈",
        unit="h",
        better="lower",
        formula_en=(
            "Per stage of the flow, the stays that ended in the period (the order moved on; "
            "the rows of v_stage_durations whose left_at falls in the period): their number, "
            "median and 90th percentile in hours. The bottleneck is the stage whose median "
            "(in business hours when a work calendar is set) is the largest multiple of its "
            "SLA; when no stage that had stays has an SLA, the stage with the longest median."
        ),
        formula_zh=(
            "按流程环节统计本期结束的停留(订单离开该环节,即 v_stage_durations 中 left_at "
            "落在本期的记录):次数、中位数与第 90 百分位数(小时)。瓶颈环节为中位停留时间"
            "(设置工作日历时按工作小时计)与其 SLA 之比最大的环节;有停留的环节都没有 SLA 时,"
            "取中位停留时间最长的环节。"
        ),
        sql=f"""{_STAGE_DWELL_ROWS}
SELECT b.stage AS value, b.name, b.median_hours, b.sla_hours, b.sla_ratio,
       (SELECT sum(n) FROM per_stage) AS n,
       CASE WHEN b.stage IS NULL THEN 'none' END AS reason
FROM (SELECT 1) AS one
LEFT JOIN (
    -- stages with an SLA rank first, by median / SLA; then by median hours
    SELECT * FROM per_stage
    WHERE n > 0
    ORDER BY sla_ratio IS NULL, sla_ratio DESC, median_hours DESC, position
    LIMIT 1
) AS b ON true""",
        table_sql=f"""{_STAGE_DWELL_ROWS}
SELECT stage, name, owner_role, sla_hours, n, median_hours, p90_hours,
       median_business_hours, sla_ratio
FROM per_stage
ORDER BY position""",
        notes={"none": ("no order left a stage in the period", "本期没有订单离开任何环节")},
    ),
    Kpi(
        id="sla_breaches",
        name_en="SLA breaches",
        name_zh="超时(SLA)次数",
        unit="count",
        better="lower",
        formula_en=(
            "Stays in a stage with an SLA that ended in the period (as in stage dwell) and "
            "lasted longer than the SLA (in business hours when a work calendar is set), per "
            "stage and its owner role; the headline is their total, the share is of all "
            "such stays. Stays still running are not counted here (the alerts show them)."
        ),
        formula_zh=(
            "本期结束的、在设有 SLA 的环节中的停留(同停留时间口径),停留时长超过 SLA"
            "(设置工作日历时按工作小时计)的次数,按环节及其负责角色列出;主指标为总次数,"
            "占比为其占全部此类停留的比例。仍在进行中的停留不在此计(见预警)。"
        ),
        sql=f"""{_SLA_BREACH_ROWS}
SELECT sum(breaches) AS value,
       sum(stays) AS stays,
       100.0 * sum(breaches) / nullif(sum(stays), 0) AS share,
       CASE WHEN coalesce(sum(stays), 0) = 0 THEN 'none' END AS reason
FROM per_stage""",
        table_sql=f"""{_SLA_BREACH_ROWS}
SELECT stage, name, owner_role, sla_hours, stays, breaches, breach_share,
       median_excess_hours
FROM per_stage
ORDER BY position""",
        notes={
            "none": (
                "no order left a stage with an SLA in the period",
                "本期没有订单离开设有 SLA 的环节",
            )
        },
    ),
    Kpi(
        id="exception_share",
        name_en="Exception-order share",
        name_zh="异常订单占比",
        unit="%",
        better="lower",
        formula_en=(
            "Of the orders open at some time in the period, the share that had an alert "
            "firing at some time in it (fired before the period's end and not resolved "
            "before its start; alerts that never fired are not counted). An order is open "
            "from its order date (else from when it was imported) until it is cancelled or "
            "enters the flow's last stage."
        ),
        formula_zh=(
            "本期内任一时刻处于未完结状态的订单中,本期内任一时刻有预警触发(在本期结束前触发且"
            "未在本期开始前解除;从未触发的预警不计)的订单所占比例。订单自下单日期(无则自导入时)"
            "起未完结,直到被取消或进入流程最后一个环节。"
        ),
        sql=f"""WITH open_orders AS (
    SELECT o.order_id
    FROM orders o
    LEFT JOIN kpi_closed c USING (order_id)
    -- ordered before the period's end (no cast per row: $end is a midnight)
    WHERE (o.order_date < $end::DATE OR (o.order_date IS NULL AND o.created_at < $end))
      AND (o.state IN {_OPEN_STATES} OR coalesce(c.closed_at, o.updated_at) >= $start)
),
flagged AS (
    SELECT order_id, bool_or(severity = 'critical') AS critical
    FROM alerts
    WHERE fired_at IS NOT NULL AND fired_at < $end
      AND (resolved_at IS NULL OR resolved_at >= $start)
    GROUP BY order_id
)
SELECT 100.0 * count(f.order_id) / nullif(count(*), 0) AS value,
       count(f.order_id) AS exception_orders,
       count(*) FILTER (WHERE f.critical) AS critical_orders,
       count(*) AS open_orders,
       CASE WHEN count(*) = 0 THEN 'none' END AS reason
FROM open_orders o
LEFT JOIN flagged f USING (order_id)""",
        notes={"none": ("no order was open in the period", "本期没有未完结的订单")},
    ),
    Kpi(
        id="automation_rate",
        name_en="Automation rate",
        name_zh="自动化率",
        unit="%",
        better="higher",
        formula_en=(
            "Of the stage moves recorded in the period (stage_events of kind move), the "
            "share not made by hand: via import, rule or auto rather than cli. Moves loaded "
            "from a stage-history file are via import and count as not by hand; by_import "
            "shows how many there were."
        ),
        formula_zh=(
            "本期记录的环节流转(stage_events 中 kind 为 move 的记录)中,非手工操作"
            "(via 为 import、rule 或 auto,而非 cli)的比例。从环节历史文件导入的流转记为 "
            "import,计为非手工;by_import 列出其数量。"
        ),
        sql="""SELECT 100.0 * count(*) FILTER (WHERE via <> 'cli') / nullif(count(*), 0) AS value,
       count(*) AS n,
       count(*) FILTER (WHERE via <> 'cli') AS automated,
       count(*) FILTER (WHERE via = 'cli') AS by_hand,
       count(*) FILTER (WHERE via = 'import') AS by_import,
       count(*) FILTER (WHERE via = 'rule') AS by_rule,
       count(*) FILTER (WHERE via = 'auto') AS by_auto,
       CASE WHEN count(*) = 0 THEN 'none' END AS reason
FROM stage_events
WHERE kind = 'move' AND event_at >= $start AND event_at < $end""",
        notes={"none": ("no order moved in the period", "本期没有订单流转")},
    ),
    Kpi(
        id="expedite_freight_cost",
        name_en="Expedite freight cost",
        name_zh="加急运费",
        unit="CNY",
        better="lower",
        formula_en=(
            "The sum of freight_cost of the shipments marked expedited that left the "
            "warehouse (shipped_at) in the period; share is their part of the freight of "
            "all shipments that left in the period. Shipments without an expedited flag "
            "count as not expedited."
        ),
        formula_zh=(
            "本期发货(shipped_at 落在本期)且标记为加急的发货单运费(freight_cost)之和;"
            "share 为其占本期全部发货运费的比例。未标记是否加急的发货单按不加急计。"
        ),
        sql="""SELECT coalesce(sum(freight_cost) FILTER (WHERE expedited), 0) AS value,
       count(*) FILTER (WHERE expedited) AS n,
       count(*) AS shipments,
       coalesce(sum(freight_cost), 0) AS freight,
       100.0 * sum(freight_cost) FILTER (WHERE expedited) / nullif(sum(freight_cost), 0)
           AS share,
       CASE WHEN count(*) = 0 THEN 'none' END AS reason
FROM shipments
WHERE shipped_at >= $start AND shipped_at < $end""",
        notes={"none": ("nothing was shipped in the period", "本期没有发货")},
    ),
    Kpi(
        id="inventory_turnover",
        name_en="Inventory turnover",
        name_zh="库存周转率",
        unit="ratio",
        better="higher",
        formula_en=(
            "Cost of the goods shipped in the period ÷ the average inventory value. Goods "
            "shipped: the lines of the orders whose first parcel left in the period, at "
            "each SKU's unit cost in its latest inventory snapshot before the period ends "
            "(averaged over warehouses). Average inventory value: the mean, over the "
            "snapshot days in the period plus the last one before it (the opening stock), "
            "of Σ on_hand × unit_cost. For the period, not annualised (annualised = value "
            "× 365 ÷ days). No value without a snapshot on or before the period's end."
        ),
        formula_zh=(
            "本期发货商品成本 ÷ 平均库存金额。发货商品:首个包裹在本期发出的订单的全部订单行,"
            "按各物料在本期结束前最近一次库存快照中的单位成本(多仓取平均)计。平均库存金额:"
            "本期内各快照日及本期前最后一个快照日(期初库存)的 Σ 现存量 × 单位成本 的平均值。"
            "为本期值,未年化(年化 = 本值 × 365 ÷ 天数)。本期结束前没有任何库存快照时无值。"
        ),
        sql="""WITH snapshot_days AS (
    SELECT DISTINCT as_of FROM inventory_history
    WHERE as_of >= $start::DATE AND as_of < $end::DATE
    UNION
    SELECT max(as_of) FROM inventory_history WHERE as_of < $start::DATE
),
stock AS (
    SELECT h.as_of, sum(h.on_hand * h.unit_cost)::DOUBLE AS stock_value
    FROM inventory_history h
    JOIN snapshot_days USING (as_of)
    GROUP BY h.as_of
),
unit_cost AS (
    -- each SKU's unit cost in its latest snapshot before the period ends
    SELECT sku, avg(unit_cost) AS unit_cost
    FROM (
        SELECT sku, as_of, unit_cost, max(as_of) OVER (PARTITION BY sku) AS latest
        FROM inventory_history
        WHERE as_of < $end::DATE AND unit_cost IS NOT NULL
    )
    WHERE as_of = latest
    GROUP BY sku
),
shipped AS (
    -- the orders whose first parcel left in the period
    SELECT order_id FROM shipments
    WHERE order_id IN (
        SELECT order_id FROM shipments WHERE shipped_at >= $start AND shipped_at < $end
    )
    GROUP BY order_id
    HAVING min(shipped_at) >= $start
),
cogs AS (
    SELECT coalesce(sum(l.qty * c.unit_cost), 0)::DOUBLE AS cogs,
           count(*) AS lines,
           count(*) FILTER (WHERE c.unit_cost IS NULL) AS lines_without_cost
    FROM shipped s
    JOIN order_lines l USING (order_id)
    LEFT JOIN unit_cost c USING (sku)
),
inv AS (
    SELECT avg(stock_value) AS avg_inventory, count(*) AS snapshots, min(as_of) AS first_snapshot
    FROM stock
)
SELECT cogs.cogs / nullif(inv.avg_inventory, 0) AS value,
       cogs.cogs / nullif(inv.avg_inventory, 0) * 365 / ($end::DATE - $start::DATE) AS annualized,
       cogs.cogs, inv.avg_inventory, inv.snapshots, inv.first_snapshot,
       cogs.lines, cogs.lines_without_cost,
       CASE WHEN inv.snapshots = 0 THEN 'no_snapshot'
            WHEN coalesce(inv.avg_inventory, 0) = 0 THEN 'no_value' END AS reason
FROM cogs, inv""",
        notes={
            "no_snapshot": (
                "no inventory snapshot on or before the period's end: import an inventory file",
                "本期结束前没有库存快照:请导入库存文件",
            ),
            "no_value": (
                "the inventory snapshots carry no value (no unit costs)",
                "库存快照没有金额(缺少单位成本)",
            ),
        },
    ),
    Kpi(
        id="complaint_rate",
        name_en="Complaint rate",
        name_zh="投诉率",
        unit="%",
        better="lower",
        formula_en=(
            "Feedback rows marked as complaints received in the period ÷ orders delivered "
            "in the period (cancelled orders aside). A complaint counts once per feedback "
            "row, whichever order (and delivery date) it is about. No value while no "
            "feedback with a complaint flag has ever been imported."
        ),
        formula_zh=(
            "本期收到的投诉(标记为投诉的反馈记录)数 ÷ 本期交付的订单数(已取消的除外)。"
            "每条反馈记录计一次,不论涉及哪张订单及其交付日期。从未导入带投诉标记的反馈时无值。"
        ),
        sql=f"""WITH {_DONE},
complaints AS (
    SELECT count(*) FILTER (WHERE complaint) AS n FROM feedback
    WHERE received_date >= $start::DATE AND received_date < $end::DATE
),
imported AS (SELECT count(*) AS n FROM feedback WHERE complaint IS NOT NULL)
SELECT CASE WHEN imported.n > 0 THEN 100.0 * complaints.n / nullif(d.n, 0) END AS value,
       complaints.n AS complaints,
       d.n AS delivered,
       CASE WHEN imported.n = 0 THEN 'no_feedback'
            WHEN d.n = 0 THEN 'none_delivered' END AS reason
FROM complaints, imported, (SELECT count(*) AS n FROM done) d""",
        notes={
            "no_feedback": (
                "no customer feedback with a complaint flag has been imported",
                "尚未导入带投诉标记的客户反馈",
            ),
            "none_delivered": ("no order was delivered in the period", "本期没有交付的订单"),
        },
    ),
    Kpi(
        id="nps",
        name_en="Net promoter score (NPS)",
        name_zh="净推荐值(NPS)",
        unit="score",
        better="higher",
        formula_en=(
            "Of the feedback answers with an NPS score received in the period: % promoters "
            "(9–10) − % detractors (0–6), from −100 to 100; each answer counts once."
        ),
        formula_zh=(
            "本期收到的带 NPS 评分的反馈中:推荐者(9–10 分)占比 − 贬损者(0–6 分)占比,"
            "取值 −100 到 100;每条反馈计一次。"
        ),
        sql="""SELECT 100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))
           / nullif(count(*), 0) AS value,
       count(*) AS n,
       count(*) FILTER (WHERE nps >= 9) AS promoters,
       count(*) FILTER (WHERE nps BETWEEN 7 AND 8) AS passives,
       count(*) FILTER (WHERE nps <= 6) AS detractors,
       CASE WHEN count(*) = 0 THEN 'none' END AS reason
FROM feedback
WHERE nps IS NOT NULL AND received_date >= $start::DATE AND received_date < $end::DATE""",
        notes={"none": ("no NPS answer was received in the period", "本期没有收到 NPS 评分")},
    ),
    Kpi(
        id="exception_effort",
        name_en="Exception-handling effort",
        name_zh="异常处理用时",
        unit="h",
        better="lower",
        formula_en=(
            "For the tasks created by rules (kind rule: exceptions, not the routine tasks a "
            "stage hands out) marked done in the period: hours from opened to done, "
            "wall-clock; the headline is the median, with the count, mean and 90th "
            "percentile, and how many were done after their due time."
        ),
        formula_zh=(
            "本期完成的、由规则创建的任务(kind 为 rule,即异常处理,不含环节自动派发的例行任务):"
            "从创建到完成的小时数(自然时间);主指标为中位数,并列出数量、平均值、第 90 百分位数"
            "及超过截止时间完成的数量。"
        ),
        sql="""SELECT quantile_cont(hours, 0.5) AS value,
       count(*) AS n,
       avg(hours) AS mean,
       quantile_cont(hours, 0.5) AS median,
       quantile_cont(hours, 0.9) AS p90,
       count(*) FILTER (WHERE done_at > due_at) AS done_late,
       CASE WHEN count(*) = 0 THEN 'none' END AS reason
FROM (
    SELECT date_diff('second', opened_at, done_at) / 3600.0 AS hours, done_at, due_at
    FROM tasks
    WHERE kind = 'rule' AND state = 'done' AND done_at >= $start AND done_at < $end
)""",
        notes={
            "none": (
                "no exception task was done in the period",
                "本期没有完成的异常处理任务",
            )
        },
    ),
    Kpi(
        id="flow_config_changes",
        name_en="Flow changes",
        name_zh="流程变更次数",
        unit="count",
        better=None,
        formula_en=(
            "Changes to the flow recorded in the audit log in the period: rows of command "
            "`flow rename-stage` (stage renames, the only flow change ordertrack records). "
            "Edits of ordertrack.toml itself (stages, SLAs, rules) leave no audit row and "
            "are not counted."
        ),
        formula_zh=(
            "本期审计日志中记录的流程变更:命令为 `flow rename-stage`(环节改名,ordertrack "
            "唯一记录的流程变更)的记录数。直接编辑 ordertrack.toml(环节、SLA、规则)不留审计"
            "记录,不计入。"
        ),
        sql="""SELECT count(*) AS value
FROM audit_log
WHERE command IN ('flow rename-stage') AND logged_at >= $start AND logged_at < $end""",
        table_sql="""SELECT logged_at, actor, command, args::VARCHAR AS args
FROM audit_log
WHERE command IN ('flow rename-stage') AND logged_at >= $start AND logged_at < $end
ORDER BY logged_at, audit_id""",
    ),
    Kpi(
        id="top_late_customers",
        name_en="Customers with late orders",
        name_zh="延迟订单最多的客户",
        unit="count",
        better="lower",
        formula_en=(
            "Among the orders due in the period (judged as in on-time delivery, orders not "
            "yet due left out), the late ones per customer: the ten customers with the most, "
            "with how many of their orders were due and the late share. The headline is the "
            "number of customers with at least one late order."
        ),
        formula_zh=(
            "本期到期的订单(按准时交付率口径判断,未到承诺日的不计)中,按客户统计延迟订单:"
            "延迟最多的前十个客户,及其到期订单数与延迟比例。主指标为至少有一张延迟订单的客户数。"
        ),
        sql=_CUSTOMERS_SQL,
        table_sql=_CUSTOMERS_TABLE,
        notes={"none_due": _NONE_DUE},
    ),
    Kpi(
        id="top_late_reps",
        name_en="Sales reps with late orders",
        name_zh="延迟订单最多的业务员",
        unit="count",
        better="lower",
        formula_en=(
            "As customers with late orders, per sales rep (orders.sales_rep): the ten reps "
            "with the most late orders due in the period. The headline is the number of "
            "reps with at least one late order."
        ),
        formula_zh=(
            "同延迟订单最多的客户,按业务员(orders.sales_rep)统计:本期到期订单中延迟最多的前十名"
            "业务员。主指标为至少有一张延迟订单的业务员人数。"
        ),
        sql=_REPS_SQL,
        table_sql=_REPS_TABLE,
        notes={"none_due": _NONE_DUE},
    ),
    Kpi(
        id="late_now",
        name_en="Late orders now",
        name_zh="当前延迟订单",
        unit="count",
        better="lower",
        formula_en=(
            "Now, whatever the period: open or on-hold orders whose promised day has passed "
            "(promised_date before today) and that are not delivered (as in on-time "
            "delivery: a partly delivered order is not delivered)."
        ),
        formula_zh=(
            "当前时刻(与所选期间无关):承诺日已过(承诺交期早于今天)且尚未交付(同准时交付率口径:"
            "部分交付不算交付)的未完结或暂停订单数。"
        ),
        sql=f"""WITH past_due AS (
    SELECT order_id FROM orders
    WHERE state IN {_OPEN_STATES} AND promised_date < (SELECT now FROM v_now)::DATE
),
{_delivered("past_due")}
SELECT count(*) FILTER (WHERE d.delivered_at IS NULL) AS value,
       (SELECT count(*) FROM orders WHERE state IN {_OPEN_STATES}) AS open_orders
FROM past_due p
LEFT JOIN delivered d USING (order_id)""",
        snapshot=True,
    ),
    Kpi(
        id="at_risk",
        name_en="Orders at risk",
        name_zh="有延迟风险的订单",
        unit="count",
        better="lower",
        formula_en=(
            "Now, whatever the period: open or on-hold orders not yet late (promised day "
            "today or later) and not delivered whose projected delivery date "
            "(v_order_facts.projected_delivery_date, from past stage durations) is after the "
            "promised date, as the projected_late rule of the template sees them. No "
            "projection without stage history (stage_forecast is refreshed by alerts run)."
        ),
        formula_zh=(
            "当前时刻(与所选期间无关):尚未延迟(承诺日为今天或之后)且未交付、但预计交付日期"
            "(v_order_facts.projected_delivery_date,按历史环节用时推算)晚于承诺交期的未完结或"
            "暂停订单数,与模板中 projected_late 规则口径相同。没有环节历史时无法推算"
            "(stage_forecast 由 alerts run 刷新)。"
        ),
        sql="""SELECT count(*) FILTER (WHERE projected_delivery_date > promised_date) AS value,
       count(*) FILTER (WHERE projected_delivery_date IS NULL) AS not_projected,
       (SELECT count(*) FROM kpi_open_facts) AS open_orders
FROM kpi_open_facts
WHERE before_delivered AND promised_date >= as_of::DATE""",
        table_sql="""SELECT order_id, customer, sales_rep, stage_name AS stage, promised_date,
       projected_delivery_date,
       date_diff('day', promised_date, projected_delivery_date) AS days_late_projected
FROM kpi_open_facts
WHERE before_delivered AND promised_date >= as_of::DATE
  AND projected_delivery_date > promised_date
ORDER BY promised_date, days_late_projected DESC, order_id
LIMIT 50""",
        snapshot=True,
    ),
    Kpi(
        id="stock_shortages",
        name_en="Stock shortages by SKU",
        name_zh="物料缺货(按物料)",
        unit="count",
        better="lower",
        formula_en=(
            "Now, whatever the period: SKUs that open order lines (order open, nothing shipped) "
            "are short of, when the available stock (on hand − reserved, in the warehouses "
            "[inventory] counts) is allocated to open lines in promised-date order "
            "(v_line_facts.is_short). Per SKU: short lines, orders, quantity short, available "
            "stock and open demand; the 20 SKUs with most quantity short. The headline is the "
            "number of SKUs short."
        ),
        formula_zh=(
            "当前时刻(与所选期间无关):按承诺交期先后把可用库存(现存量 − 预留,[inventory] "
            "所列仓库)分配给未发货的未完结订单行后仍不足的物料(v_line_facts.is_short)。"
            "按物料列出缺货行数、订单数、缺货数量、可用库存与未结需求,取缺货数量最多的 20 个;"
            "主指标为缺货物料数。"
        ),
        sql="""SELECT count(DISTINCT sku) AS value,
       count(*) AS short_lines,
       count(DISTINCT order_id) AS orders
FROM kpi_short_lines""",
        table_sql="""SELECT sku, count(*) AS short_lines, count(DISTINCT order_id) AS orders,
       sum(shortage_qty) AS shortage_qty, any_value(available) AS available,
       max(open_demand_to_here) AS open_demand
FROM kpi_short_lines
GROUP BY sku
ORDER BY shortage_qty DESC, sku
LIMIT 20""",
        snapshot=True,
    ),
    Kpi(
        id="open_funnel",
        name_en="Open orders by stage",
        name_zh="各环节在途订单",
        unit="count",
        better=None,
        formula_en=(
            "Now, whatever the period: open and on-hold orders per stage they are in, in the "
            "order of the flow (an order the flow has not moved yet is in the first stage); "
            "orders in a stage the flow no longer has come last. The headline is their total."
        ),
        formula_zh=(
            "当前时刻(与所选期间无关):按所在环节统计未完结及暂停的订单数,按流程顺序排列"
            "(尚未流转的订单在第一个环节);处于流程中已不存在的环节的订单列在最后。主指标为总数。"
        ),
        sql=f"""SELECT count(*) AS value,
       count(*) FILTER (WHERE state = 'on_hold') AS on_hold
FROM orders
WHERE state IN {_OPEN_STATES}""",
        table_sql=f"""WITH open_orders AS (
    SELECT coalesce(stage, (SELECT stage_id FROM flow_stages ORDER BY position LIMIT 1))
               AS stage,
           state
    FROM orders
    WHERE state IN {_OPEN_STATES}
)
SELECT coalesce(fs.stage_id, o.stage) AS stage, coalesce(fs.name, o.stage) AS name, fs.owner_role,
       count(o.stage) AS orders,
       count(o.stage) FILTER (WHERE o.state = 'on_hold') AS on_hold
FROM flow_stages fs
FULL JOIN open_orders o ON o.stage = fs.stage_id
GROUP BY fs.position, fs.stage_id, o.stage, fs.name, fs.owner_role
ORDER BY fs.position NULLS LAST, stage""",
        snapshot=True,
    ),
)

#: Every KPI, by id, in the order packs and docs list them.
KPIS: dict[str, Kpi] = {k.id: k for k in _REGISTRY}


# ---------------------------------------------------------------------------------------
# computing


def _plain(v: Any) -> Any:
    """DECIMAL → float (charts and JSON want numbers); everything else as DuckDB gave it."""
    if isinstance(v, Decimal):
        return float(v)
    return v


def _params(sql: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The named parameters ``sql`` uses (DuckDB refuses ones it does not)."""
    given = {"start": start, "end": end}
    used = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in given.items() if k in used}


def _require(kpi_ids: Sequence[str]) -> list[Kpi]:
    unknown = [k for k in kpi_ids if k not in KPIS]
    if unknown:
        raise UserError(
            f"unknown KPI {', '.join(repr(k) for k in unknown)}",
            hint=f"The KPIs are: {', '.join(KPIS)} (docs/kpis.md).",
        )
    return [KPIS[k] for k in kpi_ids]


@contextlib.contextmanager
def _timezone(con: duckdb.DuckDBPyConnection, tz: str | None) -> Iterator[str]:
    """The session's time zone set to ``tz`` while the block runs (then put back)."""
    row = con.execute("SELECT current_setting('TimeZone')").fetchone()
    current = str(row[0]) if row else "UTC"
    if tz is None or tz == current:
        yield current
        return
    quoted = tz.replace("'", "''")
    con.execute(f"SET TimeZone = '{quoted}'")
    try:
        yield tz
    finally:
        back = current.replace("'", "''")
        con.execute(f"SET TimeZone = '{back}'")


def _run(
    con: duckdb.DuckDBPyConnection, kpi: Kpi, start: datetime, end: datetime, lang: str
) -> KpiValue:
    cur = con.execute(kpi.sql, _params(kpi.sql, start, end))
    names = [d[0] for d in cur.description or []]
    row = cur.fetchone()
    values = {n: _plain(v) for n, v in zip(names, row or (), strict=False)}
    value = values.pop("value", None)
    reason = values.pop("reason", None)
    rows: list[dict[str, Any]] | None = None
    if kpi.table_sql is not None:
        tcur = con.execute(kpi.table_sql, _params(kpi.table_sql, start, end))
        tnames = [d[0] for d in tcur.description or []]
        rows = [{n: _plain(v) for n, v in zip(tnames, r, strict=True)} for r in tcur.fetchall()]
    return KpiValue(kpi, value, values, rows, kpi.note_for(reason, values, lang))


def _blocks_of(kpi: Kpi) -> list[Block]:
    text = kpi.sql + (kpi.table_sql or "")
    return [b for b in _BLOCKS if re.search(rf"\b{b.name}\b", text)]


class KpiSession:
    """Computes KPIs over periods on one connection, sharing the building blocks.

    The blocks the KPIs read (:data:`BLOCKS`) are built once, as temporary tables, for a
    window covering every period asked for (:meth:`prepare` says which up front, so a
    report builds each block once); a period outside the window rebuilds it wider. The
    session sets the connection's time zone and drops its tables when it ends.
    """

    #: connections with a session open: the blocks' temp tables have fixed names
    _open: ClassVar[set[int]] = set()

    def __init__(self, con: duckdb.DuckDBPyConnection, tz: str | None = None, lang: str = "en"):
        self.con = con
        self.tz = tz
        self.lang = lang
        self._zone: str | None = None  # set on entering
        self._stack = contextlib.ExitStack()
        self._built: dict[str, tuple[datetime, datetime]] = {}

    def __enter__(self) -> KpiSession:
        if id(self.con) in KpiSession._open:
            raise RuntimeError(
                "a KpiSession is open on this connection already: use it (or another "
                "connection); compute() and compare() open one of their own"
            )
        self._zone = self._stack.enter_context(_timezone(self.con, self.tz))
        KpiSession._open.add(id(self.con))
        return self

    def __exit__(self, *exc: object) -> None:
        KpiSession._open.discard(id(self.con))
        try:
            for name in self._built:
                with contextlib.suppress(Exception):  # never hide the error that ends us
                    self.con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")
            self._built.clear()
        finally:
            self._zone = None
            self._stack.close()

    @property
    def zone(self) -> str:
        if self._zone is None:
            raise RuntimeError("use a KpiSession in a `with` block")
        return self._zone

    def prepare(self, needs: Mapping[str, Sequence[Period]]) -> None:
        """Build the blocks the KPIs ``needs`` names read, over all their periods."""
        windows: dict[str, list[tuple[datetime, datetime]]] = {}
        for kid, periods in needs.items():
            for block in _blocks_of(KPIS[kid]):
                windows.setdefault(block.name, []).extend(p.bounds(self.zone) for p in periods)
        for name, bounds in windows.items():
            self._build(BLOCKS[name], min(b[0] for b in bounds), max(b[1] for b in bounds))

    def _build(self, block: Block, start: datetime, end: datetime) -> None:
        built = self._built.get(block.name)
        if built is not None:
            if "$" not in block.sql or (built[0] <= start and end <= built[1]):
                return  # built already, over a window that covers this one
            start, end = min(start, built[0]), max(end, built[1])
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {block.name} AS {block.sql}",
            _params(block.sql, start, end),
        )
        self._built[block.name] = (start, end)

    def compute(self, kpi_ids: Sequence[str], period: Period) -> dict[str, KpiValue]:
        """The KPIs ``kpi_ids`` over ``period``, each by one statement (two for tables)."""
        kpis = _require(kpi_ids)
        self.prepare({k.id: [period] for k in kpis})
        start, end = period.bounds(self.zone)
        return {k.id: _run(self.con, k, start, end, self.lang) for k in kpis}

    def compare(
        self, kpi_ids: Sequence[str], period: Period
    ) -> dict[str, tuple[KpiValue, KpiValue]]:
        """Each KPI over ``period`` and over the period before it (none for snapshots)."""
        kpis = _require(kpi_ids)
        before_period = previous(period)
        past_ids = [k.id for k in kpis if not k.snapshot]
        self.prepare({k.id: [period, before_period] if not k.snapshot else [period] for k in kpis})
        current = self.compute(kpi_ids, period)
        past = self.compute(past_ids, before_period) if past_ids else {}
        note = _SNAPSHOT_NOTE[self.lang == "zh"]
        return {
            k.id: (current[k.id], past.get(k.id) or KpiValue(k, None, {}, None, note)) for k in kpis
        }


def compute(
    con: duckdb.DuckDBPyConnection,
    kpi_ids: Sequence[str],
    period: Period,
    tz: str | None = None,
    *,
    lang: str = "en",
) -> dict[str, KpiValue]:
    """The KPIs ``kpi_ids`` over ``period``, each by one statement (two for table KPIs).

    ``tz``: the workspace's time zone (the period's days are its days); default: the
    connection's. Notes are in ``lang`` ("en" or "zh"). To compute many periods, use
    one :class:`KpiSession`: it builds the shared blocks once.
    """
    with KpiSession(con, tz, lang) as session:
        return session.compute(kpi_ids, period)


def compare(
    con: duckdb.DuckDBPyConnection,
    kpi_ids: Sequence[str],
    period: Period,
    tz: str | None = None,
    *,
    lang: str = "en",
) -> dict[str, tuple[KpiValue, KpiValue]]:
    """Each KPI over ``period`` and over the period before it (:func:`previous`).

    Snapshot KPIs (open orders now) have no previous value: the second item carries
    ``value`` None and a note saying so.
    """
    with KpiSession(con, tz, lang) as session:
        return session.compare(kpi_ids, period)


_SNAPSHOT_NOTE = ("measured now: no previous value", "当前时刻的数值,无上期对比")


# ---------------------------------------------------------------------------------------
# docs/kpis.md


def kpi_doc_markdown() -> str:
    """The text of ``docs/kpis.md``: how periods work, then every KPI with its names,
    unit, direction, formula (English and Chinese) and SQL."""
    better = {"higher": "higher is better", "lower": "lower is better", None: "—"}
    out: list[str] = [
        "<!-- Generated by `python -m ordertrack.docgen --write` (`make docs`) from the KPI "
        "registry in `ordertrack/report/kpis.py`. Do not edit by hand. -->",
        "",
        "# KPIs",
        "",
        "The report packs are made of these KPIs. Each is defined once, in "
        "`ordertrack/report/kpis.py`, as SQL over the public views and the bookkeeping "
        "tables of the order center; this page is generated from those definitions, so "
        "the formula you read is the SQL that runs.",
        "",
        "## Periods",
        "",
        "A report covers a period of whole days in the workspace's time zone "
        "(`[workspace] timezone`) and compares it with the period before it. A period is "
        "written as:",
        "",
        "| form | example | covers | the period before |",
        "|---|---|---|---|",
    ]
    covers = {
        "a month": ("the calendar month", "the month before"),
        "an ISO week": (
            "Monday to Sunday; week 1 holds the year's first Thursday "
            "(2026-W01 starts on 2025-12-29)",
            "the ISO week before",
        ),
        "a quarter": ("three calendar months", "the quarter before"),
        "a day": ("that day", "the day before"),
        "a range of days": ("the days from … to, both included", "as many days, just before"),
    }
    for what, example in FORMS:
        cov, prev = covers[what]
        out.append(f"| {what} | `{example}` | {cov} | {prev} |")
    out += [
        "",
        "Without a period, a report covers the last full ISO week before today.",
        "",
        "In the SQL below, `$start` and `$end` are the TIMESTAMPTZ bounds of the period: "
        "`$start` is 00:00 of its first day and `$end` 00:00 of the day after its last, "
        "and an instant counts when `$start <= t < $end`. DATE columns (promised dates, "
        "feedback dates, snapshot dates) are compared with `$start::DATE` and "
        "`$end::DATE`, which DuckDB casts in the session's time zone (ordertrack sets it "
        "to the workspace's). Now and today come from `v_now`, so a pinned clock "
        "(`ORDERTRACK_NOW`) gives reproducible reports. To run a KPI yourself, replace "
        "the parameters, e.g. `$start` by `TIMESTAMPTZ '2026-06-01 00:00:00+08'`, and "
        "build the blocks it reads first (see [Building blocks](#building-blocks)).",
        "",
        "**Delivered** means the same in every KPI: every parcel (shipment) of the order "
        "is signed for, at the time of the last signature; an order without that (no "
        "shipments imported, or a parcel still on its way) counts as delivered when the "
        "flow first moved it into its delivered stage (`[flow.on_import] delivered`) or a "
        "later one. A partly delivered order is not delivered. Cancelled orders are left "
        "out of delivery KPIs.",
        "",
        "KPIs marked *now* describe the order center at the moment of the report, "
        "whatever the period, and have no previous-period value.",
        "",
        "| KPI | id | unit | better | kind |",
        "|---|---|---|---|---|",
    ]
    for k in KPIS.values():
        kind = ", ".join(
            x for x, on in (("table", k.table_sql is not None), ("now", k.snapshot)) if on
        )
        out.append(
            f"| [{k.name_en}](#{k.id}) · {k.name_zh} | `{k.id}` | {k.unit} | "
            f"{k.better or '—'} | {kind} |"
        )
    out += [
        "",
        "## Building blocks",
        "",
        "Several KPIs read the same facts: when each order was delivered, when it was "
        "closed, the stays in each stage. A report builds each of these blocks once, as a "
        "temporary table named as below, over a window covering every period it shows "
        "(`$start`/`$end` here are that window's bounds), and the KPIs' SQL reads them "
        "like tables; the tables are dropped when the report is done. To run a KPI "
        "yourself in the DuckDB CLI, create the blocks it names first, e.g. "
        "`CREATE TEMP TABLE kpi_delivered AS …`. Blocks marked *now* are built over the "
        "open orders of the moment.",
    ]
    for b in BLOCKS.values():
        out += [
            "",
            f"### `{b.name}`" + (" · now" if b.snapshot else ""),
            "",
            b.about_en,
            "",
            b.about_zh,
            "",
            "```sql",
            b.sql,
            "```",
        ]
    for k in KPIS.values():
        out += [
            "",
            f'<a id="{k.id}"></a>',
            "",
            f"## {k.name_en} · {k.name_zh}",
            "",
            f"`{k.id}` · unit: {k.unit} · {better[k.better]}"
            + (" · a table" if k.table_sql else "")
            + (" · now" if k.snapshot else ""),
            "",
            k.formula_en,
            "",
            k.formula_zh,
            "",
            "```sql",
            k.sql,
            "```",
        ]
        if k.table_sql:
            out += ["", "The table:", "", "```sql", k.table_sql, "```"]
        if k.notes:
            out += ["", "When the value is missing or partial, the report says why:", ""]
            out += [f"- `{code}`: {en} / {zh}" for code, (en, zh) in k.notes.items()]
    return "\n".join(out) + "\n"
