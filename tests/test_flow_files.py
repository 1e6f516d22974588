"""``ordertrack advance --from-file``: today's list of orders (and target stages) in one go.

Files are real CSV and XLSX exports with Chinese headers (订单编号, 目标环节) whose stage
cells hold stage ids or display names (物流发货). The allowed moves happen in one
transaction; each refusal is reported with the row number the file shows; ``--strict``
moves nothing when anything is refused.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXED_NOW, Invoke, set_config
from test_flow import (  # noqa: F401  (fixtures)
    STAGE_LIST,
    STAMP,
    advance_cli,
    audits,
    events,
    picklists,
    set_roles,
    shop_fixture,
    shop_template_fixture,
    stage_of,
    state,
    walk,
)
from test_import import write_csv, write_xlsx

from ordertrack.errors import EXIT_OK, EXIT_USER
from ordertrack.templates import PICKING_GUARD

HEADER = ["订单编号", "目标环节"]


@pytest.fixture
def floor(shop: Path, frozen: datetime) -> Path:
    """The shop with Chinese stage names and orders spread over the first stages:
    SO-SMALL, SO-EDGE, SO-SHORT in finance approval; SO-BIG in business review;
    SO-XSS in order entry."""
    set_config(shop, 'name = "Warehouse picking"', 'name = "仓库配货"')
    set_config(shop, 'name = "Shipped"', 'name = "物流发货"')
    for order_id in ("SO-SMALL", "SO-EDGE", "SO-SHORT"):
        walk(shop, order_id, "business_review", "finance_approval")
    walk(shop, "SO-BIG", "business_review")
    return shop


# The rows as Excel / a text editor numbers them (header on row 1).
MIXED = [
    ["SO-SMALL", "仓库配货"],  # 2: display name → picking (director approval skipped)
    ["", ""],  # 3: blank: skipped, not reported
    ["SO-NOPE", "picking"],  # 4: unknown order
    ["SO-SHORT", "picking"],  # 5: guard
    ["SO-EDGE", ""],  # 6: no stage: the next that applies (picking)
    ["SO-SMALL", "物流发货"],  # 7: listed twice
    ["SO-BIG", "finance_approval"],  # 8: stage id
    ["SO-XSS", "发货"],  # 9: unknown stage
    ["", "picking"],  # 10: a row without an order id
]


def mixed_refusals(shift: int = 0) -> list[str]:
    """The refusals for :data:`MIXED`, its rows moved down by ``shift`` (title rows)."""
    return [
        f"refused: row {4 + shift}: SO-NOPE: unknown order SO-NOPE",
        f"refused: row {5 + shift}: SO-SHORT: cannot enter picking: {PICKING_GUARD}",
        f"refused: row {7 + shift}: SO-SMALL: order listed twice (first on row {2 + shift})",
        f'refused: row {9 + shift}: SO-XSS: unknown stage "发货"; stages: {STAGE_LIST}',
        f"refused: row {10 + shift}: (blank): blank order id",
    ]


def check_mixed_result(invoke: Invoke, ws: Path, path: Path, first_row: int = 2) -> None:
    result = advance_cli(invoke, ws, "--from-file", str(path), "--by", "amy")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout.splitlines() == [
        "SO-SMALL: finance_approval → picking (passed over: director_approval)",
        "SO-EDGE: finance_approval → picking (passed over: director_approval)",
        "SO-BIG: business_review → finance_approval",
        "3 orders moved, 5 refused",
        "2 tasks created",
        f"form written: {ws}/out/picklists/出库单_{STAMP}_2-orders.xlsx",
        f"form written: {ws}/out/picklists/出库单_{STAMP}_2-orders.html",
    ]
    assert result.stderr.splitlines() == mixed_refusals(first_row - 2)
    assert [(e[0], e[1], e[2], e[4], e[6], e[7]) for e in events(ws)[-5:]] == [
        # skips first (by order id), then the moves in the file's order
        (
            "SO-EDGE",
            "director_approval",
            "director_approval",
            "amy",
            "skip",
            "does not apply to this order",
        ),
        (
            "SO-SMALL",
            "director_approval",
            "director_approval",
            "amy",
            "skip",
            "does not apply to this order",
        ),
        ("SO-SMALL", "finance_approval", "picking", "amy", "move", None),
        ("SO-EDGE", "finance_approval", "picking", "amy", "move", None),
        ("SO-BIG", "business_review", "finance_approval", "amy", "move", None),
    ]
    assert {e[3] for e in events(ws)[-5:]} == {FIXED_NOW}
    assert [
        stage_of(ws, o)[0] for o in ("SO-SMALL", "SO-EDGE", "SO-BIG", "SO-SHORT", "SO-XSS")
    ] == [
        "picking",
        "picking",
        "finance_approval",
        "finance_approval",
        None,
    ]
    assert audits(ws)[-1] == (
        "amy",
        "advance --from-file",
        {"orders": 8, "force": False, "note": None, "file": str(path)},
        {"moved": 3, "refused": 5, "order_ids": ["SO-SMALL", "SO-EDGE", "SO-BIG"]},
    )
    assert picklists(ws) == [f"出库单_{STAMP}_2-orders.html", f"出库单_{STAMP}_2-orders.xlsx"]


def test_csv_moves_the_allowed_rows_and_reports_each_refusal_by_row(
    invoke: Invoke, floor: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "今日移动.csv", HEADER, MIXED)
    check_mixed_result(invoke, floor, path)


def test_xlsx_with_a_title_row_reports_the_rows_excel_shows(
    invoke: Invoke, floor: Path, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "今日移动.xlsx",
        [["今日移动清单 2026-06-30"], HEADER, *[[c or None for c in r] for r in MIXED]],
    )
    check_mixed_result(invoke, floor, path, first_row=3)


def test_gbk_csv_with_other_header_names(invoke: Invoke, floor: Path, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "shipped_today.csv",
        ["备注", "订单号", "环节"],
        [["加急", "SO-SMALL", "仓库配货"], ["", "SO-BIG", "财务审批"], ["", "SO-EDGE", "物流发货"]],
        encoding="gbk",
    )
    result = advance_cli(invoke, floor, "--from-file", str(path))
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "SO-SMALL: finance_approval → picking (passed over: director_approval)",
        "1 order moved, 2 refused",
    ]
    # "财务审批" is no stage's name here (only picking and shipped were renamed);
    # "物流发货" is shipped's
    assert result.stderr.splitlines() == [
        f'refused: row 3: SO-BIG: unknown stage "财务审批"; stages: {STAGE_LIST}',
        "refused: row 4: SO-EDGE: must pass picking first (it applies to this order); "
        "use --force to jump over it",
    ]


def test_english_display_names_and_ids_are_both_understood(
    invoke: Invoke, floor: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "moves.csv",
        ["Order ID", "Stage"],
        [["SO-BIG", "Finance approval"], ["SO-XSS", "business_review"]],
    )
    result = advance_cli(invoke, floor, "--from-file", str(path))
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == (
        "SO-BIG: business_review → finance_approval\n"
        "SO-XSS: order_entry → business_review\n"
        "2 orders moved\n"
    )


def test_a_file_without_a_stage_column_moves_each_order_to_its_next_stage(
    invoke: Invoke, floor: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "ids.csv", ["订单编号"], [["SO-BIG"], ["SO-XSS"], ["SO-SMALL"]])
    result = advance_cli(invoke, floor, "--from-file", str(path), "--json")
    assert result.exit_code == EXIT_OK, result.stderr
    data = json.loads(result.stdout)
    assert [
        (m["order_id"], m["from_stage"], m["to_stage"], m["skipped"]) for m in data["moved"]
    ] == [
        ("SO-BIG", "business_review", "finance_approval", []),
        ("SO-XSS", "order_entry", "business_review", []),
        ("SO-SMALL", "finance_approval", "picking", ["director_approval"]),
    ]
    assert data["refused"] == []
    assert data["tasks"] == 1
    assert [Path(f).name for f in data["forms"]] == [
        f"出库单_{STAMP}_SO-SMALL.xlsx",
        f"出库单_{STAMP}_SO-SMALL.html",
    ]


def test_strict_with_one_bad_row_moves_nothing(invoke: Invoke, floor: Path, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "moves.csv", HEADER, [["SO-BIG", "finance_approval"], ["SO-GONE", "picking"]]
    )
    before = state(floor)
    result = advance_cli(invoke, floor, "--from-file", str(path), "--strict")
    assert result.exit_code == EXIT_USER
    assert result.stdout == ""
    assert result.stderr == (
        "Error: 1 of 2 moves refused; --strict: nothing was moved\n"
        "  row 3: SO-GONE: unknown order SO-GONE\n"
        "Hint: Fix those rows, or run without --strict to move the others.\n"
    )
    assert state(floor) == before


def test_strict_with_every_row_fine_moves_them_all(
    invoke: Invoke, floor: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "moves.csv", HEADER, [["SO-BIG", "finance_approval"], ["SO-XSS", ""]]
    )
    result = advance_cli(invoke, floor, "--from-file", str(path), "--strict")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout.splitlines()[-1] == "2 orders moved"


def test_dry_run_moves_nothing(invoke: Invoke, floor: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "moves.csv", HEADER, MIXED)
    before = state(floor)
    result = advance_cli(invoke, floor, "--from-file", str(path), "--dry-run")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout.splitlines() == [
        "SO-SMALL: finance_approval → picking (passed over: director_approval)",
        "SO-EDGE: finance_approval → picking (passed over: director_approval)",
        "SO-BIG: business_review → finance_approval",
        "3 orders would move, 5 refused",
    ]
    assert result.stderr.splitlines() == mixed_refusals()
    assert state(floor) == before


def test_per_row_role_refusals(invoke: Invoke, floor: Path, tmp_path: Path) -> None:
    set_roles(floor, finance=["fay"], business=["bob"])
    path = write_csv(tmp_path / "moves.csv", HEADER, [["SO-SMALL", ""], ["SO-BIG", ""]])
    result = advance_cli(invoke, floor, "--from-file", str(path), "--by", "fay")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "SO-SMALL: finance_approval → picking (passed over: director_approval)",
        "1 order moved, 1 refused",
    ]
    assert result.stderr == (
        "refused: row 3: SO-BIG: leaving business_review needs the role business; "
        "fay has the roles finance\n"
    )


def test_every_row_refused_is_still_exit_0_and_writes_nothing(
    invoke: Invoke, floor: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "moves.csv", HEADER, [["SO-X1", ""], ["SO-X2", ""]])
    before = state(floor)
    result = advance_cli(invoke, floor, "--from-file", str(path))
    assert result.exit_code == EXIT_OK
    assert result.stdout == "0 orders moved, 2 refused\n"
    assert result.stderr.splitlines() == [
        "refused: row 2: SO-X1: unknown order SO-X1",
        "refused: row 3: SO-X2: unknown order SO-X2",
    ]
    assert state(floor) == before


def test_a_long_file_is_one_set_based_batch(invoke: Invoke, floor: Path, tmp_path: Path) -> None:
    """More than 200 rows take the Arrow path for the requests; the result is the same."""
    data: list[list[Any]] = [["SO-XSS", "business_review"]]
    data += [[f"SO-X{i:04d}", "picking"] for i in range(300)]
    path = write_csv(tmp_path / "big.csv", HEADER, data)
    result = advance_cli(invoke, floor, "--from-file", str(path), "--json")
    assert result.exit_code == EXIT_OK, result.stderr
    out = json.loads(result.stdout)
    assert [m["order_id"] for m in out["moved"]] == ["SO-XSS"]
    assert len(out["refused"]) == 300
    assert out["refused"][0] == {
        "order_id": "SO-X0000",
        "to_stage": "picking",
        "reason": "unknown order SO-X0000",
        "row": 3,
    }
    assert out["refused"][-1]["row"] == 302
    assert stage_of(floor, "SO-XSS") == ("business_review", "open")


def test_no_order_id_column(invoke: Invoke, floor: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "moves.csv", ["单号", "环节"], [["SO-BIG", "picking"]])
    before = state(floor)
    result = advance_cli(invoke, floor, "--from-file", str(path))
    assert result.exit_code == EXIT_USER
    assert result.stderr == (
        f"Error: {path}: no order id column found; headers seen: 单号, 环节\n"
        "Hint: The file needs a column 订单编号 / 订单号 / Order ID (and optionally 目标环节 / "
        "stage).\n"
    )
    assert state(floor) == before


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (
            ("SO-BIG", "--from-file", "x.csv"),
            "name one order, or give --from-file FILE",
            "ordertrack advance SO-1001 --to picking",
        ),
        (
            ("--from-file", "x.csv", "--to", "picking"),
            "--to goes with one order; in a file, give a stage column",
            None,
        ),
    ],
)
def test_usage_errors(
    invoke: Invoke,
    floor: Path,
    tmp_path: Path,
    args: tuple[str, ...],
    message: str,
    hint: str | None,
) -> None:
    write_csv(tmp_path / "x.csv", HEADER, [["SO-BIG", ""]])
    before = state(floor)
    result = advance_cli(invoke, floor, *args)
    assert result.exit_code == EXIT_USER
    assert result.stderr == f"Error: {message}\n" + (f"Hint: {hint}\n" if hint else "")
    assert state(floor) == before


def test_a_missing_file(invoke: Invoke, floor: Path, tmp_path: Path) -> None:
    before = state(floor)
    result = advance_cli(invoke, floor, "--from-file", str(tmp_path / "nope.xlsx"))
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith("Error: ")
    assert "nope.xlsx" in result.stderr
    assert state(floor) == before
