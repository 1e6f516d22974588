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

from ordertrack.entities import ENTITIES, Entity, Field
from ordertrack.errors import InputError
from ordertrack.ingest.casting import Caster, lit, one_of
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
    removed: int = 0  # order lines an export without line numbers no longer lists


@dataclass
class Plan:
    """What the importer will do with one file (columns resolved)."""

    profile: ResolvedProfile
    match: Match
    headers: list[str]
    width: int
    has_duplicates: set[str] = field(default_factory=set)  # entities with a repeated key

    def col(self, q: str) -> str | None:
        i = self.match.columns.get(q)
        return None if i is None else f"c{i}"


def qcol(entity: str, name: str) -> str:
    return f'"{entity}__{name}"'


def build_typed(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    stage_ids: list[str],
    stage_names: dict[str, str] | None = None,
) -> None:
    """raw → typed: one column per mapped field, the row's attrs and its problems.

    Nested projections so each expression is computed once per cell:
    1. ``_t_cN``: the trimmed text of text cells; ``_f_…``: a direct cast of typed cells
       (the fast path: a clean export needs nothing more);
    2. ``_s_…``: the cleaned text (full-width forms, value map, default) — for typed cells
       only where the direct cast failed;
    3. ``_v_…``: the typed value;
    4. the problems of the row, as a list (empty for a good row).
    """
    p = plan.profile
    caster = Caster(p.date_formats, p.day_first, p.decimal, p.thousands)
    layer1: list[str] = ["*"]
    layer2: list[str] = ["_row", *(f"c{i}" for i in range(plan.width))]
    layer3: list[str] = ["*"]
    outer: list[str] = ["_row"]
    problems: list[str] = []
    trimmed: set[str] = set()
    mapped_cols: set[int] = set(plan.match.columns.values())
    for e in p.entities:
        ent = ENTITIES[e]
        for f in ent.fields:
            q = f"{e}.{f.name}"
            col = plan.col(q)
            default = p.defaults.get(q)
            if col is None and default is None:
                continue
            n = f"{e}__{f.name}"
            s_name, v_name, f_name = f"_s_{n}", f"_v_{n}", f"_f_{n}"
            values = p.values.get(q)
            if e == "stage_history" and f.name in ("to_stage", "from_stage") and stage_names:
                # stage names as people write them (商务审核) → ids; the profile's map wins
                values = {**stage_names, **(values or {})}
            fast = caster.fast(col, f, bool(values)) if col is not None else None
            if fast is not None and col is not None:
                # trimmed only where the direct cast failed (rare): inline, evaluated lazily
                t_col = caster.trimmed(col)
            elif col is not None:
                if col not in trimmed:
                    layer1.append(f"{caster.trimmed(col)} AS _t_{col}")
                    trimmed.add(col)
                t_col = f"_t_{col}"
            else:
                t_col = "NULL::VARCHAR"
            s = caster.clean(t_col, f, values, default)
            if fast is not None:
                # the direct cast, to the field's type (a fraction for a whole number, or a
                # number too large, gives NULL: then the text is cleaned and explained)
                direct = (
                    f"(CASE WHEN {fast} = trunc({fast}) THEN TRY_CAST({fast} AS {_cast_type(f)}) END)"
                    if f.kind == "int"
                    else f"TRY_CAST({fast} AS {_cast_type(f)})"
                )
                layer1.append(f"{direct} AS {f_name}")
                layer2.append(f"{f_name}, (CASE WHEN {f_name} IS NULL THEN {s} END) AS {s_name}")
                value = f"coalesce({f_name}, {caster.typed(s_name, f)})"
            else:
                layer2.append(f"{s} AS {s_name}")
                value = caster.typed(s_name, f)
            layer3.append(f"{value} AS {v_name}")
            outer.append(f"{v_name} AS {qcol(e, f.name)}")
            header = plan.headers[plan.match.columns[q]] if q in plan.match.columns else f.name
            why = caster.problem(s_name, v_name, f)
            if f.required or f.name in ent.key:
                why = why.replace(
                    "(CASE ",
                    f"(CASE WHEN {v_name} IS NULL AND {s_name} IS NULL THEN "
                    f"{lit('missing ' + f.name + ' (' + header + ')')} ",
                    1,
                )
            if e == "stage_history" and f.name in ("to_stage", "from_stage"):
                why = why.replace(
                    "(CASE ",
                    f"(CASE WHEN NOT {one_of(v_name, stage_ids)} THEN 'unknown stage; the flow "
                    f"has: {', '.join(stage_ids)} (map other names with "
                    f"[profiles.NAME.values.{f.name}])' ",
                    1,
                )
            shown = f"coalesce({s_name}, {col})" if col is not None else s_name
            problems.append(
                f"CASE WHEN {why} IS NOT NULL THEN {{'column_name': {lit(header)}, "
                f"'raw_value': left({shown}, 200), 'reason': {why}}} END"
            )
    # the columns no field maps are kept, not dropped: they go to the row's attrs
    extra = [i for i in range(plan.width) if i not in mapped_cols and plan.headers[i]]
    attrs = (
        "json_object(" + ", ".join(f"{lit(plan.headers[i])}, c{i}" for i in extra) + ")"
        if extra
        else "NULL::JSON"
    )
    # blank: no cell has a visible character (checked fully only when the first is empty)
    every = ", ".join(f"c{i}" for i in range(plan.width))
    blank = (
        f"(coalesce({every}) IS NULL OR ((c0 IS NULL OR ascii(c0) IN (9, 32, 160, 12288, 65279)) "
        f"AND regexp_full_match(concat({every}), '[\\s\\x{{3000}}\\x{{a0}}\\x{{feff}}]*')))"
        if plan.width
        else "true"
    )
    layer1 += [f"{attrs} AS _attrs", f"{blank} AS _blank"]
    layer2 += ["_attrs", "_blank"]
    errs = (
        f"list_filter([{', '.join(problems)}], lambda x: x IS NOT NULL)"
        if problems
        else f"[]::{REJECT_TYPE}[]"
    )
    outer += ["_attrs", f"{errs}::{REJECT_TYPE}[] AS _errors", "_blank"]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE typed AS SELECT {', '.join(outer)} FROM ("
        f"SELECT {', '.join(layer3)} FROM ("
        f"SELECT {', '.join(layer2)} FROM ("
        f"SELECT {', '.join(layer1)} FROM raw)))"
    )


