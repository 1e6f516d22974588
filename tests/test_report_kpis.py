"""The KPI registry against a small order center whose every figure is worked out by hand.

The shop (:func:`shop_fixture`, built once for the module) is made the way a company
makes one: CSV exports imported with ``ordertrack import`` (orders, lines, shipments,
stage history, feedback, three dated inventory files), orders moved with the flow's
Python API, rules swept, tasks completed and a stage renamed, each at its own pinned
time. The workspace's time zone is Asia/Shanghai; every time below is Shanghai time.

The period under test is ISO week 2026-W25 (Mon 15 June – Sun 21 June 2026); its
previous period is W24 (8–14 June). "Now" is :data:`conftest.FIXED_NOW`, Tuesday
30 June 2026 14:00 in Shanghai (week 27).

    order  customer rep  ordered promised  parcels (shipped → signed for)        other
    SO-1   客户甲   张伟  06-01   06-18    06-16 18:00 → 06-17 10:00             history W24–W25
    SO-2   客户乙   李娜  06-05   06-16    06-15 16:00 → 06-19 15:00             history W25; alerts W25
    SO-3   客户甲   张伟  06-08   06-20    06-18 09:00 → —  (expedited, 120)
    SO-4   客户乙   李娜  06-02   06-25    06-20 10:00 → 06-22 01:00 (exp., 50)  (= 06-21 UTC)
    SO-5   客户丙   张伟  06-03   06-12    none                                  history → signed 06-11, paid 06-13
    SO-6   客户丙   王强  06-04   06-13    06-12 09:00 → 06-16 11:00 (exp., 80)  alert W24–
    SO-7   客户甲   王强  06-10   06-19    06-17 → 06-18 12:00, and 06-17 → —    partly delivered
    SO-8   客户乙   李娜  06-06   06-17    —                                     cancelled 06-12
    SO-9   客户丙   王强  06-10   (none)   06-18 14:00 → 06-20 09:00             moved by hand W25
    SO-10  客户甲   张伟  06-20   07-02    —
    SO-11  客户乙   李娜  06-23   07-10    —
    SO-12  客户丙   王强  06-10   06-25    06-15 00:30 → — (exp., 200)           (= 06-14 UTC)
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import duckdb
import pytest
import time_machine
from conftest import ROOT, Invoke
from test_import import SHIPMENTS_HEADER, import_one, write_csv
from typer.testing import CliRunner, Result

from ordertrack.cli import app
from ordertrack.cli._common import reset_consoles
from ordertrack.errors import UserError
from ordertrack.report import KPIS, KpiValue, compare, compute, kpi_doc_markdown
from ordertrack.report.kpis import BLOCKS
from ordertrack.report.periods import Period, parse_period
from ordertrack.workspace import open_workspace

TZ = "Asia/Shanghai"
SHANGHAI = timedelta(hours=8)
TODAY = date(2026, 6, 30)
W24 = parse_period("2026-W24", today=TODAY)
W25 = parse_period("2026-W25", today=TODAY)

ORDERS_HEADER = ["订单编号", "客户编码", "客户名称", "业务员", "下单日期", "承诺交期", "订单金额"]
ORDERS = [
    ["SO-1", "C1", "客户甲", "张伟", "2026-06-01", "2026-06-18", "1000"],
    ["SO-2", "C2", "客户乙", "李娜", "2026-06-05", "2026-06-16", "2000"],
    ["SO-3", "C1", "客户甲", "张伟", "2026-06-08", "2026-06-20", "3000"],
    ["SO-4", "C2", "客户乙", "李娜", "2026-06-02", "2026-06-25", "4000"],
    ["SO-5", "C3", "客户丙", "张伟", "2026-06-03", "2026-06-12", "5000"],
    ["SO-6", "C3", "客户丙", "王强", "2026-06-04", "2026-06-13", "6000"],
    ["SO-7", "C1", "客户甲", "王强", "2026-06-10", "2026-06-19", "7000"],
    ["SO-8", "C2", "客户乙", "李娜", "2026-06-06", "2026-06-17", "8000"],
    ["SO-9", "C3", "客户丙", "王强", "2026-06-10", "", "500"],
    ["SO-10", "C1", "客户甲", "张伟", "2026-06-20", "2026-07-02", "1000"],
    ["SO-11", "C2", "客户乙", "李娜", "2026-06-23", "2026-07-10", "1000"],
    ["SO-12", "C3", "客户丙", "王强", "2026-06-10", "2026-06-25", "1000"],
]
LINES_HEADER = ["订单编号", "行号", "物料编码", "物料名称", "数量", "单位", "仓库", "库位"]
LINES = [
    ["SO-1", 1, "M-1", "螺钉", 10, "个", "上海仓", "A-01"],
    ["SO-1", 2, "M-2", "气管", 2, "米", "上海仓", "B-02"],
    ["SO-2", 1, "M-1", "螺钉", 4, "个", "上海仓", "A-01"],
    ["SO-6", 1, "M-2", "气管", 5, "米", "上海仓", "B-02"],
    ["SO-12", 1, "M-3", "型材", 7, "根", "上海仓", "C-03"],
]
STOCK_HEADER = ["物料编码", "物料名称", "仓库", "现存量", "单位成本", "盘点日期"]
# (as_of, M-1 on hand, M-1 unit cost, M-2 on hand): M-2 always costs 10.00
STOCK = [
    ("2026-06-14", 100, "2.00", 50),
    ("2026-06-18", 80, "2.50", 40),
    ("2026-06-25", 60, "2.50", 30),
]
SHIPMENTS = [
    ["FH-1", "SO-1", "顺丰", "SF1", "已签收", "2026-06-16 18:00", "2026-06-17 10:00", "20", "否"],
    ["FH-2", "SO-2", "顺丰", "SF2", "已签收", "2026-06-15 16:00", "2026-06-19 15:00", "30", "否"],
    ["FH-3", "SO-3", "顺丰", "SF3", "运输中", "2026-06-18 09:00", "", "120", "是"],
    ["FH-4", "SO-4", "顺丰", "SF4", "已签收", "2026-06-20 10:00", "2026-06-22 01:00", "50", "是"],
    ["FH-6", "SO-6", "德邦", "DP6", "已签收", "2026-06-12 09:00", "2026-06-16 11:00", "80", "是"],
    ["FH-7A", "SO-7", "德邦", "DP7A", "已签收", "2026-06-17 09:00", "2026-06-18 12:00", "10", "否"],
    ["FH-7B", "SO-7", "德邦", "DP7B", "运输中", "2026-06-17 09:00", "", "10", "否"],
    ["FH-9", "SO-9", "顺丰", "SF9", "已签收", "2026-06-18 14:00", "2026-06-20 09:00", "15", "否"],
    ["FH-12", "SO-12", "顺丰", "SF12", "运输中", "2026-06-15 00:30", "", "200", "是"],
]
HISTORY_HEADER = ["订单编号", "环节", "进入时间", "操作人"]
HISTORY = [
    ["SO-1", "order_entry", "2026-06-14 09:00", "张伟"],
    ["SO-1", "business_review", "2026-06-15 13:00", "何佳"],
    ["SO-1", "picking", "2026-06-16 12:00", "钱勇"],
    ["SO-1", "shipped", "2026-06-16 18:00", "钱勇"],
    ["SO-2", "order_entry", "2026-06-15 10:00", "李娜"],
    ["SO-2", "business_review", "2026-06-15 12:00", "何佳"],
    ["SO-2", "picking", "2026-06-15 13:00", "钱勇"],
    ["SO-2", "shipped", "2026-06-15 16:00", "钱勇"],
    ["SO-5", "order_entry", "2026-06-03 10:00", "张伟"],
    ["SO-5", "signed", "2026-06-11 10:00", "张伟"],
    ["SO-5", "paid", "2026-06-13 10:00", "财务"],
]
FEEDBACK_HEADER = ["反馈编号", "订单编号", "反馈日期", "是否投诉", "投诉类别", "推荐评分"]
FEEDBACK = [
    ["FB-1", "SO-1", "2026-06-18", "否", "", "10"],
    ["FB-2", "SO-2", "2026-06-20", "是", "延迟交付", "3"],
    ["FB-3", "SO-6", "2026-06-17", "是", "包装破损", "7"],
    ["FB-4", "SO-9", "2026-06-21", "否", "", "9"],
    ["FB-5", "SO-4", "2026-06-22", "否", "", "8"],
    ["FB-6", "SO-5", "2026-06-12", "否", "", "7"],
    ["FB-7", "SO-7", "2026-06-19", "是", "少发", ""],
]
RULES = """
[[rules]]
id = "watch"
description = "Orders the KPI tests watch"
severity = "warning"
when = "{watch}"
actions = [{{ task = {{ role = "sales", title = "Check {{order_id}}", due = "1d" }} }}]

