"""`datasync-scheduler schedules`: the named schedules, when each fires next, and what a deploy changes.

The listing reads the schedules file (the one `sam build` ships); `schedules plan` compares it with
the schedule group of the deployed stack (ListSchedules and GetSchedule), with the rules the deploy
itself applies (`domain/schedule_group.py`), so what it prints is what the next deploy does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from datasync_scheduler.domain.schedule_group import SchedulePlan, ScheduleTarget, desired_schedules, plan
from datasync_scheduler.domain.schedules import SCHEDULE_TAG_KEY, InvalidSchedules, Schedule, SchedulesFile
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler_cli.operate import ClientFactory, OperatorError, stack_outputs
from datasync_scheduler_cli.schedule_firings import next_firings

DEFAULT_FILE = Path("schedules") / "schedules.yaml"
FIRINGS_SHOWN = 3


def read_file(path: Path) -> SchedulesFile:
    from datasync_scheduler.adapters.schedule_book import load_schedules

    if not path.is_file():
        raise OperatorError(f"no schedules file at {path}: name it with --file (the repository's is {DEFAULT_FILE})")
    try:
        return load_schedules(path)
    except InvalidSchedules as error:
        raise OperatorError(str(error)) from None


def schedule_view(schedule: Schedule, now: datetime) -> dict[str, Any]:
    """One schedule as the operator sees it; `--format json` prints this."""
    firings = next_firings(schedule, now, FIRINGS_SHOWN)
    return {
        "name": schedule.name,
        "expression": schedule.expression,
        "timezone": schedule.timezone,
        "flexibleWindowMinutes": schedule.flexible_window_minutes,
        "nextFirings": [time.isoformat() for time in firings.times],
        "nextFiringsNote": firings.note or None,
        "skipDates": [day.isoformat() for day in schedule.skip_dates],
        "tasks": [str(task.get("taskArn", "")) for task in schedule.tasks],
        "selectByTag": schedule.select_by_tag,
        "tag": f"{SCHEDULE_TAG_KEY}={schedule.name}" if schedule.select_by_tag else None,
        "regions": list(schedule.regions),
        "maxConcurrency": schedule.max_concurrency,
        # Resolved when the schedule fires (tasks found by tag) and its health: not computed here yet.
        "resolvedTasks": None,
        "health": None,
    }


def view_lines(view: dict[str, Any]) -> list[str]:
    # Names, ARNs and expressions come from a file anyone may edit: one line each, nothing that steers the terminal.
    window = f", window {view['flexibleWindowMinutes']} min" if view["flexibleWindowMinutes"] else ""
    lines = [one_line(f"{view['name']}  {view['expression']}  {view['timezone']}{window}")]
    if view["nextFirings"]:
        zone = ZoneInfo(view["timezone"])
        skipped = set(view["skipDates"])
        shown = ", ".join(_local(text, zone, skipped) for text in view["nextFirings"])
        lines.append(one_line(f"  next: {shown}"))
    if view["nextFiringsNote"]:
        lines.append(one_line(f"  next: {view['nextFiringsNote']}"))
    if view["skipDates"]:
        lines.append(one_line(f"  skips: {', '.join(view['skipDates'])}"))
    for task in view["tasks"]:
        lines.append(one_line(f"  task: {task}"))
    if view["selectByTag"]:
        where = ", ".join(view["regions"]) or "the stack's Region"
        lines.append(one_line(f"  and every task tagged {view['tag']} in {where}, found when it fires"))
    return lines


def _local(iso_time: str, zone: ZoneInfo, skipped: set[str]) -> str:
    when = datetime.fromisoformat(iso_time).astimezone(zone)
    skip = " (a skip date: starts nothing)" if when.date().isoformat() in skipped else ""
    return f"{when:%a %Y-%m-%d %H:%M} {when.tzname()}{skip}"


@dataclass(frozen=True)
class DeployedGroup:
    group: str
    target: ScheduleTarget


_GROUP_OUTPUTS = ("ScheduleGroupName", "BatchWorkflowArn", "SchedulerRoleArn", "ScheduleDeadLetterQueueArn")


def deployed_group(clients: ClientFactory, stack_name: str) -> DeployedGroup:
    """The group and what its schedules target, from the stack's outputs."""
    outputs = stack_outputs(clients, stack_name, hint="name another with --stack-name")
    missing = [name for name in _GROUP_OUTPUTS if not outputs.get(name)]
    if missing:
        raise OperatorError(
            f"stack {stack_name!r} has no output {', '.join(missing)}: it was deployed before named schedules "
            "(deploy this version first), or it is not a datasync-scheduler stack"
        )
    return DeployedGroup(
        outputs["ScheduleGroupName"],
        ScheduleTarget(outputs["BatchWorkflowArn"], outputs["SchedulerRoleArn"], outputs["ScheduleDeadLetterQueueArn"]),
    )


def deploy_plan(clients: ClientFactory, stack_name: str, schedules: SchedulesFile) -> SchedulePlan:
    from datasync_scheduler.adapters.schedule_group import SchedulerGroup

    deployed = deployed_group(clients, stack_name)
    held = SchedulerGroup(clients("scheduler"), deployed.group).deployed()
    return plan(desired_schedules(schedules, deployed.target), held)
