"""SQL that turns raw text cells into typed values, with the reason when it cannot.

Everything here builds DuckDB SQL expressions: the importer types and checks a whole file
in one statement (set-based), never row by row in Python.
"""

from __future__ import annotations

from typing import Any

from ordertrack.entities import Field
from ordertrack.ingest.normalize import FULLWIDTH, HALFWIDTH
from ordertrack.ingest.readers import EXCEL_ERRORS

TRIM_CHARS = " \t\r\n\u3000\u00a0\ufeff"
ID_FIELDS = {"order_id", "line_no", "sku", "customer_id", "shipment_id", "tracking_no",
             "invoice_id", "payment_id", "feedback_id", "warehouse", "to_stage", "from_stage"}

DATE_FORMATS = [
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f",
    "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%Y.%m.%d", "%Y.%m.%d %H:%M",
    "%Y年%m月%d日", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日 %H:%M:%S",
    "%Y%m%d",
]
US_FORMATS = ["%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p",
              "%m/%d/%Y %I:%M:%S %p"]
TRUE_WORDS = ["是", "y", "yes", "true", "t", "1", "√", "✓", "加急", "急", "x"]
FALSE_WORDS = ["否", "n", "no", "false", "f", "0", "普通", "不加急", "-"]


def lit(value: Any) -> str:
    """A SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def str_list(values: list[str]) -> str:
    return "[" + ", ".join(lit(v) for v in values) + "]"


class Caster:
    """Builds the cleaning and typing expressions for one profile's settings."""

    def __init__(self, date_formats: list[str], day_first: bool, decimal: str, thousands: str | None):
        us = [f.replace("%m/%d", "%d/%m") for f in US_FORMATS] if day_first else US_FORMATS
        self.formats = [*date_formats, *DATE_FORMATS, *us]
        self.decimal = decimal
        self.thousands = thousands

    # -- text ------------------------------------------------------------------------------

    def clean(self, col: str, f: Field, values: dict[str, str] | None, default: Any) -> str:
        """Trimmed text or NULL; value map and default applied; ids in half-width forms."""
        expr = f"nullif(trim({col}, {lit(TRIM_CHARS)}), '')"
        if f.name in ID_FIELDS or f.kind != "text":
            expr = f"nullif(trim(translate({expr}, {lit(FULLWIDTH)}, {lit(HALFWIDTH)})), '')"
        if values:
            cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in values.items())
            expr = f"(CASE {expr} {cases} ELSE {expr} END)"
        if default is not None:
            expr = f"coalesce({expr}, {lit(default if not isinstance(default, bool) else str(default).lower())})"
        return expr

    # -- typed values ------------------------------------------------------------------------

    def typed(self, s: str, f: Field) -> str:
        """``s`` (a cleaned text expression) as a value of the field's type; NULL if not."""
        kind = f.kind
        if kind == "text":
            return s
        if kind in ("decimal", "int"):
            num = self.number(s)
            if kind == "int":
                return f"(CASE WHEN {num} = trunc({num}) THEN TRY_CAST({num} AS {f.type}) END)"
            return f"TRY_CAST({num} AS {f.type})"
        if kind in ("date", "timestamp"):
            ts = self.timestamp(s)
            return f"TRY_CAST({ts} AS {'DATE' if kind == 'date' else 'TIMESTAMPTZ'})"
        if kind == "bool":
            return (
                f"(CASE WHEN lower({s}) IN {tuple_sql(TRUE_WORDS)} THEN true "
                f"WHEN lower({s}) IN {tuple_sql(FALSE_WORDS)} THEN false END)"
            )
        raise AssertionError(kind)

    def number(self, s: str) -> str:
        t = f"regexp_replace({s}, '[¥￥$€£\\s]|RMB|CNY|元', '', 'g')"
        t = f"regexp_replace({t}, '^\\((.*)\\)$', '-\\1')"
        if self.decimal == ",":
            t = f"replace(regexp_replace({t}, '[.{self.thousands or ''}]', '', 'g'), ',', '.')"
        else:
            sep = self.thousands or ","
            t = f"replace({t}, {lit(sep)}, '')"
        return (
            f"(CASE WHEN {t} = '-' THEN 0::DECIMAL(38,6) "
            f"WHEN {t} LIKE '%\\%' ESCAPE '\\' THEN TRY_CAST(rtrim({t}, '%') AS DECIMAL(38,6)) / 100 "
            f"ELSE TRY_CAST({t} AS DECIMAL(38,6)) END)"
        )

    def timestamp(self, s: str) -> str:
        serial = (
            f"(CASE WHEN regexp_full_match({s}, '\\d{{1,7}}(\\.\\d+)?') "
            f"AND TRY_CAST({s} AS DOUBLE) BETWEEN 1 AND 2958465 "
            f"THEN TIMESTAMP '1899-12-30' + to_microseconds((TRY_CAST({s} AS DOUBLE) * 86400000000)::BIGINT) END)"
        )
        parsed = f"try_strptime({s}, {str_list(self.formats)})"
        ts = f"coalesce({parsed}, {serial})"
        return f"(CASE WHEN year({ts}) BETWEEN 1900 AND 2200 THEN {ts} END)"

    # -- why a value was refused -------------------------------------------------------------

    def problem(self, raw: str, s: str, value: str, f: Field) -> str:
        """An expression giving the reason ``raw`` is bad, or NULL."""
        errs = f"trim({raw}, {lit(TRIM_CHARS)}) IN {tuple_sql(list(EXCEL_ERRORS))}"
        what = {
            "decimal": "a number",
            "int": "a whole number",
            "date": "a date",
            "timestamp": "a date and time",
            "bool": "yes/no (是/否)",
            "text": "text",
        }[f.kind]
        checks = [f"WHEN {errs} THEN 'Excel error value ' || trim({raw}) || ' in the cell'"]
        if f.kind != "text":
            checks.append(f"WHEN {s} IS NOT NULL AND {value} IS NULL THEN 'not {what}'")
        if f.name in ("qty", "reserved_qty", "freight_cost"):
            checks.append(f"WHEN {value} < 0 THEN 'negative quantity or amount'")
        if f.name == "nps":
            checks.append(f"WHEN {value} NOT BETWEEN 0 AND 10 THEN 'NPS score must be 0 to 10'")
        if f.kind == "text":
            checks.append(f"WHEN length({s}) > 100000 THEN 'text longer than 100,000 characters'")
        return "(CASE " + " ".join(checks) + " END)"


def tuple_sql(values: list[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"
