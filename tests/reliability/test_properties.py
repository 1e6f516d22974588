"""Property-based tests (hypothesis) for the date and number parsers and the condition check.

The parsers are the importer's own SQL (``ingest.pipeline.build_typed`` with the
``orders`` preset), run on a one-row ``raw`` table in a private in-memory DuckDB: a
value written the way real exports write it must come back exactly; any text at all
must come back as a value or as a reject reason, never as a DuckDB error, and a value
accepted from garbage must be the one an independent reading of the text gives.

The condition validator gets random text, random SQL-ish token soup, generated safe
expressions over the columns of ``v_order_facts`` (accepted) and the same expressions
with a forbidden construct spliced in (refused, with :class:`ConditionError`).

Deterministic (``derandomize``) and modest (``max_examples`` ≤ 200) so CI stays fast.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ordertrack.conditions import ConditionError, check_condition
from ordertrack.ingest.normalize import FULLWIDTH, HALFWIDTH
from ordertrack.ingest.pipeline import Plan, build_typed
from ordertrack.ingest.profiles import match, resolve

FAST = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
HEADERS = ["订单编号", "客户名称", "下单日期", "订单金额"]
TO_FULLWIDTH = str.maketrans(HALFWIDTH[:-1], FULLWIDTH[:-1])  # ASCII → full-width forms
EXCEL_EPOCH = date(1899, 12, 30)
# Any text a cell can hold: no NUL (a CSV with one is refused as a whole, XML cannot hold
# one) and no lone surrogate (not UTF-8).
ANY_TEXT = st.text(
    st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=30
)


# -- the importer's parsers, on one row -------------------------------------------------------


@pytest.fixture(scope="module")
def parse() -> Iterator[Any]:
    """``parse(order_date=…, amount=…)`` → (date, amount, reasons) as the importer types them."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    profile = resolve("orders", None)
    found = match(profile, [HEADERS], [1])
    assert found is not None and found.complete
    plan = Plan(profile, found, HEADERS, len(HEADERS))

    def run(order_date: str | None = None, amount: str | None = None) -> tuple[Any, ...]:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw AS SELECT 'SO-1' AS c0, 'x' AS c1, "
            "?::VARCHAR AS c2, ?::VARCHAR AS c3, 2::BIGINT AS _row",
            [order_date, amount],
        )
        build_typed(con, plan, ["new"])
        row = con.execute(
            'SELECT "orders__order_date", "orders__amount", [e.reason FOR e IN _errors] FROM typed'
        ).fetchone()
        assert row is not None
        return row

    yield run
    con.close()


# -- dates ----------------------------------------------------------------------------------

DATES = st.dates(min_value=date(1900, 3, 1), max_value=date(2199, 12, 31))


def _date_forms(d: date) -> list[str]:
    """How exports write one date."""
    y, m, dd = d.year, d.month, d.day
    return [
        d.isoformat(),
        f"{y}/{m}/{dd}",
        f"{y}/{m:02d}/{dd:02d}",
        f"{y}.{m:02d}.{dd:02d}",
        f"{y}年{m}月{dd}日",
        f"{y}{m:02d}{dd:02d}",
        f"{m}/{dd}/{y}",
        f"{d.isoformat()} 14:05",
        f"{d.isoformat()} 23:59:59",
        f"{y}/{m}/{dd} 8:30",
        f"{d.isoformat()}T08:00:00",
        f"{y}年{m:02d}月{dd:02d}日 09:15",
    ]


@FAST
@given(
    d=DATES,
    form=st.integers(0, 11),
    fullwidth=st.booleans(),
    pad=st.sampled_from(["", " ", "\u3000", "\u00a0"]),
)
def test_dates_written_as_exports_write_them_come_back(
    parse: Any, d: date, form: int, fullwidth: bool, pad: str
) -> None:
    text = _date_forms(d)[form]
    if fullwidth:
        text = text.translate(TO_FULLWIDTH)
    value, _, reasons = parse(order_date=pad + text + pad)
    assert (value, reasons) == (d, []), text


@FAST
@given(
    d=st.dates(min_value=date(1900, 3, 1), max_value=date(2173, 10, 13)),
    frac=st.sampled_from(["", ".0", ".25", ".999"]),
)
def test_excel_serial_numbers_as_text_come_back(parse: Any, d: date, frac: str) -> None:
    serial = (d - EXCEL_EPOCH).days
    value, _, reasons = parse(order_date=f"{serial}{frac}")
    assert (value, reasons) == (d, [])


