"""Import one file: read → map → type and check (→ rejects) → compare-first load.

One file is one transaction: all of it lands or none of it does. Every step is a SQL
statement over the whole file (set-based); Python only builds the statements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from ordertrack.entities import ENTITIES, Entity
from ordertrack.errors import InputError
from ordertrack.ingest.casting import Caster, lit
from ordertrack.ingest.profiles import Match, ResolvedProfile

REJECT_TYPE = "STRUCT(column_name VARCHAR, raw_value VARCHAR, reason VARCHAR)"
TOTAL_WORDS = ("合计", "总计", "小计", "总合计", "total", "grand total", "subtotal", "sum")


@dataclass
class EntityCounts:
    entity: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Plan:
    """What the importer will do with one file (columns resolved)."""

    profile: ResolvedProfile
    match: Match
    headers: list[str]
    width: int

    def col(self, q: str) -> str | None:
        i = self.match.columns.get(q)
        return None if i is None else f"c{i}"


@dataclass
class LoadOutcome:
    rows_read: int = 0
    blank_rows: int = 0
    total_rows: int = 0
    rejected_rows: int = 0
    rejects: int = 0
    entities: list[EntityCounts] = field(default_factory=list)
    moved: int = 0

    @property
    def inserted(self) -> int:
        return sum(e.inserted for e in self.entities)

    @property
    def updated(self) -> int:
        return sum(e.updated for e in self.entities)

    @property
    def unchanged(self) -> int:
        return sum(e.unchanged for e in self.entities)


def qcol(entity: str, name: str) -> str:
    return f'"{entity}__{name}"'


def build_typed(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """raw → typed: one column per mapped field, the row's attrs and its problems."""
    p = plan.profile
    caster = Caster(p.date_formats, p.day_first, p.decimal, p.thousands)
    inner: list[str] = ["_row"]
    outer: list[str] = ["_row"]
    problems: list[str] = []
    mapped_cols: set[int] = set(plan.match.columns.values())
    for e in p.entities:
        ent = ENTITIES[e]
        for f in ent.fields:
            q = f"{e}.{f.name}"
            col = plan.col(q)
            default = p.defaults.get(q)
            if col is None and default is None:
                continue
            raw = col or "NULL::VARCHAR"
            s = caster.clean(raw, f, p.values.get(q), default)
            value = caster.typed(f"_s_{e}__{f.name}", f)
            inner.append(f"{raw} AS _r_{e}__{f.name}, {s} AS _s_{e}__{f.name}")
            outer.append(f"{value} AS {qcol(e, f.name)}")
            header = plan.headers[plan.match.columns[q]] if q in plan.match.columns else f.name
            why = caster.problem(f"_r_{e}__{f.name}", f"_s_{e}__{f.name}", value, f)
            problems.append(
                f"CASE WHEN {why} IS NOT NULL THEN {{'column_name': {lit(header)}, "
                f"'raw_value': left(_r_{e}__{f.name}, 200), 'reason': {why}}} END"
            )
    # the original cells (for the rejects file) and the unmapped ones (kept in attrs)
    all_pairs = ", ".join(f"{lit(h)}, c{i}" for i, h in enumerate(plan.headers) if h)
    extra = [i for i in range(plan.width) if i not in mapped_cols and plan.headers[i]]
    attrs = (
        "json_merge_patch('{}', json_object(" + ", ".join(f"{lit(plan.headers[i])}, c{i}" for i in extra) + "))"
        if extra
        else "NULL::JSON"
    )
    inner.append(f"json_object({all_pairs}) AS _raw_row" if all_pairs else "NULL::JSON AS _raw_row")
    inner.append(f"{attrs} AS _attrs")
    outer += ["_raw_row", "_attrs"]
    errs = (
        f"list_filter([{', '.join(problems)}], lambda x: x IS NOT NULL)"
        if problems
        else f"[]::{REJECT_TYPE}[]"
    )
    outer.append(f"{errs}::{REJECT_TYPE}[] AS _errors")
    blank = " AND ".join(f"nullif(trim(c{i}, ' \t\r\n\u3000'), '') IS NULL" for i in range(plan.width)) or "true"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE typed AS SELECT {', '.join(outer)} FROM ("
        f"SELECT {', '.join(inner)} FROM raw WHERE NOT ({blank})) ORDER BY _row"
    )


