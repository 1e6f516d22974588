"""The importer end to end: real files in, a real workspace database out.

Every test writes its export files into ``tmp_path`` (CSV in the encodings Chinese ERPs
use, XLSX with openpyxl), runs ``ordertrack import`` against a fresh workspace, asserts the
exit code and the counts the command reports, and then reads the database to check what
landed. The helpers at the top are shared with the other ``test_import*`` files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from conftest import FIXED_NOW, Invoke
from typer.testing import Result

from ordertrack.errors import EXIT_OK, EXIT_USER

# ---------------------------------------------------------------------------------------
# helpers (also imported by test_import_bad_inputs, test_profiles, test_export, …)

ORDERS_HEADER = ["订单编号", "客户名称", "下单日期", "承诺交期", "订单金额"]
KINGDEE_HEADER = [
    "单据编号",
    "日期",
    "客户编码",
    "客户",
    "销售员",
    "要货日期",
    "结算币别",
    "物料编码",
    "物料名称",
    "销售单位",
    "销售数量",
    "含税单价",
    "价税合计",
    "发货仓库",
]
SHIPMENTS_HEADER = [
    "发货单号",
    "订单编号",
    "快递公司",
    "运单号",
    "物流状态",
    "发货时间",
    "签收时间",
    "运费",
    "是否加急",
]

DATA_TABLES = (
    "orders",
    "order_lines",
    "customers",
    "inventory",
    "inventory_history",
    "shipments",
    "invoices",
    "payments",
    "feedback",
    "stage_events",
    "imports",
    "import_rejects",
    "audit_log",
)


def rows(ws: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run a query on the workspace database (read-only; closed before returning)."""
    con = duckdb.connect(str(ws / "ordertrack.duckdb"), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def one(ws: Path, sql: str, params: Sequence[Any] = ()) -> Any:
    result = rows(ws, sql, params)
    assert len(result) == 1, result
    return result[0][0] if len(result[0]) == 1 else result[0]


def count(ws: Path, table: str) -> int:
    return int(one(ws, f"SELECT count(*) FROM {table}"))


def snapshot(ws: Path) -> dict[str, tuple[int, int | None]]:
    """Row count and a checksum of every row of every table the importer may write."""
    sql = " UNION ALL ".join(
        f"SELECT '{t}', count(*), sum(hash(x)::HUGEINT) FROM {t} x" for t in DATA_TABLES
    )
    return {t: (int(n), None if c is None else int(c)) for t, n, c in rows(ws, sql)}


def add_profiles(ws: Path, text: str) -> None:
    """Append profile sections to the workspace's ordertrack.toml."""
    path = ws / "ordertrack.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text.strip() + "\n", encoding="utf-8")


def write_csv(
    path: Path,
    header: Sequence[str] | None,
    data: Iterable[Sequence[Any]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        if header is not None:
            w.writerow(header)
        for r in data:
            w.writerow(["" if v is None else v for v in r])
    return path


def write_xlsx(path: Path, data: Iterable[Sequence[Any]], sheet: str = "Sheet1") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for r in data:
        ws.append(list(r))
    wb.save(path)
    return path


def run_import(invoke: Invoke, ws: Path, *args: str, code: int = EXIT_OK) -> list[dict[str, Any]]:
    """``ordertrack import ARGS --json``: the per-file results, after checking the exit code."""
    result = invoke("import", *args, "--json", "-w", str(ws))
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def import_one(invoke: Invoke, ws: Path, *args: str, code: int = EXIT_OK) -> dict[str, Any]:
    results = run_import(invoke, ws, *args, code=code)
    assert len(results) == 1, results
    return results[0]


def import_text(invoke: Invoke, ws: Path, *args: str) -> Result:
    """``ordertrack import ARGS`` with the human summary (for message assertions)."""
    return invoke("import", *args, "-w", str(ws))


def assert_counts(
    result: dict[str, Any],
    *,
    inserted: int,
    updated: int = 0,
    unchanged: int = 0,
    rejected: int = 0,
) -> None:
    got = {k: result[k] for k in ("inserted", "updated", "unchanged", "rejected")}
    want = {"inserted": inserted, "updated": updated, "unchanged": unchanged, "rejected": rejected}
    assert got == want, result


def seed_orders(invoke: Invoke, ws: Path, folder: Path, ids: Sequence[str]) -> None:
    """Import orders ``ids``: customer 客户X, ordered 2026-06-01, promised 2026-06-20, 1000."""
    path = write_csv(
        folder / f"seed_orders_{len(list(folder.iterdir()))}.csv",
        ORDERS_HEADER,
        [[i, f"客户{i[-1]}", "2026-06-01", "2026-06-20", "1000"] for i in ids],
    )
    result = import_one(invoke, ws, str(path), "--profile", "orders")
    assert result["status"] == "ok" and result["inserted"] == len(ids), result


def orders_csv(path: Path, data: Iterable[Sequence[Any]], **kw: Any) -> Path:
    return write_csv(path, ORDERS_HEADER, data, **kw)


# ---------------------------------------------------------------------------------------
# CSV readers


def test_csv_utf8_orders_land_typed_and_unmapped_columns_go_to_attrs(
    invoke: Invoke, workspace: Path, tmp_path: Path, frozen: datetime
) -> None:
    path = write_csv(
        tmp_path / "orders.csv",
        [*ORDERS_HEADER, "业务员", "备注"],
        [
            ["SO-1001", "上海申达机电", "2026-06-01", "2026-06-15", "12500.50", "张伟", "加急"],
            ["SO-1002", "ACME Ltd.", "2026-06-02", "2026-06-20", "300", "李娜", ""],
            ["SO-1003", "苏州凯越", "2026-06-03", "", "", "王强", "电话确认"],
        ],
    )
    result = import_one(invoke, workspace, str(path))
    assert result["status"] == "ok"
    assert result["profile"] == "orders"
    assert result["encoding"] == "utf-8"
    assert result["header_row"] == 1
    assert result["entities"] == ["orders"]
    assert_counts(result, inserted=3)
    assert rows(
        workspace,
        "SELECT order_id, customer, sales_rep, order_date, promised_date, amount, attrs::VARCHAR "
        "FROM orders ORDER BY order_id",
    ) == [
        (
            "SO-1001",
            "上海申达机电",
            "张伟",
            date(2026, 6, 1),
            date(2026, 6, 15),
            Decimal("12500.50"),
            '{"备注":"加急"}',
        ),
        (
            "SO-1002",
            "ACME Ltd.",
            "李娜",
            date(2026, 6, 2),
            date(2026, 6, 20),
            Decimal("300.00"),
            '{"备注":null}',
        ),
        ("SO-1003", "苏州凯越", "王强", date(2026, 6, 3), None, None, '{"备注":"电话确认"}'),
    ]
    # the import is recorded with its hash, profile, counts and actor
    imp = one(
        workspace,
        "SELECT file_name, profile, entities, status, rows_read, inserted, rejected, actor, sha256, "
        "started_at FROM imports",
    )
    import hashlib

    assert imp == (
        "orders.csv",
        "orders",
        "orders",
        "ok",
        3,
        3,
        0,
        "tester",
        hashlib.sha256(path.read_bytes()).hexdigest(),
        FIXED_NOW,
    )


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),  # with a BOM, as Excel's "Unicode text" saves it
    ],
)
def test_csv_encodings_are_detected(
    invoke: Invoke, workspace: Path, tmp_path: Path, encoding: str, reported: str
) -> None:
    customers = ["华东精工科技有限公司", "青岛海川智能装备", "佛山市顺德区美科电器"]
    if encoding == "gb18030":
        customers[2] = "𠮷野家餐饮"  # U+20BB7: four bytes in GB18030, not in GBK at all
    path = orders_csv(
        tmp_path / "orders.csv",
        [[f"SO-{i}", c, "2026/6/3", "2026/6/30", "100"] for i, c in enumerate(customers, 1)],
        encoding=encoding,
    )
    if encoding == "gbk":
        path.read_bytes().decode("gbk")  # really GBK bytes, not UTF-8
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    result = import_one(invoke, workspace, str(path))
    assert result["encoding"] == reported
    assert_counts(result, inserted=3)
    assert [
        r[0] for r in rows(workspace, "SELECT customer FROM orders ORDER BY order_id")
    ] == customers


