"""Options and helpers shared by every command group (defined once)."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from ordertrack.workspace import Workspace


def make_typer(help_text: str, **kwargs: Any) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        rich_markup_mode="rich",
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,  # bugs: a plain traceback, never local variables
        **kwargs,
    )


WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: the current folder or a parent with ordertrack.toml).",
        envvar="ORDERTRACK_HOME",
        show_default=False,
    ),
]
WaitOpt = Annotated[
    float,
    typer.Option(
        "--wait",
        help="Seconds to wait while another ordertrack process holds the database (exit 3 after).",
        min=0,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ByOpt = Annotated[
    str | None,
    typer.Option("--by", help="Who does it (default: ORDERTRACK_USER, else the OS login)."),
]


def open_ws(workspace: Path | None, wait: float = 0.0) -> Workspace:
    from ordertrack.workspace import open_workspace

    return open_workspace(workspace, wait=wait)


_console: dict[bool, Console] = {}


def console(stderr: bool = False) -> Console:
    """A rich console; plain (no colour) when not a terminal or NO_COLOR is set."""
    if stderr not in _console:
        from rich.console import Console

        _console[stderr] = Console(stderr=stderr, highlight=False, soft_wrap=False)
    return _console[stderr]


def reset_consoles() -> None:
    """Forget consoles (tests swap stdout/stderr between invocations)."""
    _console.clear()


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def print_json(data: Any) -> None:
    # indented for people; a big result compact (json's indented encoder is slow Python)
    compact = json.dumps(data, ensure_ascii=False, default=_default)
    if len(compact) > 1_000_000:
        typer.echo(compact)
    else:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def is_tty() -> bool:
    return os.isatty(2) and os.environ.get("TERM") != "dumb"


def cell(value: Any) -> str:
    """A value as shown in a table cell."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    """Rows as a table (column names from the first row); "(nothing)" when there are none.
    Cells are text, never markup."""
    from rich.table import Table
    from rich.text import Text

    if not rows:
        console().print("(nothing)")
        return
    table = Table()
    for name in rows[0]:
        table.add_column(name, overflow="fold")
    for r in rows:
        table.add_row(*(Text(cell(v)) for v in r.values()))
    console().print(table)
