"""``sql``: read-only queries for power users."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated

import typer

from ordertrack.cli._common import (
    WaitOpt,
    WorkspaceOpt,
    _default,
    cell,
    console,
    open_ws,
)
from ordertrack.words import counted

FORMATS = ("table", "csv", "json", "markdown")


def register(app: typer.Typer) -> None:
    app.command("sql")(sql)


def sql(
    query: Annotated[str, typer.Argument(help="One SELECT (or EXPLAIN/PRAGMA) statement.")],
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Output format: table, csv, json or markdown.")
    ] = "table",
    limit: Annotated[
        int | None, typer.Option("--limit", help="Print at most this many rows.", min=0)
    ] = None,
) -> None:
    """Run a read-only SQL query against the order center (writes are refused, exit 2)."""
    from ordertrack.errors import UserError
    from ordertrack.query import run_sql

    if fmt not in FORMATS:
        raise UserError(f'unknown format "{fmt}"', hint=f"Use one of: {', '.join(FORMATS)}.")
    result = run_sql(open_ws(workspace, wait), query, limit=limit)
    if fmt == "json":
        twice = sorted({c for c in result.columns if result.columns.count(c) > 1})
        if twice:  # a JSON object keeps one of them: refuse rather than drop a column
            raise UserError(
                f"column names appear more than once: {', '.join(twice)}; JSON needs each once",
                hint="Name the columns apart with AS, e.g. SELECT a.id AS order_id, b.id AS line_id.",
            )
        rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=_default))
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(result.columns)
        w.writerows([["" if v is None else v for v in r] for r in result.rows])
        typer.echo(buf.getvalue(), nl=False)
    elif fmt == "markdown":
        lines = [
            "| " + " | ".join(result.columns) + " |",
            "|" + "|".join("---" for _ in result.columns) + "|",
        ]
        lines += [
            "| " + " | ".join(cell(v).replace("|", "\\|") for v in r) + " |" for r in result.rows
        ]
        typer.echo("\n".join(lines))
    else:
        from rich.table import Table
        from rich.text import Text

        # Column names and values are data, not rich markup ("[/]" in a cell must print).
        table = Table()
        for name, type_ in zip(result.columns, result.types, strict=True):
            numeric = any(
                t in type_.upper() for t in ("INT", "DECIMAL", "DOUBLE", "FLOAT", "NUMBER")
            )
            table.add_column(Text(name), justify="right" if numeric else "left")
        for r in result.rows:
            table.add_row(*(Text(cell(v)) for v in r))
        console().print(table)
        console(stderr=True).print(counted(len(result.rows), "row"), style="dim")
