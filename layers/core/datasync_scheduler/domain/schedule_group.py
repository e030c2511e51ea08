"""What the stack's schedule group must hold for a schedules file, and what a deploy changes in it.

Each named schedule becomes one EventBridge Scheduler schedule of the same name in the stack's
group, whose target starts BatchWorkflow with `{"schedule": <name>, "scheduledTime":
"<aws.scheduler.scheduled-time>"}`. `desired_schedules` says what each one must be; `plan`
compares that with what the group holds (as GetSchedule describes it) and says what to add,
change and remove, so the deploy (the Apply Schedules custom resource) and the operator's
`schedules plan` decide with the same rules. Pure: no AWS call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from datasync_scheduler.domain.schedules import Schedule, SchedulesFile

# Scheduler's retry policy for a firing it could not deliver (StartExecution refused or throttled):
# up to 185 retries over up to 86,400 s (botocore `scheduler/2021-06-30` RetryPolicy); after that
# the firing goes to the dead-letter queue. A batch an hour late is still worth running; one a day
# late would overlap the next night's: docs/aws-facts.md#named-schedules.
RETRY_ATTEMPTS = 5
RETRY_MAX_EVENT_AGE_SECONDS = 3600
# Scheduler fills this context attribute with the firing's scheduled time (ISO 8601, UTC).
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
DESCRIPTION = "datasync-scheduler named schedule (from schedules/schedules.yaml)"


@dataclass(frozen=True)
class ScheduleTarget:
    """What every schedule of the group starts, and how: the stack's BatchWorkflow, the role the
    Scheduler assumes to start it, and the queue a firing goes to when it cannot be delivered."""

    batch_workflow_arn: str
    role_arn: str
    dead_letter_arn: str


@dataclass(frozen=True)
class DeployedSchedule:
    """One schedule as Scheduler holds it, in the parts this stack decides."""

    name: str
    expression: str
    timezone: str
    flexible_window_minutes: int | None  # None: Mode OFF
    start_date: datetime | None  # UTC
    end_date: datetime | None  # UTC
    state: str
    target_arn: str
    role_arn: str
    input: str
    dead_letter_arn: str | None
    retry_attempts: int | None
    retry_max_event_age_seconds: int | None
    description: str = field(default="", compare=False)

    def request(self, group: str) -> dict[str, Any]:
        """CreateSchedule's (and UpdateSchedule's, which replaces every field) parameters."""
        target: dict[str, Any] = {"Arn": self.target_arn, "RoleArn": self.role_arn, "Input": self.input}
        if self.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self.dead_letter_arn}
        if self.retry_attempts is not None and self.retry_max_event_age_seconds is not None:
            target["RetryPolicy"] = {
                "MaximumRetryAttempts": self.retry_attempts,
                "MaximumEventAgeInSeconds": self.retry_max_event_age_seconds,
            }
        window: dict[str, Any] = (
            {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": self.flexible_window_minutes}
            if self.flexible_window_minutes
            else {"Mode": "OFF"}
        )
        params: dict[str, Any] = {
            "Name": self.name,
            "GroupName": group,
            "ScheduleExpression": self.expression,
            "ScheduleExpressionTimezone": self.timezone,
            "FlexibleTimeWindow": window,
            "State": self.state,
            "Target": target,
            "Description": self.description,
        }
        if self.start_date:
            params["StartDate"] = self.start_date
        if self.end_date:
            params["EndDate"] = self.end_date
        return params

    @classmethod
    def from_get_schedule(cls, response: dict[str, Any]) -> DeployedSchedule:
        """GetSchedule's answer, read defensively: a field it lacks reads as not set."""
        target = response.get("Target") or {}
        window = response.get("FlexibleTimeWindow") or {}
        retry = target.get("RetryPolicy") or {}
        dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
        return cls(
            name=str(response.get("Name", "")),
            expression=str(response.get("ScheduleExpression", "")),
            timezone=str(response.get("ScheduleExpressionTimezone") or "UTC"),
            flexible_window_minutes=(
                int(window["MaximumWindowInMinutes"]) if window.get("Mode") == "FLEXIBLE" else None
            ),
            start_date=_utc(response.get("StartDate")),
            end_date=_utc(response.get("EndDate")),
            state=str(response.get("State", "")),
            target_arn=str(target.get("Arn", "")),
            role_arn=str(target.get("RoleArn", "")),
            input=_canonical_json(target.get("Input")),
            dead_letter_arn=str(dead_letter) if dead_letter else None,
            retry_attempts=_int_or_none(retry.get("MaximumRetryAttempts")),
            retry_max_event_age_seconds=_int_or_none(retry.get("MaximumEventAgeInSeconds")),
            description=str(response.get("Description") or ""),
        )


