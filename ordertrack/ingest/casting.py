"""SQL that turns raw text cells into typed values, with the reason when it cannot.

Everything here builds DuckDB SQL expressions: the importer types and checks a whole file
in one statement (set-based), never row by row in Python.
"""

from __future__ import annotations

from typing import Any

from ordertrack.entities import Field
from ordertrack.ingest.normalize import FULLWIDTH, HALFWIDTH, INVISIBLE
from ordertrack.ingest.readers import EXCEL_ERRORS
from ordertrack.store.text import lit

TRIM_CHARS = " \t\r\n\u3000\u00a0\ufeff"
ID_FIELDS = {
    "order_id",
    "line_no",
    "sku",
    "customer_id",
    "shipment_id",
    "tracking_no",
    "invoice_id",
    "payment_id",
    "feedback_id",
    "warehouse",
    "to_stage",
    "from_stage",
}

DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d",
    "%Y.%m.%d %H:%M",
    "%Y年%m月%d日",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y%m%d",
]
US_FORMATS = [
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
]
TRUE_WORDS = ["是", "y", "yes", "true", "t", "1", "√", "✓", "加急", "急", "x"]
FALSE_WORDS = ["否", "n", "no", "false", "f", "0", "普通", "不加急", "-"]


def str_list(values: list[str]) -> str:
    return "[" + ", ".join(lit(v) for v in values) + "]"