DATEISH = st.text(
    alphabet=st.sampled_from(list("0123456789-/.: 年月日T０１２３４５６７８９－\u3000APM")),
    max_size=20,
)


@FAST
@given(text=st.one_of(DATEISH, ANY_TEXT))
def test_any_date_text_is_a_value_or_a_reason_never_a_wrong_date(parse: Any, text: str) -> None:
    value, _, reasons = parse(order_date=text)
    if value is None:
        assert reasons or not text.strip(" \t\r\n\u3000\u00a0\ufeff"), text
        return
    if reasons:
        assert reasons == ["a date out of range"], (text, reasons)
        assert not 1900 <= value.year <= 2200
        return
    assert 1900 <= value.year <= 2200
    digits = unicodedata.normalize("NFKC", text).strip()
    serial = re.fullmatch(r"(\d{1,7})(\.\d+)?", digits)
    if serial:  # an Excel serial number
        assert value == EXCEL_EPOCH + timedelta(days=int(serial.group(1))), text
    else:  # a written date: its year is written in it
        assert str(value.year) in re.sub(r"\D", "", digits), (text, value)


# -- numbers --------------------------------------------------------------------------------

AMOUNTS = st.decimals(
    min_value=Decimal("-999999999999.99"),
    max_value=Decimal("999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


def _amount_forms(x: Decimal) -> list[str]:
    """How exports write one amount."""
    sign = "-" if x < 0 else ""
    a = abs(x)
    grouped = f"{a:,.2f}"
    return [
        f"{x}",
        f"{x:.2f}",
        f"{sign}{grouped}",
        f"{sign}¥{grouped}",
        f"{sign}￥{grouped}",
        f"{sign}RMB {grouped}",
        f"{sign}{grouped}元",
        f"{sign}{grouped.replace(',', ' ')}",
        f"{sign}{grouped.replace(',', chr(0xA0))}",
        f"({grouped})" if x < 0 else f"+{grouped}",
        f"{sign}{a.normalize():f}",
    ]


@FAST
@given(
    x=AMOUNTS,
    form=st.integers(0, 10),
    fullwidth=st.booleans(),
    pad=st.sampled_from(["", " ", "\u3000"]),
)
def test_amounts_written_as_exports_write_them_come_back(
    parse: Any, x: Decimal, form: int, fullwidth: bool, pad: str
) -> None:
    text = _amount_forms(x)[form]
    if fullwidth:
        text = text.translate(TO_FULLWIDTH)
    _, value, reasons = parse(amount=pad + text + pad)
    assert (value, reasons) == (x, []), text


def _oracle(text: str) -> Decimal | None:
    """An independent reading of an amount (looser than the importer: NFKC, any grouping)."""
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"[¥$€£\s]|RMB|CNY|元", "", t)
    m = re.fullmatch(r"\((.*)\)", t)
    if m:
        t = "-" + m.group(1)
    if t == "-":
        return Decimal(0)
    try:
        return Decimal(t.replace(",", ""))
    except InvalidOperation:
        return None


NUMBERISH = st.text(
    alphabet=st.sampled_from(
        [
            *list("0123456789,.-+()%¥$ eE_x元"),
            "R",
            "M",
            "B",
            "１",
            "２",
            "，",
            "．",
            "\u3000",
            "\xa0",
        ]
    ),
    max_size=16,
)


@FAST
@given(text=st.one_of(NUMBERISH, ANY_TEXT))
def test_any_amount_text_is_a_value_or_a_reason_never_a_wrong_number(parse: Any, text: str) -> None:
    _, value, reasons = parse(amount=text)
    if value is None:
        assert reasons or not text.strip(" \t\r\n\u3000\u00a0\ufeff"), text
        return
    assert reasons == [], (text, reasons)
    expected = _oracle(text)
    assert expected is not None, (text, value)  # accepted what no reading makes a number of
    assert value == expected.quantize(Decimal("0.01")), (text, value, expected)


# -- the condition validator ------------------------------------------------------------------

NUMERIC = ["amount", "stage_hours", "shipment_count", "line_count", "shortage_qty", "paid_amount"]
TEXT = ["stage", "customer", "status", "region", "shipment_status"]
DATE_COLUMNS = ["promised_date", "order_date", "planned_ship_date"]
FLAGS = ["overdue", "is_short", "expedited"]


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        op = draw(st.sampled_from(["=", "<>", "<", "<=", ">", ">="]))
        return f"{draw(st.sampled_from(NUMERIC))} {op} {draw(st.integers(-(10**9), 10**9))}"
    if kind == 1:
        word = draw(
            st.text(
                alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8
            )
        )
        literal = "'" + word.replace("'", "''") + "'"
        op = draw(st.sampled_from(["=", "<>", "LIKE", "ILIKE"]))
        return f"{draw(st.sampled_from(TEXT))} {op} {literal}"
    if kind == 2:
        days = draw(st.integers(-400, 400))
        return f"{draw(st.sampled_from(DATE_COLUMNS))} <= as_of::DATE + {days}"
    if kind == 3:
        return f"{draw(st.sampled_from(FLAGS))}"
    if kind == 4:
        values = draw(
            st.lists(
                st.sampled_from(["'派送异常'", "'拒收'", "'new'", "'a''b'"]), min_size=1, max_size=3
            )
        )
        return f"{draw(st.sampled_from(TEXT))} IN ({', '.join(values)})"
    column = draw(st.sampled_from([*NUMERIC, *TEXT, *DATE_COLUMNS]))
    return f"{column} IS {draw(st.sampled_from(['NULL', 'NOT NULL']))}"


SAFE = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda e: f"NOT ({e})"),
    ),
    max_leaves=6,
)


