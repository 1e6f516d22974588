"""``ordertrack export``: entities, views and queries to XLSX (typed) or CSV (UTF-8 BOM),
with formula injection neutralised."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import Invoke, set_config
from test_import import SHIPMENTS_HEADER, import_one, orders_csv, seed_orders, snapshot, write_csv

from ordertrack.errors import EXIT_OK, EXIT_USER

EXPORT_ORDERS = [
    ["SO-1", '=HYPERLINK("http://x","y")', "2026-06-01", "2026-06-09", "(1,200.00)"],
    ["SO-2", "+1+2", "2026-06-02", "", "5"],
    ["SO-3", "-2+3", "", "", ""],
    ["SO-4", "@SUM(A1)", "2026-06-04", "", "1234.5"],
    ["SO-5", "华东精工", "2026-06-05", "", "0"],
]


@pytest.fixture
def exported(invoke: Invoke, workspace: Path, tmp_path: Path) -> Path:
    import_one(invoke, workspace, str(orders_csv(tmp_path / "orders.csv", EXPORT_ORDERS)))
    return workspace


def export(invoke: Invoke, ws: Path, *args: str) -> tuple[int, str, str]:
    result = invoke("export", *args, "-w", str(ws))
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_export_orders_xlsx_is_typed_frozen_filtered_and_neutralised(
    invoke: Invoke, exported: Path, tmp_path: Path
) -> None:
    code, out, _ = export(invoke, exported, "orders", "--out", "orders.xlsx")
    assert code == EXIT_OK
    assert out.strip() == "Wrote 5 rows to orders.xlsx"
    wb = openpyxl.load_workbook(tmp_path / "orders.xlsx")
    sheet = wb.active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["order_id", "customer", "customer_id"]
    last = openpyxl.utils.get_column_letter(len(header))
    assert sheet.auto_filter.ref == f"A1:{last}6"
    col = {h: i for i, h in enumerate(header)}
    data = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert len(data) == 5
    so1 = data["SO-1"]
    # dates are date cells, numbers number cells (negative stays a number, not text)
    assert so1[col["order_date"]].is_date
    assert so1[col["order_date"]].value == datetime(2026, 6, 1)
    assert so1[col["order_date"]].number_format == "yyyy-mm-dd"
    assert so1[col["amount"]].data_type == "n"
    assert so1[col["amount"]].value == -1200
    assert data["SO-4"][col["amount"]].value == 1234.5
    assert data["SO-5"][col["amount"]].value == 0
    assert data["SO-3"][col["amount"]].value is None
    assert so1[col["import_id"]].value == 1
    # text that a spreadsheet would run as a formula gets a leading '
    assert {k: v[col["customer"]].value for k, v in data.items()} == {
        "SO-1": '\'=HYPERLINK("http://x","y")',
        "SO-2": "'+1+2",
        "SO-3": "'-2+3",
        "SO-4": "'@SUM(A1)",
        "SO-5": "华东精工",
    }
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


def test_export_csv_has_a_bom_and_neutralised_cells(
    invoke: Invoke, exported: Path, tmp_path: Path
) -> None:
    code, _, _ = export(invoke, exported, "orders", "--out", "orders.csv")
    assert code == EXIT_OK
    raw = (tmp_path / "orders.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbforder_id,customer,")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    got = {r["order_id"]: (r["customer"], r["order_date"], r["amount"]) for r in table}
    assert got == {
        "SO-1": ('\'=HYPERLINK("http://x","y")', "2026-06-01", "-1200.00"),
        "SO-2": ("'+1+2", "2026-06-02", "5.00"),
        "SO-3": ("'-2+3", "", ""),
        "SO-4": ("'@SUM(A1)", "2026-06-04", "1234.50"),
        "SO-5": ("华东精工", "2026-06-05", "0.00"),
    }


def test_export_query(invoke: Invoke, exported: Path, tmp_path: Path) -> None:
    code, out, _ = export(
        invoke,
        exported,
        "--query",
        "SELECT order_id, amount FROM orders WHERE amount > 0 ORDER BY 1",
        "--out",
        "big.csv",
    )
    assert code == EXIT_OK
    assert out.strip() == "Wrote 2 rows to big.csv"
    assert (tmp_path / "big.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "order_id,amount",
        "SO-2,5.00",
        "SO-4,1234.50",
    ]
    code, _, _ = export(
        invoke,
        exported,
        "--query",
        "SELECT count(*) AS n, max(order_date) AS last FROM orders",
        "--out",
        "n.xlsx",
    )
    assert code == EXIT_OK
    sheet = openpyxl.load_workbook(tmp_path / "n.xlsx").active
    assert sheet is not None
    assert [[c.value for c in r] for r in sheet.iter_rows()] == [
        ["n", "last"],
        [5, datetime(2026, 6, 5)],
    ]


def test_export_a_view(invoke: Invoke, exported: Path, tmp_path: Path) -> None:
    code, out, _ = export(invoke, exported, "v_order_facts", "--out", "facts.xlsx")
    assert code == EXIT_OK
    assert out.strip() == "Wrote 5 rows to facts.xlsx"


def test_export_times_in_the_workspace_time_zone(
    invoke: Invoke, workspace: Path, tmp_path: Path
) -> None:
    set_config(workspace, '# timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghai"')
    seed_orders(invoke, workspace, tmp_path, ["SO-1"])
    write_csv(
        tmp_path / "物流.csv",
        SHIPMENTS_HEADER,
        [["F1", "SO-1", "顺丰", "SF1", "运输中", "2026-06-10 09:30", "", "", ""]],
    )
    import_one(invoke, workspace, str(tmp_path / "物流.csv"))
    code, _, _ = export(
        invoke,
        workspace,
        "--query",
        "SELECT shipment_id, shipped_at FROM shipments",
        "--out",
        "s.xlsx",
    )
    assert code == EXIT_OK
    sheet = openpyxl.load_workbook(tmp_path / "s.xlsx").active
    assert sheet is not None
    # the time as the clerk typed it (Shanghai), not shifted to UTC
    assert sheet["B2"].value == datetime(2026, 6, 10, 9, 30)
    assert sheet["B2"].number_format == "yyyy-mm-dd hh:mm"


def test_export_refuses_a_write_query(invoke: Invoke, exported: Path, tmp_path: Path) -> None:
    before = snapshot(exported)
    code, _, err = export(invoke, exported, "--query", "DELETE FROM orders", "--out", "x.csv")
    assert code == EXIT_USER
    assert err.startswith("Error: ")
    assert "a DELETE statement would change the database and was not run" in err
    assert not (tmp_path / "x.csv").exists()
    code, _, err = export(
        invoke, exported, "--query", "SELECT 1; DROP TABLE orders", "--out", "x.csv"
    )
    assert code == EXIT_USER
    assert "one statement at a time, got 2" in err
    assert snapshot(exported) == before


def test_export_write_refusal_names_export(invoke: Invoke, exported: Path) -> None:
    code, _, err = export(invoke, exported, "--query", "DELETE FROM orders", "--out", "x.csv")
    assert code == EXIT_USER
    assert err.startswith(
        "Error: `ordertrack export --query` only reads; a DELETE statement would change the "
        "database and was not run\n"
    )


def test_export_usage_errors(invoke: Invoke, exported: Path, tmp_path: Path) -> None:
    code, _, err = export(invoke, exported, "ordrs", "--out", "x.xlsx")
    assert code == EXIT_USER
    assert err.startswith('Error: unknown entity, table or view "ordrs"; did you mean "orders"?')
    code, _, err = export(invoke, exported, "orders", "--query", "SELECT 1", "--out", "x.xlsx")
    assert code == EXIT_USER
    assert err.startswith("Error: name an entity to export, or give --query, not both")
    code, _, err = export(invoke, exported, "--out", "x.xlsx")
    assert code == EXIT_USER
    assert err.startswith("Error: name an entity to export, or give --query, not both")
    code, _, err = export(invoke, exported, "orders", "--out", "x.pdf")
    assert code == EXIT_USER
    assert err.startswith("Error: x.pdf: export writes .xlsx or .csv files")
    code, _, err = export(invoke, exported, "--query", "SELECT nope FROM orders", "--out", "x.csv")
    assert code == EXIT_USER
    assert err.startswith("Error: ") and "nope" in err
    assert not any(p.name.startswith("x.") for p in tmp_path.iterdir())


def test_export_does_not_leave_a_partial_file(
    invoke: Invoke, exported: Path, tmp_path: Path
) -> None:
    (tmp_path / "keep.xlsx").write_bytes(b"old")
    code, _, _ = export(
        invoke, exported, "--query", "SELECT nope FROM orders", "--out", "keep.xlsx"
    )
    assert code == EXIT_USER
    assert (tmp_path / "keep.xlsx").read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
