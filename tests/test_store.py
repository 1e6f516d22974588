"""The DuckDB store: migrations, tables and views, transactions, time zone and "now".

Real DuckDB files in ``tmp_path``; the clock is pinned with time-machine or
``ORDERTRACK_NOW``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import FIXED_NOW, set_config

import ordertrack
from ordertrack.entities import ENTITIES
from ordertrack.errors import QueryRefused, UserError, WorkspaceError
from ordertrack.overview import status
from ordertrack.query import check_read_only, run_sql
from ordertrack.store import MIGRATIONS, SCHEMA_VERSION, Store
from ordertrack.store.errors import translate
from ordertrack.workspace import open_workspace

# The tables DESIGN.md promises, plus the bookkeeping ones the store adds.
DESIGN_TABLES = {
    "orders",
    "order_lines",
    "inventory",
    "shipments",
    "invoices",
    "payments",
    "feedback",
    "stage_events",
    "alerts",
    "tasks",
    "outbox",
    "imports",
    "import_rejects",
    "audit_log",
    "schema_version",
}
VIEWS = {"v_order_facts", "v_stage_durations"}


def table_names(store: Store, kind: str = "BASE TABLE") -> set[str]:
    rows = store.fetchall(
        "SELECT table_name FROM information_schema.tables WHERE table_type = ?", [kind]
    )
    return {r[0] for r in rows}


def columns(store: Store, table: str) -> dict[str, str]:
    rows = store.fetchall(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    )
    return dict(rows)


# ---------------------------------------------------------------------------------------
# migrations


def test_new_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with Store.open(path, create=True) as store:
        assert store.schema_version() == SCHEMA_VERSION == MIGRATIONS[-1][0]
        rows = store.fetchall("SELECT version, name, applied_at FROM schema_version")
    assert [(v, n) for v, n, _ in rows] == [
        (1, "m001_initial"),
        (2, "m002_calendar"),
        (3, "m003_alerts"),
    ]
    assert rows[0][2] is not None


def test_opening_twice_does_not_rerun_migrations(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with Store.open(path, create=True) as store:
        first = store.fetchall("SELECT version, name, applied_at FROM schema_version")
        store.con.execute("INSERT INTO orders (order_id) VALUES ('SO-1')")
    for read_only in (False, True, False):
        with Store.open(path, read_only=read_only) as store:
            assert store.fetchall("SELECT version, name, applied_at FROM schema_version") == first
            assert store.scalar("SELECT count(*) FROM orders") == 1  # tables not re-created
    with Store.open(path) as store:
        assert store.migrate() == []


def test_missing_file_is_not_created_without_create(tmp_path: Path) -> None:
    path = tmp_path / "absent.duckdb"
    with pytest.raises(WorkspaceError) as info:
        Store.open(path)
    assert info.value.message == f"database file {path} does not exist"
    assert not path.exists()


def test_read_only_open_migrates_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).close()  # a DuckDB file without our schema (version 0)
    with Store.open(path, read_only=True) as store:
        assert store.read_only
        assert store.schema_version() == SCHEMA_VERSION
        assert table_names(store) >= DESIGN_TABLES


def test_not_a_duckdb_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("not a database\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        Store.open(path)
    assert info.value.message == f"{path} is not a DuckDB database file"
    assert info.value.hint == "Check `database` in ordertrack.toml."


def test_design_tables_and_views_exist(workspace: Path) -> None:
    ws = open_workspace(workspace)
    with ws.connect(read_only=True) as store:
        assert DESIGN_TABLES - table_names(store) == set()
        assert VIEWS - table_names(store, "VIEW") == set()
        for view in VIEWS:
            assert store.fetchall(f"SELECT * FROM {view}") == []


def test_view_columns_power_users_rely_on(workspace: Path) -> None:
    ws = open_workspace(workspace)
    with ws.connect(read_only=True) as store:
        facts = columns(store, "v_order_facts")
        durations = columns(store, "v_stage_durations")
    for name in (
        "order_id",
        "stage",
        "stage_name",
        "stage_hours",
        "sla_hours",
        "overdue",
        "promised_date",
        "shortage_qty",
        "shipment_status",
        "amount",
        "as_of",
    ):
        assert name in facts, name
    assert list(durations) == [
        "order_id",
        "stage",
        "entered_at",
        "left_at",
        "hours",
        "business_hours",
        "is_current",
        "actor",
        "via",
    ]


def _declared(con: duckdb.DuckDBPyConnection, type_: str) -> str:
    """How DuckDB spells a declared type in information_schema (TIMESTAMPTZ → …)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _t (x {type_})")
    row = con.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_name = '_t'"
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_entity_fields_are_columns_of_their_table(workspace: Path) -> None:
    """The entity catalog (importer, docs) and the SQL migrations stay in agreement."""
    ws = open_workspace(workspace)
    scratch = duckdb.connect()
    try:
        with ws.connect(read_only=True) as store:
            for entity in ENTITIES.values():
                cols = columns(store, entity.table)
                assert cols, f"no table {entity.table} for entity {entity.name}"
                for f in entity.fields:
                    assert f.name in cols, f"{entity.table}.{f.name} is missing"
                    assert cols[f.name] == _declared(scratch, f.type), (
                        f"{entity.table}.{f.name}: table has {cols[f.name]}, catalog says {f.type}"
                    )
                for key in entity.key:
                    assert key in cols, (entity.name, key)
                if entity.table != "stage_events":  # history keeps its own columns
                    assert "attrs" in cols and "import_id" in cols, entity.table
    finally:
        scratch.close()


