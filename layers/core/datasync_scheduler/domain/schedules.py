"""Named schedules: what the schedules file declares, checked before anything is deployed or started.

A *schedule* is one EventBridge Scheduler schedule in the stack's schedule group. Each time it
fires, its tasks run as one batch: the sync requests it lists, and every DataSync task tagged
`datasync-scheduler:schedule=<name>` in its Regions when `selectByTag` is set (resolved when the
schedule fires, so a task tagged today runs tonight without a deploy).

This module is pure: it checks the file's data (already parsed from YAML or JSON) and says what is
wrong, naming the schedule and the field. Reading the file is an adapter's job; whether a listed
task exists, or is in a Region and account the stack may use, is decided when the schedule fires.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from datasync_scheduler.domain.schedule_expression import (
    AtExpression,
    InvalidExpression,
    ScheduleExpression,
    parse_expression,
)
from datasync_scheduler.domain.untrusted import one_line

# The tag that makes a DataSync task join a schedule: `datasync-scheduler:schedule=<schedule name>`.
SCHEDULE_TAG_KEY = "datasync-scheduler:schedule"

# EventBridge Scheduler's own bounds (botocore `scheduler/2021-06-30`: `Name` 1-64 of
# [0-9a-zA-Z-_.], `ScheduleExpression` 1-256, `ScheduleExpressionTimezone` 1-50,
# `MaximumWindowInMinutes` 1-1440): docs/aws-facts.md#named-schedules.
SCHEDULE_NAME = re.compile(r"[0-9a-zA-Z_.-]{1,64}")
EXPRESSION_LIMIT = 256
TIMEZONE_LIMIT = 50
FLEXIBLE_WINDOW_MAX_MINUTES = 1440
# Preflight looks at most a day ahead: what it finds is true now, not in a week.
PREFLIGHT_LEAD_MAX_MINUTES = 1440

# What each task's own message is sent for, besides the firing's one digest: `none`, `problems`
# (a task that failed or needed retries to succeed), or `all`.
PerTaskMessages = Literal["none", "problems", "all"]

ScheduleName = Annotated[str, Field(min_length=1, max_length=64)]


class ScheduleModel(BaseModel):
    """camelCase in the file, snake_case in Python; an unknown field is refused, not ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class ScheduleMessages(ScheduleModel):
    """Where a schedule's messages go and which of its tasks get a message of their own."""

    per_task: PerTaskMessages = "problems"
    # Every message of the schedule carries this value in its `route` message attribute, so an
    # email subscription with the filter policy {"route": ["<value>"]} gets only this schedule's.
    route: Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[\x21-\x7e]+$")] | None = None
    # A Secrets Manager secret holding this schedule's own Slack webhook URL, instead of the stack's.
    slack_webhook_secret_arn: Annotated[str, Field(pattern=r"^arn:[a-z-]+:secretsmanager:")] | None = None


class SchedulePreflight(ScheduleModel):
    """How long before each firing the stack's Health Check looks at the schedule's tasks: a
    preflight message then still leaves time to act (bring an agent back, fix the logging)."""

    lead_minutes: Annotated[int, Field(ge=1, le=PREFLIGHT_LEAD_MAX_MINUTES)] = 30


