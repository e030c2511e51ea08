"""Health Check: what the stack does by itself every few minutes for each named schedule.

- **Preflight**: when the schedule's next firing is due within its lead time (`preflight.leadMinutes`,
  default 30), each task it resolves to now is looked at (`workflow/preflight.py`); when something
  will fail or warns, one preflight message goes out for that firing, while there is still time
  to act. A healthy look sends nothing and marks nothing: the next check looks again, so a task
  that breaks ten minutes before the window is still reported. A firing on a skip date starts
  nothing and is not looked at.
- **Missed firings**: a firing the schedule's expression says should have happened and that never
  arrived (`firing_health`, the same rule as `datasync-scheduler schedules --health`) is reported
  once.

Each message is a notice claimed in the run ledger before it is published (`HealthNotices`): one
per firing, whichever check and however many checks run. A schedule whose check fails is logged
and the others are still checked; the invocation then fails, so the function's errors show it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from datasync_scheduler.domain.batch import InvalidBatchRequest, skipped_on
from datasync_scheduler.domain.schedule_expression import RateExpression
from datasync_scheduler.domain.schedule_firings import firings_between, next_firing_within
from datasync_scheduler.domain.schedule_health import Finding, delivery_deadline, missed_firings
from datasync_scheduler.domain.schedules import Schedule
from datasync_scheduler.domain.sync_request import StackHome
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.messages.chatbot import render_chatbot
from datasync_scheduler.messages.health import missed_firing_message, preflight_message
from datasync_scheduler.messages.message import Message
from datasync_scheduler.messages.publication import sns_publication
from datasync_scheduler.ports import (
    ApiCallFailed,
    DataSyncPort,
    FiringArrival,
    FiringArrivals,
    HealthNotices,
    LogSource,
    ScheduleBook,
    TaggedTasks,
    TopicPort,
)
from datasync_scheduler.workflow.preflight import preflight
from datasync_scheduler.workflow.validate_batch import tagged_for

logger = Logger(child=True)

# How far back missed firings are looked for, and at most how many expected firings (a
# rate(1 minute) schedule has 10,080 in a week; the newest are the ones worth telling).
LOOK_BACK = timedelta(days=7)
MOST_FIRINGS = 500


@dataclass(frozen=True)
class FiringHealth:
    """Which of a schedule's recent firings arrived, and which were missed (oldest first)."""

    checked_since: datetime
    last: FiringArrival | None
    missed: list[datetime]
    note: str | None


def firing_health(schedule: Schedule, now: datetime, arrivals: FiringArrivals) -> FiringHealth:
    """The firings of the last LOOK_BACK that left no arrival once Scheduler could no longer deliver
    them. Arrivals are recorded from the deploy that brought them on: a firing before the schedule's
    first recorded arrival of the period is not called missed (it may predate the record), and a
    schedule with no arrival at all gets a note instead of a list of every firing."""
    since = now - LOOK_BACK
    expected = firings_between(schedule, since, now, MOST_FIRINGS)
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
    found = arrivals.arrived(schedule.name, expected)
    last = max(found, key=lambda arrival: arrival.scheduled_time, default=None)
    missed: list[datetime] = []
    if found:
        first = min(arrival.scheduled_time for arrival in found)
        after_first = [time for time in expected if time >= first]
        arrived = [arrival.scheduled_time for arrival in found]
        missed = missed_firings(after_first, arrived, now=now, flexible_window_minutes=schedule.flexible_window_minutes)
    elif expected:
        due = [t for t in expected if delivery_deadline(t, schedule.flexible_window_minutes) <= now]
        if due:
            note = (
                f"no firing recorded in the last {LOOK_BACK.days} days although {len(due)} were due: check the "
                "schedule group and its dead-letter queue (or the stack was deployed since)"
            )
    return FiringHealth(since, last, missed, note)


def resolved_tasks(schedule: Schedule, home: StackHome, tagged: TaggedTasks) -> tuple[list[str], Finding | None]:
    """The tasks the schedule resolves to now, as its firing finds them: its listed ones, then those
    tagged for it (each once); with a finding when its tagged tasks could not be found."""
    listed = [str(task.get("taskArn", "")) for task in schedule.tasks]
    try:
        found = tagged_for(schedule, home, tagged)
    except (InvalidBatchRequest, ApiCallFailed) as error:
        problem = Finding(
            "(tasks tagged for the schedule)",
            "not-checked",
            False,
            f"its tagged tasks could not be found: {one_line(str(error))[:300]}",
            "check the schedule's regions and the permission to list tasks and their tags",
        )
        return list(dict.fromkeys(listed)), problem
    return list(dict.fromkeys([*listed, *found])), None


