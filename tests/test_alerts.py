"""The rule engine end to end: config checks, the alert lifecycle, sweeps that change
nothing, and the actions rules take.

Every test works on a real workspace (a copy of one made by ``ordertrack init``) holding a
small order center imported from CSV exports with ``ordertrack import``
(:data:`ORDERS`, :data:`LINES`, :data:`STOCK`), replaces the template's seed rules with a
few of its own (:func:`set_rules`), and runs ``ordertrack alerts run`` with the clock
pinned through ``ORDERTRACK_NOW`` (the only thing mocked). It then asserts the rows of
``alerts``, ``tasks``, ``outbox``, ``orders``, ``audit_log``, ``sweeps`` and
``stage_events``.

The helpers at the top are shared with ``test_alerts_notify`` and ``test_alerts_cli``.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
import typer.main
import typer.testing
from conftest import Invoke, set_config
from test_import import import_one, rows, write_csv
from typer.testing import CliRunner, Result

from ordertrack.cli import app
from ordertrack.cli._common import reset_consoles
from ordertrack.errors import EXIT_OK, EXIT_USER
from ordertrack.workspace import open_workspace

# ---------------------------------------------------------------------------------------
# helpers (also imported by test_alerts_notify and test_alerts_cli)

_commands: dict[int, Any] = {}


def _command_once(typer_app: typer.Typer) -> Any:
    if id(typer_app) not in _commands:
        _commands[id(typer_app)] = typer.main.get_command(typer_app)
    return _commands[id(typer_app)]


@pytest.fixture(autouse=True)
def _cli_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """typer's CliRunner turns the app into a click command on every ``invoke`` (0.2 s
    each); these tests run a few hundred commands, so build it once. Nothing of
    ordertrack is replaced: the same command object runs every time."""
    monkeypatch.setattr(typer.testing, "_get_command", _command_once)


#: The sweeps' reference time: Tuesday 2026-06-30, 10:00 in Shanghai (02:00 UTC). The
#: workspace's time zone is the machine's (UTC in tests), so rows read back in UTC.
T0 = datetime(2026, 6, 30, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(minutes: float = 0) -> datetime:
    """``T0`` plus ``minutes``."""
    return T0 + timedelta(minutes=minutes)


def iso(minutes: float = 0) -> str:
    """``ORDERTRACK_NOW`` for ``T0 + minutes``, written in Shanghai time as a user would."""
    return at(minutes).astimezone(SHANGHAI).isoformat()


ORDERS_HEADER = [
    "订单编号",
    "客户编码",
    "客户名称",
    "业务员",
    "下单日期",
    "承诺交期",
    "计划发货日期",
    "订单金额",
]
LINES_HEADER = ["订单编号", "行号", "物料编码", "物料名称", "数量", "单位", "仓库"]
STOCK_HEADER = ["物料编码", "物料名称", "仓库", "现存量", "可用库存"]

# SO-1: planned ship date passed (06-29), 张伟's. SO-2: over 100,000, 李娜's, ships 07-10.
# SO-3: ships today (06-30), 张伟's, wants 100 of M-3 with 10 in stock (short).
ORDERS: list[list[Any]] = [
    ["SO-1", "C1", "上海申达机电", "张伟", "2026-06-01", "2026-07-20", "2026-06-29", "50000"],
    ["SO-2", "C2", "苏州凯越", "李娜", "2026-06-02", "2026-07-25", "2026-07-10", "150000"],
    ["SO-3", "C3", "ACME Ltd.", "张伟", "2026-06-03", "2026-07-26", "2026-06-30", "3000"],
]
LINES: list[list[Any]] = [
    ["SO-1", 1, "M-1", "螺钉", 10, "个", "上海仓"],
    ["SO-2", 1, "M-1", "螺钉", 20, "个", "上海仓"],
    ["SO-3", 1, "M-3", "型材", 100, "根", "上海仓"],
    ["SO-3", 2, "M-2", "气管", 5, "米", "上海仓"],
]
STOCK: list[list[Any]] = [
    ["M-1", "螺钉", "上海仓", 1000, 1000],
    ["M-2", "气管", "上海仓", 50, 50],
    ["M-3", "型材", "上海仓", 10, 10],
]

#: The tables a sweep may write.
SWEEP_TABLES = ("alerts", "tasks", "outbox", "orders", "audit_log", "sweeps", "stage_events")

RULES_START = "# Rules: If…Then"
RULES_END = "# Source profiles"


#: Who is told: the sales director is listed by login and by e-mail address (one person);
#: 张伟, the sales rep of SO-1 and SO-3 as the exports spell him, is the person zhangwei;
#: 李娜 (SO-2) has no [people] entry. The CEO is boss.
ROLES = {
    "admin": ["tester"],
    "sales_director": ["majun", "majun@example.com"],
    "ceo": ["boss"],
    "purchasing": ["hanxue"],
}
PEOPLE = """
[people.majun]
name = "马骏"
email = "majun@example.com"

[people.zhangwei]
name = "张伟"
email = "zhangwei@example.com"
aliases = ["张伟"]

[people.boss]
name = "沈国栋"
email = "boss@example.com"
"""


def set_rules(ws: Path, toml_text: str, *, people: str = PEOPLE) -> None:
    """Replace the template's rules block (its seed ``[[rules]]``, ``[alerts]``, the
    commented ``[notify]`` and ``[people]``) by ``toml_text`` and ``people``."""
    path = ws / "ordertrack.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index(RULES_START)
    end = text.index(RULES_END, start)
    block = textwrap.dedent(toml_text).strip() + "\n\n" + textwrap.dedent(people).strip()
    head = f"{RULES_START} (set by the test)\n"  # kept, so that it can be set again
    path.write_text(text[:start] + head + block.strip() + "\n\n" + text[end:], encoding="utf-8")


def set_roles(ws: Path, **people: list[str]) -> None:
    """Fill ``role = [...]`` lines of the template's [roles] section."""
    for role, names in people.items():
        set_config(ws, f"\n{role} = []", f"\n{role} = {json.dumps(names, ensure_ascii=False)}")


