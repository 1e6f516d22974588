"""The flow engine end to end: real imports, real moves, the rows they leave behind.

Every test builds a small order center from CSV exports (:func:`make_shop`), moves orders
with ``ordertrack advance`` / ``hold`` / ``cancel`` / … (or the Python API to get an order
into place), and asserts the exit code, the exact ``Error:`` text and the rows of
``stage_events``, ``orders``, ``tasks`` and ``audit_log`` afterwards. The clock is pinned
(``frozen``), so every event's time is :data:`conftest.FIXED_NOW`.

The helpers at the top are shared with ``test_flow_cli`` and ``test_flow_files``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from conftest import FIXED_NOW, Invoke, set_config
from test_import import SHIPMENTS_HEADER, import_one, one, rows, write_csv
from typer.testing import CliRunner, Result

from ordertrack.cli import app
from ordertrack.cli._common import reset_consoles
from ordertrack.errors import EXIT_OK, EXIT_USER
from ordertrack.templates import PICKING_GUARD, SHIPPED_GUARD
from ordertrack.workspace import open_workspace

# ---------------------------------------------------------------------------------------
# helpers (also imported by test_flow_cli and test_flow_files)

STAGES = [
    "order_entry",
    "business_review",
    "finance_approval",
    "director_approval",
    "picking",
    "shipped",
    "signed",
    "invoiced",
    "paid",
]
STAGE_LIST = ", ".join(STAGES)

ORDER_HEADER = ["订单编号", "客户编码", "客户名称", "下单日期", "承诺交期", "订单金额"]
LINE_HEADER = ["订单编号", "行号", "物料编码", "物料名称", "数量", "单位", "仓库", "库位"]
STOCK_HEADER = ["物料编码", "物料名称", "仓库", "现存量", "可用库存", "库位"]
CUSTOMER_HEADER = ["客户编码", "客户名称", "信用额度"]

# SO-SMALL ≤ 100,000 skips director approval; SO-BIG > 100,000 needs it; SO-EDGE is exactly
# 100,000 (skips it); SO-SHORT wants 100 of M-3 with 10 in stock; SO-XSS has a customer
# name that must come out escaped in HTML.
SHOP_ORDERS = [
    ["SO-SMALL", "C1", "上海申达机电", "2026-06-01", "2026-06-20", "50000"],
    ["SO-BIG", "C2", "苏州凯越", "2026-06-02", "2026-06-25", "150000"],
    ["SO-EDGE", "C1", "上海申达机电", "2026-06-03", "2026-06-25", "100000"],
    ["SO-SHORT", "C3", "ACME Ltd.", "2026-06-04", "2026-06-26", "3000"],
    ["SO-XSS", "C4", "<script>x</script>", "2026-06-05", "2026-06-27", "2000"],
]
SHOP_LINES = [
    ["SO-SMALL", 1, "M-1", "螺钉", 10, "个", "上海仓", "A-01"],
    ["SO-SMALL", 2, "M-2", "气管", 5, "米", "上海仓", "B-02"],
    ["SO-BIG", 1, "M-1", "螺钉", 20, "个", "上海仓", "A-01"],
    ["SO-EDGE", 1, "M-2", "气管", 1, "米", "上海仓", "B-02"],
    ["SO-SHORT", 1, "M-3", "型材", 100, "根", "上海仓", "C-03"],
    ["SO-XSS", 1, "M-1", "螺钉", 2, "个", "上海仓", "A-01"],
]
SHOP_STOCK = [
    ["M-1", "螺钉", "上海仓", 1000, 1000, "A-01"],
    ["M-2", "气管", "上海仓", 50, 50, "B-02"],
    ["M-3", "型材", "上海仓", 10, 10, "C-03"],
]

EVENT_COLUMNS = "order_id, from_stage, to_stage, event_at, actor, via, kind, note"
STATE_TABLES = ("orders", "stage_events", "tasks", "audit_log")


def make_shop(
    invoke: Invoke,
    ws: Path,
    folder: Path,
    orders: Sequence[Sequence[Any]] = SHOP_ORDERS,
    lines: Sequence[Sequence[Any]] = SHOP_LINES,
    stock: Sequence[Sequence[Any]] = SHOP_STOCK,
) -> None:
    """Import orders, their lines and the stock, each file with ``ordertrack import``."""
    files = [
        ("shop_orders.csv", ORDER_HEADER, orders, "orders"),
        ("shop_lines.csv", LINE_HEADER, lines, "order_lines"),
        ("shop_stock.csv", STOCK_HEADER, stock, "inventory"),
    ]
    for name, header, data, profile in files:
        if not data:
            continue
        path = write_csv(folder / name, header, data)
        result = import_one(invoke, ws, str(path), "--profile", profile)
        assert result["status"] == "ok" and result["rejected"] == 0, result


@pytest.fixture(scope="session", name="_shop_template")
def shop_template_fixture(tmp_path_factory: pytest.TempPathFactory, _initialized: Path) -> Path:
    """The shop imported once per session, at the pinned time, as user ``tester``."""
    import os

    import time_machine

    root = tmp_path_factory.mktemp("shop") / "ws"
    shutil.copytree(_initialized, root)
    runner = CliRunner()

    def run(*args: str) -> Result:
        reset_consoles()
        result = runner.invoke(app, list(args), catch_exceptions=False, prog_name="ordertrack")
        reset_consoles()
        return result

    with pytest.MonkeyPatch.context() as mp, time_machine.travel(FIXED_NOW, tick=False):
        for name in list(os.environ):
            if name.startswith("ORDERTRACK_"):
                mp.delenv(name)
        mp.setenv("TZ", "UTC")
        mp.setenv("ORDERTRACK_USER", "tester")
        make_shop(run, root, root.parent)
    return root


@pytest.fixture(name="shop")
def shop_fixture(workspace: Path, _shop_template: Path) -> Path:
    """A fresh workspace holding the shop: :data:`SHOP_ORDERS`, their lines and the stock,
    every order in the first stage (a copy of what :func:`make_shop` imports)."""
    shutil.rmtree(workspace)
    shutil.copytree(_shop_template, workspace)
    return workspace


def walk(ws: Path, order_id: str, *stages: str, by: str | None = None) -> None:
    """Put an order in place through the Python API, one stage at a time."""
    from ordertrack.flow import advance

    for stage in stages:
        advance(open_workspace(ws), order_id, to=stage, by=by)


def stage_of(ws: Path, order_id: str) -> tuple[str | None, str]:
    return one(ws, "SELECT stage, state FROM orders WHERE order_id = ?", [order_id])


def events(ws: Path, order_id: str | None = None) -> list[tuple[Any, ...]]:
    where = "WHERE order_id = ?" if order_id else ""
    return rows(
        ws,
        f"SELECT {EVENT_COLUMNS} FROM stage_events {where} ORDER BY event_id",
        [order_id] if order_id else [],
    )


def audits(ws: Path) -> list[tuple[Any, ...]]:
    """(actor, command, args, changes) of every audit_log row, JSON decoded."""
    return [
        (a, c, json.loads(x), json.loads(y))
        for a, c, x, y in rows(
            ws, "SELECT actor, command, args, changes FROM audit_log ORDER BY audit_id"
        )
    ]


def state(ws: Path) -> dict[str, Any]:
    """Every row of the tables a move may write, and the files under out/."""
    con = duckdb.connect(str(ws / "ordertrack.duckdb"), read_only=True)
    try:
        got: dict[str, Any] = {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in STATE_TABLES
        }
    finally:
        con.close()
    out = ws / "out"
    got["out"] = sorted(str(p.relative_to(out)) for p in out.rglob("*")) if out.exists() else []
    return got


def set_roles(ws: Path, **people: list[str]) -> None:
    """Fill ``role = [...]`` lines of the template's [roles] section."""
    for role, names in people.items():
        set_config(ws, f"\n{role} = []", f"\n{role} = {json.dumps(names)}")


