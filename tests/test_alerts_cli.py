"""The rule engine's commands: ``alerts run`` options and exit codes, ``alerts list / ack /
snooze``, ``tasks …``, ``outbox list``, projected dates, ``alerts backtest``, and the
sample data's seed rules end to end.

The order center is the alert shop of ``test_alerts`` (real imports; the clock pinned with
``ORDERTRACK_NOW``); each test asserts exit codes, the exact ``Error:`` text and the rows
behind the output.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import Invoke
from test_alerts import (  # noqa: F401  (fixtures)
    ORDERS_HEADER,
    _cli_built_once,
    alert_shop_template_fixture,
    alerts,
    ashop_fixture,
    at,
    audit_rows,
    build_template,
    import_orders,
    iso,
    one_row,
    run_cli,
    set_rules,
    sweep,
    table_state,
    use_template,
    with_amount,
)
from test_import import SHIPMENTS_HEADER, import_one, rows, write_csv

from ordertrack.errors import EXIT_CONDITION, EXIT_OK, EXIT_USER

RULES = """
[[rules]]
id = "big_order"
description = "Order over 100,000"
when = "amount > 100000"
actions = [{ notify = ["sales_director"] }, { task = { role = "sales_director", title = "Check {order_id} ({customer})" } }]

[[rules]]
id = "ship_due"
description = "Planned ship date reached, not shipped"
severity = "critical"
when = "planned_ship_date <= as_of::DATE AND before_shipped"
actions = [{ notify = ["@sales_rep"] }]

