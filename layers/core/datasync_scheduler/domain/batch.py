"""A batch: many sync requests run as one job (the nightly default), and its one summary.

The batch input is checked the way a single run's input is (each task with `parse_sync_request`),
so a bad item is rejected before anything starts. After the runs, the Map's per-task results
become counts per outcome, one line per task and a verdict: the batch succeeds only when every
task did.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from datasync_scheduler.domain.run_result import Verdict
from datasync_scheduler.domain.schedules import Firing, Schedule
from datasync_scheduler.domain.sync_request import (
    TASK_ARN,
    StackHome,
    SyncRequest,
    bounded,
    field_name,
    firing_problems,
    json_kind,
    sync_request_problems,
)

# How many tasks one batch may hold, given as a list or found for a schedule's firing. Neither the
# requests nor the runs' results travel in the state (the Map reads its items from S3 and writes its
# results there), so this bounds only the Map run and its objects; a Distributed Map takes far more
# items (docs/aws-facts.md#distributed-map). DataSync's own quota is 100 tasks per account and Region.
MAX_TASKS = 1000
# A batch given as a list carries its requests in its input (JSON, UTF-8 bytes), the largest state a
# batch has: kept under the 64 KB budget (docs/aws-facts.md#batch-state-budget).
REQUESTS_LIMIT = 63 * 1024
# The bound on a listed batch's concurrency (a schedule's is up to 1000, domain/schedules.py). The
# Distributed Map honours it whole, unlike an inline Map's 40 (docs/aws-facts.md#distributed-map).
MAX_CONCURRENCY = 100
# Step Functions execution names: 1 to 80 characters.
EXECUTION_NAME_LIMIT = 80
_FIELDS = ("tasks", "maxConcurrency", "firing")
_TITLE = "Invalid batch request"
# A schedule's firing: `{"schedule": name, "scheduledTime": ISO 8601}` (EventBridge Scheduler fills
# `scheduledTime` from `<aws.scheduler.scheduled-time>`; a firing by hand may leave it out).
_FIRING_FIELDS = ("schedule", "scheduledTime")


class InvalidBatchRequest(ValueError):
    """The batch's input is unusable; the message names each bad task by index, and its field."""


@dataclass(frozen=True)
class BatchRequest:
    tasks: tuple[SyncRequest, ...]
    max_concurrency: int
    # Set when a schedule fired the batch: what each run and the digest are told of it.
    firing: Firing | None = None
    run_deadline_seconds: int | None = None
    # Each task's request as given (the listed ones keep their overrides and filters).
    requests: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class FiringInput:
    """A schedule's firing, as the Scheduler (or a person) starts the batch with it."""

    schedule: str
    scheduled_time: datetime | None


def is_firing(raw: object) -> bool:
    """Whether the batch's input is a schedule's firing rather than a list of tasks."""
    return isinstance(raw, dict) and "schedule" in raw and "tasks" not in raw


def parse_firing_input(raw: Mapping[str, Any]) -> FiringInput:
    """`{"schedule", "scheduledTime"}` checked; raises InvalidBatchRequest naming each bad field."""
    problems = [f"{field_name(name)}: unknown field" for name in sorted(set(raw) - set(_FIRING_FIELDS))]
    name = raw.get("schedule")
    if not isinstance(name, str) or not name:
        problems.append(f"schedule: must be a schedule's name, got {json_kind(name)}")
    scheduled: datetime | None = None
    text = raw.get("scheduledTime")
    if text is not None:
        try:
            if not isinstance(text, str):
                raise ValueError
            scheduled = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if scheduled.tzinfo is None:
                raise ValueError
        except ValueError:
            problems.append(
                f"scheduledTime: must be an ISO 8601 time with its offset (2026-11-26T01:00:00Z), got {json_kind(text)}"
            )
    if problems:
        raise InvalidBatchRequest(bounded(_TITLE, problems))
    assert isinstance(name, str)
    return FiringInput(schedule=name, scheduled_time=scheduled)


