"""The scheduler's part of ``ordertrack.toml``: ``[schedule]``.

Each job is switched on by its table: ``[schedule.inbox]``, ``[schedule.alerts]``,
``[schedule.outbox]`` and one ``[[schedule.reports]]`` per report to send. Intervals are
durations (``"5m"``, ``"1h"``; ``"2s"`` for tests), report times ``"monday 08:30"`` in the
workspace time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ordertrack.durations import Duration

__all__ = [
    "AT_EXAMPLE",
    "DAYS",
    "At",
    "InboxJob",
    "IntervalJob",
    "OutboxJob",
    "ReportJob",
    "ScheduleSettings",
    "SweepJob",
    "parse_at",
]

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_WORDS = {
    **{d: (d,) for d in DAYS},
    **{d[:3]: (d,) for d in DAYS},
    "weekdays": DAYS[:5],
    "daily": DAYS,
}
AT_EXAMPLE = '"monday 08:30", "weekdays 18:00" or "08:30" (every day)'
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


@dataclass(frozen=True)
class At:
    """A report time: on these days, at this time of day (in the workspace time zone)."""

    days: tuple[str, ...]  # monday … sunday; all seven: every day
    time: time

    @property
    def every_day(self) -> bool:
        return len(self.days) == 7

    def clock(self) -> str:
        """``08:30`` or ``08:30:15``."""
        return self.time.strftime("%H:%M:%S" if self.time.second else "%H:%M")

    def __str__(self) -> str:
        if self.every_day:
            return f"daily {self.clock()}"
        if self.days == DAYS[:5]:
            return f"weekdays {self.clock()}"
        return f"{self.days[0]} {self.clock()}"


def parse_at(text: str) -> At:
    """``"monday 08:30"``, ``"mon 8:30"``, ``"weekdays 18:00"``, ``"daily 07:00"``,
    ``"08:30"``, ``"08:30:15"``; raise ``ValueError`` otherwise."""
    parts = str(text).strip().lower().split()
    if not parts or len(parts) > 2:
        raise ValueError(f'expected a time like {AT_EXAMPLE}, got "{text}"')
    days = _DAY_WORDS.get(parts[0]) if len(parts) == 2 else DAYS
    if days is None:
        raise ValueError(
            f'unknown day "{parts[0]}" in "{text}"; use monday … sunday (or mon … sun), '
            "weekdays or daily"
        )
    m = _TIME.match(parts[-1])
    if m is None:
        raise ValueError(
            f'"{parts[-1]}" is not a time of day (HH:MM, 24-hour clock); '
            f"expected a time like {AT_EXAMPLE}"
        )
    return At(days, time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class IntervalJob(_Model):
    """A job run every so often."""

    every: Duration = Field(
        timedelta(minutes=10),
        description='How often, e.g. "10m" or "1h" (seconds such as "2s" work too, for tests). '
        "The job also runs once when the scheduler starts.",
    )


class InboxJob(IntervalJob):
    """Import the files dropped into a folder (`[schedule.inbox]`).

    Each file is imported as `ordertrack import` would, then moved to `done/` (imported,
    or already imported before) or `failed/` (with `NAME.reason.txt` beside it) inside the
    folder; one imported with rejected rows gets `NAME.rejects.txt` in `done/`. Files are
    never deleted; a name taken in `done/` or `failed/` gets a suffix (`orders-2.csv`).
    """

    every: Duration = Field(
        timedelta(minutes=5),
        description='How often to look into the folder, e.g. "5m". The job also runs once '
        "when the scheduler starts.",
    )
    folder: str = Field(
        "inbox",
        description="The folder, relative to the workspace (or absolute). Created when missing.",
    )
    settle: Duration = Field(
        timedelta(seconds=30),
        description="A file changed less than this long ago is still being written: it is "
        'left for a later run, e.g. "30s". Hidden and temporary files (.x, ~$x, *.tmp, '
        "*.part, *.crdownload) are never taken.",
    )


class OutboxJob(IntervalJob):
    """Send the notifications waiting in the outbox (`[schedule.outbox]`): messages queued
    because the mail server or a chat robot was down. Failed ones (address or password
    refused) wait for `ordertrack outbox retry` once the configuration is fixed."""


class SweepJob(IntervalJob):
    """Run the rules (`[schedule.alerts]`), as `ordertrack alerts run` does."""

    every: Duration = Field(
        timedelta(minutes=15),
        description='How often, e.g. "15m". The job also runs once when the scheduler starts.',
    )
    notify: bool = Field(
        True,
        description="Send the digests due, as `alerts run --notify` (e-mail, chat robots, files).",
    )


class ReportJob(_Model):
    """A report pack e-mailed at set times (`[[schedule.reports]]`), as `ordertrack report
    send` does, over the pack's default period."""

    pack: str = Field(..., description="The pack: ceo, sales, production, or one of [packs].")
    at: str = Field(
        ...,
        description=f"When, in the workspace time zone: {AT_EXAMPLE}. Days: monday … sunday "
        "(or mon … sun), weekdays, daily.",
    )
    to: list[str] = Field(
        default_factory=list,
        description="Recipients: e-mail addresses, people or roles. Default: the pack's recipients.",
    )

    @field_validator("at")
    @classmethod
    def _valid_at(cls, value: str) -> str:
        parse_at(value)
        return value

    @property
    def when(self) -> At:
        return parse_at(self.at)


class ScheduleSettings(_Model):
    """What `ordertrack schedule run` does, and when (`[schedule]`). A job runs only when
    its table is present; see docs/scheduling.md."""

    inbox: InboxJob | None = Field(
        None, description="Import files dropped into a folder (`[schedule.inbox]`)."
    )
    alerts: SweepJob | None = Field(None, description="Alert sweeps (`[schedule.alerts]`).")
    outbox: OutboxJob | None = Field(
        None, description="Send the notifications waiting in the outbox (`[schedule.outbox]`)."
    )
    reports: list[ReportJob] = Field(
        default_factory=list, description="Reports e-mailed at set times (`[[schedule.reports]]`)."
    )
    wait: Duration = Field(
        timedelta(seconds=10),
        description="How long a job waits for the database while another command writes to "
        "it; after that it is skipped until its next run (a report is tried again after `retry`).",
    )
    retry: Duration = Field(
        timedelta(minutes=1),
        description="How soon a report whose send found the database busy is tried again.",
    )
    log_file: str = Field(
        "logs/schedule.log",
        description="The scheduler's log, relative to the workspace (or absolute).",
    )
    log_max_kb: int = Field(
        1024, ge=1, description="The log is rotated when it reaches this size (KiB)."
    )
    log_backups: int = Field(
        5, ge=0, description="How many rotated logs to keep (schedule.log.1, .2, …)."
    )

    @property
    def empty(self) -> bool:
        return not (self.inbox or self.alerts or self.outbox or self.reports)
