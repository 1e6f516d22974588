"""Looking at orders and at the flow: whoami, orders list/show, flow show/check/rename-stage,
and two processes wanting the database at once.

The order center is the shop of ``test_flow`` (imported once per session, copied per test).
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXED_NOW, PYTHON, Invoke, set_config, subprocess_env
from test_flow import (  # noqa: F401  (fixtures)
    STAGE_LIST,
    STAGES,
    advance_cli,
    events,
    refused,
    set_roles,
    shop_fixture,
    shop_template_fixture,
    stage_of,
    state,
    walk,
)
from test_import import SHIPMENTS_HEADER, import_one, one, rows, write_csv
from test_locking import HOLDER, assert_busy
from typer.testing import Result

from ordertrack.errors import EXIT_OK, EXIT_USER


def run(invoke: Invoke, ws: Path, *args: str) -> Result:
    result = invoke(*args, "-w", str(ws))
    assert "Traceback" not in result.output
    return result


def ok_json(invoke: Invoke, ws: Path, *args: str) -> Any:
    result = run(invoke, ws, *args, "--json")
    assert result.exit_code == EXIT_OK, result.stderr
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------------------
# whoami


def test_whoami_json_without_roles(invoke: Invoke, workspace: Path) -> None:
    assert ok_json(invoke, workspace, "whoami") == {
        "actor": "tester",
        "roles": [],
        "enforced": False,
        "may_leave": STAGES,
    }


def test_whoami_text_without_roles_says_everyone_may_move(invoke: Invoke, workspace: Path) -> None:
    result = run(invoke, workspace, "whoami")
    assert result.exit_code == EXIT_OK
    assert result.stdout.splitlines()[:2] == [
        "tester: no role",
        "Nobody is listed under [roles] yet, so everyone may move every order.",
    ]


def test_whoami_with_roles(
    invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_roles(workspace, admin=["root"], sales=["alice", "Alice@Example.com"], finance=["alice"])
    result = run(invoke, workspace, "whoami", "--by", "alice")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == (
        "alice: sales, finance\n"
        "May move orders out of: order_entry, finance_approval, signed, invoiced, paid\n"
    )
    assert ok_json(invoke, workspace, "whoami", "--by", "ALICE@example.com") == {
        "actor": "ALICE@example.com",
        "roles": ["sales"],
        "enforced": True,
        "may_leave": ["order_entry", "signed"],
    }
    # the actor: ORDERTRACK_USER when --by is not given
    monkeypatch.setenv("ORDERTRACK_USER", "root")
    assert ok_json(invoke, workspace, "whoami") == {
        "actor": "root",
        "roles": ["admin"],
        "enforced": True,
        "may_leave": STAGES,
    }
    # somebody not listed
    result = run(invoke, workspace, "whoami", "--by", "mallory")
    assert result.stdout == "mallory: no role\nMay move orders out of: no stage\n"


# ---------------------------------------------------------------------------------------
# orders list / show


def test_orders_list_filters(
    invoke: Invoke, shop: Path, frozen: datetime, time_machine: Any
) -> None:
    walk(shop, "SO-BIG", "business_review")  # entered at FIXED_NOW; its limit is 2h
    time_machine.move_to(FIXED_NOW + timedelta(hours=3), tick=False)
    walk(shop, "SO-SMALL", "business_review")
    assert run(invoke, shop, "hold", "SO-XSS", "--reason", "address unclear").exit_code == 0

    def ids(*args: str) -> list[str]:
        return [r["order_id"] for r in ok_json(invoke, shop, "orders", "list", *args)]

    assert ids() == ["SO-BIG", "SO-EDGE", "SO-SHORT", "SO-SMALL"]  # overdue first
    assert ids("--overdue") == ["SO-BIG"]
    assert ids("--stage", "business_review") == ["SO-BIG", "SO-SMALL"]
    assert ids("--owner", "sales") == ["SO-EDGE", "SO-SHORT"]
    assert ids("--customer", "申达") == ["SO-EDGE", "SO-SMALL"]
    assert ids("--customer", "C3") == ["SO-SHORT"]
    assert ids("--state", "on_hold") == ["SO-XSS"]
    assert ids("--state", "all", "--limit", "2") == ["SO-BIG", "SO-EDGE"]
    big = ok_json(invoke, shop, "orders", "list", "--overdue")[0]
    assert big == {
        "order_id": "SO-BIG",
        "customer": "苏州凯越",
        "sales_rep": None,
        "stage": "business_review",
        "stage_name": "Business review",
        "owner_role": "business",
        "state": "open",
        "status": None,
        "amount": 150000,
        "promised_date": "2026-06-25",
        "planned_ship_date": None,
        "stage_hours": 3.0,
        "sla_hours": 2.0,
        "overdue": True,
        "is_short": False,
    }
    table = run(invoke, shop, "orders", "list", "--overdue")
    assert table.exit_code == EXIT_OK
    assert "SO-BIG" in table.stdout and "SO-SMALL" not in table.stdout


def test_orders_list_unknown_stage(invoke: Invoke, shop: Path) -> None:
    result = run(invoke, shop, "orders", "list", "--stage", "pickin")
    assert result.exit_code == EXIT_USER
    assert (
        result.stderr
        == f'Error: unknown stage "pickin"; did you mean "picking"? known: {STAGE_LIST}\n'
    )


def test_orders_show_facts_lines_timeline_shipments_tasks(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime, time_machine: Any
) -> None:
    walk(shop, "SO-SMALL", "business_review")
    time_machine.move_to(FIXED_NOW + timedelta(hours=3), tick=False)
    walk(shop, "SO-SMALL", "finance_approval", "picking", by="wang")
    ship = write_csv(
        tmp_path / "发货.csv",
        SHIPMENTS_HEADER,
        [["F1", "SO-SMALL", "顺丰", "SF1", "待发货", "", "", "12", "否"]],
    )
    assert import_one(invoke, shop, str(ship))["moved"] == 0  # booked, not left yet
    time_machine.move_to(FIXED_NOW + timedelta(hours=3, minutes=30), tick=False)
    d = ok_json(invoke, shop, "orders", "show", "SO-SMALL")
    assert {
        k: d["facts"][k] for k in ("order_id", "customer", "amount", "stage", "stage_hours")
    } == {
        "order_id": "SO-SMALL",
        "customer": "上海申达机电",
        "amount": 50000,
        "stage": "picking",
        "stage_hours": 0.5,
    }
    assert (d["facts"]["sla_hours"], d["facts"]["overdue"], d["facts"]["shipment_count"]) == (
        72.0,
        False,
        1,
    )
    assert d["lines"] == [
        {
            "line_no": 1,
            "sku": "M-1",
            "description": "螺钉",
            "qty": 10,
            "available": 1000,
            "shortage_qty": 0,
            "is_short": False,
            "warehouse": "上海仓",
        },
        {
            "line_no": 2,
            "sku": "M-2",
            "description": "气管",
            "qty": 5,
            "available": 50,
            "shortage_qty": 0,
            "is_short": False,
            "warehouse": "上海仓",
        },
    ]
    later = (FIXED_NOW + timedelta(hours=3)).isoformat()
    assert [
        (
            t["kind"],
            t["from_stage"],
            t["to_stage"],
            t["actor"],
            t["hours"],
            t["sla_hours"],
            t["over_sla"],
        )
        for t in d["timeline"]
    ] == [
        ("move", "order_entry", "business_review", "tester", 3.0, 2.0, True),
        ("move", "business_review", "finance_approval", "wang", 0.0, 24.0, False),
        ("skip", "director_approval", "director_approval", "wang", None, 48.0, None),
        ("move", "finance_approval", "picking", "wang", 0.5, 72.0, False),
    ]
    assert [t["event_at"] for t in d["timeline"]] == [FIXED_NOW.isoformat()] + [later] * 3
    assert [(s["shipment_id"], s["carrier"], s["tracking_no"]) for s in d["shipments"]] == [
        ("F1", "顺丰", "SF1")
    ]
    assert [(t["title"], t["role"], t["due_at"]) for t in d["tasks"]] == [
        ("Pick and pack SO-SMALL", "warehouse", (FIXED_NOW + timedelta(hours=27)).isoformat())
    ]
    assert d["alerts"] == []
    text = run(invoke, shop, "orders", "show", "SO-SMALL")
    assert text.exit_code == EXIT_OK
    for title in ("Lines", "Timeline", "Shipments", "Open tasks"):
        assert f"\n{title}\n" in text.stdout
    assert "Open alerts" not in text.stdout
    assert "Pick and pack" in text.stdout


def test_orders_show_a_short_line(invoke: Invoke, shop: Path) -> None:
    d = ok_json(invoke, shop, "orders", "show", "SO-SHORT")
    assert [
        (x["sku"], x["qty"], x["available"], x["shortage_qty"], x["is_short"]) for x in d["lines"]
    ] == [("M-3", 100, 10, 90, True)]
    assert (d["facts"]["is_short"], d["facts"]["shortage_qty"]) == (True, 90)


def test_orders_show_unknown_order_names_similar_ones(invoke: Invoke, shop: Path) -> None:
    result = run(invoke, shop, "orders", "show", "SO-SMAL")
    assert result.exit_code == EXIT_USER
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: unknown order SO-SMAL"
    assert lines[1].startswith("Hint: Similar: SO-SMALL, ")
    assert len(lines) == 2


# ---------------------------------------------------------------------------------------
# flow show


MERMAID = """\
flowchart LR
    order_entry["Order entry<br/>sales · 4h"]
    business_review["Business review<br/>business · 2h"]
    finance_approval["Finance approval<br/>finance · 1d<br/>auto when credit_limit IS NOT NULL AND customer_open_amount <= credit_limit"]
    director_approval["Director approval<br/>director · 2d"]
    picking["Warehouse picking<br/>warehouse · 3d"]
    shipped["Shipped<br/>logistics · 5d"]
    signed["Customer sign-off<br/>sales · 3d"]
    invoiced["Invoiced<br/>finance · 30d"]
    paid["Paid<br/>finance"]
    order_entry --> business_review
    business_review --> finance_approval
    finance_approval -->|amount > 100000| director_approval
    finance_approval -.->|"otherwise"| picking
    director_approval --> picking
    picking --> shipped
    shipped --> signed
    signed --> invoiced
    invoiced --> paid
