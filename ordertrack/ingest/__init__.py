"""The order center's importer: export files → typed, validated rows → DuckDB, idempotently.

    >>> from ordertrack import open_workspace
    >>> from ordertrack.ingest import import_files, ImportOptions
    >>> results = import_files(open_workspace(), ["exports/*.xlsx"], ImportOptions())  # doctest: +SKIP

Each file is one transaction. A file already imported (same SHA-256) is skipped without
writing anything; ``force`` re-reads it, and then nothing changes. Rows that cannot be
typed or break a rule go to ``import_rejects`` with their row number, column, value and
reason; the good rows load (``strict``: any reject fails the whole file).
"""

from __future__ import annotations

import glob
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ordertrack.errors import OrdertrackError, StorageError, UserError
from ordertrack.workspace import Workspace

# Files are imported in this order within one command, whatever order they were named in:
# orders before the lines and shipments that refer to them; history before the moves that
# shipments, invoices and payments make.
IMPORT_ORDER = [
    "customers",
    "orders",
    "order_lines",
    "inventory",
    "stage_history",
    "shipments",
    "invoices",
    "payments",
    "feedback",
]


@dataclass
class ImportOptions:
    profile: str | None = None
    dry_run: bool = False
    strict: bool = False
    force: bool = False
    actor: str | None = None


@dataclass
class EntitySummary:
    entity: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    removed: int = 0


@dataclass
class ImportResult:
    path: str
    file_name: str
    status: str  # ok | skipped | failed | dry_run
    import_id: int | None = None
    profile: str | None = None
    entities: list[str] = field(default_factory=list)
    sheet: str | None = None
    encoding: str | None = None
    header_row: int | None = None
    sha256: str | None = None
    rows_read: int = 0
    blank_rows: int = 0
    total_rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    moved: int = 0
    auto_moved: int = 0  # orders the stages' auto conditions moved after the import
    forms: list[str] = field(default_factory=list)  # forms those moves produced (pick lists)
    per_entity: list[EntitySummary] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)  # the first few
    message: str | None = None
    hint: str | None = None
    seconds: float = 0.0

    def asdict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def failed(self) -> bool:
        return self.status == "failed"


# progress(file_name, step, step_number, steps)
Progress = Callable[[str, str, int, int], None]
STEPS = ("read", "check", "load")


def expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[ImportResult]]:
    """Files named or matched by globs; a result for each pattern that matched nothing."""
    files: list[Path] = []
    missing: list[ImportResult] = []
    for p in paths:
        text = str(p)
        if Path(text).exists() or not any(ch in text for ch in "*?["):
            files.append(Path(text))
            continue
        hits = sorted(Path(h) for h in glob.glob(text))
        if hits:
            files.extend(hits)
        else:
            missing.append(
                ImportResult(
                    text,
                    Path(text).name,
                    "failed",
                    message=f"{text}: no files match",
                    hint="Check the pattern and folder.",
                )
            )
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve() if f.exists() else f
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, missing