[[rules]]
id = "urgent"
description = "Orders the KPI tests escalate"
severity = "critical"
when = "{urgent}"
actions = [{{ set_status = "Urgent" }}]
"""


def local(text: str) -> datetime:
    """A Shanghai wall-clock time as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) - SHANGHAI


def set_rules(ws: Path, watch: Sequence[str], urgent: Sequence[str] = ()) -> None:
    """Replace the [[rules]] of ordertrack.toml by ``watch`` and ``urgent`` on those orders."""

    def cond(ids: Sequence[str]) -> str:
        return "order_id IN (" + ", ".join(f"'{i}'" for i in ids) + ")" if ids else "false"

    path = ws / "ordertrack.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\n[[rules]]")
    end = text.index("\n[alerts]")
    path.write_text(
        text[:start] + RULES.format(watch=cond(watch), urgent=cond(urgent)) + text[end:],
        encoding="utf-8",
    )


def sweep(ws: Path, when: str) -> None:
    from ordertrack.alerts import run_sweep

    with time_machine.travel(local(when), tick=False):
        run_sweep(open_workspace(ws))


def task_done(ws: Path, order_id: str, kind: str, when: str) -> None:
    from ordertrack.alerts import complete_task, list_tasks

    with time_machine.travel(local(when), tick=False):
        wsp = open_workspace(ws)
        (task,) = [t for t in list_tasks(wsp) if t["order_id"] == order_id and t["kind"] == kind]
        complete_task(wsp, task["task_id"])


def build_shop(run: Invoke, ws: Path, folder: Path) -> None:
    """The shop of the module docstring, step by step at the times the steps happened."""
    from ordertrack.flow import advance, change_state

    config = ws / "ordertrack.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            '# timezone = "Asia/Shanghai"', f'timezone = "{TZ}"'
        ),
        encoding="utf-8",
    )
    set_rules(ws, [])

    def load(name: str, header: list[str], data: Sequence[Sequence[Any]], *args: str) -> None:
        result = import_one(run, ws, str(write_csv(folder / name, header, data)), *args)
        assert result["status"] == "ok" and result["rejected"] == 0, result

    with time_machine.travel(local("2026-06-01 00:30"), tick=False):
        load("orders.csv", ORDERS_HEADER, ORDERS, "--profile", "orders")
        load("lines.csv", LINES_HEADER, LINES, "--profile", "order_lines")
    # W24: alerts fire on SO-5 and SO-6 (each gets a task); SO-5's clears; SO-8 cancelled
    set_rules(ws, ["SO-5", "SO-6"])
    sweep(ws, "2026-06-10 10:00")
    task_done(ws, "SO-5", "rule", "2026-06-11 10:00")
    set_rules(ws, ["SO-6"])
    sweep(ws, "2026-06-12 10:00")
    with time_machine.travel(local("2026-06-12 11:00"), tick=False):
        change_state(open_workspace(ws), "SO-8", "cancel", reason="customer withdrew")
    # W25: SO-2 alerts (one critical); SO-9 moved by hand into picking; tasks done; a rename
    set_rules(ws, ["SO-6", "SO-2"], ["SO-2"])
    sweep(ws, "2026-06-16 09:00")
    for stage, when in [
        ("business_review", "2026-06-16 10:00"),
        ("finance_approval", "2026-06-16 11:00"),
        ("picking", "2026-06-17 09:00"),
    ]:
        with time_machine.travel(local(when), tick=False):
            advance(open_workspace(ws), "SO-9", to=stage)
    task_done(ws, "SO-2", "rule", "2026-06-16 13:00")
    task_done(ws, "SO-9", "stage", "2026-06-17 15:00")  # routine: not an exception task
    task_done(ws, "SO-6", "rule", "2026-06-17 16:00")
    with time_machine.travel(local("2026-06-18 10:00"), tick=False):
        renamed = run("flow", "rename-stage", "invoiced", "billed", "-w", str(ws))
        assert renamed.exit_code == 0, renamed.output
    # now: the other exports
    with time_machine.travel(local("2026-06-30 14:00"), tick=False):
        load("history.csv", HISTORY_HEADER, HISTORY, "--profile", "stage_history")
        load("shipments.csv", SHIPMENTS_HEADER, SHIPMENTS, "--profile", "wms_shipments")
        load("feedback.csv", FEEDBACK_HEADER, FEEDBACK, "--profile", "feedback")
        for as_of, m1, cost, m2 in STOCK:
            stock = [
                ["M-1", "螺钉", "上海仓", m1, cost, as_of],
                ["M-2", "气管", "上海仓", m2, "10.00", as_of],
            ]
            load(f"stock_{as_of}.csv", STOCK_HEADER, stock, "--profile", "inventory")


