"""The business calendar (ordertrack.calendar): config, days, and the SQL macros.

Business hours are checked through the real macros in a real DuckDB with a pinned
TimeZone; a small independent Python oracle (day by day, window by window) checks them
on random instants, and hypothesis checks that they add up and stay between 0 and the
wall-clock hours.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ordertrack.calendar import (
    CALENDAR_SQL,
    MARGIN_YEARS,
    CalendarConfig,
    calendar_days,
    calendar_hash,
    coverage_warnings,
    sync_calendar,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")

# A plain calendar: the default week and hours (Mon–Fri, 09–12 and 13–18), no holidays.
PLAIN = CalendarConfig(country=None)
CN = CalendarConfig(country="CN")

# The data of these tests lies in 2025; the calendar covers 2023-01-01 … 2027-12-31.
START, END = date(2025, 1, 1), date(2025, 12, 31)
FIRST, LAST = date(2025 - MARGIN_YEARS, 1, 1), date(2025 + MARGIN_YEARS, 12, 31)


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def connect(zone: str = "Asia/Shanghai", path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path)
    con.execute(f"SET TimeZone = '{zone}'")
    return con


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect()
    yield c
    c.close()


def between(con: duckdb.DuckDBPyConnection, t0: datetime, t1: datetime) -> float:
    row = con.execute(
        "SELECT business_hours_between(?::TIMESTAMPTZ, ?::TIMESTAMPTZ)", [t0, t1]
    ).fetchone()
    assert row is not None
    return float(row[0])


def at(con: duckdb.DuckDBPyConnection, ts: datetime) -> float:
    row = con.execute("SELECT business_hours_at(?::TIMESTAMPTZ)", [ts]).fetchone()
    assert row is not None
    return float(row[0])


def synced(con: duckdb.DuckDBPyConnection, cal: CalendarConfig | None) -> duckdb.DuckDBPyConnection:
    sync_calendar(con, cal, START, END)
    return con


# ---------------------------------------------------------------------------------------
# business hours in SQL


def test_evening_to_next_morning(con: duckdb.DuckDBPyConnection) -> None:
    synced(con, PLAIN)
    # Monday 17:00 → Tuesday 10:00: 17–18 and 09–10
    assert between(con, sh(2025, 6, 9, 17), sh(2025, 6, 10, 10)) == 2.0


def test_across_a_weekend(con: duckdb.DuckDBPyConnection) -> None:
    synced(con, PLAIN)
    # Friday 17:00 → Monday 10:00
    assert between(con, sh(2025, 6, 13, 17), sh(2025, 6, 16, 10)) == 2.0
    # Saturday noon → Sunday noon: nothing
    assert between(con, sh(2025, 6, 14, 12), sh(2025, 6, 15, 12)) == 0.0


def test_lunch_break(con: duckdb.DuckDBPyConnection) -> None:
    synced(con, PLAIN)
    assert between(con, sh(2025, 6, 9, 11), sh(2025, 6, 9, 14)) == 2.0
    assert between(con, sh(2025, 6, 9, 12, 15), sh(2025, 6, 9, 12, 45)) == 0.0
    assert between(con, sh(2025, 6, 9, 11, 30), sh(2025, 6, 9, 13, 30)) == 1.0
    # a whole work day, and to the second
    assert between(con, sh(2025, 6, 9, 0), sh(2025, 6, 10, 0)) == 8.0
    assert between(con, sh(2025, 6, 9, 9), sh(2025, 6, 9, 9, 0, 36)) == pytest.approx(0.01)


def test_national_day_2025_and_its_make_up_days(con: duckdb.DuckDBPyConnection) -> None:
    synced(con, CN)
    # Tuesday 30 Sep 17:00 → Thursday 9 Oct 10:00: 1 Oct … 8 Oct are off
    assert between(con, sh(2025, 9, 30, 17), sh(2025, 10, 9, 10)) == 2.0
    # Friday 26 Sep 17:00 → Monday 29 Sep 10:00: Sunday 28 Sep is a make-up work day (调休)
    assert between(con, sh(2025, 9, 26, 17), sh(2025, 9, 29, 10)) == 1 + 8 + 1
    # Friday 10 Oct 17:00 → Monday 13 Oct 10:00: Saturday 11 Oct is one too
    assert between(con, sh(2025, 10, 10, 17), sh(2025, 10, 13, 10)) == 1 + 8 + 1
    days = dict(con.execute("SELECT day, is_workday FROM calendar_days").fetchall())
    assert days[date(2025, 9, 27)] is False
    assert days[date(2025, 9, 28)] is True
    assert [days[date(2025, 10, d)] for d in range(1, 12)] == [False] * 8 + [True, True, True]


def test_an_instant_inside_a_holiday(con: duckdb.DuckDBPyConnection) -> None:
    synced(con, CN)
    inside = sh(2025, 10, 3, 15)
    assert at(con, inside) == at(con, sh(2025, 10, 1)) == at(con, sh(2025, 9, 30, 18))
    assert between(con, inside, sh(2025, 10, 5, 11)) == 0.0
    assert between(con, inside, sh(2025, 10, 9, 10)) == 1.0
    assert between(con, sh(2025, 9, 30, 17), inside) == 1.0


def test_the_same_instant_is_zero(con: duckdb.DuckDBPyConnection) -> None:
    synced(con, CN)
    for ts in [sh(2025, 6, 9, 10, 17, 3), sh(2025, 10, 3, 15), sh(2020, 1, 1), sh(2031, 5, 5)]:
        assert between(con, ts, ts) == 0.0


def test_backwards_is_negative(con: duckdb.DuckDBPyConnection) -> None:
    """t1 < t0 gives minus the hours from t1 to t0 (as date_diff does): sums of spans
    then add up in any order, and a view that wants no negative values takes greatest(…, 0)."""
    synced(con, PLAIN)
    assert between(con, sh(2025, 6, 10, 10), sh(2025, 6, 9, 17)) == -2.0


def test_null_gives_null(con: duckdb.DuckDBPyConnection) -> None:
    synced(con, PLAIN)
    assert con.execute(
        "SELECT business_hours_between(NULL, now()), business_hours_at(NULL)"
    ).fetchone() == (None, None)


def test_instants_are_read_in_the_session_time_zone(con: duckdb.DuckDBPyConnection) -> None:
    synced(con, PLAIN)
    t0 = datetime(2025, 6, 9, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    t1 = datetime(2025, 6, 9, 2, 0, tzinfo=UTC)
    assert between(con, t0, t1) == 1.0
    con.execute("SET TimeZone = 'UTC'")  # 01:00–02:00: before work
    assert between(con, t0, t1) == 0.0
    # naive timestamps are local times
    row = con.execute(
        "SELECT business_hours_between(TIMESTAMP '2025-06-09 17:00', TIMESTAMP '2025-06-10 10:00')"
    ).fetchone()
    assert row == (2.0,)


def test_fast_and_exact_time_zone_paths_agree() -> None:
    """A store synced in a zone of one UTC offset adds it; in any other session zone the
    macros use DuckDB's time zone conversion. Both give the same hours."""
    rows = "SELECT t, business_hours_at(t) FROM (SELECT unnest(?::TIMESTAMPTZ[]) AS t)"
    instants = [sh(2025, 1, 1) + timedelta(minutes=397 * i) for i in range(2000)]
    fast = synced(connect("Asia/Shanghai"), CN)
    exact = synced(connect("UTC"), CN)
    exact.execute("SET TimeZone = 'Asia/Shanghai'")
    assert fast.execute(rows, [instants]).fetchall() == exact.execute(rows, [instants]).fetchall()


