"""``advance``, ``hold|resume|cancel|reopen``, ``whoami``, ``log``, ``flow …``, ``orders …``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ordertrack.cli._common import (
    ByOpt,
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    cell,
    console,
    make_typer,
    open_ws,
    print_json,
    print_table,
)

if TYPE_CHECKING:
    from ordertrack.flow import MoveResult

flow_app = make_typer("Show and check the configured flow of stages.")
orders_app = make_typer("Look at orders: lists and one order's timeline.")


def register(app: typer.Typer) -> None:
    app.command("advance")(advance)
    for action in ("hold", "resume", "cancel", "reopen"):
        app.command(action, help=_STATE_HELP[action])(_state_command(action))
    app.command("whoami")(whoami)
    app.command("log")(log)


def advance(
    order: Annotated[str | None, typer.Argument(help="Order number (or use --from-file).")] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Target stage (default: the next that applies).")
    ] = None,
    by: ByOpt = None,
    note: Annotated[str | None, typer.Option("--note", help="Why; recorded with the move.")] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Allow moving back, or jumping over stages that apply (needs --note)."
        ),
    ] = False,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", help="An export listing order numbers (and target stages)."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="With --from-file: any refusal moves nothing (exit 2).")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; move nothing.")] = False,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """Move an order to its next stage (or --to a stage), or a batch with --from-file.

    Exit 2 when a single move is refused (nothing changes). With --from-file, the moves
    that are allowed happen in one transaction and each refusal is listed (exit 0; with
    --strict, any refusal: exit 2 and nothing moves).
    """
    from ordertrack.errors import UserError
    from ordertrack.flow import advance_from_file, advance_many

    ws = open_ws(workspace, wait)
    if (order is None) == (from_file is None):
        raise UserError(
            "name one order, or give --from-file FILE",
            hint="ordertrack advance SO-1001 --to picking",
        )
    if from_file is not None:
        if to is not None:
            raise UserError("--to goes with one order; in a file, give a stage column")
        result = advance_from_file(
            ws, from_file, by=by, note=note, force=force, strict=strict, dry_run=dry_run
        )
    else:
        assert order is not None
        result = advance_many(
            ws, [(order, to)], by=by, note=note, force=force, strict=True, dry_run=dry_run
        )
    if json_:
        print_json(result.asdict())
        return
    render_moves(result)


def render_moves(result: MoveResult) -> None:
    """Plain lines (no rich: a single move should not pay for loading it)."""
    echo = typer.echo
    verb = "would move" if result.dry_run else "moved"
    for t in result.moved[:50]:
        skipped = f" (passed over: {', '.join(t.skipped)})" if t.skipped else ""
        echo(f"{t.order_id}: {t.from_stage} → {t.to_stage}{skipped}")
    if len(result.moved) > 50:
        echo(f"… and {len(result.moved) - 50} more")
    echo(
        f"{len(result.moved)} order{'s' if len(result.moved) != 1 else ''} {verb}"
        + (f", {len(result.refused)} refused" if result.refused else "")
    )
    if result.tasks:
        echo(f"{result.tasks} task{'s' if result.tasks != 1 else ''} created")
    for f in result.forms:
        echo(f"form written: {f}")
    for r in result.refused[:20]:
        where = f"row {r.row}: " if r.row is not None else ""
        echo(f"refused: {where}{r.order_id or '(blank)'}: {r.reason}", err=True)
    if len(result.refused) > 20:
        echo(f"… and {len(result.refused) - 20} more refusals (all of them: --json)", err=True)


_STATE_HELP = {
    "hold": "Put an order on hold (it stops moving and its alerts are muted).",
    "resume": "Take an order off hold.",
    "cancel": "Cancel an order (kept, never deleted; reopen undoes it).",
    "reopen": "Reopen a cancelled or closed order.",
}


def _state_command(action: str) -> Callable[..., None]:
    def command(
        order: Annotated[str, typer.Argument(help="Order number.")],
        reason: Annotated[str, typer.Option("--reason", help="Why (required; recorded).")],
        by: ByOpt = None,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0,
        json_: JsonOpt = False,
    ) -> None:
        from dataclasses import asdict

        from ordertrack.flow import change_state

        change = change_state(open_ws(workspace, wait), order, action, reason=reason, by=by)
        if json_:
            print_json(asdict(change))
            return
        console().print(
            f"{change.order_id}: {change.from_state} → {change.to_state} "
            f"(in {change.stage}; by {change.actor})",
            markup=False,
        )

    command.__doc__ = _STATE_HELP[action]
    command.__name__ = action
    return command


def whoami(by: ByOpt = None, workspace: WorkspaceOpt = None, json_: JsonOpt = False) -> None:
    """Who ordertrack thinks you are, your roles, and which stages you may move orders out of."""
    from dataclasses import asdict

    from ordertrack.flow import whoami as who

    me = who(open_ws(workspace), by)
    if json_:
        print_json(asdict(me))
        return
    out = console()
    out.print(f"{me.actor}: {', '.join(me.roles) or 'no role'}", markup=False)
    if not me.enforced:
        out.print(
            "Nobody is listed under [roles] yet, so everyone may move every order.", markup=False
        )
    out.print(f"May move orders out of: {', '.join(me.may_leave) or 'no stage'}", markup=False)


def log(
    order: Annotated[
        str | None, typer.Option("--order", help="One order's moves instead of the audit log.")
    ] = None,
    since: Annotated[
        datetime | None, typer.Option("--since", help="Only entries since this date/time.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many entries.")] = 50,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """The audit log: every command that changed data (who, when, what, how much)."""
    from ordertrack.flow.inspect import read_log

    ws = open_ws(workspace, wait)
    if since is not None and since.tzinfo is None:
        from zoneinfo import ZoneInfo

        since = since.replace(tzinfo=ZoneInfo(ws.timezone))
    rows = read_log(ws, order, since, limit)
    if json_:
        print_json(rows)
        return
    print_table(rows)


@flow_app.command("show")
def flow_show(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="mermaid (a diagram) or text.")
    ] = "text",
    workspace: WorkspaceOpt = None,
) -> None:
    """Draw the configured flow (conditions on the arrows)."""
    from ordertrack.errors import UserError
    from ordertrack.flow.inspect import flow_mermaid, flow_text
    from ordertrack.workspace import open_workspace

    config = open_workspace(workspace).config
    if fmt not in ("mermaid", "text"):
        raise UserError(f'unknown format "{fmt}"', hint="Use --format mermaid or --format text.")
    typer.echo(flow_mermaid(config) if fmt == "mermaid" else flow_text(config), nl=False)


@flow_app.command("check")
def flow_check(workspace: WorkspaceOpt = None, wait: WaitOpt = 0) -> None:
    """Validate the flow: conditions, roles, orders in stages that no longer exist (exit 2)."""
    from ordertrack.errors import ConfigError
    from ordertrack.flow.inspect import check_flow

    ws = open_ws(workspace, wait)
    result = check_flow(ws)
    for stage, n in result.orders_in_unknown_stages.items():
        console(stderr=True).print(
            f"{n} open order{'s sit' if n != 1 else ' sits'} in stage {stage}, which the flow "
            f"no longer has: `ordertrack flow rename-stage {stage} NEW` or move them",
            markup=False,
            soft_wrap=True,
        )
    if result.problems:
        raise ConfigError(result.problems)
    if result.orders_in_unknown_stages:
        from ordertrack.errors import UserError

        raise UserError("orders sit in stages the flow no longer has")
    console().print(
        f"{ws.config_path}: the flow is OK ({len(ws.config.flow.stages)} stages)",
        markup=False,
        soft_wrap=True,
    )


@flow_app.command("rename-stage")
def flow_rename(
    old: Annotated[str, typer.Argument(help="Current stage id.")],
    new: Annotated[str, typer.Argument(help="New stage id.")],
    by: ByOpt = None,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
) -> None:
    """Rename a stage in ordertrack.toml and in every order and event (history stays readable)."""
    from ordertrack.flow.inspect import rename_stage

    counts = rename_stage(open_ws(workspace, wait), old, new, by=by)
    console().print(
        f"{old} → {new}: {counts['orders']} orders, "
        f"{counts['events_to'] + counts['events_from']} events updated",
        markup=False,
    )


@orders_app.command("list")
def orders_list(
    stage: Annotated[str | None, typer.Option("--stage", help="Only orders in this stage.")] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Only stages owned by this role.")
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only orders over their stage's limit.")
    ] = False,
    customer: Annotated[
        str | None, typer.Option("--customer", help="Customer name contains / code.")
    ] = None,
    state: Annotated[
        str, typer.Option("--state", help="open, on_hold, cancelled, closed or all.")
    ] = "open",
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many orders.")] = 100,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """List orders (overdue first, then longest in their stage)."""
    from ordertrack.flow.inspect import OrderFilter, list_orders

    rows = list_orders(
        open_ws(workspace, wait), OrderFilter(stage, owner, overdue, customer, state, limit)
    )
    if json_:
        print_json(rows)
        return
    keep = (
        "order_id",
        "customer",
        "stage",
        "owner_role",
        "amount",
        "promised_date",
        "stage_hours",
        "sla_hours",
        "overdue",
        "is_short",
    )
    print_table([{k: r[k] for k in keep} for r in rows])


@orders_app.command("show")
def orders_show(
    order: Annotated[str, typer.Argument(help="Order number.")],
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """One order: facts, lines with stock, the timeline of stages vs their limits, shipments,
    open alerts and tasks."""
    from ordertrack.flow.inspect import show_order

    d = show_order(open_ws(workspace, wait), order)
    if json_:
        print_json(d.asdict())
        return
    from rich.table import Table
    from rich.text import Text

    out = console()
    f = d.facts
    grid = Table.grid(padding=(0, 2))
    for key in (
        "order_id",
        "customer",
        "sales_rep",
        "follow_up",
        "amount",
        "order_date",
        "promised_date",
        "planned_ship_date",
        "stage_name",
        "owner_role",
        "state",
        "status",
        "stage_hours",
        "sla_hours",
        "overdue",
        "shipment_status",
    ):
        grid.add_row(key, Text(cell(f.get(key))))
    out.print(grid)
    for title, rows in (
        ("Lines", d.lines),
        ("Timeline", d.timeline),
        ("Shipments", d.shipments),
        ("Open alerts", d.alerts),
        ("Open tasks", d.tasks),
    ):
        if rows:
            out.print(f"\n[bold]{title}[/bold]")
            print_table(rows)
