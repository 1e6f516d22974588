"""The one place that reads DuckDB's error text and turns it into ordertrack errors."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ordertrack.errors import (
    DatabaseBusy,
    OrdertrackError,
    QueryRefused,
    StorageError,
    UserError,
)

_PID = re.compile(r"\(PID (\d+)\)")


def busy_error(path: Path, detail: str = "") -> DatabaseBusy:
    pid = _PID.search(detail)
    holder = f"Held by process {pid.group(1)}. " if pid else ""
    return DatabaseBusy(
        f"the order center is busy (another ordertrack command is writing to {path.name}); "
        "try again or use --wait 60",
        hint=f"{holder}Commands that only read (status, sql, orders list) can run together; "
        "a command that writes needs the file to itself.",
    )


def is_lock_conflict(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, duckdb.Error) and (
        "Could not set lock on file" in text or "Conflicting lock" in text
    )


def translate(exc: BaseException, path: Path | None = None) -> BaseException:
    """Turn a DuckDB exception into the ordertrack error a user can act on (or return it)."""
    if isinstance(exc, OrdertrackError):
        return exc
    text = str(exc)
    if is_lock_conflict(exc) and path is not None:
        return busy_error(path, text)
    if isinstance(exc, duckdb.Error) and "read-only mode" in text:
        return QueryRefused(
            "the database is opened read-only here; this statement would change it",
            hint="Use the ordertrack command that makes the change (import, advance, …).",
        )
    # a full disk while writing the data (IOException) or the WAL at COMMIT
    # (TransactionException "Failed to commit: … No space left on device")
    if isinstance(exc, duckdb.Error) and (
        "No space left" in text or "Read-only file system" in text or "Disk quota" in text
    ):
        return StorageError(
            f"cannot write the database: {text.splitlines()[0]}",
            hint="Free disk space; nothing was written.",
        )
    if isinstance(exc, duckdb.IOException) and "not a valid DuckDB database" in text:
        return UserError(
            f"{path or 'the database file'} is not a DuckDB database file",
            hint="Check `database` in ordertrack.toml.",
        )
    return exc


def sql_error(exc: duckdb.Error) -> UserError:
    """A user's SQL failed (bad column, syntax): keep DuckDB's own explanation."""
    first = str(exc).strip()
    return UserError(
        first, hint='Check the query; `ordertrack sql "DESCRIBE v_order_facts"` lists columns.'
    )


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_COLS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def is_not_utf8(exc: BaseException) -> bool:
    """DuckDB found bytes that are not UTF-8 while reading a CSV."""
    return "Invalid unicode" in str(exc)


def needs_serial_csv(exc: BaseException) -> bool:
    """DuckDB's parallel CSV scanner refuses quoted line breaks with null padding."""
    return "parallel=false" in str(exc)


def csv_error(exc: BaseException, path: Path) -> BaseException:
    """DuckDB's CSV reader refused a file: name the line and what was wrong."""
    from ordertrack.errors import InputError

    text = str(exc)
    line = _CSV_LINE.search(text)
    where = f"line {line.group(1)}" if line else "the file"
    cols = _CSV_COLS.search(text)
    if cols:
        return InputError(
            f"{path}: {where} has {cols.group(2)} cells but the header has {cols.group(1)}",
            hint="A cell probably contains the delimiter without quotes, or a column has no "
            "header; fix that line (nothing was imported from this file).",
        )
    if "unterminated quote" in text.lower():  # (every CSV error lists the quote option)
        return InputError(
            f"{path}: {where}: a quoted cell is not closed",
            hint="Check the quotes on that line (nothing was imported from this file).",
        )
    if "Maximum line size" in text or "max_line_size" in text:
        return InputError(
            f"{path}: {where} is longer than 16 MB", hint="Is this really a CSV export?"
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return InputError(f"{path}: cannot read {where}: {first}")


def duckdb_message(exc: BaseException) -> str:
    """DuckDB's own explanation, without its "Binder Error: " prefix and query excerpt."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    head, sep, rest = line.partition(": ")
    if sep and head.endswith("Error") and " " in head:
        line = rest
    return line[:1].lower() + line[1:]
