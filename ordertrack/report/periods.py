"""Report periods: a day, an ISO week, a month, a quarter or a range of days.

    >>> from datetime import date
    >>> p = parse_period("2026-W23", today=date(2026, 6, 30))
    >>> p.start, p.end, p.label_for("zh")
    (datetime.date(2026, 6, 1), datetime.date(2026, 6, 7), '2026年第23周')
    >>> previous(p).label
    '2026-W22'

A period covers whole days, ``start`` to ``end`` inclusive, in the workspace's time zone:
:meth:`Period.bounds` gives the instants ``[start 00:00, end + 1 day 00:00)`` the KPI SQL
filters on. Weeks are ISO 8601 weeks (Monday to Sunday; week 1 is the week with the
year's first Thursday, so ``2026-W01`` starts on 2025-12-29).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from ordertrack.errors import UserError

__all__ = [
    "FORMS",
    "Period",
    "PeriodKind",
    "day_period",
    "month_period",
    "parse_period",
    "period_between",
    "previous",
    "quarter_period",
    "week_period",
]

PeriodKind = Literal["day", "week", "month", "quarter", "range"]

#: The accepted forms of a period, with an example each (shown in errors and docs).
FORMS: tuple[tuple[str, str], ...] = (
    ("a month", "2026-06"),
    ("an ISO week", "2026-W23"),
    ("a quarter", "2026-Q2"),
    ("a day", "2026-06-15"),
    ("a range of days", "2026-06-01..2026-06-20"),
)

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_QUARTERS_ZH = ("一", "二", "三", "四")


@dataclass(frozen=True)
class Period:
    """Whole days ``start`` … ``end`` (inclusive). ``label`` is the canonical text form
    (what :func:`parse_period` reads back); :meth:`label_for` is for people."""

    start: date
    end: date
    label: str
    kind: PeriodKind

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """The instants ``[start 00:00, end + 1 day 00:00)`` in time zone ``tz``."""
        zone = ZoneInfo(tz)
        return (
            datetime.combine(self.start, time(), zone),
            datetime.combine(self.end + timedelta(days=1), time(), zone),
        )

    def label_for(self, lang: str = "en") -> str:
        """The period as a reader names it: "June 2026" / "2026年6月"."""
        zh = lang == "zh"
        s = self.start
        if self.kind == "month":
            return f"{s.year}年{s.month}月" if zh else f"{_MONTHS_EN[s.month - 1]} {s.year}"
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            return f"{year}年第{week}周" if zh else f"Week {week}, {year}"
        if self.kind == "quarter":
            q = (s.month - 1) // 3 + 1
            return f"{s.year}年第{_QUARTERS_ZH[q - 1]}季度" if zh else f"Q{q} {s.year}"
        return self.dates_for(lang)  # a day, or a range of days

    def dates_for(self, lang: str = "en") -> str:
        """The first and last day, e.g. "1 June 2026 – 7 June 2026" (for week labels)."""
        zh = lang == "zh"
        if self.start == self.end:
            return _day_label(self.start, zh)
        sep = "至" if zh else " – "
        return f"{_day_label(self.start, zh)}{sep}{_day_label(self.end, zh)}"


def _day_label(d: date, zh: bool) -> str:
    return (
        f"{d.year}年{d.month}月{d.day}日" if zh else f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
    )


# -- constructors ------------------------------------------------------------------------


def day_period(d: date) -> Period:
    return Period(d, d, d.isoformat(), "day")


def week_period(iso_year: int, week: int) -> Period:
    """ISO week ``week`` of ISO year ``iso_year`` (raises ``UserError`` if it has none)."""
    weeks = _iso_weeks(iso_year)
    if not 1 <= week <= weeks:
        raise UserError(
            f"{iso_year} has no ISO week {week}: its weeks are 1 to {weeks}",
            hint=_forms_hint(),
        )
    start = date.fromisocalendar(iso_year, week, 1)
    return Period(start, start + timedelta(days=6), f"{iso_year}-W{week:02d}", "week")


def month_period(year: int, month: int) -> Period:
    if not 1 <= month <= 12:
        raise UserError(f"there is no month {month}: months are 01 to 12", hint=_forms_hint())
    start = date(year, month, 1)
    return Period(start, _month_end(year, month), f"{year}-{month:02d}", "month")


def quarter_period(year: int, quarter: int) -> Period:
    if not 1 <= quarter <= 4:
        raise UserError(f"there is no quarter {quarter}: quarters are Q1 to Q4", hint=_forms_hint())
    first = 3 * (quarter - 1) + 1
    return Period(
        date(year, first, 1), _month_end(year, first + 2), f"{year}-Q{quarter}", "quarter"
    )


def period_between(from_: date, to: date) -> Period:
    """The days ``from_`` … ``to`` (inclusive) as a period of kind "range"."""
    if to < from_:
        raise UserError(
            f"the period {from_.isoformat()}..{to.isoformat()} ends before it starts",
            hint="Give the first day first, e.g. 2026-06-01..2026-06-20.",
        )
    return Period(from_, to, f"{from_.isoformat()}..{to.isoformat()}", "range")


def _month_end(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return nxt - timedelta(days=1)


def _iso_weeks(iso_year: int) -> int:
    """52 or 53: 28 December always lies in the ISO year's last week."""
    return date(iso_year, 12, 28).isocalendar()[1]