def import_files(
    ws: Workspace,
    paths: Iterable[str | Path],
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> list[ImportResult]:
    """Import files (paths or globs). Never raises for a bad file: its result says why."""
    from ordertrack import clock
    from ordertrack.ingest.pipeline import path_display
    from ordertrack.ingest.profiles import resolve

    opts = options or ImportOptions()
    actor = opts.actor or clock.current_user()
    files, results = expand(paths)
    forced = resolve(opts.profile, ws.config) if opts.profile else None
    tmp = Path(tempfile.mkdtemp(prefix="ordertrack-import-"))
    try:
        with ws.connect() as store:
            planned: list[tuple[int, Path, Any]] = []
            for path in files:
                try:
                    prepared = _prepare(ws, store, path, forced, opts, tmp)
                except OrdertrackError as e:
                    results.append(
                        ImportResult(
                            path_display(path), path.name, "failed", message=e.message, hint=e.hint
                        )
                    )
                    continue
                if isinstance(prepared, ImportResult):
                    results.append(prepared)
                    continue
                first = min(IMPORT_ORDER.index(e) for e in prepared.plan.profile.entities)
                planned.append((first, path, prepared))
            planned.sort(key=lambda t: t[0])
            for _, path, prepared in planned:
                started = time.monotonic()
                try:
                    result = _import_one(ws, store, prepared, opts, actor, progress)
                except _DryRun as dry:
                    result = dry.result
                except StorageError:
                    raise  # a full disk is no file's fault: stop, blame none of them
                except OrdertrackError as e:
                    result = ImportResult(
                        path_display(path),
                        path.name,
                        "failed",
                        profile=prepared.plan.profile.name,
                        message=e.message,
                        hint=e.hint,
                    )
                result.seconds = round(time.monotonic() - started, 3)
                results.append(result)
            if any(r.status == "ok" and (r.inserted or r.updated or r.moved) for r in results):
                _after_import(ws, store, results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


@dataclass
class _Prepared:
    path: Path
    sha256: str
    source: Any
    plan: Any
    tmp_dir: Path


def _prepare(
    ws: Workspace, store: Any, path: Path, forced: Any, opts: ImportOptions, tmp: Path
) -> _Prepared | ImportResult:
    from ordertrack.ingest.pipeline import Plan, header_list, path_display
    from ordertrack.ingest.profiles import all_profiles, choose, match, no_match_error
    from ordertrack.ingest.readers import check_path, open_source, scan_file, sha256_file

    check_path(path)
    digest = sha256_file(path)
    if not opts.force:
        # the same content, imported with this profile (or any, when none is named)
        prior = store.fetchone(
            "SELECT import_id, finished_at, profile FROM imports WHERE sha256 = ? AND status = 'ok' "
            "AND (? IS NULL OR profile = ?) ORDER BY import_id DESC LIMIT 1",
            [digest, forced.name if forced else None, forced.name if forced else None],
        )
        if prior:
            when = f"{prior[1]:%Y-%m-%d %H:%M}" if prior[1] else "earlier"
            return ImportResult(
                path_display(path),
                path.name,
                "skipped",
                import_id=int(prior[0]),
                profile=prior[2],
                sha256=digest,
                message=f"already imported as #{prior[0]} on {when} (same content); nothing to do",
                hint="Use --force to read it again.",
            )

    scan = (
        scan_file(path, digest) if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls") else None
    )

    def opened(p: Any) -> Any:
        return open_source(
            path,
            sheet=p.sheet if p else None,
            encoding=p.encoding if p else None,
            delimiter=p.delimiter if p else None,
            tmp_dir=tmp,
            scan=scan,
        )

    src = opened(forced)
    if forced is not None:
        m = match(forced, src.preview, src.preview_rows)
        if m is None or not m.complete:
            raise no_match_error(
                path_display(path), src.preview, [m] if m else [], forced, src.sheets, src.sheet
            )
    else:
        m, near = choose(all_profiles(ws.config), path.name, src.preview, src.preview_rows)
        if m is None:
            raise no_match_error(path_display(path), src.preview, near, None, src.sheets, src.sheet)
        p = m.profile
        if (p.sheet is not None and p.sheet != src.sheet) or p.encoding or p.delimiter:
            src = opened(p)
            m2 = match(p, src.preview, src.preview_rows)
            if m2 is None or not m2.complete:
                raise no_match_error(
                    path_display(path), src.preview, [m2] if m2 else [], p, src.sheets, src.sheet
                )
            m = m2
    headers = header_list(src.preview[m.header_index])
    plan = Plan(m.profile, m, headers, len(headers))
    return _Prepared(path, digest, src, plan, tmp)


def _import_one(
    ws: Workspace,
    store: Any,
    prep: _Prepared,
    opts: ImportOptions,
    actor: str,
    progress: Progress | None,
) -> ImportResult:
    from ordertrack.flow import moves
    from ordertrack.ingest import pipeline as pl
    from ordertrack.ingest.readers import read_csv_table, read_excel_table

    src, plan = prep.source, prep.plan
    p = plan.profile
    name = prep.path.name
    now = ws.now()

    def step(i: int) -> None:
        if progress:
            progress(name, STEPS[i], i + 1, len(STEPS))

    result = ImportResult(
        pl.path_display(prep.path),
        name,
        "ok",
        profile=p.name,
        entities=list(p.entities),
        sheet=src.sheet,
        encoding=src.encoding,
        header_row=plan.match.header_row,
        sha256=prep.sha256,
    )
    con = store.con
    step(0)
    reader = read_excel_table if src.kind == "excel" else read_csv_table
    pl.too_wide(plan, result.path)
    reader(con, src, plan.match.header_row, p.skip_rows, plan.width)
    _name_blank_columns(con, plan)
    step(1)
    # Typing and checking work on temp tables only: no transaction needed yet.
    _build_typed(ws, con, src, plan, tmp_dir=prep.tmp_dir)
    counts = con.execute("SELECT count(*), count(*) FILTER (WHERE _blank) FROM typed").fetchone()
    assert counts is not None
    result.rows_read, result.blank_rows = int(counts[0]), int(counts[1])
    result.encoding = src.encoding
    if result.rows_read - result.blank_rows == 0:
        result.message = "the file has a header but no data rows; nothing to import"
    if result.blank_rows:
        con.execute("DELETE FROM typed WHERE _blank")
    result.total_rows = pl.drop_total_rows(con, plan)
    pl.derive_keys(con, plan)
    pl.row_checks(con, plan)
    pl.conflict_checks(con, plan)
    with store.transaction():
        import_id = int(con.execute("SELECT nextval('seq_import_id')").fetchone()[0])
        pl.parent_checks(con, plan)
        rejected_rows, _ = pl.record_rejects(con, plan, import_id, src.sheet)
        result.rejected = rejected_rows
        result.rejects = pl.rejects_preview(con)
        result.import_id = import_id
        if opts.strict and rejected_rows:
            raise UserError(
                f"{result.path}: {rejected_rows} row{'s' if rejected_rows > 1 else ''} rejected; "
                "--strict: nothing was written",
                hint=_first_reject_hint(result.rejects),
            )
        step(2)
        for entity in p.entities:
            loaded = pl.load_entity(con, plan, entity, import_id, now)
            result.per_entity.append(
                EntitySummary(
                    entity,
                    loaded.rows,
                    loaded.inserted,
                    loaded.updated,
                    loaded.unchanged,
                    loaded.removed,
                )
            )
        result.inserted = sum(x.inserted for x in result.per_entity)
        result.updated = sum(x.updated for x in result.per_entity)
        result.unchanged = sum(x.unchanged for x in result.per_entity)
        removed = sum(x.removed for x in result.per_entity)
        if removed:
            result.message = (
                f"{removed} order line{'s' if removed != 1 else ''} no longer in the export "
                "removed (the export lists every line of its orders)"
            )
        if "stage_history" in p.entities:
            moves.stage_from_history(con, ws.config.flow.stages[-1].id)
        if set(p.entities) & {"shipments", "invoices", "payments", "orders"}:
            result.moved = moves.import_moves(con, ws.config, import_id, now)
        con.execute(
            "INSERT INTO imports (import_id, path, file_name, sha256, size_bytes, profile, entities, "
            "sheet, status, rows_read, inserted, updated, unchanged, rejected, moved, started_at, "
            "finished_at, actor, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                import_id,
                str(prep.path.resolve()),
                name,
                prep.sha256,
                prep.path.stat().st_size,
                p.name,
                ",".join(p.entities),
                src.sheet,
                result.rows_read,
                result.inserted,
                result.updated,
                result.unchanged,
                result.rejected,
                result.moved,
                now,
                ws.now(),
                actor,
                f"encoding {src.encoding}" if src.encoding else None,
            ],
        )
        con.execute(
            "INSERT INTO audit_log (logged_at, actor, command, args, changes) VALUES (?, ?, 'import', ?, ?)",
            [
                now,
                actor,
                pl.dumps(
                    {
                        "file": result.path,
                        "profile": p.name,
                        "force": opts.force,
                        "strict": opts.strict,
                    }
                ),
                pl.dumps(
                    {
                        "import_id": import_id,
                        "inserted": result.inserted,
                        "updated": result.updated,
                        "rejected": result.rejected,
                        "moved": result.moved,
                    }
                ),
            ],
        )
        if opts.dry_run:
            result.status = "dry_run"
            raise _DryRun(result)
    return result


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("dry run")
        self.result = result


def _stage_names(ws: Workspace) -> dict[str, str]:
    """Names a stage-history export may use for each stage: its display name, and the
    usual Chinese name of the default stages (订单录入, 商务审核, …)."""
    from ordertrack.templates import STAGE_NAMES_ZH

    ids = ws.config.flow.stage_ids
    names = {STAGE_NAMES_ZH[i]: i for i in ids if i in STAGE_NAMES_ZH}
    names.update({s.label: s.id for s in ws.config.flow.stages})
    return {k: v for k, v in names.items() if k != v}


def _build_typed(ws: Workspace, con: Any, src: Any, plan: Any, tmp_dir: Path) -> None:
    """Type the file; a CSV that turns out not to be UTF-8 past its first megabyte is
    read again as GB18030 (after making sure it does not mix encodings)."""
    from ordertrack.ingest import pipeline as pl
    from ordertrack.ingest.readers import (
        check_mixed_encoding,
        lf_copy,
        read_csv_table,
        transcode,
    )
    from ordertrack.store.errors import csv_error, is_not_utf8

    try:
        pl.build_typed(con, plan, ws.config.flow.stage_ids, _stage_names(ws))
        return
    except duckdb.Error as e:
        if src.kind != "csv":
            raise
        if not (
            is_not_utf8(e) and src.encoding in ("utf-8", "utf-8-sig") and not src.encoding_given
        ):
            raise csv_error(e, src.path) from None
    check_mixed_encoding(src.path)
    src.encoding = "gb18030"
    src.utf8_path = transcode(src.path, "gb18030", tmp_dir)
    if src.mixed_eol:
        transcoded = src.utf8_path
        src.utf8_path = lf_copy(transcoded, tmp_dir)
        transcoded.unlink(missing_ok=True)
    read_csv_table(con, src, plan.match.header_row, plan.profile.skip_rows, plan.width)
    try:
        pl.build_typed(con, plan, ws.config.flow.stage_ids, _stage_names(ws))
    except duckdb.Error as e:
        raise csv_error(e, src.path) from None


def _after_import(ws: Workspace, store: Any, results: list[ImportResult]) -> None:
    """Stages' ``auto`` conditions, evaluated once the files are in (via = auto)."""
    from ordertrack.flow import auto_moves, write_forms
    from ordertrack.flow.engine import audit, entered_with_form

    now = ws.now()
    last = next(r for r in reversed(results) if r.status == "ok")
    try:
        with store.transaction() as con:
            moved = auto_moves(con, ws.config, now)
            if moved:
                audit(
                    con,
                    now,
                    "ordertrack",
                    "auto moves",
                    {"after": "import"},
                    {"moved": len(moved), "order_ids": [t.order_id for t in moved[:100]]},
                )
    except OrdertrackError as e:
        # the files are in; the automatic moves wait for the next import
        last.hint = f"automatic moves not made: {e.message}"
        return
    if moved:
        last.auto_moved = len(moved)
        last.forms = write_forms(ws, store, entered_with_form(ws.config, moved), now)


def _first_reject_hint(rejects: list[dict[str, Any]]) -> str:
    if not rejects:
        return "Fix the rows and import again."
    r = rejects[0]
    return f"First: row {r['row']}, {r['column']}: {r['reason']}. Fix the rows or import without --strict."


def _name_blank_columns(con: Any, plan: Any) -> None:
    """Columns with no header keep their data in attrs as "column N" only when not empty."""
    for i, h in enumerate(plan.headers):
        if h.startswith("column ") and h[7:].isdigit():
            row = con.execute(f"SELECT count(c{i}) FROM raw").fetchone()
            if not row or not row[0]:
                plan.headers[i] = ""


__all__ = ["ImportOptions", "ImportResult", "import_files"]
