"""The CloudWatch metrics a run or a batch publishes, read from its result and nothing else.

Report Run publishes, once per run, under the dimension `Task` (the task's name, else its id):

- `RunsSucceeded` and `RunsFailed`: 1 for the verdict, 0 for the other, so that either graph has
  a point for every run. Both again without `Task`: the outcome over every task, for one alarm.
- `BytesTransferred`, `FilesTransferred`: DataSync's counters of the run's last execution (a retry
  copies only what failed, so the counters of attempts are not added up).
- `Attempts`: the executions the run started.
- `RunDuration`: from the run's first step to its report, retries and back-off included.
- `PhaseDuration`, also by `Phase`: the seconds the last execution spent in each phase it left.
- `EstimatedCost`: the run's estimated cost in USD (domain/run_cost.py), by `Task`.
- `SlowRuns`: 1 when a phase of the run was more than SlowRunFactor times slower than the task's
  baseline, 0 when it was compared and was not (domain/throughput.py); by `Task`, and again
  without it for the alarm. No point when there was no baseline to compare with.
- `FileFailures`, also by `Category`: the failures found in each category, over all attempts, for
  the categories that occurred. Not "verification" failures: access, read and write errors count too.

A run of a named schedule's firing publishes `RunsSucceeded`, `RunsFailed`, `BytesTransferred`,
`FilesTransferred` and `RunDuration` once more under the dimension `Schedule` alone (the schedule's
name, which EventBridge Scheduler's rule for names keeps short and plain): one series per schedule,
which the dashboard finds with SEARCH, so a schedule added to the file needs no deploy of the
dashboard (docs/aws-facts.md#cloudwatch-search-expressions).

Summarize Batch publishes `BatchTasksSucceeded` and `BatchTasksFailed` for each batch, and Check
Sync `ExecutionsStalled` (no dimension but `service`) for each stall it reports and leaves running.

Phase is a dimension rather than part of a metric name: one name graphs every phase, and a phase
DataSync adds (CANCELLING arrived in 2024) needs no change here. Every dimension stays small:
users have a handful of tasks, DataSync a handful of phases, and `failures.CATEGORIES` has nine
categories; a nightly run sends each series one point a day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, Literal

from datasync_scheduler.domain import phases
from datasync_scheduler.domain.failures import CATEGORIES

# "None": CloudWatch's unit for a number with no unit (a cost in USD).
Unit = Literal["Count", "Bytes", "Seconds", "None"]

RUNS_SUCCEEDED = "RunsSucceeded"
RUNS_FAILED = "RunsFailed"
BYTES_TRANSFERRED = "BytesTransferred"
FILES_TRANSFERRED = "FilesTransferred"
ATTEMPTS = "Attempts"
RUN_DURATION = "RunDuration"
PHASE_DURATION = "PhaseDuration"
FILE_FAILURES = "FileFailures"
ESTIMATED_COST = "EstimatedCost"
SLOW_RUNS = "SlowRuns"
BATCH_TASKS_SUCCEEDED = "BatchTasksSucceeded"
BATCH_TASKS_FAILED = "BatchTasksFailed"
# Powertools' own, from `log_metrics(capture_cold_start_metric=True)`, by `function_name`.
COLD_START = "ColdStart"
# The Slack notifier's, once per invocation that could not deliver (notify_slack.app).
SLACK_DELIVERY_FAILURES = "SlackDeliveryFailures"
# The workflows' own, from Notify's catch (statemachine/*.asl.json): a message lost after every retry.
NOTIFICATIONS_NOT_PUBLISHED = "NotificationsNotPublished"
# Check Sync's, once per stall the watchdog reports without cancelling (StallAction=report).
EXECUTIONS_STALLED = "ExecutionsStalled"

# Every metric this code publishes (the dashboard and its tests may name no other of ours).
METRIC_NAMES: frozenset[str] = frozenset(
    {
        RUNS_SUCCEEDED,
        RUNS_FAILED,
        BYTES_TRANSFERRED,
        FILES_TRANSFERRED,
        ATTEMPTS,
        RUN_DURATION,
        PHASE_DURATION,
        FILE_FAILURES,
        ESTIMATED_COST,
        SLOW_RUNS,
        BATCH_TASKS_SUCCEEDED,
        BATCH_TASKS_FAILED,
        COLD_START,
        SLACK_DELIVERY_FAILURES,
        NOTIFICATIONS_NOT_PUBLISHED,
        EXECUTIONS_STALLED,
    }
)

TASK = "Task"
SCHEDULE = "Schedule"
PHASE = "Phase"
CATEGORY = "Category"


@dataclass(frozen=True)
class Datum:
    """One value of one metric and the dimensions it is recorded under.

    Powertools adds `service` to every document; no dimensions means the application as a whole.
    """

    name: str
    unit: Unit
    value: float
    dimensions: tuple[tuple[str, str], ...] = ()


def run_metrics(
    result: Mapping[str, Any], *, started_at: datetime | None, reported_at: datetime, schedule: str | None = None
) -> list[Datum]:
    """The metrics of one run, from the run result Report Run builds (`RunResult.to_dict()`);
    `schedule` is the named schedule whose firing started the run (its request's `firing`), if any."""
    succeeded = (result.get("verdict") or {}).get("status") == "SUCCEEDED"
    outcome = [Datum(RUNS_SUCCEEDED, "Count", int(succeeded)), Datum(RUNS_FAILED, "Count", int(not succeeded))]
    task = task_label(result)
    if task is None:
        # A rejected input without a well-formed task ARN: there is no task to speak of.
        return outcome + _by_schedule(outcome, schedule)
    by_task = ((TASK, task),)
    data = [Datum(metric.name, metric.unit, metric.value, by_task) for metric in outcome]
    counters = result.get("counters") or {}
    if isinstance(counters.get("bytesTransferred"), int):
        data.append(Datum(BYTES_TRANSFERRED, "Bytes", counters["bytesTransferred"], by_task))
    if isinstance(counters.get("filesTransferred"), int):
        data.append(Datum(FILES_TRANSFERRED, "Count", counters["filesTransferred"], by_task))
    attempts = result.get("attempts") or []
    if attempts:
        data.append(Datum(ATTEMPTS, "Count", len(attempts), by_task))
    if started_at is not None:
        data.append(Datum(RUN_DURATION, "Seconds", max((reported_at - started_at).total_seconds(), 0.0), by_task))
    data.extend(
        Datum(PHASE_DURATION, "Seconds", seconds, (*by_task, (PHASE, phase)))
        for phase, seconds in phase_durations(result.get("phases") or [])
    )
    data.extend(
        Datum(FILE_FAILURES, "Count", count, (*by_task, (CATEGORY, category)))
        for category, count in failures_by_category(attempts).items()
    )
    cost = result.get("cost") or {}
    if isinstance(cost.get("totalUsd"), int | float):
        data.append(Datum(ESTIMATED_COST, "None", float(cost["totalUsd"]), by_task))
    speed = result.get("speed") or {}
    if speed and not speed.get("noVerdict"):
        slow = int(bool(speed.get("slow")))
        data.append(Datum(SLOW_RUNS, "Count", slow, by_task))
        outcome.append(Datum(SLOW_RUNS, "Count", slow))
    return outcome + data + _by_schedule(outcome + data, schedule)


# The run metrics a schedule's own series repeat: how its runs went, what they moved, how long they took.
_SCHEDULE_METRICS = frozenset({RUNS_SUCCEEDED, RUNS_FAILED, BYTES_TRANSFERRED, FILES_TRANSFERRED, RUN_DURATION})


def _by_schedule(data: Sequence[Datum], schedule: str | None) -> list[Datum]:
    if not schedule:
        return []
    seen: set[str] = set()
    repeated = []
    for datum in data:
        if datum.name in _SCHEDULE_METRICS and datum.name not in seen:
            seen.add(datum.name)
            repeated.append(Datum(datum.name, datum.unit, datum.value, ((SCHEDULE, schedule),)))
    return repeated


def stall_metrics() -> list[Datum]:
    """One stall the watchdog reported and left running (StallAction=report), for its alarm."""
    return [Datum(EXECUTIONS_STALLED, "Count", 1)]


def batch_metrics(result: Mapping[str, Any]) -> list[Datum]:
    """The metrics of one batch, from the result Summarize Batch builds (`BatchSummary.to_dict()`)."""
    counts = result.get("counts") or {}
    return [
        Datum(BATCH_TASKS_SUCCEEDED, "Count", int(counts.get("succeeded") or 0)),
        Datum(BATCH_TASKS_FAILED, "Count", int(counts.get("failed") or 0)),
    ]


def task_label(result: Mapping[str, Any]) -> str | None:
    """The task's name; its id when it has none (names are optional in DataSync)."""
    name, arn = result.get("taskName"), result.get("taskArn")
    if isinstance(name, str) and name.strip():
        return name
    if isinstance(arn, str) and arn:
        return arn.rsplit("/", 1)[-1]
    return None


def phase_durations(marks: Sequence[Mapping[str, Any]]) -> list[tuple[str, float]]:
    """Seconds spent in each phase that a later mark ended; the end (SUCCESS, ERROR) is no phase."""
    timeline = [(str(mark["phase"]), _parse(str(mark["at"]))) for mark in marks]
    return [
        (phase, (next_at - at).total_seconds())
        for (phase, at), (_, next_at) in pairwise(timeline)
        if not phases.is_terminal(phase) and phases.is_well_formed(phase)
    ]


def failures_by_category(attempts: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Failures found per known category, added up over the attempts; categories that occurred only."""
    total: Counter[str] = Counter()
    for attempt in attempts:
        for category, count in (attempt.get("failures") or {}).items():
            if category in CATEGORIES and isinstance(count, int) and count > 0:
                total[category] += count
    return dict(total)


def parse_time(text: str | None) -> datetime | None:
    """An ISO time from the workflow state (`startedAt`), or None when the run has none."""
    return _parse(text) if text else None


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
