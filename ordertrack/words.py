"""Counts in English text: ``1 row``, ``2 rows`` (for messages, logs and summaries)."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and its noun: ``1 file``, ``2 files``, ``1,234 rows``; ``plural`` when not
    ``noun + "s"`` (``counted(2, "job run")`` is ``2 job runs``)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {plural or noun + 's'}"
