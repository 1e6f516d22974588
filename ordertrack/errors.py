"""Every error a user can cause, with its exit code and the fix.

The library raises these; the CLI converts them in one place (``ordertrack.cli``) to
``Error: <message>`` plus an optional hint on stderr and the class's exit code.
Anything else that escapes is a bug and is shown as a traceback (without local
variables, which may hold customer data or passwords).

Exit codes (documented in docs/exit-codes.md, checked by a test):

====  =====================================================================
0     success
1     a condition the user asked to fail on (``--fail-on critical``)
2     user error: bad input, bad configuration, wrong usage
3     the database is busy: another ordertrack process is writing to it
====  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_CONDITION = 1
EXIT_USER = 2
EXIT_BUSY = 3

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "Success.",
    EXIT_CONDITION: "A condition you asked to fail on holds (for example `alerts run --fail-on "
    "critical` while critical alerts are firing). Nothing is wrong with ordertrack.",
    EXIT_USER: "User error: bad input file, bad configuration, unknown order or stage, wrong "
    "command-line usage. The message names the file, row, column, key or order and says what "
    "to do; the database is left as it was.",
    EXIT_BUSY: "The order center is busy: another ordertrack process holds the database file. "
    "Try again, or pass `--wait SECONDS` to retry until then.",
}


class OrdertrackError(Exception):
    """Base of all errors meant for the user. ``hint`` says what to do about it."""

    exit_code: int = EXIT_USER

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UserError(OrdertrackError):
    """Bad input, usage or state caused by the user (exit 2)."""


class InputError(UserError):
    """An input file or value cannot be used."""


class StorageError(UserError):
    """The disk refused a write (full, or read-only): no input's fault, so a command
    working through several files stops instead of blaming each file in turn."""


class WorkspaceError(UserError):
    """No workspace, or a workspace that cannot be created or opened."""


class NotFound(UserError):
    """A thing named on the command line (order, import, stage, …) does not exist."""


class QueryRefused(UserError):
    """A SQL statement that is not allowed where it was given (e.g. a write in ``ordertrack sql``)."""


def show_value(value: object) -> str:
    """A configuration value as an error message quotes it."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


@dataclass(frozen=True)
class Problem:
    """One problem in a configuration file: where it is and what is wrong."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.message}"


class ConfigError(UserError):
    """The configuration has one or more problems; all of them are listed."""

    def __init__(self, problems: list[Problem], hint: str | None = None) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = str(self.problems[0])
        else:
            message = f"{len(self.problems)} problems in the configuration:\n" + "\n".join(
                f"  {p}" for p in self.problems
            )
        super().__init__(message, hint or "Fix the file and run `ordertrack config check`.")


class DatabaseBusy(OrdertrackError):
    """Another process holds the DuckDB file (exit 3)."""

    exit_code = EXIT_BUSY


class ConditionMet(OrdertrackError):
    """A condition the user asked to fail on holds (exit 1)."""

    exit_code = EXIT_CONDITION