@FAST
@given(expr=SAFE)
def test_generated_expressions_over_the_view_are_accepted(expr: str) -> None:
    check_condition(expr)


FORBIDDEN = [
    "{e}; DROP TABLE orders",
    "{e}; COPY orders TO 'out.csv'",
    "COPY orders TO 'out.csv'",
    "ATTACH 'other.duckdb'",
    "{e} AND (SELECT count(*) FROM orders) > 0",
    "{e} OR EXISTS (SELECT 1 FROM orders)",
    "amount IN (SELECT amount FROM orders) AND {e}",
    "{e} AND getenv('HOME') = '/root'",
    "{e} OR len(read_csv('secret.csv')) > 0",
    "{e} AND (SELECT * FROM read_csv('x.csv')) IS NULL",
    "{e} AND read_text('/etc/passwd') <> ''",
    "{e} AND current_setting('threads') = '1'",
    "{e} /* comment */",
    "{e} -- the rest is a comment",
    "{e})) OR ((true",
]


@FAST
@given(expr=SAFE, template=st.sampled_from(FORBIDDEN))
def test_forbidden_constructs_are_refused(expr: str, template: str) -> None:
    with pytest.raises(ConditionError):
        check_condition(template.format(e=expr))


SQL_TOKENS = [
    *NUMERIC,
    *TEXT,
    *DATE_COLUMNS,
    *("=", "<>", "<", ">", "+", "-", "*", "/", "||", "(", ")", ",", ";", "'", '"', "::", ":"),
    *("AND", "OR", "NOT", "IS", "NULL", "IN", "LIKE", "BETWEEN", "CASE", "WHEN", "THEN", "END"),
    *("SELECT", "FROM", "WHERE", "COPY", "ATTACH", "DROP", "TABLE", "read_csv(", "getenv("),
    *("'x'", "'订单'", "1", "2.5", "-3", "true", "as_of", "DATE", "INTERVAL", "lambda", "x", "->"),
    *("/*", "*/", "--", "$1", "?", "#1", "*", "[", "]", "{", "}", "\\", "\n", "\x00"),
]


@FAST
@given(
    expr=st.one_of(
        st.lists(st.sampled_from(SQL_TOKENS), min_size=1, max_size=12).map(" ".join),
        st.text(max_size=60),
    )
)
def test_any_text_is_accepted_or_refused_with_condition_error(expr: str) -> None:
    try:
        check_condition(expr)
    except ConditionError:
        return
    # accepted: then it is one of the safe shapes — no statement, comment or table read
    lowered = expr.lower()
    for word in (";", "copy", "attach", "read_csv", "getenv", "select", "/*", "--"):
        assert word not in lowered or f"'{word}" in lowered, expr