def skipped_on(schedule: Schedule, scheduled_time: datetime | None) -> date | None:
    """The skip date the firing falls on, if any: the scheduled time's date in the schedule's own
    time zone (a firing at 23:30 UTC is the next day in Berlin). A firing without a scheduled time
    (started by hand) is never skipped."""
    if scheduled_time is None or not schedule.skip_dates:
        return None
    local = scheduled_time.astimezone(ZoneInfo(schedule.timezone)).date()
    return local if local in schedule.skip_dates else None


@dataclass(frozen=True)
class ScheduleTask:
    """A task a schedule's firing would run now: listed in the file, tagged for it, or both."""

    task_arn: str
    listed: bool
    tagged: bool

    @property
    def found_by(self) -> str:
        return "both" if self.listed and self.tagged else ("listed" if self.listed else "tagged")


def schedule_tasks(schedule: Schedule, tagged: Iterable[str]) -> list[ScheduleTask]:
    """The schedule's tasks in the order its firing runs them (`firing_batch`): the listed ones as
    the file lists them, then the tagged ones not listed, by ARN; each task once. A listed item
    without a string `taskArn` is left out (the firing refuses it, naming it)."""
    found = set(tagged)
    listed = list(
        dict.fromkeys(str(item["taskArn"]) for item in schedule.tasks if isinstance(item.get("taskArn"), str))
    )
    return [ScheduleTask(arn, listed=True, tagged=arn in found) for arn in listed] + [
        ScheduleTask(arn, listed=False, tagged=True) for arn in sorted(found - set(listed))
    ]


def firing_batch(schedule: Schedule, firing: FiringInput, tagged: Iterable[str], *, home: StackHome) -> BatchRequest:
    """The batch a firing runs: the schedule's listed tasks, then every task tagged for it that is
    not listed already (a task both listed and tagged runs once, with its listed request).

    Each request is checked as a run's input is; a problem names the schedule and the task
    (`schedule nightly: tasks[2]: ...`, or the tagged task's ARN, made safe to show).
    """
    label = f"schedule {field_name(schedule.name)}"
    problems: list[str] = []
    tasks: list[SyncRequest] = []
    requests: list[dict[str, Any]] = []
    first_of: dict[str, str] = {}
    for index, item in enumerate(schedule.tasks):
        request, item_problems = sync_request_problems(item, home)
        problems.extend(f"{label}: tasks[{index}]{_label_of(item)}: {problem}" for problem in item_problems)
        if request is None:
            continue
        if request.taskArn in first_of:
            problems.append(f"{label}: tasks[{index}]{_label_of(item)}: the same task as {first_of[request.taskArn]}")
            continue
        first_of[request.taskArn] = f"tasks[{index}]"
        tasks.append(request)
        requests.append(dict(item))
    for task_arn in sorted(set(tagged)):
        if task_arn in first_of:
            continue  # listed: runs once, with the listed request
        item = {"taskArn": task_arn}
        request, item_problems = sync_request_problems(item, home)
        problems.extend(f"{label}: the task tagged for it{_label_of(item)}: {problem}" for problem in item_problems)
        if request is None:
            continue
        first_of[task_arn] = "a tagged task"
        tasks.append(request)
        requests.append(item)
    if not tasks and not problems:
        problems.append(
            f"{label}: no task to run: it lists none that is valid and no DataSync task is tagged "
            f"datasync-scheduler:schedule={field_name(schedule.name)}"
        )
    elif len(tasks) > MAX_TASKS:
        problems.append(f"{label}: {len(tasks)} tasks; a firing runs at most {MAX_TASKS}")
    if problems:
        raise InvalidBatchRequest(bounded(_TITLE, problems))
    return BatchRequest(
        tasks=tuple(tasks),
        max_concurrency=schedule.max_concurrency,
        firing=schedule.firing(firing.scheduled_time),
        run_deadline_seconds=schedule.run_deadline_seconds,
        requests=tuple(requests),
    )