def advance_cli(invoke: Invoke, ws: Path, *args: str) -> Result:
    result = invoke("advance", *args, "-w", str(ws))
    assert "Traceback" not in result.output
    return result


def refused(result: Result, message: str, hint: str = "Nothing was changed.") -> None:
    """Exit 2 with exactly ``Error: message`` and the hint on stderr, nothing on stdout."""
    assert result.exit_code == EXIT_USER, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\nHint: {hint}\n"


def picklists(ws: Path) -> list[str]:
    folder = ws / "out" / "picklists"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


STAMP = FIXED_NOW.strftime("%Y%m%d-%H%M%S")


# ---------------------------------------------------------------------------------------
# advance: the next applicable stage, --to, conditional stages


def test_advance_moves_to_the_next_stage_and_records_everything(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    result = advance_cli(invoke, shop, "SO-SMALL", "--note", "checked")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == "SO-SMALL: order_entry → business_review\n1 order moved\n"
    assert result.stderr == ""
    assert events(shop) == [
        (
            "SO-SMALL",
            "order_entry",
            "business_review",
            FIXED_NOW,
            "tester",
            "cli",
            "move",
            "checked",
        )
    ]
    assert rows(
        shop,
        "SELECT stage, stage_entered_at, state, updated_at FROM orders WHERE order_id = 'SO-SMALL'",
    ) == [("business_review", FIXED_NOW, "open", FIXED_NOW)]
    # the other orders were not touched: still in the first stage (stage NULL)
    assert rows(shop, "SELECT count(*) FROM orders WHERE stage IS NULL") == [(4,)]
    # one audit row for the command (the three before it are the imports)
    assert audits(shop)[3:] == [
        (
            "tester",
            "advance",
            {"orders": 1, "force": False, "note": "checked", "file": None},
            {"moved": 1, "refused": 0, "order_ids": ["SO-SMALL"]},
        )
    ]


def test_advance_to_a_named_stage(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    result = advance_cli(invoke, shop, "SO-BIG", "--to", "business_review", "--json")
    assert result.exit_code == EXIT_OK, result.stderr
    assert json.loads(result.stdout) == {
        "moved": [
            {
                "order_id": "SO-BIG",
                "from_stage": "order_entry",
                "to_stage": "business_review",
                "skipped": [],
                "via": "cli",
                "actor": "tester",
                "at": FIXED_NOW.isoformat(),
                "note": None,
            }
        ],
        "refused": [],
        "tasks": 0,
        "forms": [],
        "dry_run": False,
    }
    assert stage_of(shop, "SO-BIG") == ("business_review", "open")


@pytest.mark.parametrize("order_id", ["SO-SMALL", "SO-EDGE"])
def test_an_order_up_to_100000_skips_director_approval_and_the_skip_is_recorded(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime, order_id: str
) -> None:
    walk(shop, order_id, "business_review", "finance_approval")
    result = advance_cli(invoke, shop, order_id, "--by", "fay")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == (
        f"{order_id}: finance_approval → picking (passed over: director_approval)\n"
        "1 order moved\n"
        "1 task created\n"
        f"form written: {shop}/out/picklists/出库单_{STAMP}_{order_id}.xlsx\n"
        f"form written: {shop}/out/picklists/出库单_{STAMP}_{order_id}.html\n"
    )
    assert events(shop, order_id)[2:] == [
        (
            order_id,
            "director_approval",
            "director_approval",
            FIXED_NOW,
            "fay",
            "cli",
            "skip",
            "does not apply to this order",
        ),
        (order_id, "finance_approval", "picking", FIXED_NOW, "fay", "cli", "move", None),
    ]
    assert stage_of(shop, order_id) == ("picking", "open")


def test_an_order_over_100000_goes_to_director_approval(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-BIG", "business_review", "finance_approval")
    result = advance_cli(invoke, shop, "SO-BIG")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == "SO-BIG: finance_approval → director_approval\n1 order moved\n"
    assert events(shop, "SO-BIG")[2:] == [
        (
            "SO-BIG",
            "finance_approval",
            "director_approval",
            FIXED_NOW,
            "tester",
            "cli",
            "move",
            None,
        )
    ]
    # jumping over it to picking is refused: it applies to this order
    before = state(shop)
    walk_back = advance_cli(invoke, shop, "SO-BIG", "--to", "shipped")
    refused(
        walk_back,
        "SO-BIG: must pass picking first (it applies to this order); use --force to jump over it",
    )
    assert state(shop) == before
    # from director approval, on to picking
    assert advance_cli(invoke, shop, "SO-BIG").exit_code == EXIT_OK
    assert stage_of(shop, "SO-BIG") == ("picking", "open")


def test_jumping_over_a_stage_that_applies_is_refused(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-BIG", "business_review", "finance_approval")
    before = state(shop)
    result = advance_cli(invoke, shop, "SO-BIG", "--to", "picking")
    refused(
        result,
        "SO-BIG: must pass director_approval first (it applies to this order); "
        "use --force to jump over it",
    )
    assert state(shop) == before


def test_force_with_a_note_jumps_and_records_the_stages_passed_over(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-BIG", "business_review")
    result = advance_cli(
        invoke, shop, "SO-BIG", "--to", "picking", "--force", "--note", "CEO approved by phone"
    )
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout.splitlines()[0] == (
        "SO-BIG: business_review → picking (passed over: finance_approval, director_approval)"
    )
    assert events(shop, "SO-BIG")[1:] == [
        (
            "SO-BIG",
            "finance_approval",
            "finance_approval",
            FIXED_NOW,
            "tester",
            "cli",
            "skip",
            "passed over: --force",
        ),
        (
            "SO-BIG",
            "director_approval",
            "director_approval",
            FIXED_NOW,
            "tester",
            "cli",
            "skip",
            "passed over: --force",
        ),
        (
            "SO-BIG",
            "business_review",
            "picking",
            FIXED_NOW,
            "tester",
            "cli",
            "move",
            "CEO approved by phone",
        ),
    ]
    assert audits(shop)[-1][2] == {
        "orders": 1,
        "force": True,
        "note": "CEO approved by phone",
        "file": None,
    }


def test_force_still_checks_the_target_stage_guard(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    before = state(shop)
    result = advance_cli(invoke, shop, "SO-SMALL", "--to", "shipped", "--force", "--note", "x")
    refused(result, f"SO-SMALL: cannot enter shipped: {SHIPPED_GUARD}")
    assert state(shop) == before


@pytest.mark.parametrize(
    "args",
    [("--force",), ("--force", "--note", "  ")],
    ids=["no-note", "blank-note"],
)
def test_force_without_a_note_is_refused(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime, args: tuple[str, ...]
) -> None:
    walk(shop, "SO-SMALL", "business_review")
    before = state(shop)
    result = advance_cli(invoke, shop, "SO-SMALL", "--to", "order_entry", *args)
    refused(result, "--force needs a --note saying why", 'e.g. --note "customer called"')
    assert state(shop) == before


def test_moving_backwards_needs_force_and_a_note(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SMALL", "business_review", "finance_approval")
    before = state(shop)
    result = advance_cli(invoke, shop, "SO-SMALL", "--to", "order_entry")
    refused(
        result,
        "SO-SMALL: moving back from finance_approval to order_entry needs --force and a --note",
    )
    assert state(shop) == before

    result = advance_cli(
        invoke, shop, "SO-SMALL", "--to", "order_entry", "--force", "--note", "wrong price"
    )
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == "SO-SMALL: finance_approval → order_entry\n1 order moved\n"
    # moving back records no skips
    assert events(shop, "SO-SMALL")[2:] == [
        (
            "SO-SMALL",
            "finance_approval",
            "order_entry",
            FIXED_NOW,
            "tester",
            "cli",
            "move",
            "wrong price",
        )
    ]
    assert stage_of(shop, "SO-SMALL") == ("order_entry", "open")


def test_unknown_order_writes_nothing(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    before = state(shop)
    result = advance_cli(invoke, shop, "SO-NOPE")
    refused(result, "SO-NOPE: unknown order SO-NOPE")
    assert state(shop) == before


@pytest.mark.parametrize(
    ("asked", "suggestion"),
    [("pickin", 'did you mean "picking"? '), ("shiped", 'did you mean "shipped"? '), ("xyz", "")],
)
def test_unknown_stage_lists_the_stages_and_suggests_the_closest(
    invoke: Invoke,
    shop: Path,
    tmp_path: Path,
    frozen: datetime,
    asked: str,
    suggestion: str,
) -> None:
    before = state(shop)
    result = advance_cli(invoke, shop, "SO-SMALL", "--to", asked)
    refused(result, f'SO-SMALL: unknown stage "{asked}"; {suggestion}stages: {STAGE_LIST}')
    assert state(shop) == before


def test_already_in_that_stage(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    before = state(shop)
    refused(
        advance_cli(invoke, shop, "SO-SMALL", "--to", "order_entry"),
        "SO-SMALL: already in order_entry",
    )
    assert state(shop) == before


def test_last_stage_closes_the_order_and_there_is_no_next_stage(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SMALL", "business_review", "finance_approval", "picking")
    ship = write_csv(
        tmp_path / "发货.csv",
        SHIPMENTS_HEADER,
        [["F1", "SO-SMALL", "顺丰", "SF1", "运输中", "2026-06-29 09:00", "", "", ""]],
    )
    assert import_one(invoke, shop, str(ship))["moved"] == 1
    walk(shop, "SO-SMALL", "signed", "invoiced")
    result = advance_cli(invoke, shop, "SO-SMALL")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == "SO-SMALL: invoiced → paid\n1 order moved\n"
    assert stage_of(shop, "SO-SMALL") == ("paid", "closed")
    # a closed order does not move
    before = state(shop)
    refused(
        advance_cli(invoke, shop, "SO-SMALL"),
        "SO-SMALL: order is closed (it reached paid); reopen it first",
    )
    assert state(shop) == before
    # reopened, it is in the last stage: there is no next one
    assert invoke("reopen", "SO-SMALL", "--reason", "refund", "-w", str(shop)).exit_code == 0
    assert stage_of(shop, "SO-SMALL") == ("paid", "open")
    before = state(shop)
    refused(
        advance_cli(invoke, shop, "SO-SMALL"),
        "SO-SMALL: no next stage: the order is in the last stage (paid)",
    )
    assert state(shop) == before


def test_to_accepts_a_stage_s_display_name(invoke: Invoke, shop: Path, frozen: datetime) -> None:
    set_config(shop, 'name = "Warehouse picking"', 'name = "仓库配货"')
    walk(shop, "SO-SMALL", "Business review", "finance_approval")
    assert stage_of(shop, "SO-SMALL") == ("finance_approval", "open")
    result = advance_cli(invoke, shop, "SO-SMALL", "--to", "仓库配货")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout.splitlines()[0] == (
        "SO-SMALL: finance_approval → picking (passed over: director_approval)"
    )
    # names are matched exactly: another spelling is an unknown stage
    refused(
        advance_cli(invoke, shop, "SO-EDGE", "--to", "business review"),
        f'SO-EDGE: unknown stage "business review"; did you mean "business_review"? '
        f"stages: {STAGE_LIST}",
    )


def test_dry_run_moves_nothing(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SMALL", "business_review", "finance_approval")
    before = state(shop)
    result = advance_cli(invoke, shop, "SO-SMALL", "--dry-run")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == (
        "SO-SMALL: finance_approval → picking (passed over: director_approval)\n"
        "1 order would move\n"
    )
    assert state(shop) == before


def test_advance_needs_an_order_or_a_file(invoke: Invoke, workspace: Path) -> None:
    result = advance_cli(invoke, workspace)
    refused(
        result,
        "name one order, or give --from-file FILE",
        "ordertrack advance SO-1001 --to picking",
    )


# ---------------------------------------------------------------------------------------
# roles and permissions


def test_with_roles_leaving_a_stage_needs_its_owner_role(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    set_roles(shop, sales=["alice", "Alice@Example.com"], business=["bob"], finance=["alice"])
    walk(shop, "SO-SMALL", "business_review", by="alice")
    before = state(shop)
    result = advance_cli(invoke, shop, "SO-SMALL", "--by", "alice")
    refused(
        result,
        "SO-SMALL: leaving business_review needs the role business; "
        "alice has the roles sales, finance",
    )
    assert state(shop) == before
    # the owner may; the actor comes from --by
    result = advance_cli(invoke, shop, "SO-SMALL", "--by", "bob")
    assert result.exit_code == EXIT_OK, result.stderr
    assert events(shop, "SO-SMALL")[-1] == (
        "SO-SMALL",
        "business_review",
        "finance_approval",
        FIXED_NOW,
        "bob",
        "cli",
        "move",
        None,
    )
    assert audits(shop)[-1][0] == "bob"


def test_e_mail_addresses_match_whatever_their_case(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    set_roles(shop, sales=["Alice@Example.com"])
    result = advance_cli(invoke, shop, "SO-SMALL", "--by", "alice@example.com")
    assert result.exit_code == EXIT_OK, result.stderr
    assert events(shop, "SO-SMALL")[0][4] == "alice@example.com"


def test_the_actor_is_ordertrack_user_when_by_is_not_given(
    invoke: Invoke,
    shop: Path,
    tmp_path: Path,
    frozen: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_roles(shop, sales=["alice"], business=["bob"])
    monkeypatch.setenv("ORDERTRACK_USER", "bob")
    before = state(shop)
    refused(
        advance_cli(invoke, shop, "SO-SMALL"),
        "SO-SMALL: leaving order_entry needs the role sales; bob has the roles business",
    )
    assert state(shop) == before
    monkeypatch.setenv("ORDERTRACK_USER", "alice")
    assert advance_cli(invoke, shop, "SO-SMALL").exit_code == EXIT_OK
    # --by beats ORDERTRACK_USER
    assert advance_cli(invoke, shop, "SO-SMALL", "--by", "bob").exit_code == EXIT_OK
    assert [e[4] for e in events(shop, "SO-SMALL")] == ["alice", "bob"]


def test_admin_may_leave_every_stage(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    set_roles(shop, admin=["root"], sales=["alice"])
    for stage in ("business_review", "finance_approval", "director_approval"):
        result = advance_cli(invoke, shop, "SO-BIG", "--by", "root")
        assert result.exit_code == EXIT_OK, result.stderr
        assert stage_of(shop, "SO-BIG") == (stage, "open")


def test_an_actor_without_any_role_is_refused(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    set_roles(shop, sales=["alice"])
    before = state(shop)
    result = advance_cli(invoke, shop, "SO-SMALL", "--by", "mallory")
    refused(result, "SO-SMALL: leaving order_entry needs the role sales; mallory has no role")
    assert state(shop) == before


def test_an_actor_name_with_a_quote_is_named_in_the_refusal(
    invoke: Invoke, shop: Path, frozen: datetime
) -> None:
    set_roles(shop, sales=["o'neil"], business=["bob"])
    walk(shop, "SO-SMALL", "business_review", by="o'neil")
    before = state(shop)
    refused(
        advance_cli(invoke, shop, "SO-SMALL", "--by", "o'neil"),
        "SO-SMALL: leaving business_review needs the role business; o'neil has the roles sales",
    )
    assert state(shop) == before
    assert events(shop, "SO-SMALL")[0][4] == "o'neil"


def test_without_people_under_roles_everyone_may_move(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    for by in ("anyone", "someone-else", "a-third"):
        assert advance_cli(invoke, shop, "SO-BIG", "--by", by).exit_code == EXIT_OK
    assert [(e[2], e[4]) for e in events(shop, "SO-BIG")] == [
        ("business_review", "anyone"),
        ("finance_approval", "someone-else"),
        ("director_approval", "a-third"),
    ]


def test_imports_move_orders_whatever_the_roles(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    set_roles(shop, sales=["alice"])
    ship = write_csv(
        tmp_path / "发货.csv",
        SHIPMENTS_HEADER,
        [["F1", "SO-SMALL", "顺丰", "SF1", "运输中", "2026-06-29 09:00", "", "", ""]],
    )
    assert import_one(invoke, shop, str(ship))["moved"] == 1
    assert stage_of(shop, "SO-SMALL") == ("shipped", "open")


# ---------------------------------------------------------------------------------------
# guards


def test_picking_refuses_an_order_short_of_stock(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SHORT", "business_review", "finance_approval")
    assert one(
        shop, "SELECT is_short, shortage_qty FROM v_order_facts WHERE order_id = 'SO-SHORT'"
    ) == (
        True,
        Decimal("90.000"),
    )
    before = state(shop)
    result = advance_cli(invoke, shop, "SO-SHORT")
    refused(result, f"SO-SHORT: cannot enter picking: {PICKING_GUARD}")
    assert state(shop) == before
    # stock arrives: the guard holds
    restock = write_csv(
        tmp_path / "restock.csv", STOCK_HEADER, [["M-3", "型材", "上海仓", 500, 500, "C-03"]]
    )
    import_one(invoke, shop, str(restock), "--profile", "inventory")
    assert advance_cli(invoke, shop, "SO-SHORT").exit_code == EXIT_OK
    assert stage_of(shop, "SO-SHORT") == ("picking", "open")


def test_shipped_needs_a_shipment(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SMALL", "business_review", "finance_approval", "picking")
    before = state(shop)
    refused(
        advance_cli(invoke, shop, "SO-SMALL"), f"SO-SMALL: cannot enter shipped: {SHIPPED_GUARD}"
    )
    assert state(shop) == before


# ---------------------------------------------------------------------------------------
# on_enter: the pick list and the warehouse task


def test_entering_picking_writes_the_pick_list_and_a_task(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SMALL", "business_review", "finance_approval")
    assert advance_cli(invoke, shop, "SO-SMALL").exit_code == EXIT_OK
    assert rows(
        shop,
        "SELECT order_id, kind, title, role, state, opened_at, due_at, dedupe_key FROM tasks",
    ) == [
        (
            "SO-SMALL",
            "stage",
            "Pick and pack SO-SMALL",
            "warehouse",
            "open",
            FIXED_NOW,
            FIXED_NOW + timedelta(days=1),
            f"enter/picking/SO-SMALL/{int(FIXED_NOW.timestamp() * 1000)}",
        )
    ]
    assert picklists(shop) == [f"出库单_{STAMP}_SO-SMALL.html", f"出库单_{STAMP}_SO-SMALL.xlsx"]
    wb = openpyxl.load_workbook(shop / "out" / "picklists" / f"出库单_{STAMP}_SO-SMALL.xlsx")
    sheet = wb.active
    assert sheet is not None and sheet.title == "出库单"
    assert list(sheet.iter_rows(values_only=True)) == [
        ("My Company 出库单 / Pick list  2026-06-30 06:00",) + (None,) * 9,
        (
            "订单编号 Order",
            "客户 Customer",
            "行号 Line",
            "物料编码 SKU",
            "物料名称 Item",
            "数量 Qty",
            "单位 Unit",
            "仓库 Warehouse",
            "库位 Bin",
            "承诺交期 Promised",
        ),
        (
            "SO-SMALL",
            "上海申达机电",
            1,
            "M-1",
            "螺钉",
            10,
            "个",
            "上海仓",
            "A-01",
            datetime(2026, 6, 20),
        ),
        (
            "SO-SMALL",
            "上海申达机电",
            2,
            "M-2",
            "气管",
            5,
            "米",
            "上海仓",
            "B-02",
            datetime(2026, 6, 20),
        ),
    ]
    html = (shop / "out" / "picklists" / f"出库单_{STAMP}_SO-SMALL.html").read_text(
        encoding="utf-8"
    )
    assert "订单编号 SO-SMALL" in html
    assert "<td>M-1</td><td>螺钉</td>" in html and "<td>B-02</td>" in html


def test_the_pick_list_html_escapes_what_came_from_a_file(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    result = advance_cli(invoke, shop, "SO-XSS", "--to", "picking", "--force", "--note", "rush")
    assert result.exit_code == EXIT_OK, result.stderr
    html = (shop / "out" / "picklists" / f"出库单_{STAMP}_SO-XSS.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "客户 &lt;script&gt;x&lt;/script&gt;" in html
    wb = openpyxl.load_workbook(shop / "out" / "picklists" / f"出库单_{STAMP}_SO-XSS.xlsx")
    sheet = wb.active
    assert sheet is not None
    assert sheet["B3"].value == "<script>x</script>"  # a cell is text, not markup


def test_the_pick_list_file_name_is_safe_whatever_the_order_id(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    odd = write_csv(
        tmp_path / "odd.csv", ORDER_HEADER, [["SO/7 ../x", "C9", "某客户", "2026-06-01", "", "10"]]
    )
    import_one(invoke, shop, str(odd), "--profile", "orders")
    result = advance_cli(invoke, shop, "SO/7 ../x", "--to", "picking", "--force", "--note", "rush")
    assert result.exit_code == EXIT_OK, result.stderr
    assert picklists(shop) == [f"出库单_{STAMP}_SO_7_.._x.html", f"出库单_{STAMP}_SO_7_.._x.xlsx"]
    assert sorted(p.name for p in (shop / "out").iterdir()) == ["picklists"]


def test_a_refused_move_writes_no_form_and_no_task(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SHORT", "business_review", "finance_approval")
    assert advance_cli(invoke, shop, "SO-SHORT").exit_code == EXIT_USER
    assert picklists(shop) == []
    assert rows(shop, "SELECT count(*) FROM tasks") == [(0,)]


def test_set_status_effect(invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime) -> None:
    set_config(
        shop,
        '    { form = "pick_list" },',
        '    { form = "pick_list" },\n    { set_status = "配货中" },',
    )
    walk(shop, "SO-SMALL", "business_review", "finance_approval")
    assert advance_cli(invoke, shop, "SO-SMALL").exit_code == EXIT_OK
    assert one(shop, "SELECT status FROM orders WHERE order_id = 'SO-SMALL'") == "配货中"


# ---------------------------------------------------------------------------------------
# hold / resume / cancel / reopen


def state_cli(invoke: Invoke, ws: Path, *args: str) -> Result:
    result = invoke(*args, "-w", str(ws))
    assert "Traceback" not in result.output
    return result


def test_hold_resume_cancel_reopen_record_their_reasons(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SMALL", "business_review")
    steps = [
        ("hold", "customer asked to wait", "open → on_hold", "on_hold"),
        ("resume", "customer confirmed", "on_hold → open", "open"),
        ("cancel", "duplicate order", "open → cancelled", "cancelled"),
        ("reopen", "not a duplicate after all", "cancelled → open", "open"),
    ]
    for action, reason, arrow, after in steps:
        result = state_cli(invoke, shop, action, "SO-SMALL", "--reason", reason, "--by", "zoe")
        assert result.exit_code == EXIT_OK, result.stderr
        assert result.stdout == f"SO-SMALL: {arrow} (in business_review; by zoe)\n"
        assert stage_of(shop, "SO-SMALL") == ("business_review", after)
    assert events(shop, "SO-SMALL")[1:] == [
        ("SO-SMALL", "business_review", "business_review", FIXED_NOW, "zoe", "cli", action, reason)
        for action, reason, _, _ in steps
    ]
    assert [(a[1], a[2], a[3]) for a in audits(shop)[-4:]] == [
        (
            "hold",
            {"order": "SO-SMALL", "reason": "customer asked to wait"},
            {"state": ["open", "on_hold"]},
        ),
        (
            "resume",
            {"order": "SO-SMALL", "reason": "customer confirmed"},
            {"state": ["on_hold", "open"]},
        ),
        (
            "cancel",
            {"order": "SO-SMALL", "reason": "duplicate order"},
            {"state": ["open", "cancelled"]},
        ),
        (
            "reopen",
            {"order": "SO-SMALL", "reason": "not a duplicate after all"},
            {"state": ["cancelled", "open"]},
        ),
    ]
    # reopened, it moves on from where it was
    assert advance_cli(invoke, shop, "SO-SMALL").exit_code == EXIT_OK
    assert stage_of(shop, "SO-SMALL") == ("finance_approval", "open")


def test_state_change_json(invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime) -> None:
    result = state_cli(invoke, shop, "hold", "SO-BIG", "--reason", "credit check", "--json")
    assert result.exit_code == EXIT_OK, result.stderr
    assert json.loads(result.stdout) == {
        "order_id": "SO-BIG",
        "action": "hold",
        "from_state": "open",
        "to_state": "on_hold",
        "stage": "order_entry",
        "actor": "tester",
        "reason": "credit check",
    }


@pytest.mark.parametrize("action", ["hold", "resume", "cancel", "reopen"])
def test_a_reason_is_required(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime, action: str
) -> None:
    before = state(shop)
    missing = state_cli(invoke, shop, action, "SO-SMALL")
    assert missing.exit_code == EXIT_USER
    assert "Missing option '--reason'." in missing.stderr
    blank = state_cli(invoke, shop, action, "SO-SMALL", "--reason", " ")
    refused(blank, f"{action} needs a --reason", 'e.g. --reason "customer asked to wait"')
    assert state(shop) == before


@pytest.mark.parametrize(
    ("setup", "action", "message", "hint"),
    [
        (
            [],
            "resume",
            "cannot resume an order that is open",
            "resume works on orders that are on_hold.",
        ),
        (
            [],
            "reopen",
            "cannot reopen an order that is open",
            "reopen works on orders that are cancelled or closed.",
        ),
        (
            ["hold"],
            "hold",
            "cannot hold an order that is on hold",
            "hold works on orders that are open.",
        ),
        (
            ["cancel"],
            "hold",
            "cannot hold an order that is cancelled",
            "hold works on orders that are open.",
        ),
        (
            ["cancel"],
            "cancel",
            "cannot cancel an order that is cancelled",
            "cancel works on orders that are open or on_hold.",
        ),
    ],
)
def test_state_changes_that_do_not_fit_are_refused(
    invoke: Invoke,
    shop: Path,
    tmp_path: Path,
    frozen: datetime,
    setup: list[str],
    action: str,
    message: str,
    hint: str,
) -> None:
    for step in setup:
        assert state_cli(invoke, shop, step, "SO-SMALL", "--reason", "setup").exit_code == 0
    before = state(shop)
    result = state_cli(invoke, shop, action, "SO-SMALL", "--reason", "why")
    refused(result, f"SO-SMALL: {message}", hint)
    assert state(shop) == before


def test_state_change_of_an_unknown_order(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    before = state(shop)
    result = state_cli(invoke, shop, "hold", "SO-NOPE", "--reason", "x")
    refused(result, "unknown order SO-NOPE", "`ordertrack orders list` shows the orders.")
    assert state(shop) == before


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("hold", "order is on hold; resume it first (ordertrack resume ORDER --reason …)"),
        ("cancel", "order is cancelled; reopen it first (ordertrack reopen ORDER --reason …)"),
    ],
)
def test_an_order_on_hold_or_cancelled_does_not_move(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime, action: str, message: str
) -> None:
    assert state_cli(invoke, shop, action, "SO-SMALL", "--reason", "customer called").exit_code == 0
    before = state(shop)
    refused(advance_cli(invoke, shop, "SO-SMALL"), f"SO-SMALL: {message}")
    assert state(shop) == before
    # an import that shows it shipped does not move it either
    ship = write_csv(
        tmp_path / "发货.csv",
        SHIPMENTS_HEADER,
        [["F1", "SO-SMALL", "顺丰", "SF1", "运输中", "2026-06-29 09:00", "", "", ""]],
    )
    assert import_one(invoke, shop, str(ship))["moved"] == 0
    assert stage_of(shop, "SO-SMALL")[0] is None


def test_hold_with_roles_needs_the_current_stage_owner(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    set_roles(shop, sales=["alice"], warehouse=["wang"])
    before = state(shop)
    result = state_cli(invoke, shop, "hold", "SO-SMALL", "--reason", "x", "--by", "wang")
    refused(
        result,
        "SO-SMALL: hold needs the role sales (owner of order_entry) or admin; wang has warehouse",
        "Ask the stage's owner, or add the person to [roles] in ordertrack.toml.",
    )
    assert state(shop) == before
    ok = state_cli(invoke, shop, "hold", "SO-SMALL", "--reason", "x", "--by", "alice")
    assert ok.exit_code == EXIT_OK, ok.stderr


# ---------------------------------------------------------------------------------------
# automatic moves: auto conditions and imports


def test_auto_condition_moves_orders_within_credit_after_an_import(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    for order_id in ("SO-SMALL", "SO-BIG", "SO-XSS", "SO-EDGE"):
        walk(shop, order_id, "business_review", "finance_approval")
    # C1 owes 150,000 on SO-SMALL + SO-EDGE: over its 120,000 limit; C2: 150,000 within
    # 200,000; C4 has no credit limit
    customers = write_csv(
        tmp_path / "customers.csv",
        CUSTOMER_HEADER,
        [["C1", "上海申达机电", "120000"], ["C2", "苏州凯越", "200000"], ["C4", "x", ""]],
    )
    result = import_one(invoke, shop, str(customers), "--profile", "customers")
    assert result["auto_moved"] == 1
    assert rows(shop, "SELECT order_id, stage FROM orders WHERE stage IS NOT NULL ORDER BY 1") == [
        ("SO-BIG", "director_approval"),
        ("SO-EDGE", "finance_approval"),
        ("SO-SMALL", "finance_approval"),
        ("SO-XSS", "finance_approval"),
    ]
    assert events(shop, "SO-BIG")[2:] == [
        (
            "SO-BIG",
            "finance_approval",
            "director_approval",
            FIXED_NOW,
            "ordertrack",
            "auto",
            "move",
            "auto condition holds",
        )
    ]
    # a higher limit for C1: both of its orders pass finance (and skip the director)
    more = write_csv(
        tmp_path / "customers2.csv", CUSTOMER_HEADER, [["C1", "上海申达机电", "150000"]]
    )
    assert import_one(invoke, shop, str(more), "--profile", "customers")["auto_moved"] == 2
    assert rows(
        shop,
        "SELECT order_id, to_stage, via, kind, note FROM stage_events WHERE via = 'auto' "
        "AND order_id = 'SO-EDGE' ORDER BY event_id",
    ) == [
        ("SO-EDGE", "director_approval", "auto", "skip", "does not apply to this order"),
        ("SO-EDGE", "picking", "auto", "move", "auto condition holds"),
    ]
    # the automation rate's numerator
    assert rows(
        shop, "SELECT via, count(*) FROM stage_events WHERE kind = 'move' GROUP BY 1 ORDER BY 1"
    ) == [
        ("auto", 3),
        ("cli", 8),
    ]
    # entering picking by itself creates the warehouse task
    assert rows(shop, "SELECT order_id, title FROM tasks ORDER BY 1") == [
        ("SO-EDGE", "Pick and pack SO-EDGE"),
        ("SO-SMALL", "Pick and pack SO-SMALL"),
    ]


def test_an_order_auto_moved_into_picking_gets_its_pick_list(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SMALL", "business_review", "finance_approval")
    customers = write_csv(
        tmp_path / "customers.csv", CUSTOMER_HEADER, [["C1", "上海申达机电", "500000"]]
    )
    result = import_one(invoke, shop, str(customers), "--profile", "customers")
    assert result["auto_moved"] == 1
    assert stage_of(shop, "SO-SMALL") == ("picking", "open")
    assert picklists(shop) == [f"出库单_{STAMP}_SO-SMALL.html", f"出库单_{STAMP}_SO-SMALL.xlsx"]
    assert result["forms"] == [
        f"{shop}/out/picklists/出库单_{STAMP}_SO-SMALL.xlsx",
        f"{shop}/out/picklists/出库单_{STAMP}_SO-SMALL.html",
    ]


def test_auto_condition_does_not_pass_a_guard(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SHORT", "business_review", "finance_approval")
    customers = write_csv(
        tmp_path / "customers.csv", CUSTOMER_HEADER, [["C3", "ACME Ltd.", "500000"]]
    )
    assert import_one(invoke, shop, str(customers), "--profile", "customers")["auto_moved"] == 0
    assert stage_of(shop, "SO-SHORT") == ("finance_approval", "open")


def test_a_shipments_file_moves_the_order_to_shipped_recording_the_skips(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-BIG", "business_review")
    ship = write_csv(
        tmp_path / "发货.csv",
        SHIPMENTS_HEADER,
        [
            ["F1", "SO-BIG", "顺丰", "SF1", "运输中", "2026-06-29 09:00", "", "", ""],
            ["F2", "SO-SMALL", "顺丰", "SF2", "待发货", "", "", "", ""],  # not left yet
        ],
    )
    result = import_one(invoke, shop, str(ship))
    assert result["moved"] == 1
    import_id = result["import_id"]
    assert rows(
        shop,
        f"SELECT {EVENT_COLUMNS}, import_id FROM stage_events WHERE order_id = 'SO-BIG' "
        "ORDER BY event_id",
    )[1:] == [
        (
            "SO-BIG",
            stage,
            stage,
            FIXED_NOW,
            "ordertrack",
            "import",
            "skip",
            "passed over: shown by an imported file",
            import_id,
        )
        for stage in ("finance_approval", "director_approval", "picking")
    ] + [
        (
            "SO-BIG",
            "business_review",
            "shipped",
            FIXED_NOW,
            "ordertrack",
            "import",
            "move",
            "shown by an imported file",
            import_id,
        )
    ]
    assert stage_of(shop, "SO-BIG") == ("shipped", "open")
    assert stage_of(shop, "SO-SMALL") == (None, "open")
    # an import move is not a command's pick list: no form, no task (picking was passed over)
    assert picklists(shop) == []


def test_a_small_order_shipped_by_import_skips_director_approval_as_not_applying(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    ship = write_csv(
        tmp_path / "发货.csv",
        SHIPMENTS_HEADER,
        [["F1", "SO-SMALL", "顺丰", "SF1", "运输中", "2026-06-29 09:00", "", "", ""]],
    )
    assert import_one(invoke, shop, str(ship))["moved"] == 1
    assert rows(
        shop, "SELECT to_stage, note FROM stage_events WHERE kind = 'skip' ORDER BY event_id"
    ) == [
        ("business_review", "passed over: shown by an imported file"),
        ("finance_approval", "passed over: shown by an imported file"),
        ("director_approval", "does not apply to this order"),
        ("picking", "passed over: shown by an imported file"),
    ]


def test_delivered_only_when_every_parcel_is(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    walk(shop, "SO-SMALL", "business_review", "finance_approval", "picking")
    first = write_csv(
        tmp_path / "物流_1.csv",
        SHIPMENTS_HEADER,
        [
            [
                "F1",
                "SO-SMALL",
                "顺丰",
                "SF1",
                "已签收",
                "2026-06-29 09:00",
                "2026-06-30 10:00",
                "",
                "",
            ],
            ["F2", "SO-SMALL", "顺丰", "SF2", "运输中", "2026-06-29 09:00", "", "", ""],
        ],
    )
    assert import_one(invoke, shop, str(first))["moved"] == 1
    assert stage_of(shop, "SO-SMALL") == ("shipped", "open")
    second = write_csv(
        tmp_path / "物流_2.csv",
        SHIPMENTS_HEADER,
        [
            [
                "F2",
                "SO-SMALL",
                "顺丰",
                "SF2",
                "已签收",
                "2026-06-29 09:00",
                "2026-06-30 11:00",
                "",
                "",
            ]
        ],
    )
    assert import_one(invoke, shop, str(second))["moved"] == 1
    assert stage_of(shop, "SO-SMALL") == ("signed", "open")
    assert rows(
        shop,
        "SELECT from_stage, to_stage, via, actor FROM stage_events WHERE kind = 'move' ORDER BY event_id",
    )[-2:] == [
        ("picking", "shipped", "import", "ordertrack"),
        ("shipped", "signed", "import", "ordertrack"),
    ]


# ---------------------------------------------------------------------------------------
# the log


def test_log_shows_the_audit_log_and_one_order_s_moves(
    invoke: Invoke, shop: Path, tmp_path: Path, frozen: datetime
) -> None:
    assert advance_cli(invoke, shop, "SO-SMALL", "--by", "amy", "--note", "ok").exit_code == 0
    assert (
        state_cli(invoke, shop, "hold", "SO-SMALL", "--reason", "wait", "--by", "amy").exit_code
        == 0
    )
    result = invoke("log", "--json", "--limit", "2", "-w", str(shop))
    assert result.exit_code == EXIT_OK, result.stderr
    assert json.loads(result.stdout) == [
        {
            "at": FIXED_NOW.isoformat(),
            "actor": "amy",
            "what": "hold",
            "detail": '{"order": "SO-SMALL", "reason": "wait"}',
            "changes": '{"state": ["open", "on_hold"]}',
        },
        {
            "at": FIXED_NOW.isoformat(),
            "actor": "amy",
            "what": "advance",
            "detail": '{"orders": 1, "force": false, "note": "ok", "file": null}',
            "changes": '{"moved": 1, "refused": 0, "order_ids": ["SO-SMALL"]}',
        },
    ]
    result = invoke("log", "--order", "SO-SMALL", "--json", "-w", str(shop))
    assert result.exit_code == EXIT_OK, result.stderr
    assert json.loads(result.stdout) == [
        {
            "at": FIXED_NOW.isoformat(),
            "actor": "amy",
            "via": "cli",
            "what": "hold",
            "detail": "business_review → business_review",
            "note": "wait",
        },
        {
            "at": FIXED_NOW.isoformat(),
            "actor": "amy",
            "via": "cli",
            "what": "move",
            "detail": "order_entry → business_review",
            "note": "ok",
        },
    ]
    table = invoke("log", "--order", "SO-SMALL", "-w", str(shop))
    assert table.exit_code == EXIT_OK
    assert "order_entry → business_review" in table.stdout
    # --since after everything: nothing
    later = invoke("log", "--since", "2026-07-01", "-w", str(shop))
    assert later.exit_code == EXIT_OK
    assert later.stdout == "(nothing)\n"


# ---------------------------------------------------------------------------------------
# the Python API


def test_python_api(shop: Path, invoke: Invoke, tmp_path: Path, frozen: datetime) -> None:
    from ordertrack.flow import (
        TransitionRefused,
        advance,
        advance_many,
        change_state,
        whoami,
    )

    ws = open_workspace(shop)
    t = advance(ws, "SO-BIG", by="amy", note="first look")
    assert (t.order_id, t.from_stage, t.to_stage, t.skipped, t.via, t.actor, t.at, t.note) == (
        "SO-BIG",
        "order_entry",
        "business_review",
        [],
        "cli",
        "amy",
        FIXED_NOW,
        "first look",
    )
    with pytest.raises(TransitionRefused) as refusal:
        advance(ws, "SO-BIG", to="picking")
    assert str(refusal.value) == (
        "SO-BIG: must pass finance_approval first (it applies to this order); use --force to jump over it"
    )
    result = advance_many(
        ws, [("SO-SMALL", None), ("SO-NOPE", None), ("SO-EDGE", "business_review")]
    )
    assert [(m.order_id, m.to_stage) for m in result.moved] == [
        ("SO-SMALL", "business_review"),
        ("SO-EDGE", "business_review"),
    ]
    assert [(r.row, r.order_id, r.reason) for r in result.refused] == [
        (2, "SO-NOPE", "unknown order SO-NOPE")
    ]
    change = change_state(ws, "SO-BIG", "hold", reason="credit check", by="amy")
    assert (change.from_state, change.to_state, change.stage) == (
        "open",
        "on_hold",
        "business_review",
    )
    me = whoami(ws, "amy")
    assert (me.actor, me.roles, me.enforced, me.may_leave) == ("amy", [], False, STAGES)
