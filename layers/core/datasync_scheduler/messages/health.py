"""A named schedule's health as messages: preflight's findings before a firing, and a firing that
never arrived. Both name the schedule and the firing (in the schedule's own time zone and in UTC),
say what is wrong and what to do while there is still time; both are bounded like every message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from datasync_scheduler.domain.schedule_health import Finding
from datasync_scheduler.messages.message import Fact, Message, Outcome, TaskLine

# A preflight message lists at most this many findings one by one; the rest are counted.
FINDING_LINES = 100
# Distinct things to do, listed once each.
TO_DO_LINES = 10


def local_time(moment: datetime, timezone: str) -> str:
    """`Thu 2026-11-26 01:00 CET`: a firing as the schedule's people read it."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}"


def _task_label(task_arn: str) -> str:
    # `arn:aws:datasync:<region>:<account>:task/task-0123...`: the task's id is what the console shows.
    return task_arn.rsplit("/", 1)[-1] or task_arn


def preflight_message(
    schedule: str, timezone: str, scheduled_time: datetime, findings: Sequence[Finding], *, tasks_checked: int
) -> Message:
    """The one preflight message of a firing: what will fail (first), what warns, and what to do."""
    ordered = sorted(findings, key=lambda finding: not finding.will_fail)
    failing = list(dict.fromkeys(f.task_arn for f in ordered if f.will_fail))
    warned = list(dict.fromkeys(f.task_arn for f in ordered if not f.will_fail))
    when = local_time(scheduled_time, timezone)
    outcome: Outcome = "failed" if failing else "warned"
    if failing:
        subject = f"{schedule}: {len(failing)} task(s) will FAIL at the {when} firing"
    else:
        subject = f"{schedule}: preflight warns about {len(warned)} task(s) before the {when} firing"
    summary = (
        f"Preflight looked at the {tasks_checked} task(s) the schedule resolves to now, before its firing "
        f"for {when}: {len(failing)} will fail, {len(warned)} will run with a problem. "
        "Fix them before the firing, or they run as they are."
    )
    lines = tuple(
        TaskLine(
            task=_task_label(finding.task_arn),
            status="WILL FAIL" if finding.will_fail else "WARNING",
            outcome="failed" if finding.will_fail else "warned",
            detail=f"{finding.text}; to do: {finding.to_do}",
        )
        for finding in ordered[:FINDING_LINES]
    )
    steps = tuple(dict.fromkeys(finding.to_do for finding in ordered))[:TO_DO_LINES]
    return Message(
        kind="preflight",
        outcome=outcome,
        severity="error" if failing else "warning",
        subject=subject,
        summary=summary,
        facts=(
            Fact(label="Firing", value=f"{when} ({scheduled_time.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"),
            Fact(label="Tasks checked", value=str(tasks_checked)),
            Fact(label="Will fail", value=str(len(failing))),
            Fact(label="Warnings", value=str(len(warned))),
        ),
        tasks=lines,
        tasks_not_listed=max(0, len(ordered) - FINDING_LINES),
        next_steps=steps,
        schedule=schedule,
        scheduled_time=scheduled_time.astimezone(UTC).isoformat(),
    )


def missed_firing_message(schedule: str, timezone: str, scheduled_time: datetime, deadline: datetime) -> Message:
    """A firing the schedule's expression says should have happened, and that never reached the stack."""
    when = local_time(scheduled_time, timezone)
    return Message(
        kind="missed-firing",
        outcome="failed",
        severity="error",
        subject=f"{schedule}: the {when} firing never ran (missed)",
        summary=(
            f"EventBridge Scheduler should have fired the schedule for {when}, and no firing reached the stack "
            f"by {deadline.astimezone(UTC):%Y-%m-%d %H:%M} UTC, when Scheduler stops retrying it. "
            "None of its tasks ran for that firing."
        ),
        facts=(Fact(label="Firing", value=f"{when} ({scheduled_time.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"),),
        next_steps=(
            "look in the stack's schedule dead-letter queue (ScheduleDeadLetterQueueArn): an undelivered "
            "firing is there with Scheduler's error",
            "check the schedule in the stack's schedule group (its State, its role) and BatchWorkflow's failed starts",
            "if the sync is still needed, start BatchWorkflow (BatchWorkflowArn) by hand with the input "
            f'{{"schedule": "{schedule}", "scheduledTime": "{scheduled_time.astimezone(UTC).isoformat()}"}}',
        ),
        schedule=schedule,
        scheduled_time=scheduled_time.astimezone(UTC).isoformat(),
    )