def batch_items(batch: BatchRequest, batch_name: str, batch_execution: str) -> list[dict[str, Any]]:
    """The Map's items, one per task in the batch's order: `{"index", "name", "request"}`.

    `name` is the task's run name (`child_execution_name`); `request` is the run's whole input: the
    task's request as given and, for a schedule's firing, the firing as each run gets it
    (`domain/per_task_messages.py`) and the schedule's run deadline when it has one
    (`runDeadlineSeconds`: each run's watchdog applies it in place of the stack's RunDeadlineSeconds).
    """
    # Imported here: per_task_messages reads this module's BatchSummary.
    from datasync_scheduler.domain.per_task_messages import firing_for_each_run

    requests = batch.requests or tuple(task.model_dump(mode="json", exclude_defaults=True) for task in batch.tasks)
    extra: dict[str, Any] = {}
    if batch.firing is not None:
        each_run = firing_for_each_run(batch.firing, len(requests))
        extra["firing"] = each_run.model_dump(mode="json", by_alias=True, exclude_none=True)
        if batch.run_deadline_seconds is not None:
            extra["runDeadlineSeconds"] = batch.run_deadline_seconds
    return [
        {
            "index": index,
            "name": child_execution_name(batch_name, batch_execution, index),
            "request": {**request, **extra},
        }
        for index, request in enumerate(requests)
    ]


def parse_batch_request(raw: object, *, home: StackHome) -> BatchRequest:
    """Validates a batch's input; raises InvalidBatchRequest naming the problems (the first few in
    full, then a count), items by index."""
    if not isinstance(raw, dict):
        raise InvalidBatchRequest(f"{_TITLE}: the input must be a JSON object, got {json_kind(raw)}")
    problems = [f"{field_name(name)}: unknown field" for name in sorted(set(raw) - set(_FIELDS))]
    tasks: list[SyncRequest] = []
    items = raw.get("tasks")
    if "tasks" not in raw:
        problems.append("tasks: required field is missing")
    elif not isinstance(items, list):
        problems.append(f"tasks: must be a list of sync requests, got {type(items).__name__}")
    elif not items:
        problems.append("tasks: the batch needs at least one task")
    elif len(items) > MAX_TASKS:
        problems.append(f"tasks: a batch holds at most {MAX_TASKS} tasks, got {len(items)}; split it in several")
    elif (size := len(json.dumps(items).encode())) > REQUESTS_LIMIT:
        problems.append(
            f"tasks: the requests take {size:,} bytes together; a batch carries at most {REQUESTS_LIMIT:,} "
            "(long includes or excludes belong in fewer tasks per batch)"
        )
    else:
        first_of: dict[str, int] = {}
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                problems.append(
                    f'tasks[{index}]: must be a sync request object ({{"taskArn": ...}}), got {json_kind(item)}'
                )
                continue
            request, item_problems = sync_request_problems(item, home)
            problems.extend(f"tasks[{index}]{_label_of(item)}: {problem}" for problem in item_problems)
            if request is None:
                continue
            tasks.append(request)
            # DataSync runs one execution of a task at a time: a second run of it would queue behind
            # the first (or be refused) and report on the same files twice.
            first = first_of.setdefault(request.taskArn, index)
            if first != index:
                problems.append(
                    f"tasks[{index}]{_label_of(item)}: the same task as tasks[{first}]; a batch runs each task once"
                )
    concurrency = raw.get("maxConcurrency")
    if "maxConcurrency" not in raw:
        problems.append("maxConcurrency: required field is missing")
    # bool is an int in Python, but `true` is no concurrency limit.
    elif not isinstance(concurrency, int) or isinstance(concurrency, bool):
        problems.append(
            f"maxConcurrency: must be a whole number from 1 to {MAX_CONCURRENCY}, got {json_kind(concurrency)}"
        )
    elif not 1 <= concurrency <= MAX_CONCURRENCY:
        problems.append(f"maxConcurrency: must be from 1 to {MAX_CONCURRENCY}, got {concurrency}")
    firing: Firing | None = None
    if raw.get("firing") is not None:
        firing, firing_issues = firing_problems(raw["firing"])
        problems.extend(firing_issues)
    if problems:
        raise InvalidBatchRequest(bounded(_TITLE, problems))
    assert isinstance(concurrency, int)  # narrowed by the checks above
    assert isinstance(items, list)
    return BatchRequest(tasks=tuple(tasks), max_concurrency=concurrency, firing=firing, requests=tuple(items))