def cli_runner() -> Invoke:
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        reset_consoles()
        result = runner.invoke(app, list(args), catch_exceptions=False, prog_name="ordertrack")
        reset_consoles()
        return result

    return run


@pytest.fixture(scope="module", name="shop_template")
def shop_template_fixture(tmp_path_factory: pytest.TempPathFactory, _initialized: Path) -> Path:
    root = tmp_path_factory.mktemp("kpi_shop") / "ws"
    shutil.copytree(_initialized, root)
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("ORDERTRACK_"):
                mp.delenv(name)
        mp.setenv("TZ", "UTC")
        mp.setenv("ORDERTRACK_USER", "tester")
        build_shop(cli_runner(), root, root.parent)
    return root


@pytest.fixture(name="shop")
def shop_fixture(shop_template: Path, tmp_path: Path, frozen: datetime) -> Path:
    """A copy of the shop, with the clock at FIXED_NOW (30 June 2026, 14:00 in Shanghai)."""
    root = tmp_path / "shop"
    shutil.copytree(shop_template, root)
    return root


def kpis(
    ws: Path, period: Period, *ids: str, tz: str | None = TZ, lang: str = "en"
) -> dict[str, KpiValue]:
    wsp = open_workspace(ws)
    with wsp.connect(read_only=True) as store:
        return compute(store.con, list(ids or KPIS), period, tz, lang=lang)


# ---------------------------------------------------------------------------------------
# the shop is what the docstring says


def test_the_shop_is_as_described(shop: Path) -> None:
    con = duckdb.connect(str(shop / "ordertrack.duckdb"), read_only=True)
    try:
        con.execute(f"SET TimeZone = '{TZ}'")
        states = dict(con.execute("SELECT order_id, state FROM orders").fetchall())
        moves = con.execute(
            "SELECT order_id, to_stage, strftime(event_at, '%m-%d %H:%M'), via FROM stage_events "
            "WHERE kind = 'move' AND event_at < '2026-06-22 00:00+08' ORDER BY event_at, order_id"
        ).fetchall()
        alerts = con.execute(
            "SELECT order_id, rule_id, strftime(fired_at, '%m-%d %H:%M'), "
            "strftime(resolved_at, '%m-%d %H:%M') FROM alerts ORDER BY alert_id"
        ).fetchall()
        tasks = con.execute(
            "SELECT order_id, kind, strftime(opened_at, '%m-%d %H:%M'), "
            "strftime(done_at, '%m-%d %H:%M'), strftime(due_at, '%m-%d %H:%M') "
            "FROM tasks ORDER BY task_id"
        ).fetchall()
        snapshots = con.execute(
            "SELECT as_of, sum(on_hand * unit_cost) FROM inventory_history GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert {k: v for k, v in states.items() if v != "open"} == {
        "SO-5": "closed",
        "SO-8": "cancelled",
    }
    assert moves == [
        ("SO-5", "order_entry", "06-03 10:00", "import"),
        ("SO-5", "signed", "06-11 10:00", "import"),
        ("SO-5", "paid", "06-13 10:00", "import"),
        ("SO-1", "order_entry", "06-14 09:00", "import"),
        ("SO-2", "order_entry", "06-15 10:00", "import"),
        ("SO-2", "business_review", "06-15 12:00", "import"),
        ("SO-1", "business_review", "06-15 13:00", "import"),
        ("SO-2", "picking", "06-15 13:00", "import"),
        ("SO-2", "shipped", "06-15 16:00", "import"),
        ("SO-9", "business_review", "06-16 10:00", "cli"),
        ("SO-9", "finance_approval", "06-16 11:00", "cli"),
        ("SO-1", "picking", "06-16 12:00", "import"),
        ("SO-1", "shipped", "06-16 18:00", "import"),
        ("SO-9", "picking", "06-17 09:00", "cli"),
    ]
    assert alerts == [
        ("SO-5", "watch", "06-10 10:00", "06-12 10:00"),
        ("SO-6", "watch", "06-10 10:00", None),
        ("SO-2", "watch", "06-16 09:00", None),
        ("SO-2", "urgent", "06-16 09:00", None),
    ]
    assert tasks == [
        ("SO-5", "rule", "06-10 10:00", "06-11 10:00", "06-11 10:00"),
        ("SO-6", "rule", "06-10 10:00", "06-17 16:00", "06-11 10:00"),
        ("SO-2", "rule", "06-16 09:00", "06-16 13:00", "06-17 09:00"),
        ("SO-9", "stage", "06-17 09:00", "06-17 15:00", "06-18 09:00"),
    ]
    assert [(d.isoformat(), float(v)) for d, v in snapshots] == [
        ("2026-06-14", 700.0),  # 100 × 2.00 + 50 × 10
        ("2026-06-18", 600.0),  # 80 × 2.50 + 40 × 10
        ("2026-06-25", 450.0),  # 60 × 2.50 + 30 × 10
    ]