def _cast_type(f: Field) -> str:
    if f.kind == "date":
        return "DATE"
    if f.kind == "timestamp":
        return "TIMESTAMPTZ"
    return f.type


def drop_total_rows(con: duckdb.DuckDBPyConnection, plan: Plan) -> int:
    """Remove trailing total rows (合计 / Total in the key column, or key blank at the end)."""
    first = plan.profile.entities[0]
    key_q = f"{first}.{ENTITIES[first].key[0]}"
    kc = qcol(first, ENTITIES[first].key[0]) if (key_q in plan.match.columns) else None
    if kc is None:
        return 0
    # Only the bottom of the file is looked at: that is where exports put their totals.
    label = f"lower(regexp_replace({kc}, '[\\s:：]', '', 'g'))"
    is_total = (
        f"_row > (SELECT max(_row) - 10 FROM typed) AND ({one_of(label, list(TOTAL_WORDS))} "
        f"OR ({kc} IS NULL AND _row > (SELECT max(_row) FROM typed WHERE {kc} IS NOT NULL)))"
    )
    count = _count(con, f"SELECT count(*) FROM typed WHERE {is_total}")
    if count:
        con.execute(f"DELETE FROM typed WHERE {is_total}")
    return count


def derive_keys(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Fill keys the file does not carry: line numbers, shipment ids."""
    p = plan.profile
    if "order_lines" in p.entities and "order_lines.line_no" not in plan.match.columns:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE typed AS SELECT * REPLACE ("
            f"(row_number() OVER (PARTITION BY {qcol('order_lines', 'order_id')} ORDER BY _row))::INTEGER "
            f"AS {qcol('order_lines', 'line_no')}) FROM typed ORDER BY _row"
            if _has_col(con, "typed", "order_lines__line_no")
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
        op = "REPLACE" if _has_col(con, "typed", "shipments__shipment_id") else None
        sel = (
            f"SELECT * REPLACE ({expr} AS {qcol('shipments', 'shipment_id')}) FROM typed"
            if op
            else f"SELECT *, {expr} AS {qcol('shipments', 'shipment_id')} FROM typed"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE typed AS {sel} ORDER BY _row")


def drop_temp(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a temp table or view called ``name``, whichever it is (no error inside a
    transaction, which would abort it)."""
    row = con.execute(
        "SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND view_name = ? UNION ALL "
        "SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = ?",
        [name, name],
    ).fetchone()
    if row:
        con.execute(f"DROP {row[0]} {name}")


def row_checks(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Keys the importer derived (line numbers, shipment ids) must not be empty."""
    p = plan.profile
    for e in p.entities:
        ent = ENTITIES[e]
        for k in ent.key:
            q = f"{e}.{k}"
            if q in plan.match.columns or q in p.defaults:
                continue  # typed and checked in build_typed
            if not _has_col(con, "typed", f"{e}__{k}"):
                continue
            what = "tracking number" if k == "shipment_id" else k
            con.execute(
                f"UPDATE typed SET _errors = list_concat(_errors, [{{'column_name': {lit(k)}, "
                f"'raw_value': NULL, 'reason': {lit('missing ' + what + ' (needed for the key)')}}}]"
                f"::{REJECT_TYPE}[]) WHERE {qcol(e, k)} IS NULL AND len(_errors) = 0"
            )


def entity_fields(plan: Plan, e: str) -> list[str]:
    """Fields of entity ``e`` that this file provides (mapped, defaulted or derived)."""
    ent = ENTITIES[e]
    p = plan.profile
    out = []
    for f in ent.fields:
        q = f"{e}.{f.name}"
        if (
            q in plan.match.columns
            or q in p.defaults
            or (f.name == "line_no" and e == "order_lines")
            or (f.name == "shipment_id" and e == "shipments")
        ):
            out.append(f.name)
    return out


def conflict_checks(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Rows that share an entity's key but disagree: reject them all, showing the values.

    Identical repeats (an order's header fields on each of its lines) are fine. The
    detailed comparison runs only over keys that occur more than once.
    """
    for e in plan.profile.entities:
        ent = ENTITIES[e]
        if ent.append_only:
            continue
        fields = entity_fields(plan, e)
        keys = [qcol(e, k) for k in ent.key]
        others = [f for f in fields if f not in ent.key]
        if not others:
            plan.has_duplicates.add(e)  # nothing to disagree on; identical repeats collapse
            continue
        key_text = " || '/' || ".join(f"coalesce({k}::VARCHAR, '')" for k in keys)
        not_null = " AND ".join(f"{k} IS NOT NULL" for k in keys)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _dup AS SELECT * FROM typed WHERE len(_errors) = 0 "
            f"AND {not_null} QUALIFY count(*) OVER (PARTITION BY {', '.join(keys)}) > 1"
        )
        if not _count(con, "SELECT count(*) FROM _dup"):
            continue
        plan.has_duplicates.add(e)
        parts = []
        for f in others:
            q = f"{e}.{f}"
            header = plan.headers[plan.match.columns[q]] if q in plan.match.columns else f
            c = f"coalesce({qcol(e, f)}::VARCHAR, '(blank)')"
            parts.append(
                f"SELECT {key_text} AS k, {lit(header)} AS h, "
                f"string_agg(DISTINCT {c}, ' vs ' ORDER BY {c}) AS vals, "
                f"string_agg(_row::VARCHAR, ', ' ORDER BY _row) AS rows_ "
                f"FROM _dup GROUP BY 1 HAVING count(DISTINCT {c}) > 1"
            )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _conflicts AS SELECT k, first(h ORDER BY h) AS h, "
            "first(vals ORDER BY h) AS vals, first(rows_ ORDER BY h) AS rows_ "
            f"FROM ({' UNION ALL '.join(parts)}) GROUP BY k"
        )
        label = {"orders": "order", "order_lines": "order line"}.get(e, e.rstrip("s"))
        con.execute(
            f"UPDATE typed SET _errors = list_concat(_errors, [{{'column_name': c.h, "
            f"'raw_value': c.vals, 'reason': {lit(label)} || ' ' || c.k || ': ' || c.h || "
            f"' differs between rows ' || c.rows_ || ' (' || c.vals || '); rows with the same "
            f"key must agree'}}]::{REJECT_TYPE}[]) "
            f"FROM _conflicts c WHERE ({key_text}) = c.k AND len(typed._errors) = 0"
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
        header = (
            plan.headers[plan.match.columns[f"{e}.order_id"]]
            if f"{e}.order_id" in plan.match.columns
            else "order_id"
        )
        con.execute(
            f"UPDATE typed SET _errors = list_concat(_errors, [{{'column_name': {lit(header)}, "
            f"'raw_value': {oc}, 'reason': 'unknown order ' || {oc} || "
            f"' (not in the order center; import the orders file first)'}}]::{REJECT_TYPE}[]) "
            f"WHERE len(_errors) = 0 AND {oc} IS NOT NULL AND NOT ({oc} IN (SELECT order_id FROM orders) {in_file})"
        )


def record_rejects(
    con: duckdb.DuckDBPyConnection, plan: Plan, import_id: int, sheet: str | None
) -> tuple[int, int]:
    """Every problem of every rejected row, with the row's original cells."""
    bad = _count(con, "SELECT count(*) FROM typed WHERE len(_errors) > 0")
    if not bad:
        return 0, 0
    pairs = ", ".join(f"{lit(h)}, r.c{i}" for i, h in enumerate(plan.headers) if h)
    raw_row = f"json_object({pairs})" if pairs else "NULL::JSON"
    con.execute(
        "INSERT INTO import_rejects (import_id, sheet, row_no, column_name, raw_value, reason, raw_row) "
        f"SELECT ?, ?, t._row, t.e.column_name, t.e.raw_value, t.e.reason, {raw_row} "
        "FROM (SELECT _row, unnest(_errors) AS e FROM typed WHERE len(_errors) > 0) t "
        "JOIN raw r ON r._row = t._row ORDER BY t._row",
        [import_id, sheet],
    )
    row = con.execute(
        "SELECT count(*), coalesce(sum(len(_errors)), 0) FROM typed WHERE len(_errors) > 0"
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def load_entity(
    con: duckdb.DuckDBPyConnection, plan: Plan, e: str, import_id: int, now: datetime
) -> EntityCounts:
    """Compare first, then write only the difference: new rows inserted, changed rows updated."""
    ent: Entity = ENTITIES[e]
    fields = entity_fields(plan, e)
    keys = list(ent.key)
    sel = ", ".join(f"{qcol(e, f)} AS {f}" for f in fields)
    once = (
        f" QUALIFY row_number() OVER (PARTITION BY {', '.join(qcol(e, k) for k in keys)} ORDER BY _row) = 1"
        if e in plan.has_duplicates or ent.append_only
        else ""
    )
    drop_temp(con, "s")
    con.execute(
        f"CREATE TEMP {'TABLE' if once else 'VIEW'} s AS SELECT {sel}, _attrs AS attrs "
        f"FROM typed WHERE len(_errors) = 0{once}"
    )
    table = ent.table
    on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    total = _count(con, "SELECT count(*) FROM s")
    if ent.append_only:  # stage history: add what is not there yet
        new = _count(
            con, f"SELECT count(*) FROM s WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on})"
        )
        cols = [f for f in fields]
        con.execute(
            f"INSERT INTO {table} ({', '.join(cols)}, via, kind, import_id) "
            f"SELECT {', '.join('s.' + c for c in cols)}, 'import', 'move', ? FROM s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on}) ORDER BY s.order_id, s.event_at",
            [import_id],
        )
        return EntityCounts(e, total, new, 0, total - new)
    set_cols = [f for f in fields if f not in keys]
    stamp = ", updated_at" if e == "orders" else ""
    stamp_val = ", ?" if e == "orders" else ""
    params: list[Any] = [import_id] + ([now] if e == "orders" else [])
    created = ", created_at" if e == "orders" else ""
    insert = (
        f"INSERT INTO {table} ({', '.join(fields)}, attrs, import_id{created}{stamp}) "
        f"SELECT {', '.join('s.' + f for f in fields)}, s.attrs, ?{', ?' if created else ''}{stamp_val} "
    )
    insert_params = [import_id] + ([now, now] if e == "orders" else [])
    if not con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)").fetchall()[0][0]:
        # an empty table (a first import): nothing to compare with
        con.execute(insert + "FROM s", insert_params)
        changed, new = 0, total
    else:
        differs = " OR ".join(f"s.{f} IS DISTINCT FROM t.{f}" for f in set_cols)
        new_attrs = "CASE WHEN s.attrs IS NULL THEN t.attrs ELSE json_merge_patch(coalesce(t.attrs, '{}'), s.attrs) END"
        attrs_differ = (
            "(s.attrs IS NOT NULL AND s.attrs::VARCHAR IS DISTINCT FROM t.attrs::VARCHAR "
            f"AND ({new_attrs})::VARCHAR IS DISTINCT FROM t.attrs::VARCHAR)"
        )
        differs = " OR ".join(x for x in (differs, attrs_differ) if x)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _changed AS SELECT s.* REPLACE ({new_attrs} AS attrs) "
            f"FROM s JOIN {table} t ON {on} WHERE {differs}"
        )
        changed = _count(con, "SELECT count(*) FROM _changed")
        # the new keys, found once (one anti-join), then counted and inserted
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _new AS SELECT s.* FROM s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on})"
        )
        new = _count(con, "SELECT count(*) FROM _new")
        if new:
            con.execute(insert + "FROM _new s", insert_params)
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
    removed = 0
    if e == "order_lines" and "order_lines.line_no" not in plan.match.columns:
        # Line numbers counted in file order: the file lists all the lines of each order it
        # names, so lines beyond its count are lines the export no longer has.
        removed = _count(
            con,
            "SELECT count(*) FROM order_lines t JOIN (SELECT order_id, max(line_no) AS n FROM s "
            "GROUP BY order_id) f USING (order_id) WHERE t.line_no > f.n",
        )
        if removed:
            con.execute(
                "DELETE FROM order_lines WHERE (order_id, line_no) IN (SELECT t.order_id, "
                "t.line_no FROM order_lines t JOIN (SELECT order_id, max(line_no) AS n FROM s "
                "GROUP BY order_id) f USING (order_id) WHERE t.line_no > f.n)"
            )
    return EntityCounts(e, total, new, changed, total - new - changed, removed)


def _inventory_snapshot(con: duckdb.DuckDBPyConnection, import_id: int, now: datetime) -> None:
    """Keep a dated snapshot per SKU and warehouse (for inventory turnover)."""
    has_as_of = _has_col(con, "s", "as_of")
    as_of = "coalesce(s.as_of, ?::DATE)" if has_as_of else "?::DATE"
    on_hand = (
        "s.on_hand"
        if _has_col(con, "s", "on_hand")
        else ("s.available" if _has_col(con, "s", "available") else "NULL")
    )
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
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?",
        [table, column],
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


def too_wide(plan: Plan, path: str) -> None:
    if plan.width > 2000:
        raise InputError(
            f"{path}: the header has {plan.width} columns; at most 2000 are supported",
            hint="Delete the columns the import does not need, or split the file.",
        )