def desired_schedule(schedule: Schedule, target: ScheduleTarget) -> DeployedSchedule:
    return DeployedSchedule(
        name=schedule.name,
        expression=schedule.expression,
        timezone=schedule.timezone,
        flexible_window_minutes=schedule.flexible_window_minutes,
        start_date=schedule.start_utc,
        end_date=schedule.end_utc,
        state="ENABLED",
        target_arn=target.batch_workflow_arn,
        role_arn=target.role_arn,
        input=firing_input(schedule.name),
        dead_letter_arn=target.dead_letter_arn,
        retry_attempts=RETRY_ATTEMPTS,
        retry_max_event_age_seconds=RETRY_MAX_EVENT_AGE_SECONDS,
        description=DESCRIPTION,
    )


def desired_schedules(schedules: SchedulesFile, target: ScheduleTarget) -> dict[str, DeployedSchedule]:
    return {schedule.name: desired_schedule(schedule, target) for schedule in schedules.schedules}


def firing_input(name: str) -> str:
    """BatchWorkflow's input for one firing of the named schedule (the contract with BatchWorkflow)."""
    return _canonical_json({"schedule": name, "scheduledTime": SCHEDULED_TIME})


@dataclass(frozen=True)
class Change:
    name: str
    fields: tuple[str, ...]  # what differs, in the file's words


@dataclass(frozen=True)
class SchedulePlan:
    """What a deploy does to the group: schedules added, changed (and which fields), removed."""

    add: tuple[str, ...] = ()
    change: tuple[Change, ...] = ()
    remove: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.add or self.change or self.remove)

    def lines(self) -> list[str]:
        """One line per schedule a deploy touches, then a count; the operator's `schedules plan`."""
        lines = [f"+ {name}  (added)" for name in self.add]
        lines += [f"~ {change.name}  (changes {', '.join(change.fields)})" for change in self.change]
        lines += [f"- {name}  (removed)" for name in self.remove]
        lines.append(
            f"{len(self.add)} to add, {len(self.change)} to change, {len(self.remove)} to remove, "
            f"{len(self.unchanged)} unchanged"
        )
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "add": list(self.add),
            "change": [{"name": change.name, "fields": list(change.fields)} for change in self.change],
            "remove": list(self.remove),
            "unchanged": list(self.unchanged),
        }


# The file's words for each part of a deployed schedule (what the plan names as changed).
_FIELD_WORDS = {
    "expression": "expression",
    "timezone": "timezone",
    "flexible_window_minutes": "flexibleWindowMinutes",
    "start_date": "startDate",
    "end_date": "endDate",
    "state": "state",
    "target_arn": "target",
    "role_arn": "role",
    "input": "input",
    "dead_letter_arn": "deadLetterQueue",
    "retry_attempts": "retryPolicy",
    "retry_max_event_age_seconds": "retryPolicy",
}


def plan(desired: dict[str, DeployedSchedule], deployed: dict[str, DeployedSchedule]) -> SchedulePlan:
    """The group after a deploy holds exactly `desired`: what is missing is added, what differs is
    updated, what the file no longer names is removed (the group is the stack's alone)."""
    add = tuple(sorted(name for name in desired if name not in deployed))
    remove = tuple(sorted(name for name in deployed if name not in desired))
    changes: list[Change] = []
    unchanged: list[str] = []
    for name in sorted(set(desired) & set(deployed)):
        differing = _differences(desired[name], deployed[name])
        if differing:
            changes.append(Change(name, differing))
        else:
            unchanged.append(name)
    return SchedulePlan(add, tuple(changes), remove, tuple(unchanged))


def _differences(want: DeployedSchedule, have: DeployedSchedule) -> tuple[str, ...]:
    words: list[str] = []
    for attribute, word in _FIELD_WORDS.items():
        if getattr(want, attribute) != getattr(have, attribute) and word not in words:
            words.append(word)
    return tuple(words)


def _canonical_json(text: Any) -> str:
    if isinstance(text, str):
        try:
            return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
        except ValueError:
            return text
    if text is None:
        return ""
    return json.dumps(text, sort_keys=True, separators=(",", ":"))


def _utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    return None


def _int_or_none(value: Any) -> int | None:
    return int(value) if value is not None else None
