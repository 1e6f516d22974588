"""Business calendar: stage time limits counted in working hours.

``[calendar]`` in ``ordertrack.toml`` (:class:`CalendarConfig`) says which days are work
days and which hours of them count. Without it (or with an empty ``[calendar]``) time is
wall-clock time.

Which days are work days, strongest rule first:

1. ``workdays_extra``: always a work day;
2. ``holidays``: always a day off;
3. the country's make-up work days (``country = "CN"``: the 调休 days of
   ``chinesecalendar``, e.g. Sunday 2025-09-28);
4. the country's public holidays (``chinesecalendar`` for CN, the ``holidays`` package
   for every other ISO code, with ``subdiv`` for a state or province);
5. else the weekday rule (``workdays``, Mon–Fri by default).

Every work day has the same windows (``hours``, 09:00–12:00 and 13:00–18:00 by default).

In SQL, :func:`sync_calendar` fills ``calendar_days`` (one row per day of the covered
range, with the running total of business hours), ``calendar_windows`` and
``calendar_state`` (what it was built from: an unchanged config costs two small queries)
and compiles the macros. Views call two of them:

``business_hours_between(t0, t1)``
    business hours from ``t0`` to ``t1`` (TIMESTAMPTZ), negative when ``t1 < t0`` (so
    spans add up in any order; ``greatest(…, 0)`` where a view wants no negatives);
    wall-clock hours when no calendar is configured.
``business_hours_at(ts)``
    a clock that runs in business hours: ``at(t1) - at(t0)`` is the business time
    between. Its zero is the first covered day (the Unix epoch without a calendar); only
    differences mean anything.

Instants are read in the session's ``TimeZone`` (the store pins it to the workspace zone):
the local date picks the day, the local clock time the position in the day's windows.
Per instant this is one look-up by position in a list and integer arithmetic: no join,
no correlated subquery, no per-row Python (1M rows in about 0.1–0.3 s).

Outside the covered range (``MARGIN_YEARS`` years around the dates the store asked for,
and it grows when asked for more) hours count as wall-clock time from the range's
nearest end: the clock stays continuous and never NULL, and an order that old errs
towards an early alert rather than none. Clamping instead would silently stop counting.

Local clock times are used as they are: on a day a DST change skips or repeats an hour,
a window over that hour counts it as the clock shows (none does with usual office hours).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from ordertrack.errors import show_value

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "CALENDAR_MACROS_SQL",
    "CALENDAR_SQL",
    "CALENDAR_TABLES_SQL",
    "MARGIN_YEARS",
    "CalendarConfig",
    "CalendarDay",
    "calendar_days",
    "calendar_hash",
    "coverage_warnings",
    "sync_calendar",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DEFAULT_WORKDAYS = ["mon", "tue", "wed", "thu", "fri"]
_DEFAULT_HOURS = ["09:00-12:00", "13:00-18:00"]

#: Years of calendar kept before the earliest and after the latest date asked for.
MARGIN_YEARS = 2

# Bump when the tables' meaning or the macros change: every store then rebuilds once.
_FORMAT = 1

# ---------------------------------------------------------------------------------------
# parsing config values

_WEEKDAY_ALIASES: dict[str, str] = {}
for _i, _name in enumerate(WEEKDAYS):
    _full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[_i]
    _zh = "一二三四五六日"[_i]
    for _alias in (_name, _full, str(_i + 1), f"周{_zh}", f"星期{_zh}"):
        _WEEKDAY_ALIASES[_alias] = _name
_WEEKDAY_ALIASES.update({"周天": "sun", "星期天": "sun"})


def _weekday(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        key = str(value)
    elif isinstance(value, str):
        key = value.strip().lower()
    else:
        key = ""
    if key not in _WEEKDAY_ALIASES:
        raise ValueError(
            f'expected a weekday "mon" … "sun" or a number 1 (Monday) … 7 (Sunday), got {_show(value)}'
        )
    return _WEEKDAY_ALIASES[key]


_WINDOW = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*[-–~～]\s*(\d{1,2})[:：](\d{2})\s*$")


def _parse_window(text: str) -> tuple[int, int]:
    """``"09:00-12:00"`` → ``(540, 720)`` (minutes after midnight)."""
    m = _WINDOW.match(text)
    if not m:
        raise ValueError(f'expected "HH:MM-HH:MM", got "{text}"')
    h0, m0, h1, m1 = (int(g) for g in m.groups())
    if h0 > 23 or m0 > 59 or h1 > 24 or m1 > 59 or (h1 == 24 and m1):
        raise ValueError(f'not a time of day in "{text}"; use 00:00 … 24:00')
    start, end = h0 * 60 + m0, h1 * 60 + m1
    if start >= end:
        raise ValueError(
            f'"{text}" ends before it starts; a window ends the same day (at most 24:00)'
        )
    return start, end


def _window(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f'expected "HH:MM-HH:MM", got {_show(value)}')
    start, end = _parse_window(value)
    return f"{_hhmm(start)}-{_hhmm(end)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LONGEST_SPAN = 366


def _one_date(text: str, whole: str) -> date:
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(
        f'expected a date "YYYY-MM-DD" or a span "YYYY-MM-DD..YYYY-MM-DD", got "{whole}"'
    )


def _date_or_span(value: Any) -> str:
    """A date or an inclusive span of dates, normalised to ``YYYY-MM-DD[..YYYY-MM-DD]``."""
    if isinstance(value, datetime):
        raise ValueError(f"expected a date without a time, got {value.isoformat()}")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(
            f'expected a date "YYYY-MM-DD" or a span "YYYY-MM-DD..YYYY-MM-DD", got {_show(value)}'
        )
    first_text, sep, last_text = value.strip().partition("..")
    first = _one_date(first_text.strip(), value)
    if not sep:
        return first.isoformat()
    last = _one_date(last_text.strip(), value)
    if last < first:
        raise ValueError(f'the span "{value}" ends before it starts')
    if (last - first).days >= _LONGEST_SPAN:
        raise ValueError(f'the span "{value}" is longer than a year; check the years')
    return f"{first.isoformat()}..{last.isoformat()}"


def _expand(items: list[str]) -> set[date]:
    out: set[date] = set()
    for item in items:
        first_text, _, last_text = item.partition("..")
        first = date.fromisoformat(first_text)
        last = date.fromisoformat(last_text) if last_text else first
        out.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return out


_show = show_value


Weekday = Annotated[str, BeforeValidator(_weekday)]
Window = Annotated[str, BeforeValidator(_window)]
DateOrSpan = Annotated[str, BeforeValidator(_date_or_span)]


# ---------------------------------------------------------------------------------------
# the config


class CalendarConfig(BaseModel):
    """Work days and hours: stage time limits (`sla`) count business hours only.

    Leave `[calendar]` out (or empty) and time limits count wall-clock time. Days off:
    the country's public holidays and `holidays`; extra work days: the country's make-up
    work days (调休, for CN) and `workdays_extra`.
    """

    model_config = ConfigDict(extra="forbid", validate_default=True)

    country: str | None = Field(
        None,
        description='ISO 3166 country code whose public holidays are days off. "CN": Chinese '
        "holidays and make-up work days (调休) from the `chinesecalendar` package; any other "
        'code, e.g. "US" or "DE": the `holidays` package. None: no public holidays.',
    )
    subdiv: str | None = Field(
        None,
        description='State or province for regional holidays (the `holidays` package), e.g. "BY" '
        'with country "DE" or "CA" with country "US". Not used for CN.',
    )
    workdays: list[Weekday] = Field(
        default_factory=lambda: list(_DEFAULT_WORKDAYS),
        description='Weekdays that are work days: "mon" … "sun" (or 1 = Monday … 7 = Sunday).',
    )
    hours: list[Window] = Field(
        default_factory=lambda: list(_DEFAULT_HOURS),
        description='Working hours of every work day, local time, as "HH:MM-HH:MM" windows; '
        "leave gaps for breaks. Default: 09:00-12:00 and 13:00-18:00 (a lunch break).",
    )
    holidays: list[DateOrSpan] = Field(
        default_factory=list,
        description='Extra days off, e.g. ["2026-02-10..2026-02-25"] for a Spring Festival '
        'closure: "YYYY-MM-DD" dates or inclusive "YYYY-MM-DD..YYYY-MM-DD" spans.',
    )
    workdays_extra: list[DateOrSpan] = Field(
        default_factory=list,
        description="Extra work days, e.g. a Saturday worked to make up for a bridge day "
        "(dates or spans as in `holidays`). They win over every day-off rule.",
    )

    @field_validator("workdays", "hours", "holidays", "workdays_extra", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (
            [value]
            if isinstance(value, str | int | date) and not isinstance(value, bool)
            else value
        )

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            return value  # pydantic reports the type
        code = value.strip().upper()
        if code == "CN":
            _import_chinese_calendar()
            return code
        known = _holidays_module().list_supported_countries()
        if code not in known:
            raise ValueError(
                f'unknown country "{value}"; use an ISO 3166 code such as "CN", "US" or "DE"'
            )
        return code

    @field_validator("subdiv", mode="before")
    @classmethod
    def _subdiv(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            return value
        code = value.strip().upper()
        if "country" not in info.data:  # the country itself is wrong: reported there
            return code
        country = info.data["country"]
        if country is None:
            raise ValueError("subdiv needs a country; set country too (or remove subdiv)")
        if country == "CN":
            raise ValueError(
                "chinesecalendar has national holidays only; list regional days off in holidays"
            )
        known = list(_holidays_module().list_supported_countries()[country])
        if code not in known:
            listed = ", ".join(known[:30]) + (", …" if len(known) > 30 else "")
            raise ValueError(
                f'unknown subdivision "{value}" of {country}; known: {listed or "(none)"}'
            )
        return code

    @field_validator("workdays")
    @classmethod
    def _workdays(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('at least one weekday must be a work day, e.g. ["mon", "tue"]')
        return [d for d in WEEKDAYS if d in value]

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('at least one window is needed, e.g. ["09:00-18:00"]')
        ordered = sorted(value, key=_parse_window)
        for before, after in pairwise(ordered):
            if _parse_window(after)[0] < _parse_window(before)[1]:
                raise ValueError(f'"{after}" overlaps "{before}"')
        return ordered

    @field_validator("workdays_extra")
    @classmethod
    def _not_both(cls, value: list[str], info: ValidationInfo) -> list[str]:
        both = _expand(value) & _expand(info.data.get("holidays") or [])
        if both:
            shown = ", ".join(d.isoformat() for d in sorted(both)[:5])
            raise ValueError(f"{shown} listed both in holidays and in workdays_extra")
        return value

    # -- derived -------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """False for an empty ``[calendar]``: time limits then count wall-clock time."""
        return bool(self.model_fields_set)

    @property
    def windows(self) -> list[tuple[int, int]]:
        """The working windows as (start, end) minutes after local midnight."""
        return [_parse_window(w) for w in self.hours]

    @property
    def minutes_per_day(self) -> int:
        """Working minutes of a work day."""
        return sum(end - start for start, end in self.windows)

    def holiday_dates(self) -> set[date]:
        return _expand(self.holidays)

    def extra_workday_dates(self) -> set[date]:
        return _expand(self.workdays_extra)


def _effective(cal: CalendarConfig | None) -> CalendarConfig | None:
    return cal if cal is not None and cal.active else None


def _import_chinese_calendar() -> Any:
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - a dependency of ordertrack
        raise ValueError(
            'country "CN" needs the chinesecalendar package: pip install chinesecalendar'
        ) from None
    return chinese_calendar


def _holidays_module() -> Any:
    try:
        import holidays
    except ImportError:  # pragma: no cover - a dependency of ordertrack
        raise ValueError("this country needs the holidays package: pip install holidays") from None
    return holidays


# ---------------------------------------------------------------------------------------
# days
# ---------------------------------------------------------------------------------------
# days


class CalendarDay(NamedTuple):
    day: date
    is_workday: bool
    work_hours: float  # business hours in the day (0 on days off)
    cum_hours: float  # business hours from the first day up to this day's 00:00


def _country_days(cal: CalendarConfig, start: date, end: date) -> tuple[set[date], set[date]]:
    """(days off, make-up work days) of the country between ``start`` and ``end``."""
    if cal.country is None:
        return set(), set()
    if cal.country == "CN":
        cc = _import_chinese_calendar()
        off = {d for d in cc.holidays if start <= d <= end}
        on = {d for d in cc.workdays if start <= d <= end}
        return off, on
    table = _holidays_module().country_holidays(
        cal.country, subdiv=cal.subdiv, years=range(start.year, end.year + 1)
    )
    return {d for d in table if start <= d <= end}, set()


def _workday_flags(cal: CalendarConfig, start: date, end: date) -> list[tuple[date, bool]]:
    country_off, country_on = _country_days(cal, start, end)
    extra_on, extra_off = cal.extra_workday_dates(), cal.holiday_dates()
    weekly = {WEEKDAYS.index(d) for d in cal.workdays}
    out: list[tuple[date, bool]] = []
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        if day in extra_on:
            working = True
        elif day in extra_off:
            working = False
        elif day in country_on:
            working = True
        elif day in country_off:
            working = False
        else:
            working = day.weekday() in weekly
        out.append((day, working))
    return out


def calendar_days(cal: CalendarConfig, start: date, end: date) -> list[CalendarDay]:
    """One row per day from ``start`` to ``end`` (both included):
    ``(day, is_workday, work_hours, cum_hours)``, ``cum_hours`` counted from ``start``."""
    if end < start:
        return []
    per_day = cal.minutes_per_day
    rows: list[CalendarDay] = []
    cum = 0  # whole minutes: no float drift over the years
    for day, working in _workday_flags(cal, start, end):
        minutes = per_day if working else 0
        rows.append(CalendarDay(day, working, minutes / 60, cum / 60))
        cum += minutes
    return rows


def coverage_warnings(cal: CalendarConfig | None, start: date, end: date) -> list[str]:
    """Years between ``start`` and ``end`` for which the country's holiday data is missing.

    ``chinesecalendar`` knows a year once the State Council has published its holidays
    (late in the year before); later years get only the weekday rule and the ``[calendar]``
    dates. For ``flow check`` or a doctor command to show.
    """
    cal = _effective(cal)
    if cal is None or cal.country != "CN" or end < start:
        return []
    cc = _import_chinese_calendar()
    years = {d.year for d in cc.holidays}
    first, last = min(years), max(years)
    missing = [y for y in range(start.year, end.year + 1) if not first <= y <= last]
    if not missing:
        return []
    shown = f"{missing[0]}" if len(missing) == 1 else f"{missing[0]}–{missing[-1]}"
    return [
        f"chinesecalendar {_version('chinesecalendar')} knows Chinese holidays for "
        f"{first}–{last} only; {shown} count as plain weeks. Upgrade it "
        "(pip install -U chinesecalendar) or list those days in [calendar] holidays "
        "and workdays_extra."
    ]


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover
        return "?"


def calendar_hash(cal: CalendarConfig | None, zone: str | None = None) -> str:
    """What the calendar tables and macros are built from: the config, the holiday
    library's version, this module's SQL format and the session time zone ``zone`` (for
    its fast path; the results do not depend on it). Wall-clock: one fixed value."""
    cal = _effective(cal)
    if cal is None:
        payload: dict[str, Any] = {"format": _FORMAT, "mode": "wall-clock"}
    else:
        lib = None
        if cal.country == "CN":
            lib = f"chinesecalendar {_version('chinesecalendar')}"
        elif cal.country:
            lib = f"holidays {_version('holidays')}"
        payload = {
            "format": _FORMAT,
            "config": cal.model_dump(mode="json"),
            "library": lib,
            "zone": zone,
        }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------------------
# SQL

CALENDAR_TABLES_SQL = """\
-- The business calendar, filled from [calendar] by ordertrack.calendar.sync_calendar().
-- Empty: no calendar (time limits count wall-clock time). Every day of the covered range
-- has a row.
CREATE TABLE IF NOT EXISTS calendar_days (
    day DATE PRIMARY KEY,
    is_workday BOOLEAN NOT NULL,      -- after public holidays, make-up work days and [calendar] dates
    work_hours DOUBLE NOT NULL,       -- business hours in the day; 0 on days off
    cum_hours DOUBLE NOT NULL         -- business hours from the first day up to this day's 00:00
);