# ---------------------------------------------------------------------------------------
# transactions


def test_transaction_commits(tmp_path: Path) -> None:
    with Store.open(tmp_path / "t.duckdb", create=True) as store:
        with store.transaction() as con:
            con.execute("INSERT INTO orders (order_id) VALUES ('SO-1'), ('SO-2')")
        assert store.scalar("SELECT count(*) FROM orders") == 2
    with Store.open(tmp_path / "t.duckdb", read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM orders") == 2


def test_transaction_rolls_back_on_exception(tmp_path: Path) -> None:
    with Store.open(tmp_path / "t.duckdb", create=True) as store:
        store.con.execute("INSERT INTO orders (order_id) VALUES ('SO-0')")
        with pytest.raises(ValueError, match="half way"), store.transaction() as con:
            con.execute("INSERT INTO orders (order_id) VALUES ('SO-1')")
            con.execute("UPDATE orders SET customer = 'changed'")
            raise ValueError("half way")
        assert store.fetchall("SELECT order_id, customer FROM orders") == [("SO-0", None)]
        # the connection is usable afterwards
        with store.transaction() as con:
            con.execute("INSERT INTO orders (order_id) VALUES ('SO-2')")
        assert store.scalar("SELECT count(*) FROM orders") == 2


def test_transaction_rolls_back_on_database_error(tmp_path: Path) -> None:
    with Store.open(tmp_path / "t.duckdb", create=True) as store:
        with pytest.raises(duckdb.ConversionException), store.transaction() as con:
            con.execute("INSERT INTO orders (order_id) VALUES ('SO-1')")
            con.execute("INSERT INTO orders (order_id, amount) VALUES ('SO-2', 'lots')")
        assert store.scalar("SELECT count(*) FROM orders") == 0


# ---------------------------------------------------------------------------------------
# time zone and "now"


def test_time_zone_is_pinned_from_config(workspace: Path) -> None:
    set_config(workspace, '# timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghai"')
    ws = open_workspace(workspace)
    assert ws.timezone == "Asia/Shanghai"
    for read_only in (False, True):
        with ws.connect(read_only=read_only) as store:
            assert store.scalar("SELECT current_setting('TimeZone')") == "Asia/Shanghai"
            # a zone-less timestamp is read in the workspace's zone
            instant = store.scalar("SELECT TIMESTAMPTZ '2026-06-30 08:00'")
            assert instant == datetime(2026, 6, 30, 0, 0, tzinfo=UTC)


def test_time_zone_defaults_to_the_machine(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    ws = open_workspace(workspace)
    assert ws.timezone == "Europe/Berlin"
    with ws.connect(read_only=True) as store:
        assert store.scalar("SELECT current_setting('TimeZone')") == "Europe/Berlin"


def test_now_is_the_pinned_clock(workspace: Path, frozen: datetime) -> None:
    set_config(workspace, '# timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghai"')
    ws = open_workspace(workspace)
    assert ws.now() == FIXED_NOW
    assert ws.now().utcoffset() == timedelta(hours=8)
    with ws.connect(read_only=True) as store:
        assert store.scalar("SELECT getvariable('ot_now')") == ws.now()
        assert store.scalar("SELECT now FROM v_now") == FIXED_NOW


def test_ordertrack_now_pins_the_clock(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERTRACK_NOW", "2026-07-01T09:30")
    set_config(workspace, '# timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghai"')
    ws = open_workspace(workspace)
    expected = datetime(2026, 7, 1, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    assert ws.now() == expected
    with ws.connect() as store:
        assert store.scalar("SELECT getvariable('ot_now')") == expected


def test_views_measure_time_against_ot_now(workspace: Path, frozen: datetime) -> None:
    """An order 3 hours into business_review (SLA 2h) is overdue at the pinned instant."""
    ws = open_workspace(workspace)
    with ws.connect() as store:
        store.con.execute(
            "INSERT INTO orders (order_id, amount, stage, stage_entered_at) "
            "VALUES ('SO-1', 5000, 'business_review', ?), ('SO-2', 5000, 'order_entry', ?)",
            [FIXED_NOW - timedelta(hours=3), FIXED_NOW - timedelta(hours=1)],
        )
        rows = store.fetchall(
            "SELECT order_id, stage_name, owner_role, stage_hours, sla_hours, overdue "
            "FROM v_order_facts ORDER BY order_id"
        )
    assert rows == [
        ("SO-1", "Business review", "business", 3.0, 2.0, True),
        ("SO-2", "Order entry", "sales", 1.0, 4.0, False),
    ]
    report = status(ws)
    assert {s.stage: (s.orders, s.overdue) for s in report.stages if s.orders} == {
        "business_review": (1, 1),
        "order_entry": (1, 0),
    }


def test_flow_stages_follow_the_config(workspace: Path) -> None:
    set_config(workspace, 'sla = "2h"', 'sla = "90m"')
    set_config(workspace, 'name = "Business review"', 'name = "Credit check"')
    ws = open_workspace(workspace)
    with ws.connect() as store:
        row = store.fetchone(
            "SELECT name, sla_hours FROM flow_stages WHERE stage_id = 'business_review'"
        )
        assert row == ("Credit check", 1.5)
        assert store.scalar("SELECT count(*) FROM flow_stages") == 9


# ---------------------------------------------------------------------------------------
# read-only use


def test_read_only_connection_refuses_writes(workspace: Path) -> None:
    ws = open_workspace(workspace)
    with ws.connect(read_only=True) as store:
        with pytest.raises(duckdb.Error) as info:
            store.con.execute("INSERT INTO orders (order_id) VALUES ('SO-1')")
        err = translate(info.value, store.path)
    assert isinstance(err, QueryRefused)
    assert err.message == "the database is opened read-only here; this statement would change it"


def test_check_read_only(tmp_path: Path) -> None:
    con = duckdb.connect()
    try:
        for query in ("SELECT 1", "FROM orders", "EXPLAIN SELECT 1", "WITH x AS (SELECT 1) FROM x"):
            check_read_only(con, query)  # no exception
        with pytest.raises(QueryRefused) as info:
            check_read_only(con, "DELETE FROM orders")
        assert info.value.message == (
            "`ordertrack sql` only reads; a DELETE statement would change the database and was "
            "not run"
        )
        with pytest.raises(QueryRefused, match="one statement at a time, got 2"):
            check_read_only(con, "SELECT 1; SELECT 2")
        with pytest.raises(UserError, match="syntax error"):
            check_read_only(con, "SELEC 1")
    finally:
        con.close()


def test_run_sql_library(workspace: Path) -> None:
    ws = ordertrack.open_workspace(workspace)
    assert ordertrack.run_sql is run_sql
    result = run_sql(ws, "SELECT 1 AS one, 'x' AS two")
    assert result.columns == ["one", "two"]
    assert result.types == ["INTEGER", "VARCHAR"]
    assert result.rows == [(1, "x")]
    limited = run_sql(ws, "SELECT * FROM range(10)", limit=3)
    assert limited.rows == [(0,), (1,), (2,)]


def test_status_library(workspace: Path, frozen: datetime) -> None:
    report = status(ordertrack.open_workspace(workspace))
    assert report.schema_version == SCHEMA_VERSION
    assert report.counts["orders"] == 0
    assert report.now == FIXED_NOW
    assert report.asdict()["workspace"] == str(workspace)


def test_readers_see_the_flow_as_configured_now(workspace: Path, frozen: datetime) -> None:
    """After an edit of the SLA in ordertrack.toml, read-only commands use the new SLA."""
    ws = open_workspace(workspace)
    with ws.connect() as store:
        store.con.execute(
            "INSERT INTO orders (order_id, stage, stage_entered_at) "
            "VALUES ('SO-1', 'business_review', ?)",
            [FIXED_NOW - timedelta(hours=3)],
        )
    facts = "SELECT sla_hours, overdue FROM v_order_facts"
    assert run_sql(ws, facts).rows == [(2.0, True)]
    set_config(workspace, 'sla = "2h"', 'sla = "5h"')
    ws = open_workspace(workspace)
    assert run_sql(ws, facts).rows == [(5.0, False)]
    report = status(ws)
    assert [(s.stage, s.orders, s.overdue) for s in report.stages if s.orders] == [
        ("business_review", 1, 0)
    ]


def test_run_sql_refuses_a_negative_limit(workspace: Path) -> None:
    with pytest.raises(UserError, match="the limit must be 0 or more, got -1"):
        run_sql(open_workspace(workspace), "SELECT 1", limit=-1)


def test_no_progress_bar_on_stdout(workspace: Path) -> None:
    """DuckDB draws its progress bar on stdout after 2 s: it would land in `--json` output
    and cron mail, so every connection ordertrack opens has it off."""
    for read_only in (False, True):
        with open_workspace(workspace).connect(read_only=read_only) as store:
            row = store.con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
            assert row == (False,)