[[rules]]
id = "short_line"
level = "line"
when = "is_short"
actions = [{ task = { role = "purchasing", assignee = "@sales_rep", title = "Replenish {sku} for {order_id}", due = "1d" } }]
"""


def error(result: Any, message: str, hint: str | None = None) -> None:
    """Exit 2 with exactly ``Error: message`` (and the hint) on stderr, nothing on stdout."""
    assert result.exit_code == EXIT_USER, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n" + (f"Hint: {hint}\n" if hint else "")


# ---------------------------------------------------------------------------------------
# alerts run: --fail-on, --quiet, --json


def test_fail_on_exits_1_while_unacknowledged_alerts_of_that_severity_fire(
    invoke: Invoke, ashop: Path
) -> None:
    set_rules(ashop, RULES)

    critical = run_cli(invoke, ashop, "alerts", "run", "--fail-on", "critical")
    assert critical.exit_code == EXIT_CONDITION
    assert (
        critical.stderr
        == "Error: 2 unacknowledged alert(s) of severity critical or higher are firing\n"
    )
    assert critical.stdout.startswith("Sweep at 2026-06-30 02:00 (UTC)\n")  # the sweep was done
    assert len(alerts(ashop)) == 4

    # warning includes critical: 2 critical + big_order + the short line
    warning = run_cli(invoke, ashop, "alerts", "run", "--fail-on", "warning", "--quiet", minutes=1)
    assert warning.exit_code == EXIT_CONDITION
    assert (warning.stdout, warning.stderr) == (
        "",
        "Error: 4 unacknowledged alert(s) of severity warning or higher are firing\n",
    )

    for order in ("SO-1", "SO-3"):
        aid = one_row(
            ashop,
            "SELECT alert_id FROM alerts WHERE rule_id = 'ship_due' AND order_id = ?",
            [order],
        )
        assert run_cli(invoke, ashop, "alerts", "ack", str(aid), minutes=2).exit_code == EXIT_OK
    quiet = run_cli(invoke, ashop, "alerts", "run", "--fail-on", "critical", "--quiet", minutes=3)
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (EXIT_OK, "", "")
    still = run_cli(invoke, ashop, "alerts", "run", "--fail-on", "warning", "-q", minutes=4)
    assert still.exit_code == EXIT_CONDITION
    assert (
        still.stderr
        == "Error: 2 unacknowledged alert(s) of severity warning or higher are firing\n"
    )


def test_fail_on_takes_warning_or_critical_only_and_then_nothing_runs(
    invoke: Invoke, ashop: Path
) -> None:
    set_rules(ashop, RULES)
    before = table_state(ashop)

    result = run_cli(invoke, ashop, "alerts", "run", "--fail-on", "nonsense")

    error(result, '--fail-on takes warning or critical, not "nonsense"')
    assert table_state(ashop) == before


def test_json_output_of_a_sweep(invoke: Invoke, ashop: Path) -> None:
    set_rules(ashop, RULES)

    result = sweep(invoke, ashop)

    assert result == {
        "sweep_id": 1,
        "as_of": "2026-06-30T02:00:00+00:00",
        "dry_run": False,
        "notify": False,
        "changed": True,
        "rules": [
            {
                "rule_id": "big_order",
                "severity": "warning",
                "new": 1,
                "pending": 0,
                "firing": 1,
                "resolved": 0,
            },
            {
                "rule_id": "ship_due",
                "severity": "critical",
                "new": 2,
                "pending": 0,
                "firing": 2,
                "resolved": 0,
            },
            {
                "rule_id": "short_line",
                "severity": "warning",
                "new": 1,
                "pending": 0,
                "firing": 1,
                "resolved": 0,
            },
        ],
        "actions": {"tasks": 2, "statuses": 0, "moved": 0, "refused": [], "skipped": 0},
        "escalated": 0,
        "queued": [],
        "deliveries": [],
        "commands": [],
        "warnings": [],
        "firing": {"info": 0, "warning": 2, "critical": 2},
        "forecast_refreshed": True,
    }
    text = run_cli(invoke, ashop, "alerts", "run", minutes=5)
    assert text.stdout.endswith("Nothing changed.\n")
    assert "Nobody was notified" not in text.stdout  # nothing new to tell


# ---------------------------------------------------------------------------------------
# alerts list / ack / snooze


@pytest.fixture(scope="session", name="_fired_template")
def fired_template_fixture(
    tmp_path_factory: pytest.TempPathFactory, _alert_shop_template: Path
) -> Path:
    def build(run: Invoke, ws: Path) -> None:
        set_rules(ws, RULES)
        sweep(run, ws)
        import_orders(run, ws, with_amount("SO-2", "90000"))
        sweep(run, ws, minutes=30)

    return build_template(tmp_path_factory, _alert_shop_template, "fired", build)


@pytest.fixture
def fired(ashop: Path, _fired_template: Path) -> dict[str, int]:
    """RULES swept at T0; big_order resolved at T0+30 (SO-2's amount corrected).
    Returns the alert ids by "rule/order"."""
    use_template(ashop, _fired_template)
    return {
        f"{r}/{o}": i for i, r, o in rows(ashop, "SELECT alert_id, rule_id, order_id FROM alerts")
    }


def listed(invoke: Invoke, ws: Path, *args: str) -> list[tuple[str, str, str]]:
    result = run_cli(invoke, ws, "alerts", "list", "--json", *args)
    assert result.exit_code == EXIT_OK, result.stderr
    return [(a["rule_id"], a["order_id"], a["state"]) for a in json.loads(result.stdout)]


def test_alerts_list_filters(invoke: Invoke, ashop: Path, fired: dict[str, int]) -> None:
    everything = listed(invoke, ashop)
    # open first, most severe first (then newest, then by id)
    assert [(r, s) for r, _, s in everything] == [
        ("ship_due", "firing"),
        ("ship_due", "firing"),
        ("short_line", "firing"),
        ("big_order", "resolved"),
    ]
    assert listed(invoke, ashop, "--open") == everything[:3]
    assert listed(invoke, ashop, "--rule", "big_order") == [("big_order", "SO-2", "resolved")]
    assert listed(invoke, ashop, "--severity", "critical") == everything[:2]
    assert len(listed(invoke, ashop, "--severity", "warning")) == 4
    assert listed(invoke, ashop, "--order", "SO-3", "--open") == [
        ("ship_due", "SO-3", "firing"),
        ("short_line", "SO-3", "firing"),
    ]
    one = json.loads(
        run_cli(invoke, ashop, "alerts", "list", "--json", "--rule", "short_line").stdout
    )
    assert one == [
        {
            "alert_id": fired["short_line/SO-3"],
            "rule_id": "short_line",
            "severity": "warning",
            "state": "firing",
            "order_id": "SO-3",
            "sku": "M-3",
            "first_seen_at": "2026-06-30T02:00:00+00:00",
            "fired_at": "2026-06-30T02:00:00+00:00",
            "resolved_at": None,
            "resolved_reason": None,
            "acked_at": None,
            "acked_by": None,
            "ack_note": None,
            "snoozed_until": None,
            "last_notified_at": None,
            "notify_count": 0,
            "escalation_level": 0,
            "customer": "ACME Ltd.",
            "sales_rep": "张伟",
        }
    ]

    table = run_cli(invoke, ashop, "alerts", "list", "--rule", "big_order")
    assert table.exit_code == EXIT_OK
    assert "│ big_order │ warning  │ resolved │ SO-2  │" in table.stdout

    error(
        run_cli(invoke, ashop, "alerts", "list", "--rule", "big_ordr"),
        'no rule "big_ordr"; did you mean "big_order"?',
        "`ordertrack config show` lists the rules.",
    )
    error(
        run_cli(invoke, ashop, "alerts", "list", "--severity", "urgent"),
        'unknown severity "urgent"; use info, warning or critical',
    )


def test_ack_records_who_and_why_and_refuses_unknown_or_resolved_alerts(
    invoke: Invoke, ashop: Path, fired: dict[str, int]
) -> None:
    so1 = fired["ship_due/SO-1"]
    result = run_cli(
        invoke, ashop, "alerts", "ack", str(so1), "--note", "carrier booked", minutes=40
    )

    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == f"Acknowledged alert {so1} (ship_due, SO-1) as tester.\n"
    assert one_row(
        ashop, "SELECT state, acked_at, acked_by, ack_note FROM alerts WHERE alert_id = ?", [so1]
    ) == (
        "firing",
        at(40),
        "tester",
        "carrier booked",
    )
    assert audit_rows(ashop, "alerts ack") == [
        (at(40), "tester", {"alert_id": so1, "note": "carrier booked"}, {})
    ]
    table = run_cli(invoke, ashop, "alerts", "list", "--order", "SO-1")
    assert re.search(r"│ firing +│ SO-1 +│", table.stdout) and re.search(
        r"│ \(acked\) +│", table.stdout
    )

    # a second ack: refused without a note; with one, the note is added (the first kept)
    error(
        run_cli(invoke, ashop, "alerts", "ack", str(so1), minutes=50),
        f"alert {so1} was already acknowledged by tester at 2026-06-30 02:40",
        "Add --note to record something more; the first note is kept.",
    )
    more = run_cli(
        invoke, ashop, "alerts", "ack", str(so1), "--note", "ETA Friday", "--by", "lina", minutes=55
    )
    assert more.exit_code == EXIT_OK, more.stderr
    assert one_row(
        ashop, "SELECT acked_at, acked_by, ack_note FROM alerts WHERE alert_id = ?", [so1]
    ) == (at(40), "tester", "carrier booked | lina: ETA Friday")

    before = table_state(ashop)
    error(
        run_cli(invoke, ashop, "alerts", "ack", "999"),
        "no alert 999",
        "`ordertrack alerts list` shows them.",
    )
    error(
        run_cli(invoke, ashop, "alerts", "ack", str(fired["big_order/SO-2"])),
        f"alert {fired['big_order/SO-2']} is already resolved (condition cleared)",
    )
    assert table_state(ashop) == before


def test_snooze_sets_the_time_it_ends_and_refuses_bad_durations(
    invoke: Invoke, ashop: Path, fired: dict[str, int]
) -> None:
    so3 = fired["ship_due/SO-3"]
    result = run_cli(invoke, ashop, "alerts", "snooze", str(so3), "--for", "2d", minutes=40)

    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == f"Snoozed alert {so3} (ship_due, SO-3) until 2026-07-02 02:40.\n"
    assert one_row(
        ashop, "SELECT snoozed_until, snoozed_by FROM alerts WHERE alert_id = ?", [so3]
    ) == (
        at(40 + 2 * 24 * 60),
        "tester",
    )
    assert audit_rows(ashop, "alerts snooze")[0][2] == {"alert_id": so3, "for": "2 days, 0:00:00"}
    table = run_cli(invoke, ashop, "alerts", "list", "--order", "SO-3", "--rule", "ship_due").stdout
    assert re.search(r"│ firing +│ SO-3 +│", table) and re.search(r"│ \(snoozed\) +│", table)

    before = table_state(ashop)
    bad = run_cli(invoke, ashop, "alerts", "snooze", str(so3), "--for", "soon")
    assert bad.exit_code == EXIT_USER and bad.stdout == ""
    assert bad.stderr.startswith("Error: --for: ") and '"soon"' in bad.stderr
    error(
        run_cli(invoke, ashop, "alerts", "snooze", "999", "--for", "1h"),
        "no alert 999",
        "`ordertrack alerts list` shows them.",
    )
    error(
        run_cli(invoke, ashop, "alerts", "snooze", str(fired["big_order/SO-2"]), "--for", "1h"),
        f"alert {fired['big_order/SO-2']} is already resolved (condition cleared)",
    )
    assert table_state(ashop) == before


# ---------------------------------------------------------------------------------------
# tasks


def task_list(invoke: Invoke, ws: Path, *args: str) -> list[tuple[str, str | None, str]]:
    result = run_cli(invoke, ws, "tasks", "list", "--json", *args)
    assert result.exit_code == EXIT_OK, result.stderr
    return [(t["title"], t["assignee"], t["state"]) for t in json.loads(result.stdout)]


def test_tasks_list_done_and_assign(invoke: Invoke, ashop: Path) -> None:
    set_rules(ashop, RULES)
    sweep(invoke, ashop)
    ids = dict(rows(ashop, "SELECT rule_id, task_id FROM tasks"))
    check, replenish = ids["big_order"], ids["short_line"]

    # soonest due first (the check has no due time)
    assert task_list(invoke, ashop) == [
        ("Replenish M-3 for SO-3", "张伟", "open"),
        ("Check SO-2 (苏州凯越)", None, "open"),
    ]
    assert task_list(invoke, ashop, "--role", "purchasing") == [
        ("Replenish M-3 for SO-3", "张伟", "open")
    ]
    # mine: assigned to me, or unassigned for a role I hold
    assert task_list(invoke, ashop, "--mine", "--by", "majun") == [
        ("Check SO-2 (苏州凯越)", None, "open")
    ]
    assert task_list(invoke, ashop, "--mine", "--by", "张伟") == [
        ("Replenish M-3 for SO-3", "张伟", "open")
    ]
    # the login of the person whose alias is the exports' 张伟 sees it too
    assert task_list(invoke, ashop, "--mine", "--by", "zhangwei") == [
        ("Replenish M-3 for SO-3", "张伟", "open")
    ]
    assert task_list(invoke, ashop, "--mine") == []  # tester: admin only
    error(
        run_cli(invoke, ashop, "tasks", "list", "--role", "purchase"),
        'unknown role "purchase"; did you mean "purchasing"? known: sales, business, finance, '
        "sales_director, director, warehouse, logistics, purchasing, ceo, admin",
    )

    done = run_cli(
        invoke, ashop, "tasks", "done", str(replenish), "--note", "PO-77 placed", minutes=10
    )
    assert done.exit_code == EXIT_OK, done.stderr
    assert done.stdout == f"Task {replenish} done: Replenish M-3 for SO-3\n"
    assert one_row(
        ashop, "SELECT state, done_at, done_by, note FROM tasks WHERE task_id = ?", [replenish]
    ) == (
        "done",
        at(10),
        "tester",
        "PO-77 placed",
    )
    assert task_list(invoke, ashop, "--open") == [("Check SO-2 (苏州凯越)", None, "open")]
    assert task_list(invoke, ashop)[-1] == ("Replenish M-3 for SO-3", "张伟", "done")

    assigned = run_cli(invoke, ashop, "tasks", "assign", str(check), "lina", minutes=20)
    assert assigned.exit_code == EXIT_OK, assigned.stderr
    assert assigned.stdout == f"Task {check} assigned to lina: Check SO-2 (苏州凯越)\n"
    assert one_row(ashop, "SELECT assignee FROM tasks WHERE task_id = ?", [check]) == "lina"
    assert audit_rows(ashop, "tasks assign") == [
        (at(20), "tester", {"task_id": check, "assignee": "lina"}, {"assignee": [None, "lina"]})
    ]
    assert audit_rows(ashop, "tasks done") == [
        (at(10), "tester", {"task_id": replenish, "note": "PO-77 placed"}, {})
    ]

    before = table_state(ashop)
    error(
        run_cli(invoke, ashop, "tasks", "done", str(replenish), minutes=30),
        f"task {replenish} is already done (tester, 2026-06-30 02:10)",
    )
    error(
        run_cli(invoke, ashop, "tasks", "done", "999"),
        "no task 999",
        "`ordertrack tasks list` shows them.",
    )
    error(
        run_cli(invoke, ashop, "tasks", "assign", "999", "lina"),
        "no task 999",
        "`ordertrack tasks list` shows them.",
    )
    error(
        run_cli(invoke, ashop, "tasks", "assign", str(replenish), "lina"),
        f"task {replenish} is already done",
    )
    assert table_state(ashop) == before


# ---------------------------------------------------------------------------------------
# outbox list


def test_outbox_list_by_status(invoke: Invoke, ashop: Path) -> None:
    from test_transport import free_port

    port = free_port()  # nobody listens: the e-mail stays queued
    set_rules(
        ashop,
        RULES
        + f"""
[notify.smtp]
host = "127.0.0.1"
port = {port}
security = "plain"
sender = "ot@example.com"
timeout = 2
""",
    )
    sweep(invoke, ashop, "--notify")  # majun and 张伟 by e-mail: both stay queued

    def statuses(*args: str) -> list[tuple[str, str, str]]:
        result = run_cli(invoke, ashop, "outbox", "list", "--json", *args)
        assert result.exit_code == EXIT_OK, result.stderr
        return [(m["status"], m["channel"], m["recipient"]) for m in json.loads(result.stdout)]

    assert statuses() == [
        ("queued", "email", "zhangwei@example.com"),
        ("queued", "email", "majun@example.com"),
    ]
    assert statuses("--status", "sent") == []
    assert len(statuses("--status", "queued")) == 2
    table = run_cli(invoke, ashop, "outbox", "list", "--status", "sent")
    assert table.stdout == "(nothing)\n"
    error(
        run_cli(invoke, ashop, "outbox", "list", "--status", "lost"),
        'unknown status "lost"; use queued, sent, failed or superseded',
    )
    retry = run_cli(invoke, ashop, "outbox", "retry", minutes=5)
    assert retry.exit_code == EXIT_CONDITION
    assert (
        retry.stderr == "Error: 2 message(s) not sent; `ordertrack outbox list` shows the errors\n"
    )
    assert rows(ashop, "SELECT DISTINCT status, attempts FROM outbox") == [("queued", 2)]
    error(
        run_cli(invoke, ashop, "outbox", "retry", "999"),
        "no message 999 in the outbox",
        "`ordertrack outbox list` shows them.",
    )


# ---------------------------------------------------------------------------------------
# projected dates from the stage history

HISTORY_HEADER = ["订单编号", "环节", "进入时间", "上一环节", "操作人"]
#: How long past orders stayed in each stage (hours): order entry 4 h, business review and
#: finance approval a day each, picking two days, shipped → signed for 20 days (a slow
#: carrier). Director approval: none of them needed it.
STAYS = [
    ("order_entry", 4),
    ("business_review", 24),
    ("finance_approval", 24),
    ("picking", 48),
    ("shipped", 480),
    ("signed", None),
]


def import_history(invoke: Invoke, ws: Path, starts: list[tuple[str, datetime]]) -> None:
    """Past orders (delivered) and their stage history, with ``ordertrack import``."""
    from datetime import timedelta

    folder = ws.parent / "exports"
    folder.mkdir(exist_ok=True)
    orders = [
        [
            oid,
            "C9",
            "历史客户",
            "张伟",
            f"{start:%Y-%m-%d}",
            f"{start + timedelta(days=30):%Y-%m-%d}",
            "",
            "1000",
        ]
        for oid, start in starts
    ]
    path = write_csv(folder / "history_orders.csv", ORDERS_HEADER, orders)
    assert import_one(invoke, ws, str(path), "--profile", "orders")["rejected"] == 0
    events = []
    for oid, start in starts:
        t, previous = start, ""
        for stage, hours in STAYS:
            events.append([oid, stage, f"{t:%Y-%m-%d %H:%M}", previous, "历史"])
            previous = stage
            t += timedelta(hours=hours or 0)
    path = write_csv(folder / "流程记录.csv", HISTORY_HEADER, events)
    result = import_one(invoke, ws, str(path), "--profile", "stage_history")
    assert (result["inserted"], result["rejected"]) == (len(events), 0), result


def facts(ws: Path, now: datetime, sql: str) -> list[tuple[Any, ...]]:
    """A query over the views with "now" pinned as ordertrack pins it (``ot_now``)."""
    con = duckdb.connect(str(ws / "ordertrack.duckdb"), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET VARIABLE ot_now = ?::TIMESTAMPTZ", [now])
        return con.execute(sql).fetchall()
    finally:
        con.close()


PROJECTED_LATE = """
[[rules]]
id = "projected_late"
when = "before_delivered AND promised_date >= as_of::DATE AND projected_delivery_date > promised_date"
actions = [{ notify = ["@sales_rep"] }]
"""


def test_the_sweep_projects_delivery_dates_from_past_stays_and_a_rule_warns_before_the_promise(
    invoke: Invoke, ashop: Path
) -> None:
    set_rules(ashop, PROJECTED_LATE)
    import_history(invoke, ashop, [(f"H-{k}", datetime(2026, 5, k, 9, 0)) for k in (1, 2, 3)])
    assert rows(ashop, "SELECT count(*) FROM stage_forecast") == [(0,)]
    before = facts(
        ashop, at(0), "SELECT projected_delivery_date FROM v_order_facts WHERE order_id = 'SO-1'"
    )
    assert before == [(None,)]  # no statistics yet

    result = sweep(invoke, ashop)

    assert result["forecast_refreshed"] is True
    forecast = rows(
        ashop,
        "SELECT stage_id, segment, samples, visit_share, hours, to_ship_hours, to_delivery_hours "
        "FROM stage_forecast ORDER BY hours, stage_id",
    )
    assert forecast == [
        ("order_entry", "*", 3, 1.0, 4.0, 96.0, 576.0),
        ("business_review", "*", 3, 1.0, 24.0, 72.0, 552.0),
        ("finance_approval", "*", 3, 1.0, 24.0, 48.0, 528.0),
        ("picking", "*", 3, 1.0, 48.0, 0.0, 480.0),
        ("shipped", "*", 3, 1.0, 480.0, None, 0.0),
    ]
    # the open orders in order entry since T0: 4 h + 576 h from now to delivery (24 days)
    assert facts(
        ashop,
        at(0),
        "SELECT order_id, promised_date, projected_ship_date, projected_delivery_date "
        "FROM v_order_facts WHERE order_id LIKE 'SO-%' ORDER BY 1",
    ) == [
        ("SO-1", date(2026, 7, 20), date(2026, 7, 4), date(2026, 7, 24)),
        ("SO-2", date(2026, 7, 25), date(2026, 7, 4), date(2026, 7, 24)),
        ("SO-3", date(2026, 7, 26), date(2026, 7, 4), date(2026, 7, 24)),
    ]
    # only SO-1 is promised before that
    assert result["rules"][0]["new"] == 1
    assert [a[1:5] for a in alerts(ashop)] == [("projected_late", "SO-1", None, "firing")]
    # the same history the same day: not computed again
    assert sweep(invoke, ashop, minutes=30)["forecast_refreshed"] is False


# ---------------------------------------------------------------------------------------
# backtest

#: (order, planned ship, promised, shipped, delivered). The rule "planned ship date reached,
#: not shipped" first holds on the planned day for B-1, B-3 and B-4 (shipped later); B-2
#: and B-5 shipped early. Late (delivered after the promise): B-1, B-4, B-5.
BACKTEST_ORDERS = [
    (
        "B-1",
        "2026-06-05",
        "2026-06-10",
        "2026-06-08 10:00",
        "2026-06-12 15:00",
    ),  # warned 5 days ahead, late
    (
        "B-2",
        "2026-06-10",
        "2026-06-15",
        "2026-06-09 10:00",
        "2026-06-11 15:00",
    ),  # never warned, on time
    ("B-3", "2026-06-12", "2026-06-18", "2026-06-13 10:00", "2026-06-16 15:00"),  # warned, on time
    (
        "B-4",
        "2026-06-14",
        "2026-06-16",
        "2026-06-15 10:00",
        "2026-06-19 15:00",
    ),  # warned 2 days ahead, late
    (
        "B-5",
        "2026-06-18",
        "2026-06-19",
        "2026-06-17 10:00",
        "2026-06-22 15:00",
    ),  # never warned, late
]
SHIP_DUE = """
[[rules]]
id = "ship_due"
severity = "critical"
when = "planned_ship_date <= as_of::DATE AND before_shipped"
actions = [{ notify = ["@sales_rep"] }]

[[rules]]
id = "big_order"
when = "amount > 100000"
actions = [{ notify = ["sales_director"] }]
"""


@pytest.fixture(scope="session", name="_history_template")
def history_template_fixture(tmp_path_factory: pytest.TempPathFactory, _initialized: Path) -> Path:
    """A workspace with :data:`BACKTEST_ORDERS`: orders, their stage history and shipments,
    imported at T0 (2026-06-30)."""

    def build(run: Invoke, ws: Path) -> None:
        set_rules(ws, SHIP_DUE)
        folder = ws.parent / "exports"
        folder.mkdir()
        orders = [
            [o, "C1", "上海申达机电", "张伟", "2026-06-01", promised, planned, "5000"]
            for o, planned, promised, *_ in BACKTEST_ORDERS
        ]
        events, shipments = [], []
        for o, _, _, shipped, delivered in BACKTEST_ORDERS:
            events += [
                [o, "order_entry", "2026-06-01 09:00", "", "张伟"],
                [o, "shipped", shipped, "order_entry", "钱勇"],
                [o, "signed", delivered, "shipped", "张伟"],
            ]
            shipments.append(
                [f"FH-{o}", o, "顺丰", f"SF{o}", "已签收", shipped, delivered, "20", "否"]
            )
        for name, header, data, profile in (
            ("orders.csv", ORDERS_HEADER, orders, "orders"),
            (
                "stage_history.csv",
                ["订单编号", "环节", "进入时间", "上一环节", "操作人"],
                events,
                "stage_history",
            ),
            ("shipments.csv", SHIPMENTS_HEADER, shipments, "wms_shipments"),
        ):
            result = import_one(
                run, ws, str(write_csv(folder / name, header, data)), "--profile", profile
            )
            assert (result["status"], result["rejected"]) == ("ok", 0), result

    return build_template(tmp_path_factory, _initialized, "history", build)


@pytest.fixture
def history(workspace: Path, _history_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ORDERTRACK_NOW", iso(0))
    return use_template(workspace, _history_template)


def test_backtest_counts_warnings_precision_recall_and_lead_time(
    invoke: Invoke, history: Path
) -> None:
    before = table_state(history)

    result = run_cli(
        invoke,
        history,
        "alerts",
        "backtest",
        "--since",
        "2026-06-01",
        "--until",
        "2026-06-20",
        "--rule",
        "ship_due",
        "--json",
    )

    assert result.exit_code == EXIT_OK, result.stderr
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("since", "until", "days", "orders", "late_orders")} == {
        "since": "2026-06-01",
        "until": "2026-06-20",
        "days": 20,
        "orders": 5,
        "late_orders": 3,
    }
    assert report["rules"] == [
        {
            "rule_id": "ship_due",
            "fired": 3,
            "orders": 3,
            "known": 3,
            "true_positives": 2,
            "precision": pytest.approx(2 / 3),
            "late_caught": 2,
            "recall": pytest.approx(2 / 3),
            "median_lead_days": 3.5,
        }
    ]
    assert table_state(history) == before  # a replay changes nothing

    text = run_cli(
        invoke, history, "alerts", "backtest", "--since", "2026-06-01", "--until", "2026-06-20"
    )
    assert text.exit_code == EXIT_OK, text.stderr
    head = text.stdout[: text.stdout.index("┏")]
    assert " ".join(head.split()) == (
        "Backtest 2026-06-01 … 2026-06-20 (20 days); 3 of 5 orders with a promised date in the "
        "period ended late."
    )
    assert re.search(
        r"│ ship_due +│ 3 +│ 3 +│(?: [^│\n]* │)*? 2 +│ 67% +│ 67% +│ 3.5 +│", text.stdout
    ), text.stdout
    assert re.search(r"│ big_order +│ 0 +│ 0 +│(?: [^│\n]* │)*? 0 +│ +│ +│ +│", text.stdout), (
        text.stdout
    )


def test_backtest_refuses_a_period_that_is_not_in_the_past_or_an_unknown_rule(
    invoke: Invoke, history: Path
) -> None:
    def backtest(*args: str) -> Any:
        return run_cli(invoke, history, "alerts", "backtest", *args)

    error(
        backtest("--since", "2026-06-10", "--until", "2026-06-01"),
        "--until 2026-06-01 is before --since 2026-06-10",
    )
    error(
        backtest("--since", "2026-06-10", "--until", "2026-06-30"),
        "--until 2026-06-30 is not in the past (today is 2026-06-30); replay up to yesterday",
    )
    error(
        backtest("--since", "2026-06-10", "--until", "2026-07-15"),
        "--until 2026-07-15 is not in the past (today is 2026-06-30); replay up to yesterday",
    )
    error(
        backtest("--since", "2026-06-10", "--until", "2026-06-20", "--rule", "ship_du"),
        'unknown rule "ship_du"; did you mean "ship_due"? known: ship_due, big_order',
    )


# ---------------------------------------------------------------------------------------
# the sample data: every seed rule fires, every recipient gets a digest

SEED_RULES = (
    "business_review_overdue",
    "stock_short",
    "ship_date_reached",
    "carrier_exception",
    "projected_late",
)


def test_the_demo_fires_every_seed_rule_and_writes_a_digest_per_recipient(
    invoke: Invoke, tmp_path: Path
) -> None:
    demo = tmp_path / "demo"
    built = invoke("demo", str(demo), "--force")
    assert built.exit_code == EXIT_OK, built.stderr
    now = "2026-06-30T17:00:00+08:00"  # the demo's own clock, pinned for the sweep

    result = invoke(
        "alerts", "run", "--notify", "--json", "-w", str(demo), env={"ORDERTRACK_NOW": now}
    )

    assert result.exit_code == EXIT_OK, result.stderr
    report = json.loads(result.stdout)
    assert report["warnings"] == []
    assert all(d["status"] == "sent" for d in report["deliveries"])
    # (the demo itself may already have run the day's sweep: count what fired in either)
    fired = dict(
        rows(demo, "SELECT rule_id, count(*) FROM alerts WHERE fired_at IS NOT NULL GROUP BY 1")
    )
    assert {r: fired.get(r, 0) >= 1 for r in SEED_RULES} == dict.fromkeys(SEED_RULES, True), fired
    assert all(r["firing"] >= 1 for r in report["rules"] if r["rule_id"] in SEED_RULES), report[
        "rules"
    ]

    digests = rows(
        demo, "SELECT sweep_id, recipient, status, message_id FROM outbox WHERE channel = 'file'"
    )
    assert digests and {status for _, _, status, _ in digests} == {"sent"}
    per_sweep = [(sweep_id, recipient) for sweep_id, recipient, _, _ in digests]
    assert len(per_sweep) == len(set(per_sweep))  # one digest per recipient per sweep
    folder = demo / "out" / "digests" / "2026-06-30"
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == 2 * len(digests)
    for _, _, _, message_id in digests:
        assert sum(1 for n in written if n.split("-", 2)[1] == str(message_id)) == 2, (
            message_id,
            written,
        )
    # the sales reps' Chinese names in the exports reach their [people] entries (aliases)
    from ordertrack.workspace import open_workspace

    people = set(open_workspace(demo).config.people)
    assert {r for _, r, _, _ in digests} <= people, digests
    assert {"majun", "zhangwei", "hanxue"} <= {r for _, r, _, _ in digests}