@pytest.mark.parametrize(
    ("delimiter", "name"), [("\t", "orders.tsv"), (";", "orders.csv"), ("|", "orders.txt")]
)
def test_csv_delimiters_are_detected(
    invoke: Invoke, workspace: Path, tmp_path: Path, delimiter: str, name: str
) -> None:
    path = orders_csv(
        tmp_path / name,
        [
            ["SO-1", "甲, 有限公司", "2026-06-01", "2026-06-09", "1,234.50"],
            ["SO-2", "乙", "2026-06-02", "", "7"],
        ],
        delimiter=delimiter,
    )
    result = import_one(invoke, workspace, str(path), "--profile", "orders")
    assert_counts(result, inserted=2)
    assert rows(workspace, "SELECT order_id, customer, amount FROM orders ORDER BY 1") == [
        ("SO-1", "甲, 有限公司", Decimal("1234.50")),
        ("SO-2", "乙", Decimal("7.00")),
    ]


def test_csv_a_blank_line_keeps_the_row_numbers_a_text_editor_shows(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "订单编号,客户名称,下单日期,承诺交期,订单金额\n"
        "SO-1,甲,2026-06-01,,1\n"
        "\n"
        "SO-2,乙,someday,,2\n"  # line 4
        "SO-3,丙,2026-06-03,,3\n"
        "\n"
        "SO-4,丁,2026-06-04,,abc\n",  # line 7
        encoding="utf-8",
    )
    result = import_one(invoke, workspace, str(path))
    assert result["blank_rows"] == 0  # DuckDB skips empty lines; the numbers still count them
    assert_counts(result, inserted=2, rejected=2)
    assert rows(
        workspace,
        "SELECT row_no, column_name, raw_value, reason FROM import_rejects ORDER BY row_no",
    ) == [
        (4, "下单日期", "someday", "not a date"),
        (7, "订单金额", "abc", "not a number"),
    ]


def test_csv_consecutive_blank_lines_keep_the_row_numbers_a_text_editor_shows(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "订单编号,客户名称,下单日期,承诺交期,订单金额\n"
        "SO-1,甲,2026-06-01,,1\n"
        "\n"
        "\n"
        "SO-2,乙,someday,,2\n"  # line 5
        "SO-3,丙,2026-06-03,,3\n"
        "\n"
        "SO-4,丁,2026-06-04,,abc\n",  # line 8
        encoding="utf-8",
    )
    result = import_one(invoke, workspace, str(path))
    assert_counts(result, inserted=2, rejected=2)
    assert rows(
        workspace,
        "SELECT row_no, column_name, raw_value, reason FROM import_rejects ORDER BY row_no",
    ) == [
        (5, "下单日期", "someday", "not a date"),
        (8, "订单金额", "abc", "not a number"),
    ]


# ---------------------------------------------------------------------------------------
# Excel readers


