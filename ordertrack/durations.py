"""Durations as people write them in config: ``"30m"``, ``"2h"``, ``"3d"``, ``"1d 4h"``, ``"1w"``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {
    "s": 1,
    "m": 60,
    "min": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(min|[smhdw])\s*", re.IGNORECASE)
EXAMPLE = 'a duration like "24h" or "2d"'


def parse_duration(text: str) -> timedelta:
    """Parse ``"2h"``, ``"1d12h"``, ``"90m"``, ``"1.5h"``; raise ``ValueError`` otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"expected {EXAMPLE}, got {text!r}".replace("'", '"'))
    pos, total, s = 0, 0.0, text.strip()
    while pos < len(s):
        m = _PART.match(s, pos)
        if not m:
            raise ValueError(f'expected {EXAMPLE}, got "{text}"')
        total += float(m.group(1)) * _UNITS[m.group(2).lower()]
        pos = m.end()
    if total <= 0:
        raise ValueError(f'expected a positive duration like "24h" or "2d", got "{text}"')
    return timedelta(seconds=total)


def format_duration(value: timedelta) -> str:
    """The shortest exact text for a duration: ``timedelta(hours=26)`` → ``"1d2h"``."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts) or "0s"


def _duration(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    return parse_duration(value if isinstance(value, str) else repr(value))


#: A duration field of the configuration: written "2h", read as a timedelta.
Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