class Schedule(ScheduleModel):
    """One named schedule: when it fires, in which time zone, and which tasks each firing runs."""

    name: ScheduleName
    expression: Annotated[str, Field(min_length=1, max_length=EXPRESSION_LIMIT)]
    timezone: Annotated[str, Field(min_length=1, max_length=TIMEZONE_LIMIT)] = "UTC"
    flexible_window_minutes: Annotated[int, Field(ge=1, le=FLEXIBLE_WINDOW_MAX_MINUTES)] | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    # Local dates (in `timezone`) on which a firing starts nothing: holidays, maintenance days.
    skip_dates: list[date] = Field(default_factory=list)
    # Sync requests, each exactly as a run's input ({"taskArn", "overrides", "includes", "excludes"});
    # checked by the same rules when the schedule fires (domain/sync_request.py).
    tasks: list[dict[str, Any]] = Field(default_factory=list)
    select_by_tag: bool = False
    # Where tagged tasks are looked up; empty means the stack's own Region.
    regions: list[Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]] = Field(default_factory=list)
    max_concurrency: Annotated[int, Field(ge=1, le=1000)] = 4
    run_deadline_seconds: Annotated[int, Field(ge=60)] | None = None
    messages: ScheduleMessages = Field(default_factory=ScheduleMessages)
    preflight: SchedulePreflight = Field(default_factory=SchedulePreflight)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SCHEDULE_NAME.fullmatch(value):
            raise ValueError("must be 1-64 letters, digits, '-', '_' or '.' (EventBridge Scheduler's rule for names)")
        return value

    @field_validator("expression")
    @classmethod
    def _expression(cls, value: str) -> str:
        # Scheduler's own syntax (docs/aws-facts.md#named-schedules), checked before any deploy.
        try:
            parse_expression(value)
        except InvalidExpression as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{one_line(value)[:60]!r} is not an IANA time zone (e.g. Europe/Berlin)") from None
        if value not in available_timezones() and value != "UTC":
            raise ValueError(f"{one_line(value)[:60]!r} is not an IANA time zone (e.g. Europe/Berlin)")
        return value

    @model_validator(mode="after")
    def _has_tasks(self) -> Schedule:
        if not self.tasks and not self.select_by_tag:
            raise ValueError("lists no tasks: give `tasks`, or set `selectByTag: true` and tag the tasks")
        if self.regions and not self.select_by_tag:
            raise ValueError("`regions` says where tagged tasks are looked up: it needs `selectByTag: true`")
        start, end = self.start_utc, self.end_utc
        if start and end and end <= start:
            raise ValueError("`endDate` must be after `startDate`")
        for skipped in self.skip_dates:
            if start and skipped < start.astimezone(self.zone).date():
                raise ValueError(f"`skipDates` has {skipped}, before `startDate`: no firing is there to skip")
            if end and skipped > end.astimezone(self.zone).date():
                raise ValueError(f"`skipDates` has {skipped}, after `endDate`: no firing is there to skip")
        if len(set(self.skip_dates)) != len(self.skip_dates):
            raise ValueError("`skipDates` names a date twice")
        when = self.parsed_expression
        if isinstance(when, AtExpression):
            at = when.when.replace(tzinfo=self.zone)
            if (start and at < start) or (end and at > end):
                raise ValueError("the at() time is outside `startDate`-`endDate`: it would never fire")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def parsed_expression(self) -> ScheduleExpression:
        return parse_expression(self.expression)

    # A date without a zone in the file is a local time in the schedule's time zone, as the
    # expression's times are; Scheduler's StartDate and EndDate are instants (sent in UTC).
    @property
    def start_utc(self) -> datetime | None:
        return self._instant(self.start_date)

    @property
    def end_utc(self) -> datetime | None:
        return self._instant(self.end_date)

    def _instant(self, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        local = value if value.tzinfo else value.replace(tzinfo=self.zone)
        return local.astimezone(UTC)

    def firing(self, scheduled_time: datetime | None) -> Firing:
        """What one firing of this schedule carries to each of its runs and to its digest."""
        return Firing(
            schedule=self.name,
            scheduled_time=scheduled_time,
            per_task_messages=self.messages.per_task,
            route=self.messages.route,
            slack_webhook_secret_arn=self.messages.slack_webhook_secret_arn,
        )


class Firing(ScheduleModel):
    """A batch started by a named schedule: which schedule, for which scheduled time, and how its
    messages go. The batch keeps it for its digest and gives it to each of its runs (the sync
    request's `firing`), which then publish their own message only as `perTaskMessages` says and
    with the schedule's `route` attribute. A run or batch started by hand has none."""

    schedule: ScheduleName
    scheduled_time: datetime | None = None
    per_task_messages: PerTaskMessages = "problems"
    route: str | None = None
    slack_webhook_secret_arn: str | None = None


class SchedulesFile(ScheduleModel):
    """The whole file: `schedules:` and the list of named schedules (an empty list is allowed)."""

    schedules: list[Schedule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> SchedulesFile:
        seen: dict[str, int] = {}
        for index, schedule in enumerate(self.schedules):
            if schedule.name in seen:
                first = seen[schedule.name]
                raise ValueError(f"schedules[{index}] ({schedule.name}): the name is used by schedules[{first}] too")
            seen[schedule.name] = index
        return self

    def schedule(self, name: str) -> Schedule | None:
        return next((schedule for schedule in self.schedules if schedule.name == name), None)


class InvalidSchedules(ValueError):
    """The schedules file is unusable; the message names each schedule and field that is wrong."""


def parse_schedules(raw: object, *, source: str = "schedules file") -> SchedulesFile:
    """Checks the file's data; raises InvalidSchedules naming `schedules[i] (name).field` per problem."""
    if raw is None:
        return SchedulesFile()
    if not isinstance(raw, dict):
        raise InvalidSchedules(f"{source}: must be a mapping with a `schedules:` list")
    try:
        return SchedulesFile.model_validate(raw)
    except ValidationError as error:
        problems = list(_problems(error, raw))
        raise InvalidSchedules(f"{source}: " + "; ".join(problems)) from None


def _problems(error: ValidationError, raw: dict[str, Any]) -> Iterator[str]:
    schedules = raw.get("schedules")
    for problem in error.errors():
        location = list(problem["loc"])
        where = ".".join(str(part) for part in location)
        if len(location) >= 2 and location[0] == "schedules" and isinstance(location[1], int):
            index = location[1]
            entry = schedules[index] if isinstance(schedules, list) and index < len(schedules) else None
            name = entry.get("name") if isinstance(entry, dict) else None
            label = f"schedules[{index}]" + (f" ({one_line(str(name))[:64]})" if name else "")
            where = ".".join([label, *(str(part) for part in location[2:])])
        message = problem["msg"].removeprefix("Value error, ")
        yield f"{where}: {message}" if where else message