"""

TEXT = """\
1. order_entry (Order entry) — owner sales, 4h
2. business_review (Business review) — owner business, 2h
3. finance_approval (Finance approval) — owner finance, 1d
     auto when credit_limit IS NOT NULL AND customer_open_amount <= credit_limit
4. director_approval (Director approval) — owner director, 2d
     only when amount > 100000
5. picking (Warehouse picking) — owner warehouse, 3d
     requires NOT is_short
     on enter: pick_list, task for warehouse
6. shipped (Shipped) — owner logistics, 5d
     requires shipment_count > 0
7. signed (Customer sign-off) — owner sales, 3d
8. invoiced (Invoiced) — owner finance, 30d
9. paid (Paid) — owner finance, no limit
"""


def test_flow_show_mermaid_and_text(invoke: Invoke, workspace: Path) -> None:
    mermaid = run(invoke, workspace, "flow", "show", "--format", "mermaid")
    assert (mermaid.exit_code, mermaid.stdout, mermaid.stderr) == (EXIT_OK, MERMAID, "")
    text = run(invoke, workspace, "flow", "show")
    assert (text.exit_code, text.stdout) == (EXIT_OK, TEXT)
    assert run(invoke, workspace, "flow", "show", "-f", "text").stdout == TEXT


def test_flow_show_unknown_format(invoke: Invoke, workspace: Path) -> None:
    result = run(invoke, workspace, "flow", "show", "--format", "dot")
    assert result.exit_code == EXIT_USER
    assert (
        result.stderr
        == 'Error: unknown format "dot"\nHint: Use --format mermaid or --format text.\n'
    )


def test_docs_show_the_default_flow_s_mermaid_picture() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "flow.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{MERMAID}```\n" in docs


# ---------------------------------------------------------------------------------------
# flow check


def test_flow_check_passes_on_the_default_flow(invoke: Invoke, workspace: Path) -> None:
    result = run(invoke, workspace, "flow", "check")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == f"{workspace}/ordertrack.toml: the flow is OK (9 stages)\n"


CONFIG_HINT = "Hint: Fix the file and run `ordertrack config check`.\n"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'when = "amount > 100000"',
            'when = "amout > 1"',
            'flow.stages[3].when: unknown column "amout"; did you mean "amount"?',
        ),
        (
            'when = "amount > 100000"',
            'when = "amount > (SELECT max(amount) FROM orders)"',
            "flow.stages[3].when: a subquery is not allowed here",
        ),
        (
            'when = "amount > 100000"',
            'when = "amount; DROP TABLE orders"',
            "flow.stages[3].when: only one expression is allowed: ';' ends a statement and "
            "cannot appear outside quotes",
        ),
        (
            'when = "NOT is_short"',
            'when = "NOT is_shortt"',
            'flow.stages[4].requires[0].when: unknown column "is_shortt"; did you mean "is_short"?',
        ),
        (
            'auto = "credit_limit IS NOT NULL',
            'auto = "credit_limt IS NOT NULL',
            'flow.stages[2].auto: unknown column "credit_limt"; did you mean "credit_limit"?',
        ),
    ],
    ids=["typo", "subquery", "statement", "guard", "auto"],
)
def test_flow_check_names_a_bad_condition(
    invoke: Invoke, workspace: Path, old: str, new: str, problem: str
) -> None:
    set_config(workspace, old, new)
    result = run(invoke, workspace, "flow", "check")
    assert result.exit_code == EXIT_USER
    assert result.stdout == ""
    assert result.stderr == f"Error: ordertrack.toml: {problem}\n{CONFIG_HINT}"


def test_flow_check_lists_every_problem(invoke: Invoke, workspace: Path) -> None:
    set_config(workspace, 'when = "amount > 100000"', 'when = "amout > 1"')
    set_config(workspace, 'when = "shipment_count > 0"', 'when = "shipments > 0"')
    result = run(invoke, workspace, "flow", "check")
    assert result.exit_code == EXIT_USER
    assert result.stderr.splitlines()[:3] == [
        "Error: 2 problems in the configuration:",
        '  ordertrack.toml: flow.stages[3].when: unknown column "amout"; did you mean "amount"?',
        '  ordertrack.toml: flow.stages[5].requires[0].when: unknown column "shipments"; '
        'did you mean "shipment_status"?',
    ]


def test_flow_check_names_roles_nobody_holds(invoke: Invoke, workspace: Path) -> None:
    set_roles(workspace, admin=["root"], sales=["alice"], business=["bob"], finance=["fay"])
    result = run(invoke, workspace, "flow", "check")
    assert result.exit_code == EXIT_USER
    assert result.stderr == (
        "Error: 3 problems in the configuration:\n"
        '  ordertrack.toml: flow.stages[3].owner: nobody holds the role "director": orders '
        "could not leave director_approval\n"
        '  ordertrack.toml: flow.stages[4].owner: nobody holds the role "warehouse": orders '
        "could not leave picking\n"
        '  ordertrack.toml: flow.stages[5].owner: nobody holds the role "logistics": orders '
        "could not leave shipped\n" + CONFIG_HINT
    )


@pytest.mark.parametrize("command", [("advance", "SO-BIG"), ("config", "check")])
def test_a_bad_condition_is_refused_when_the_config_is_loaded(
    invoke: Invoke, shop: Path, command: tuple[str, ...]
) -> None:
    set_config(shop, 'when = "amount > 100000"', 'when = "amout > 1"')
    before = state(shop)
    result = run(invoke, shop, *command)
    assert result.exit_code == EXIT_USER
    assert result.stderr.splitlines()[0] == (
        'Error: ordertrack.toml: flow.stages[3].when: unknown column "amout"; did you mean "amount"?'
    )
    assert state(shop) == before


DIRECTOR_BLOCK = """[[flow.stages]]
id = "director_approval"
name = "Director approval"
owner = "director"
sla = "2d"
when = "amount > 100000"       # only orders over 100,000 need the director

