"""The six-month return window, counted as the Civil Code counts periods (LAW.md, clause 1).

"自出口之日起6个月内原状退运进境": the export day is not counted (Art. 201); a period in months ends on
the day of the last month with the same number, or that month's last day when it has no such day
(Art. 202); when the last day is a statutory rest day, the period ends on the next working day
(Art. 203). Six months are never approximated by a count of days.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class Window:
    start: date  # the export date; not itself counted
    nominal_end: date  # start + N months, clamped to the month's last day
    end: date  # the last day a return may be declared (after any rest-day extension)
    rest_days: tuple  # the rest days the end was moved over, with their names
    calendar_note: str | None  # set when the holiday calendar did not cover a year and weekends were used


def add_months(start: date, months: int) -> date:
    """Same day number N months on, or the last day of that month (2025-08-31 + 6 -> 2026-02-28)."""
    return start + relativedelta(months=months)


@lru_cache(maxsize=8192)
def is_rest_day(day: date) -> tuple[bool, str, bool]:
    """(rest day?, name, from the holiday calendar?) — statutory holidays and weekends that are not
    adjusted working days (调休) are rest days; an adjusted working day on a weekend is a working day."""
    try:
        import chinese_calendar

        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        workday = chinese_calendar.is_workday(day)
        if not workday:
            return True, (name or "weekend"), True
        return False, (f"adjusted working day ({name})" if name and day.weekday() >= 5 else ""), True
    except (NotImplementedError, ImportError):
        weekend = day.weekday() >= 5
        return weekend, ("weekend" if weekend else ""), False


@lru_cache(maxsize=8192)
def window_for(start: date, months: int = 6, extend_over_rest_days: bool = True) -> Window:
    """The window of an export date; cached, as a night's exports share a few hundred dates."""
    nominal = add_months(start, months)
    end = nominal
    rest: list = []
    note = None
    if extend_over_rest_days:
        while True:
            rest_day, name, covered = is_rest_day(end)
            if not covered and note is None:
                note = (f"the holiday calendar does not cover {end.year}: only weekends were treated as rest "
                        f"days")
            if not rest_day:
                break
            rest.append((end.isoformat(), name))
            end += timedelta(days=1)
    return Window(start, nominal, end, tuple(rest), note)


def calendar_version() -> str:
    try:
        import chinese_calendar

        return f"chinesecalendar {getattr(chinese_calendar, '__version__', 'unknown')}"
    except ImportError:  # pragma: no cover - a declared dependency
        return "weekends only"
