"""Real public exports from ../shared/data (read-only; never copied): messy headers, mojibake,
accounting zeros, blank cells, mixed int/text ids, legacy .xls.

Every expected count is computed in the test by reading the file independently (the csv
module, python-calamine's own API), not taken from what the importer reports. The tests
skip when the shared data is absent; ``OT_SHARED`` points to another copy (the folder
holding ``data/``, or ``data/`` itself).
"""

from __future__ import annotations

import collections
import csv
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import Invoke
from test_import import add_profiles, count, import_one, one, rows

from ordertrack.errors import EXIT_OK


@pytest.fixture(scope="module")
def shared_data() -> Path:
    override = os.environ.get("OT_SHARED")
    if override:
        base = Path(override)
        base = base / "data" if (base / "data").is_dir() else base
    else:
        base = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not base.is_dir():
        pytest.skip(f"shared test data not found at {base} (set OT_SHARED)")
    return base


def data_file(shared: Path, *parts: str) -> Path:
    path = shared.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


def per_entity(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["entity"]: e for e in result["per_entity"]}


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        data = list(csv.reader(f))
    return data[0], data[1:]


def calamine_rows(path: Path, sheet: str | None = None) -> tuple[list[Any], list[list[Any]]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    data = (book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)).to_python()
    body = [r for r in data[1:] if any(c not in ("", None) for c in r)]
    return data[0], body


def as_id(value: Any) -> str:
    """A cell as the order center keeps an id: 536365.0 → "536365"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


# ---------------------------------------------------------------------------------------
# jit_supply_chain: stray spaces in headers, "  -  " accounting zeros, U+FFFD kept

JIT_PROFILE = """
[profiles.jit]
description = "DataCo-style order lines: one row per order item"
entity = ["orders", "order_lines"]
files = ["orders_and_shipments*.csv"]
[profiles.jit.columns]
order_id = "Order ID"
customer_id = "Customer ID"
region = "Customer Country"
line_no = "Order Item ID"
sku = "Product Name"
description = "Product Category"
qty = "Order Quantity"
"order_lines.amount" = "Gross Sales"
# ordertrack has no discount field: the column is read as a number here only to check on
# real data that the accounting zero "  -  " is read as 0
unit_price = "Discount %"
"""


def test_jit_orders_and_shipments(invoke: Invoke, workspace: Path, shared_data: Path) -> None:
    path = data_file(shared_data, "jit_supply_chain", "orders_and_shipments.csv")
    header, body = read_csv(path)
    assert header[0] == "Order ID " and header[1] == " Order Item ID "  # the stray spaces
    col = {h.strip(): i for i, h in enumerate(header)}
    order_ids = {r[col["Order ID"]] for r in body}
    dashes = sum(1 for r in body if r[col["Discount %"]] == "  -  ")
    zero_discounts = sum(1 for r in body if r[col["Discount %"]].strip() in ("-", "0", "0.0"))
    mojibake_orders = {r[col["Order ID"]] for r in body if "\ufffd" in r[col["Customer Country"]]}
    assert dashes > 0 and mojibake_orders

    add_profiles(workspace, JIT_PROFILE)
    result = import_one(invoke, workspace, str(path))
    assert result["profile"] == "jit"
    assert result["encoding"] == "utf-8"
    assert result["rows_read"] == len(body)
    assert result["rejected"] == 0, result["rejects"]
    ents = per_entity(result)
    assert ents["orders"]["inserted"] == len(order_ids) == count(workspace, "orders")
    assert ents["order_lines"]["inserted"] == len(body) == count(workspace, "order_lines")
    # "  -  " is Excel's accounting zero
    assert one(workspace, "SELECT count(*) FROM order_lines WHERE unit_price = 0") == zero_discounts
    # the replacement characters are kept as they are, not dropped or re-decoded
    assert one(workspace, "SELECT count(*) FROM orders WHERE contains(region, '\ufffd')") == len(
        mojibake_orders
    )
    sample = next(r for r in body if "\ufffd" in r[col["Customer Country"]])
    assert (
        one(workspace, "SELECT region FROM orders WHERE order_id = ?", [sample[col["Order ID"]]])
        == sample[col["Customer Country"]]
    )
    # one line, field by field; unmapped columns (with their spaces trimmed) in attrs
    r = body[0]
    got = one(
        workspace,
        "SELECT order_id, line_no, sku, qty, amount, attrs->>'Shipment Mode', attrs->>'Order Time' "
        "FROM order_lines WHERE line_no = ?",
        [int(r[col["Order Item ID"]])],
    )
    assert got == (
        r[col["Order ID"]],
        int(r[col["Order Item ID"]]),
        r[col["Product Name"]],
        Decimal(r[col["Order Quantity"]]),
        Decimal(r[col["Gross Sales"]]),
        r[col["Shipment Mode"]],
        r[col["Order Time"]],
    )
    # and again: nothing to do
    again = import_one(invoke, workspace, str(path))
    assert again["status"] == "skipped"


# ---------------------------------------------------------------------------------------
# tmall_orders: Chinese headers with trailing spaces, blank 订单付款时间

TMALL_PROFILES = """
[profiles.tmall_orders]
entity = "orders"
files = ["tmall_order_report*.csv"]
[profiles.tmall_orders.columns]
order_id = "订单编号"
amount = "总金额"
region = "收货地址"
order_date = "订单创建时间"
[profiles.tmall_orders.defaults]
currency = "CNY"

