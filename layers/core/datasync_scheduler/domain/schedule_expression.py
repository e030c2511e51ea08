"""EventBridge Scheduler's schedule expressions, checked as Scheduler documents them.

Three kinds (docs/aws-facts.md#named-schedules):
- `at(yyyy-mm-ddThh:mm:ss)`: one firing, at that local time in the schedule's time zone;
- `rate(value unit)`: a positive whole number and one of `minute`, `minutes`, `hour`, `hours`,
  `day`, `days` (botocore's model names these six);
- `cron(minutes hours day-of-month month day-of-week year)`: six fields, with `?` in exactly one of
  day-of-month and day-of-week, `L` and `W` in day-of-month, `L` and `#` in day-of-week.

This module is pure: it says what is wrong with an expression before it is deployed, in words a
person can act on. When a schedule fires is computed in domain/schedule_firings.py, with a library that
evaluates cron expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

_AT = re.compile(r"^at\((?P<when>[^()]*)\)$")
_RATE = re.compile(r"^rate\((?P<value>[^ ()]+) (?P<unit>[^ ()]+)\)$")
_CRON = re.compile(r"^cron\((?P<fields>[^()]*)\)$")
_AT_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_DAYS = {name: number for number, name in enumerate(_DAY_NAMES, 1)}
RateUnit = Literal["minutes", "hours", "days"]
_UNITS: dict[str, RateUnit] = {
    "minute": "minutes",
    "minutes": "minutes",
    "hour": "hours",
    "hours": "hours",
    "day": "days",
    "days": "days",
}


class InvalidExpression(ValueError):
    """The expression is not one EventBridge Scheduler accepts; the message says which part."""


@dataclass(frozen=True)
class AtExpression:
    """One firing at a local date and time (in the schedule's time zone)."""

    when: datetime  # naive: a wall-clock time in the schedule's time zone


@dataclass(frozen=True)
class RateExpression:
    value: int
    unit: RateUnit

    @property
    def seconds(self) -> int:
        return self.value * {"minutes": 60, "hours": 3600, "days": 86400}[self.unit]


@dataclass(frozen=True)
class CronExpression:
    """The six fields, as written (upper-cased); `fields` is what a cron evaluator is given."""

    minutes: str
    hours: str
    day_of_month: str
    month: str
    day_of_week: str
    year: str

    @property
    def fields(self) -> str:
        return " ".join((self.minutes, self.hours, self.day_of_month, self.month, self.day_of_week, self.year))


ScheduleExpression = AtExpression | RateExpression | CronExpression


def parse_expression(text: str) -> ScheduleExpression:
    """The expression, or InvalidExpression saying what is wrong with it."""
    if match := _AT.match(text):
        return _at(match.group("when"))
    if match := _RATE.match(text):
        return _rate(match.group("value"), match.group("unit"))
    if match := _CRON.match(text):
        return _cron(match.group("fields"))
    raise InvalidExpression(
        "must be at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(minutes hours day-of-month month "
        "day-of-week year), e.g. cron(0 2 * * ? *)"
    )


def _at(when: str) -> AtExpression:
    if not _AT_FORMAT.match(when):
        raise InvalidExpression(f"at() takes yyyy-mm-ddThh:mm:ss (a local time, no zone), not {when[:40]!r}")
    try:
        return AtExpression(datetime.fromisoformat(when))
    except ValueError:
        raise InvalidExpression(f"at({when}) is not a real date and time") from None


def _rate(value: str, unit: str) -> RateExpression:
    if not value.isdigit() or int(value) < 1:
        raise InvalidExpression(f"rate() takes a positive whole number, not {value[:20]!r}")
    number = int(value)
    canonical = _UNITS.get(unit)
    if canonical is None:
        raise InvalidExpression(f"rate() takes minute(s), hour(s) or day(s), not {unit[:20]!r}")
    return RateExpression(number, canonical)


def _cron(text: str) -> CronExpression:
    parts = text.split(" ")
    if len(parts) != 6 or any(not part for part in parts):
        raise InvalidExpression(
            "cron() takes six fields separated by one space: minutes hours day-of-month month day-of-week year "
            f"(found {len([part for part in parts if part])})"
        )
    minutes, hours, day_of_month, month, day_of_week, year = (part.upper() for part in parts)
    _field("minutes", minutes, 0, 59, allow_slash=True)
    _field("hours", hours, 0, 23, allow_slash=True)
    _field("month", month, 1, 12, names=_MONTHS, allow_slash=True)
    _field("year", year, 1970, 2199, allow_slash=True)
    if (day_of_month == "?") == (day_of_week == "?"):
        raise InvalidExpression(
            "cron(): exactly one of day-of-month and day-of-week must be ? (the other says which days), "
            "e.g. cron(0 2 * * ? *) or cron(0 2 ? * MON-FRI *)"
        )
    if day_of_month != "?":
        _day_of_month(day_of_month)
    if day_of_week != "?":
        _day_of_week(day_of_week)
    return CronExpression(minutes, hours, day_of_month, month, day_of_week, year)


def _day_of_month(text: str) -> None:
    if text == "L":
        return
    if text.endswith("W"):
        _number("day-of-month", text[:-1], 1, 31)
        return
    _field("day-of-month", text, 1, 31, allow_slash=True)


def _day_of_week(text: str) -> None:
    if "#" in text:
        if "," in text:
            raise InvalidExpression("cron(): day-of-week takes one # expression only, e.g. 2#1 (not 3#1,6#3)")
        day, _, nth = text.partition("#")
        _value("day-of-week", day, 1, 7, _DAYS)
        _number("day-of-week", nth, 1, 5)
        return
    if text == "L":
        return
    if text.endswith("L"):
        _value("day-of-week", text[:-1], 1, 7, _DAYS)
        return
    # `/` is not among day-of-week's wildcards (, - * ? L #).
    _field("day-of-week", text, 1, 7, names=_DAYS, allow_slash=False)


def _field(
    name: str, text: str, low: int, high: int, *, names: dict[str, int] | None = None, allow_slash: bool
) -> None:
    for item in text.split(","):
        if not item:
            raise InvalidExpression(f"cron(): {name} has an empty item in {text!r}")
        base, slash, step = item.partition("/")
        if slash:
            if not allow_slash:
                raise InvalidExpression(f"cron(): {name} does not take / (increments)")
            _number(name, step, 1, high - low + 1)
        if base == "*":
            continue
        first, dash, last = base.partition("-")
        start = _value(name, first, low, high, names)
        if dash:
            end = _value(name, last, low, high, names)
            if end < start:
                raise InvalidExpression(f"cron(): {name} range {base} ends before it starts")


def _value(name: str, text: str, low: int, high: int, names: dict[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    return _number(name, text, low, high)


def _number(name: str, text: str, low: int, high: int) -> int:
    if not text.isdigit():
        raise InvalidExpression(f"cron(): {name} takes {low}-{high}, not {text[:20]!r}")
    value = int(text)
    if not low <= value <= high:
        raise InvalidExpression(f"cron(): {name} takes {low}-{high}, not {value}")
    return value