def test_outside_the_range_counts_wall_clock(con: duckdb.DuckDBPyConnection) -> None:
    """Before the first and after the last covered day, hours count as wall-clock time
    from the range's nearest end: continuous, never NULL, errs towards an early alert."""
    synced(con, PLAIN)
    first = sh(FIRST.year, FIRST.month, FIRST.day)
    after = datetime.combine(LAST + timedelta(days=1), time(), SHANGHAI)
    assert between(con, first - timedelta(hours=5), first) == 5.0
    assert between(con, after, after + timedelta(hours=3)) == 3.0
    # the last covered day is Friday 2027-12-31: 17:00 → its end, then 3 h beyond
    assert between(con, sh(2027, 12, 31, 17), after + timedelta(hours=3)) == 1.0 + 3.0


def test_wall_clock_without_a_calendar() -> None:
    con = connect("Europe/Berlin")
    synced(con, None)
    t0 = datetime(2025, 3, 29, 12, tzinfo=BERLIN)  # a Saturday; DST starts on Sunday
    t1 = datetime(2025, 3, 30, 12, tzinfo=BERLIN)
    assert between(con, t0, t1) == 23.0
    assert between(con, t1, t0) == -23.0
    assert con.execute("SELECT count(*) FROM calendar_days").fetchone() == (0,)


