"""Forms produced when orders enter a stage: the pick list (出库单).

One pick list per move command: an XLSX with every line to pick, sorted by warehouse and
bin (a picking wave), and a printable HTML page per order. Written to ``out/picklists/``
after the move has committed.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from ordertrack.workspace import Workspace

COLUMNS = [
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
]


def write_pick_list(ws: Workspace, store: Any, orders: list[str], now: datetime) -> list[Path]:
    if not orders:
        return []
    import pyarrow as pa

    from ordertrack.store import registered

    with registered(
        store.con, "_pick_orders", pa.table({"order_id": pa.array(orders, pa.string())})
    ):
        rows = store.fetchall(
            "SELECT l.order_id, o.customer, l.line_no, l.sku, coalesce(l.description, i.description), "
            "l.qty, l.unit, coalesce(l.warehouse, i.warehouse), coalesce(l.bin, i.bin), o.promised_date "
            "FROM order_lines l JOIN orders o USING (order_id) "
            "LEFT JOIN (SELECT sku, first(warehouse ORDER BY coalesce(on_hand, 0) DESC) AS warehouse, "
            "first(bin ORDER BY coalesce(on_hand, 0) DESC) AS bin, first(description) AS description "
            "FROM inventory GROUP BY sku) i USING (sku) "
            "WHERE l.order_id IN (SELECT order_id FROM _pick_orders) "
            "ORDER BY 8 NULLS LAST, 9 NULLS LAST, l.sku, l.order_id, l.line_no"
        )
    folder = ws.out_dir / "picklists"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    label = orders[0] if len(orders) == 1 else f"{len(orders)}-orders"
    label = re.sub(r"[^\w.-]+", "_", label).strip("._")[:60] or "order"  # a safe file name
    base = f"出库单_{stamp}_{label}"
    xlsx, html = folder / f"{base}.xlsx", folder / f"{base}.html"
    _xlsx(xlsx, rows, ws.config.workspace.name, now)
    _html(html, rows, ws.config.workspace.name, now)
    return [xlsx, html]


def _xlsx(path: Path, rows: list[tuple[Any, ...]], company: str, now: datetime) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from ordertrack.ingest.export import neutralise

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "出库单"
    ws.append([f"{company} 出库单 / Pick list  {now:%Y-%m-%d %H:%M}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(COLUMNS)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        values = [neutralise(v) for v in r]
        values[5] = float(values[5]) if values[5] is not None else None
        ws.append(values)
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:J{len(rows) + 2}"
    for col, width in zip("ABCDEFGHIJ", (16, 28, 6, 16, 30, 9, 6, 10, 10, 12), strict=True):
        ws.column_dimensions[col].width = width
    wb.save(path)


def _html(path: Path, rows: list[tuple[Any, ...]], company: str, now: datetime) -> None:
    from ordertrack.render import render

    by_order: dict[str, dict[str, Any]] = {}
    for r in rows:
        o = by_order.setdefault(
            r[0], {"order_id": r[0], "customer": r[1], "promised": r[9], "lines": []}
        )
        o["lines"].append(r)
    path.write_text(
        render(
            "pick_list.html",
            company=company,
            now=now,
            orders=list(by_order.values()),
            columns=COLUMNS,
        ),
        encoding="utf-8",
    )
