"""SQL text from Python values, for the few statements built from configuration.

Values from users' files never reach SQL this way: they are bound as parameters. What is
spelled into SQL text is the configuration's own (stage ids, rule ids, messages, task
titles), quoted here in one place.
"""

from __future__ import annotations

from typing import Any

__all__ = ["lit"]


def lit(value: Any) -> str:
    """A SQL literal: NULL, true/false, a number, or a quoted string."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"