def test_wall_clock_before_any_sync_and_for_an_empty_section() -> None:
    con = connect()
    con.execute(CALENDAR_SQL)  # what a migration runs
    assert between(con, sh(2025, 6, 13, 17), sh(2025, 6, 16, 10)) == 65.0
    empty = CalendarConfig.model_validate(tomllib.loads("[calendar]\n")["calendar"])
    assert not empty.active
    assert sync_calendar(con, empty, START, END) is True  # records the state once
    assert sync_calendar(con, None, START, END) is False  # the same thing
    assert between(con, sh(2025, 6, 13, 17), sh(2025, 6, 16, 10)) == 65.0


# ---------------------------------------------------------------------------------------
# sync_calendar


def state(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    row = con.execute("SELECT config_hash, first_day, last_day FROM calendar_state").fetchone()
    assert row is not None
    return row


def test_sync_is_cheap_when_nothing_changed(con: duckdb.DuckDBPyConnection) -> None:
    assert sync_calendar(con, CN, START, END) is True
    assert state(con)[1:] == (FIRST, LAST)
    assert con.execute("SELECT count(*) FROM calendar_days").fetchone() == (
        (LAST - FIRST).days + 1,
    )
    assert sync_calendar(con, CN, START, END) is False
    assert sync_calendar(con, CalendarConfig(country="cn"), START, date(2027, 6, 1)) is False


def test_sync_rebuilds_on_change_and_grows_the_range(con: duckdb.DuckDBPyConnection) -> None:
    sync_calendar(con, CN, START, END)
    assert sync_calendar(con, PLAIN, START, END) is True
    assert between(con, sh(2025, 9, 30, 17), sh(2025, 10, 9, 10)) == 1 + 6 * 8 + 1
    # an older order: the range grows back to 2019 and keeps its end
    assert sync_calendar(con, PLAIN, date(2021, 5, 1), END) is True
    assert state(con)[1:] == (date(2019, 1, 1), LAST)
    assert between(con, sh(2021, 5, 7, 17), sh(2021, 5, 10, 10)) == 2.0
    # a later "today": grows forward
    assert sync_calendar(con, PLAIN, date(2021, 5, 1), date(2028, 3, 1)) is True
    assert state(con)[1:] == (date(2019, 1, 1), date(2030, 12, 31))
    # back to wall-clock
    assert sync_calendar(con, None, START, END) is True
    assert between(con, sh(2025, 6, 13, 17), sh(2025, 6, 16, 10)) == 65.0
    assert con.execute("SELECT count(*) FROM calendar_windows").fetchone() == (0,)


def test_the_hash_follows_config_library_and_zone() -> None:
    assert calendar_hash(CN, "Asia/Shanghai") == calendar_hash(
        CalendarConfig(country="cn", hours=["9:00-12:00", "13:00-18:00"]), "Asia/Shanghai"
    )
    assert calendar_hash(CN, "Asia/Shanghai") != calendar_hash(CN, "UTC")
    assert calendar_hash(CN) != calendar_hash(PLAIN)
    assert calendar_hash(None) == calendar_hash(CalendarConfig())


def test_rerunning_the_migration_sql_is_detected(con: duckdb.DuckDBPyConnection) -> None:
    synced(con, PLAIN)
    con.execute(CALENDAR_SQL)  # resets the macros to wall-clock, keeps the tables
    assert between(con, sh(2025, 6, 13, 17), sh(2025, 6, 16, 10)) == 65.0
    assert sync_calendar(con, PLAIN, START, END) is True
    assert between(con, sh(2025, 6, 13, 17), sh(2025, 6, 16, 10)) == 2.0


def test_views_follow_the_calendar(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(CALENDAR_SQL)
    con.execute(
        "CREATE TABLE o AS SELECT TIMESTAMPTZ '2025-06-13 17:00+08' AS entered_at, "
        "TIMESTAMPTZ '2025-06-16 10:00+08' AS now"
    )
    con.execute("CREATE VIEW v AS SELECT business_hours_between(entered_at, now) AS h FROM o")
    assert con.execute("SELECT h FROM v").fetchone() == (65.0,)
    sync_calendar(con, PLAIN, START, END)
    assert con.execute("SELECT h FROM v").fetchone() == (2.0,)


def test_sync_runs_in_the_callers_transaction(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(CALENDAR_SQL)
    con.execute("BEGIN TRANSACTION")
    assert sync_calendar(con, PLAIN, START, END) is True
    assert between(con, sh(2025, 6, 13, 17), sh(2025, 6, 16, 10)) == 2.0
    con.execute("ROLLBACK")
    assert between(con, sh(2025, 6, 13, 17), sh(2025, 6, 16, 10)) == 65.0
    assert con.execute("SELECT count(*) FROM calendar_days").fetchone() == (0,)


def test_sync_on_a_read_only_connection_uses_temp_objects(tmp_path: Path) -> None:
    path = str(tmp_path / "ro.duckdb")
    writer = connect(path=path)
    writer.execute(CALENDAR_SQL)
    writer.close()
    reader = duckdb.connect(path, read_only=True)
    reader.execute("SET TimeZone = 'Asia/Shanghai'")
    assert sync_calendar(reader, PLAIN, START, END) is True
    assert between(reader, sh(2025, 6, 13, 17), sh(2025, 6, 16, 10)) == 2.0
    assert sync_calendar(reader, PLAIN, START, END) is False
    reader.close()
    again = duckdb.connect(path, read_only=True)  # the file itself is unchanged
    assert again.execute("SELECT count(*) FROM calendar_days").fetchone() == (0,)
    again.close()


# ---------------------------------------------------------------------------------------
# calendar_days in Python


def test_calendar_days_rows() -> None:
    rows = calendar_days(PLAIN, date(2025, 6, 13), date(2025, 6, 17))  # Fri … Tue
    assert rows == [
        (date(2025, 6, 13), True, 8.0, 0.0),
        (date(2025, 6, 14), False, 0.0, 8.0),
        (date(2025, 6, 15), False, 0.0, 8.0),
        (date(2025, 6, 16), True, 8.0, 8.0),
        (date(2025, 6, 17), True, 8.0, 16.0),
    ]
    assert rows[0].cum_hours == 0.0 and rows[-1].work_hours == 8.0
    assert calendar_days(PLAIN, date(2025, 6, 2), date(2025, 6, 1)) == []


def workdays(cal: CalendarConfig, first: date, last: date) -> dict[date, bool]:
    return {r.day: r.is_workday for r in calendar_days(cal, first, last)}


def test_precedence_of_the_day_rules() -> None:
    cal = CalendarConfig(
        country="CN",
        holidays=["2025-09-28", "2025-06-09..2025-06-10"],  # a make-up day off after all
        workdays_extra=["2025-10-02", "2025-06-14"],  # a holiday and a Saturday worked
    )
    days = workdays(cal, date(2025, 6, 1), date(2025, 10, 31))
    assert days[date(2025, 9, 28)] is False
    assert days[date(2025, 6, 9)] is days[date(2025, 6, 10)] is False
    assert days[date(2025, 6, 11)] is True
    assert days[date(2025, 10, 2)] is True
    assert days[date(2025, 10, 3)] is False
    assert days[date(2025, 6, 14)] is True
    assert days[date(2025, 10, 11)] is True  # the CN make-up Saturday stays


def test_a_six_day_week_keeps_holidays_off() -> None:
    days = workdays(
        CalendarConfig(country="CN", workdays=["mon", "tue", "wed", "thu", "fri", "sat"]),
        date(2025, 9, 1),
        date(2025, 10, 31),
    )
    assert days[date(2025, 9, 20)] is True  # an ordinary Saturday
    assert days[date(2025, 10, 4)] is False  # Saturday in the National Day holiday
    assert days[date(2025, 9, 21)] is False  # Sunday


def test_other_countries_use_the_holidays_package() -> None:
    us = workdays(CalendarConfig(country="US"), date(2025, 7, 1), date(2025, 7, 7))
    assert us[date(2025, 7, 4)] is False and us[date(2025, 7, 3)] is True
    epiphany = date(2025, 1, 6)  # a Monday; a public holiday in Bavaria, not in Berlin
    assert (
        workdays(CalendarConfig(country="DE", subdiv="by"), epiphany, epiphany)[epiphany] is False
    )
    assert workdays(CalendarConfig(country="DE", subdiv="BE"), epiphany, epiphany)[epiphany] is True


def test_coverage_warnings_name_the_years_chinesecalendar_lacks() -> None:
    assert coverage_warnings(CN, date(2024, 1, 1), date(2025, 12, 31)) == []
    (warning,) = coverage_warnings(CN, date(2025, 1, 1), date(2099, 12, 31))
    assert "2099" in warning and "pip install -U chinesecalendar" in warning
    assert coverage_warnings(PLAIN, date(2025, 1, 1), date(2099, 12, 31)) == []
    assert coverage_warnings(None, date(2025, 1, 1), date(2099, 12, 31)) == []


# ---------------------------------------------------------------------------------------
# the config


def test_a_calendar_section_as_written_in_toml() -> None:
    text = """
[calendar]
country = "cn"
workdays = [1, "Tuesday", "周三", "thu", "fri", "fri"]
hours = ["13:30-18:00", "8:30 ~ 12:00"]
holidays = [2026-02-10, "2026-02-11..2026-02-25"]
workdays_extra = ["2026-03-07"]
"""
    cal = CalendarConfig.model_validate(tomllib.loads(text)["calendar"])
    assert cal.country == "CN"
    assert cal.workdays == ["mon", "tue", "wed", "thu", "fri"]
    assert cal.hours == ["08:30-12:00", "13:30-18:00"]
    assert cal.windows == [(510, 720), (810, 1080)]
    assert cal.minutes_per_day == 8 * 60
    assert cal.holidays == ["2026-02-10", "2026-02-11..2026-02-25"]
    assert len(cal.holiday_dates()) == 16
    assert cal.active


def test_a_single_value_stands_for_a_list_of_one() -> None:
    cal = CalendarConfig.model_validate(
        {
            "hours": "08:00-17:00",
            "workdays": 6,
            "holidays": "2026-05-01",
            "workdays_extra": date(2026, 5, 9),
        }
    )
    assert cal.hours == ["08:00-17:00"]
    assert cal.workdays == ["sat"]
    assert cal.holidays == ["2026-05-01"]
    assert cal.workdays_extra == ["2026-05-09"]


def test_defaults_and_active() -> None:
    assert not CalendarConfig().active
    assert CalendarConfig().workdays == ["mon", "tue", "wed", "thu", "fri"]
    assert CalendarConfig().hours == ["09:00-12:00", "13:00-18:00"]
    assert CalendarConfig(workdays=["mon"]).active


def test_every_field_is_documented() -> None:
    for name, field in CalendarConfig.model_fields.items():
        assert field.description, name


BAD = [
    ({"hours": ["9-18"]}, ("hours", 0), 'expected "HH:MM-HH:MM", got "9-18"'),
    ({"hours": [9]}, ("hours", 0), 'expected "HH:MM-HH:MM", got 9'),
    ({"hours": ["18:00-09:00"]}, ("hours", 0), '"18:00-09:00" ends before it starts'),
    ({"hours": ["22:00-25:00"]}, ("hours", 0), "not a time of day"),
    ({"hours": ["09:00-13:00", "12:00-14:00"]}, ("hours",), '"12:00-14:00" overlaps "09:00-13:00"'),
    ({"hours": []}, ("hours",), "at least one window"),
    ({"workdays": ["mon", "funday"]}, ("workdays", 1), 'expected a weekday "mon" … "sun"'),
    ({"workdays": [8]}, ("workdays", 0), "got 8"),
    ({"workdays": [True]}, ("workdays", 0), "got True"),
    ({"workdays": []}, ("workdays",), "at least one weekday"),
    ({"holidays": ["2025-13-01"]}, ("holidays", 0), 'expected a date "YYYY-MM-DD"'),
    ({"holidays": ["2025/10/01"]}, ("holidays", 0), 'got "2025/10/01"'),
    ({"holidays": ["2025-10-08..2025-10-01"]}, ("holidays", 0), "ends before it starts"),
    ({"holidays": ["2025-01-01..2026-01-02"]}, ("holidays", 0), "longer than a year"),
    ({"holidays": [datetime(2025, 10, 1, 9)]}, ("holidays", 0), "without a time"),
    (
        {"holidays": ["2025-10-01..2025-10-08"], "workdays_extra": ["2025-10-08"]},
        ("workdays_extra",),
        "2025-10-08 listed both in holidays and in workdays_extra",
    ),
    ({"country": "XX"}, ("country",), 'unknown country "XX"; use an ISO 3166 code'),
    ({"country": 86}, ("country",), "valid string"),
    ({"country": "US", "subdiv": "ZZ"}, ("subdiv",), 'unknown subdivision "ZZ" of US; known: AK'),
    ({"country": "CN", "subdiv": "GD"}, ("subdiv",), "national holidays only"),
    ({"subdiv": "BY"}, ("subdiv",), "subdiv needs a country"),
    ({"timezone": "Asia/Shanghai"}, ("timezone",), "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("data", "loc", "message"), BAD, ids=[str(b[0]) for b in BAD])
def test_bad_values_are_refused_with_the_reason(
    data: dict[str, Any], loc: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        CalendarConfig.model_validate(data)
    errors = info.value.errors()
    assert [e["loc"] for e in errors] == [loc]
    assert message in errors[0]["msg"]


def test_a_bad_country_is_reported_once() -> None:
    with pytest.raises(ValidationError) as info:
        CalendarConfig.model_validate({"country": "XX", "subdiv": "BY"})
    assert [e["loc"] for e in info.value.errors()] == [("country",)]


# ---------------------------------------------------------------------------------------
# properties, against an independent oracle


def oracle(
    cal_days: dict[date, bool], windows: list[tuple[int, int]], a: datetime, b: datetime
) -> float:
    """Business hours from ``a`` to ``b`` (naive local, a <= b), day by day: a work day's
    windows, or the whole day (wall-clock) outside the covered range."""
    seconds = 0.0
    day = a.date()
    while day <= b.date():
        midnight = datetime.combine(day, time())
        if day not in cal_days:
            spans = [(midnight, midnight + timedelta(days=1))]
        elif cal_days[day]:
            spans = [
                (midnight + timedelta(minutes=s), midnight + timedelta(minutes=e))
                for s, e in windows
            ]
        else:
            spans = []
        for s, e in spans:
            seconds += max((min(e, b) - max(s, a)).total_seconds(), 0.0)
        day += timedelta(days=1)
    return seconds / 3600


@pytest.fixture(scope="module")
def cn_con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect()
    sync_calendar(c, CN, START, END)
    yield c
    c.close()


@pytest.fixture(scope="module")
def cn_days() -> dict[date, bool]:
    return {r.day: r.is_workday for r in calendar_days(CN, FIRST, LAST)}


# instants from before the covered range to after it, in Shanghai (no DST since 1991)
instants = st.datetimes(min_value=datetime(2022, 7, 1), max_value=datetime(2028, 6, 30))
nearby = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=12))

PROPERTY_SQL = """
SELECT business_hours_between(a, b), business_hours_between(b, c), business_hours_between(a, c),
       (epoch_us(b) - epoch_us(a)) / 3600000000.0
FROM (SELECT unnest(?::TIMESTAMPTZ[]) AS a, unnest(?::TIMESTAMPTZ[]) AS b,
             unnest(?::TIMESTAMPTZ[]) AS c)
"""


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(instants, instants, instants), min_size=1, max_size=40))
def test_hours_add_up_and_stay_within_wall_clock(
    cn_con: duckdb.DuckDBPyConnection, triples: list[tuple[datetime, datetime, datetime]]
) -> None:
    columns = [[t[i].replace(tzinfo=SHANGHAI) for t in triples] for i in range(3)]
    for (a, b), (ab, bc, ac, wall) in zip(
        zip(columns[0], columns[1], strict=True),
        cn_con.execute(PROPERTY_SQL, columns).fetchall(),
        strict=True,
    ):
        assert ab + bc == pytest.approx(ac, abs=1e-9)
        if a <= b:
            assert -1e-9 <= ab <= wall + 1e-9
        else:
            assert wall - 1e-9 <= ab <= 1e-9


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(instants, nearby), min_size=1, max_size=40))
def test_hours_match_a_day_by_day_count(
    cn_con: duckdb.DuckDBPyConnection,
    cn_days: dict[date, bool],
    pairs: list[tuple[datetime, timedelta]],
) -> None:
    a = [p[0] for p in pairs]
    b = [p[0] + p[1] for p in pairs]
    got = cn_con.execute(
        "SELECT business_hours_between(x, y) FROM "
        "(SELECT unnest(?::TIMESTAMPTZ[]) AS x, unnest(?::TIMESTAMPTZ[]) AS y)",
        [[t.replace(tzinfo=SHANGHAI) for t in a], [t.replace(tzinfo=SHANGHAI) for t in b]],
    ).fetchall()
    for x, y, (hours,) in zip(a, b, got, strict=True):
        assert hours == pytest.approx(oracle(cn_days, CN.windows, x, y), abs=1e-9), (x, y)
