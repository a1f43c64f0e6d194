"""The dates that matter in a Chinese bank's month: statutory holidays and adjusted working days (调休上班),
lunar festivals, the 24 solar terms, and the dates the config adds.

Nothing here is a hand-made table that stops at some year: holidays come from `chinese-calendar` (the State
Council's yearly notice, released as a new version of the package each November or December), festivals and
solar terms from `lunar-python` (computed for any year). A year the holiday source does not cover yet is an
error naming that year and what to do, so a plan never looks free of holidays because the data was missing.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import chinese_calendar
from lunar_python import Solar

from mediactl.config.model import CalendarDate
from mediactl.core.errors import MediactlError

# lunar-python's main festivals a bank's content plans for (it also knows 中元节, 龙头节 …, left out here),
# and the folk days among its "other" festivals with the name the team uses: 腊月廿三 is the northern 小年.
FESTIVALS = {"除夕", "春节", "元宵节", "端午节", "七夕节", "中秋节", "重阳节", "腊八节"}
FOLK_DAYS = {"祭灶日": "小年"}


class MarkKind(StrEnum):
    HOLIDAY = "holiday"  # 法定节假日 (the whole break, weekends in it included)
    WORKDAY = "workday"  # 调休上班: a weekend day that is a working day
    FESTIVAL = "festival"
    SOLAR_TERM = "solar_term"
    CONFIG = "config"  # mediactl.yaml `calendar.dates`


LABELS = {MarkKind.HOLIDAY: "假", MarkKind.WORKDAY: "班", MarkKind.FESTIVAL: "节",
          MarkKind.SOLAR_TERM: "气", MarkKind.CONFIG: "记"}  # fmt: skip


@dataclass(frozen=True)
class Mark:
    day: date
    kind: MarkKind
    name: str

    def to_dict(self) -> dict[str, str]:
        return {"date": self.day.isoformat(), "kind": str(self.kind), "name": self.name}


class HolidaysUnknownError(MediactlError):
    """The holiday source has no data for a year (not yet announced, or the package is older than the notice)."""


def month_days(year: int, month: int) -> list[date]:
    return [date(year, month, day) for day in range(1, month_calendar.monthrange(year, month)[1] + 1)]


def statutory_marks(days: list[date]) -> list[Mark]:
    """Holidays and adjusted working days among `days`; HolidaysUnknownError for a year the source lacks."""
    for year in sorted({day.year for day in days}):
        _require_covered(year)
    marks = []
    for day in days:
        holiday, name = chinese_calendar.get_holiday_detail(day)
        chinese = _chinese_name(name)
        if holiday and name is not None:
            marks.append(Mark(day, MarkKind.HOLIDAY, chinese))
        elif not holiday and day.weekday() >= 5:
            marks.append(Mark(day, MarkKind.WORKDAY, f"{chinese}调休上班" if chinese else "调休上班"))
    return marks


def _require_covered(year: int) -> None:
    try:
        chinese_calendar.get_holiday_detail(date(year, 1, 1))
    except NotImplementedError:
        known = sorted({day.year for day in chinese_calendar.holidays})
        raise HolidaysUnknownError(
            f"the statutory holidays and adjusted working days of {year} are not known to chinese-calendar "
            f"{getattr(chinese_calendar, '__version__', '')} (it covers {known[0]}–{known[-1]}); "
            f"festivals, solar terms and your own dates are still shown;",
            hint=f"once the State Council has published {year}'s arrangement (usually in November or December "
            f"of the year before), upgrade the package: pip install -U chinesecalendar",
        ) from None


def _chinese_name(english: str | None) -> str:
    """chinese-calendar names a holiday in English; its Holiday enum carries the Chinese name too."""
    for holiday in chinese_calendar.Holiday:
        if holiday.value == english:
            return str(holiday.chinese)
    return english or ""


def lunar_marks(days: list[date]) -> list[Mark]:
    """Lunar festivals and solar terms among `days`, computed by lunar-python for any year."""
    marks = []
    for day in days:
        lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
        names = [name for name in lunar.getFestivals() if name in FESTIVALS]
        names += [FOLK_DAYS[name] for name in lunar.getOtherFestivals() if name in FOLK_DAYS]
        marks += [Mark(day, MarkKind.FESTIVAL, name) for name in names]
        term = lunar.getJieQi()
        if term:
            marks.append(Mark(day, MarkKind.SOLAR_TERM, term))
    return marks


def config_marks(days: list[date], dates: tuple[CalendarDate, ...]) -> list[Mark]:
    """The config's dates among `days`: a recurring one in every year, a one-off in its year."""
    return [
        Mark(day, MarkKind.CONFIG, entry.name)
        for day in days
        for entry in dates
        if (entry.month, entry.day) == (day.month, day.day) and entry.year in (None, day.year)
    ]


def month_marks(year: int, month: int, dates: tuple[CalendarDate, ...] = ()) -> tuple[list[Mark], list[str]]:
    """Every mark of the month, by day, and the notices for what could not be known (a year without holidays)."""
    days = month_days(year, month)
    notices = []
    try:
        statutory = statutory_marks(days)
    except HolidaysUnknownError as exc:
        statutory, notices = [], [f"{exc.message} {exc.hint}"]
    marks = statutory + lunar_marks(days) + config_marks(days, dates)
    order = list(MarkKind)
    return sorted(marks, key=lambda mark: (mark.day, order.index(mark.kind))), notices


def week_start(day: date) -> date:
    """The Monday of `day`'s week (Chinese calendars start the week on Monday)."""
    return day - timedelta(days=day.weekday())