def import_orders(
    invoke: Invoke, ws: Path, data: Sequence[Sequence[Any]], name: str = "orders"
) -> None:
    """``ordertrack import`` of an orders export (a new file name each time)."""
    folder = ws.parent / "exports"
    folder.mkdir(exist_ok=True)
    n = len(list(folder.iterdir()))
    path = write_csv(folder / f"{name}_{n}.csv", ORDERS_HEADER, data)
    result = import_one(invoke, ws, str(path), "--profile", "orders", "--force")
    assert result["status"] == "ok" and result["rejected"] == 0, result


def with_amount(order_id: str, amount: str) -> list[list[Any]]:
    """:data:`ORDERS` with one order's amount changed."""
    return [[*o[:7], amount] if o[0] == order_id else list(o) for o in ORDERS]


def make_alert_shop(invoke: Invoke, ws: Path) -> None:
    """Import :data:`ORDERS`, :data:`LINES` and :data:`STOCK` (with ``ordertrack import``)."""
    folder = ws.parent / "exports"
    folder.mkdir(exist_ok=True)
    for name, header, data, profile in (
        ("orders.csv", ORDERS_HEADER, ORDERS, "orders"),
        ("lines.csv", LINES_HEADER, LINES, "order_lines"),
        ("stock.csv", STOCK_HEADER, STOCK, "inventory"),
    ):
        path = write_csv(folder / name, header, data)
        result = import_one(invoke, ws, str(path), "--profile", profile)
        assert result["status"] == "ok" and result["rejected"] == 0, result


def build_template(
    factory: pytest.TempPathFactory, base: Path, name: str, build: Callable[[Invoke, Path], None]
) -> Path:
    """A copy of workspace ``base`` changed by ``build(invoke, ws)``, once per session:
    the commands run as user ``tester`` at ``T0`` in the tests' environment."""
    import os

    root = factory.mktemp(name) / "ws"
    shutil.copytree(base, root)
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        reset_consoles()
        result = runner.invoke(
            app, list(args), input=input, env=env, catch_exceptions=False, prog_name="ordertrack"
        )
        reset_consoles()
        return result

    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("ORDERTRACK_"):
                mp.delenv(key)
        mp.setenv("TZ", "UTC")
        mp.setenv("ORDERTRACK_USER", "tester")
        mp.setenv("ORDERTRACK_NOW", iso(0))
        build(run, root)
    shutil.rmtree(root.parent / "exports", ignore_errors=True)
    return root


def use_template(ws: Path, template: Path) -> Path:
    """Replace workspace ``ws`` by a copy of ``template``."""
    shutil.rmtree(ws)
    shutil.copytree(template, ws)
    return ws


@pytest.fixture(scope="session", name="_alert_shop_template")
def alert_shop_template_fixture(
    tmp_path_factory: pytest.TempPathFactory, _initialized: Path
) -> Path:
    """The alert shop imported once per session at ``T0`` as user ``tester``, with :data:`ROLES`."""

    def build(run: Invoke, ws: Path) -> None:
        make_alert_shop(run, ws)
        set_roles(ws, **ROLES)

    return build_template(tmp_path_factory, _initialized, "alert_shop", build)


