"""Check the SQL conditions users write in ``ordertrack.toml`` (stages' and rules' ``when``).

A condition is **one boolean SQL expression over the columns of one view** —
``v_order_facts`` (one row per order) or ``v_line_facts`` (one row per order line)::

    stage = 'business_review' AND stage_hours > 2
    planned_ship_date <= as_of::DATE AND shipment_count = 0
    shipment_status IN ('派送异常', '拒收', '退回')

:func:`check_condition` decides with DuckDB's own parser, never with patterns over the
text: it wraps the condition as ``SELECT (<condition>) FROM <probe>``, has DuckDB
serialize the parse tree (``json_serialize_sql``) and walks it. Only what is listed
here may appear: the expression node types in :data:`ALLOWED_EXPRESSIONS`, the
functions and operators in :data:`ALLOWED_FUNCTIONS` (lambdas only inside
:data:`LAMBDA_FUNCTIONS`), casts, constants and plain column names of the view. So
there is no way to reach a statement, another table, a file, the environment or a side
effect. Comments, ``;`` and unpaired parentheses are refused first, from DuckDB's own
tokens (``duckdb.tokenize``), so a condition cannot close the wrapper or hide text from
the SQL the engines later embed it in. Then the column names are checked against the
view (``unknown column "amout"; did you mean "amount"?``), and the condition is
compiled and evaluated on one row of NULLs shaped like the view, in a private in-memory
database with external access off: that finds type errors, non-boolean results and
constants that do not convert. Nothing is ever run in the workspace's database.

"Now" is pinned: ordertrack sets the instant the views treat as now (``as_of``, from
``getvariable('ot_now')``) so tests, ``--now`` and backtests see the same clock. A
condition that read the machine clock (``now()``, ``current_timestamp``,
``current_date``, ``today()``, …) would silently ignore that, so those are refused with
the advice to use ``as_of`` (``as_of::DATE`` for today's date, in the workspace's time
zone).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import threading
from pathlib import Path
from typing import Any, Final

import duckdb

from ordertrack.store.errors import duckdb_message

__all__ = [
    "ALLOWED_EXPRESSIONS",
    "ALLOWED_FUNCTIONS",
    "ALLOWED_OPERATORS",
    "CLOCK_NAMES",
    "LAMBDA_FUNCTIONS",
    "MAX_LENGTH",
    "ConditionError",
    "check_condition",
    "column_names",
    "referenced_columns",
]


class ConditionError(ValueError):
    """A condition that is not one boolean expression over the view; the message says why.

    The message is short and has no location: the config loader prefixes the key
    (``rules.stock_short.when: a subquery is not allowed here``).
    """


# -- what a condition may contain ---------------------------------------------------------

#: Expression node types (``class`` / ``type`` in DuckDB's serialized parse tree) a
#: condition may use. Everything else is refused: SUBQUERY (``(SELECT …)``, ``EXISTS``,
#: ``IN (SELECT …)``), WINDOW (``… OVER ()``), STAR (``*``, ``COLUMNS(…)``), PARAMETER
#: (``?``, ``$1``), POSITIONAL_REFERENCE (``#1``), COLLATE, DEFAULT.
ALLOWED_EXPRESSIONS: Final[frozenset[str]] = frozenset(
    {
        "COLUMN_REF",  # a column of the view (or a lambda's parameter)
        "CONSTANT",  # 100000, 'business_review', TRUE, NULL
        "COMPARISON",  # = <> < <= > >=, IS [NOT] DISTINCT FROM
        "CONJUNCTION",  # AND, OR
        "BETWEEN",  # x BETWEEN a AND b
        "CASE",  # CASE WHEN … THEN … ELSE … END
        "CAST",  # x::DATE, CAST(x AS INT), TRY_CAST, DATE '2026-01-01', INTERVAL '2 days'
        "TYPE",  # the target type of a cast
        "OPERATOR",  # see ALLOWED_OPERATORS
        "FUNCTION",  # see ALLOWED_FUNCTIONS
        "LAMBDA",  # lambda x: x > 0, only as an argument of LAMBDA_FUNCTIONS
    }
)

#: Kinds of OPERATOR node allowed.
ALLOWED_OPERATORS: Final[frozenset[str]] = frozenset(
    {
        "OPERATOR_NOT",
        "OPERATOR_IS_NULL",
        "OPERATOR_IS_NOT_NULL",
        "COMPARE_IN",  # x IN ('a', 'b'): a list of values (IN (SELECT …) is a SUBQUERY)
        "COMPARE_NOT_IN",
        "OPERATOR_COALESCE",  # coalesce(a, b, …)
        "OPERATOR_TRY",  # TRY(expr): NULL instead of an error
        "ARRAY_EXTRACT",  # text[1], list[1]
        "ARRAY_SLICE",  # text[1:3]
        "STRUCT_EXTRACT",
    }
)

#: Functions with a lambda argument; a lambda anywhere else is refused.
LAMBDA_FUNCTIONS: Final[frozenset[str]] = frozenset(
    {
        "list_transform",
        "array_transform",
        "apply",
        "list_apply",
        "list_filter",
        "array_filter",
        "filter",
    }
)

#: Functions and operators a condition may call: DuckDB built-ins that only compute a
#: value from their arguments — no clock, no randomness, no environment, no files, no
#: catalog, no state. Names as DuckDB's parser gives them (operators are functions
#: named by their symbol; ``LIKE`` is ``~~``, ``GLOB`` is ``~~~``, ``SIMILAR TO`` is
#: ``regexp_full_match``, ``EXTRACT(year FROM d)`` is ``date_part``, ``x IN [1, 2]`` is
#: ``contains``, ``INTERVAL 2 DAY`` is ``to_days(trunc(…))``). Aggregates (``sum``,
#: ``count``) are not here: a condition looks at one row at a time.
ALLOWED_FUNCTIONS: Final[frozenset[str]] = frozenset(
    {
        # arithmetic and string operators
        *("+", "-", "*", "/", "//", "%", "**", "^", "@", "||"),
        # LIKE / NOT LIKE / ILIKE / NOT ILIKE / GLOB, ^@ (starts with), list containment
        *("~~", "!~~", "~~*", "!~~*", "~~~", "^@", "@>", "<@"),
        # numbers
        *("abs", "ceil", "ceiling", "floor", "round", "trunc", "sign", "mod"),
        *("power", "pow", "sqrt", "isnan", "isfinite"),
        # choosing values
        *("greatest", "least", "nullif", "if"),
        # text
        *("lower", "upper", "lcase", "ucase", "trim", "ltrim", "rtrim"),
        *("length", "len", "strlen", "char_length", "character_length"),
        *("contains", "starts_with", "ends_with", "prefix", "suffix"),
        *("like_escape", "ilike_escape", "regexp_matches", "regexp_full_match"),
        *("regexp_replace", "regexp_extract", "concat", "concat_ws", "substring", "substr"),
        *("replace", "left", "right", "strpos", "instr", "position", "split_part"),
        *("lpad", "rpad", "reverse", "string_split"),
        # dates and times (of columns and constants; "now" is the column as_of)
        *("date_diff", "datediff", "date_sub", "datesub", "date_add", "date_trunc"),
        *("datetrunc", "date_part", "datepart", "year", "month", "day", "dayofweek"),
        *("isodow", "dayofmonth", "dayofyear", "week", "weekofyear", "quarter"),
        *("hour", "minute", "second", "yearweek", "last_day", "make_date"),
        *("strftime", "strptime", "epoch"),
        # intervals (INTERVAL 2 DAY, to_hours(4))
        *("to_days", "to_hours", "to_minutes", "to_seconds", "to_weeks", "to_months"),
        "to_years",
        # lists: [a, b], membership, and the lambda functions
        *("list_value", "list_contains", "list_has", "array_contains", "array_has"),
        *("list_position", "list_has_any", "list_has_all", "array_has_any"),
        *("array_has_all", "array_length"),
        *LAMBDA_FUNCTIONS,
    }
)

#: Names that read the machine clock. Refused: the views pin "now" in the column
#: ``as_of`` (tests, ``--now`` and backtests move it), and the machine clock would not
#: follow. ``current_date`` is refused too; ``as_of::DATE`` is the same day in the
#: workspace's time zone, pinned.
CLOCK_NAMES: Final[frozenset[str]] = frozenset(
    {
        "now",
        "current_timestamp",
        "get_current_timestamp",
        "transaction_timestamp",
        "localtimestamp",
        "current_localtimestamp",
        "current_date",
        "today",
        "current_time",
        "get_current_time",
        "localtime",
        "current_localtime",
    }
)

# Why some well-known functions are refused (anything not allowed gets a reason).
_REFUSED: Final[dict[str, str]] = {
    "getenv": "reads the environment",
    "age": "counts from the machine clock; use date_diff('day', x, as_of)",
    "current_setting": "reads the database's settings",
    "getvariable": "reads session variables (use the column as_of for now)",
    "random": "changes on every call",
    "setseed": "changes the session",
    "uuid": "changes on every call",
    "gen_random_uuid": "changes on every call",
    "nextval": "changes a sequence",
    "currval": "reads a sequence",
    "read_text": "reads files",
    "read_blob": "reads files",
    "query": "runs a query",
    "query_table": "reads a table",
    "json_execute_serialized_sql": "runs a query",
    "sql_auto_complete": "reads the catalog",
}

MAX_LENGTH: Final = 10_000
_PROBE: Final = "ordertrack_condition_probe"  # the FROM of the parse wrapper
_HEAD: Final = "SELECT ("
_EXAMPLE: Final = "write one expression such as amount > 100000"
# Keywords that start a statement (as the first word, they cannot start an expression).
_STATEMENT_WORDS: Final = frozenset(
    {"install", "load", "create", "drop", "copy", "export", "import", "attach", "detach"}
    | {"pragma", "set", "reset", "call", "insert", "update", "delete", "alter", "vacuum"}
    | {"checkpoint", "use", "begin", "commit", "rollback", "prepare", "execute", "select"}
    | {"with", "from", "summarize", "describe", "show", "explain", "analyze", "truncate"}
    | {"merge", "grant", "revoke", "deallocate", "start", "abort", "end", "values", "table"}
)


# -- the API --------------------------------------------------------------------------------


def check_condition(
    expr: str,
    *,
    view: str = "v_order_facts",
    con: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Raise :class:`ConditionError` unless ``expr`` is one boolean expression over ``view``.

    A ``view`` that does not exist is the caller's mistake: a plain :class:`ValueError`.

    ``con``: the workspace's connection, whose view gives the columns and their types
    (and which must not redefine a built-in function the condition calls); without it,
    ordertrack's own schema does. The condition never runs in ``con``: once the tree
    walk has passed, it is compiled and evaluated on one row of NULLs in a private
    in-memory database, which finds non-boolean results and constants that do not
    convert (``promised_date < '2026-13-01'``).
    """
    if not isinstance(expr, str):
        raise ConditionError(f"the condition must be text, not {type(expr).__name__}")
    if not expr.strip():
        raise ConditionError("the condition is empty")
    if len(expr) > MAX_LENGTH:
        raise ConditionError(f"the condition is longer than {MAX_LENGTH} characters")
    _check_characters(expr)
    tokens = _tokens(expr)
    _check_tokens(tokens)
    with _private() as pcon:
        tree = _parse(pcon, expr, tokens)
        item = _select_item(tree)
        walker = _Walker(view)
        try:
            walker.expression(item, frozenset())
        except _NotAllowed as e:
            raise _explain_refusal(pcon, e) from None
        except RecursionError:
            raise ConditionError("the condition is nested too deeply") from None
        columns = _view_columns(view, con)
        _check_columns(walker.columns, [name for name, _ in columns], view)
        if con is not None:
            _check_not_shadowed(con, walker.functions)
        _compile(pcon, expr, columns)