-- The working hours of every work day, in minutes after local midnight.
CREATE TABLE IF NOT EXISTS calendar_windows (
    start_min INTEGER PRIMARY KEY,
    end_min INTEGER NOT NULL
);

-- One row: what the calendar tables and macros were built from.
CREATE TABLE IF NOT EXISTS calendar_state (
    config_hash VARCHAR NOT NULL,     -- of [calendar], the holiday library's version, the SQL format and time zone
    first_day DATE,                   -- the covered range; NULL: wall-clock
    last_day DATE,
    synced_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
"""

# The public macros never change. They call `_calendar_at_us(ts)`, a clock that runs in
# business microseconds, which sync_calendar() compiles from the calendar.
_PUBLIC_MACROS_SQL = """\
CREATE OR REPLACE MACRO business_hours_at(ts) AS _calendar_at_us(ts) / 3600000000.0;
CREATE OR REPLACE MACRO business_hours_between(t0, t1) AS
    (_calendar_at_us(t1) - _calendar_at_us(t0)) / 3600000000.0;
"""


def _wall_sql() -> str:
    return f"""\
CREATE OR REPLACE MACRO _calendar_hash() AS '{calendar_hash(None)}';
CREATE OR REPLACE MACRO _calendar_at_us(ts) AS epoch_us(ts::TIMESTAMPTZ);
"""


#: The macros of a store without a calendar (they count wall-clock hours). A migration
#: runs them after :data:`CALENDAR_TABLES_SQL` and before the views that call them.
CALENDAR_MACROS_SQL = _wall_sql() + _PUBLIC_MACROS_SQL

#: Tables and macros: what a migration runs. Running it again is harmless: a store whose
#: calendar it reset to wall-clock is rebuilt by the next :func:`sync_calendar`.
CALENDAR_SQL = CALENDAR_TABLES_SQL + "\n" + CALENDAR_MACROS_SQL

_DAY_US = 86_400_000_000
_MINUTE_US = 60_000_000


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _business_sql(
    key: str, cal: CalendarConfig, first: date, days: int, zone: str, offset_us: int | None
) -> str:
    """The ``_calendar_*`` macros of a business calendar.

    Per row: the instant's local time, one look-up by position in a list, integer
    arithmetic. No join, no correlated subquery, no per-row Python:

    - ``_calendar_local_us``: local time (session TimeZone) as µs since 1970-01-01 00:00.
      When the zone had one UTC offset over the whole range (Asia/Shanghai, UTC, …) and is
      still the session's, an addition; else DuckDB's time zone conversion (correct for
      any zone, and then most of the cost). The zone test folds to a constant when the
      query is planned.
    - ``_calendar_codes``: per day from ``first``, 2 × (business minutes before its 00:00)
      + (1 if a work day); two entries more for the end of the range. One uncorrelated
      subquery over ``calendar_days``, computed once per query.
    - ``off``: local µs since ``first`` 00:00; ``c``: ``off`` clamped to the range. Business
      µs = the day's running total + on a work day the part of its windows before the
      clock time; outside the range ``off - c`` adds wall-clock time from its nearest end.
    - Arithmetic, not CASE, so that DuckDB computes the subexpressions a macro repeats once.
    """
    first_us = (first - date(1970, 1, 1)).days * _DAY_US
    in_day = " + ".join(
        f"least(greatest(u - {start * _MINUTE_US}, 0), {(end - start) * _MINUTE_US})"
        for start, end in cal.windows
    )
    exact = "epoch_us(ts::TIMESTAMPTZ::TIMESTAMP)"
    local = (
        exact
        if offset_us is None
        else f"CASE WHEN current_setting('TimeZone') = {_sql_text(zone)} "
        f"THEN epoch_us(ts::TIMESTAMPTZ) + {offset_us} ELSE {exact} END"
    )
    return f"""\
CREATE OR REPLACE MACRO _calendar_hash() AS {_sql_text(key)};
CREATE OR REPLACE MACRO _calendar_local_us(ts) AS {local};
CREATE OR REPLACE MACRO _calendar_codes() AS
    (SELECT list(round(cum_hours * 60)::BIGINT * 2 + is_workday::BIGINT ORDER BY day)
            || [round(max(cum_hours + work_hours) * 60)::BIGINT * 2,
                round(max(cum_hours + work_hours) * 60)::BIGINT * 2]
     FROM calendar_days);
CREATE OR REPLACE MACRO _calendar_in_day_us(u) AS {in_day};
CREATE OR REPLACE MACRO _calendar_at_code(code, off, c) AS
    code // 2 * {_MINUTE_US} + code % 2 * _calendar_in_day_us(c % {_DAY_US}) + (off - c);
CREATE OR REPLACE MACRO _calendar_at_clamped(off, c) AS
    _calendar_at_code(_calendar_codes()[c // {_DAY_US} + 1], off, c);
CREATE OR REPLACE MACRO _calendar_at_off(off) AS
    _calendar_at_clamped(off, least(greatest(off, 0), {days * _DAY_US}));
CREATE OR REPLACE MACRO _calendar_at_us(ts) AS
    _calendar_at_off(_calendar_local_us(ts) - {first_us});
"""


def _fixed_offset_us(con: duckdb.DuckDBPyConnection, first: date, last: date) -> int | None:
    """The session zone's UTC offset in µs if it is one offset from ``first`` to ``last``
    (asked of DuckDB's own time zone data, twice a day), else None."""
    row = con.execute(
        "SELECT min(o), max(o) FROM (SELECT epoch_us(t::TIMESTAMP) - epoch_us(t) AS o "
        "FROM generate_series(?::TIMESTAMPTZ, ?::TIMESTAMPTZ, INTERVAL 12 HOUR) g(t))",
        [
            datetime.combine(first, time()) - timedelta(days=2),
            datetime.combine(last, time()) + timedelta(days=2),
        ],
    ).fetchone()
    if row is None or row[0] is None or row[0] != row[1]:
        return None
    return int(row[0])


def _stored_state(
    con: duckdb.DuckDBPyConnection,
) -> tuple[str, tuple[str, str | None, date | None, date | None] | None]:
    """The session's time zone, and (macro hash, table hash, first day, last day) of the
    stored calendar (None before CALENDAR_SQL ran): two small queries."""
    row = con.execute(
        "SELECT current_setting('TimeZone'), (SELECT count(*) FROM duckdb_tables() "
        "WHERE table_name = 'calendar_state' AND database_name IN (current_database(), 'temp'))"
    ).fetchone()
    assert row is not None
    zone, exists = str(row[0]), bool(row[1])
    if not exists:
        return zone, None
    state = con.execute(
        "SELECT _calendar_hash(), s.config_hash, s.first_day, s.last_day "
        "FROM (SELECT 1) LEFT JOIN calendar_state s ON true"
    ).fetchone()
    assert state is not None
    return zone, (str(state[0]), state[1], state[2], state[3])


def _in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the caller has begun a transaction: then two statements share its id
    (a failed BEGIN would abort the caller's transaction, so it is not the test)."""
    ids = [con.execute("SELECT current_transaction_id()").fetchone() for _ in range(2)]
    return ids[0] == ids[1]


def _temporary(sql: str) -> str:
    return sql.replace("CREATE TABLE IF NOT EXISTS ", "CREATE TEMP TABLE IF NOT EXISTS ").replace(
        "CREATE OR REPLACE MACRO ", "CREATE OR REPLACE TEMP MACRO "
    )


def sync_calendar(
    con: duckdb.DuckDBPyConnection, cal: CalendarConfig | None, start: date, end: date
) -> bool:
    """Make the calendar tables and macros match ``cal`` for the dates ``start`` … ``end``.

    ``start``: the earliest date the data needs (e.g. of the oldest open order's
    ``stage_entered_at``); ``end``: the latest (today). The calendar covers whole years
    from :data:`MARGIN_YEARS` before ``start`` to :data:`MARGIN_YEARS` after ``end`` and never
    shrinks, so it is rebuilt about once in two years, or when the config, the holiday
    library or the session time zone changes. Instants outside it count wall-clock time
    from its nearest end. ``cal`` None or an empty ``[calendar]``: the tables are emptied
    and the macros count wall-clock hours.

    Returns False when nothing had changed (two small queries, no write), True when it
    rebuilt (in the caller's transaction if there is one, else in its own). On a
    read-only connection a rebuild goes into TEMP tables and macros, which shadow the
    stored ones for this connection.
    """
    cal = _effective(cal)
    zone, state = _stored_state(con)
    key = calendar_hash(cal, zone)
    first: date | None = None
    last: date | None = None
    if cal is not None:
        first, last = date(start.year - MARGIN_YEARS, 1, 1), date(end.year + MARGIN_YEARS, 12, 31)
    if state is not None and state[0] == key and state[1] == key:
        old_first, old_last = state[2], state[3]
        if cal is None:
            return False
        if old_first is not None and old_last is not None and first and last:
            if old_first <= start and end <= old_last:
                return False
            first, last = min(first, old_first), max(last, old_last)

    import duckdb

    mode = con.execute("SELECT current_setting('access_mode')").fetchone()
    adapt = _temporary if mode and mode[0] == "read_only" else (lambda sql: sql)
    own = not _in_transaction(con)
    if own:
        con.execute("BEGIN TRANSACTION")
    try:
        con.execute(adapt(CALENDAR_TABLES_SQL))
        con.execute("DELETE FROM calendar_days")
        con.execute("DELETE FROM calendar_windows")
        con.execute("DELETE FROM calendar_state")
        if cal is None or first is None or last is None:
            macros = _wall_sql()
        else:
            rows = calendar_days(cal, first, last)
            con.execute(
                "INSERT INTO calendar_days SELECT unnest(?::DATE[]), unnest(?::BOOLEAN[]), "
                "unnest(?::DOUBLE[]), unnest(?::DOUBLE[])",
                [[getattr(r, f) for r in rows] for f in CalendarDay._fields],
            )
            con.execute(
                "INSERT INTO calendar_windows SELECT unnest(?::INTEGER[]), unnest(?::INTEGER[])",
                [[w[0] for w in cal.windows], [w[1] for w in cal.windows]],
            )
            offset = _fixed_offset_us(con, first, last)
            macros = _business_sql(key, cal, first, len(rows), zone, offset)
        con.execute(
            "INSERT INTO calendar_state (config_hash, first_day, last_day) VALUES (?, ?, ?)",
            [key, first, last],
        )
        con.execute(adapt(macros + _PUBLIC_MACROS_SQL))
    except BaseException:
        if own:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
        raise
    if own:
        con.execute("COMMIT")
    return True