# ---------------------------------------------------------------------------------------
# every KPI over W25 (and W24, the previous week), worked out by hand


def test_on_time_delivery(shop: Path) -> None:
    v = kpis(shop, W25, "on_time_delivery")["on_time_delivery"]
    # due in W25 (promised 06-15..06-21), cancelled SO-8 (promised 06-17) left out:
    #   SO-1 signed 06-17 ≤ promised 06-18 ✓
    #   SO-2 signed 06-19 > promised 06-16 ✗ (late)
    #   SO-3 not delivered, promise 06-20 passed (today 06-30) ✗ (late_open)
    #   SO-7 one parcel of two signed: not delivered, promise 06-19 passed ✗ (late_open)
    # → 1 / 4 = 25 %. SO-9 (signed 06-20, in W25) has no promised date: counted apart.
    assert v.value == pytest.approx(25.0)
    assert v.extra == {
        "n": 4,
        "on_time": 1,
        "late": 1,
        "late_open": 2,
        "not_yet_due": 0,
        "no_promise": 1,
    }
    assert (
        v.note
        == "not counted: 0 not delivered and not yet due, 1 delivered without a promised date"
    )
    # W24 (06-08..06-14): SO-5 (no parcels; the flow moved it to signed 06-11) ≤ 06-12 ✓;
    # SO-6 signed 06-16 > 06-13 ✗ → 1 / 2 = 50 %
    prev = kpis(shop, W24, "on_time_delivery")["on_time_delivery"]
    assert prev.value == pytest.approx(50.0)
    assert (prev.extra["n"], prev.extra["on_time"], prev.extra["late"], prev.note) == (
        2,
        1,
        1,
        None,
    )


def test_on_time_delivery_in_a_period_that_ends_after_today(shop: Path) -> None:
    # W27 (06-29..07-05) holds today: SO-10 (promised 07-02, not delivered) is not late yet
    # → left out, and nothing else is due: no value
    v = kpis(shop, parse_period("2026-W27", today=TODAY), "on_time_delivery")["on_time_delivery"]
    assert v.value is None
    assert (v.extra["n"], v.extra["not_yet_due"]) == (0, 1)
    assert (
        v.note == "no order due in the period has reached its promised date yet (1 still to come)"
    )
    # June: due 06-01..06-30, today 06-30: SO-1 ✓ SO-2 ✗ SO-3 ✗ SO-4 ✓ (06-22 ≤ 06-25)
    # SO-5 ✓ SO-6 ✗ SO-7 ✗ SO-12 ✗ (06-25 passed) → 3 / 8 = 37.5 %
    june = kpis(shop, parse_period("2026-06", today=TODAY), "on_time_delivery")
    assert june["on_time_delivery"].value == pytest.approx(37.5)


def test_order_cycle_time(shop: Path) -> None:
    v = kpis(shop, W25, "order_cycle_time")["order_cycle_time"]
    # delivered in W25: SO-6 06-16 − 06-04 = 12 d, SO-1 06-17 − 06-01 = 16 d,
    # SO-2 06-19 − 06-05 = 14 d, SO-9 06-20 − 06-10 = 10 d. Not SO-4: signed 06-22 01:00 in
    # Shanghai (06-21 in UTC), and not SO-7 (one parcel still on its way).
    # [10, 12, 14, 16]: median 13, mean 13, p90 = 14 + 0.7 × (16 − 14) = 15.4
    assert v.value == pytest.approx(13.0)
    assert v.extra == pytest.approx(
        {"n": 4, "mean": 13.0, "median": 13.0, "p90": 15.4, "no_order_date": 0}
    )
    assert v.note is None
    # W24: SO-5 delivered by the flow (signed 06-11) − ordered 06-03 = 8 d
    prev = kpis(shop, W24, "order_cycle_time")["order_cycle_time"]
    assert (prev.value, prev.extra["n"]) == (8.0, 1)


def test_stage_dwell_and_bottleneck(shop: Path) -> None:
    v = kpis(shop, W25, "stage_dwell")["stage_dwell"]
    # stays that ended in W25 (hours):
    #   order_entry      SO-1 06-14 09:00→06-15 13:00 = 28, SO-2 10:00→12:00 = 2
    #   business_review  SO-1 06-15 13:00→06-16 12:00 = 23, SO-2 12:00→13:00 = 1,
    #                    SO-9 06-16 10:00→11:00 = 1
    #   finance_approval SO-9 06-16 11:00→06-17 09:00 = 22
    #   picking          SO-1 12:00→18:00 = 6, SO-2 13:00→16:00 = 3
    # median ÷ SLA: order_entry 15 / 4 = 3.75 (the bottleneck), business_review 1 / 2,
    # finance_approval 22 / 24, picking 4.5 / 72
    assert v.value == "order_entry"
    assert v.extra == pytest.approx(
        {"name": "Order entry", "median_hours": 15.0, "sla_hours": 4.0, "sla_ratio": 3.75, "n": 8}
    )
    assert v.rows is not None
    table = {r["stage"]: r for r in v.rows}
    assert [r["stage"] for r in v.rows] == [
        "order_entry",
        "business_review",
        "finance_approval",
        "director_approval",
        "picking",
        "shipped",
        "signed",
        "billed",  # renamed from invoiced in W25
        "paid",
    ]
    got = {
        s: (r["n"], r["median_hours"], round(r["p90_hours"], 6), round(r["sla_ratio"], 6))
        for s, r in table.items()
        if r["n"]
    }
    assert got == {
        "order_entry": (2, 15.0, 25.4, 3.75),  # p90 = 2 + 0.9 × 26
        "business_review": (3, 1.0, 18.6, 0.5),  # p90 = 1 + 0.8 × 22 ([1, 1, 23])
        "finance_approval": (1, 22.0, 22.0, round(22 / 24, 6)),
        "picking": (2, 4.5, 5.7, 0.0625),  # p90 = 3 + 0.9 × 3
    }
    assert table["order_entry"]["median_business_hours"] == 15.0  # no work calendar
    # W24: SO-5 order_entry 06-03 10:00→06-11 10:00 = 192 h (48 × SLA), signed 48 h
    prev = kpis(shop, W24, "stage_dwell")["stage_dwell"]
    assert (prev.value, prev.extra["sla_ratio"], prev.extra["n"]) == ("order_entry", 48.0, 2)


