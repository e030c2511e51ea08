"""A named schedule's health: what will fail at its next firing (preflight), and which of its
firings never arrived (missed).

Preflight looks at each task the schedule resolves to, as DataSync describes it now (`TaskLook`,
from DescribeTask and the task's log group), and says what will fail and what to do while there is
still time. A finding *will fail* the run (the task is gone, an agent it uses is offline) or is a
warning (logging off, a busy task, DataSync's own schedule): the run starts and is worse for it.

A firing is missed when the schedule's own expression says it should have happened and no arrival
was recorded once EventBridge Scheduler can no longer deliver it: its flexible window plus the
retry policy's maximum event age (docs/aws-facts.md#schedule-health).

Pure: no AWS call. ARNs, expressions and DataSync's reasons are untrusted text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.schedule_group import RETRY_MAX_EVENT_AGE_SECONDS
from datasync_scheduler.domain.untrusted import one_line

# DataSync's words (botocore `datasync/2018-11-09` `TaskStatus`, `AgentStatus`, `ScheduleStatus`,
# `ScheduleDisabledBy`): docs/aws-facts.md#schedule-health. Kept as plain strings: a status the
# model gains later is reported as it is, never mistaken for AVAILABLE.
TASK_AVAILABLE = "AVAILABLE"
TASK_BUSY = frozenset({"QUEUED", "RUNNING"})
LOGGING_OFF = "OFF"

FindingKind = Literal[
    "task-not-found",
    "task-unavailable",
    "task-busy",
    "task-not-ready",
    "no-log-group",
    "logging-off",
    "two-schedulers",
    "datasync-disabled",
    "not-checked",
]

# DataSync's reason for disabling a schedule is at most 8192 characters (`ScheduleDisabledReason`);
# a message shows the start of it.
REASON_SHOWN = 300


@dataclass(frozen=True)
class DataSyncSchedule:
    """A task's own DataSync schedule (DescribeTask `Schedule` and `ScheduleDetails`)."""

    expression: str
    status: str = "ENABLED"
    disabled_by: str | None = None
    disabled_reason: str | None = None
    status_update_time: datetime | None = None


@dataclass(frozen=True)
class TaskLook:
    """What preflight knows about one task. `status` None: DescribeTask said the task does not
    exist. `log_group_exists` None: not looked at (no log group configured, or it could not be read)."""

    task_arn: str
    status: str | None
    log_group_arn: str | None = None
    log_group_exists: bool | None = None
    log_level: str | None = None
    # A task report lists every failed file by itself (docs/aws-facts.md#datasync-task-reports).
    writes_task_report: bool = False
    datasync_schedule: DataSyncSchedule | None = None


@dataclass(frozen=True)
class Finding:
    """One thing preflight found in one task: what it is, whether the run will fail, what to do."""

    task_arn: str
    kind: FindingKind
    will_fail: bool
    text: str
    to_do: str


def look_of(task_arn: str, facts: TaskFacts | None) -> TaskLook:
    """What DescribeTask said (None: the task does not exist) as preflight reads it. An agent that is
    offline shows as the task's UNAVAILABLE status ("A DataSync agent used by the task is offline");
    the log group is not looked up here (`log_group_exists` None)."""
    if facts is None:
        return TaskLook(task_arn, None)
    return TaskLook(
        task_arn,
        facts.status or "UNKNOWN",
        log_group_arn=facts.log_group_arn,
        log_level=facts.log_level,
        writes_task_report=bool(facts.task_report_config),
        datasync_schedule=datasync_schedule_of(facts.schedule, facts.schedule_details),
    )


def datasync_schedule_of(
    schedule: Mapping[str, Any] | None, details: Mapping[str, Any] | None
) -> DataSyncSchedule | None:
    """DescribeTask's `Schedule` and `ScheduleDetails` (botocore `TaskSchedule`, `TaskScheduleDetails`);
    None when the task has no DataSync schedule."""
    if not schedule or not schedule.get("ScheduleExpression"):
        return None
    details = details or {}
    updated = details.get("StatusUpdateTime")
    return DataSyncSchedule(
        expression=str(schedule["ScheduleExpression"]),
        status=str(schedule.get("Status") or "ENABLED"),
        disabled_by=details.get("DisabledBy"),
        disabled_reason=details.get("DisabledReason"),
        status_update_time=updated if isinstance(updated, datetime) else None,
    )