def referenced_columns(expr: str, view: str = "v_order_facts") -> frozenset[str]:
    """The view's columns a (valid) condition reads, so the rule engine computes only those.

    Raises :class:`ConditionError` like :func:`check_condition` for what it cannot walk.
    """
    tokens = _tokens(expr)
    _check_tokens(tokens)
    with _private() as pcon:
        item = _select_item(_parse(pcon, expr, tokens))
        walker = _Walker(view)
        try:
            walker.expression(item, frozenset())
        except _NotAllowed as e:
            raise _explain_refusal(pcon, e) from None
    return frozenset(c.lower() for c in walker.columns)


def column_names(view: str, con: duckdb.DuckDBPyConnection | None = None) -> list[str]:
    """The columns of ``view`` in order (in ``con``, else in ordertrack's own schema)."""
    return [name for name, _ in _view_columns(view, con)]


def _view_columns(view: str, con: duckdb.DuckDBPyConnection | None) -> tuple[tuple[str, str], ...]:
    """(name, SQL type) of each column of ``view``."""
    if con is None:
        return _own_view_columns(view)
    quoted = '"' + view.replace('"', '""') + '"'
    try:
        rel = con.sql(f"SELECT * FROM {quoted}")  # bound, not run
    except duckdb.CatalogException:
        raise ValueError(f"there is no view or table named {view!r}") from None
    return tuple(zip(rel.columns, (str(t) for t in rel.types), strict=True))