def test_stage_dwell_agrees_with_v_stage_durations(shop: Path) -> None:
    # the KPI computes the stays for the orders that moved in the period only; they are
    # exactly the view's rows whose left_at falls in the period
    start, end = W25.bounds(TZ)
    wsp = open_workspace(shop)
    with wsp.connect(read_only=True) as store:
        view = store.con.execute(
            "SELECT stage, count(*), median(hours) FROM v_stage_durations "
            "WHERE left_at >= ? AND left_at < ? GROUP BY stage",
            [start, end],
        ).fetchall()
    rows = kpis(shop, W25, "stage_dwell")["stage_dwell"].rows or []
    assert {(r["stage"], r["n"], r["median_hours"]) for r in rows if r["n"]} == set(view)


def test_sla_breaches(shop: Path) -> None:
    v = kpis(shop, W25, "sla_breaches")["sla_breaches"]
    # of the 8 stays above: order_entry 28 h > 4 h (SO-1) and business_review 23 h > 2 h
    # (SO-1) → 2 breaches, 2 / 8 = 25 %
    assert (v.value, v.extra["stays"], v.extra["share"]) == (2, 8, 25.0)
    assert v.rows is not None
    got = {
        r["stage"]: (r["owner_role"], r["stays"], r["breaches"], r["median_excess_hours"])
        for r in v.rows
    }
    assert got == {
        "order_entry": ("sales", 2, 1, 24.0),  # 28 − 4
        "business_review": ("business", 3, 1, 21.0),  # 23 − 2
        "finance_approval": ("finance", 1, 0, None),
        "director_approval": ("director", 0, 0, None),
        "picking": ("warehouse", 2, 0, None),
        "shipped": ("logistics", 0, 0, None),
        "signed": ("sales", 0, 0, None),
        "billed": ("finance", 0, 0, None),
    }  # paid has no SLA: no row
    # W24: SO-5 order_entry 192 h > 4 ✗, signed 48 h ≤ 72 → 1 of 2
    prev = kpis(shop, W24, "sla_breaches")["sla_breaches"]
    assert (prev.value, prev.extra["stays"], prev.extra["share"]) == (1, 2, 50.0)


def test_exception_share(shop: Path) -> None:
    v = kpis(shop, W25, "exception_share")["exception_share"]
    # open at some time in W25: ordered before 06-22, not closed or cancelled before 06-15:
    #   SO-1 2 3 4 6 7 9 10 12 = 9 (not SO-5: paid 06-13; SO-8: cancelled 06-12;
    #   SO-11: ordered 06-23)
    # with an alert firing in W25: SO-6 (fired 06-10, still firing), SO-2 (fired 06-16,
    # one of its alerts critical); not SO-5 (resolved 06-12) → 2 / 9 = 22.2 %
    assert v.value == pytest.approx(200 / 9)
    assert v.extra == {"exception_orders": 2, "critical_orders": 1, "open_orders": 9}
    # W24: open SO-1 2 3 4 5 6 7 8 9 12 = 10 (SO-5 closed and SO-8 cancelled inside W24);
    # alerts: SO-5 (06-10→06-12), SO-6 → 2 / 10 = 20 %
    prev = kpis(shop, W24, "exception_share")["exception_share"]
    assert prev.value == pytest.approx(20.0)
    assert prev.extra == {"exception_orders": 2, "critical_orders": 0, "open_orders": 10}


def test_automation_rate(shop: Path) -> None:
    v = kpis(shop, W25, "automation_rate")["automation_rate"]
    # moves in W25: history of SO-1 (3: business_review, picking, shipped) and SO-2 (4),
    # via import; SO-9 moved by hand 3 times (via cli; the skipped director approval is
    # not a move) → 7 / 10 = 70 %
    assert v.value == pytest.approx(70.0)
    assert v.extra == {
        "n": 10,
        "automated": 7,
        "by_hand": 3,
        "by_import": 7,
        "by_rule": 0,
        "by_auto": 0,
    }
    # W24: SO-5 → signed, → paid, SO-1 → order_entry, all imported → 100 %
    prev = kpis(shop, W24, "automation_rate")["automation_rate"]
    assert (prev.value, prev.extra["n"]) == (100.0, 3)


def test_expedite_freight_cost(shop: Path) -> None:
    v = kpis(shop, W25, "expedite_freight_cost")["expedite_freight_cost"]
    # shipped in W25, expedited: FH-12 200 (06-15 00:30), FH-3 120, FH-4 50 → 370
    # all shipped in W25: 370 + FH-1 20 + FH-2 30 + FH-7A 10 + FH-7B 10 + FH-9 15 = 455
    assert v.value == 370.0
    assert v.extra == pytest.approx(
        {"n": 3, "shipments": 8, "freight": 455.0, "share": 37000 / 455}
    )
    # W24: FH-6 80, expedited
    prev = kpis(shop, W24, "expedite_freight_cost")["expedite_freight_cost"]
    assert (prev.value, prev.extra["n"], prev.extra["share"]) == (80.0, 1, 100.0)


def test_the_period_is_cut_in_the_workspace_time_zone(shop: Path) -> None:
    # FH-12 left on 06-15 00:30 in Shanghai, which is 06-14 16:30 UTC: in W24 for UTC
    utc = kpis(shop, W25, "expedite_freight_cost", "order_cycle_time", tz="UTC")
    assert utc["expedite_freight_cost"].value == 170.0  # 370 − 200
    # SO-4, signed 06-22 01:00 Shanghai = 06-21 17:00 UTC, is delivered in W25 for UTC:
    # [10, 12, 14, 16, 20] → median 14
    assert utc["order_cycle_time"].value == 14.0
    # the connection's own time zone is put back
    wsp = open_workspace(shop)
    with wsp.connect(read_only=True) as store:
        compute(store.con, ["nps"], W25, "UTC")
        assert store.scalar("SELECT current_setting('TimeZone')") == TZ