def preflight_findings(look: TaskLook) -> list[Finding]:
    """Everything that will fail, or make a run worse, in this task's next run; empty when healthy."""
    task = look.task_arn
    if look.status is None:
        return [
            Finding(
                task,
                "task-not-found",
                True,
                f"task {one_line(task)} no longer exists in DataSync",
                "remove it from the schedule (or its tag), or recreate it",
            )
        ]
    findings: list[Finding] = []
    if look.status == "UNAVAILABLE":
        # "A DataSync agent used by the task is offline" (docs/aws-facts.md#schedule-health).
        findings.append(
            Finding(
                task,
                "task-unavailable",
                True,
                f"task {one_line(task)} is UNAVAILABLE: an agent it uses is offline",
                "bring the agent's VM back and check its network path to DataSync (the agent returns to ONLINE "
                "by itself); the DataSync console shows which agent",
            )
        )
    if look.status in TASK_BUSY:
        findings.append(
            Finding(
                task,
                "task-busy",
                False,
                f"task {one_line(task)} is {look.status} now: its run will wait for the task to be free",
                "let the current execution finish, or cancel it if it is stuck",
            )
        )
    elif look.status not in (TASK_AVAILABLE, "UNAVAILABLE"):
        findings.append(
            Finding(
                task,
                "task-not-ready",
                False,
                f"task {one_line(task)} is {one_line(look.status)[:40]} in DataSync, not AVAILABLE",
                "check the task in the DataSync console before the window",
            )
        )
    findings.extend(_logging(look))
    findings.extend(_datasync_schedule(look))
    return findings


def _logging(look: TaskLook) -> list[Finding]:
    if look.writes_task_report:
        return []  # the analysis reads the report first: logs are not needed to list failures
    task = look.task_arn
    to_do = "give the task a CloudWatch log group and a log level of BASIC or TRANSFER, or a task report"
    if look.log_group_arn is None or look.log_group_exists is False:
        what = "has no CloudWatch log group" if look.log_group_arn is None else "logs to a log group that is gone"
        return [
            Finding(task, "no-log-group", False, f"task {one_line(task)} {what}: failed files cannot be listed", to_do)
        ]
    # A task created without a LogLevel is read as OFF (docs/aws-facts.md#datasync-executions-and-events).
    if (look.log_level or LOGGING_OFF) == LOGGING_OFF:
        return [
            Finding(
                task, "logging-off", False, f"task {one_line(task)} logs nothing: failed files cannot be listed", to_do
            )
        ]
    return []


def _datasync_schedule(look: TaskLook) -> list[Finding]:
    own = look.datasync_schedule
    if own is None:
        return []
    task = look.task_arn
    if own.status == "DISABLED" and own.disabled_by == "SERVICE":
        reason = one_line(own.disabled_reason or "no reason given")[:REASON_SHOWN]
        since = f" on {own.status_update_time.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if own.status_update_time else ""
        return [
            Finding(
                task,
                "datasync-disabled",
                False,
                f"DataSync disabled the task's own schedule{since} after repeated failures: {reason}",
                "fix the cause DataSync gives; delete the task's DataSync schedule if this scheduler runs it",
            )
        ]
    if own.status == "DISABLED":
        return []  # turned off by a person: nothing to report
    return [
        Finding(
            task,
            "two-schedulers",
            False,
            f"task {one_line(task)} also has its own DataSync schedule {one_line(own.expression)[:80]}: "
            "two schedulers start it (double runs, or runs queued behind each other)",
            "remove the DataSync schedule from the task (UpdateTask), or the task from this schedule",
        )
    ]


def delivery_deadline(scheduled_time: datetime, flexible_window_minutes: int | None) -> datetime:
    """The last moment EventBridge Scheduler may still deliver this firing: the end of its flexible
    window, plus the maximum event age of the retry policy the stack gives every schedule."""
    window = timedelta(minutes=flexible_window_minutes or 0)
    return scheduled_time + window + timedelta(seconds=RETRY_MAX_EVENT_AGE_SECONDS)


def missed_firings(
    expected: Iterable[datetime],
    arrived: Iterable[datetime],
    *,
    now: datetime,
    flexible_window_minutes: int | None,
) -> list[datetime]:
    """The expected firings that left no arrival although Scheduler can no longer deliver them.
    Times are compared as instants, whatever zone each is written in."""
    seen = {time.astimezone(UTC) for time in arrived}
    return [
        time
        for time in expected
        if time.astimezone(UTC) not in seen and delivery_deadline(time, flexible_window_minutes) <= now
    ]
