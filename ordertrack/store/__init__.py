"""The DuckDB store: open the file (waiting for a lock if asked), migrate, run transactions.

All SQL that defines the store lives in ``ordertrack/store/sql``; engines talk to the
database through a :class:`Store`. DuckDB allows one process to write a file at a time:
opening a file another process holds raises :class:`ordertrack.errors.DatabaseBusy`
(exit 3), after retrying for ``wait`` seconds.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import duckdb

from ordertrack.errors import WorkspaceError
from ordertrack.store.errors import busy_error, is_lock_conflict, translate

# Numbered migrations, applied in order on open and recorded in `schema_version`.
MIGRATIONS: list[tuple[int, str]] = [
    (1, "m001_initial"),
    (2, "m002_calendar"),  # SQL owned by ordertrack.calendar (CALENDAR_SQL)
    (3, "m003_alerts"),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def _views_sha() -> str:
    import hashlib

    return hashlib.sha256(_sql("views").encode()).hexdigest()


def _sql(name: str) -> str:
    if name == "m002_calendar":
        from ordertrack.calendar import CALENDAR_SQL

        return CALENDAR_SQL
    return (files("ordertrack.store") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


class Store:
    """One open connection to the order center's DuckDB file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        read_only: bool = False,
        wait: float = 0.0,
        timezone: str | None = None,
        now: datetime | None = None,
        create: bool = False,
    ) -> Store:
        """Open (and migrate) the database file.

        ``wait``: seconds to keep retrying while another process holds the file.
        ``now``: the instant views treat as "now" (``getvariable('ot_now')``).
        """
        if not create and not path.exists():
            raise WorkspaceError(
                f"database file {path} does not exist",
                hint="Run `ordertrack init` in the workspace (or `init --force` to recreate it).",
            )
        con = _connect(path, read_only=read_only, wait=wait)
        store = cls(con, path, read_only)
        try:
            if timezone:
                con.execute(f"SET TimeZone = '{_quote(timezone)}'")
            if now is not None:
                con.execute("SET VARIABLE ot_now = ?::TIMESTAMPTZ", [now])
            if store.schema_version() < SCHEMA_VERSION or store.views_outdated():
                if read_only:
                    # Migrate through a short writable connection, then reopen read-only.
                    con.close()
                    cls.open(path, wait=wait, timezone=timezone).close()
                    return cls.open(path, read_only=True, wait=wait, timezone=timezone, now=now)
                store.migrate()
        except BaseException:
            con.close()
            raise
        return store

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------

    def schema_version(self) -> int:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        row = self.con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def views_outdated(self) -> bool:
        """The public views differ from this version's views.sql (recreated on open)."""
        row = (
            self.con.execute("SELECT value FROM meta WHERE key = 'views_sha256'").fetchone()
            if self.schema_version()
            else None
        )
        return (row[0] if row else None) != _views_sha()

    def migrate(self) -> list[int]:
        """Apply the migrations this file has not had; return their numbers."""
        applied: list[int] = []
        with self.transaction() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
            )
            current = self.schema_version()
            for number, name in MIGRATIONS:
                if number <= current:
                    continue
                con.execute(_sql(name))
                con.execute(
                    "INSERT INTO schema_version (version, name) VALUES (?, ?)", [number, name]
                )
                applied.append(number)
            if applied or self.views_outdated():
                con.execute(_sql("views"))
                con.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('views_sha256', ?)",
                    [_views_sha()],
                )
        return applied

    # -- transactions and queries ----------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """``with store.transaction() as con:`` — all of it commits, or none of it."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException as e:
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            # a full disk (or a lock) met while writing is the user's to fix, not a bug
            translated = translate(e, self.path)
            if translated is e:
                raise
            raise translated from None
        try:
            self.con.execute("COMMIT")
        except duckdb.Error as e:
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            raise translate(e, self.path) from None

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    def fetchone(self, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
        return self.con.execute(sql, params or []).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.fetchone(sql, params)
        return row[0] if row else None

    def set_now(self, now: datetime) -> None:
        self.con.execute("SET VARIABLE ot_now = ?::TIMESTAMPTZ", [now])


def as_dicts(cursor: Any) -> list[dict[str, Any]]:
    """All rows of an executed query, as column → value dicts (the result is consumed)."""
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: Any) -> Iterator[None]:
    """An Arrow table visible to SQL as ``name`` while the block runs.

    DuckDB 2 refuses relation calls (``register``) while an earlier result on the
    connection is not fetched to its end, so any pending one is finished first.
    """
    con.execute("SELECT 1").fetchall()
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _connect(path: Path, *, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + max(wait, 0.0)
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            # no progress bar: DuckDB draws it on stdout, into --json output and cron mail
            con.execute("SET enable_progress_bar = false")
            return con
        except duckdb.Error as e:
            if not is_lock_conflict(e):
                raise translate(e, path) from None
            if time.monotonic() >= deadline:
                raise busy_error(path, str(e)) from None
            time.sleep(min(delay, max(deadline - time.monotonic(), 0.01)))
            delay = min(delay * 2, 0.5)