def drop_total_rows(con: duckdb.DuckDBPyConnection, plan: Plan) -> int:
    """Remove trailing total rows (合计 / Total in the key column, or key blank at the end)."""
    first = plan.profile.entities[0]
    key_q = f"{first}.{ENTITIES[first].key[0]}"
    kc = qcol(first, ENTITIES[first].key[0]) if (key_q in plan.match.columns) else None
    if kc is None:
        return 0
    words = ", ".join(lit(w) for w in TOTAL_WORDS)
    n = con.execute(
        f"SELECT count(*) FROM typed WHERE lower(regexp_replace({kc}, '[\\s:：]', '', 'g')) IN ({words}) "
        f"OR ({kc} IS NULL AND _row > (SELECT max(_row) FROM typed WHERE {kc} IS NOT NULL))"
    ).fetchone()
    count = int(n[0]) if n else 0
    if count:
        con.execute(
            f"DELETE FROM typed WHERE lower(regexp_replace({kc}, '[\\s:：]', '', 'g')) IN ({words}) "
            f"OR ({kc} IS NULL AND _row > (SELECT max(_row) FROM typed WHERE {kc} IS NOT NULL))"
        )
    return count


def derive_keys(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Fill keys the file does not carry: line numbers, shipment ids."""
    p = plan.profile
    if "order_lines" in p.entities and "order_lines.line_no" not in plan.match.columns:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE typed AS SELECT * REPLACE ("
            f"(row_number() OVER (PARTITION BY {qcol('order_lines', 'order_id')} ORDER BY _row))::INTEGER "
            f"AS {qcol('order_lines', 'line_no')}) FROM typed ORDER BY _row"
            if _has(con, "order_lines__line_no")
            else f"CREATE OR REPLACE TEMP TABLE typed AS SELECT *, "
            f"(row_number() OVER (PARTITION BY {qcol('order_lines', 'order_id')} ORDER BY _row))::INTEGER "
            f"AS {qcol('order_lines', 'line_no')} FROM typed ORDER BY _row"
        )
    if "shipments" in p.entities and "shipments.shipment_id" not in plan.match.columns:
        if p.key:
            parts = ", ".join(qcol("shipments", k.split(".")[-1]) for k in p.key)
            expr = f"concat_ws('/', {parts})"
        elif "shipments.tracking_no" in plan.match.columns:
            expr = qcol("shipments", "tracking_no")
        else:
            expr = qcol("shipments", "order_id")
        op = "REPLACE" if _has(con, "shipments__shipment_id") else None
        sel = (
            f"SELECT * REPLACE ({expr} AS {qcol('shipments', 'shipment_id')}) FROM typed"
            if op
            else f"SELECT *, {expr} AS {qcol('shipments', 'shipment_id')} FROM typed"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE typed AS {sel} ORDER BY _row")


def _has(con: duckdb.DuckDBPyConnection, column: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'typed' AND column_name = ?",
        [column],
    ).fetchone()
    return bool(row and row[0])


def row_checks(con: duckdb.DuckDBPyConnection, plan: Plan, stage_ids: list[str]) -> None:
    """Problems of a row as a whole: missing keys, unknown stages (appended to _errors)."""
    p = plan.profile
    checks: list[str] = []
    for e in p.entities:
        ent = ENTITIES[e]
        needed = [f for f in ent.fields if f.required] + [
            ent.field(k) for k in ent.key if not ent.field(k).required
        ]
        for f in needed:
            q = f"{e}.{f.name}"
            header = plan.headers[plan.match.columns[q]] if q in plan.match.columns else f.name
            checks.append(
                f"CASE WHEN {qcol(e, f.name)} IS NULL AND NOT list_contains("
                f"list_transform(_errors, lambda x: x.column_name), {lit(header)}) THEN "
                f"{{'column_name': {lit(header)}, 'raw_value': NULL, "
                f"'reason': {lit('missing ' + f.name + ' (' + header + ')')}}} END"
            )
        if e == "stage_history":
            ids = ", ".join(lit(s) for s in stage_ids)
            for fname in ("to_stage", "from_stage"):
                q = f"{e}.{fname}"
                if q not in plan.match.columns and q not in p.defaults:
                    continue
                header = plan.headers[plan.match.columns[q]] if q in plan.match.columns else fname
                checks.append(
                    f"CASE WHEN {qcol(e, fname)} IS NOT NULL AND {qcol(e, fname)} NOT IN ({ids}) THEN "
                    f"{{'column_name': {lit(header)}, 'raw_value': {qcol(e, fname)}, "
                    f"'reason': 'unknown stage; the flow has: ' || {lit(', '.join(stage_ids))} || "
                    f"' (map other names with [profiles.NAME.values.{fname}])'}} END"
                )
    if checks:
        con.execute(
            f"UPDATE typed SET _errors = list_concat(_errors, list_filter([{', '.join(checks)}], "
            f"lambda x: x IS NOT NULL)::{REJECT_TYPE}[])"
        )


def entity_fields(plan: Plan, e: str) -> list[str]:
    """Fields of entity ``e`` that this file provides (mapped, defaulted or derived)."""
    ent = ENTITIES[e]
    p = plan.profile
    out = []
    for f in ent.fields:
        q = f"{e}.{f.name}"
        if q in plan.match.columns or q in p.defaults or (
            f.name == "line_no" and e == "order_lines"
        ) or (f.name == "shipment_id" and e == "shipments"):
            out.append(f.name)
    return out


def conflict_checks(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Rows that share an entity's key but disagree: reject them all, showing the values."""
    for e in plan.profile.entities:
        ent = ENTITIES[e]
        if ent.append_only:
            continue
        fields = entity_fields(plan, e)
        keys = [qcol(e, k) for k in ent.key]
        others = [f for f in fields if f not in ent.key]
        if not others:
            continue
        key_text = " || '/' || ".join(f"coalesce({k}::VARCHAR, '')" for k in keys)
        parts = []
        for f in others:
            q = f"{e}.{f}"
            header = plan.headers[plan.match.columns[q]] if q in plan.match.columns else f
            c = qcol(e, f)
            parts.append(
                f"SELECT {key_text} AS k, {lit(header)} AS h, "
                f"string_agg(DISTINCT coalesce({c}::VARCHAR, '(blank)'), ' vs ' ORDER BY coalesce({c}::VARCHAR, '(blank)')) AS vals, "
                f"string_agg(_row::VARCHAR, ', ' ORDER BY _row) AS rows_ "
                f"FROM typed WHERE len(_errors) = 0 AND {' AND '.join(f'{k} IS NOT NULL' for k in keys)} "
                f"GROUP BY ALL HAVING count(DISTINCT coalesce({c}::VARCHAR, '\x00')) > 1"
            )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _conflicts AS "
            f"SELECT k, h, vals, rows_ FROM ({' UNION ALL '.join(p.replace('GROUP BY ALL', 'GROUP BY 1') for p in parts)})"
        )
        label = "order" if e == "orders" else e.rstrip("s").replace("_", " ")
        con.execute(
            f"UPDATE typed SET _errors = list_concat(_errors, [{{'column_name': c.h, 'raw_value': c.vals, "
            f"'reason': {lit(label)} || ' ' || c.k || ': ' || c.h || ' differs between rows ' || c.rows_ "
            f"|| ' (' || c.vals || '); rows with the same key must agree'}}]::{REJECT_TYPE}[]) "
            f"FROM (SELECT k, first(h) AS h, first(vals) AS vals, first(rows_) AS rows_ FROM _conflicts GROUP BY k) c "
            f"WHERE ({key_text}) = c.k AND len(typed._errors) = 0"
        )