@functools.lru_cache(maxsize=8)
def _own_view_columns(view: str) -> tuple[tuple[str, str], ...]:
    with _private() as pcon:
        return _view_columns(view, pcon)


# -- the private schema database ------------------------------------------------------------

_lock = threading.Lock()
_base: duckdb.DuckDBPyConnection | None = None


def _schema_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory database with ordertrack's tables and views, made once per process."""
    global _base
    with _lock:
        if _base is None:
            from ordertrack.store import Store

            store = Store.open(Path(":memory:"), create=True)
            # Belt and braces: nothing run here may reach files, the network or settings.
            store.con.execute("SET enable_external_access = false")
            store.con.execute("SET lock_configuration = true")
            _base = store.con
        return _base


class _private:
    """``with _private() as con:`` a cursor (own connection) on the schema database."""

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        self.con = _schema_connection().cursor()
        return self.con

    def __exit__(self, *exc: object) -> None:
        self.con.close()


# -- text-level checks (on DuckDB's tokens, not patterns) ---------------------------------


def _check_characters(expr: str) -> None:
    try:
        expr.encode("utf-8")
    except UnicodeEncodeError:
        raise ConditionError("the condition is not valid text (a lone surrogate)") from None
    if "\x00" in expr:
        raise ConditionError("the condition contains a NUL character")