class Caster:
    """Builds the cleaning and typing expressions for one profile's settings."""

    def __init__(
        self, date_formats: list[str], day_first: bool, decimal: str, thousands: str | None
    ):
        us = [f.replace("%m/%d", "%d/%m") for f in US_FORMATS] if day_first else US_FORMATS
        self.formats = [*date_formats, *DATE_FORMATS, *us]
        self.user_formats = bool(date_formats)
        self.decimal = decimal
        self.thousands = thousands

    # -- text ------------------------------------------------------------------------------

    @staticmethod
    def trimmed(col: str) -> str:
        """The cell without surrounding (also full-width / no-break) spaces; NULL if empty.

        Guarded: the costly trim with a character list runs only on cells that need it.
        """
        # (an IN list here would become a join per column: plain comparisons are faster)
        lead = " OR ".join(f"ascii({col}) = {c}" for c in (160, 12288, 65279))
        tails = " OR ".join(
            f"ends_with({col}, {lit(ch)})" for ch in (" ", "\u3000", "\t", "\u00a0")
        )
        return (
            f"(CASE WHEN ascii({col}) <= 32 OR {lead} OR {tails} "
            f"THEN nullif(trim({col}, {lit(TRIM_CHARS)}), '') ELSE nullif({col}, '') END)"
        )

    def clean(self, t: str, f: Field, values: dict[str, str] | None, default: Any) -> str:
        """``t`` (a trimmed-text column) with ids/numbers in half-width forms, the value map
        and the default applied."""
        expr = t
        if f.name in ID_FIELDS or f.kind != "text":
            # only cells with a non-ASCII character: composed (NFC), full-width forms made
            # ASCII, invisible characters (zero-width, direction marks) removed — so an id
            # that looks like SO-001 is SO-001
            expr = (
                f"(CASE WHEN strlen({t}) <> length({t}) THEN nullif(trim(translate("
                f"nfc_normalize({t}), {lit(FULLWIDTH + INVISIBLE)}, {lit(HALFWIDTH)})), '') "
                f"ELSE {t} END)"
            )
        if values:
            cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in values.items())
            expr = f"(CASE {t} {cases} ELSE {expr} END)"
        if default is not None:
            d = str(default).lower() if isinstance(default, bool) else default
            expr = f"coalesce({expr}, {lit(d)})"
        return expr

    def fast(self, col: str, f: Field, has_map: bool) -> str | None:
        """A direct cast of the raw cell that succeeds for clean exports (most cells), or
        None when this field always needs the full cleaning path."""
        if has_map or f.kind in ("text", "bool"):
            return None
        if f.kind in ("decimal", "int"):
            return None if self.decimal == "," else plain_decimal(col)
        if self.user_formats:
            return None
        return f"TRY_CAST({col} AS TIMESTAMP)"

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
            return f"TRY_CAST({self.timestamp(s)} AS {'DATE' if kind == 'date' else 'TIMESTAMPTZ'})"
        if kind == "bool":
            return (
                f"(CASE WHEN {one_of(f'lower({s})', TRUE_WORDS)} THEN true "
                f"WHEN {one_of(f'lower({s})', FALSE_WORDS)} THEN false END)"
            )
        raise AssertionError(kind)

    def number(self, s: str) -> str:
        """A number from export text: ``¥1,234.50``, ``1 234.50``, ``(1,200.00)`` (negative),
        ``-`` (accounting zero). Separators must group thousands, so ``1234,50`` with
        ``decimal = "."`` is refused rather than read as 123450."""
        import re

        # Fast path first: a plain number casts directly; only the rest is cleaned.
        t = f"regexp_replace({s}, '[¥￥$€£\\s\\x{{3000}}\\x{{a0}}\\x{{202f}}]|RMB|CNY|元', '', 'g')"
        t = f"regexp_replace({t}, '^\\((.*)\\)$', '-\\1')"
        if self.decimal == ",":
            sep = self.thousands if self.thousands is not None else "."
            frac = ","
            fast = "NULL::DECIMAL(38,6)"
        else:
            sep = self.thousands if self.thousands is not None else ","
            frac = "\\."
            fast = plain_decimal(s)
        sep_re = re.escape(sep) if sep.strip() else ""  # SQL literals keep backslashes as is
        grouped = (
            f"[+-]?(\\d{{1,3}}({sep_re}\\d{{3}})+|\\d+)({frac}\\d+)?"
            if sep_re
            else f"[+-]?\\d+({frac}\\d+)?"
        )
        plain = f"replace({t}, {lit(sep)}, '')" if sep.strip() else t
        if self.decimal == ",":
            plain = f"replace({plain}, ',', '.')"
        slow = (
            f"(CASE WHEN {t} = '-' THEN 0::DECIMAL(38,6) "
            f"WHEN regexp_full_match({t}, '{grouped}') THEN TRY_CAST({plain} AS DECIMAL(38,6)) END)"
        )
        return f"coalesce({fast}, {slow})"

    def timestamp(self, s: str) -> str:
        # ISO text casts fast; then the formats people use; then Excel serial numbers.
        serial = (
            f"(CASE WHEN regexp_full_match({s}, '\\d{{1,7}}(\\.\\d+)?') "
            f"THEN TIMESTAMP '1899-12-30' + to_microseconds((TRY_CAST({s} AS DOUBLE) * 86400000000)::BIGINT) END)"
        )
        fast = "NULL::TIMESTAMP" if self.user_formats else f"TRY_CAST({s} AS TIMESTAMP)"
        return f"coalesce({fast}, try_strptime({s}, {str_list(self.formats)}), {serial})"

    # -- why a value was refused -------------------------------------------------------------

    def problem(self, s: str, value: str, f: Field) -> str:
        """An expression giving the reason the cleaned text ``s`` is bad, or NULL.

        ``s`` and ``value`` are column names (computed once, in an inner query).
        """
        what = {
            "decimal": "a number",
            "int": "a whole number",
            "date": "a date",
            "timestamp": "a date and time",
            "bool": "yes/no (是/否)",
            "text": "text",
        }[f.kind]
        checks = [
            f"WHEN {s} = '#NO-VALUE' THEN 'a formula without a saved result: open the file in "
            "Excel and save it again'",
            f"WHEN starts_with({s}, '#') AND {one_of(s, list(EXCEL_ERRORS))} "
            f"THEN 'Excel error value ' || {s} || ' in the cell'",
        ]
        if f.kind in ("decimal", "int"):
            checks.append(
                f"WHEN {value} IS NULL AND ends_with({s}, '%') "
                "THEN 'a percentage where an amount or quantity is expected'"
            )
            checks.append(
                f"WHEN {value} IS NULL AND regexp_matches({s}, '^[^.]*,\\d{{1,2}}$') "
                "THEN 'not a number (a comma before the decimals? set decimal = \",\" in the profile)'"
            )
        if f.kind in ("decimal", "int"):
            # parsed again only where the value is missing (a CASE evaluates its THEN only
            # for the rows that reach it; inside AND, DuckDB would parse every row)
            num = f"(CASE WHEN {value} IS NULL AND {s} IS NOT NULL THEN {self.number(s)} END)"
            if f.kind == "int":
                checks.append(
                    f"WHEN {value} IS NULL AND {num} IS NOT NULL AND {num} <> trunc({num}) "
                    "THEN 'not a whole number'"
                )
            checks.append(
                f"WHEN {value} IS NULL AND {num} IS NOT NULL THEN 'a number too large for {f.name}'"
            )
        if f.kind != "text":
            checks.append(f"WHEN {s} IS NOT NULL AND {value} IS NULL THEN 'not {what}'")
        if f.kind in ("date", "timestamp"):
            checks.append(
                f"WHEN year({value}) NOT BETWEEN 1900 AND 2200 THEN 'a date out of range'"
            )
        if f.name in ("qty", "reserved_qty", "freight_cost"):
            checks.append(f"WHEN {value} < 0 THEN 'negative quantity or amount'")
        if f.name == "nps":
            checks.append(f"WHEN {value} NOT BETWEEN 0 AND 10 THEN 'NPS score must be 0 to 10'")
        if f.kind == "text":
            checks.append(f"WHEN length({s}) > 100000 THEN 'text longer than 100,000 characters'")
        return "(CASE " + " ".join(checks) + " END)"


def plain_decimal(col: str) -> str:
    """DuckDB's own cast of a plain number; not for text with ``_`` (the cast would read
    ``1_0_0`` as 100), which goes to the stricter path."""
    return f"(CASE WHEN NOT contains({col}, '_') THEN TRY_CAST({col} AS DECIMAL(38,6)) END)"


def tuple_sql(values: list[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def one_of(expr: str, values: list[str]) -> str:
    """``expr`` equals one of ``values`` (comparisons: DuckDB plans a long IN list as a join)."""
    return "(" + " OR ".join(f"{expr} = {lit(v)}" for v in values) + ")"
