"""``import``, ``imports list|show|rejects``, ``profile list|suggest|show``, ``export``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ordertrack.cli._common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    cell,
    console,
    is_tty,
    make_typer,
    open_ws,
    print_json,
)
from ordertrack.words import counted

if TYPE_CHECKING:
    from ordertrack.ingest import ImportResult

imports_app = make_typer("Look at past imports and their rejected rows.")
profile_app = make_typer("Source profiles: how export files map to the order center.")


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)


def import_(
    files: Annotated[list[str], typer.Argument(help="Files or globs (quote globs on Windows).")],
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Profile to use (default: detected).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count, write nothing.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Any rejected row fails the whole file (exit 2).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Read files again even if already imported.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Import CSV/Excel exports into the order center (idempotent; one transaction per file).

    Exit 0 when every file was imported or skipped (rows may have been rejected: see the
    summary); exit 2 when a file could not be imported at all.
    """
    from ordertrack.errors import EXIT_USER
    from ordertrack.ingest import ImportOptions, import_files

    ws = open_ws(workspace, wait)
    opts = ImportOptions(profile=profile, dry_run=dry_run, strict=strict, force=force)
    show_progress = not json_ and is_tty()
    if show_progress:
        from rich.progress import Progress

        with Progress(console=console(stderr=True), transient=True) as bar:
            tasks: dict[str, object] = {}

            def on_progress(name: str, step: str, n: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=n - 1, description=f"{name}: {step}")  # type: ignore[arg-type]

            results = import_files(ws, files, opts, progress=on_progress)
    else:
        results = import_files(ws, files, opts)
    if json_:
        print_json([r.asdict() for r in results])
    else:
        render_import_results(results)
    if any(r.failed for r in results):
        raise typer.Exit(EXIT_USER)


