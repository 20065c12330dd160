"""Which days are statutory rest days (法定休假日), and who says so.

LAW.md, the six-month window: a window whose last day is a rest day runs to the next working day, on a
calendar that is known. The user's rest_days.csv (CONTRACT.md 3) is the whole calendar of every year it
names (the State Council's notice for a new year, added the day it is published); the chinesecalendar
package is the calendar of the other years it covers; any other year is unknown, and the law never
decides on rest days nobody knows yet (rules.py CALENDAR_UNKNOWN).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class RestDay:
    """One row of rest_days.csv: `kind` rest (a holiday or other day off) or work (调休上班 on a weekend)."""

    day: date
    kind: str
    name: str


def package_calendar() -> tuple:
    """(the chinesecalendar module or None, "chinesecalendar X.Y.Z")."""
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - a declared dependency
        return None, "no holiday calendar package"
    return chinese_calendar, f"chinesecalendar {getattr(chinese_calendar, '__version__', 'unknown')}"


@dataclass(frozen=True, eq=False)
class HolidayCalendar:
    """The rest days of each year, from the user's rows where they name the year, else from the package.

    `source` names the user's file with its SHA-256 (e.g. "rest_days.csv sha256 1f2e...") when it has rows."""

    rows: tuple = ()  # RestDay
    source: str = ""
    _by_day: dict = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for r in self.rows:
            self._by_day[r.day] = r

    @property
    def user_years(self) -> frozenset:
        return frozenset(r.day.year for r in self.rows)

    def day(self, day: date) -> tuple:
        """(rest day?, name, the calendar that says so), or (weekend?, "weekend", None) when no calendar
        covers the year: an estimate, never to be decided on."""
        found = self._cache.get(day)
        if found is None:
            found = self._cache[day] = self._day(day)
        return found

    def _day(self, day: date) -> tuple:
        weekend = day.weekday() >= 5
        if day.year in self.user_years:
            r = self._by_day.get(day)
            if r is not None and r.kind == "rest":
                return True, r.name or "rest day", self.source
            if r is not None and r.kind == "work":
                return False, f"adjusted working day ({r.name})" if r.name else "adjusted working day", self.source
            return weekend, "weekend" if weekend else "", self.source
        module, label = package_calendar()
        if module is not None:
            try:
                on_holiday, name = module.get_holiday_detail(day)
                if not module.is_workday(day):
                    return True, (name or "weekend"), label
                return False, (f"adjusted working day ({name})" if name and weekend else ""), label
            except NotImplementedError:
                pass
        return weekend, "weekend" if weekend else "", None

    def describe(self) -> str:
        """What decides rest days, for summary.json and the log."""
        _, label = package_calendar()
        if not self.rows:
            return label
        years = ", ".join(str(y) for y in sorted(self.user_years))
        return f"{self.source} for {years}; {label} for other years"


BUNDLED = HolidayCalendar()