def test_inventory_turnover(shop: Path) -> None:
    v = kpis(shop, W25, "inventory_turnover")["inventory_turnover"]
    # average stock: snapshots in W25 (06-18: 600) and the last before it (06-14: 700)
    #   → (700 + 600) / 2 = 650
    # goods of the orders first shipped in W25, at the 06-18 unit costs (M-1 2.50, M-2 10):
    #   SO-1 10 × 2.50 + 2 × 10 = 45, SO-2 4 × 2.50 = 10, SO-12 7 × M-3 (no cost) → 55
    # 55 / 650 = 0.0846; × 365 / 7 = 4.41 a year
    assert v.value == pytest.approx(55 / 650)
    assert v.extra == pytest.approx(
        {
            "annualized": 55 / 650 * 365 / 7,
            "cogs": 55.0,
            "avg_inventory": 650.0,
            "snapshots": 2,
            "first_snapshot": date(2026, 6, 14),
            "lines": 4,
            "lines_without_cost": 1,
        }
    )
    # W24: snapshot 06-14 (700) only; SO-6 shipped 06-12: 5 × M-2 at 10 = 50 → 50 / 700
    prev = kpis(shop, W24, "inventory_turnover")["inventory_turnover"]
    assert prev.value == pytest.approx(50 / 700)
    # W23: no snapshot on or before 06-07 → no value, and the note says why
    w23 = kpis(shop, parse_period("2026-W23", today=TODAY), "inventory_turnover")
    assert w23["inventory_turnover"].value is None
    assert w23["inventory_turnover"].note == (
        "no inventory snapshot on or before the period's end: import an inventory file"
    )


def test_complaint_rate_and_nps(shop: Path) -> None:
    got = kpis(shop, W25, "complaint_rate", "nps")
    # complaints received in W25: FB-2, FB-3, FB-7 = 3; delivered in W25: SO-1 2 6 9 = 4
    # → 75 %
    assert got["complaint_rate"].value == pytest.approx(75.0)
    assert got["complaint_rate"].extra == {"complaints": 3, "delivered": 4}
    # NPS answers in W25: 10 (FB-1), 3 (FB-2), 7 (FB-3), 9 (FB-4); FB-7 has none, FB-5 is
    # 06-22 → promoters 2, detractors 1 of 4 → 50 % − 25 % = 25
    assert got["nps"].value == pytest.approx(25.0)
    assert got["nps"].extra == {"n": 4, "promoters": 2, "passives": 1, "detractors": 1}
    prev = kpis(shop, W24, "complaint_rate", "nps")
    # W24: no complaint, SO-5 delivered → 0 %; one NPS answer, 7 (passive) → 0
    assert (prev["complaint_rate"].value, prev["complaint_rate"].extra["delivered"]) == (0.0, 1)
    assert (prev["nps"].value, prev["nps"].extra["n"]) == (0.0, 1)


def test_exception_effort(shop: Path) -> None:
    v = kpis(shop, W25, "exception_effort")["exception_effort"]
    # rule tasks done in W25: SO-2 06-16 09:00→13:00 = 4 h; SO-6 06-10 10:00→06-17 16:00 =
    # 174 h, after its due time (06-11 10:00). SO-9's pick task is routine (kind stage).
    # median = mean = 89, p90 = 4 + 0.9 × 170 = 157
    assert v.value == pytest.approx(89.0)
    assert v.extra == pytest.approx(
        {"n": 2, "mean": 89.0, "median": 89.0, "p90": 157.0, "done_late": 1}
    )
    prev = kpis(shop, W24, "exception_effort")["exception_effort"]
    # W24: SO-5's task 06-10 10:00→06-11 10:00 = 24 h, done at its due time (not late)
    assert (prev.value, prev.extra["n"], prev.extra["done_late"]) == (24.0, 1, 0)


def test_flow_config_changes(shop: Path) -> None:
    v = kpis(shop, W25, "flow_config_changes")["flow_config_changes"]
    # `flow rename-stage invoiced billed` on 06-18 10:00; sweeps, moves and tasks also
    # write audit rows, but change no flow
    assert v.value == 1
    assert v.rows == [
        {
            "logged_at": local("2026-06-18 10:00"),
            "actor": "tester",
            "command": "flow rename-stage",
            "args": '{"old": "invoiced", "new": "billed"}',
        }
    ]
    assert kpis(shop, W24, "flow_config_changes")["flow_config_changes"].value == 0


def test_top_late_customers_and_reps(shop: Path) -> None:
    got = kpis(shop, W25, "top_late_customers", "top_late_reps")
    # due in W25 and judged: SO-1 ✓ (客户甲, 张伟), SO-2 ✗ (客户乙, 李娜),
    # SO-3 ✗ (客户甲, 张伟), SO-7 ✗ (客户甲, 王强)
    customers = got["top_late_customers"]
    assert (customers.value, customers.extra) == (2, {"due": 4, "late": 3, "top": "客户甲"})
    assert [
        (r["customer"], r["due"], r["late"], round(r["late_share"], 6))
        for r in customers.rows or []
    ] == [
        ("客户甲", 3, 2, round(200 / 3, 6)),
        ("客户乙", 1, 1, 100.0),
    ]
    reps = got["top_late_reps"]
    # one late order each: by late share (李娜 1/1, 王强 1/1, 张伟 1/2), then by name
    assert (reps.value, reps.extra["top"]) == (3, "李娜")
    assert [(r["sales_rep"], r["due"], r["late"], r["late_share"]) for r in reps.rows or []] == [
        ("李娜", 1, 1, 100.0),
        ("王强", 1, 1, 100.0),
        ("张伟", 2, 1, 50.0),
    ]


