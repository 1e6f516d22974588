"""The workspace: a folder with ``ordertrack.toml`` and the database file it names.

Found as ``--workspace DIR`` / ``ORDERTRACK_HOME``, else the current folder or its
parents (like git finds a repository).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from ordertrack import clock
from ordertrack.config import CONFIG_FILE, Config, load_config
from ordertrack.errors import DatabaseBusy, WorkspaceError
from ordertrack.store import Store


@dataclass
class Workspace:
    root: Path
    config: Config
    wait: float = 0.0  # seconds to wait for a busy database
    _timezone: str | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def db_path(self) -> Path:
        return (self.root / self.config.workspace.database).resolve()

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    @property
    def timezone(self) -> str:
        if self._timezone is None:
            self._timezone = self.config.workspace.timezone or clock.machine_timezone()
        return self._timezone

    def now(self) -> datetime:
        return clock.now(self.timezone, pinned=self.config.workspace.clock)

    def connect(self, *, read_only: bool = False, wait: float | None = None) -> Store:
        """Open the database (migrated, time zone pinned, "now" set for the views)."""
        wait = self.wait if wait is None else wait
        store = self._open(read_only, wait)
        try:
            if not read_only:
                sync_flow(store, self.config)
                sync_work_calendar(store, self.config, self.now())
            elif not flow_in_sync(store, self.config):
                # The views take stage names and SLAs from flow_stages: after an edit of
                # ordertrack.toml, mirror it through a short writable connection first.
                store.close()
                try:
                    with self._open(False, 0.0) as writer:
                        sync_flow(writer, self.config)
                        sync_work_calendar(writer, self.config, self.now())
                except DatabaseBusy:
                    pass  # another reader holds the file: read with the stages last mirrored
                store = self._open(True, wait)
            if read_only:
                # a calendar edited since: temp tables for this connection (nothing written)
                sync_work_calendar(store, self.config, self.now())
        except BaseException:
            store.close()
            raise
        return store

    def _open(self, read_only: bool, wait: float) -> Store:
        store = Store.open(
            self.db_path, read_only=read_only, wait=wait, timezone=self.timezone, now=self.now()
        )
        warehouses = self.config.inventory.warehouses
        if warehouses:  # the stock v_line_facts counts
            store.con.execute("SET VARIABLE ot_warehouses = ?::VARCHAR[]", [warehouses])
        return store


def sla_hours(config: Config, sla: timedelta | None) -> float | None:
    """A stage's time limit in the hours the views count: with a work calendar, whole days
    are work days ("3d" = 3 × the day's working hours), the rest business hours."""
    if sla is None:
        return None
    seconds = sla.total_seconds()
    cal = config.calendar
    if cal is not None and cal.active and seconds % 86400 == 0:
        return seconds / 86400 * cal.minutes_per_day / 60
    return seconds / 3600


def sync_work_calendar(store: Store, config: Config, now: datetime) -> None:
    """Keep the calendar tables and macros (business hours) in step with ``[calendar]``."""
    from ordertrack.calendar import sync_calendar

    oldest = store.scalar(
        "SELECT min(least(coalesce(stage_entered_at, created_at), created_at))::DATE FROM orders"
    )
    start = oldest if isinstance(oldest, date) else now.date()
    sync_calendar(store.con, config.calendar, min(start, now.date()), now.date())


def _flow_rows(config: Config) -> list[tuple[object, ...]]:
    # milestones: the stages [flow.on_import] moves shipped / delivered orders to
    targets = config.flow.on_import.resolved(config.flow.stage_ids)
    milestone = {targets[m]: m for m in ("shipped", "delivered") if targets.get(m)}
    return [
        (s.id, i, s.label, s.owner, sla_hours(config, s.sla), s.when, milestone.get(s.id))
        for i, s in enumerate(config.flow.stages)
    ]


def flow_in_sync(store: Store, config: Config) -> bool:
    """Whether ``flow_stages`` mirrors the configured stages."""
    current = store.fetchall(
        "SELECT stage_id, position, name, owner_role, sla_hours, condition, milestone "
        "FROM flow_stages "
        "ORDER BY position"
    )
    return [tuple(r) for r in current] == _flow_rows(config)


def sync_flow(store: Store, config: Config) -> None:
    """Mirror the configured stages into ``flow_stages`` (views join it for SLAs and owners)."""
    if flow_in_sync(store, config):
        return
    rows = _flow_rows(config)
    with store.transaction() as con:
        con.execute("DELETE FROM flow_stages")
        if rows:
            con.executemany(
                "INSERT INTO flow_stages (stage_id, position, name, owner_role, sla_hours, "
                "condition, milestone) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )


def _keep_database_setting(old_config: Path, template: str) -> str:
    """``init --force`` keeps pointing at the database the old configuration named."""
    import re
    import tomllib

    try:
        old = tomllib.loads(old_config.read_text(encoding="utf-8-sig"))
        database = old["workspace"]["database"]
    except (OSError, ValueError, KeyError, TypeError):
        return template
    if not isinstance(database, str) or database == "ordertrack.duckdb":
        return template
    quoted = database.replace("\\", "\\\\").replace('"', '\\"')
    return re.sub(
        r'^database = "ordertrack\.duckdb"', f'database = "{quoted}"', template, count=1, flags=re.M
    )


def find_workspace(explicit: Path | str | None = None, start: Path | None = None) -> Path:
    """The workspace folder: ``explicit``, else $ORDERTRACK_HOME, else cwd or a parent."""
    given = explicit if explicit is not None else os.environ.get("ORDERTRACK_HOME") or None
    if given is not None:
        root = Path(given).expanduser()
        if not (root / CONFIG_FILE).is_file():
            what = "does not exist" if not root.exists() else f"has no {CONFIG_FILE}"
            raise WorkspaceError(
                f"workspace {root} {what}",
                hint=f"Run `ordertrack init {root}` to create one.",
            )
        return root.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise WorkspaceError(
        f"no workspace here: no {CONFIG_FILE} in {here} or its parents",
        hint="Run `ordertrack init` to create one, or pass --workspace DIR "
        "(or set ORDERTRACK_HOME).",
    )


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def open_workspace(path: Path | str | None = None, *, wait: float = 0.0) -> Workspace:
    """Find the workspace and load its configuration (raises ``ConfigError`` on problems)."""
    root = find_workspace(path)
    config = load_config(root / CONFIG_FILE, _display(root / CONFIG_FILE))
    return Workspace(root=root, config=config, wait=wait)


def _backup_path(config_path: Path) -> Path:
    """``ordertrack.toml.20260630-140000.bak``; never one that exists (same second)."""
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    backup = config_path.with_name(f"{CONFIG_FILE}.{stamp}.bak")
    n = 1
    while backup.exists():
        n += 1
        backup = config_path.with_name(f"{CONFIG_FILE}.{stamp}-{n}.bak")
    return backup


@dataclass(frozen=True)
class InitResult:
    root: Path
    config_path: Path
    db_path: Path
    lang: str
    overwritten: bool
    config_backup: Path | None = None


def init_workspace(
    path: Path | str | None = None, *, lang: str = "en", force: bool = False
) -> InitResult:
    """Write the commented ``ordertrack.toml`` and create (migrate) the database."""
    from ordertrack.config import parse_config
    from ordertrack.templates import config_template

    if lang not in ("en", "zh"):
        raise WorkspaceError(f'unknown language "{lang}"', hint="Use --lang en or --lang zh.")
    root = Path(path or Path.cwd()).expanduser().resolve()
    config_path = root / CONFIG_FILE
    text = config_template(lang)
    if force:
        text = _keep_database_setting(root / CONFIG_FILE, text)
    config = parse_config(text, CONFIG_FILE)
    db_path = (root / config.workspace.database).resolve()
    existed = config_path.exists() or db_path.exists()
    if existed and not force:
        raise WorkspaceError(
            f"{root} is already a workspace ({CONFIG_FILE} or the database exists)",
            hint="Use --force to write a fresh configuration (the old one is kept as a .bak file; "
            "the database is kept).",
        )
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} is a file, not a folder")
    root.mkdir(parents=True, exist_ok=True)
    ws = Workspace(root=root, config=config)
    created_db = not db_path.exists()
    backup: Path | None = None
    wrote = False
    try:
        # Open (create, migrate) the database first: when another process holds it, this
        # fails before anything on disk has changed. The database (if any) is kept and
        # migrated, never emptied.
        with Store.open(db_path, create=True, timezone=ws.timezone) as store:
            if force and config_path.exists():
                # Nothing lost: the old configuration is kept beside the new one.
                backup = _backup_path(config_path)
                config_path.rename(backup)
            wrote = True
            config_path.write_text(text, encoding="utf-8")
            sync_flow(store, config)
    except BaseException:
        # leave the folder as it was: no half-made workspace, the old configuration back
        if created_db:
            db_path.unlink(missing_ok=True)
            db_path.with_name(db_path.name + ".wal").unlink(missing_ok=True)
        if wrote:
            config_path.unlink(missing_ok=True)
        if backup is not None:
            backup.rename(config_path)
        raise
    return InitResult(root, config_path, db_path, lang, existed, backup)
