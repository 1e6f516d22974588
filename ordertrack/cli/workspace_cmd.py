"""``init`` and ``status``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ordertrack.overview import StatusReport

from ordertrack.cli._common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    console,
    human_bytes,
    open_ws,
    print_json,
)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("status")(status)
    app.command("demo")(demo)


def init(
    directory: Annotated[
        Path | None, typer.Argument(help="Folder for the new workspace (default: here).")
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the template: en or zh (Chinese).")
    ] = "en",
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Rewrite ordertrack.toml of an existing workspace "
            "(the old one is kept as .bak; the database is kept).",
        ),
    ] = False,
) -> None:
    """Create a workspace: a commented ordertrack.toml and the database."""
    from ordertrack.workspace import init_workspace

    result = init_workspace(directory, lang=lang, force=force)
    out = console()
    # paths are text, not rich markup (a folder may be called "[2026]"); never wrapped
    out.print(f"Created workspace {result.root}", markup=False, soft_wrap=True)
    out.print(
        f"  configuration  {result.config_path.name}"
        + (f" (previous one kept as {result.config_backup.name})" if result.config_backup else ""),
        markup=False,
        soft_wrap=True,
    )
    out.print(f"  database       {result.db_path.name}", markup=False, soft_wrap=True)
    out.print(
        "Next: edit the roles and flow in ordertrack.toml, run `ordertrack config check`, "
        "then `ordertrack import FILE…`."
    )


def status(workspace: WorkspaceOpt = None, wait: WaitOpt = 0, json_: JsonOpt = False) -> None:
    """Show the workspace, database, counts per entity and stage, and what needs attention."""
    from ordertrack.overview import status as build

    report = build(open_ws(workspace, wait))
    if json_:
        print_json(report.asdict())
        return
    render_status(report)


def render_status(report: StatusReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    # Paths, file and stage names are text, not rich markup: escape them.
    out = console()
    info = Table.grid(padding=(0, 2))
    info.add_row("Workspace", escape(report.workspace))
    info.add_row(
        "Database",
        f"{escape(report.database)} ({human_bytes(report.database_bytes)}, "
        f"schema {report.schema_version})",
    )
    info.add_row("Time zone", f"{report.timezone} (now {report.now:%Y-%m-%d %H:%M})")
    if report.last_import:
        li = report.last_import
        when = f"{li.finished_at:%Y-%m-%d %H:%M}" if li.finished_at else "unfinished"
        info.add_row(
            "Last import",
            f"#{li.import_id} {escape(li.file_name)} ({li.status}, {when}): "
            f"{li.inserted} inserted, {li.updated} updated, {li.unchanged} unchanged, "
            f"{li.rejected} rejected",
        )
    else:
        info.add_row("Last import", "none yet — run `ordertrack import FILE…`")
    info.add_row(
        "Attention",
        f"{report.open_alerts} open alerts, {report.open_tasks} open tasks, "
        f"{report.queued_messages} queued messages",
    )
    out.print(info)

    counts = Table(title="Order center", title_justify="left")
    counts.add_column("Entity")
    counts.add_column("Rows", justify="right")
    for name, n in report.counts.items():
        counts.add_row(name, f"{n:,}")
    out.print(counts)

    stages = Table(title="Open orders per stage", title_justify="left")
    stages.add_column("Stage")
    stages.add_column("Name")
    stages.add_column("Orders", justify="right")
    stages.add_column("Overdue", justify="right")
    for s in report.stages:
        stages.add_row(escape(s.stage), escape(s.name), f"{s.orders:,}", f"{s.overdue:,}")
    out.print(stages)


def demo(
    directory: Annotated[
        Path, typer.Argument(help="Folder for the demo workspace (created).")
    ] = Path("demo"),
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild the demo workspace if the folder holds one.")
    ] = False,
) -> None:
    """Build a demo workspace from the bundled sample data and run a day in its life."""
    from ordertrack.cli.imports_cmd import render_import_results
    from ordertrack.demo import build_demo

    out = console()
    out.print(
        f"Building the demo workspace in {directory} from the bundled sample data "
        "(华东精工科技有限公司, April–June 2026)…",
        markup=False,
        soft_wrap=True,
    )
    result = build_demo(directory, force=force)
    out.print(
        f"\n[bold]1. Import[/bold] the exports in {result.exports} "
        "(ERP orders and lines, stock, shipments, invoices, payments, feedback, history)"
    )
    render_import_results(result.imports)
    auto = sum(r.auto_moved for r in result.imports)
    moved = sum(r.moved for r in result.imports)
    out.print(
        f"{moved} orders moved by what the files show (shipped, delivered, invoiced, paid); "
        f"{auto} passed a stage by its auto condition (finance approval within credit).",
        markup=False,
        soft_wrap=True,
    )
    out.print("\n[bold]2. Advance[/bold] a few orders, as the owners of their stages")
    from ordertrack.cli.flow_cmd import render_moves

    for m in result.moves:
        out.print(f"— {m.why} (by {m.by}):", markup=False)
        render_moves(m.result)
    if result.sweep is not None:
        from ordertrack.cli.alerts_cmd import render_sweep

        out.print(
            "\n[bold]3. Alert sweep[/bold] (what cron runs: `ordertrack alerts run --notify`)"
        )
        render_sweep(result.sweep)
    if result.reports:
        out.print("\n[bold]4. Reports[/bold] for the managers (`ordertrack report build --pack …`)")
        for w in result.reports:
            r = w.report
            out.print(
                f"{r.title} ({r.period.label_for(r.lang)}) → {w.html}", markup=False, soft_wrap=True
            )
            for warning in r.warnings:
                out.print(f"Warning: {warning}", markup=False)
    out.print("\n[bold]5. Status[/bold] of the order center")
    if result.status is not None:
        render_status(result.status)
    ws = result.root
    out.print("\n[bold]Try next[/bold]", soft_wrap=True)
    import os
    import shutil
    import sys

    # the command as this shell can run it (make demo: .venv/bin/ordertrack, not on PATH)
    me = "ordertrack" if shutil.which("ordertrack") else os.path.abspath(sys.argv[0])
    for line in (
        f"cd {ws}",
        "ordertrack status",
        'ordertrack sql "SELECT stage, count(*) FROM v_order_facts GROUP BY ALL ORDER BY 2 DESC"',
        "ordertrack orders list --overdue",
        "ordertrack alerts list --open",
        "ordertrack tasks list --open",
        "ordertrack alerts backtest --since 2026-05-01",
        "ordertrack report build --pack ceo --period 2026-06 --xlsx out/ceo.xlsx",
        "ordertrack orders show " + (result.moves[0].order_id if result.moves else "SO-2606-0100"),
        "ordertrack flow show --format mermaid",
        "ordertrack advance ORDER --by USER   # as one of the people in ordertrack.toml [roles]",
        "ordertrack imports list",
        "ordertrack import exports/*   # again: every file is skipped, nothing changes",
        "ordertrack export v_order_facts --out out/orders.xlsx",
        "ordertrack schedule next   # what `schedule run` would do, and when ([schedule])",
    ):
        if line.startswith("ordertrack ") and me != "ordertrack":
            line = me + line[len("ordertrack") :]
        out.print(f"  {line}", markup=False, soft_wrap=True)