"""


def test_flow_check_reports_orders_left_in_a_removed_stage(
    invoke: Invoke, shop: Path, frozen: datetime
) -> None:
    walk(shop, "SO-BIG", "business_review", "finance_approval", "director_approval")
    set_config(shop, DIRECTOR_BLOCK, "")
    result = run(invoke, shop, "flow", "check")
    assert result.exit_code == EXIT_USER
    assert result.stdout == ""
    # (the first line is wrapped at the terminal's 100 columns)
    assert " ".join(result.stderr.split()) == (
        "1 open order sits in stage director_approval, which the flow no longer has: "
        "`ordertrack flow rename-stage director_approval NEW` or move them "
        "Error: orders sit in stages the flow no longer has"
    )
    # moved out with --to, the flow is whole again
    moved = advance_cli(invoke, shop, "SO-BIG", "--to", "picking")
    assert moved.exit_code == EXIT_OK, moved.stderr
    assert run(invoke, shop, "flow", "check").exit_code == EXIT_OK


def test_advancing_an_order_in_a_removed_stage_is_refused(
    invoke: Invoke, shop: Path, frozen: datetime
) -> None:
    walk(shop, "SO-BIG", "business_review", "finance_approval", "director_approval")
    set_config(shop, DIRECTOR_BLOCK, "")
    before = state(shop)
    refused(
        advance_cli(invoke, shop, "SO-BIG"),
        "SO-BIG: the order sits in director_approval, which the flow no longer has: name the "
        "stage to move it to with --to (or rename the stage: ordertrack flow rename-stage)",
    )
    assert state(shop) == before


def test_an_order_in_a_removed_stage_can_be_moved_out_with_to(
    invoke: Invoke, shop: Path, frozen: datetime
) -> None:
    walk(shop, "SO-BIG", "business_review", "finance_approval", "director_approval")
    set_config(shop, DIRECTOR_BLOCK, "")
    result = advance_cli(invoke, shop, "SO-BIG", "--to", "picking")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout.splitlines()[0] == "SO-BIG: director_approval → picking"
    assert stage_of(shop, "SO-BIG") == ("picking", "open")
    assert [e[6] for e in events(shop, "SO-BIG")] == ["move"] * 4  # no skips invented


# ---------------------------------------------------------------------------------------
# flow rename-stage


def test_rename_stage_in_config_orders_and_history(
    invoke: Invoke, shop: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SMALL", "business_review", "finance_approval", "picking")
    walk(shop, "SO-EDGE", "business_review")
    result = run(
        invoke, shop, "flow", "rename-stage", "picking", "warehouse_picking", "--by", "root"
    )
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == "picking → warehouse_picking: 1 orders, 1 events updated\n"
    config = (shop / "ordertrack.toml").read_text(encoding="utf-8")
    assert 'id = "warehouse_picking"' in config and 'id = "picking"' not in config
    assert stage_of(shop, "SO-SMALL") == ("warehouse_picking", "open")
    assert [(e[1], e[2], e[6]) for e in events(shop, "SO-SMALL")] == [
        ("order_entry", "business_review", "move"),
        ("business_review", "finance_approval", "move"),
        ("director_approval", "director_approval", "skip"),
        ("finance_approval", "warehouse_picking", "move"),
    ]
    assert rows(
        shop, "SELECT actor, command, args, changes FROM audit_log ORDER BY audit_id DESC LIMIT 1"
    ) == [
        (
            "root",
            "flow rename-stage",
            '{"old": "picking", "new": "warehouse_picking"}',
            '{"orders": 1, "events_to": 1, "events_from": 0}',
        )
    ]
    check = run(invoke, shop, "flow", "check")
    assert check.exit_code == EXIT_OK, check.stderr
    # the renamed stage works as before: the next one for SO-EDGE's way, guards and all
    listed = ok_json(invoke, shop, "orders", "list", "--stage", "warehouse_picking")
    assert [r["order_id"] for r in listed] == ["SO-SMALL"]
    assert advance_cli(invoke, shop, "SO-EDGE", "--to", "finance_approval").exit_code == EXIT_OK
    assert advance_cli(invoke, shop, "SO-EDGE").stdout.startswith(
        "SO-EDGE: finance_approval → warehouse_picking (passed over: director_approval)\n"
    )


def test_rename_stage_named_by_on_import(invoke: Invoke, shop: Path, tmp_path: Path) -> None:
    result = run(invoke, shop, "flow", "rename-stage", "shipped", "dispatched")
    assert result.exit_code == EXIT_OK, result.stderr
    config = (shop / "ordertrack.toml").read_text(encoding="utf-8")
    assert 'id = "dispatched"' in config
    assert 'shipped = "dispatched"' in config  # [flow.on_import] follows
    ship = write_csv(
        tmp_path / "发货.csv",
        SHIPMENTS_HEADER,
        [["F1", "SO-SMALL", "顺丰", "SF1", "运输中", "2026-06-29 09:00", "", "", ""]],
    )
    assert import_one(invoke, shop, str(ship))["moved"] == 1
    assert stage_of(shop, "SO-SMALL") == ("dispatched", "open")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("picking", "shipped", 'a stage "shipped" already exists'),
        ("picking", "Warehouse", '"Warehouse" is not a valid stage id (lower_snake_case)'),
        ("nope", "other", 'no stage "nope" in the flow or the order center'),
    ],
)
def test_rename_stage_refusals(
    invoke: Invoke, workspace: Path, old: str, new: str, message: str
) -> None:
    before = (workspace / "ordertrack.toml").read_text(encoding="utf-8")
    result = run(invoke, workspace, "flow", "rename-stage", old, new)
    assert result.exit_code == EXIT_USER
    assert result.stderr == f"Error: {message}\n"
    assert (workspace / "ordertrack.toml").read_text(encoding="utf-8") == before


def test_rename_a_stage_only_the_history_still_has(
    invoke: Invoke, shop: Path, frozen: datetime
) -> None:
    walk(shop, "SO-BIG", "business_review", "finance_approval", "director_approval")
    set_config(shop, DIRECTOR_BLOCK, "")
    result = run(invoke, shop, "flow", "rename-stage", "director_approval", "finance_approval_old")
    assert result.exit_code == EXIT_OK, result.stderr
    assert stage_of(shop, "SO-BIG") == ("finance_approval_old", "open")
    check = run(invoke, shop, "flow", "check")
    assert check.exit_code == EXIT_USER
    assert "1 open order sits in stage finance_approval_old" in check.stderr


# ---------------------------------------------------------------------------------------
# two processes: one holds the database, the other waits or exits 3


def ordertrack(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "ordertrack", *args],
        capture_output=True,
        text=True,
        env=subprocess_env(ORDERTRACK_HOME=str(ws), ORDERTRACK_NOW=FIXED_NOW.isoformat()),
        cwd=ws.parent,
        timeout=60,
    )


def holder(ws: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [PYTHON, "-c", HOLDER, str(ws / "ordertrack.duckdb"), str(seconds), "rw"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line == "ready\n", proc.stderr.read() if proc.stderr else line
    return proc


def test_advance_while_another_process_holds_the_database(shop: Path) -> None:
    before = state(shop)
    busy = holder(shop, 30)
    try:
        proc = ordertrack(shop, "advance", "SO-SMALL", "--by", "amy")
        assert_busy(proc, busy.pid)
        assert busy.poll() is None
    finally:
        busy.kill()
        busy.wait(timeout=10)
        for stream in (busy.stdout, busy.stderr):
            if stream is not None:
                stream.close()
    assert state(shop) == before


def test_advance_with_wait_succeeds_once_the_holder_lets_go(shop: Path) -> None:
    busy = holder(shop, 1.5)
    try:
        began = time.monotonic()
        proc = ordertrack(shop, "advance", "SO-SMALL", "--by", "amy", "--wait", "5")
        assert proc.returncode == EXIT_OK, proc.stderr
        assert time.monotonic() - began >= 1.0  # it waited for the holder
        assert proc.stdout == "SO-SMALL: order_entry → business_review\n1 order moved\n"
        assert busy.wait(timeout=10) == 0
    finally:
        if busy.poll() is None:
            busy.kill()
            busy.wait(timeout=10)
        for stream in (busy.stdout, busy.stderr):
            if stream is not None:
                stream.close()
    assert events(shop) == [
        ("SO-SMALL", "order_entry", "business_review", FIXED_NOW, "amy", "cli", "move", None)
    ]
    assert one(shop, "SELECT count(*) FROM audit_log WHERE command = 'advance'") == 1


# ---------------------------------------------------------------------------------------
# a work calendar: time limits in business hours

CALENDAR = '\n[calendar]\nworkdays = ["mon", "tue", "wed", "thu", "fri"]\nhours = ["09:00-12:00", "13:00-18:00"]\n'
FRIDAY_5PM = datetime(2026, 7, 3, 17, 0, tzinfo=FIXED_NOW.tzinfo)
MONDAY_10AM = datetime(2026, 7, 6, 10, 0, tzinfo=FIXED_NOW.tzinfo)


def with_calendar(ws: Path) -> None:
    path = ws / "ordertrack.toml"
    path.write_text(path.read_text(encoding="utf-8") + CALENDAR, encoding="utf-8")


def test_with_a_calendar_overdue_counts_business_hours(
    invoke: Invoke, shop: Path, frozen: datetime, time_machine: Any
) -> None:
    with_calendar(shop)
    time_machine.move_to(FRIDAY_5PM, tick=False)
    walk(shop, "SO-BIG", "business_review")  # limit 2h: Friday 17-18 and Monday 9-10
    time_machine.move_to(MONDAY_10AM, tick=False)
    big = ok_json(invoke, shop, "orders", "show", "SO-BIG")["facts"]
    assert (big["stage_hours"], big["stage_business_hours"], big["sla_hours"], big["overdue"]) == (
        65.0,
        2.0,
        2.0,
        False,
    )
    time_machine.move_to(MONDAY_10AM + timedelta(minutes=30), tick=False)
    assert [
        r["order_id"]
        for r in ok_json(invoke, shop, "orders", "list", "--overdue", "--stage", "business_review")
    ] == ["SO-BIG"]
    # whole days are work days: "1d" of finance approval is one 8-hour work day
    assert ok_json(invoke, shop, "orders", "show", "SO-SMALL")["facts"]["sla_hours"] == 4.0
    walk(shop, "SO-SMALL", "business_review", "finance_approval")
    assert ok_json(invoke, shop, "orders", "show", "SO-SMALL")["facts"]["sla_hours"] == 8.0


def test_with_a_calendar_the_timeline_compares_business_hours_with_the_limit(
    invoke: Invoke, shop: Path, frozen: datetime, time_machine: Any
) -> None:
    with_calendar(shop)
    time_machine.move_to(FRIDAY_5PM, tick=False)
    walk(shop, "SO-BIG", "business_review")
    time_machine.move_to(MONDAY_10AM, tick=False)
    walk(shop, "SO-BIG", "finance_approval")
    timeline = ok_json(invoke, shop, "orders", "show", "SO-BIG")["timeline"]
    assert [
        (t["to_stage"], t["hours"], t["business_hours"], t["sla_hours"], t["over_sla"])
        for t in timeline
    ] == [
        ("business_review", 65.0, 2.0, 2.0, False),
        ("finance_approval", 0.0, 0.0, 8.0, False),
    ]
