"""A named schedule's health as `datasync-scheduler schedules` shows it: its last firing, and the
firings its own expression says should have arrived in the last days but never did.

The expected firings come from the same computation as the listing's next firings
(`domain/schedule_firings.py`: zone, daylight saving, start and end dates); the arrivals from the run
ledger, where Validate Batch records each firing once (`adapters/firing_arrivals.py`). A firing is
missed only once Scheduler can no longer deliver it (`domain/schedule_health.py`). Arrivals are
recorded from the deploy that brought them on: a firing before a schedule's first recorded arrival
of the period is not called missed (it may predate the record), and a schedule with no arrival at
all says so instead of listing every firing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from datasync_scheduler.domain.schedules import Schedule
from datasync_scheduler.domain.sync_request import StackHome
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.ports import DataSyncPort, FiringArrivals, LogSource, TaggedTasks
from datasync_scheduler.workflow.health_check import firing_health, resolved_tasks
from datasync_scheduler.workflow.preflight import preflight


def schedule_health(schedule: Schedule, now: datetime, arrivals: FiringArrivals) -> dict[str, Any]:
    """The schedule's health; `--format json` prints it as the view's `health`. The same rule as the
    stack's Health Check (`workflow/health_check.py` `firing_health`)."""
    health = firing_health(schedule, now, arrivals)
    last = health.last
    return {
        "checkedSince": health.checked_since.isoformat(),
        "lastFiring": {
            "scheduledTime": last.scheduled_time.isoformat(),
            "batchExecution": last.batch_execution,
            "arrivedAt": last.arrived_at.isoformat(),
        }
        if last
        else None,
        "missedFirings": [time.isoformat() for time in health.missed],
        "note": health.note,
    }


def preflight_view(
    schedule: Schedule,
    home: StackHome,
    datasync: DataSyncPort,
    tagged: TaggedTasks,
    logs: LogSource,
    now: datetime,
    logs_for: Callable[[str], LogSource] | None = None,
) -> list[dict[str, Any]]:
    """Preflight now, on the tasks the schedule resolves to now (`health_check.resolved_tasks`: its
    listed ones, then those tagged for it, found as its firing finds them). `logs_for` gives the log
    source of a log group's own Region and account (its ARN), as the Health Check looks."""
    tasks, problem = resolved_tasks(schedule, home, tagged)
    findings = ([problem] if problem else []) + preflight(tasks, datasync, logs, now=now, logs_for=logs_for)
    return [
        {
            "taskArn": None if f is problem else f.task_arn,
            "kind": f.kind,
            "willFail": f.will_fail,
            "text": f.text,
            "toDo": f.to_do,
        }
        for f in findings
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
