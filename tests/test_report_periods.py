"""Report periods: every written form, ISO week years, the period before, bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ordertrack.errors import UserError
from ordertrack.report.periods import Period, parse_period, period_between, previous

TODAY = date(2026, 6, 30)  # a Tuesday, in ISO week 2026-W27
FORMS = (
    "use a month (2026-06), an ISO week (2026-W23), a quarter (2026-Q2), a day (2026-06-15) "
    "or a range of days (2026-06-01..2026-06-20)"
)


def p(text: str | None, today: date = TODAY, default: str = "week") -> Period:
    return parse_period(text, today=today, default=default)


@pytest.mark.parametrize(
    ("text", "start", "end", "label", "kind", "en", "zh"),
    [
        ("2026-06", "2026-06-01", "2026-06-30", "2026-06", "month", "June 2026", "2026年6月"),
        ("2026-2", "2026-02-01", "2026-02-28", "2026-02", "month", "February 2026", "2026年2月"),
        ("2024-02", "2024-02-01", "2024-02-29", "2024-02", "month", "February 2024", "2024年2月"),
        ("2026-12", "2026-12-01", "2026-12-31", "2026-12", "month", "December 2026", "2026年12月"),
        (
            "2026-W23",
            "2026-06-01",
            "2026-06-07",
            "2026-W23",
            "week",
            "Week 23, 2026",
            "2026年第23周",
        ),
        ("2026-w5", "2026-01-26", "2026-02-01", "2026-W05", "week", "Week 5, 2026", "2026年第5周"),
        (
            "2026W23",
            "2026-06-01",
            "2026-06-07",
            "2026-W23",
            "week",
            "Week 23, 2026",
            "2026年第23周",
        ),
        ("2026-Q2", "2026-04-01", "2026-06-30", "2026-Q2", "quarter", "Q2 2026", "2026年第二季度"),
        ("2026-q1", "2026-01-01", "2026-03-31", "2026-Q1", "quarter", "Q1 2026", "2026年第一季度"),
        ("2026-Q4", "2026-10-01", "2026-12-31", "2026-Q4", "quarter", "Q4 2026", "2026年第四季度"),
        (
            "2026-06-15",
            "2026-06-15",
            "2026-06-15",
            "2026-06-15",
            "day",
            "15 June 2026",
            "2026年6月15日",
        ),
        (
            " 2026-6-5 ",
            "2026-06-05",
            "2026-06-05",
            "2026-06-05",
            "day",
            "5 June 2026",
            "2026年6月5日",
        ),
        (
            "2026-06-01..2026-06-20",
            "2026-06-01",
            "2026-06-20",
            "2026-06-01..2026-06-20",
            "range",
            "1 June 2026 – 20 June 2026",
            "2026年6月1日至2026年6月20日",
        ),
        (
            "2026-06-01 .. 2026-06-01",
            "2026-06-01",
            "2026-06-01",
            "2026-06-01..2026-06-01",
            "range",
            "1 June 2026",
            "2026年6月1日",
        ),
    ],
)
def test_forms(text: str, start: str, end: str, label: str, kind: str, en: str, zh: str) -> None:
    got = p(text)
    assert got == Period(date.fromisoformat(start), date.fromisoformat(end), label, kind)  # type: ignore[arg-type]
    assert got.label_for("en") == en
    assert got.label_for("zh") == zh
    assert p(got.label) == got  # the canonical label reads back as the same period


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # week 1 holds the year's first Thursday: 2026 starts on a Thursday
        ("2026-W01", "2025-12-29", "2026-01-04"),
        # …so 2026 has 53 weeks; its last runs into 2027
        ("2026-W53", "2026-12-28", "2027-01-03"),
        ("2027-W01", "2027-01-04", "2027-01-10"),
        ("2027-W52", "2027-12-27", "2028-01-02"),
        # 2020 (a leap year starting on a Wednesday) has 53 weeks too
        ("2020-W53", "2020-12-28", "2021-01-03"),
        ("2021-W01", "2021-01-04", "2021-01-10"),
    ],
)
def test_iso_week_years(text: str, start: str, end: str) -> None:
    got = p(text)
    assert (got.start, got.end) == (date.fromisoformat(start), date.fromisoformat(end))
    assert got.start.weekday() == 0 and got.days == 7


def test_week_labels_name_the_iso_year() -> None:
    # 2026-W01 starts in December 2025, but it is week 1 of 2026
    assert p("2026-W01").label_for("en") == "Week 1, 2026"
    assert p("2026-W01").dates_for("en") == "29 December 2025 – 4 January 2026"
    assert p("2026-W53").label_for("zh") == "2026年第53周"


@pytest.mark.parametrize(
    ("text", "before"),
    [
        ("2026-01", "2025-12"),
        ("2026-03", "2026-02"),
        ("2026-06", "2026-05"),
        ("2026-Q1", "2025-Q4"),
        ("2026-Q3", "2026-Q2"),
        ("2026-W01", "2025-W52"),  # 2025 has 52 weeks
        ("2021-W01", "2020-W53"),
        ("2027-W01", "2026-W53"),
        ("2026-W25", "2026-W24"),
        ("2026-03-01", "2026-02-28"),
        ("2026-01-01", "2025-12-31"),
        # a range: as many days, ending the day before it starts
        ("2026-06-01..2026-06-20", "2026-05-12..2026-05-31"),
        ("2026-03-01..2026-03-01", "2026-02-28..2026-02-28"),
    ],
)
def test_previous(text: str, before: str) -> None:
    got = previous(p(text))
    assert got == p(before)
    assert got.kind == p(text).kind
    assert got.end == p(text).start - timedelta(days=1)


def test_period_between() -> None:
    got = period_between(date(2026, 6, 1), date(2026, 6, 10))
    assert got == Period(date(2026, 6, 1), date(2026, 6, 10), "2026-06-01..2026-06-10", "range")
    assert got.days == 10
    with pytest.raises(UserError) as e:
        period_between(date(2026, 6, 10), date(2026, 6, 1))
    assert str(e.value) == "the period 2026-06-10..2026-06-01 ends before it starts"
    assert e.value.hint == "Give the first day first, e.g. 2026-06-01..2026-06-20."


@pytest.mark.parametrize(
    ("today", "default", "expected"),
    [
        (date(2026, 6, 30), "week", "2026-W26"),  # Tuesday of W27: the week before
        (date(2026, 6, 29), "week", "2026-W26"),  # Monday: the week that ended yesterday
        (date(2026, 6, 28), "week", "2026-W25"),  # Sunday: its own week is not over
        (date(2026, 1, 2), "week", "2025-W52"),  # in 2026-W01, which began in 2025
        (date(2027, 1, 5), "week", "2026-W53"),
        (date(2026, 6, 30), "day", "2026-06-29"),
        (date(2026, 6, 30), "month", "2026-05"),
        (date(2026, 1, 31), "month", "2025-12"),
        (date(2026, 6, 30), "quarter", "2026-Q1"),
        (date(2026, 2, 1), "quarter", "2025-Q4"),
    ],
)
def test_default_is_the_last_full_period(today: date, default: str, expected: str) -> None:
    assert p(None, today, default) == p(expected)
    assert p("  ", today, default) == p(expected)


def test_unknown_default() -> None:
    with pytest.raises(UserError) as e:
        p(None, default="year")
    assert str(e.value) == 'unknown default period "year": use day, week, month or quarter'


@pytest.mark.parametrize(
    "text", ["junk", "June 2026", "2026/06", "26-06", "2026-06-15..", "2026", "2026-W", "Q2 2026"]
)
def test_text_that_is_no_period(text: str) -> None:
    with pytest.raises(UserError) as e:
        p(text)
    assert str(e.value) == f'"{text}" is not a period: {FORMS}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "there is no month 13: months are 01 to 12"),
        ("2026-00", "there is no month 0: months are 01 to 12"),
        ("2026-Q5", "there is no quarter 5: quarters are Q1 to Q4"),
        ("2026-Q0", "there is no quarter 0: quarters are Q1 to Q4"),
        ("2027-W53", "2027 has no ISO week 53: its weeks are 1 to 52"),
        ("2026-W54", "2026 has no ISO week 54: its weeks are 1 to 53"),
        ("2026-W00", "2026 has no ISO week 0: its weeks are 1 to 53"),
        ("2026-02-30", '"2026-02-30" is not a period: 2026-02-30 is not a date'),
        (
            "2026-06-01..2026-06-31",
            '"2026-06-01..2026-06-31" is not a period: 2026-06-31 is not a date',
        ),
        ("2026-06-20..2026-06-01", "the period 2026-06-20..2026-06-01 ends before it starts"),
    ],
)
def test_impossible_periods(text: str, message: str) -> None:
    with pytest.raises(UserError) as e:
        p(text)
    assert str(e.value) == message
    # the hint shows the forms (or, for a reversed range, the order)
    hint = e.value.hint or ""
    assert "an ISO week (2026-W23)" in hint or "first day first" in hint


def test_bounds_are_local_midnights() -> None:
    start, end = p("2026-W25").bounds("Asia/Shanghai")
    shanghai = ZoneInfo("Asia/Shanghai")
    assert (start, end) == (
        datetime(2026, 6, 15, tzinfo=shanghai),
        datetime(2026, 6, 22, tzinfo=shanghai),
    )
    assert start.utcoffset() == timedelta(hours=8)
    # across a daylight-saving change the bounds stay at local midnight
    start, end = p("2026-03").bounds("Europe/Berlin")
    assert (start.utcoffset(), end.utcoffset()) == (timedelta(hours=1), timedelta(hours=2))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=31, hours=-1)


def test_days() -> None:
    assert [p(t).days for t in ("2026-06", "2026-W23", "2026-Q1", "2026-06-15")] == [30, 7, 90, 1]