[profiles.tmall_payments]
entity = "payments"
[profiles.tmall_payments.columns]
payment_id = "订单编号"
order_id = "订单编号"
paid_date = "订单付款时间"
amount = "买家实际支付金额"
"""


def test_tmall_order_report(invoke: Invoke, workspace: Path, shared_data: Path) -> None:
    path = data_file(shared_data, "tmall_orders", "tmall_order_report.csv")
    header, body = read_csv(path)
    assert "收货地址 " in header and "订单付款时间 " in header  # trailing spaces
    col = {h.strip(): i for i, h in enumerate(header)}
    unpaid = sum(1 for r in body if not r[col["订单付款时间"]].strip())
    paid_in_full = sum(
        1 for r in body if Decimal(r[col["买家实际支付金额"]]) >= Decimal(r[col["总金额"]])
    )
    total = sum(Decimal(r[col["总金额"]]) for r in body)
    assert unpaid > 0

    add_profiles(workspace, TMALL_PROFILES)
    result = import_one(invoke, workspace, str(path))
    assert result["profile"] == "tmall_orders"
    assert result["rejected"] == 0, result["rejects"]
    assert result["inserted"] == len(body) == count(workspace, "orders")
    assert one(workspace, "SELECT sum(amount) FROM orders") == total
    # the unmapped columns are kept, blank ones as null
    assert (
        one(workspace, "SELECT count(*) FROM orders WHERE attrs->>'订单付款时间' IS NULL") == unpaid
    )
    assert one(workspace, "SELECT count(*) FROM orders WHERE currency = 'CNY'") == len(body)
    first = body[0]
    assert one(
        workspace, "SELECT order_date, region, amount FROM orders WHERE order_id = ?", [first[0]]
    ) == (
        datetime.fromisoformat(first[col["订单创建时间"]]).date(),
        first[col["收货地址"]],
        Decimal(first[col["总金额"]]),
    )

    # the same file read as payments, with another profile (not skipped: another profile)
    paid = import_one(invoke, workspace, str(path), "--profile", "tmall_payments")
    assert paid["rejected"] == 0
    assert paid["inserted"] == len(body) == count(workspace, "payments")
    assert one(workspace, "SELECT count(*) FROM payments WHERE paid_date IS NULL") == unpaid
    # orders paid in full move to the flow's "paid" stage, recorded as imported moves
    assert paid["moved"] == paid_in_full
    assert one(workspace, "SELECT count(*) FROM orders WHERE stage = 'paid'") == paid_in_full
    assert (
        one(
            workspace,
            "SELECT count(*) FROM stage_events WHERE via = 'import' AND to_stage = 'paid'",
        )
        == paid_in_full
    )


# ---------------------------------------------------------------------------------------
# online_retail: mixed int/text ids, negative quantities

RETAIL_PROFILE = """
[profiles.online_retail]
entity = ["orders", "order_lines"]
files = ["Online Retail*.xlsx"]
[profiles.online_retail.columns]
order_id = "InvoiceNo"
order_date = "InvoiceDate"
customer_id = "CustomerID"
region = "Country"
sku = "StockCode"
description = "Description"
qty = "Quantity"
unit_price = "UnitPrice"
"""


def test_online_retail_xlsx(invoke: Invoke, workspace: Path, shared_data: Path) -> None:
    path = data_file(shared_data, "online_retail", "Online Retail.xlsx")
    header, body = calamine_rows(path)
    col = {h: i for i, h in enumerate(header)}
    negative = [r for r in body if r[col["Quantity"]] < 0]
    good = [r for r in body if r[col["Quantity"]] >= 0]
    # header fields of an invoice (typed as the order center types them: dates as days)
    heads: dict[str, set[tuple[Any, ...]]] = collections.defaultdict(set)
    for r in good:
        heads[as_id(r[col["InvoiceNo"]])].add(
            (day(r[col["InvoiceDate"]]), as_id(r[col["CustomerID"]]), r[col["Country"]].strip())
        )
    conflicting = {k for k, v in heads.items() if len(v) > 1}
    conflict_rows = sum(1 for r in good if as_id(r[col["InvoiceNo"]]) in conflicting)
    orders = set(heads) - conflicting
    cancelled = {
        as_id(r[col["InvoiceNo"]]) for r in negative if str(r[col["InvoiceNo"]]).startswith("C")
    }
    text_skus = {r[col["StockCode"]] for r in good if isinstance(r[col["StockCode"]], str)}
    number_skus = {
        as_id(r[col["StockCode"]]) for r in good if not isinstance(r[col["StockCode"]], str)
    }
    assert negative and cancelled and text_skus and number_skus  # mixed int / text cells

    add_profiles(workspace, RETAIL_PROFILE)
    result = import_one(invoke, workspace, str(path))
    assert result["profile"] == "online_retail"
    assert result["sheet"] == "Sheet1"
    assert result["rows_read"] == len(body) == 40_000
    assert result["rejected"] == len(negative) + conflict_rows
    assert one(
        workspace,
        "SELECT count(*) FROM import_rejects WHERE reason = 'negative quantity or amount'",
    ) == len(negative)
    ents = per_entity(result)
    assert ents["orders"]["inserted"] == len(orders) == count(workspace, "orders")
    assert (
        ents["order_lines"]["inserted"]
        == len(good) - conflict_rows
        == count(workspace, "order_lines")
    )
    # ids keep their text: 536365 / 21166 (number cells) and 85123A (text cells), no "536365.0"
    assert one(workspace, "SELECT count(*) FROM orders WHERE order_id LIKE '%.%'") == 0
    assert {
        r[0] for r in rows(workspace, "SELECT DISTINCT sku FROM order_lines")
    } == text_skus | number_skus
    # cancellations (C…, negative quantities) did not become orders
    assert one(workspace, "SELECT count(*) FROM orders WHERE order_id LIKE 'C%'") == 0
    # lines are numbered in file order within each invoice (the file is not in date order)
    inv = as_id(good[0][col["InvoiceNo"]])
    in_file = [as_id(r[col["StockCode"]]) for r in good if as_id(r[col["InvoiceNo"]]) == inv]
    assert [
        r[0]
        for r in rows(
            workspace, "SELECT sku FROM order_lines WHERE order_id = ? ORDER BY line_no", [inv]
        )
    ] == in_file
    # no line of a cancellation (negative quantity) was loaded
    assert one(workspace, "SELECT count(*) FROM order_lines WHERE qty < 0") == 0


# ---------------------------------------------------------------------------------------
# superstore: a legacy .xls workbook with several sheets

SUPERSTORE_PROFILE = """
[profiles.superstore]
entity = ["orders", "order_lines"]
files = ["Sample - Superstore*.xls"]
sheet = "Orders"
[profiles.superstore.columns]
order_id = "Order ID"
order_date = "Order Date"
planned_ship_date = "Ship Date"
customer = "Customer Name"
customer_id = "Customer ID"
region = "Region"
sku = "Product ID"
description = "Product Name"
qty = "Quantity"
"order_lines.amount" = "Sales"
"""


def test_xls_legacy_superstore(invoke: Invoke, workspace: Path, shared_data: Path) -> None:
    xls = data_file(shared_data, "superstore", "Sample - Superstore.xls")
    header, body = calamine_rows(xls, "Orders")
    col = {h: i for i, h in enumerate(header)}
    order_ids = {r[col["Order ID"]] for r in body}
    first = body[0]

    add_profiles(workspace, SUPERSTORE_PROFILE)
    result = import_one(invoke, workspace, str(xls))  # picked by its file name
    assert result["profile"] == "superstore"
    assert result["sheet"] == "Orders"
    assert result["rows_read"] == len(body)
    assert result["rejected"] == 0, result["rejects"]
    ents = per_entity(result)
    assert ents["orders"]["inserted"] == len(order_ids) == count(workspace, "orders")
    assert ents["order_lines"]["inserted"] == len(body) == count(workspace, "order_lines")
    got = one(
        workspace,
        "SELECT o.order_date, o.planned_ship_date, o.customer, l.line_no, l.sku, l.qty, l.amount "
        "FROM orders o JOIN order_lines l USING (order_id) WHERE order_id = ? ORDER BY l.line_no LIMIT 1",
        [first[col["Order ID"]]],
    )
    assert got == (
        day(first[col["Order Date"]]),
        day(first[col["Ship Date"]]),
        first[col["Customer Name"]],
        1,
        first[col["Product ID"]],
        Decimal(str(first[col["Quantity"]])).quantize(Decimal("0.001")),
        Decimal(str(first[col["Sales"]])).quantize(Decimal("0.01")),
    )
    # columns no field maps are kept in attrs (Ship Mode, Profit, …)
    assert one(
        workspace, "SELECT count(*) FROM order_lines WHERE attrs->>'Ship Mode' IS NOT NULL"
    ) == len(body)
    # the other sheets are named when the profile asks for one that is not there
    add_profiles(
        workspace,
        '[profiles.superstore_returns]\nentity = "orders"\nsheet = "Return"\n'
        '[profiles.superstore_returns.columns]\norder_id = "Order ID"\n',
    )
    wrong = invoke(
        "import", str(xls), "--profile", "superstore_returns", "--force", "-w", str(workspace)
    )
    assert wrong.exit_code != EXIT_OK
    assert 'no sheet named "Return"; the sheets are: Orders, Returns, People' in " ".join(
        wrong.stderr.split()
    )
