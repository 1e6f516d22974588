"""The clock and the local time zone: the only place that asks the machine what time it is.

``ORDERTRACK_NOW`` (an ISO timestamp) pins "now" for a whole command: demos, backtests and
reproducible reports use it; tests pin the clock with time-machine instead.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ordertrack.errors import UserError


def machine_timezone() -> str:
    """The machine's IANA zone name: $TZ, /etc/timezone, /etc/localtime, else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and _valid(tz):
        return tz
    try:
        name = Path("/etc/timezone").read_text(encoding="utf-8").strip()
        if name and _valid(name):
            return name
    except OSError:
        pass
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            name = target.split("zoneinfo/", 1)[1]
            if _valid(name):
                return name
    except OSError:
        pass
    return "UTC"


def _valid(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def now(tz: str | None = None, pinned: datetime | None = None) -> datetime:
    """The current instant, aware, in ``tz`` (default UTC).

    ``ORDERTRACK_NOW`` overrides everything; else ``pinned`` (a workspace's ``clock``).
    """
    zone = ZoneInfo(tz) if tz else UTC
    env = os.environ.get("ORDERTRACK_NOW")
    if env:
        try:
            pinned = datetime.fromisoformat(env)
        except ValueError:
            raise UserError(
                f'ORDERTRACK_NOW="{env}" is not an ISO timestamp',
                hint='Use a form like "2026-06-30T18:00" or unset it.',
            ) from None
    if pinned is not None:
        return (pinned if pinned.tzinfo else pinned.replace(tzinfo=zone)).astimezone(zone)
    return datetime.now(UTC).astimezone(zone)


def current_user() -> str:
    """The actor of a command when ``--by`` is not given: ORDERTRACK_USER, else the OS login."""
    user = os.environ.get("ORDERTRACK_USER")
    if user:
        return user
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