def _tokens(expr: str) -> list[tuple[str, str]]:
    """(kind, text) of each token, from DuckDB's own tokenizer (which counts in bytes)."""
    try:
        tokens = duckdb.tokenize(expr)
    except (duckdb.Error, RuntimeError) as e:
        raise ConditionError(f"not a valid SQL expression: {duckdb_message(e)}") from None
    data = expr.encode("utf-8")
    out = []
    for i, (start, kind) in enumerate(tokens):
        end = tokens[i + 1][0] if i + 1 < len(tokens) else len(data)
        out.append((kind.name, data[start:end].decode("utf-8", "replace").strip()))
    return out


def _check_tokens(tokens: list[tuple[str, str]]) -> None:
    """Comments, ``;``, unpaired parentheses and statements are refused outright.

    Comments are refused rather than trusted to be harmless: the condition is later
    embedded in the engines' own SQL, where ``-- …`` would swallow what follows.
    Balanced parentheses keep the condition from closing the wrapper's ``(``.
    """
    first = tokens[0][1].lower() if tokens else ""
    if tokens and tokens[0][0] == "keyword" and first in _STATEMENT_WORDS:
        raise ConditionError(f"{first.upper()} starts a statement, not a condition; {_EXAMPLE}")
    depth = 0
    for kind, text in tokens:
        if kind == "comment":
            raise ConditionError(
                "SQL comments (-- or /* */) are not allowed in a condition; "
                "write comments in ordertrack.toml after #"
            )
        if kind != "operator":
            continue
        if ";" in text:
            raise ConditionError(
                "only one expression is allowed: ';' ends a statement and cannot appear "
                "outside quotes"
            )
        for ch in text:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    raise ConditionError("a ')' has no matching '('")
    if depth > 0:
        raise ConditionError("a '(' is not closed")


# -- parsing --------------------------------------------------------------------------------


def _parse(
    con: duckdb.DuckDBPyConnection, expr: str, tokens: list[tuple[str, str]]
) -> dict[str, Any]:
    sql = f"{_HEAD}{expr}) FROM {_PROBE}"
    rows = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    try:
        tree: dict[str, Any] = json.loads(rows[0][0]) if rows else {"error": True}
    except RecursionError:
        raise ConditionError("the condition is nested too deeply") from None
    if tree.get("error"):
        raise ConditionError(_parse_failure(con, expr, tokens, tree))
    return tree