def test_now_kpis(shop: Path) -> None:
    got = kpis(shop, W25, "late_now", "at_risk", "open_funnel")
    # open: all but SO-5 (closed) and SO-8 (cancelled) = 10. Promise passed (before 06-30)
    # and not delivered: SO-3, SO-7 (a parcel missing), SO-12 → 3
    assert (got["late_now"].value, got["late_now"].extra) == (3, {"open_orders": 10})
    # not late yet and not delivered: SO-10, SO-11. No projection: the sweeps ran before
    # any stage history was recorded, so stage_forecast is empty → 0 at risk
    assert (got["at_risk"].value, got["at_risk"].extra) == (
        0,
        {"not_projected": 2, "open_orders": 10},
    )
    assert got["at_risk"].rows == []  # the list of them: none
    funnel = got["open_funnel"]
    # SO-10 SO-11 never moved (first stage); the shipments export moved the rest
    assert (funnel.value, funnel.extra) == (10, {"on_hold": 0})
    assert [(r["stage"], r["orders"]) for r in funnel.rows or []] == [
        ("order_entry", 2),  # SO-10, SO-11
        ("business_review", 0),
        ("finance_approval", 0),
        ("director_approval", 0),
        ("picking", 0),
        ("shipped", 3),  # SO-3, SO-7, SO-12
        ("signed", 5),  # SO-1, SO-2, SO-4, SO-6, SO-9
        ("billed", 0),
        ("paid", 0),
    ]


def test_compare_with_the_previous_week(shop: Path) -> None:
    wsp = open_workspace(shop)
    with wsp.connect(read_only=True) as store:
        pairs = compare(
            store.con, ["on_time_delivery", "order_cycle_time", "nps", "late_now"], W25, TZ
        )
    assert {k: (now.value, before.value) for k, (now, before) in pairs.items()} == {
        "on_time_delivery": (25.0, 50.0),
        "order_cycle_time": (13.0, 8.0),
        "nps": (25.0, 0.0),
        "late_now": (3, None),  # measured now: no previous value
    }
    assert pairs["late_now"][1].note == "measured now: no previous value"


def test_notes_in_chinese(shop: Path) -> None:
    got = kpis(shop, parse_period("2026-W23", today=TODAY), "inventory_turnover", "nps", lang="zh")
    assert got["inventory_turnover"].note == "本期结束前没有库存快照:请导入库存文件"
    assert got["nps"].note == "本期没有收到 NPS 评分"


def test_at_risk_from_projected_dates(
    invoke: Invoke, workspace: Path, tmp_path: Path, frozen: datetime
) -> None:
    from ordertrack.alerts import run_sweep

    path = workspace / "ordertrack.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '# timezone = "Asia/Shanghai"', f'timezone = "{TZ}"'
        ),
        encoding="utf-8",
    )
    orders = [
        ["H-1", "C1", "客户甲", "张伟", "2026-06-01", "", "100"],
        ["H-2", "C1", "客户甲", "张伟", "2026-06-02", "", "100"],
        ["A-1", "C1", "客户甲", "张伟", "2026-06-29", "2026-07-02", "100"],
        ["A-2", "C1", "客户甲", "张伟", "2026-06-29", "2026-07-10", "100"],
        ["A-3", "C1", "客户甲", "张伟", "2026-06-01", "2026-06-20", "100"],
        ["A-4", "C1", "客户甲", "张伟", "2026-06-29", "2026-07-04", "100"],
    ]
    history = [
        ["H-1", "order_entry", "2026-06-01 09:00", "张伟"],
        ["H-1", "signed", "2026-06-05 09:00", "张伟"],
        ["H-2", "order_entry", "2026-06-02 09:00", "张伟"],
        ["H-2", "signed", "2026-06-06 09:00", "张伟"],
    ]
    for name, header, data, profile in [
        ("o.csv", ORDERS_HEADER, orders, "orders"),
        ("h.csv", HISTORY_HEADER, history, "stage_history"),
    ]:
        result = import_one(
            invoke, workspace, str(write_csv(tmp_path / name, header, data)), "--profile", profile
        )
        assert result["rejected"] == 0, result
    run_sweep(open_workspace(workspace))  # refreshes stage_forecast from the history
    got = kpis(workspace, W25, "at_risk", "late_now")
    # past orders spent 96 h in order_entry and then were signed for: an order imported
    # now (30 June 14:00) in order_entry projects delivery at now + 96 h = 4 July
    #   A-1 promised 07-02 < 07-04 → at risk; A-2 (07-10) and A-4 (07-04, not after) are not;
    #   A-3 (06-20) is late already, not at risk
    assert got["at_risk"].value == 1
    assert got["late_now"].value == 1
    assert got["at_risk"].extra == {"not_projected": 0, "open_orders": 6}


# ---------------------------------------------------------------------------------------
# an empty order center; one statement per KPI; errors; the generated doc


EMPTY = {
    # id: (value, note)
    "on_time_delivery": (None, "no order was due in the period"),
    "order_cycle_time": (None, "no order was delivered in the period"),
    "stage_dwell": (None, "no order left a stage in the period"),
    "sla_breaches": (0, "no order left a stage with an SLA in the period"),
    "exception_share": (None, "no order was open in the period"),
    "automation_rate": (None, "no order moved in the period"),
    "expedite_freight_cost": (0, "nothing was shipped in the period"),
    "inventory_turnover": (
        None,
        "no inventory snapshot on or before the period's end: import an inventory file",
    ),
    "complaint_rate": (None, "no customer feedback with a complaint flag has been imported"),
    "nps": (None, "no NPS answer was received in the period"),
    "exception_effort": (None, "no exception task was done in the period"),
    "flow_config_changes": (0, None),
    "top_late_customers": (0, "no order was due in the period"),
    "top_late_reps": (0, "no order was due in the period"),
    "late_now": (0, None),
    "at_risk": (0, None),
    "stock_shortages": (0, None),
    "open_funnel": (0, None),
}