@dataclass(frozen=True)
class HealthPorts:
    """What the Health Check reads and where its messages go."""

    book: ScheduleBook
    datasync: DataSyncPort
    # The log source where a log group lives (its ARN): the task's own Region and account.
    logs_for: Callable[[str], LogSource]
    tagged: TaggedTasks
    arrivals: FiringArrivals
    notices: HealthNotices
    topic: TopicPort


@dataclass
class HealthCheckResult:
    """What one check did: the notices it published (`<kind>#<schedule>#<time>`), the schedules it
    could not check. The handler returns it (its log line)."""

    published: list[str] = field(default_factory=list)
    preflights: int = 0
    failed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"published": self.published, "preflights": self.preflights, "failed": self.failed}


class HealthCheckFailed(Exception):
    """Some schedules could not be checked (each is logged); the others were."""


def health_check(ports: HealthPorts, home: StackHome, now: datetime, *, chatbot: bool) -> HealthCheckResult:
    """Checks every schedule of the file; raises HealthCheckFailed, after the others, for any it could not."""
    result = HealthCheckResult()
    for schedule in ports.book.schedules().schedules:
        try:
            _preflight(schedule, ports, chatbot, home, now, result)
            _missed(schedule, ports, chatbot, now, result)
        except Exception:
            logger.exception("The schedule could not be checked", extra={"schedule": schedule.name})
            result.failed.append(schedule.name)
    if result.failed:
        raise HealthCheckFailed(f"schedules not checked: {', '.join(result.failed)} (see the log)")
    return result


def notice_key(kind: str, schedule: str, scheduled_time: datetime) -> str:
    """One notice per kind, schedule and firing (its scheduled time as a UTC instant)."""
    return f"{kind}#{schedule}#{scheduled_time.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _preflight(
    schedule: Schedule,
    ports: HealthPorts,
    chatbot: bool,
    home: StackHome,
    now: datetime,
    result: HealthCheckResult,
) -> None:
    firing = next_firing_within(schedule, now, timedelta(minutes=schedule.preflight.lead_minutes))
    if firing is None or skipped_on(schedule, firing) is not None:
        return
    key = notice_key("preflight", schedule.name, firing)
    if ports.notices.was_sent(key):
        return  # this firing's preflight message is out: nothing to look at again
    tasks, problem = resolved_tasks(schedule, home, ports.tagged)
    findings = ([problem] if problem else []) + preflight(tasks, ports.datasync, now=now, logs_for=ports.logs_for)
    result.preflights += 1
    if not findings:
        return
    message = preflight_message(schedule.name, schedule.timezone, firing, findings, tasks_checked=len(tasks))
    _publish_once(key, message, schedule, ports, chatbot, now, result)


def _missed(schedule: Schedule, ports: HealthPorts, chatbot: bool, now: datetime, result: HealthCheckResult) -> None:
    for time in firing_health(schedule, now, ports.arrivals).missed:
        key = notice_key("missed-firing", schedule.name, time)
        if ports.notices.was_sent(key):
            continue
        deadline = delivery_deadline(time, schedule.flexible_window_minutes)
        message = missed_firing_message(schedule.name, schedule.timezone, time, deadline)
        _publish_once(key, message, schedule, ports, chatbot, now, result)


def _publish_once(
    key: str,
    message: Message,
    schedule: Schedule,
    ports: HealthPorts,
    chatbot: bool,
    now: datetime,
    result: HealthCheckResult,
) -> None:
    if not ports.notices.claim(key, now):
        return  # another check has it, or sent it
    publication = sns_publication(
        message,
        chatbot=render_chatbot(message) if chatbot else None,
        workflow_execution=key,
        route=schedule.messages.route,
    )
    message_id = _released_on_failure(
        ports.notices,
        key,
        lambda: ports.topic.publish(
            subject=publication["subject"], structured=publication["structured"], attributes=publication["attributes"]
        ),
    )
    try:
        ports.notices.sent(key, message_id, now)
    except ApiCallFailed:
        # The message is out; without the mark, a check after the claim's lifetime sends it again.
        logger.exception("The notice was published but could not be marked sent", extra={"notice": key})
    result.published.append(key)


def _released_on_failure(notices: HealthNotices, key: str, publish: Callable[[], str]) -> str:
    """SNS's MessageId; when the publish fails, the claim is given up so the next check tries again."""
    try:
        return publish()
    except Exception:
        try:
            notices.release(key)
        except ApiCallFailed:
            logger.exception("The notice's claim could not be released: it lapses by itself", extra={"notice": key})
        raise