def _parse_failure(
    con: duckdb.DuckDBPyConnection,
    expr: str,
    tokens: list[tuple[str, str]],
    tree: dict[str, Any],
) -> str:
    """Why the wrapper did not parse: a statement where an expression belongs, or syntax."""
    try:
        statements = con.extract_statements(expr)  # parses only
    except duckdb.Error:
        statements = []
    if statements:
        first = tokens[0][1].upper() if tokens else ""
        shown = first if first.lower() in _STATEMENT_WORDS else statements[0].type.name
        return f"{shown} is a statement, not a condition; {_EXAMPLE}"
    message = str(tree.get("error_message") or "syntax error")
    return f"not a valid SQL expression: {message}"


def _select_item(tree: dict[str, Any]) -> dict[str, Any]:
    """The one expression of ``SELECT (<expr>) FROM probe``; anything else is refused."""
    statements = tree.get("statements") or []
    if len(statements) != 1:
        raise ConditionError(f"only one expression is allowed; {_EXAMPLE}")
    statement = statements[0]
    node = statement.get("node") or {}
    if node.get("type") != "SELECT_NODE":
        raise ConditionError(f"not a single expression; {_EXAMPLE}")
    items = node.get("select_list") or []
    if len(items) != 1:
        raise ConditionError(
            f"one expression only, found {len(items)} (a comma outside a function call?)"
        )
    source = node.get("from_table") or {}
    plain_probe = (
        source.get("type") == "BASE_TABLE"
        and source.get("table_name") == _PROBE
        and not source.get("schema_name")
        and not source.get("catalog_name")
        and not source.get("alias")
        and not source.get("column_name_alias")
        and source.get("at_clause") is None
        and source.get("sample") is None
    )
    extras = [
        key for key in ("where_clause", "having", "qualify", "sample") if node.get(key) is not None
    ]
    extras += [key for key in ("modifiers", "group_expressions", "group_sets") if node.get(key)]
    if (node.get("cte_map") or {}).get("map"):
        extras.append("cte")
    if node.get("aggregate_handling", "STANDARD_HANDLING") != "STANDARD_HANDLING":
        extras.append("aggregate_handling")
    if not plain_probe or extras:
        raise ConditionError(f"not a single expression (it reads a table?); {_EXAMPLE}")
    item: dict[str, Any] = items[0]
    if item.get("alias"):
        raise ConditionError("a condition cannot have an alias (AS …)")
    return item


# -- the tree walk ------------------------------------------------------------------------

_TABLE_KEYS: Final = frozenset({"node", "from_table", "select_list", "table_name", "subquery"})
_TABLE_REF_TYPES: Final = frozenset(
    {"BASE_TABLE", "JOIN", "SUBQUERY", "TABLE_FUNCTION", "EXPRESSION_LIST", "CTE", "PIVOT"}
    | {"SHOW_REF", "COLUMN_DATA", "DELIM_GET", "EMPTY"}
)