def parent_checks(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Rows that refer to an order that is neither in the database nor in this file."""
    p = plan.profile
    for e in p.entities:
        ent = ENTITIES[e]
        if ent.parent != "orders":
            continue
        oc = qcol(e, "order_id")
        in_file = (
            f"OR {oc} IN (SELECT {qcol('orders', 'order_id')} FROM typed WHERE len(_errors) = 0)"
            if "orders" in p.entities
            else ""
        )
        header = plan.headers[plan.match.columns[f"{e}.order_id"]] if f"{e}.order_id" in plan.match.columns else "order_id"
        con.execute(
            f"UPDATE typed SET _errors = list_concat(_errors, [{{'column_name': {lit(header)}, "
            f"'raw_value': {oc}, 'reason': 'unknown order ' || {oc} || "
            f"' (not in the order center; import the orders file first)'}}]::{REJECT_TYPE}[]) "
            f"WHERE len(_errors) = 0 AND {oc} IS NOT NULL AND NOT ({oc} IN (SELECT order_id FROM orders) {in_file})"
        )


def record_rejects(con: duckdb.DuckDBPyConnection, import_id: int, sheet: str | None) -> tuple[int, int]:
    con.execute(
        "INSERT INTO import_rejects (import_id, sheet, row_no, column_name, raw_value, reason, raw_row) "
        "SELECT ?, ?, _row, e.column_name, e.raw_value, e.reason, _raw_row "
        "FROM (SELECT _row, _raw_row, unnest(_errors) AS e FROM typed WHERE len(_errors) > 0) ORDER BY _row",
        [import_id, sheet],
    )
    row = con.execute(
        "SELECT count(*), coalesce(sum(len(_errors)), 0) FROM typed WHERE len(_errors) > 0"
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def load_entity(con: duckdb.DuckDBPyConnection, plan: Plan, e: str, import_id: int,
                now: datetime) -> EntityCounts:
    """Compare first, then write only the difference: new rows inserted, changed rows updated."""
    ent: Entity = ENTITIES[e]
    fields = entity_fields(plan, e)
    keys = list(ent.key)
    sel = ", ".join(f"{qcol(e, f)} AS {f}" for f in fields)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE s AS SELECT {sel}, _attrs AS attrs FROM typed "
        f"WHERE len(_errors) = 0 QUALIFY row_number() OVER (PARTITION BY {', '.join(qcol(e, k) for k in keys)} "
        f"ORDER BY _row) = 1"
    )
    table = ent.table
    on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    total = _count(con, "SELECT count(*) FROM s")
    if ent.append_only:  # stage history: add what is not there yet
        new = _count(con, f"SELECT count(*) FROM s WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on})")
        cols = [f for f in fields]
        con.execute(
            f"INSERT INTO {table} ({', '.join(cols)}, via, kind, import_id) "
            f"SELECT {', '.join('s.' + c for c in cols)}, 'import', 'move', ? FROM s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on}) ORDER BY s.order_id, s.event_at",
            [import_id],
        )
        return EntityCounts(e, total, new, 0, total - new)
    set_cols = [f for f in fields if f not in keys]
    differs = " OR ".join(f"s.{f} IS DISTINCT FROM t.{f}" for f in set_cols)
    new_attrs = "CASE WHEN s.attrs IS NULL THEN t.attrs ELSE json_merge_patch(coalesce(t.attrs, '{}'), s.attrs) END"
    differs = " OR ".join(x for x in (differs, f"({new_attrs})::VARCHAR IS DISTINCT FROM t.attrs::VARCHAR") if x)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _changed AS SELECT s.* REPLACE ({new_attrs} AS attrs) "
        f"FROM s JOIN {table} t ON {on} WHERE {differs}"
    )
    changed = _count(con, "SELECT count(*) FROM _changed")
    stamp = ", updated_at" if e == "orders" else ""
    stamp_val = ", ?" if e == "orders" else ""
    params: list[Any] = [import_id] + ([now] if e == "orders" else [])
    new = _count(con, f"SELECT count(*) FROM s WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on})")
    if new:
        created = ", created_at" if e == "orders" else ""
        con.execute(
            f"INSERT INTO {table} ({', '.join(fields)}, attrs, import_id{created}{stamp}) "
            f"SELECT {', '.join('s.' + f for f in fields)}, s.attrs, ?{', ?' if created else ''}{stamp_val} FROM s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on})",
            [import_id] + ([now, now] if e == "orders" else []),
        )
    if changed:
        sets = ", ".join(f"{f} = c.{f}" for f in set_cols)
        sets = ", ".join(x for x in (sets, "attrs = c.attrs", "import_id = ?") if x)
        con.execute(
            f"UPDATE {table} t SET {sets}{', updated_at = ?' if e == 'orders' else ''} FROM _changed c "
            f"WHERE {' AND '.join(f't.{k} = c.{k}' for k in keys)}",
            params,
        )
    if e == "inventory":
        _inventory_snapshot(con, import_id, now)
    return EntityCounts(e, total, new, changed, total - new - changed)


def _inventory_snapshot(con: duckdb.DuckDBPyConnection, import_id: int, now: datetime) -> None:
    """Keep a dated snapshot per SKU and warehouse (for inventory turnover)."""
    has_as_of = _has_col(con, "s", "as_of")
    as_of = "coalesce(s.as_of, ?::DATE)" if has_as_of else "?::DATE"
    on_hand = "s.on_hand" if _has_col(con, "s", "on_hand") else (
        "s.available" if _has_col(con, "s", "available") else "NULL")
    reserved = "s.reserved" if _has_col(con, "s", "reserved") else "NULL"
    cost = "s.unit_cost" if _has_col(con, "s", "unit_cost") else "NULL"
    con.execute(
        f"INSERT INTO inventory_history (as_of, sku, warehouse, on_hand, reserved, unit_cost, import_id) "
        f"SELECT {as_of}, s.sku, s.warehouse, {on_hand}, {reserved}, {cost}, ? FROM s "
        f"ON CONFLICT DO UPDATE SET on_hand = excluded.on_hand, reserved = excluded.reserved, "
        f"unit_cost = excluded.unit_cost, import_id = excluded.import_id "
        f"WHERE inventory_history.on_hand IS DISTINCT FROM excluded.on_hand "
        f"OR inventory_history.reserved IS DISTINCT FROM excluded.reserved "
        f"OR inventory_history.unit_cost IS DISTINCT FROM excluded.unit_cost",
        [now.date(), import_id],
    )


def _has_col(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?", [table, column]
    ).fetchone()
    return bool(row and row[0])


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def rejects_preview(con: duckdb.DuckDBPyConnection, limit: int = 5) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT _row, e.column_name, e.raw_value, e.reason FROM (SELECT _row, unnest(_errors) AS e "
        f"FROM typed WHERE len(_errors) > 0) ORDER BY _row LIMIT {int(limit)}"
    ).fetchall()
    return [{"row": r[0], "column": r[1], "value": r[2], "reason": r[3]} for r in rows]


def header_list(preview_row: list[str]) -> list[str]:
    """Header cells, with blanks and duplicates made unique (``金额 (2)``)."""
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(preview_row):
        name = h.strip() or f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


def json_default(value: Any) -> Any:
    return str(value)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=json_default)


def path_display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def too_wide(plan: Plan) -> None:
    if plan.width > 2000:
        raise InputError(f"the header has {plan.width} columns; at most 2000 are supported")