def test_xlsx_title_row_blank_rows_and_total_row(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    sh = wb.active
    assert sh is not None
    sh.title = "订单"
    sh.append(["华东精工 2026年6月 销售订单"])  # row 1: a title merged over the header
    sh.merge_cells("A1:E1")
    sh.append(ORDERS_HEADER)  # row 2
    sh.append(["SO-1", "甲", date(2026, 6, 3), "2026/6/10", 100])  # row 3
    sh.append([])  # row 4
    sh.append([None, None, None, None, None])  # row 5
    sh.append(["SO-2", "乙", "not a date", "2026/6/10", 200])  # row 6
    sh.append(["SO-3", "丙", datetime(2026, 6, 3, 14, 5), "2026-06-12", "1,234"])  # row 7
    sh.append([])  # row 8
    sh.append(["SO-4", "丁", "2026-06-04", "2026-06-14", "x12"])  # row 9
    sh.append(["合计", None, None, None, 1534])  # row 10: the export's total
    wb.save(tmp_path / "订单.xlsx")

    result = import_one(invoke, workspace, str(tmp_path / "订单.xlsx"))
    assert result["sheet"] == "订单"
    assert result["header_row"] == 2
    assert result["blank_rows"] == 3
    assert result["total_rows"] == 1
    assert_counts(result, inserted=2, rejected=2)
    assert rows(
        workspace,
        "SELECT order_id, customer, order_date, promised_date, amount FROM orders ORDER BY 1",
    ) == [
        ("SO-1", "甲", date(2026, 6, 3), date(2026, 6, 10), Decimal("100.00")),
        ("SO-3", "丙", date(2026, 6, 3), date(2026, 6, 12), Decimal("1234.00")),
    ]
    # Excel's row numbers, not the data's: the title, header and blank rows count
    assert rows(
        workspace,
        "SELECT sheet, row_no, column_name, raw_value, reason FROM import_rejects ORDER BY 2",
    ) == [
        ("订单", 6, "下单日期", "not a date", "not a date"),
        ("订单", 9, "订单金额", "x12", "not a number"),
    ]
    assert one(workspace, "SELECT count(*) FROM orders WHERE order_id = '合计'") == 0


# ---------------------------------------------------------------------------------------
# presets: one file, several entities; shipments, inventory, money, feedback, history


def test_kingdee_sales_order_fills_orders_and_lines_from_one_file(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    lines = [
        [
            "SO-01",
            "2026-06-01",
            "C001",
            "上海申达",
            "张伟",
            "2026-06-20",
            "人民币",
            "M-1",
            "螺钉",
            "个",
            100,
            0.5,
            50,
            "上海仓",
        ],
        [
            "SO-02",
            "2026-06-02",
            "C002",
            "苏州凯越",
            "李娜",
            "2026-06-25",
            "人民币",
            "M-2",
            "气管",
            "米",
            10,
            12,
            120,
            "苏州仓",
        ],
        [
            "SO-01",
            "2026-06-01",
            "C001",
            "上海申达",
            "张伟",
            "2026-06-20",
            "人民币",
            "M-3",
            "型材",
            "根",
            4,
            80,
            320,
            "上海仓",
        ],
        [
            "SO-01",
            "2026-06-01",
            "C001",
            "上海申达",
            "张伟",
            "2026-06-20",
            "人民币",
            "M-1",
            "螺钉",
            "个",
            20,
            0.5,
            10,
            "苏州仓",
        ],
        [
            "SO-02",
            "2026-06-02",
            "C002",
            "苏州凯越",
            "李娜",
            "2026-06-25",
            "人民币",
            "M-4",
            "电机",
            "台",
            1,
            999,
            999,
            "苏州仓",
        ],
    ]
    path = write_xlsx(tmp_path / "销售订单_202606.xlsx", [KINGDEE_HEADER, *lines], sheet="销售订单")
    result = import_one(invoke, workspace, str(path))
    assert result["profile"] == "kingdee_sales_order"
    assert result["entities"] == ["orders", "order_lines"]
    assert result["rejected"] == 0
    assert [(e["entity"], e["rows"], e["inserted"]) for e in result["per_entity"]] == [
        ("orders", 2, 2),
        ("order_lines", 5, 5),
    ]
    assert rows(
        workspace,
        "SELECT order_id, order_date, customer_id, customer, sales_rep, promised_date, currency "
        "FROM orders ORDER BY 1",
    ) == [
        ("SO-01", date(2026, 6, 1), "C001", "上海申达", "张伟", date(2026, 6, 20), "人民币"),
        ("SO-02", date(2026, 6, 2), "C002", "苏州凯越", "李娜", date(2026, 6, 25), "人民币"),
    ]
    # no 序号 column: lines are numbered in file order within each order
    assert rows(
        workspace,
        "SELECT order_id, line_no, sku, description, unit, qty, unit_price, amount, warehouse "
        "FROM order_lines ORDER BY 1, 2",
    ) == [
        (
            "SO-01",
            1,
            "M-1",
            "螺钉",
            "个",
            Decimal("100.000"),
            Decimal("0.5000"),
            Decimal("50.00"),
            "上海仓",
        ),
        (
            "SO-01",
            2,
            "M-3",
            "型材",
            "根",
            Decimal("4.000"),
            Decimal("80.0000"),
            Decimal("320.00"),
            "上海仓",
        ),
        (
            "SO-01",
            3,
            "M-1",
            "螺钉",
            "个",
            Decimal("20.000"),
            Decimal("0.5000"),
            Decimal("10.00"),
            "苏州仓",
        ),
        (
            "SO-02",
            1,
            "M-2",
            "气管",
            "米",
            Decimal("10.000"),
            Decimal("12.0000"),
            Decimal("120.00"),
            "苏州仓",
        ),
        (
            "SO-02",
            2,
            "M-4",
            "电机",
            "台",
            Decimal("1.000"),
            Decimal("999.0000"),
            Decimal("999.00"),
            "苏州仓",
        ),
    ]
    # the same file again with --force: nothing changes
    again = import_one(invoke, workspace, str(path), "--force")
    assert_counts(again, inserted=0, unchanged=7)


def test_kingdee_header_fields_that_disagree_reject_every_row_of_that_order(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    base = [
        "2026-06-01",
        "C001",
        "上海申达",
        "张伟",
        "2026-06-20",
        "人民币",
        "M-1",
        "螺钉",
        "个",
        1,
        1,
        1,
        "上海仓",
    ]
    other = list(base)
    other[4] = "2026-06-28"  # 要货日期 differs on the second line of SO-01
    path = write_xlsx(
        tmp_path / "销售订单.xlsx",
        [KINGDEE_HEADER, ["SO-01", *base], ["SO-02", *base], ["SO-01", *other]],
    )
    result = import_one(invoke, workspace, str(path))
    assert result["rejected"] == 2
    assert rows(workspace, "SELECT order_id FROM orders") == [("SO-02",)]
    assert rows(workspace, "SELECT order_id, line_no FROM order_lines") == [("SO-02", 1)]
    reasons = rows(
        workspace, "SELECT row_no, column_name, reason FROM import_rejects ORDER BY row_no"
    )
    assert [r[:2] for r in reasons] == [(2, "要货日期"), (4, "要货日期")]
    for r in reasons:
        assert (
            "SO-01" in r[2]
            and "2026-06-20" in r[2]
            and "2026-06-28" in r[2]
            and "rows 2, 4" in r[2]
        ), r


def test_wms_shipments_preset(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-1", "SO-2"])
    path = write_csv(
        tmp_path / "物流跟踪_0630.csv",
        SHIPMENTS_HEADER,
        [
            [
                "FH-1",
                "SO-1",
                "顺丰速运",
                "SF100",
                "已签收",
                "2026-06-10 09:30",
                "2026-06-12 15:00",
                "￥23.50",
                "是",
            ],
            ["FH-2", "SO-2", "德邦快递", "DPK200", "派送异常", "2026-06-11 10:00", "", "18", "否"],
        ],
        encoding="gbk",
    )
    result = import_one(invoke, workspace, str(path))
    assert result["profile"] == "wms_shipments"
    assert_counts(result, inserted=2)
    assert rows(
        workspace,
        "SELECT shipment_id, order_id, carrier, tracking_no, status, shipped_at, delivered_at, "
        "freight_cost, expedited FROM shipments ORDER BY 1",
    ) == [
        (
            "FH-1",
            "SO-1",
            "顺丰速运",
            "SF100",
            "已签收",
            datetime(2026, 6, 10, 9, 30, tzinfo=UTC),
            datetime(2026, 6, 12, 15, 0, tzinfo=UTC),
            Decimal("23.50"),
            True,
        ),
        (
            "FH-2",
            "SO-2",
            "德邦快递",
            "DPK200",
            "派送异常",
            datetime(2026, 6, 11, 10, 0, tzinfo=UTC),
            None,
            Decimal("18.00"),
            False,
        ),
    ]


def test_shipments_without_an_id_column_are_keyed_by_tracking_number(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-1"])
    add_profiles(
        workspace,
        """
[profiles.parcels]
entity = "shipments"
[profiles.parcels.columns]
order_id = "订单编号"
carrier = "快递公司"
tracking_no = "运单号"
shipped_at = "发货时间"
""",
    )
    path = write_csv(
        tmp_path / "parcels.csv",
        ["订单编号", "快递公司", "运单号", "发货时间"],
        [["SO-1", "顺丰", "SF1", "2026-06-10 09:00"], ["SO-1", "顺丰", "SF2", "2026-06-10 09:00"]],
    )
    result = import_one(invoke, workspace, str(path), "--profile", "parcels")
    assert_counts(result, inserted=2)
    assert rows(workspace, "SELECT shipment_id, tracking_no FROM shipments ORDER BY 1") == [
        ("SF1", "SF1"),
        ("SF2", "SF2"),
    ]


def test_wms_preset_without_a_shipment_id_column_keys_by_tracking_number(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-1"])
    path = write_csv(
        tmp_path / "shipments.csv",
        ["订单编号", "快递公司", "运单号", "发货时间"],
        [["SO-1", "顺丰", "SF1", "2026-06-10 09:00"], ["SO-1", "顺丰", "SF2", "2026-06-10 09:00"]],
    )
    result = import_one(invoke, workspace, str(path), "--profile", "wms_shipments")
    assert_counts(result, inserted=2)
    assert rows(workspace, "SELECT shipment_id, tracking_no FROM shipments ORDER BY 1") == [
        ("SF1", "SF1"),
        ("SF2", "SF2"),
    ]


def test_inventory_and_its_dated_snapshot(
    invoke: Invoke, workspace: Path, tmp_path: Path, frozen: datetime
) -> None:
    header = ["物料编码", "物料名称", "仓库", "现存量", "预留量", "可用库存", "单位成本"]
    path = write_xlsx(
        tmp_path / "即时库存_0630.xlsx",
        [
            header,
            ["M-1", "螺钉", "上海仓", 1000, 200, 800, 0.12],
            ["M-1", "螺钉", "苏州仓", 50, 0, 50, 0.12],
            ["M-2", "气管", "上海仓", "1,200", "", "1,200", "3.5"],
        ],
    )
    result = import_one(invoke, workspace, str(path))
    assert result["profile"] == "inventory"
    assert_counts(result, inserted=3)
    assert rows(
        workspace,
        "SELECT sku, warehouse, description, on_hand, reserved, available, unit_cost FROM inventory ORDER BY 1, 2",
    ) == [
        (
            "M-1",
            "上海仓",
            "螺钉",
            Decimal("1000.000"),
            Decimal("200.000"),
            Decimal("800.000"),
            Decimal("0.1200"),
        ),
        (
            "M-1",
            "苏州仓",
            "螺钉",
            Decimal("50.000"),
            Decimal("0.000"),
            Decimal("50.000"),
            Decimal("0.1200"),
        ),
        (
            "M-2",
            "上海仓",
            "气管",
            Decimal("1200.000"),
            None,
            Decimal("1200.000"),
            Decimal("3.5000"),
        ),
    ]
    today = FIXED_NOW.date()
    assert rows(
        workspace,
        "SELECT as_of, sku, warehouse, on_hand, reserved FROM inventory_history ORDER BY 2, 3",
    ) == [
        (today, "M-1", "上海仓", Decimal("1000.000"), Decimal("200.000")),
        (today, "M-1", "苏州仓", Decimal("50.000"), Decimal("0.000")),
        (today, "M-2", "上海仓", Decimal("1200.000"), None),
    ]
    # a later export the same day: the day's snapshot is updated, not duplicated
    write_xlsx(
        path,
        [
            header,
            ["M-1", "螺钉", "上海仓", 900, 200, 700, 0.12],
            ["M-1", "螺钉", "苏州仓", 50, 0, 50, 0.12],
            ["M-2", "气管", "上海仓", "1,200", "", "1,200", "3.5"],
        ],
    )
    again = import_one(invoke, workspace, str(path))
    assert_counts(again, inserted=0, updated=1, unchanged=2)
    assert count(workspace, "inventory_history") == 3
    assert one(
        workspace,
        "SELECT on_hand FROM inventory_history WHERE sku = 'M-1' AND warehouse = '上海仓'",
    ) == Decimal("900.000")


def test_invoices_payments_feedback_and_customers(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-1", "SO-2"])
    customers = write_xlsx(
        tmp_path / "客户档案.xlsx",
        [
            ["客户编码", "客户名称", "客户分类", "地区", "信用额度", "联系人", "邮箱"],
            ["C001", "上海申达", "A类", "华东", "500,000", "张三", "zs@example.com"],
            ["C002", "ACME", "外资", "海外", "", "John", ""],
        ],
    )
    invoices = write_csv(
        tmp_path / "开票记录.csv",
        ["发票号码", "订单编号", "开票日期", "价税合计", "税额"],
        [
            ["INV-1", "SO-1", "2026/6/20", "￥1,000.00", "115.04"],
            ["INV-2", "SO-2", "2026/6/21", "500", "57.52"],
        ],
        encoding="gbk",
    )
    payments = write_csv(
        tmp_path / "收款记录.csv",
        ["收款单号", "订单编号", "收款日期", "收款金额", "结算方式"],
        [
            ["SK-1", "SO-1", "2026-06-25", "1000", "电汇"],
            ["SK-2", "SO-2", "2026-06-26", "200", "承兑"],
        ],
    )
    feedback = write_csv(
        tmp_path / "客户反馈.csv",
        ["反馈编号", "订单编号", "反馈日期", "是否投诉", "投诉类别", "推荐评分", "客户意见"],
        [
            ["FB-1", "SO-1", "2026-06-28", "是", "延迟交付", "3", "晚了两天"],
            ["FB-2", "SO-2", "2026-06-29", "否", "", "10", ""],
        ],
    )
    results = run_import(
        invoke, workspace, str(feedback), str(payments), str(invoices), str(customers)
    )
    # imported in dependency order, whatever order they were named in
    assert [(r["file_name"], r["profile"], r["inserted"], r["rejected"]) for r in results] == [
        ("客户档案.xlsx", "customers", 2, 0),
        ("开票记录.csv", "invoices", 2, 0),
        ("收款记录.csv", "payments", 2, 0),
        ("客户反馈.csv", "feedback", 2, 0),
    ]
    assert rows(
        workspace,
        "SELECT customer_id, name, segment, region, credit_limit, contact, email FROM customers ORDER BY 1",
    ) == [
        ("C001", "上海申达", "A类", "华东", Decimal("500000.00"), "张三", "zs@example.com"),
        ("C002", "ACME", "外资", "海外", None, "John", None),
    ]
    assert rows(
        workspace,
        "SELECT invoice_id, order_id, invoice_date, amount, tax_amount FROM invoices ORDER BY 1",
    ) == [
        ("INV-1", "SO-1", date(2026, 6, 20), Decimal("1000.00"), Decimal("115.04")),
        ("INV-2", "SO-2", date(2026, 6, 21), Decimal("500.00"), Decimal("57.52")),
    ]
    assert rows(
        workspace, "SELECT payment_id, order_id, paid_date, amount, method FROM payments ORDER BY 1"
    ) == [
        ("SK-1", "SO-1", date(2026, 6, 25), Decimal("1000.00"), "电汇"),
        ("SK-2", "SO-2", date(2026, 6, 26), Decimal("200.00"), "承兑"),
    ]
    assert rows(
        workspace,
        "SELECT feedback_id, order_id, received_date, complaint, category, nps, comment FROM feedback ORDER BY 1",
    ) == [
        ("FB-1", "SO-1", date(2026, 6, 28), True, "延迟交付", 3, "晚了两天"),
        ("FB-2", "SO-2", date(2026, 6, 29), False, None, 10, None),
    ]
    # invoiced → stage invoiced; paid in full (1000 of 1000) → paid; SO-2 paid 200 of 1000
    assert rows(workspace, "SELECT order_id, stage FROM orders ORDER BY 1") == [
        ("SO-1", "paid"),
        ("SO-2", "invoiced"),
    ]


STAGE_MAP = """
[profiles.history]
preset = "stage_history"
[profiles.history.values.to_stage]
"订单录入" = "order_entry"
"商务审核" = "business_review"
"财务审批" = "finance_approval"
"仓库配货" = "picking"
"已发货" = "shipped"
[profiles.history.values.from_stage]
"订单录入" = "order_entry"
"商务审核" = "business_review"
"财务审批" = "finance_approval"
"仓库配货" = "picking"
"""


def test_stage_history_with_a_values_map_sets_the_current_stage(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-1", "SO-2"])
    add_profiles(workspace, STAGE_MAP)
    path = write_csv(
        tmp_path / "流程记录.csv",
        ["订单编号", "环节", "进入时间", "上一环节", "操作人", "备注"],
        [
            ["SO-1", "订单录入", "2026-06-01 09:00", "", "张伟", ""],
            ["SO-1", "商务审核", "2026-06-01 11:00", "订单录入", "何佳", ""],
            ["SO-1", "仓库配货", "2026-06-02 08:30", "商务审核", "钱勇", "跳过财务"],
            ["SO-2", "订单录入", "2026-06-03 10:00", "", "李娜", ""],
            ["SO-2", "发票", "2026-06-04 10:00", "订单录入", "李娜", ""],  # not a stage
        ],
    )
    result = import_one(invoke, workspace, str(path))
    assert result["profile"] == "history"
    assert_counts(result, inserted=4, rejected=1)
    assert rows(
        workspace,
        "SELECT order_id, from_stage, to_stage, event_at, actor, via, kind, note FROM stage_events ORDER BY event_at",
    ) == [
        (
            "SO-1",
            None,
            "order_entry",
            datetime(2026, 6, 1, 9, tzinfo=UTC),
            "张伟",
            "import",
            "move",
            None,
        ),
        (
            "SO-1",
            "order_entry",
            "business_review",
            datetime(2026, 6, 1, 11, tzinfo=UTC),
            "何佳",
            "import",
            "move",
            None,
        ),
        (
            "SO-1",
            "business_review",
            "picking",
            datetime(2026, 6, 2, 8, 30, tzinfo=UTC),
            "钱勇",
            "import",
            "move",
            "跳过财务",
        ),
        (
            "SO-2",
            None,
            "order_entry",
            datetime(2026, 6, 3, 10, tzinfo=UTC),
            "李娜",
            "import",
            "move",
            None,
        ),
    ]
    assert rows(workspace, "SELECT order_id, stage, stage_entered_at FROM orders ORDER BY 1") == [
        ("SO-1", "picking", datetime(2026, 6, 2, 8, 30, tzinfo=UTC)),
        ("SO-2", "order_entry", datetime(2026, 6, 3, 10, tzinfo=UTC)),
    ]
    reject = one(workspace, "SELECT row_no, column_name, raw_value, reason FROM import_rejects")
    assert reject[:3] == (6, "环节", "发票")
    assert reject[3].startswith("unknown stage; the flow has: order_entry, business_review")
    # history is append-only: the same file again adds nothing
    again = import_one(invoke, workspace, str(path), "--force")
    assert_counts(again, inserted=0, unchanged=4, rejected=1)
    assert count(workspace, "stage_events") == 4


# ---------------------------------------------------------------------------------------
# values: dates, amounts, ids, maps, defaults, booleans


def test_date_forms_in_one_column(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    forms = {
        "SO-1": ("2026/6/3", date(2026, 6, 3)),
        "SO-2": ("2026-06-03 14:05", date(2026, 6, 3)),
        "SO-3": ("6/3/2026 2:05 PM", date(2026, 6, 3)),
        "SO-4": ("2026年6月3日", date(2026, 6, 3)),
        "SO-5": ("46176", date(2026, 6, 3)),  # an Excel serial number as text
        "SO-6": ("2026.06.03", date(2026, 6, 3)),
        "SO-7": ("20260603", date(2026, 6, 3)),
        "SO-8": ("6/13/2026", date(2026, 6, 13)),
    }
    path = orders_csv(tmp_path / "orders.csv", [[k, "甲", v[0], "", ""] for k, v in forms.items()])
    result = import_one(invoke, workspace, str(path))
    assert_counts(result, inserted=len(forms))
    assert dict(rows(workspace, "SELECT order_id, order_date FROM orders")) == {
        k: v[1] for k, v in forms.items()
    }


def test_timestamp_forms(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-1"])
    forms = {
        "T1": ("2026-06-03 14:05", datetime(2026, 6, 3, 14, 5, tzinfo=UTC)),
        "T2": ("6/3/2026 2:05 PM", datetime(2026, 6, 3, 14, 5, tzinfo=UTC)),
        "T3": ("2026/6/3 14:05:30", datetime(2026, 6, 3, 14, 5, 30, tzinfo=UTC)),
        "T4": ("2026年6月3日 14:05", datetime(2026, 6, 3, 14, 5, tzinfo=UTC)),
        "T5": ("46176.5", datetime(2026, 6, 3, 12, 0, tzinfo=UTC)),
        "T6": ("2026-06-03T14:05:00", datetime(2026, 6, 3, 14, 5, tzinfo=UTC)),
    }
    path = write_csv(
        tmp_path / "ship.csv",
        ["发货单号", "订单编号", "运单号", "发货时间"],
        [[k, "SO-1", f"SF-{k}", v[0]] for k, v in forms.items()],
    )
    result = import_one(invoke, workspace, str(path), "--profile", "wms_shipments")
    assert_counts(result, inserted=len(forms))
    assert dict(rows(workspace, "SELECT shipment_id, shipped_at FROM shipments")) == {
        k: v[1] for k, v in forms.items()
    }


def test_xlsx_real_date_cells_serials_and_text_in_one_column(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "orders.xlsx",
        [
            ORDERS_HEADER,
            ["SO-1", "甲", date(2026, 6, 3), None, None],
            ["SO-2", "乙", datetime(2026, 6, 4, 9, 30), None, None],
            ["SO-3", "丙", "46177", None, None],  # a serial typed as text
            ["SO-4", "丁", 46178, None, None],  # a serial as a number cell
            ["SO-5", "戊", "2026/6/7", None, None],
            ["SO-6", "己", "2026年6月8日", None, None],
        ],
    )
    result = import_one(invoke, workspace, str(path))
    assert_counts(result, inserted=6)
    assert rows(workspace, "SELECT order_id, order_date FROM orders ORDER BY 1") == [
        ("SO-1", date(2026, 6, 3)),
        ("SO-2", date(2026, 6, 4)),
        ("SO-3", date(2026, 6, 4)),
        ("SO-4", date(2026, 6, 5)),
        ("SO-5", date(2026, 6, 7)),
        ("SO-6", date(2026, 6, 8)),
    ]


def test_day_first_profile(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    add_profiles(
        workspace,
        """
[profiles.eu_orders]
preset = "orders"
day_first = true
files = ["eu_*.csv"]
""",
    )
    path = orders_csv(
        tmp_path / "eu_orders.csv",
        [
            ["SO-1", "甲", "3/6/2026", "13/6/2026 14:05", ""],
            ["SO-2", "乙", "2026-06-04", "25/12/2026", ""],
        ],
    )
    result = import_one(invoke, workspace, str(path))
    assert result["profile"] == "eu_orders"
    assert_counts(result, inserted=2)
    assert rows(workspace, "SELECT order_id, order_date, promised_date FROM orders ORDER BY 1") == [
        ("SO-1", date(2026, 6, 3), date(2026, 6, 13)),
        ("SO-2", date(2026, 6, 4), date(2026, 12, 25)),
    ]


def test_user_date_formats_are_tried_first(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    add_profiles(
        workspace,
        """
[profiles.dotted]
preset = "orders"
date_formats = ["%d.%m.%y"]
""",
    )
    path = orders_csv(tmp_path / "o.csv", [["SO-1", "甲", "03.06.26", "2026-06-30", ""]])
    result = import_one(invoke, workspace, str(path), "--profile", "dotted")
    assert_counts(result, inserted=1)
    assert rows(workspace, "SELECT order_date, promised_date FROM orders") == [
        (date(2026, 6, 3), date(2026, 6, 30))
    ]


AMOUNT_FORMS = {
    "¥1,234.50": Decimal("1234.50"),
    "￥1,234.50": Decimal("1234.50"),
    "1,234": Decimal("1234.00"),
    "(1,200.00)": Decimal("-1200.00"),  # accounting negative
    "RMB 5,000": Decimal("5000.00"),
    "1,234.50元": Decimal("1234.50"),
    "-3.5": Decimal("-3.50"),
    "  42  ": Decimal("42.00"),
    "１２３": Decimal("123.00"),  # full-width digits
    "$ 9.99": Decimal("9.99"),
    "1234567.891": Decimal("1234567.89"),
    "  -  ": Decimal("0.00"),  # Excel's accounting-format zero
}


def test_amount_forms(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    forms = list(AMOUNT_FORMS.items())
    path = orders_csv(
        tmp_path / "orders.csv",
        [[f"SO-{i}", "甲", "2026-06-01", "", raw] for i, (raw, _) in enumerate(forms)],
    )
    result = import_one(invoke, workspace, str(path))
    assert_counts(result, inserted=len(forms))
    got = dict(rows(workspace, "SELECT order_id, amount FROM orders"))
    assert {raw: got[f"SO-{i}"] for i, (raw, _) in enumerate(forms)} == AMOUNT_FORMS


DE_PROFILE = """
[profiles.de_orders]
preset = "orders"
decimal = ","
delimiter = ";"
"""


def test_decimal_comma_profile(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    add_profiles(workspace, DE_PROFILE)
    path = orders_csv(
        tmp_path / "de.csv",
        [
            ["SO-1", "A", "2026-06-01", "", "1234,50"],
            ["SO-2", "B", "2026-06-01", "", "7,5"],
            ["SO-3", "C", "2026-06-01", "", "€ 12"],
        ],
        delimiter=";",
    )
    result = import_one(invoke, workspace, str(path), "--profile", "de_orders")
    assert_counts(result, inserted=3)
    assert rows(workspace, "SELECT order_id, amount FROM orders ORDER BY 1") == [
        ("SO-1", Decimal("1234.50")),
        ("SO-2", Decimal("7.50")),
        ("SO-3", Decimal("12.00")),
    ]


def test_decimal_comma_with_dot_thousands(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    add_profiles(workspace, DE_PROFILE)
    path = orders_csv(
        tmp_path / "de.csv",
        [
            ["SO-1", "A", "2026-06-01", "", "1.234,50"],
            ["SO-2", "B", "2026-06-01", "", "-1.000.000,01"],
        ],
        delimiter=";",
    )
    result = import_one(invoke, workspace, str(path), "--profile", "de_orders")
    assert_counts(result, inserted=2)
    assert rows(workspace, "SELECT order_id, amount FROM orders ORDER BY 1") == [
        ("SO-1", Decimal("1234.50")),
        ("SO-2", Decimal("-1000000.01")),
    ]


def test_full_width_ids_and_spaces_are_normalised(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    path = orders_csv(
        tmp_path / "orders.csv",
        [
            ["ＳＯ－０１", "甲", "2026-06-01", "", ""],
            ["\u3000SO-02\u3000", "乙", "2026-06-01", "", ""],
            [" SO-03 ", "丙", "", "", ""],
        ],
    )
    result = import_one(invoke, workspace, str(path))
    assert_counts(result, inserted=3)
    assert [r[0] for r in rows(workspace, "SELECT order_id FROM orders ORDER BY 1")] == [
        "SO-01",
        "SO-02",
        "SO-03",
    ]
    # the same orders typed in half-width later: unchanged, not new orders
    again = orders_csv(
        tmp_path / "orders2.csv",
        [["SO-01", "甲", "2026-06-01", "", ""], ["SO-02", "乙", "2026-06-01", "", ""]],
    )
    assert_counts(import_one(invoke, workspace, str(again)), inserted=0, unchanged=2)


def test_value_maps_defaults_and_booleans(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    add_profiles(
        workspace,
        """
[profiles.crm]
entity = "orders"
files = ["crm_*.csv"]
[profiles.crm.columns]
order_id = "单号"
customer = "客户"
status = "状态"
currency = "币种"
[profiles.crm.values.status]
"已审核" = "approved"
"待审" = "pending"
[profiles.crm.defaults]
currency = "CNY"
region = "华东"

[profiles.ship]
preset = "wms_shipments"
files = ["ship_*.csv"]
[profiles.ship.defaults]
carrier = "顺丰速运"
expedited = false
""",
    )
    crm = write_csv(
        tmp_path / "crm_0601.csv",
        ["单号", "客户", "状态", "币种"],
        [["A1", "甲", "已审核", ""], ["A2", "乙", "待审", "USD"], ["A3", "丙", "其他", ""]],
    )
    result = import_one(invoke, workspace, str(crm))
    assert result["profile"] == "crm"
    assert_counts(result, inserted=3)
    assert rows(workspace, "SELECT order_id, status, currency, region FROM orders ORDER BY 1") == [
        ("A1", "approved", "CNY", "华东"),
        ("A2", "pending", "USD", "华东"),
        ("A3", "其他", "CNY", "华东"),
    ]
    ship = write_csv(
        tmp_path / "ship_0601.csv",
        ["发货单号", "订单编号", "快递公司", "是否加急"],
        [
            ["F1", "A1", "", "是"],
            ["F2", "A2", "京东", "否"],
            ["F3", "A3", "", ""],
            ["F4", "A3", "", "Y"],
            ["F5", "A3", "", "maybe"],
        ],
    )
    result = import_one(invoke, workspace, str(ship))
    assert_counts(result, inserted=4, rejected=1)
    assert rows(workspace, "SELECT shipment_id, carrier, expedited FROM shipments ORDER BY 1") == [
        ("F1", "顺丰速运", True),
        ("F2", "京东", False),
        ("F3", "顺丰速运", False),
        ("F4", "顺丰速运", True),
    ]
    assert one(workspace, "SELECT row_no, column_name, raw_value, reason FROM import_rejects") == (
        6,
        "是否加急",
        "maybe",
        "not yes/no (是/否)",
    )


# ---------------------------------------------------------------------------------------
# idempotency and transactions


def _orders_rows(n: int) -> list[list[Any]]:
    return [
        [f"SO-{i:03d}", f"客户{i}", "2026-06-01", "2026-06-20", f"{i * 10}.00"]
        for i in range(1, n + 1)
    ]


def test_same_file_again_is_skipped_with_zero_writes(
    invoke: Invoke, workspace: Path, tmp_path: Path, frozen: datetime
) -> None:
    path = orders_csv(tmp_path / "orders.csv", _orders_rows(20))
    first = import_one(invoke, workspace, str(path))
    assert_counts(first, inserted=20)
    before = snapshot(workspace)
    again = import_one(invoke, workspace, str(path))
    assert again["status"] == "skipped"
    assert again["import_id"] == first["import_id"]
    assert_counts(again, inserted=0)
    assert f"already imported as #{first['import_id']}" in again["message"]
    assert snapshot(workspace) == before  # imports, audit_log, orders: not one row written
    text = import_text(invoke, workspace, str(path))
    assert text.exit_code == EXIT_OK
    assert (
        "orders.csv: already imported as #1 on 2026-06-30 06:00 (same content); nothing to do"
        in text.stdout
    )
    assert snapshot(workspace) == before
    # the same content under another name is the same export
    copy = tmp_path / "orders_copy.csv"
    copy.write_bytes(path.read_bytes())
    assert import_one(invoke, workspace, str(copy))["status"] == "skipped"
    assert snapshot(workspace) == before


def test_force_rereads_and_changes_nothing(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    path = orders_csv(tmp_path / "orders.csv", _orders_rows(20))
    import_one(invoke, workspace, str(path))
    before = snapshot(workspace)
    forced = import_one(invoke, workspace, str(path), "--force")
    assert forced["status"] == "ok"
    assert_counts(forced, inserted=0, updated=0, unchanged=20)
    after = snapshot(workspace)
    assert after["orders"] == before["orders"]  # not one order rewritten
    assert after["imports"][0] == before["imports"][0] + 1  # the re-read is recorded
    assert after["audit_log"][0] == before["audit_log"][0] + 1


def test_changed_export_updates_only_what_changed(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    data = _orders_rows(20)
    path = orders_csv(tmp_path / "orders_0601.csv", data)
    import_one(invoke, workspace, str(path))
    first_id = one(workspace, "SELECT max(import_id) FROM imports")
    data[4][4] = "999.99"  # SO-005: amount
    data[9][3] = "2026-07-01"  # SO-010: promised date
    data.append(["SO-021", "新客户", "2026-06-02", "", ""])
    result = import_one(invoke, workspace, str(orders_csv(tmp_path / "orders_0602.csv", data)))
    assert_counts(result, inserted=1, updated=2, unchanged=18)
    assert rows(
        workspace,
        "SELECT order_id FROM orders WHERE import_id = ? ORDER BY 1",
        [result["import_id"]],
    ) == [
        ("SO-005",),
        ("SO-010",),
        ("SO-021",),
    ]
    assert count(workspace, "orders") == 21
    assert one(workspace, "SELECT count(*) FROM orders WHERE import_id = ?", [first_id]) == 18
    assert one(workspace, "SELECT amount FROM orders WHERE order_id = 'SO-005'") == Decimal(
        "999.99"
    )
    assert one(workspace, "SELECT promised_date FROM orders WHERE order_id = 'SO-010'") == date(
        2026, 7, 1
    )


def test_the_same_file_with_another_profile_is_not_skipped(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    add_profiles(
        workspace,
        """
[profiles.shop_payments]
entity = "payments"
[profiles.shop_payments.columns]
payment_id = "订单编号"
order_id = "订单编号"
amount = "订单金额"
""",
    )
    path = orders_csv(tmp_path / "shop.csv", _orders_rows(3))
    import_one(invoke, workspace, str(path), "--profile", "orders")
    result = import_one(invoke, workspace, str(path), "--profile", "shop_payments")
    assert result["status"] == "ok"
    assert_counts(result, inserted=3)
    assert count(workspace, "payments") == 3


def test_library_call_returns_results_and_reports_progress(workspace: Path, tmp_path: Path) -> None:
    from ordertrack.ingest import ImportOptions, ImportResult, import_files
    from ordertrack.workspace import open_workspace

    path = orders_csv(tmp_path / "orders.csv", _orders_rows(2))
    steps: list[tuple[str, str, int, int]] = []
    results = import_files(
        open_workspace(workspace),
        [path, tmp_path / "missing.csv"],
        ImportOptions(actor="alice"),
        progress=lambda *a: steps.append(a),
    )
    assert [type(r) for r in results] == [ImportResult, ImportResult]
    by_name = {r.file_name: r for r in results}
    assert by_name["orders.csv"].status == "ok" and by_name["orders.csv"].inserted == 2
    assert by_name["missing.csv"].failed
    assert str(by_name["missing.csv"].message).endswith("missing.csv: file not found")
    assert steps == [
        ("orders.csv", "read", 1, 3),
        ("orders.csv", "check", 2, 3),
        ("orders.csv", "load", 3, 3),
    ]
    assert by_name["orders.csv"].asdict()["per_entity"] == [
        {"entity": "orders", "rows": 2, "inserted": 2, "updated": 0, "unchanged": 0, "removed": 0}
    ]
    assert one(workspace, "SELECT actor FROM imports") == "alice"


def test_a_later_file_without_a_column_does_not_blank_it(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    import_one(invoke, workspace, str(orders_csv(tmp_path / "orders.csv", _orders_rows(3))))
    partial = write_csv(
        tmp_path / "orders_status.csv", ["订单编号", "订单状态"], [["SO-001", "缺货待产"]]
    )
    result = import_one(invoke, workspace, str(partial), "--profile", "orders")
    assert_counts(result, inserted=0, updated=1)
    assert rows(
        workspace, "SELECT status, amount, customer FROM orders WHERE order_id = 'SO-001'"
    ) == [("缺货待产", Decimal("10.00"), "客户1")]


def test_dry_run_reports_counts_and_writes_nothing(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    import_one(invoke, workspace, str(orders_csv(tmp_path / "orders.csv", _orders_rows(5))))
    before = snapshot(workspace)
    data = _orders_rows(6)
    data[0][4] = "1.00"
    data[1][2] = "bad date"
    result = import_one(
        invoke, workspace, str(orders_csv(tmp_path / "orders2.csv", data)), "--dry-run"
    )
    assert result["status"] == "dry_run"
    assert_counts(result, inserted=1, updated=1, unchanged=3, rejected=1)
    assert result["rejects"][0]["row"] == 3
    assert snapshot(workspace) == before
    text = import_text(invoke, workspace, str(tmp_path / "orders2.csv"), "--dry-run")
    assert text.exit_code == EXIT_OK
    assert "dry run" in text.stdout
    assert snapshot(workspace) == before
    # and it is not remembered as imported: the real run happens
    assert import_one(invoke, workspace, str(tmp_path / "orders2.csv"))["status"] == "ok"


def test_strict_with_one_bad_row_writes_nothing(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    before = snapshot(workspace)
    data = _orders_rows(10)
    data[6][2] = "2026-02-30"
    path = orders_csv(tmp_path / "orders.csv", data)
    result = import_text(invoke, workspace, str(path), "--strict")
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith(
        "Error: orders.csv: 1 row rejected; --strict: nothing was written"
    )
    assert "row 8, 下单日期: not a date" in result.stderr
    assert snapshot(workspace) == before
    # without --strict the good rows load
    assert_counts(import_one(invoke, workspace, str(path)), inserted=9, rejected=1)


def test_a_file_broken_at_line_500_leaves_the_database_unchanged(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    import_one(invoke, workspace, str(orders_csv(tmp_path / "first.csv", _orders_rows(3))))
    before = snapshot(workspace)
    lines = ["订单编号,客户名称,下单日期,承诺交期,订单金额"]
    lines += [f"SO-{i:04d},客户,2026-06-01,2026-06-20,{i}" for i in range(2, 700)]
    lines[499] = "SO-0500,客户,2026-06-01,2026-06-20,5,extra,cells"  # line 500
    path = tmp_path / "orders_big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_text(invoke, workspace, "orders_big.csv")  # cwd is tmp_path
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith("Error: orders_big.csv: line 500 has "), result.stderr
    assert "cells but the header has 5" in result.stderr
    assert "nothing was imported" in result.stderr
    assert snapshot(workspace) == before


def test_imports_list_show_and_rejects(
    invoke: Invoke, workspace: Path, tmp_path: Path, frozen: datetime
) -> None:
    data = _orders_rows(4)
    data[1][2] = "yesterday"
    data[3][4] = "12.5%x"
    path = orders_csv(tmp_path / "orders.csv", data)
    result = import_one(invoke, workspace, str(path))
    iid = result["import_id"]
    assert_counts(result, inserted=2, rejected=2)

    listed = invoke("imports", "list", "--json", "-w", str(workspace))
    assert listed.exit_code == EXIT_OK
    [entry] = json.loads(listed.stdout)
    assert {
        k: entry[k]
        for k in ("import_id", "file_name", "profile", "status", "inserted", "rejected", "actor")
    } == {
        "import_id": iid,
        "file_name": "orders.csv",
        "profile": "orders",
        "status": "ok",
        "inserted": 2,
        "rejected": 2,
        "actor": "tester",
    }
    table = invoke("imports", "list", "-w", str(workspace))
    assert table.exit_code == EXIT_OK
    assert "orders.csv" in table.stdout and "2026-06-30 06:00" in table.stdout

    shown = invoke("imports", "show", str(iid), "-w", str(workspace))
    assert shown.exit_code == EXIT_OK
    assert "row 3, 下单日期: not a date" in shown.stdout
    assert "row 5, 订单金额: not a number" in shown.stdout
    shown_json = json.loads(
        invoke("imports", "show", str(iid), "--json", "-w", str(workspace)).stdout
    )
    assert shown_json["rejects"] == [
        {"row_no": 3, "column_name": "下单日期", "raw_value": "yesterday", "reason": "not a date"},
        {"row_no": 5, "column_name": "订单金额", "raw_value": "12.5%x", "reason": "not a number"},
    ]
    rej = json.loads(invoke("imports", "rejects", str(iid), "--json", "-w", str(workspace)).stdout)
    assert [(r["row_no"], r["column_name"], r["raw_value"]) for r in rej] == [
        (3, "下单日期", "yesterday"),
        (5, "订单金额", "12.5%x"),
    ]
    missing = invoke("imports", "show", "99", "-w", str(workspace))
    assert missing.exit_code == EXIT_USER
    assert missing.stderr.startswith("Error: no import #99")
    assert "The last import is #1" in missing.stderr


def test_rejects_out_xlsx_round_trip(invoke: Invoke, workspace: Path, tmp_path: Path) -> None:
    data = _orders_rows(5)
    data[1][2] = "yesterday"
    data[3][4] = "abc"
    import_one(invoke, workspace, str(orders_csv(tmp_path / "orders.csv", data)))
    fix = tmp_path / "fix.xlsx"
    out = invoke("imports", "rejects", "1", "--out", str(fix), "-w", str(workspace))
    assert out.exit_code == EXIT_OK, out.output
    assert "Wrote 2 rejected rows to" in out.stdout
    wb = openpyxl.load_workbook(fix)
    sheet = wb.active
    assert sheet is not None
    got = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert got[0][:5] == ORDERS_HEADER  # the original columns first, in file order
    assert len(got[0]) == 7 and "reason" in str(got[0][5])
    assert got[1][:5] == ["SO-002", "客户2", "yesterday", "2026-06-20", "20.00"]
    assert "下单日期" in str(got[1][5]) and "not a date" in str(got[1][5])
    assert got[1][6] == 3
    assert got[2][:5] == ["SO-004", "客户4", "2026-06-01", "2026-06-20", "abc"]
    assert got[2][6] == 5
    # the clerk fixes the cells in Excel and imports the file with the same profile
    sheet["C2"] = "2026-06-02"
    sheet["E3"] = "40.00"
    wb.save(fix)
    result = import_one(invoke, workspace, str(fix), "--profile", "orders")
    assert_counts(result, inserted=2)
    assert count(workspace, "orders") == 5
    assert one(workspace, "SELECT order_date FROM orders WHERE order_id = 'SO-002'") == date(
        2026, 6, 2
    )
    assert one(workspace, "SELECT amount FROM orders WHERE order_id = 'SO-004'") == Decimal("40.00")


def test_each_import_writes_one_audit_row(
    invoke: Invoke, workspace: Path, tmp_path: Path, frozen: datetime
) -> None:
    path = orders_csv(tmp_path / "orders.csv", _orders_rows(3))
    import_one(invoke, workspace, str(path))
    audit = rows(workspace, "SELECT logged_at, actor, command, args, changes FROM audit_log")
    assert len(audit) == 1
    logged_at, actor, command, args, changes = audit[0]
    assert (logged_at, actor, command) == (FIXED_NOW, "tester", "import")
    assert json.loads(args)["profile"] == "orders"
    assert json.loads(args)["file"].endswith("orders.csv")
    assert json.loads(changes) == {
        "import_id": 1,
        "inserted": 3,
        "updated": 0,
        "rejected": 0,
        "moved": 0,
    }


def test_human_summary_shows_counts_and_first_rejects(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    data = _orders_rows(3)
    data[2][2] = "someday"
    result = import_text(invoke, workspace, str(orders_csv(tmp_path / "orders.csv", data)))
    assert result.exit_code == EXIT_OK
    line = next(ln for ln in result.stdout.splitlines() if "orders.csv" in ln and "ok #1" in ln)
    assert [c.strip() for c in line.strip("│ ").split("│")] == [
        "orders.csv",
        "orders",
        "ok #1",
        "2",
        "0",
        "0",
        "1",
        "0",
    ]
    assert "orders.csv: 1 row rejected (kept in import_rejects), first:" in result.stdout
    assert '  row 4, 下单日期 "someday": not a date' in result.stdout
    assert "ordertrack imports rejects 1" in result.stdout


# ---------------------------------------------------------------------------------------
# moves made by imports


def test_shipments_move_open_orders_to_shipped(
    invoke: Invoke, workspace: Path, tmp_path: Path, frozen: datetime
) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-1", "SO-2", "SO-3"])
    path = write_csv(
        tmp_path / "发货.csv",
        SHIPMENTS_HEADER,
        [
            ["F1", "SO-1", "顺丰", "SF1", "运输中", "2026-06-10 09:00", "", "", ""],
            ["F2", "SO-2", "顺丰", "SF2", "待发货", "", "", "", ""],  # not shipped yet
        ],
    )
    result = import_one(invoke, workspace, str(path))
    assert result["moved"] == 1
    assert rows(workspace, "SELECT order_id, stage, stage_entered_at FROM orders ORDER BY 1") == [
        ("SO-1", "shipped", FIXED_NOW),
        ("SO-2", None, None),
        ("SO-3", None, None),
    ]
    assert rows(
        workspace,
        "SELECT order_id, from_stage, to_stage, event_at, via, kind, import_id FROM stage_events "
        "WHERE kind = 'move'",
    ) == [
        ("SO-1", "order_entry", "shipped", FIXED_NOW, "import", "move", result["import_id"]),
    ]
    # the stages passed over are recorded as skipped, not silently jumped
    assert rows(
        workspace, "SELECT to_stage FROM stage_events WHERE kind = 'skip' ORDER BY event_id"
    ) == [("business_review",), ("finance_approval",), ("director_approval",), ("picking",)]
    # the same shipment again moves nothing (never twice, never backwards)
    again = import_one(invoke, workspace, str(path), "--force")
    assert again["moved"] == 0
    assert count(workspace, "stage_events") == 5


def test_delivered_only_when_every_parcel_is_delivered(
    invoke: Invoke, workspace: Path, tmp_path: Path, frozen: datetime
) -> None:
    seed_orders(invoke, workspace, tmp_path, ["SO-1"])
    first = write_csv(
        tmp_path / "物流_1.csv",
        SHIPMENTS_HEADER,
        [
            ["F1", "SO-1", "顺丰", "SF1", "已签收", "2026-06-10 09:00", "2026-06-11 10:00", "", ""],
            ["F2", "SO-1", "顺丰", "SF2", "运输中", "2026-06-10 09:00", "", "", ""],
        ],
    )
    result = import_one(invoke, workspace, str(first))
    assert result["moved"] == 1
    assert one(workspace, "SELECT stage FROM orders") == "shipped"
    second = write_csv(
        tmp_path / "物流_2.csv",
        SHIPMENTS_HEADER,
        [
            ["F1", "SO-1", "顺丰", "SF1", "已签收", "2026-06-10 09:00", "2026-06-11 10:00", "", ""],
            ["F2", "SO-1", "顺丰", "SF2", "已签收", "2026-06-10 09:00", "2026-06-12 16:00", "", ""],
        ],
    )
    result = import_one(invoke, workspace, str(second))
    assert_counts(result, inserted=0, updated=1, unchanged=1)
    assert result["moved"] == 1
    assert one(workspace, "SELECT stage FROM orders") == "signed"
    assert rows(
        workspace,
        "SELECT from_stage, to_stage, via FROM stage_events WHERE kind = 'move' ORDER BY event_id",
    ) == [
        ("order_entry", "shipped", "import"),
        ("shipped", "signed", "import"),
    ]