class _Walker:
    """Walks one serialized expression, refusing what is not allowed.

    It collects the column names and function names used (``columns``, ``functions``)
    for the checks that need a database.
    """

    def __init__(self, view: str) -> None:
        self.view = view
        self.columns: list[str] = []
        self.functions: set[str] = set()

    def expression(self, node: dict[str, Any], params: frozenset[str]) -> None:
        cls = str(node.get("class", ""))
        if cls == "SUBQUERY":
            raise ConditionError("a subquery is not allowed here")
        if cls == "WINDOW":
            raise ConditionError(
                "a window function (… OVER …) is not allowed: a condition looks at one row"
            )
        if cls == "STAR":
            raise ConditionError("* and COLUMNS(…) are not allowed; name the columns")
        if cls == "PARAMETER":
            raise ConditionError("parameters (? or $1) are not allowed; write the value")
        if cls == "COLLATE":
            raise ConditionError("COLLATE is not allowed; use lower(…) to compare without case")
        if cls == "LAMBDA":
            raise ConditionError(
                "a lambda (lambda x: …) is only allowed inside "
                + ", ".join(sorted(LAMBDA_FUNCTIONS))
            )
        if cls not in ALLOWED_EXPRESSIONS:
            raise ConditionError(f"{cls.lower().replace('_', ' ') or 'this'} is not allowed here")
        if cls == "COLUMN_REF":
            self._column(node, params)
            return
        if cls == "OPERATOR" and node.get("type") not in ALLOWED_OPERATORS:
            raise ConditionError(f"the operator {node.get('type')} is not allowed here")
        if cls == "FUNCTION":
            self._function(node, params)
            return
        if cls == "TYPE" and (node.get("schema") or node.get("catalog")):
            raise ConditionError(f"cast to a built-in type, not {node.get('schema')}.…")
        self._children(node, params)

    def _children(self, value: Any, params: frozenset[str]) -> None:
        """Walk every expression below ``value`` (refusing any table or query in it)."""
        if isinstance(value, list):
            for v in value:
                if isinstance(v, dict) and "class" in v:
                    self.expression(v, params)
                else:
                    self._children(v, params)
        elif isinstance(value, dict):
            kind = value.get("type")
            if _TABLE_KEYS & value.keys() or (isinstance(kind, str) and kind in _TABLE_REF_TYPES):
                raise ConditionError(
                    f"a condition cannot read tables; use the columns of {self.view}"
                )
            for key, v in value.items():
                if isinstance(v, dict) and "class" in v:
                    self.expression(v, params)
                elif key != "literal":
                    self._children(v, params)

    def _column(self, node: dict[str, Any], params: frozenset[str]) -> None:
        names = [str(n) for n in node.get("column_names") or []]
        if not names:
            raise ConditionError("an empty column name is not allowed")
        if names[0].lower() in params:
            return  # a lambda's parameter (or a field of it)
        if len(names) > 1:
            raise ConditionError(
                f'write the column name alone ("{names[-1]}"), not "{".".join(names)}"'
            )
        name = names[0]
        if name.lower() in CLOCK_NAMES:
            raise ConditionError(_clock_message(name))
        self.columns.append(name)

    def _function(self, node: dict[str, Any], params: frozenset[str]) -> None:
        name = str(node.get("function_name", ""))
        low = name.lower()
        if node.get("schema") or node.get("catalog"):
            raise ConditionError(f"write the function name alone ({name}), without a schema")
        if low in CLOCK_NAMES:
            raise ConditionError(_clock_message(f"{name}()"))
        if low == "row":
            raise ConditionError(
                "one expression only, not a list (a, b); join conditions with AND or OR"
            )
        if low in _REFUSED:
            raise ConditionError(f"{name}() is not allowed here: it {_REFUSED[low]}")
        if node.get("filter") is not None or node.get("distinct") or node.get("export_state"):
            raise ConditionError(f"{name}(): FILTER, DISTINCT and EXPORT_STATE are not allowed")
        if (node.get("order_bys") or {}).get("orders"):
            raise ConditionError(f"{name}(): ORDER BY inside a function call is not allowed")
        if low not in ALLOWED_FUNCTIONS:
            raise _NotAllowed(name)  # check_condition says why, by the function's kind
        self.functions.add(low)
        for arg in node.get("arguments") or []:
            expression = arg.get("expression") if isinstance(arg, dict) else None
            if not isinstance(expression, dict):
                self._children(arg, params)
            elif expression.get("class") == "LAMBDA" and low in LAMBDA_FUNCTIONS:
                self._lambda(expression, params)
            else:
                self.expression(expression, params)

    def _lambda(self, node: dict[str, Any], params: frozenset[str]) -> None:
        lhs = node.get("lhs") or {}
        refs = [lhs]
        if lhs.get("class") == "FUNCTION" and lhs.get("function_name") == "row":
            refs = [a.get("expression") or {} for a in lhs.get("arguments") or []]
        names: set[str] = set()
        for ref in refs:
            parts = ref.get("column_names") or []
            if ref.get("class") != "COLUMN_REF" or len(parts) != 1:
                raise ConditionError("a lambda's parameters must be plain names (lambda x: …)")
            names.add(str(parts[0]).lower())
        body = node.get("expr")
        if not isinstance(body, dict):
            raise ConditionError("a lambda needs a body (lambda x: …)")
        self.expression(body, params | names)


