"""Looking back at imports: list, show, rejected rows (and the file to fix them in)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ordertrack.errors import NotFound
from ordertrack.store import as_dicts
from ordertrack.workspace import Workspace

_COLS = (
    "import_id, path, file_name, sha256, size_bytes, profile, entities, sheet, status, "
    "rows_read, inserted, updated, unchanged, rejected, moved, started_at, finished_at, actor, message"
)


def list_imports(ws: Workspace, limit: int = 20) -> list[dict[str, Any]]:
    with ws.connect(read_only=True) as store:
        return as_dicts(
            store.con.execute(
                f"SELECT {_COLS} FROM imports ORDER BY import_id DESC LIMIT ?", [limit]
            )
        )


def _require(store: Any, import_id: int) -> dict[str, Any]:
    rows = as_dicts(
        store.con.execute(f"SELECT {_COLS} FROM imports WHERE import_id = ?", [import_id])
    )
    if not rows:
        last = store.scalar("SELECT max(import_id) FROM imports")
        raise NotFound(
            f"no import #{import_id}",
            hint=f"The last import is #{last}; `ordertrack imports list` shows them."
            if last
            else "Nothing has been imported yet.",
        )
    return rows[0]


def show_import(ws: Workspace, import_id: int, rejects_shown: int = 10) -> dict[str, Any]:
    with ws.connect(read_only=True) as store:
        info = _require(store, import_id)
        info["rejects"] = as_dicts(
            store.con.execute(
                "SELECT row_no, column_name, raw_value, reason FROM import_rejects WHERE import_id = ? "
                "ORDER BY row_no LIMIT ?",
                [import_id, rejects_shown],
            )
        )
        return info


def rejects(ws: Workspace, import_id: int) -> list[dict[str, Any]]:
    with ws.connect(read_only=True) as store:
        _require(store, import_id)
        return as_dicts(
            store.con.execute(
                "SELECT sheet, row_no, column_name, raw_value, reason FROM import_rejects "
                "WHERE import_id = ? ORDER BY row_no, column_name",
                [import_id],
            )
        )


def write_rejects(ws: Workspace, import_id: int, out: Path) -> int:
    """The rejected rows with their original columns plus a reason column: fix, re-import."""
    from ordertrack.ingest.export import write_table

    with ws.connect(read_only=True) as store:
        _require(store, import_id)
        rows = store.fetchall(
            "SELECT row_no, any_value(raw_row)::VARCHAR, string_agg(coalesce(column_name || ': ', '') || reason, '; ' "
            "ORDER BY column_name) FROM import_rejects WHERE import_id = ? GROUP BY row_no ORDER BY row_no",
            [import_id],
        )
    headers: list[str] = []
    records = []
    for row_no, raw, reason in rows:
        cells = json.loads(raw) if raw else {}
        for h in cells:
            if h not in headers:
                headers.append(h)
        records.append((row_no, cells, reason))
    columns = [*headers, "导入问题 / reason", "原行号 / row"]
    data = [[cells.get(h) for h in headers] + [reason, row_no] for row_no, cells, reason in records]
    write_table(out, columns, data, types=["VARCHAR"] * len(headers) + ["VARCHAR", "BIGINT"])
    return len(data)


def suggest_profile(path: Path, name: str | None = None, sheet: str | None = None) -> str:
    import re

    from ordertrack.ingest.profiles import suggest
    from ordertrack.ingest.readers import open_source

    sheet_arg: str | int | None = int(sheet) if sheet and sheet.isdigit() else sheet
    src = open_source(path, sheet=sheet_arg)
    if src.utf8_path is not None and src.utf8_path != path:
        src.utf8_path.unlink(missing_ok=True)
    from ordertrack.ingest.profiles import file_glob

    # the name: the file's name without its date, in ASCII; else what the file holds
    slug = re.sub(r"[^a-z0-9_]+", "_", file_glob(path.name).rstrip("*").lower()).strip("_")
    stem = name or (slug if re.match(r"^[a-z]", slug) else "")
    s = suggest(
        stem or "my_export",
        src.preview,
        src.preview_rows,
        src.sheet if src.kind == "excel" else None,
        src.encoding,
        file_name=path.name,
    )
    if not stem and s.entities:
        s.name = "_".join(s.entities) if len(s.entities) <= 2 else "my_export"
    return f"# Suggested from {path.name}: check it, then paste into ordertrack.toml\n" + s.toml()
