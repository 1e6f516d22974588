"""Reading a list of moves from an export (``advance --from-file``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from ordertrack.config import Config
from ordertrack.errors import InputError
from ordertrack.ingest.normalize import header_key
from ordertrack.ingest.presets import ORDER_HEADER

STAGE_HEADERS = [
    "目标环节",
    "环节",
    "节点",
    "状态",
    "to",
    "to_stage",
    "stage",
    "target",
    "Stage",
    "To Stage",
]


def read_requests(path: Path, config: Config) -> list[tuple[int, str, str | None]]:
    """(row number as Excel shows it, order id, target stage id or None) per data row.

    Stage cells may hold the stage id or its display name (e.g. 物流发货). Blank rows are
    left out; a blank order id on a row with other cells is kept (and refused, by row).
    """
    from ordertrack.ingest.readers import open_source, read_csv_table, read_excel_table

    tmp = Path(tempfile.mkdtemp(prefix="ordertrack-advance-"))
    try:
        src = open_source(path, tmp_dir=tmp)
        order_keys = {header_key(h) for h in ORDER_HEADER["order_id"]}
        stage_keys = {header_key(h) for h in STAGE_HEADERS}
        for i, cells in enumerate(src.preview):
            keys = [header_key(c) for c in cells]
            if any(k in order_keys for k in keys):
                header_index = i
                break
        else:
            seen = next((r for r in src.preview if any(r)), [])
            raise InputError(
                f"{path}: no order id column found; headers seen: {', '.join(c for c in seen if c) or '(none)'}",
                hint="The file needs a column 订单编号 / 订单号 / Order ID (and optionally 目标环节 / stage).",
            )
        keys = [header_key(c) for c in src.preview[header_index]]
        order_col = next(i for i, k in enumerate(keys) if k in order_keys)
        stage_col = next((i for i, k in enumerate(keys) if k in stage_keys), None)
        width = len(keys)
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")  # it would draw on stdout
        try:
            reader = read_excel_table if src.kind == "excel" else read_csv_table
            reader(con, src, src.preview_rows[header_index], 0, width)
            stage_sql = f"nullif(trim(c{stage_col}), '')" if stage_col is not None else "NULL"
            rows = con.execute(
                f"SELECT _row, coalesce(trim(c{order_col}), ''), {stage_sql} FROM raw "
                f"WHERE coalesce({', '.join(f'nullif(trim(c{i}), {chr(39)}{chr(39)})' for i in range(width))}) IS NOT NULL "
                "ORDER BY _row"
            ).fetchall()
        except duckdb.Error as e:
            from ordertrack.store.errors import csv_error

            raise csv_error(e, path) from None
        finally:
            con.close()
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    names = {s.label: s.id for s in config.flow.stages}
    names.update({s.id: s.id for s in config.flow.stages})
    return [(int(r), str(o), names.get(t, t) if t else None) for r, o, t in rows]