def _label_of(item: Mapping[str, Any]) -> str:
    """` (task-…)` when the item names a well-formed task: it tells the reader which line to fix."""
    task_arn = item.get("taskArn")
    if isinstance(task_arn, str) and TASK_ARN.fullmatch(task_arn):
        return f" ({task_arn.rsplit('/', 1)[-1]})"
    return ""


def child_execution_name(batch_name: str, batch_execution: str, index: int) -> str:
    """The name of task `index`'s SyncWorkflow execution: `<batch name>-<index>`, at most 80 characters.

    Deterministic, so a retried start of the same task is recognised by Step Functions as the same
    execution instead of starting a second one. A batch name too long to keep whole is cut and
    made unique again with a hash of the batch's execution ARN.
    """
    suffix = f"-{index}"
    name = f"{batch_name}{suffix}"
    if len(name) <= EXECUTION_NAME_LIMIT:
        return name
    digest = hashlib.sha256(batch_execution.encode()).hexdigest()[:8]
    keep = EXECUTION_NAME_LIMIT - len(suffix) - len(digest) - 1
    return f"{batch_name[:keep]}-{digest}{suffix}"


@dataclass(frozen=True)
class TaskOutcome:
    """How one task of the batch ended: its SyncWorkflow run's status, and its error when it failed."""

    index: int
    task_arn: str
    status: str  # the run's Step Functions status: SUCCEEDED, FAILED, TIMED_OUT or ABORTED
    execution_arn: str | None  # the task's SyncWorkflow execution, when one was started
    task_name: str | None = None
    error: str = ""
    cause: str = ""
    files_transferred: int | None = None
    bytes_transferred: int | None = None
    attempts: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    @property
    def label(self) -> str:
        return self.task_name or self.task_arn.rsplit("/", 1)[-1] or f"task {self.index}"

    def to_dict(self) -> dict[str, Any]:
        """The task's line in the batch's result: small for any task (its details are in the message)."""
        result: dict[str, Any] = {"index": self.index, "taskArn": self.task_arn or None, "status": self.status}
        if not self.succeeded:
            result["error"] = self.error
        return result


def failed_outcome(
    index: int, task_arn: str, error: str, described: Mapping[str, Any] | None, execution_arn: str | None
) -> TaskOutcome:
    """A task whose run did not succeed: the Map kept its error's name; `described` is the run's
    DescribeExecution when there is one (the run was started), with its own status, error and cause."""
    if not described:
        # No run of that name: the start itself failed, and the error names why.
        return TaskOutcome(index=index, task_arn=task_arn, status="FAILED", execution_arn=None, error=error)
    return TaskOutcome(
        index=index,
        task_arn=task_arn,
        status=str(described.get("status") or "FAILED"),
        execution_arn=_text(described.get("executionArn")) or execution_arn,
        # The run's own Fail error and cause (its verdict); the Catch sees them as States.TaskFailed.
        error=str(described.get("error") or error),
        cause=str(described.get("cause") or ""),
    )


def child_execution_arn(sync_workflow: str, name: str) -> str:
    """A SyncWorkflow execution's ARN from its name: `arn:…:execution:<state machine name>:<execution name>`."""
    return f"{sync_workflow.replace(':stateMachine:', ':execution:', 1)}:{name}"


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True)
class BatchSummary:
    verdict: Verdict
    outcomes: tuple[TaskOutcome, ...] = ()
    max_concurrency: int | None = None
    batch_execution: str | None = None

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def succeeded(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.succeeded)

    @property
    def failed(self) -> tuple[TaskOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if not outcome.succeeded)

    def by_status(self) -> dict[str, int]:
        return dict(sorted(Counter(outcome.status for outcome in self.outcomes).items()))

    def to_dict(self) -> dict[str, Any]:
        """The batch result as it travels in the state and ends as the execution's output: one line
        per task up to RESULT_TASK_LINES, the failed ones first, so it stays small for any firing."""
        listed = sorted(self.outcomes, key=lambda outcome: (outcome.succeeded, outcome.index))[:RESULT_TASK_LINES]
        return {
            "batchExecution": self.batch_execution,
            "verdict": {"status": self.verdict.status, "error": self.verdict.error, "reason": self.verdict.reason},
            "counts": {"tasks": self.total, "succeeded": self.succeeded, "failed": len(self.failed)},
            "byStatus": self.by_status(),
            "maxConcurrency": self.max_concurrency,
            "tasks": [outcome.to_dict() for outcome in sorted(listed, key=lambda outcome: outcome.index)],
            "tasksNotListed": self.total - len(listed),
        }