class _NotAllowed(ConditionError):
    """A function outside the allowlist; the message is finished once its kind is known."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name}() is not allowed in a condition")
        self.name = name


def _clock_message(name: str) -> str:
    if name.lower().startswith("current_date") or name.lower().startswith("today"):
        instead = "as_of::DATE"
    else:
        instead = "the column as_of"
    return (
        f"{name} reads the machine clock; use {instead} instead "
        '(as_of is the view\'s "now", which ordertrack pins for tests and backtests)'
    )


def _explain_refusal(con: duckdb.DuckDBPyConnection, err: _NotAllowed) -> ConditionError:
    """Say why a function outside the allowlist was refused (by its kind in DuckDB)."""
    name = err.name
    rows = con.execute(
        "SELECT any_value(function_type) FROM duckdb_functions()"
        " WHERE database_name = 'system' AND function_name = lower(?)",
        [name],
    ).fetchall()
    kind = rows[0][0] if rows else None
    if kind == "aggregate":
        return ConditionError(
            f"{name}() is an aggregate; a condition looks at one row at a time "
            "(the view already has totals such as line_count and shortage_qty)"
        )
    if kind in ("table", "table_macro"):
        return ConditionError(f"{name}() reads tables or files; a condition cannot")
    if kind is None:
        near = difflib.get_close_matches(name.lower(), sorted(ALLOWED_FUNCTIONS), n=1)
        hint = f'; did you mean "{near[0]}"?' if near else ""
        return ConditionError(f'unknown function "{name}"{hint}')
    return ConditionError(f"{name}() is not allowed in a condition")


def _check_columns(used: list[str], columns: list[str], view: str) -> None:
    known = {c.lower() for c in columns}
    for name in used:
        if name.lower() in known:
            continue
        near = difflib.get_close_matches(name.lower(), [c.lower() for c in columns], n=1)
        if near:
            spelled = next(c for c in columns if c.lower() == near[0])
            raise ConditionError(f'unknown column "{name}"; did you mean "{spelled}"?')
        raise ConditionError(f'unknown column "{name}" (columns of {view}: {", ".join(columns)})')


def _check_not_shadowed(con: duckdb.DuckDBPyConnection, used: set[str]) -> None:
    """A macro in the database may not stand in for a built-in function."""
    names = sorted(n for n in used if n.isidentifier())
    if not names:
        return
    # The functions this query calls are named with their catalog: in this database
    # they may be redefined too. fetchall, not fetchone: DuckDB 2 keeps an unfinished
    # result open on the caller's connection, and its next relation call would fail.
    rows = con.execute(
        "SELECT function_name, database_name FROM system.main.duckdb_functions()"
        " WHERE database_name <> 'system'"
        " AND system.main.list_contains(?, system.main.lower(function_name))"
        " ORDER BY function_name LIMIT 1",
        [names],
    ).fetchall()
    if rows:
        raise ConditionError(
            f"{rows[0][0]}() is redefined in the database ({rows[0][1]}); a condition may "
            "only call DuckDB's built-in functions"
        )


# -- compiling ------------------------------------------------------------------------------


def _compile(
    con: duckdb.DuckDBPyConnection, expr: str, columns: tuple[tuple[str, str], ...]
) -> None:
    """Evaluate the (walked, allowed) condition on one row of NULLs; it must be boolean.

    ``con`` is the private database: the row is a table there with the view's column
    names and types, so binding is exactly as against the view, and evaluating the
    row turns bad constants ('abc' compared with a date) into errors now rather than
    during a sweep.
    """
    table = _probe_table(con, columns)
    sql = f"{_HEAD}{expr}) AS ordertrack_condition FROM {table}"
    try:
        rel = con.sql(sql)
        kind = str(rel.types[0]).strip('"')
        rel.fetchall()
    except duckdb.Error as e:
        raise ConditionError(duckdb_message(e)) from None
    if kind == "NULL":
        raise ConditionError("the condition must be true or false, but it is always NULL")
    if kind != "BOOLEAN":
        raise ConditionError(
            f"the condition must be true or false, but it gives a {kind} value "
            "(compare it, e.g. amount > 0)"
        )


def _probe_table(con: duckdb.DuckDBPyConnection, columns: tuple[tuple[str, str], ...]) -> str:
    """A one-row table of NULLs with these columns in the private database (made once)."""
    signature = json.dumps(columns).encode("utf-8")
    table = "probe_" + hashlib.sha256(signature).hexdigest()[:16]
    with _lock:
        if table in _probes:
            return table
        kinds = []
        for _, kind in columns:
            try:
                con.execute(f"SELECT NULL::{kind}").fetchall()
            except duckdb.Error:
                kind = "VARCHAR"  # a type of the workspace's own (an ENUM): close enough
            kinds.append(kind)
        select = ", ".join(
            f'NULL::{kind} AS "{name.replace(chr(34), chr(34) * 2)}"'
            for (name, _), kind in zip(columns, kinds, strict=True)
        )
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT {select}")
        _probes.add(table)
    return table


_probes: set[str] = set()
