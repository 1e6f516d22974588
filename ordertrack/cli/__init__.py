"""The ``ordertrack`` command: thin wrappers over the library, one module per group.

This package is the only place that imports typer and rich, prints, or exits. Errors
raised by the library (``ordertrack.errors``) are turned into ``Error: …`` on stderr and
the error's exit code in one place, :class:`_Boundary`.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ordertrack import __version__
from ordertrack.cli._common import make_typer
from ordertrack.errors import OrdertrackError


class _Boundary(TyperGroup):
    """The error boundary: library errors become ``Error: …`` + hint and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except OrdertrackError as e:
            report_error(e)
            raise typer.Exit(e.exit_code) from None


def report_error(e: OrdertrackError) -> None:
    typer.echo(f"Error: {e.message}", err=True)
    if e.hint:
        typer.echo(f"Hint: {e.hint}", err=True)


app = make_typer(
    "ordertrack: order-fulfilment monitoring over a local DuckDB file.\n\n"
    "Import spreadsheet exports into one order center, move orders through stages, "
    "warn before they go late, and report KPIs. Start with [bold]ordertrack init[/bold] "
    "or [bold]ordertrack demo[/bold].",
    cls=_Boundary,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ordertrack {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """ordertrack: order-fulfilment monitoring over a local DuckDB file."""


# Command modules register themselves on import; they import the library lazily.
from ordertrack.cli import (  # noqa: E402
    alerts_cmd,
    config_cmd,
    data_cmd,
    flow_cmd,
    imports_cmd,
    report_cmd,
    schedule_cmd,
    workspace_cmd,
)

app.add_typer(config_cmd.app, name="config")
app.add_typer(imports_cmd.imports_app, name="imports")
app.add_typer(imports_cmd.profile_app, name="profile")
app.add_typer(flow_cmd.flow_app, name="flow")
app.add_typer(flow_cmd.orders_app, name="orders")
app.add_typer(alerts_cmd.alerts_app, name="alerts")
app.add_typer(alerts_cmd.tasks_app, name="tasks")
app.add_typer(alerts_cmd.outbox_app, name="outbox")
app.add_typer(report_cmd.report_app, name="report")
app.add_typer(schedule_cmd.schedule_app, name="schedule")
workspace_cmd.register(app)
data_cmd.register(app)
imports_cmd.register(app)
flow_cmd.register(app)


def main() -> None:
    """Console-script entry point."""
    sys.exit(app(prog_name="ordertrack") or 0)
