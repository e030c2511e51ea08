"""When a named schedule fires next, in its own time zone, as EventBridge Scheduler fires it.

Cron fields are evaluated on the schedule's local wall clock (pyawscron understands EventBridge's
six fields, `?`, `L`, `W` and `#`); each local time is then placed in the time zone as Scheduler
does at daylight-saving changes (docs/aws-facts.md#named-schedules): a local time that does not
exist (clocks go forward) is skipped, and one that occurs twice (clocks go back) fires once, at
its first occurrence. A rate schedule fires every fixed interval (a day is 24 hours) from its
start date; an at() schedule once. Start and end dates bound all of them.

Pure, and shared: the operator's command line lists the next firings and checks the past ones
(`schedules --health`), and the stack's Health Check finds the firing its preflight is for and the
ones that were missed. pyawscron ships in the schedules layer (schedules/requirements.txt): only
the functions that read the schedules file import this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pyawscron import AWSCron  # type: ignore[import-untyped]

from datasync_scheduler.domain.schedule_expression import AtExpression, CronExpression, RateExpression
from datasync_scheduler.domain.schedules import Schedule

# pyawscron gives up on a field combination that matches nothing within a few years (say, 30 Feb);
# so does this module: such a schedule has no next firing to show.
_LOOKS = 2000


@dataclass(frozen=True)
class Firings:
    """The next firings (aware datetimes in the schedule's time zone), or why none can be listed."""

    times: tuple[datetime, ...]
    note: str = ""


def next_firings(schedule: Schedule, now: datetime, count: int = 3) -> Firings:
    zone = schedule.zone
    start, end = schedule.start_utc, schedule.end_utc
    after = max(now.astimezone(UTC), start - timedelta(seconds=1)) if start else now.astimezone(UTC)
    expression = schedule.parsed_expression
    if isinstance(expression, AtExpression):
        at = _placed(expression.when, zone)
        if at is None or at.astimezone(UTC) <= now.astimezone(UTC):
            return Firings((), "fired once already" if at is not None else "its local time does not exist")
        return Firings((at,))
    if isinstance(expression, RateExpression):
        if start is None:
            return Firings((), f"every {expression.value} {expression.unit} from when the schedule was created")
        times = _rate(start, expression.seconds, after, count)
    else:
        times = _cron(expression, zone, after, count)
    kept = tuple(time.astimezone(zone) for time in times if end is None or time.astimezone(UTC) <= end)
    note = "" if len(kept) == count else "no more firings before its end date" if end else "no more firings found"
    return Firings(kept, note if len(kept) < count else "")


def firings_between(schedule: Schedule, since: datetime, until: datetime, most: int) -> list[datetime]:
    """The newest `most` firings the expression gives after `since` and up to `until`, oldest first:
    read forward page by page (the computation counts from a start), keeping the newest."""
    kept: list[datetime] = []
    cursor = since
    while True:
        page = [time for time in next_firings(schedule, cursor, most).times if time <= until]
        kept = (kept + page)[-most:]
        if len(page) < most:
            return kept
        cursor = page[-1]


def next_firing_within(schedule: Schedule, now: datetime, lead: timedelta) -> datetime | None:
    """The schedule's next firing when it is due within `lead` of `now` (the window preflight looks
    ahead), else None. Only the next one: the firings after it are checked when they are next."""
    upcoming = next_firings(schedule, now, 1).times
    if upcoming and upcoming[0].astimezone(UTC) <= now.astimezone(UTC) + lead:
        return upcoming[0]
    return None


def _rate(start: datetime, seconds: int, after: datetime, count: int) -> list[datetime]:
    # Scheduler counts a rate in fixed units from the start: 1 day is 24 hours, whatever the clocks do.
    elapsed = max(0.0, (after - start).total_seconds())
    first = int(elapsed // seconds) + (1 if elapsed > 0 else 0)
    return [start + timedelta(seconds=seconds * (first + index)) for index in range(count)]


def _cron(expression: CronExpression, zone: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    for wall in _wall_clock_matches(expression, after.astimezone(zone).replace(tzinfo=None)):
        placed = _placed(wall, zone)
        if placed is None or placed.astimezone(UTC) <= after:
            continue  # a local time the clocks skip; or the later of a repeated hour, before `after`
        found.append(placed)
        if len(found) == count:
            break
    return found


def _wall_clock_matches(expression: CronExpression, since: datetime) -> Iterator[datetime]:
    """Local wall-clock times matching the fields, after `since` (naive), in order. pyawscron wants
    UTC datetimes: the wall clock is handed to it as if it were UTC, and read back the same way."""
    cron = AWSCron(expression.fields)
    cursor = since.replace(tzinfo=UTC)
    for _ in range(_LOOKS):
        try:
            following = cron.occurrence(cursor).next()
        except Exception:  # noqa: BLE001 - pyawscron raises a bare Exception when it finds nothing
            return
        if following is None:
            return
        yield following.replace(tzinfo=None)
        cursor = following


def _placed(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The instant a local wall-clock time names: None when the clocks skip it; its first
    occurrence when they pass it twice (fold=0)."""
    local = wall.replace(tzinfo=zone, fold=0)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return local
