"""The six-month return window, counted as the Civil Code counts periods (LAW.md, clause 1).

"自出口之日起6个月内原状退运进境": the export day is not counted (Art. 201); a period in months ends on
the day of the last month with the same number, or that month's last day when it has no such day
(Art. 202); when the last day is a statutory rest day, the period ends on the next working day
(Art. 203). Six months are never approximated by a count of days, and rest days are taken only from a
calendar that knows the year (calendar.py): where none does, the window's end is an estimate (moved over
weekends only) and `known` is False, so the rules decide on the nominal day alone (rules.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from .calendar import BUNDLED, HolidayCalendar

# LAW.md: "one more than 15 days after [the nominal day] is late (no run of rest days is that long: the
# longest so far, Spring Festival 2026, was 9 days)".
LONGEST_EXTENSION_DAYS = 15


@dataclass(frozen=True)
class Window:
    start: date  # the export date; not itself counted
    nominal_end: date  # start + N months, clamped to the month's last day
    end: date  # the last day a return may be declared (after any rest-day extension); an estimate when not known
    rest_days: tuple  # the rest days the end was moved over, with their names
    known: bool = True  # False: the rest days around the nominal end are in a year no calendar covers
    calendar: str = ""  # which calendar decided the extension (package and version, or rest_days.csv and SHA-256)
    certain_until: date | None = None  # not known: a return on or before this day is in time whatever the
    # calendar will say (the first day no calendar covers: every day before it from the nominal day is a rest day)

    @property
    def calendar_note(self) -> str | None:
        """Said in the trail and counted as a warning when the end is an estimate."""
        if self.known:
            return None
        return (f"no holiday calendar covers {self.certain_until.year}: window_end {self.end} is an estimate (the "
                f"nominal last day {self.nominal_end} moved over weekends only from {self.certain_until}); a return "
                f"after {self.certain_until} and no more than {LONGEST_EXTENSION_DAYS} days after the nominal day "
                f"waits for that year's calendar")

    @property
    def latest_possible_end(self) -> date:
        """No run of rest days is longer: a return after this is late whatever the calendar will say."""
        return self.nominal_end + timedelta(days=LONGEST_EXTENSION_DAYS)


def add_months(start: date, months: int) -> date:
    """Same day number N months on, or the last day of that month (2025-08-31 + 6 -> 2026-02-28)."""
    return start + relativedelta(months=months)


def window_for(start: date, months: int = 6, extend_over_rest_days: bool = True,
               calendar: HolidayCalendar = BUNDLED) -> Window:
    """The window of an export date; cached per calendar, as a night's exports share a few hundred dates."""
    key = (start, months, extend_over_rest_days)
    found = calendar._cache.get(key)
    if found is None:
        found = calendar._cache[key] = _window(start, months, extend_over_rest_days, calendar)
    return found


def _window(start: date, months: int, extend: bool, calendar: HolidayCalendar) -> Window:
    nominal = add_months(start, months)
    if not extend:
        return Window(start, nominal, nominal, (), True, "")
    end, rest, first_unknown, sources = nominal, [], None, set()
    while True:
        rest_day, name, source = calendar.day(end)
        if source is None:
            first_unknown = first_unknown or end
        else:
            sources.add(source)
        if not rest_day:
            break
        rest.append((end.isoformat(), name))
        end += timedelta(days=1)
    said = [*sorted(sources)]
    if first_unknown is not None:
        said.append(f"no holiday calendar for {first_unknown.year}: weekends only from {first_unknown} (an estimate)")
    return Window(start, nominal, end, tuple(rest), first_unknown is None, "; ".join(said), first_unknown)


def calendar_version(calendar: HolidayCalendar = BUNDLED) -> str:
    return calendar.describe()