def test_every_kpi_runs_on_an_empty_workspace(workspace: Path, frozen: datetime) -> None:
    assert set(EMPTY) == set(KPIS)
    got = kpis(workspace, W25, tz=None)
    assert {k: (v.value, v.note) for k, v in got.items()} == EMPTY
    for k, v in got.items():
        if KPIS[k].table_sql is None:
            assert v.rows is None
        elif k in ("stage_dwell", "sla_breaches", "open_funnel"):
            assert v.rows and all(
                not (r.get("n") or r.get("stays") or r.get("orders")) for r in v.rows
            )
        else:
            assert v.rows == []
    with open_workspace(workspace).connect(read_only=True) as store:
        pairs = compare(store.con, list(KPIS), W25)
    assert {k: b.value for k, (_, b) in pairs.items()} == {
        k: None if KPIS[k].snapshot else value for k, (value, _) in EMPTY.items()
    }


class Recorder:
    """A real connection that remembers the statements it was given."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.statements: list[str] = []

    def execute(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        self.statements.append(sql)
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)


def test_each_kpi_is_one_statement_run_once(shop: Path) -> None:
    wsp = open_workspace(shop)
    with wsp.connect(read_only=True) as store:
        for kpi in KPIS.values():
            for sql in (kpi.sql, kpi.table_sql):
                if sql is not None:
                    assert len(store.con.extract_statements(sql)) == 1, kpi.id
        recorder = Recorder(store.con)
        compare(cast(duckdb.DuckDBPyConnection, recorder), list(KPIS), W25, TZ)
        # the blocks are gone afterwards
        temp = store.con.sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
        assert not {name for (name,) in temp} & set(BLOCKS)
    ran = [
        s
        for s in recorder.statements
        if "current_setting" not in s and not s.startswith(("SET ", "DROP TABLE IF EXISTS"))
    ]
    # each building block built once (for both weeks), then every KPI's statements once
    # for W25, and the period ones once more for W24: nothing per order, stage or row
    expected = [f"CREATE OR REPLACE TEMP TABLE {b.name} AS {b.sql}" for b in BLOCKS.values()]
    expected += [s for k in KPIS.values() for s in (k.sql, k.table_sql) if s is not None]
    expected += [
        s for k in KPIS.values() if not k.snapshot for s in (k.sql, k.table_sql) if s is not None
    ]
    assert sorted(ran) == sorted(expected)


def test_unknown_kpi(shop: Path) -> None:
    with pytest.raises(UserError) as e, open_workspace(shop).connect(read_only=True) as store:
        compute(store.con, ["otd", "nps", "cycle"], W25, TZ)
    assert str(e.value) == "unknown KPI 'otd', 'cycle'"
    assert e.value.hint is not None and "on_time_delivery" in e.value.hint


def test_registry_is_complete_and_documented() -> None:
    for kpi in KPIS.values():
        assert re.fullmatch(r"[a-z_]+", kpi.id)
        assert kpi.name_en and kpi.name_zh and kpi.formula_en and kpi.formula_zh
        assert kpi.unit in ("%", "h", "d", "CNY", "count", "ratio", "score")
        assert kpi.better in ("higher", "lower", None)
        # the parameters are the period's bounds, nothing else
        assert set(re.findall(r"\$(\w+)", f"{kpi.sql}\n{kpi.table_sql or ''}")) <= {"start", "end"}
        assert kpi.snapshot or "$start" in kpi.sql
        # every reason the SQL can give has a text, whose placeholders are its columns
        case = re.search(r"CASE((?:(?!CASE\b).)*)END AS reason", kpi.sql, re.S)
        reasons = set(re.findall(r"THEN '(\w+)'", case.group(1))) if case else set()
        assert bool(case) == bool(kpi.notes), kpi.id
        assert reasons <= set(kpi.notes), kpi.id
        for en, zh in kpi.notes.values():
            for name in re.findall(r"\{(\w+)\}", en + zh):
                assert re.search(rf"\b{name}\b", kpi.sql), (kpi.id, name)


def test_kpi_doc_is_current() -> None:
    doc = ROOT / "docs" / "kpis.md"
    assert doc.read_text(encoding="utf-8") == kpi_doc_markdown(), (
        "docs/kpis.md is stale: regenerate it from ordertrack.report.kpis.kpi_doc_markdown()"
    )
    text = kpi_doc_markdown()
    assert text.endswith("\n") and not text.endswith("\n\n") and "\r" not in text
    for kpi in KPIS.values():
        assert f"## {kpi.name_en} · {kpi.name_zh}" in text
        assert kpi.sql in text


def test_stock_shortages_are_the_short_open_lines_per_sku(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    from test_flow import make_shop

    # test_flow's shop: SO-SHORT wants 100 of M-3 with 10 available → 90 short; M-1 (1000
    # available for 10 + 20 + 2) and M-2 (50 for 5 + 1) are enough
    make_shop(invoke, workspace, tmp_path)
    got = kpis(workspace, W25, "stock_shortages")["stock_shortages"]
    assert (got.value, got.extra) == (1, {"short_lines": 1, "orders": 1})
    assert got.rows == [
        {
            "sku": "M-3",
            "short_lines": 1,
            "orders": 1,
            "shortage_qty": 90.0,
            "available": 10.0,
            "open_demand": 100.0,
        }
    ]


def test_one_session_per_connection_and_only_in_a_with_block(shop: Path) -> None:
    """The blocks are temp tables with fixed names: a second session on the same
    connection would drop the first one's, so it is refused, clearly."""
    from ordertrack.report.kpis import KpiSession

    with open_workspace(shop).connect(read_only=True) as store:
        loose = KpiSession(store.con, TZ)
        with pytest.raises(RuntimeError, match="in a `with` block"):
            loose.compute(["nps"], W25)
        with KpiSession(store.con, TZ) as session:
            with pytest.raises(RuntimeError, match="open on this connection already"):
                compute(store.con, ["nps"], W25, TZ)
            assert session.compute(["on_time_delivery"], W25)["on_time_delivery"].value == 25.0
        assert compute(store.con, ["nps"], W25, TZ)["nps"].kpi.id == "nps"  # free again
