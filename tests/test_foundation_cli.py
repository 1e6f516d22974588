"""The foundation commands end to end: init, workspace discovery, status, sql, --version.

Every test runs the real ``ordertrack`` app against a real DuckDB file in ``tmp_path``,
asserts the exit code and the exact ``Error:`` text, then looks in the database.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import tomllib
from pathlib import Path

import duckdb
import pytest
from conftest import FIXED_NOW, PYTHON, Invoke, set_config, subprocess_env
from typer.testing import Result

import ordertrack
from ordertrack.errors import EXIT_BUSY, EXIT_CODES, EXIT_CONDITION, EXIT_OK, EXIT_USER
from ordertrack.store import SCHEMA_VERSION
from ordertrack.templates import DEFAULT_STAGES, STAGE_NAMES_ZH, config_template

NO_WORKSPACE = "no workspace here"


def add_order(ws: Path, order_id: str = "SO-1", amount: float = 100.0) -> None:
    """Insert one order with a direct DuckDB connection (closed again before returning)."""
    con = duckdb.connect(str(ws / "ordertrack.duckdb"))
    try:
        con.execute(
            "INSERT INTO orders (order_id, customer, amount) VALUES (?, 'ACME', ?)",
            [order_id, amount],
        )
    finally:
        con.close()


def count_orders(ws: Path) -> int:
    con = duckdb.connect(str(ws / "ordertrack.duckdb"), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM orders").fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


def assert_user_error(result: Result, *fragments: str) -> None:
    """Exit 2, ``Error: …`` first on stderr, no traceback, every fragment in stderr."""
    assert result.exit_code == EXIT_USER, (result.stdout, result.stderr)
    assert result.stderr.startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


# ---------------------------------------------------------------------------------------
# init


def test_init_creates_config_and_database(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("init", "ws")
    assert result.exit_code == EXIT_OK, result.output
    ws = (tmp_path / "ws").resolve()
    assert (ws / "ordertrack.toml").is_file()
    assert (ws / "ordertrack.duckdb").is_file()
    assert result.stdout.splitlines()[0] == f"Created workspace {ws}"
    assert "  configuration  ordertrack.toml" in result.stdout
    assert "  database       ordertrack.duckdb" in result.stdout
    assert result.stderr == ""
    # the file is the English template, byte for byte
    assert (ws / "ordertrack.toml").read_text(encoding="utf-8") == config_template("en")
    con = duckdb.connect(str(ws / "ordertrack.duckdb"), read_only=True)
    try:
        stages = con.execute(
            "SELECT stage_id, position, name, owner_role, sla_hours, condition "
            "FROM flow_stages ORDER BY position"
        ).fetchall()
    finally:
        con.close()
    assert [s[0] for s in stages] == [s["id"] for s in DEFAULT_STAGES]
    assert stages[3] == (
        "director_approval",
        3,
        "Director approval",
        "director",
        48.0,
        "amount > 100000",
    )
    assert stages[-1] == ("paid", 8, "Paid", "finance", None, None)


def test_init_in_current_folder(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("init")
    assert result.exit_code == EXIT_OK, result.output
    assert (tmp_path / "ordertrack.toml").is_file()
    assert (tmp_path / "ordertrack.duckdb").is_file()


def test_default_flow_has_nine_stages_with_conditional_director_approval(
    invoke: Invoke, tmp_path: Path
) -> None:
    assert invoke("init", "ws").exit_code == EXIT_OK
    data = tomllib.loads((tmp_path / "ws" / "ordertrack.toml").read_text(encoding="utf-8"))
    stages = data["flow"]["stages"]
    assert len(stages) == 9
    assert [s["id"] for s in stages] == [
        "order_entry",
        "business_review",
        "finance_approval",
        "director_approval",
        "picking",
        "shipped",
        "signed",
        "invoiced",
        "paid",
    ]
    director = stages[3]
    assert director["id"] == "director_approval"
    assert director["when"] == "amount > 100000"
    assert [s["id"] for s in stages if "when" in s] == ["director_approval"]


def test_init_lang_zh_writes_chinese(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("init", "ws", "--lang", "zh")
    assert result.exit_code == EXIT_OK, result.output
    text = (tmp_path / "ws" / "ordertrack.toml").read_text(encoding="utf-8")
    assert text == config_template("zh")
    assert text.startswith("# ordertrack.toml:本订单中心的配置文件。")
    assert 'name = "商务审核"' in text
    data = tomllib.loads(text)
    assert data["workspace"]["lang"] == "zh"
    assert [s["name"] for s in data["flow"]["stages"]] == [
        STAGE_NAMES_ZH[s["id"]] for s in DEFAULT_STAGES
    ]
    assert data["flow"]["stages"][1]["name"] == "商务审核"
    status = invoke("status", "--json", "-w", "ws")
    assert status.exit_code == EXIT_OK, status.output
    assert json.loads(status.stdout)["stages"][1] == {
        "stage": "business_review",
        "name": "商务审核",
        "orders": 0,
        "overdue": 0,
    }


def test_init_unknown_lang(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("init", "ws", "--lang", "fr")
    assert_user_error(result)
    assert result.stderr == 'Error: unknown language "fr"\nHint: Use --lang en or --lang zh.\n'
    assert not (tmp_path / "ws").exists()


def test_second_init_is_refused_and_names_force(invoke: Invoke, tmp_path: Path) -> None:
    assert invoke("init", "ws").exit_code == EXIT_OK
    config = tmp_path / "ws" / "ordertrack.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n# mine\n", encoding="utf-8")
    result = invoke("init", "ws")
    ws = (tmp_path / "ws").resolve()
    assert_user_error(result, "--force")
    assert result.stderr.splitlines() == [
        f"Error: {ws} is already a workspace (ordertrack.toml or the database exists)",
        "Hint: Use --force to write a fresh configuration (the old one is kept as a .bak "
        "file; the database is kept).",
    ]
    assert result.stdout == ""
    assert config.read_text(encoding="utf-8").endswith("# mine\n")  # untouched
    assert sorted(p.name for p in ws.iterdir()) == ["ordertrack.duckdb", "ordertrack.toml"]


def test_init_force_keeps_backup_and_rows(invoke: Invoke, tmp_path: Path, frozen: object) -> None:
    assert invoke("init", "ws").exit_code == EXIT_OK
    ws = (tmp_path / "ws").resolve()
    old = (ws / "ordertrack.toml").read_text(encoding="utf-8").replace("My Company", "Old Co")
    (ws / "ordertrack.toml").write_text(old, encoding="utf-8")
    add_order(ws, "SO-1")
    add_order(ws, "SO-2")

    result = invoke("init", "ws", "--force", "--lang", "zh")
    assert result.exit_code == EXIT_OK, result.output
    backup = ws / f"ordertrack.toml.{FIXED_NOW:%Y%m%d-%H%M%S}.bak"
    assert f"(previous one kept as {backup.name})" in result.stdout
    assert backup.read_text(encoding="utf-8") == old
    assert (ws / "ordertrack.toml").read_text(encoding="utf-8") == config_template("zh")
    assert count_orders(ws) == 2  # the database is kept, rows and all


def test_init_force_twice_in_the_same_second_keeps_every_backup(
    invoke: Invoke, tmp_path: Path, frozen: object
) -> None:
    """Nothing lost: a second --force must not overwrite the first backup."""
    assert invoke("init", "ws").exit_code == EXIT_OK
    ws = (tmp_path / "ws").resolve()
    set_config(ws, "My Company", "First Co")
    assert invoke("init", "ws", "--force").exit_code == EXIT_OK
    set_config(ws, "My Company", "Second Co")
    assert invoke("init", "ws", "--force").exit_code == EXIT_OK
    backups = sorted(ws.glob("ordertrack.toml.*.bak"))
    assert len(backups) == 2
    texts = [b.read_text(encoding="utf-8") for b in backups]
    assert sum("First Co" in t for t in texts) == 1
    assert sum("Second Co" in t for t in texts) == 1


def test_templates_match_default_stages() -> None:
    for lang in ("en", "zh"):
        data = tomllib.loads(config_template(lang))
        stages = data["flow"]["stages"]
        for written, default in zip(stages, DEFAULT_STAGES, strict=True):
            for key in ("id", "owner", "sla", "when"):
                assert written.get(key) == default.get(key), (lang, written["id"], key)
        names = [s["name"] for s in stages]
        if lang == "en":
            assert names == [s["name"] for s in DEFAULT_STAGES]
        else:
            assert names == [STAGE_NAMES_ZH[s["id"]] for s in DEFAULT_STAGES]


def test_templates_parse_as_config() -> None:
    from ordertrack.config import parse_config

    for lang in ("en", "zh"):
        config = parse_config(config_template(lang))
        assert config.workspace.lang == lang
        assert config.flow.stage_ids == [s["id"] for s in DEFAULT_STAGES]
        assert config.flow.stage("director_approval").when == "amount > 100000"
        assert config.flow.stage("paid").sla is None


# ---------------------------------------------------------------------------------------
# finding the workspace


def test_workspace_option(invoke: Invoke, workspace: Path) -> None:
    result = invoke("status", "--json", "--workspace", str(workspace))
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout)["workspace"] == str(workspace)


def test_workspace_short_option(invoke: Invoke, workspace: Path) -> None:
    result = invoke("status", "--json", "-w", "ws")
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout)["workspace"] == str(workspace)


def test_workspace_from_env(
    invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERTRACK_HOME", str(workspace))
    result = invoke("status", "--json")
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout)["workspace"] == str(workspace)


def test_workspace_option_beats_env(
    invoke: Invoke, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERTRACK_HOME", str(tmp_path / "elsewhere"))
    result = invoke("status", "--json", "--workspace", str(workspace))
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout)["workspace"] == str(workspace)


def test_workspace_is_current_folder(
    invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workspace)
    result = invoke("status", "--json")
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout)["workspace"] == str(workspace)


def test_workspace_in_a_parent_folder(
    invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = workspace / "exports" / "2026" / "06"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    result = invoke("status", "--json")
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout)["workspace"] == str(workspace)


def test_no_workspace(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("status")
    assert_user_error(result, NO_WORKSPACE, "ordertrack init")
    assert result.stderr.splitlines() == [
        f"Error: no workspace here: no ordertrack.toml in {tmp_path.resolve()} or its parents",
        "Hint: Run `ordertrack init` to create one, or pass --workspace DIR "
        "(or set ORDERTRACK_HOME).",
    ]
    assert result.stdout == ""


def test_no_workspace_for_sql_and_config_check(invoke: Invoke) -> None:
    for args in (("sql", "select 1"), ("config", "check"), ("config", "show")):
        result = invoke(*args)
        assert_user_error(result, NO_WORKSPACE, "Run `ordertrack init`")


def test_workspace_option_without_config(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke("status", "--workspace", "empty")
    assert_user_error(result)
    assert result.stderr.splitlines() == [
        "Error: workspace empty has no ordertrack.toml",
        "Hint: Run `ordertrack init empty` to create one.",
    ]


def test_workspace_option_missing_folder(invoke: Invoke) -> None:
    result = invoke("status", "--workspace", "nowhere")
    assert_user_error(result)
    assert result.stderr.splitlines()[0] == "Error: workspace nowhere does not exist"


def test_env_workspace_without_config(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("ORDERTRACK_HOME", str(tmp_path / "empty"))
    result = invoke("status")
    assert_user_error(result, "has no ordertrack.toml")


def test_missing_database_file(invoke: Invoke, workspace: Path) -> None:
    (workspace / "ordertrack.duckdb").unlink()
    result = invoke("status", "-w", str(workspace))
    assert_user_error(result, "does not exist", "ordertrack init")
    assert result.stderr.splitlines()[0] == (
        f"Error: database file {workspace / 'ordertrack.duckdb'} does not exist"
    )


# ---------------------------------------------------------------------------------------
# status


def test_status_json_on_new_workspace(invoke: Invoke, workspace: Path, frozen: object) -> None:
    result = invoke("status", "--json", "-w", str(workspace))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["workspace"] == str(workspace)
    assert data["config"] == str(workspace / "ordertrack.toml")
    assert data["database"] == str(workspace / "ordertrack.duckdb")
    assert data["database_bytes"] == (workspace / "ordertrack.duckdb").stat().st_size
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["timezone"] == "UTC"  # the machine's zone: TZ=UTC
    assert data["now"] == "2026-06-30T06:00:00+00:00"
    assert data["counts"] == {
        "orders": 0,
        "order_lines": 0,
        "customers": 0,
        "inventory": 0,
        "shipments": 0,
        "invoices": 0,
        "payments": 0,
        "feedback": 0,
        "stage_events": 0,
    }
    assert [s["stage"] for s in data["stages"]] == [s["id"] for s in DEFAULT_STAGES]
    assert data["stages"][3] == {
        "stage": "director_approval",
        "name": "Director approval",
        "orders": 0,
        "overdue": 0,
    }
    assert data["orders_without_stage"] == 0
    assert data["last_import"] is None
    assert (data["imports"], data["open_alerts"], data["open_tasks"]) == (0, 0, 0)
    assert data["queued_messages"] == 0


def test_status_counts_rows(invoke: Invoke, workspace: Path) -> None:
    add_order(workspace, "SO-1")
    add_order(workspace, "SO-2")
    data = json.loads(invoke("status", "--json", "-w", str(workspace)).stdout)
    assert data["counts"]["orders"] == 2
    assert data["orders_without_stage"] == 2
    # not yet moved by the flow: in the first stage, and counted only there
    assert [(s["stage"], s["orders"]) for s in data["stages"] if s["orders"]] == [
        ("order_entry", 2)
    ]


def test_status_shows_configured_time_zone(invoke: Invoke, workspace: Path, frozen: object) -> None:
    set_config(workspace, '# timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghai"')
    result = invoke("status", "--json", "-w", str(workspace))
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert data["timezone"] == "Asia/Shanghai"
    assert data["now"] == "2026-06-30T14:00:00+08:00"

    table = invoke("status", "-w", str(workspace))
    assert table.exit_code == EXIT_OK, table.output
    assert "Time zone    Asia/Shanghai (now 2026-06-30 14:00)" in table.stdout


def test_status_table(invoke: Invoke, workspace: Path, frozen: object) -> None:
    add_order(workspace)
    result = invoke("status", "-w", str(workspace))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stderr == ""
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    words = " ".join(result.stdout.split())  # long tmp paths may wrap at 100 columns
    assert lines[0] == f"Workspace    {workspace}"
    assert f"Database {workspace / 'ordertrack.duckdb'} (" in words
    assert f"MiB, schema {SCHEMA_VERSION}) Time zone" in words
    assert "Time zone    UTC (now 2026-06-30 06:00)" in lines
    assert "Last import  none yet — run `ordertrack import FILE…`" in lines
    assert "Attention    0 open alerts, 0 open tasks, 0 queued messages" in lines
    assert "Order center" in lines
    assert "│ orders       │    1 │" in lines
    assert "│ stage_events │    0 │" in lines
    assert "Open orders per stage" in lines
    assert any("director_approval" in line and "Director approval" in line for line in lines)
    # an order the flow has not moved yet is in the first stage, counted once
    assert "│ order_entry       │ Order entry       │      1 │       0 │" in lines
    assert all(len(line) <= 100 for line in lines)


def test_status_with_bad_config(invoke: Invoke, workspace: Path) -> None:
    set_config(workspace, 'sla = "2d"', 'sla = "soon"')
    result = invoke("status", "-w", str(workspace))
    assert_user_error(result, 'flow.stages[3].sla: expected a duration like "24h" or "2d"')


# ---------------------------------------------------------------------------------------
# --version and --help


def test_version(invoke: Invoke) -> None:
    for flag in ("--version", "-V"):
        result = invoke(flag)
        assert result.exit_code == EXIT_OK
        assert result.stdout == f"ordertrack {ordertrack.__version__}\n"


def test_python_m_ordertrack_version(tmp_path: Path) -> None:
    proc = subprocess.run(
        [PYTHON, "-m", "ordertrack", "--version"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"ordertrack {ordertrack.__version__}\n"
    assert proc.stderr == ""


def test_help(invoke: Invoke) -> None:
    for flag in ("--help", "-h"):
        result = invoke(flag)
        assert result.exit_code == EXIT_OK
        assert "Usage: ordertrack [OPTIONS] COMMAND [ARGS]..." in result.stdout
        for command in ("init", "status", "sql", "config"):
            assert f"│ {command} " in result.stdout


def test_command_help(invoke: Invoke) -> None:
    for args in (
        ("init", "--help"),
        ("status", "-h"),
        ("sql", "--help"),
        ("config", "check", "-h"),
    ):
        result = invoke(*args)
        assert result.exit_code == EXIT_OK, args
        assert f"Usage: ordertrack {' '.join(args[:-1])} [OPTIONS]" in result.stdout


def test_no_arguments_shows_help(invoke: Invoke) -> None:
    result = invoke()
    assert result.exit_code == EXIT_USER
    assert "Usage: ordertrack [OPTIONS] COMMAND [ARGS]..." in result.output


# ---------------------------------------------------------------------------------------
# exit codes


def test_exit_codes_are_documented() -> None:
    assert sorted(EXIT_CODES) == [0, 1, 2, 3]
    assert (EXIT_OK, EXIT_CONDITION, EXIT_USER, EXIT_BUSY) == (0, 1, 2, 3)
    assert all(text.strip() for text in EXIT_CODES.values())
    assert "--wait" in EXIT_CODES[EXIT_BUSY]


def test_unknown_command_is_usage_error(invoke: Invoke) -> None:
    result = invoke("nope")
    assert result.exit_code == EXIT_USER
    assert "No such command 'nope'." in result.stderr
    assert "Traceback" not in result.output


def test_unknown_option_is_usage_error(invoke: Invoke, workspace: Path) -> None:
    result = invoke("status", "--bogus")
    assert result.exit_code == EXIT_USER
    assert "No such option: --bogus" in result.stderr


def test_bad_option_value_is_usage_error(invoke: Invoke, workspace: Path) -> None:
    result = invoke("status", "--wait", "soon", "-w", str(workspace))
    assert result.exit_code == EXIT_USER
    assert "Invalid value for '--wait'" in result.stderr
    negative = invoke("status", "--wait", "-1", "-w", str(workspace))
    assert negative.exit_code == EXIT_USER


def test_missing_argument_is_usage_error(invoke: Invoke, workspace: Path) -> None:
    result = invoke("sql", "-w", str(workspace))
    assert result.exit_code == EXIT_USER
    assert "Missing argument 'query'." in result.stderr


# ---------------------------------------------------------------------------------------
# sql


QUERY = "SELECT order_id, customer, amount FROM orders ORDER BY order_id"


@pytest.fixture
def orders_ws(workspace: Path) -> Path:
    add_order(workspace, "SO-1", 100.0)
    add_order(workspace, "SO-2", 2500.5)
    return workspace


def test_sql_table(invoke: Invoke, orders_ws: Path) -> None:
    result = invoke("sql", QUERY, "-w", str(orders_ws))
    assert result.exit_code == EXIT_OK, result.output
    lines = result.stdout.splitlines()
    assert lines == [
        "┏━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━┓",
        "┃ order_id ┃ customer ┃  amount ┃",
        "┡━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━┩",
        "│ SO-1     │ ACME     │  100.00 │",
        "│ SO-2     │ ACME     │ 2500.50 │",
        "└──────────┴──────────┴─────────┘",
    ]
    assert result.stderr == "2 rows\n"


def test_sql_csv(invoke: Invoke, orders_ws: Path) -> None:
    result = invoke("sql", QUERY, "--format", "csv", "-w", str(orders_ws))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == "order_id,customer,amount\nSO-1,ACME,100.00\nSO-2,ACME,2500.50\n"
    assert list(csv.reader(io.StringIO(result.stdout)))[2] == ["SO-2", "ACME", "2500.50"]


def test_sql_csv_quotes_and_nulls(invoke: Invoke, orders_ws: Path) -> None:
    result = invoke("sql", "SELECT 'a,b' AS x, NULL AS y", "-f", "csv", "-w", str(orders_ws))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == 'x,y\n"a,b",\n'


def test_sql_json(invoke: Invoke, orders_ws: Path) -> None:
    result = invoke("sql", QUERY, "--format", "json", "-w", str(orders_ws))
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout) == [
        {"order_id": "SO-1", "customer": "ACME", "amount": 100},
        {"order_id": "SO-2", "customer": "ACME", "amount": 2500.5},
    ]


def test_sql_json_dates_and_chinese(invoke: Invoke, workspace: Path) -> None:
    result = invoke(
        "sql",
        "SELECT DATE '2026-06-30' AS d, '商务审核' AS stage, NULL AS n",
        "-f",
        "json",
        "-w",
        str(workspace),
    )
    assert result.exit_code == EXIT_OK, result.output
    assert '"stage": "商务审核"' in result.stdout  # not \u escapes
    assert json.loads(result.stdout) == [{"d": "2026-06-30", "stage": "商务审核", "n": None}]


def test_sql_markdown(invoke: Invoke, orders_ws: Path) -> None:
    result = invoke("sql", QUERY, "--format", "markdown", "-w", str(orders_ws))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == (
        "| order_id | customer | amount |\n"
        "|---|---|---|\n"
        "| SO-1 | ACME | 100.00 |\n"
        "| SO-2 | ACME | 2500.50 |\n"
    )


def test_sql_markdown_escapes_pipes(invoke: Invoke, workspace: Path) -> None:
    result = invoke("sql", "SELECT 'a|b' AS x", "-f", "markdown", "-w", str(workspace))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == "| x |\n|---|\n| a\\|b |\n"


def test_sql_limit(invoke: Invoke, orders_ws: Path) -> None:
    result = invoke("sql", QUERY, "--limit", "1", "-f", "csv", "-w", str(orders_ws))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == "order_id,customer,amount\nSO-1,ACME,100.00\n"


def test_sql_reads_views(invoke: Invoke, orders_ws: Path) -> None:
    result = invoke(
        "sql", "SELECT count(*) AS n FROM v_order_facts", "-f", "csv", "-w", str(orders_ws)
    )
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == "n\n2\n"


def test_sql_delete_is_refused(invoke: Invoke, orders_ws: Path) -> None:
    result = invoke("sql", "delete from orders", "-w", str(orders_ws))
    assert_user_error(result)
    assert result.stderr.splitlines() == [
        "Error: `ordertrack sql` only reads; a DELETE statement would change the database "
        "and was not run",
        "Hint: Use the ordertrack command that makes the change (import, advance, …); "
        "the database is unchanged.",
    ]
    assert result.stdout == ""
    assert count_orders(orders_ws) == 2


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("DROP TABLE orders", "DROP"),
        ("INSERT INTO orders (order_id) VALUES ('SO-3')", "INSERT"),
        ("UPDATE orders SET amount = 0", "UPDATE"),
        ("ATTACH 'other.duckdb' AS other", "ATTACH"),
        ("COPY orders TO 'x.csv'", "COPY"),
        ("CREATE TABLE t AS SELECT 1", "CREATE"),
        ("ALTER TABLE orders ADD COLUMN x INTEGER", "ALTER"),
        ("SET TimeZone = 'UTC'", "SET"),
        ("CHECKPOINT", "CALL"),
        ("EXPORT DATABASE 'dump'", "EXPORT"),
        ("INSTALL httpfs", "LOAD"),
    ],
)
def test_sql_writes_are_refused(
    invoke: Invoke, orders_ws: Path, tmp_path: Path, query: str, kind: str
) -> None:
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = invoke("sql", query, "-w", str(orders_ws))
    assert_user_error(result, f"only reads; a{'n' if kind[0] in 'AEIOU' else ''} {kind} statement")
    assert count_orders(orders_ws) == 2
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no x.csv, no dump/


def test_sql_two_statements_are_refused(invoke: Invoke, orders_ws: Path) -> None:
    result = invoke("sql", "select 1; delete from orders", "-w", str(orders_ws))
    assert_user_error(result)
    assert result.stderr.splitlines() == [
        "Error: one statement at a time, got 2",
        "Hint: Run each statement separately.",
    ]
    assert count_orders(orders_ws) == 2


def test_sql_empty_query(invoke: Invoke, workspace: Path) -> None:
    result = invoke("sql", "  ", "-w", str(workspace))
    assert_user_error(result)
    assert result.stderr.splitlines()[0] == "Error: the query is empty"


def test_sql_syntax_error(invoke: Invoke, workspace: Path) -> None:
    result = invoke("sql", "selec 1", "-w", str(workspace))
    assert_user_error(result, 'syntax error at or near "selec"', "DESCRIBE v_order_facts")
    assert result.stderr.startswith('Error: Parser Error: syntax error at or near "selec"')


def test_sql_unknown_column(invoke: Invoke, workspace: Path) -> None:
    result = invoke("sql", "select nope from orders", "-w", str(workspace))
    assert_user_error(result, 'Referenced column "nope" not found')
    assert result.stderr.startswith("Error: Binder Error:")


def test_sql_unknown_table(invoke: Invoke, workspace: Path) -> None:
    result = invoke("sql", "select * from nope", "-w", str(workspace))
    assert_user_error(result, "Table with name nope does not exist")


def test_sql_runtime_error(invoke: Invoke, workspace: Path) -> None:
    result = invoke("sql", "select 'x'::INTEGER", "-w", str(workspace))
    assert_user_error(result, "Conversion Error")


def test_sql_unknown_format(invoke: Invoke, workspace: Path) -> None:
    result = invoke("sql", "select 1", "--format", "xml", "-w", str(workspace))
    assert_user_error(result)
    assert result.stderr == (
        'Error: unknown format "xml"\nHint: Use one of: table, csv, json, markdown.\n'
    )
    assert result.stdout == ""


def test_sql_now_follows_the_pinned_clock(
    invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERTRACK_NOW", "2026-06-30T18:00")
    result = invoke(
        "sql",
        "SELECT strftime(now, '%Y-%m-%d %H:%M') AS t FROM v_now",
        "-f",
        "csv",
        "-w",
        str(workspace),
    )
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == "t\n2026-06-30 18:00\n"


def test_bad_ordertrack_now(
    invoke: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERTRACK_NOW", "tomorrow")
    result = invoke("status", "-w", str(workspace))
    assert_user_error(result)
    assert (
        result.stderr.splitlines()[0] == 'Error: ORDERTRACK_NOW="tomorrow" is not an ISO timestamp'
    )


# ---------------------------------------------------------------------------------------
# data is printed as text, never as rich markup


def test_brackets_in_paths_are_printed(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("init", "[2026] ws")
    assert result.exit_code == EXIT_OK, result.output
    ws = (tmp_path / "[2026] ws").resolve()
    assert result.stdout.splitlines()[0] == f"Created workspace {ws}"
    check = invoke("config", "check", "-w", str(ws))
    assert (
        check.stdout == f"{ws / 'ordertrack.toml'}: OK — 9 stages, 10 roles, 6 rules, 0 profiles\n"
    )
    status = invoke("status", "-w", str(ws))
    assert status.exit_code == EXIT_OK, status.output
    assert status.stdout.splitlines()[0].rstrip() == f"Workspace    {ws}"


def test_markup_in_sql_values_is_printed(invoke: Invoke, workspace: Path) -> None:
    result = invoke(
        "sql", "SELECT '[bold]ACME[/bold]' AS \"[red]c\", '[/]' AS d", "-w", str(workspace)
    )
    assert result.exit_code == EXIT_OK, result.output
    assert "┃ [red]c            ┃ d   ┃" in result.stdout
    assert "│ [bold]ACME[/bold] │ [/] │" in result.stdout


def test_sql_limit_zero_prints_no_rows(invoke: Invoke, orders_ws: Path) -> None:
    result = invoke("sql", QUERY, "--limit", "0", "-f", "csv", "-w", str(orders_ws))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == "order_id,customer,amount\n"


def test_sql_negative_limit_is_a_usage_error(invoke: Invoke, orders_ws: Path) -> None:
    result = invoke("sql", QUERY, "--limit", "-1", "-w", str(orders_ws))
    assert result.exit_code == EXIT_USER
    assert "Invalid value for '--limit'" in result.stderr
    assert "Traceback" not in result.output


def test_sql_json_refuses_duplicate_column_names(invoke: Invoke, workspace: Path) -> None:
    result = invoke("sql", "SELECT 1 AS a, 2 AS a", "-f", "json", "-w", str(workspace))
    assert_user_error(result)
    assert result.stderr.splitlines()[0] == (
        "Error: column names appear more than once: a; JSON needs each once"
    )
    assert result.stdout == ""
    csv_result = invoke("sql", "SELECT 1 AS a, 2 AS a", "-f", "csv", "-w", str(workspace))
    assert csv_result.stdout == "a,a\n1,2\n"  # CSV keeps both