# How many tasks the batch's result lists (a line is at most about 400 bytes: 40 KB of the state's
# 64 KB budget, docs/aws-facts.md#batch-state-budget); the Map's results in S3 have every task.
RESULT_TASK_LINES = 100
# The verdict's error of a firing on a skip date: it succeeds, having started nothing.
SKIPPED = "Batch.Skipped"

# How many failed tasks the verdict's reason names; the message lists every task.
_NAMED_IN_REASON = 5


def summarize_batch(
    outcomes: Sequence[TaskOutcome],
    *,
    max_concurrency: int | None,
    batch_execution: str | None,
    task_names: Mapping[str, str] | None = None,
) -> BatchSummary:
    """The batch's verdict from its tasks' outcomes: SUCCEEDED only when every task succeeded.

    A failed run's output is lost with it, so its task's name comes from `task_names` (task ARN -> name).
    """
    names = task_names or {}
    ordered = tuple(
        sorted(
            (replace(outcome, task_name=outcome.task_name or names.get(outcome.task_arn)) for outcome in outcomes),
            key=lambda outcome: outcome.index,
        )
    )
    failed = [outcome for outcome in ordered if not outcome.succeeded]
    if not failed:
        verdict = Verdict("SUCCEEDED", "", f"All {len(ordered)} task(s) of the batch succeeded.")
    else:
        named = ", ".join(
            f"{outcome.label} ({outcome.error or outcome.status})" for outcome in failed[:_NAMED_IN_REASON]
        )
        more = f" and {len(failed) - _NAMED_IN_REASON} more" if len(failed) > _NAMED_IN_REASON else ""
        verdict = Verdict(
            "FAILED", "Batch.TasksFailed", f"{len(failed)} of {len(ordered)} task(s) failed: {named}{more}."
        )
    return BatchSummary(verdict, ordered, max_concurrency, batch_execution)


def skipped_batch(reason: str, *, batch_execution: str | None) -> BatchSummary:
    """A firing on one of its schedule's skip dates: nothing started, and nothing wrong."""
    return BatchSummary(Verdict("SUCCEEDED", SKIPPED, reason), batch_execution=batch_execution)


MAP_RUN_FAILED = "Batch.MapRunFailed"


def map_run_failed(error: str, message: str, *, tasks: int, batch_execution: str | None) -> BatchSummary:
    """A batch whose Map run failed as a whole (its items or its results could not be read or
    written): some of its tasks may have run, each with its own history; which, is not known here."""
    return BatchSummary(
        Verdict(
            "FAILED",
            MAP_RUN_FAILED,
            f"The batch's {tasks} task(s) were run by a Map run that failed with {error}: {message}",
        ),
        batch_execution=batch_execution,
    )


def rejected_batch(message: str, *, batch_execution: str | None) -> BatchSummary:
    """A batch whose input was refused: nothing started; the message names every bad field."""
    return BatchSummary(
        Verdict("FAILED", "InvalidBatchRequest", f"The batch was not started. {message}"),
        batch_execution=batch_execution,
    )


def unvalidated_batch(error: str, message: str, *, batch_execution: str | None) -> BatchSummary:
    """A batch whose validation itself failed (a bug, a timeout, Lambda's own error): nothing started.

    The verdict names the step and the error by name, so it is never taken for a bad input.
    """
    return BatchSummary(
        Verdict(
            "FAILED",
            "Batch.ValidationFailed",
            f"The batch was not started: Validate Batch failed with {error}: {message}",
        ),
        batch_execution=batch_execution,
    )
