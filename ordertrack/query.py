"""``ordertrack sql``: one read-only query for power users."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from ordertrack.errors import QueryRefused, UserError
from ordertrack.store.errors import sql_error
from ordertrack.workspace import Workspace

# Statement types that only read. Anything else is refused before it runs, and the
# connection is read-only besides (belt and braces).
READ_TYPES = {"SELECT", "EXPLAIN", "PRAGMA", "RELATION"}


@dataclass
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


def check_read_only(
    con: duckdb.DuckDBPyConnection, query: str, command: str = "ordertrack sql"
) -> None:
    """Refuse anything but a single reading statement, naming what was found."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as e:
        raise sql_error(e) from None
    if not statements:
        raise QueryRefused(
            "the query is empty", hint='Example: ordertrack sql "SELECT * FROM orders"'
        )
    if len(statements) > 1:
        raise QueryRefused(
            f"one statement at a time, got {len(statements)}",
            hint="Run each statement separately.",
        )
    kind = statements[0].type.name
    if kind not in READ_TYPES:
        article = "an" if kind[0] in "AEIOU" else "a"
        raise QueryRefused(
            f"`{command}` only reads; {article} {kind} statement would change the database "
            "and was not run",
            hint="Use the ordertrack command that makes the change (import, advance, …); "
            "the database is unchanged.",
        )


def run_sql(ws: Workspace, query: str, limit: int | None = None) -> QueryResult:
    """Run one read-only statement on a read-only connection (at most ``limit`` rows)."""
    if limit is not None and limit < 0:
        raise UserError(f"the limit must be 0 or more, got {limit}")
    with ws.connect(read_only=True) as store:
        check_read_only(store.con, query)
        try:
            rel = store.con.execute(query)
            columns = [d[0] for d in rel.description or []]
            types = [str(d[1]) for d in rel.description or []]
            rows = rel.fetchmany(limit) if limit is not None else rel.fetchall()
        except duckdb.Error as e:
            from ordertrack.store.errors import translate

            err = translate(e, store.path)
            if err is not e:
                raise err from None
            raise sql_error(e) from None
        return QueryResult(columns, types, rows)
