"""Export an entity or a query to XLSX (typed, frozen header, autofilter) or CSV.

Text cells that start with ``= + - @`` (or a tab / carriage return) are prefixed with
``'`` so a spreadsheet shows them as text instead of running them as formulas.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ordertrack.entities import ENTITIES
from ordertrack.errors import UserError
from ordertrack.workspace import Workspace

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def export(ws: Workspace, out: Path, *, entity: str | None = None, query: str | None = None) -> int:
    """Write rows to ``out`` (.xlsx or .csv); return how many."""
    from ordertrack.query import check_read_only

    if (entity is None) == (query is None):
        raise UserError(
            "name an entity to export, or give --query, not both",
            hint="e.g. ordertrack export orders --out orders.xlsx",
        )
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UserError(f"{out}: export writes .xlsx or .csv files", hint="Use --out FILE.xlsx")
    with ws.connect(read_only=True) as store:
        if query is None:
            assert entity is not None
            table = ENTITIES[entity].table if entity in ENTITIES else entity
            known = {
                r[0]
                for r in store.fetchall(
                    "SELECT table_name FROM duckdb_tables() WHERE NOT temporary UNION "
                    "SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary"
                )
            }
            if table not in known:
                from ordertrack.config import _unknown

                raise UserError(_unknown("entity, table or view", entity, sorted(known)))
            query = f'SELECT * FROM "{table}"'
        check_read_only(store.con, query, command="ordertrack export --query")
        import duckdb

        try:
            cur = store.con.execute(query)
        except duckdb.Error as e:
            from ordertrack.store.errors import sql_error

            raise sql_error(e) from None
        columns = [d[0] for d in cur.description or []]
        types = [str(d[1]) for d in cur.description or []]
        rows = cur.fetchall()
    write_table(out, columns, rows, types)
    return len(rows)


def write_table(out: Path, columns: list[str], rows: list[Any], types: list[str]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    try:
        if out.suffix.lower() == ".csv":
            with tmp.open("w", encoding="utf-8-sig", newline="") as f:
                w = csv.writer(f)
                w.writerow(columns)
                for r in rows:
                    w.writerow(["" if v is None else neutralise(_plain(v)) for v in r])
        else:
            _write_xlsx(tmp, columns, rows, types)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def _plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    return v


def _write_xlsx(path: Path, columns: list[str], rows: list[Any], types: list[str]) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("data")
    formats: list[str | None] = []
    for t in types:
        t = t.upper()
        if t == "DATE":
            formats.append("yyyy-mm-dd")
        elif t.startswith("TIMESTAMP"):
            formats.append("yyyy-mm-dd hh:mm")
        elif t.startswith("DECIMAL") or t in ("DOUBLE", "FLOAT"):
            formats.append("#,##0.00")
        else:
            formats.append(None)
    widths = [min(max(len(str(c)) * 2, 10), 50) for c in columns]
    for i, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = w
    ws.freeze_panes = "A2"
    ws.append(columns)
    from openpyxl.cell import WriteOnlyCell

    for r in rows:
        cells = []
        for v, fmt in zip(r, formats, strict=True):
            if isinstance(v, datetime) and v.tzinfo is not None:
                v = v.replace(tzinfo=None)
            elif isinstance(v, Decimal):
                v = float(v)
            elif isinstance(v, list | dict):
                v = str(v)
            cell = WriteOnlyCell(ws, value=neutralise(v))
            if fmt and v is not None:
                cell.number_format = fmt
            cells.append(cell)
        ws.append(cells)
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    wb.save(path)