@pytest.fixture(name="ashop")
def ashop_fixture(
    workspace: Path, _alert_shop_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A fresh workspace holding the alert shop (and :data:`ROLES`); the clock pinned at ``T0``."""
    monkeypatch.setenv("ORDERTRACK_NOW", iso(0))
    return use_template(workspace, _alert_shop_template)


def sweep(
    invoke: Invoke, ws: Path, *flags: str, minutes: float = 0, code: int = EXIT_OK
) -> dict[str, Any]:
    """``ordertrack alerts run --json FLAGS`` at ``T0 + minutes``: the parsed result."""
    result = invoke(
        "alerts", "run", "--json", *flags, "-w", str(ws), env={"ORDERTRACK_NOW": iso(minutes)}
    )
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def run_cli(invoke: Invoke, ws: Path, *args: str, minutes: float = 0) -> Result:
    """``ordertrack ARGS -w WS`` at ``T0 + minutes``."""
    result = invoke(*args, "-w", str(ws), env={"ORDERTRACK_NOW": iso(minutes)})
    assert "Traceback" not in result.output
    return result


def counts(result: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
    """Per rule of a sweep's JSON: (new, pending, firing, resolved)."""
    return {
        r["rule_id"]: (r["new"], r["pending"], r["firing"], r["resolved"]) for r in result["rules"]
    }


ALERT_COLUMNS = (
    "alert_id, rule_id, order_id, sku, state, first_seen_at, fired_at, resolved_at, resolved_reason"
)


def alerts(ws: Path, where: str = "true", order: str = "alert_id") -> list[tuple[Any, ...]]:
    return rows(ws, f"SELECT {ALERT_COLUMNS} FROM alerts WHERE {where} ORDER BY {order}")


def table_state(ws: Path) -> dict[str, Any]:
    """Every row of every table a sweep may write, and the files under out/."""
    con = duckdb.connect(str(ws / "ordertrack.duckdb"), read_only=True)
    try:
        got: dict[str, Any] = {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in SWEEP_TABLES
        }
    finally:
        con.close()
    out = ws / "out"
    got["out"] = sorted(str(p.relative_to(out)) for p in out.rglob("*")) if out.exists() else []
    return got


def audit_rows(ws: Path, command: str) -> list[tuple[Any, ...]]:
    """(logged_at, actor, args, changes) of the audit rows of ``command``, JSON decoded."""
    return [
        (t, a, json.loads(x), json.loads(y))
        for t, a, x, y in rows(
            ws,
            "SELECT logged_at, actor, args, changes FROM audit_log WHERE command = ? ORDER BY audit_id",
            [command],
        )
    ]


def config_error(result: Result, *lines: str) -> None:
    """Exit 2, nothing on stdout, and ``Error:`` naming exactly these problems."""
    assert result.exit_code == EXIT_USER, (result.stdout, result.stderr)
    assert result.stdout == ""
    if len(lines) == 1:
        head = f"Error: {lines[0]}\n"
    else:
        head = f"Error: {len(lines)} problems in the configuration:\n" + "".join(
            f"  {x}\n" for x in lines
        )
    assert result.stderr == head + "Hint: Fix the file and run `ordertrack config check`.\n"


# ---------------------------------------------------------------------------------------
# configuration: conditions and cross references


def test_the_init_template_and_its_six_seed_rules_pass_config_check(
    invoke: Invoke, workspace: Path
) -> None:
    result = invoke("config", "check", "-w", str(workspace))
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout == (
        f"{workspace / 'ordertrack.toml'}: OK — 9 stages, 10 roles, 6 rules, 0 profiles\n"
    )
    ids = [r.id for r in open_workspace(workspace).config.rules]
    assert ids == [
        "business_review_overdue",
        "stock_short",
        "ship_date_reached",
        "carrier_exception",
        "projected_late",
        "promise_missed",
    ]


GOOD_RULE = """
[[rules]]
id = "big_order"
when = "amount > 100000"
actions = [{ notify = ["sales_director"] }]
"""

STATEMENT = "starts a statement, not a condition; write one expression such as amount > 100000"
CLOCK = 'reads the machine clock; use {} instead (as_of is the view\'s "now", which ordertrack pins for tests and backtests)'
COMMENT = "SQL comments (-- or /* */) are not allowed in a condition; write comments in ordertrack.toml after #"


#: (level, condition, why it is refused): one rule each, all in one file.
BAD_CONDITIONS = [
    (
        "order",
        "amount > 1; DROP TABLE orders",
        "only one expression is allowed: ';' ends a statement and cannot appear outside quotes",
    ),
    ("order", "DROP TABLE orders", "DROP " + STATEMENT),
    ("order", "COPY orders TO '/tmp/x.csv'", "COPY " + STATEMENT),
    (
        "order",
        "read_csv('/etc/passwd') IS NOT NULL",
        "read_csv() reads tables or files; a condition cannot",
    ),
    ("order", "ATTACH 'x.db'", "ATTACH " + STATEMENT),
    ("order", "amount > (SELECT 1)", "a subquery is not allowed here"),
    ("order", "EXISTS (SELECT 1 FROM orders)", "a subquery is not allowed here"),
    ("order", "getenv('HOME') = '/root'", "getenv() is not allowed here: it reads the environment"),
    ("order", "1=1 -- ; DROP TABLE orders", COMMENT),
    ("order", "1=1 /* */", COMMENT),
    ("order", "promised_date < now()", "now() " + CLOCK.format("the column as_of")),
    ("order", "promised_date < current_date", "current_date " + CLOCK.format("as_of::DATE")),
    ("order", "amout > 100000", 'unknown column "amout"; did you mean "amount"?'),
    (
        "line",  # an order-level column in a line-level rule
        "is_short AND overdue",
        'unknown column "overdue" (columns of v_line_facts: order_id, line_no, sku, '
        "description, qty, unit_price, amount, warehouse, bin, reserved_qty, on_hand, "
        "reserved, available, is_open, open_demand_to_here, shortage_qty, is_short, "
        "customer, sales_rep, follow_up, promised_date, planned_ship_date, stage, state, "
        "status, as_of)",
    ),
]


def test_unsafe_or_wrong_conditions_are_all_refused_by_config_check_and_alerts_run(
    invoke: Invoke, ashop: Path
) -> None:
    text = GOOD_RULE
    for k, (level, when, _) in enumerate(BAD_CONDITIONS):
        text += f"""
[[rules]]
id = "bad_{k}"
level = "{level}"
when = "{when}"
actions = [{{ notify = ["sales_director"] }}]
"""
    set_rules(ashop, text)
    problems = [
        f"ordertrack.toml: rules[{k + 1}].when (bad_{k}): {reason}"
        for k, (_, _, reason) in enumerate(BAD_CONDITIONS)
    ]
    config_error(invoke("config", "check", "-w", str(ashop)), *problems)

    before = table_state(ashop)
    config_error(run_cli(invoke, ashop, "alerts", "run", "--notify"), *problems)
    assert table_state(ashop) == before
    assert before["alerts"] == [] and before["sweeps"] == []


@pytest.mark.parametrize("when", ["amount > 1; DROP TABLE orders", "promised_date < now()"])
def test_one_bad_condition_alone_stops_the_sweep(invoke: Invoke, ashop: Path, when: str) -> None:
    """Each refusal on its own (not only as one of many): exit 2, the rule named, nothing written."""
    set_rules(
        ashop,
        GOOD_RULE
        + f"""
[[rules]]
id = "bad_rule"
when = "{when}"
actions = [{{ notify = ["sales_director"] }}]
""",
    )
    before = table_state(ashop)
    result = run_cli(invoke, ashop, "alerts", "run", "--notify")
    assert result.exit_code == EXIT_USER
    assert result.stderr.startswith("Error: ordertrack.toml: rules[1].when (bad_rule): ")
    assert table_state(ashop) == before


#: (rules text, the problem's key, its message): references the types alone cannot see.
BAD_REFERENCES = [
    (
        GOOD_RULE + GOOD_RULE,
        "rules[1].id",
        'duplicate rule id "big_order"; rule ids must be unique',
    ),
    (
        GOOD_RULE + 'inhibits = ["big_ordr"]\n',
        "rules[0].inhibits[0]",
        'unknown rule "big_ordr"; did you mean "big_order"? known: big_order',
    ),
    (
        GOOD_RULE.replace('"sales_director"', '"sales_directr"'),
        "rules[0].actions[0].notify[0]",
        'unknown role or person "sales_directr"; did you mean "sales_director"? known: sales, '
        "business, finance, sales_director, director, warehouse, logistics, purchasing, ceo, "
        "admin, boss, hanxue, majun, majun@example.com, tester, zhangwei (people are listed "
        "under [roles] or [people])",
    ),
    (
        GOOD_RULE.replace('"sales_director"', '"#robot"'),
        "rules[0].actions[0].notify[0]",
        'unknown chat robot "robot"; known: (none) (define it under [notify.webhooks])',
    ),
    (
        GOOD_RULE.replace('"sales_director"', '"@nonsense"'),
        "rules[0].actions[0].notify[0]",
        # (… stands for a did-you-mean the test does not pin: "nonsense" is like none of them)
        'unknown @field "nonsense"; … known: sales_rep, follow_up, owner; write @sales_rep, '
        "@follow_up or @owner",
    ),
    (
        GOOD_RULE.replace(
            '{ notify = ["sales_director"] }', '{ task = { title = "Call {customer}" } }'
        ),
        "rules[0].actions[0].task",
        "give role, assignee or both: who is the task for?",
    ),
    (
        GOOD_RULE.replace('{ notify = ["sales_director"] }', '{ advance = "shiped" }'),
        "rules[0].actions[0].advance",
        'unknown stage "shiped"; did you mean "shipped"? known: next, order_entry, '
        "business_review, finance_approval, director_approval, picking, shipped, signed, "
        "invoiced, paid",
    ),
    (
        GOOD_RULE
        + 'escalate = [{ after = "4h", notify = ["ceo"] }, { after = "2h", notify = ["ceo"] }]\n',
        "rules[0].escalate[1].after",
        "escalation steps must come later one after another",
    ),
]


@pytest.mark.parametrize(("text", "key", "message"), BAD_REFERENCES)
def test_a_bad_reference_in_a_rule_is_refused_by_config_check_and_alerts_run(
    invoke: Invoke, ashop: Path, text: str, key: str, message: str
) -> None:
    set_rules(ashop, text)
    problem = (
        f"ws/ordertrack.toml: {key}: {message}"  # the file as the user can reach it from the cwd
    )
    before = table_state(ashop)
    for result in (
        invoke("config", "check", "-w", str(ashop)),
        run_cli(invoke, ashop, "alerts", "run"),
    ):
        if "…" in problem:
            head, tail = problem.split(" … ")
            assert result.exit_code == EXIT_USER and result.stdout == ""
            first = result.stderr.splitlines()[0]
            assert first.startswith(f"Error: {head} ") and first.endswith(f" {tail}"), first
        else:
            config_error(result, problem)
    assert table_state(ashop) == before


# ---------------------------------------------------------------------------------------
# lifecycle: pending → firing → resolved, one row per firing episode

BIG = """
[[rules]]
id = "big_order"
description = "Order over 100,000"
severity = "warning"
when = "amount > 100000"
{extra}
actions = [{{ notify = ["sales_director"] }}]
"""


def big_rule(extra: str = "") -> str:
    return BIG.format(extra=extra)


def test_an_alert_fires_once_stays_one_row_resolves_and_fires_again_as_a_new_row(
    invoke: Invoke, ashop: Path
) -> None:
    set_rules(ashop, big_rule())

    first = sweep(invoke, ashop)
    assert counts(first) == {"big_order": (1, 0, 1, 0)}
    assert first["changed"] is True and first["sweep_id"] == 1
    assert alerts(ashop) == [(1, "big_order", "SO-2", None, "firing", at(0), at(0), None, None)]
    assert one_row(ashop, "SELECT alert_key, severity, sweep_id FROM alerts") == (
        "big_order|SO-2|",
        "warning",
        1,
    )

    # still holding 15 minutes later: the same alert, no new row
    later = sweep(invoke, ashop, minutes=15)
    assert counts(later) == {"big_order": (0, 0, 1, 0)}
    assert later["changed"] is False and later["sweep_id"] is None
    assert alerts(ashop) == [(1, "big_order", "SO-2", None, "firing", at(0), at(0), None, None)]

    # the amount is corrected in the ERP and imported again: the condition cleared
    import_orders(invoke, ashop, with_amount("SO-2", "90000"))
    cleared = sweep(invoke, ashop, minutes=30)
    assert counts(cleared) == {"big_order": (0, 0, 0, 1)}
    assert alerts(ashop) == [
        (1, "big_order", "SO-2", None, "resolved", at(0), at(0), at(30), "condition cleared")
    ]

    # it holds again: a new alert (the old one is kept, never reopened)
    import_orders(invoke, ashop, with_amount("SO-2", "160000"))
    again = sweep(invoke, ashop, minutes=60)
    assert counts(again) == {"big_order": (1, 0, 1, 0)}
    assert alerts(ashop) == [
        (1, "big_order", "SO-2", None, "resolved", at(0), at(0), at(30), "condition cleared"),
        (2, "big_order", "SO-2", None, "firing", at(60), at(60), None, None),
    ]
    assert rows(ashop, "SELECT sweep_id, as_of, actor, fired, resolved FROM sweeps ORDER BY 1") == [
        (1, at(0), "tester", 1, 0),
        (2, at(30), "tester", 0, 1),
        (3, at(60), "tester", 1, 0),
    ]


def test_a_rule_with_for_is_pending_and_fires_at_the_first_sweep_2h_later(
    invoke: Invoke, ashop: Path
) -> None:
    set_rules(ashop, big_rule('for = "2h"'))

    assert counts(sweep(invoke, ashop)) == {"big_order": (0, 1, 0, 0)}
    assert alerts(ashop) == [(1, "big_order", "SO-2", None, "pending", at(0), None, None, None)]
    for minutes in (60, 119):
        assert counts(sweep(invoke, ashop, minutes=minutes)) == {"big_order": (0, 1, 0, 0)}
    assert alerts(ashop) == [(1, "big_order", "SO-2", None, "pending", at(0), None, None, None)]

    fired = sweep(invoke, ashop, minutes=125)
    assert counts(fired) == {"big_order": (1, 0, 1, 0)}
    assert alerts(ashop) == [(1, "big_order", "SO-2", None, "firing", at(0), at(125), None, None)]
    assert one_row(ashop, "SELECT sweep_id FROM alerts") == fired["sweep_id"]


def test_a_pending_alert_whose_condition_clears_resolves_without_ever_firing(
    invoke: Invoke, ashop: Path
) -> None:
    set_rules(ashop, big_rule('for = "2h"'))
    sweep(invoke, ashop, "--notify")
    import_orders(invoke, ashop, with_amount("SO-2", "90000"))

    result = sweep(invoke, ashop, "--notify", minutes=60)

    assert counts(result) == {"big_order": (0, 0, 0, 1)}
    assert alerts(ashop) == [
        (1, "big_order", "SO-2", None, "resolved", at(0), None, at(60), "condition cleared")
    ]
    assert rows(ashop, "SELECT count(*) FROM outbox") == [(0,)]  # nobody heard of it


def test_cancelling_an_order_resolves_its_alerts_without_telling_anyone(
    invoke: Invoke, ashop: Path
) -> None:
    set_rules(ashop, big_rule("notify_resolved = true"))
    sweep(invoke, ashop, "--notify")
    assert rows(ashop, "SELECT recipient, subject FROM outbox") == [
        ("majun", "[My Company] Order alerts: 1 new")
    ]

    cancelled = run_cli(invoke, ashop, "cancel", "SO-2", "--reason", "customer withdrew", minutes=5)
    assert cancelled.exit_code == EXIT_OK, cancelled.stderr
    result = sweep(invoke, ashop, "--notify", minutes=10)

    assert counts(result) == {"big_order": (0, 0, 0, 1)}
    assert alerts(ashop) == [
        (1, "big_order", "SO-2", None, "resolved", at(0), at(0), at(10), "order cancelled")
    ]
    assert result["queued"] == []
    assert rows(ashop, "SELECT count(*) FROM outbox") == [(1,)]  # no "resolved" digest


def one_row(ws: Path, sql: str, params: Sequence[Any] = ()) -> Any:
    got = rows(ws, sql, params)
    assert len(got) == 1, got
    return got[0][0] if len(got[0]) == 1 else got[0]


def test_an_order_on_hold_is_frozen_until_it_resumes(invoke: Invoke, ashop: Path) -> None:
    set_rules(
        ashop,
        big_rule('repeat = "30m"')
        + """
[[rules]]
id = "ship_due"
when = "order_id = 'SO-2' AND planned_ship_date <= as_of::DATE"
actions = [{ notify = ["sales_director"] }]
""",
    )
    sweep(invoke, ashop, "--notify")
    assert (
        run_cli(invoke, ashop, "hold", "SO-2", "--reason", "credit check", minutes=5).exit_code == 0
    )
    # while it is on hold, the ERP changes both facts: big_order no longer holds, ship_due would
    changed = [[*o[:6], "2026-06-29", "90000"] if o[0] == "SO-2" else o for o in ORDERS]
    import_orders(invoke, ashop, changed)
    frozen = table_state(ashop)

    held = sweep(invoke, ashop, "--notify", minutes=40)  # the 30 min repeat has passed too

    assert counts(held) == {"big_order": (0, 0, 1, 0), "ship_due": (0, 0, 0, 0)}
    assert held["queued"] == [] and held["changed"] is False
    assert table_state(ashop) == frozen
    assert alerts(ashop) == [(1, "big_order", "SO-2", None, "firing", at(0), at(0), None, None)]

    assert (
        run_cli(invoke, ashop, "resume", "SO-2", "--reason", "credit ok", minutes=45).exit_code == 0
    )
    resumed = sweep(invoke, ashop, "--notify", minutes=50)

    assert counts(resumed) == {"big_order": (0, 0, 0, 1), "ship_due": (1, 0, 1, 0)}
    assert alerts(ashop) == [
        (1, "big_order", "SO-2", None, "resolved", at(0), at(0), at(50), "condition cleared"),
        (2, "ship_due", "SO-2", None, "firing", at(50), at(50), None, None),
    ]
    assert rows(ashop, "SELECT created_at, recipient, subject FROM outbox ORDER BY message_id") == [
        (at(0), "majun", "[My Company] Order alerts: 1 new"),
        (at(50), "majun", "[My Company] Order alerts: 1 new"),
    ]


def test_disabling_or_removing_a_rule_resolves_its_open_alerts_silently(
    invoke: Invoke, ashop: Path
) -> None:
    ship = """
[[rules]]
id = "ship_due"
when = "planned_ship_date <= as_of::DATE AND before_shipped"
notify_resolved = true
{extra}
actions = [{{ notify = ["sales_director"] }}]
"""
    set_rules(ashop, big_rule("notify_resolved = true") + ship.format(extra=""))
    first = sweep(invoke, ashop, "--notify")
    assert counts(first) == {"big_order": (1, 0, 1, 0), "ship_due": (2, 0, 2, 0)}

    set_rules(ashop, big_rule("notify_resolved = true") + ship.format(extra="enabled = false"))
    disabled = sweep(invoke, ashop, "--notify", minutes=10)

    assert counts(disabled) == {"big_order": (0, 0, 1, 0), "ship_due": (0, 0, 0, 2)}
    assert [r["severity"] for r in disabled["rules"]] == ["warning", "-"]  # no longer configured
    assert [a[1:] for a in alerts(ashop, "rule_id = 'ship_due'", "order_id")] == [
        ("ship_due", "SO-1", None, "resolved", at(0), at(0), at(10), "rule removed or disabled"),
        ("ship_due", "SO-3", None, "resolved", at(0), at(0), at(10), "rule removed or disabled"),
    ]
    assert disabled["queued"] == []

    set_rules(ashop, ship.format(extra=""))  # big_order removed from the file
    removed = sweep(invoke, ashop, "--notify", minutes=20)
    assert counts(removed)["big_order"] == (0, 0, 0, 1)
    assert alerts(ashop, "rule_id = 'big_order'") == [
        (1, "big_order", "SO-2", None, "resolved", at(0), at(0), at(20), "rule removed or disabled")
    ]
    # ship_due enabled again: new alerts (new rows), told as new; nothing told about big_order
    assert counts(removed)["ship_due"] == (2, 0, 2, 0)
    assert rows(ashop, "SELECT created_at, subject FROM outbox ORDER BY message_id") == [
        (at(0), "[My Company] Order alerts: 3 new"),
        (at(20), "[My Company] Order alerts: 2 new"),
    ]


# ---------------------------------------------------------------------------------------
# a sweep with nothing new writes nothing; --dry-run writes nothing at all


def dump_script(tmp_path: Path, out: Path, code: int = 0) -> Path:
    """A rule's ``run`` command: appends {rule, stdin} to ``out`` as a JSON line, exits ``code``."""
    script = tmp_path / f"dump_{code}.py"
    script.write_text(
        textwrap.dedent(f"""
        import json, os, sys
        data = sys.stdin.read()
        with open({str(out)!r}, "a", encoding="utf-8") as f:
            f.write(json.dumps({{"rule": os.environ["ORDERTRACK_RULE"], "stdin": json.loads(data)}}, ensure_ascii=False) + "\\n")
        if {code}:
            print("first line", file=sys.stderr)
            print("the ERP refused the update", file=sys.stderr)
        sys.exit({code})
        """),
        encoding="utf-8",
    )
    return script


def busy_rules(script: Path) -> str:
    """Rules with every kind of action: a task, a status, a command and notifications."""
    return f"""
[[rules]]
id = "stock_short"
description = "Not enough stock for a line"
level = "line"
when = "is_open AND qty > coalesce(available, 0)"
actions = [
    {{ set_status = "Short" }},
    {{ task = {{ role = "purchasing", title = "Replenish {{sku}} for {{order_id}}", due = "1d" }} }},
    {{ run = [{json.dumps(sys.executable)}, {json.dumps(str(script))}] }},
    {{ notify = ["purchasing", "@sales_rep"] }},
]

[[rules]]
id = "ship_due"
severity = "critical"
when = "planned_ship_date <= as_of::DATE AND before_shipped"
actions = [{{ notify = ["@sales_rep", "sales_director"] }}]
"""


def test_a_second_sweep_with_nothing_new_writes_and_sends_nothing(
    invoke: Invoke, ashop: Path, tmp_path: Path
) -> None:
    ran = tmp_path / "ran.jsonl"
    set_rules(ashop, busy_rules(dump_script(tmp_path, ran)))
    first = sweep(invoke, ashop, "--notify")
    assert first["changed"] is True
    assert first["actions"] == {"tasks": 1, "statuses": 1, "moved": 0, "refused": [], "skipped": 0}
    assert len(ran.read_text().splitlines()) == 1
    after_first = table_state(ashop)
    assert len(after_first["outbox"]) == 3 and len(after_first["sweeps"]) == 1

    for minutes in (0, 10):
        again = sweep(invoke, ashop, "--notify", minutes=minutes)
        assert again["changed"] is False and again["sweep_id"] is None
        assert again["queued"] == [] and again["deliveries"] == [] and again["commands"] == []
        assert counts(again) == {"stock_short": (0, 0, 1, 0), "ship_due": (0, 0, 2, 0)}
        assert table_state(ashop) == after_first
    assert len(ran.read_text().splitlines()) == 1  # the command ran once

    text = run_cli(invoke, ashop, "alerts", "run", "--notify", minutes=20)
    assert text.exit_code == EXIT_OK and text.stderr == ""
    assert text.stdout.endswith("Nothing to notify.\nNothing changed.\n"), text.stdout
    assert table_state(ashop) == after_first


def test_a_sweep_the_next_day_with_nothing_new_writes_nothing(invoke: Invoke, ashop: Path) -> None:
    """A new day refreshes the stage statistics (a cache): that alone records no sweep."""
    set_rules(ashop, big_rule())
    sweep(invoke, ashop)
    before = table_state(ashop)

    next_day = sweep(invoke, ashop, minutes=24 * 60)

    assert counts(next_day) == {"big_order": (0, 0, 1, 0)}
    assert table_state(ashop) == before
    assert next_day["changed"] is False and next_day["sweep_id"] is None


def test_dry_run_reports_what_would_fire_and_changes_nothing(
    invoke: Invoke, ashop: Path, tmp_path: Path
) -> None:
    ran = tmp_path / "ran.jsonl"
    set_rules(ashop, busy_rules(dump_script(tmp_path, ran)))
    before = table_state(ashop)

    result = sweep(invoke, ashop, "--dry-run", "--notify")

    assert result["dry_run"] is True
    assert counts(result) == {"stock_short": (1, 0, 1, 0), "ship_due": (2, 0, 2, 0)}
    assert result["actions"] == {"tasks": 1, "statuses": 1, "moved": 0, "refused": [], "skipped": 0}
    assert sorted((q["channel"], q["recipient"], q["alerts"]) for q in result["queued"]) == [
        ("file", "hanxue", 1),
        ("file", "majun", 2),
        ("file", "zhangwei", 3),
    ]
    assert result["deliveries"] == [] and result["commands"] == []
    assert result["firing"] == {"info": 0, "warning": 1, "critical": 2}
    assert table_state(ashop) == before
    assert not ran.exists()

    text = run_cli(invoke, ashop, "alerts", "run", "--dry-run")
    assert text.exit_code == EXIT_OK
    assert text.stdout.startswith(
        "Dry run: nothing was changed or sent. Sweep at 2026-06-30 02:00 (UTC)\n"
    )
    assert "│ ship_due    │ critical │   2 │       0 │      2 │        0 │" in text.stdout
    assert table_state(ashop) == before


# ---------------------------------------------------------------------------------------
# actions: once per firing


def api_sweep(ws: Path, monkeypatch: pytest.MonkeyPatch, minutes: float = 0, **kwargs: Any) -> Any:
    """``run_sweep`` (the Python API) at ``T0 + minutes``."""
    from ordertrack.alerts import run_sweep

    monkeypatch.setenv("ORDERTRACK_NOW", iso(minutes))
    return run_sweep(open_workspace(ws), **kwargs)


def import_stock(invoke: Invoke, ws: Path, m3_available: int) -> None:
    folder = ws.parent / "exports"
    folder.mkdir(exist_ok=True)
    n = len(list(folder.iterdir()))
    data = [[*s[:3], m3_available, m3_available] if s[0] == "M-3" else s for s in STOCK]
    data.append(["M-9", f"spare {n}", "上海仓", n, n])  # each file differs from the last
    path = write_csv(folder / f"stock_{n}.csv", STOCK_HEADER, data)
    assert import_one(invoke, ws, str(path), "--profile", "inventory")["status"] == "ok"


TASK_COLUMNS = "task_id, dedupe_key, alert_id, order_id, sku, kind, title, role, assignee, state, opened_at, due_at, rule_id"


def test_a_task_is_created_once_per_firing_with_its_title_and_assignee_filled_in(
    invoke: Invoke, ashop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_rules(
        ashop,
        """
[[rules]]
id = "short_line"
level = "line"
when = "is_short"
actions = [{ task = { role = "purchasing", assignee = "@sales_rep", title = "Replenish {sku} for {order_id} ({customer})", due = "1d" } }]

[[rules]]
id = "big_order"
when = "amount > 100000"
actions = [{ task = { role = "sales_director", title = "Check {order_id}{sku} of {customer} with {sales_rep}" } }]
""",
    )
    first = api_sweep(ashop, monkeypatch)
    assert first.actions.tasks == 2
    short_id = one_row(ashop, "SELECT alert_id FROM alerts WHERE rule_id = 'short_line'")
    big_id = one_row(ashop, "SELECT alert_id FROM alerts WHERE rule_id = 'big_order'")
    expected = [
        (
            f"alert:{short_id}:0",
            short_id,
            "SO-3",
            "M-3",
            "rule",
            "Replenish M-3 for SO-3 (ACME Ltd.)",
            "purchasing",
            "张伟",
            "open",
            at(0),
            at(24 * 60),
            "short_line",
        ),
        (
            f"alert:{big_id}:0",
            big_id,
            "SO-2",
            None,
            "rule",
            "Check SO-2 of 苏州凯越 with 李娜",
            "sales_director",
            None,
            "open",
            at(0),
            None,
            "big_order",
        ),
    ]
    got = rows(ashop, f"SELECT {TASK_COLUMNS} FROM tasks ORDER BY rule_id DESC")
    assert [t[1:] for t in got] == expected

    # still firing an hour later: no second task
    assert api_sweep(ashop, monkeypatch, 60).actions.tasks == 0
    assert rows(ashop, "SELECT count(*) FROM tasks") == [(2,)]

    # stock arrives (resolved), then is used up again (fires again): a task for the new alert
    import_stock(invoke, ashop, 500)
    assert api_sweep(ashop, monkeypatch, 90).actions.tasks == 0
    import_stock(invoke, ashop, 10)
    assert api_sweep(ashop, monkeypatch, 120).actions.tasks == 1
    again = one_row(
        ashop, "SELECT alert_id FROM alerts WHERE rule_id = 'short_line' AND state = 'firing'"
    )
    assert again != short_id
    assert rows(
        ashop, "SELECT dedupe_key, opened_at, due_at FROM tasks WHERE alert_id = ?", [again]
    ) == [(f"alert:{again}:0", at(120), at(120 + 24 * 60))]


def test_set_status_changes_the_order_once_and_is_audited(
    invoke: Invoke, ashop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_rules(
        ashop,
        """
[[rules]]
id = "ship_due"
when = "planned_ship_date <= as_of::DATE AND before_shipped"
actions = [{ set_status = "发货延迟" }]
""",
    )
    result = api_sweep(ashop, monkeypatch)

    assert result.actions.statuses == 2
    assert rows(ashop, "SELECT order_id, status, updated_at FROM orders ORDER BY 1") == [
        ("SO-1", "发货延迟", at(0)),
        ("SO-2", None, at(0)),
        ("SO-3", "发货延迟", at(0)),
    ]
    assert audit_rows(ashop, "alerts run") == [
        (
            at(0),
            "tester",
            {"rule": "ship_due"},
            {"set_status": "发货延迟", "orders": ["SO-1", "SO-3"]},
        )
    ]

    assert api_sweep(ashop, monkeypatch, 30).actions.statuses == 0
    assert len(audit_rows(ashop, "alerts run")) == 1


def test_advance_moves_the_order_via_rule_and_guards_still_refuse(
    invoke: Invoke, ashop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_flow import walk

    walk(ashop, "SO-1", "business_review", "finance_approval")
    walk(ashop, "SO-3", "business_review", "finance_approval")
    set_rules(
        ashop,
        """
[[rules]]
id = "approve_small"
when = "stage = 'finance_approval' AND amount <= 100000"
actions = [{ advance = "next" }]
""",
    )
    result = api_sweep(ashop, monkeypatch, 30)

    assert result.actions.moved == 1
    assert result.actions.refused == [
        {
            "rule": "approve_small",
            "order_id": "SO-3",
            "to_stage": "picking",
            "reason": "cannot enter picking: some lines are short of stock; see `ordertrack orders show ORDER`",
            "row": 2,
        }
    ]
    assert rows(ashop, "SELECT order_id, stage FROM orders ORDER BY 1") == [
        ("SO-1", "picking"),
        ("SO-2", None),
        ("SO-3", "finance_approval"),
    ]
    assert rows(
        ashop,
        "SELECT order_id, from_stage, to_stage, event_at, actor, via, kind, note FROM stage_events "
        "WHERE via = 'rule' ORDER BY event_id",
    ) == [
        (
            "SO-1",
            "director_approval",
            "director_approval",
            at(30),
            "rule:approve_small",
            "rule",
            "skip",
            "does not apply to this order",
        ),
        (
            "SO-1",
            "finance_approval",
            "picking",
            at(30),
            "rule:approve_small",
            "rule",
            "move",
            "rule approve_small",
        ),
    ]
    # the move cleared SO-1's condition; SO-3's alert keeps firing, and is not retried
    later = api_sweep(ashop, monkeypatch, 60)
    assert later.actions.moved == 0 and later.actions.refused == []
    assert [a[2:5] for a in alerts(ashop, order="order_id")] == [
        ("SO-1", None, "resolved"),
        ("SO-3", None, "firing"),
    ]


def test_a_rule_command_gets_the_fired_alerts_on_stdin_once_and_a_failure_is_a_warning(
    invoke: Invoke, ashop: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ok_out, bad_out = tmp_path / "ok.jsonl", tmp_path / "bad.jsonl"
    ok, bad = dump_script(tmp_path, ok_out), dump_script(tmp_path, bad_out, code=3)
    set_rules(
        ashop,
        f"""
[[rules]]
id = "ship_due"
when = "planned_ship_date <= as_of::DATE AND before_shipped"
actions = [{{ run = [{json.dumps(sys.executable)}, {json.dumps(str(ok))}] }}]

[[rules]]
id = "big_order"
when = "amount > 100000"
actions = [{{ run = [{json.dumps(sys.executable)}, {json.dumps(str(bad))}] }}]
""",
    )
    result = api_sweep(ashop, monkeypatch)

    ids = dict(rows(ashop, "SELECT order_id, alert_id FROM alerts"))
    (got,) = [json.loads(line) for line in ok_out.read_text(encoding="utf-8").splitlines()]
    assert [a["alert_id"] for a in got["stdin"]] == sorted(a["alert_id"] for a in got["stdin"])
    got["stdin"].sort(key=lambda a: a["order_id"])
    assert [got] == [
        {
            "rule": "ship_due",
            "stdin": [
                {
                    "alert_id": ids["SO-1"],
                    "rule": "ship_due",
                    "order_id": "SO-1",
                    "sku": None,
                    "customer": "上海申达机电",
                    "sales_rep": "张伟",
                },
                {
                    "alert_id": ids["SO-3"],
                    "rule": "ship_due",
                    "order_id": "SO-3",
                    "sku": None,
                    "customer": "ACME Ltd.",
                    "sales_rep": "张伟",
                },
            ],
        }
    ]
    assert json.loads(bad_out.read_text(encoding="utf-8"))["rule"] == "big_order"
    good, failed = result.commands
    assert (good.rule_id, good.alerts, good.returncode, good.error) == ("ship_due", 2, 0, None)
    assert (failed.rule_id, failed.alerts, failed.returncode) == ("big_order", 1, 3)
    assert failed.error == "exit 3: first line / the ERP refused the update"
    # the sweep itself went through
    assert [a[4] for a in alerts(ashop)] == ["firing"] * 3
    assert rows(ashop, "SELECT count(*) FROM sweeps") == [(1,)]

    # still firing: the commands do not run again; the CLI shows a failure as a warning
    import_orders(invoke, ashop, with_amount("SO-2", "90000"))
    api_sweep(ashop, monkeypatch, 10)  # big_order resolves
    import_orders(invoke, ashop, ORDERS)
    cli = run_cli(invoke, ashop, "alerts", "run", minutes=20)
    assert cli.exit_code == EXIT_OK
    assert " ".join(cli.stderr.split()) == (  # (rich wraps it at the terminal's width)
        f"Warning: rule big_order: command {sys.executable} {bad} failed: "
        "exit 3: first line / the ERP refused the update"
    )
    assert len(ok_out.read_text().splitlines()) == 1
    assert len(bad_out.read_text().splitlines()) == 2


def test_two_rules_changing_the_same_order_in_one_sweep_only_the_first_does(
    invoke: Invoke, ashop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_rules(
        ashop,
        """
[[rules]]
id = "ship_due"
when = "planned_ship_date <= as_of::DATE AND before_shipped"
actions = [{ set_status = "发货延迟" }]

[[rules]]
id = "small_order"
when = "amount < 10000"
actions = [{ set_status = "小单" }, { task = { role = "sales", title = "Small order {order_id}" } }]

[[rules]]
id = "big_order"
when = "amount > 100000"
actions = [{ set_status = "大单" }]
""",
    )
    result = api_sweep(ashop, monkeypatch)

    # SO-3 matches ship_due and small_order: ship_due (first in the file) sets its status
    assert (result.actions.statuses, result.actions.skipped, result.actions.tasks) == (3, 1, 1)
    assert rows(ashop, "SELECT order_id, status FROM orders ORDER BY 1") == [
        ("SO-1", "发货延迟"),
        ("SO-2", "大单"),
        ("SO-3", "发货延迟"),
    ]
    assert [changes for _, _, _, changes in audit_rows(ashop, "alerts run")] == [
        {"set_status": "发货延迟", "orders": ["SO-1", "SO-3"]},
        {"set_status": "大单", "orders": ["SO-2"]},
    ]
    assert rows(ashop, "SELECT order_id, title FROM tasks") == [("SO-3", "Small order SO-3")]


def test_rules_that_feed_each_other_change_an_order_at_most_once_per_sweep(
    invoke: Invoke, ashop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B reacts to what A sets. Observed over three sweeps:

    1. A fires for every order (no status yet) and sets "X"; B read the snapshot taken
       before A acted, so it does not fire yet.
    2. A's condition no longer holds (resolved); B fires and sets "Y".
    3. B's condition no longer holds (resolved); A's does not either: nothing changes.
    """
    set_rules(
        ashop,
        """
[[rules]]
id = "rule_a"
when = "coalesce(status, '') = ''"
actions = [{ set_status = "X" }]

[[rules]]
id = "rule_b"
when = "status = 'X'"
actions = [{ set_status = "Y" }]
""",
    )
    seen = []
    for n in range(3):
        result = api_sweep(ashop, monkeypatch, 15 * n)
        c = {r.rule_id: (r.new, r.firing, r.resolved) for r in result.rules}
        statuses = [s for (s,) in rows(ashop, "SELECT status FROM orders ORDER BY order_id")]
        seen.append((c["rule_a"], c["rule_b"], result.actions.statuses, statuses))

    assert seen == [
        ((3, 3, 0), (0, 0, 0), 3, ["X", "X", "X"]),
        ((0, 0, 3), (3, 3, 0), 3, ["Y", "Y", "Y"]),
        ((0, 0, 0), (0, 0, 3), 0, ["Y", "Y", "Y"]),
    ]
    # one audit row per rule action, each naming every order once
    changes = [(t, c["set_status"], c["orders"]) for t, _, _, c in audit_rows(ashop, "alerts run")]
    assert changes == [
        (at(0), "X", ["SO-1", "SO-2", "SO-3"]),
        (at(15), "Y", ["SO-1", "SO-2", "SO-3"]),
    ]


def test_a_severity_edited_in_the_config_reaches_the_open_alerts(
    invoke: Invoke, ashop: Path
) -> None:
    """Even when nothing else changes in that sweep (it must not be rolled back)."""
    set_rules(ashop, big_rule())
    sweep(invoke, ashop)
    set_rules(ashop, big_rule().replace('severity = "warning"', 'severity = "critical"'))

    result = sweep(invoke, ashop, minutes=10)

    assert result["firing"] == {"info": 0, "warning": 0, "critical": 1}
    assert rows(ashop, "SELECT alert_id, severity FROM alerts") == [(1, "critical")]
    listed = run_cli(
        invoke, ashop, "alerts", "list", "--severity", "critical", "--json", minutes=11
    )
    assert [a["alert_id"] for a in json.loads(listed.stdout)] == [1]


def test_all_actions_of_one_rule_run_when_it_fires(
    invoke: Invoke, ashop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "One change per order per sweep" is between rules: a rule's own status and move
    both apply."""
    set_rules(
        ashop,
        """
[[rules]]
id = "accept"
when = "order_id = 'SO-1' AND stage = 'order_entry'"
actions = [{ set_status = "Accepted" }, { advance = "next" }]
""",
    )
    result = api_sweep(ashop, monkeypatch)

    assert (result.actions.statuses, result.actions.moved, result.actions.skipped) == (1, 1, 0)
    assert one_row(ashop, "SELECT stage, status FROM orders WHERE order_id = 'SO-1'") == (
        "business_review",
        "Accepted",
    )
