"""A named schedule's health as `datasync-scheduler schedules` shows it: its last firing, and the
firings its own expression says should have arrived in the last days but never did.

The expected firings come from the same computation as the listing's next firings
(`schedule_firings.py`: zone, daylight saving, start and end dates); the arrivals from the run
ledger, where Validate Batch records each firing once (`adapters/firing_arrivals.py`). A firing is
missed only once Scheduler can no longer deliver it (`domain/schedule_health.py`). Arrivals are
recorded from the deploy that brought them on: a firing before a schedule's first recorded arrival
of the period is not called missed (it may predate the record), and a schedule with no arrival at
all says so instead of listing every firing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from datasync_scheduler.domain.batch import InvalidBatchRequest
from datasync_scheduler.domain.schedule_expression import RateExpression
from datasync_scheduler.domain.schedule_health import delivery_deadline, missed_firings
from datasync_scheduler.domain.schedules import Schedule
from datasync_scheduler.domain.sync_request import StackHome
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.ports import ApiCallFailed, DataSyncPort, FiringArrivals, LogSource, TaggedTasks
from datasync_scheduler.workflow.preflight import preflight
from datasync_scheduler.workflow.validate_batch import tagged_for
from datasync_scheduler_cli.schedule_firings import next_firings

# How far back the check looks, and at most how many expected firings (a rate(1 minute) schedule
# has 10,080 in a week; the newest are the ones worth telling).
LOOK_BACK = timedelta(days=7)
MOST_FIRINGS = 500


def schedule_health(schedule: Schedule, now: datetime, arrivals: FiringArrivals) -> dict[str, Any]:
    """The schedule's health; `--format json` prints it as the view's `health`."""
    since = now - LOOK_BACK
    expected = _expected(schedule, since, now)
    note: str | None = None
    if schedule.flexible_window_minutes:
        # Whether `<aws.scheduler.scheduled-time>` is the expression's time or the moment chosen in
        # the window is not documented (docs/aws-facts.md#schedule-health): an exact match could
        # call every firing missed, so none is.
        note = "missed firings not checked: the schedule has a flexible window"
        expected = []
    elif isinstance(schedule.parsed_expression, RateExpression) and schedule.start_utc is None:
        # Its times count from when Scheduler created it (docs/aws-facts.md#named-schedules).
        note = (
            "missed firings not checked: a rate without a start date fires from when it was created "
            "(give it a startDate)"
        )
    recent = expected[-MOST_FIRINGS:]
    found = arrivals.arrived(schedule.name, recent)
    last = max(found, key=lambda arrival: arrival.scheduled_time, default=None)
    missed: list[datetime] = []
    if found:
        first = min(arrival.scheduled_time for arrival in found)
        after_first = [time for time in recent if time >= first]
        arrived = [arrival.scheduled_time for arrival in found]
        missed = missed_firings(after_first, arrived, now=now, flexible_window_minutes=schedule.flexible_window_minutes)
    elif recent:
        due = [t for t in recent if delivery_deadline(t, schedule.flexible_window_minutes) <= now]
        if due:
            note = (
                f"no firing recorded in the last {LOOK_BACK.days} days although {len(due)} were due: check the "
                "schedule group and its dead-letter queue (or the stack was deployed since)"
            )
    return {
        "checkedSince": since.isoformat(),
        "lastFiring": {
            "scheduledTime": last.scheduled_time.isoformat(),
            "batchExecution": last.batch_execution,
            "arrivedAt": last.arrived_at.isoformat(),
        }
        if last
        else None,
        "missedFirings": [time.isoformat() for time in missed],
        "note": note,
    }


def _expected(schedule: Schedule, since: datetime, now: datetime) -> list[datetime]:
    """The newest MOST_FIRINGS firings the expression gives after `since` and up to `now`: read
    forward page by page (the firing computation counts from a start), keeping the newest."""
    kept: list[datetime] = []
    cursor = since
    while True:
        page = [time for time in next_firings(schedule, cursor, MOST_FIRINGS).times if time <= now]
        kept = (kept + page)[-MOST_FIRINGS:]
        if len(page) < MOST_FIRINGS:
            return kept
        cursor = page[-1]


def preflight_view(
    schedule: Schedule, home: StackHome, datasync: DataSyncPort, tagged: TaggedTasks, logs: LogSource, now: datetime
) -> list[dict[str, Any]]:
    """Preflight now, on the tasks the schedule resolves to now: its listed ones, then those tagged
    for it (each once), found as its firing finds them (`validate_batch.tagged_for`)."""
    listed = [str(task.get("taskArn", "")) for task in schedule.tasks]
    try:
        found = tagged_for(schedule, home, tagged)
    except (InvalidBatchRequest, ApiCallFailed) as error:
        text = f"its tagged tasks could not be found: {one_line(str(error))[:300]}"
        found = []
        problem = [
            {
                "taskArn": None,
                "kind": "not-checked",
                "willFail": False,
                "text": text,
                "toDo": "check the schedule's regions and the permission to list tasks and their tags",
            }
        ]
    else:
        problem = []
    tasks = list(dict.fromkeys([*listed, *found]))
    return problem + [
        {"taskArn": f.task_arn, "kind": f.kind, "willFail": f.will_fail, "text": f.text, "toDo": f.to_do}
        for f in preflight(tasks, datasync, logs, now=now)
    ]


def health_lines(health: dict[str, Any], timezone: str = "UTC") -> list[str]:
    """The health in the text listing, each firing in the schedule's own time zone."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)

    def local(iso: str) -> str:
        when = datetime.fromisoformat(iso).astimezone(zone)
        return f"{when:%a %Y-%m-%d %H:%M} {when.tzname()}"

    lines = []
    if health["lastFiring"]:
        lines.append(f"  last firing: {local(health['lastFiring']['scheduledTime'])}, arrived")
    lines.extend(f"  MISSED: {local(time)} (no firing arrived)" for time in health["missedFirings"])
    if health["note"]:
        lines.append(f"  health: {health['note']}")
    for finding in health.get("preflight") or []:
        label = "WILL FAIL" if finding["willFail"] else "warning"
        lines.append(f"  {label}: {finding['text']}; to do: {finding['toDo']}")
    return [one_line(line) for line in lines]