def render_import_results(results: list[ImportResult]) -> None:
    from rich.table import Table

    out = console()
    err = console(stderr=True)
    table = Table(title="Import", title_justify="left")
    for col, justify in (
        ("File", "left"),
        ("Profile", "left"),
        ("Status", "left"),
        ("Inserted", "right"),
        ("Updated", "right"),
        ("Unchanged", "right"),
        ("Rejected", "right"),
        ("Moved", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in results:
        status = {"dry_run": "dry run", "ok": f"ok #{r.import_id}"}.get(r.status, r.status)
        table.add_row(
            r.file_name,
            r.profile or "",
            status,
            f"{r.inserted:,}",
            f"{r.updated:,}",
            f"{r.unchanged:,}",
            f"{r.rejected:,}",
            f"{r.moved:,}",
        )
    out.print(table)
    auto = sum(r.auto_moved for r in results)
    if auto:
        out.print(f"{auto:,} orders passed a stage by its auto condition", markup=False)
    for f in (f for r in results for f in r.forms):
        out.print(f"form written: {f}", markup=False, soft_wrap=True)
    for r in results:
        if r.status == "failed":
            err.print(f"Error: {r.message}", markup=False, highlight=False)
            if r.hint:
                err.print(f"Hint: {r.hint}", markup=False, highlight=False)
        elif r.message:
            out.print(f"{r.file_name}: {r.message}", markup=False)
        if r.rejected:
            kept = "would be kept" if r.status == "dry_run" else "kept in import_rejects"
            out.print(
                f"{r.file_name}: {counted(r.rejected, 'row')} rejected ({kept}), first:",
                markup=False,
            )
            for x in r.rejects:
                value = "" if x["value"] is None else f' "{str(x["value"])[:60]}"'
                out.print(f"  row {x['row']}, {x['column']}{value}: {x['reason']}", markup=False)
            if r.status == "ok":
                out.print(
                    f"  all of them: ordertrack imports rejects {r.import_id} "
                    f"[--out fix_{r.import_id}.xlsx]",
                    markup=False,
                )


@imports_app.command("list")
def imports_list(
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    limit: Annotated[int, typer.Option("--limit", help="Show the last N imports.")] = 20,
    json_: JsonOpt = False,
) -> None:
    """List past imports, newest first."""
    from ordertrack.ingest.history import list_imports

    rows = list_imports(open_ws(workspace, wait), limit=limit)
    if json_:
        print_json(rows)
        return
    from rich.table import Table

    table = Table()
    for c in ("ID", "Finished", "File", "Profile", "Ins", "Upd", "Same", "Rej", "Moved", "Actor"):
        table.add_column(
            c, justify="right" if c in ("ID", "Ins", "Upd", "Same", "Rej", "Moved") else "left"
        )
    for r in rows:
        table.add_row(
            str(r["import_id"]),
            cell(r["finished_at"]),
            r["file_name"],
            r["profile"] or "",
            f"{r['inserted']:,}",
            f"{r['updated']:,}",
            f"{r['unchanged']:,}",
            f"{r['rejected']:,}",
            f"{r['moved']:,}",
            r["actor"] or "",
        )
    console().print(table)


@imports_app.command("show")
def imports_show(
    import_id: Annotated[int, typer.Argument(help="Import number (see `imports list`).")],
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """Show one import: file, hash, profile, counts, and its first rejected rows."""
    from ordertrack.ingest.history import show_import

    info = show_import(open_ws(workspace, wait), import_id)
    if json_:
        print_json(info)
        return
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    for k, v in info.items():
        if k != "rejects":
            grid.add_row(k, cell(v))
    console().print(grid)
    if info["rejects"]:
        console().print(f"First rejected rows (all: ordertrack imports rejects {import_id}):")
        for x in info["rejects"]:
            console().print(f"  row {x['row_no']}, {x['column_name']}: {x['reason']}", markup=False)


@imports_app.command("rejects")
def imports_rejects(
    import_id: Annotated[int, typer.Argument(help="Import number (see `imports list`).")],
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the rejected rows (original columns + reason) "
            "to .xlsx or .csv, to fix and import again.",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """List the rows an import rejected, or write them to a file to fix in Excel."""
    from ordertrack.ingest.history import rejects, write_rejects

    ws = open_ws(workspace, wait)
    if out is not None:
        n = write_rejects(ws, import_id, out)
        console().print(
            f"Wrote {n:,} rejected rows to {out}. Fix them and run: "
            f"ordertrack import {out.name} --profile <the same profile>",
            markup=False,
        )
        return
    rows = rejects(ws, import_id)
    if json_:
        print_json(rows)
        return
    from rich.table import Table

    table = Table()
    for c in ("Row", "Column", "Value", "Reason"):
        table.add_column(c, justify="right" if c == "Row" else "left", overflow="fold")
    for r in rows:
        table.add_row(
            str(r["row_no"]), r["column_name"] or "", (r["raw_value"] or "")[:60], r["reason"]
        )
    console().print(table)


@profile_app.command("list")
def profile_list(workspace: WorkspaceOpt = None, json_: JsonOpt = False) -> None:
    """List the workspace's profiles and the built-in presets."""
    from ordertrack.errors import WorkspaceError
    from ordertrack.ingest.profiles import all_profiles
    from ordertrack.workspace import open_workspace

    try:
        config = open_workspace(workspace).config
    except WorkspaceError:  # outside a workspace: the built-in presets only
        config = None
    profiles = all_profiles(config)
    if json_:
        print_json(
            [
                {
                    "name": p.name,
                    "origin": p.origin,
                    "entities": p.entities,
                    "files": p.files,
                    "description": p.description,
                }
                for p in profiles
            ]
        )
        return
    from rich.table import Table

    table = Table()
    for c in ("Profile", "From", "Entities", "Files", "Description"):
        table.add_column(c, overflow="fold")
    for p in profiles:
        table.add_row(p.name, p.origin, ", ".join(p.entities), " ".join(p.files), p.description)
    console().print(table)


@profile_app.command("suggest")
def profile_suggest(
    file: Annotated[Path, typer.Argument(help="An export file (CSV or Excel).")],
    name: Annotated[
        str | None, typer.Option("--name", help="Profile name (default: from the file name).")
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Sheet name or number.")] = None,
) -> None:
    """Print a ready-to-paste profile guessed from the file's headers."""
    from ordertrack.ingest.history import suggest_profile

    typer.echo(suggest_profile(file, name=name, sheet=sheet), nl=False)


def export(
    entity: Annotated[
        str | None,
        typer.Argument(
            help="Entity, table or view to export (orders, order_lines, v_order_facts, …)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file: .xlsx or .csv.")] = Path(
        "export.xlsx"
    ),
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="A SELECT to export instead.")
    ] = None,
    workspace: WorkspaceOpt = None,
    wait: WaitOpt = 0,
) -> None:
    """Export an entity or a query to XLSX (typed, frozen header, filter) or CSV.

    Cells that start with = + - @ are neutralised so Excel does not run them as formulas.
    """
    from ordertrack.ingest.export import export as do_export

    n = do_export(open_ws(workspace, wait), out, entity=entity, query=query)
    console().print(f"Wrote {counted(n, 'row')} to {out}", markup=False)