# -- parsing -----------------------------------------------------------------------------

_DAY = r"(\d{4})-(\d{1,2})-(\d{1,2})"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("range", re.compile(rf"{_DAY}\s*\.\.\s*{_DAY}")),
    ("day", re.compile(_DAY)),
    ("week", re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)),
    ("quarter", re.compile(r"(\d{4})-?Q(\d)", re.IGNORECASE)),
    ("month", re.compile(r"(\d{4})-(\d{1,2})")),
)
_DEFAULTS = ("day", "week", "month", "quarter")


def _forms_text() -> str:
    forms = [f"{what} ({example})" for what, example in FORMS]
    return ", ".join(forms[:-1]) + " or " + forms[-1]


def _forms_hint() -> str:
    return f"A period is {_forms_text()}."


def _date(ymd: Sequence[str], text: str) -> date:
    y, m, d = ymd
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise UserError(
            f'"{text}" is not a period: {y}-{m}-{d} is not a date', hint=_forms_hint()
        ) from None


def parse_period(text: str | None, *, today: date, default: str = "week") -> Period:
    """The period ``text`` names; without text, the last full ``default`` period before
    ``today`` ("week": the last whole ISO week, Monday to Sunday, before today's week;
    "day": yesterday; "month" / "quarter": the last whole one).

    Raises :class:`~ordertrack.errors.UserError` (with the accepted forms) for bad text.
    """
    if text is None or not text.strip():
        if default not in _DEFAULTS:
            raise UserError(f'unknown default period "{default}": use day, week, month or quarter')
        return _last_full(default, today)
    given = text.strip()
    for kind, pattern in _PATTERNS:
        m = pattern.fullmatch(given)
        if m is None:
            continue
        g = m.groups()
        if kind == "range":
            return period_between(_date(g[0:3], given), _date(g[3:6], given))
        if kind == "day":
            return day_period(_date(g, given))
        if kind == "week":
            return week_period(int(g[0]), int(g[1]))
        if kind == "quarter":
            return quarter_period(int(g[0]), int(g[1]))
        return month_period(int(g[0]), int(g[1]))
    raise UserError(f'"{given}" is not a period: use {_forms_text()}')


def _last_full(kind: str, today: date) -> Period:
    if kind == "day":
        return day_period(today - timedelta(days=1))
    if kind == "week":
        monday = today - timedelta(days=today.weekday())
        year, week, _ = (monday - timedelta(days=7)).isocalendar()
        return week_period(year, week)
    if kind == "month":
        last = today.replace(day=1) - timedelta(days=1)
        return month_period(last.year, last.month)
    q = (today.month - 1) // 3 + 1
    return previous(quarter_period(today.year, q))


def previous(p: Period) -> Period:
    """The period just before ``p``, of the same kind and length: the day, ISO week,
    month or quarter before; for a range, as many days ending the day before it starts."""
    if p.kind == "day":
        return day_period(p.start - timedelta(days=1))
    if p.kind == "week":
        year, week, _ = (p.start - timedelta(days=7)).isocalendar()
        return week_period(year, week)
    if p.kind == "month":
        last = p.start - timedelta(days=1)
        return month_period(last.year, last.month)
    if p.kind == "quarter":
        q = (p.start.month - 1) // 3 + 1
        return (
            quarter_period(p.start.year - 1, 4) if q == 1 else quarter_period(p.start.year, q - 1)
        )
    return period_between(p.start - timedelta(days=p.days), p.start - timedelta(days=1))
