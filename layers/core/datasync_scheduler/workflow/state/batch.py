"""The batch workflow's state: what starts a batch, what each step receives and returns, how it ends.

A *batch* is one BatchWorkflow execution; each of its tasks is one *run* (a SyncWorkflow execution,
named `<batch name>-<index>`). The state never carries the tasks' requests: the Map reads them from
the batch's own input (`$$.Execution.Input.tasks`), so between steps the state holds only the runs'
names, the concurrency and one bounded result per task (docs/aws-facts.md#batch-state-budget).

Everything Summarize Batch needs sits under `$.batch`, which it receives whole (and nothing else),
whichever way the batch went: validated and run (`names`, `maxConcurrency`, `results`) or not
started (`notStarted`, the error Validate Batch ended with). The batch's message is published by
Summarize Batch and never travels in the state.

`tests/template/test_batch_state_contract.py` checks the ASL against these models, and
`docs/state-schema/batch.json` is their JSON Schema (`make schema` writes it).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from datasync_scheduler.domain.schedules import Firing
from datasync_scheduler.workflow import state
from datasync_scheduler.workflow.state.sync import CaughtError, Contract, JsonObject

# Step Functions' own bounds, which the models state so that the state's size has one (botocore
# `stepfunctions/2016-11-23`: an execution name 1-80, an error name at most 256 characters; DataSync's
# task name at most 256, `datasync/2018-11-09 CreateTask.Name`): docs/aws-facts.md#batch-state-budget.
ExecutionName = Annotated[str, StringConstraints(min_length=1, max_length=80)]
ErrorName = Annotated[str, StringConstraints(max_length=256)]
TaskName = Annotated[str, StringConstraints(max_length=256)]
# A DataSync task ARN (`arn:<partition>:datasync:<region>:<account>:task/task-<17 hex>`) is under 150.
TaskArn = Annotated[str, StringConstraints(max_length=150)]
Count = Annotated[int, Field(ge=0)]


# --- What starts a batch --------------------------------------------------------------------------


class BatchInput(Contract):
    """A batch started with its tasks: sync requests and a concurrency limit.

    Validate Batch checks it (each task exactly as a single run's input is checked) and writes the
    Map's items to S3, so the requests are never copied into the state.
    """

    tasks: list[JsonObject]
    max_concurrency: int
    # A named schedule's firing the batch runs for: its digest, each run's message policy and route.
    firing: Firing | None = None


class FiringInput(Contract):
    """A batch started by a named schedule: its name and the scheduled time (EventBridge Scheduler's
    `<aws.scheduler.scheduled-time>`; absent when started by hand)."""

    schedule: str
    scheduled_time: str | None = None


class ValidateBatchInput(Contract):
    """Validate Batch's `Parameters`: the batch's input as it came, its ARN and name."""

    input: Any
    batch_execution: str
    batch_name: ExecutionName


class S3Object(Contract):
    """Where an object is: its bucket and key (the Map's items, a Map run's manifest)."""

    bucket: Annotated[str, StringConstraints(min_length=3, max_length=63)]
    key: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class ValidatedBatch(Contract):
    """What Validate Batch returns (`$.batch`): how many tasks, at most how many at a time, where
    their items are (one per task: its index, its run's name, its request), and the firing when a
    schedule started the batch. A firing on a skip date has `skipped` (why) and no items."""

    tasks: Count
    max_concurrency: Annotated[int, Field(ge=1, le=1000)]
    items: S3Object | None = None
    # The firing the batch runs for: Summarize Batch's digest. Absent (not null) for a batch started
    # without one, so the fallback's Choice asks `$.batch.firing.route` with IsPresent on a path that
    # never goes through a null (docs/aws-facts.md#state-paths).
    firing: Firing | None = Field(default=None, exclude_if=lambda firing: firing is None)
    skipped: Annotated[str, StringConstraints(max_length=500)] | None = None


class ValidateBatchOutput(Contract):
    """Validate Batch's return value, which replaces the state: the batch's input is not carried on."""

    batch: ValidatedBatch


# --- One task of the Map ---------------------------------------------------------------------------


class TaskItem(Contract):
    """One Map item, as Validate Batch wrote it to the items object: the task's index, its run's
    name and the run's whole input."""

    index: int
    name: ExecutionName
    request: JsonObject


class CaughtTaskItem(TaskItem):
    """The item after Run Task's Catch: `error` is Step Functions' `{Error, Cause}`."""

    error: CaughtError


class SyncRunCounters(Contract):
    model_config = Contract.model_config | {"extra": "ignore"}

    files_transferred: int | None = None
    bytes_transferred: int | None = None


class SyncRunOutput(Contract):
    """What the batch reads of a succeeded run's output (the SyncWorkflow's `RunResult`).

    `.sync:2` returns the run's output as JSON under `Output` (docs/aws-facts.md#nested-run-output);
    Run Task's `ResultSelector` keeps only these fields of it (`SucceededRun`).
    """

    model_config = Contract.model_config | {"extra": "ignore"}

    task_arn: TaskArn
    task_name: TaskName | None
    counters: SyncRunCounters
    attempts: list[JsonObject]


class SucceededRun(Contract):
    """`$.run` of an item after Run Task: its `ResultSelector`, the bounded fields of the run's output."""

    task_arn: TaskArn
    task_name: TaskName | None
    files_transferred: Count | None
    bytes_transferred: Count | None
    attempts: Count


class RanTaskItem(TaskItem):
    """The item after Run Task returned (`.sync:2` returns only for a run that ended SUCCEEDED)."""

    run: SucceededRun


class TaskRunSucceeded(Contract):
    """A task whose run succeeded (`Task Succeeded`): the item's index and the run's bounded fields.

    The execution's ARN is not kept: it follows from the run's name.
    """

    succeeded: Literal[True]
    index: int
    task_arn: TaskArn
    task_name: TaskName | None
    files_transferred: Count | None
    bytes_transferred: Count | None
    attempts: Count


class TaskRunNotSucceeded(Contract):
    """A task whose run did not succeed, or never started (`Task Failed`, after Run Task's Catch).

    Only the error's name: its Cause has no bound (for a run that ended, its DescribeExecution,
    input included). Summarize Batch reads the run's own status, error and cause from Step Functions.
    """

    succeeded: Literal[False]
    index: int
    task_arn: TaskArn
    error: ErrorName


TaskRunResult = Annotated[TaskRunSucceeded | TaskRunNotSucceeded, Field(discriminator="succeeded")]


# --- The state between steps -----------------------------------------------------------------------


class ResultWriterDetails(Contract):
    model_config = Contract.model_config | {"alias_generator": None}

    Bucket: str
    Key: str


class MapRunResults(Contract):
    """`$.batch.mapRun`: what the Distributed Map returns when its ResultWriter exported the child
    executions' results to S3: the Map run and its manifest (docs/aws-facts.md#distributed-map)."""

    model_config = Contract.model_config | {"alias_generator": None}

    MapRunArn: str
    ResultWriterDetails: ResultWriterDetails


class BatchProgress(ValidatedBatch):
    """`$.batch`: validated (see ValidatedBatch) and run (`mapRun`, where the runs' results are),
    skipped, or not started (`notStarted`)."""

    tasks: Count = 0
    max_concurrency: Annotated[int, Field(ge=1, le=1000)] | None = None  # type: ignore[assignment]
    map_run: MapRunResults | None = None
    # The Map run itself failed (its items or results unreadable): Run Tasks' Catch.
    run_error: CaughtError | None = None
    # A batch begun on the definition before the Distributed Map (an inline Map) still sends its
    # runs' names and results in the state when it reaches the updated Summarize Batch
    # (docs/aws-facts.md#updating-a-running-workflow): read, never written.
    names: list[ExecutionName] | None = None
    run_request_fields: JsonObject | None = None
    results: list[TaskRunResult] | None = None
    # Validate Batch's error: InvalidBatchRequest (the message names every bad field) or its own failure.
    not_started: CaughtError | None = None


class TaskOutcomeResult(Contract):
    """One task in the batch's result: how its run ended; its error's name when it did not succeed."""

    index: int
    task_arn: TaskArn | None
    status: str
    error: ErrorName | None = None


class BatchVerdict(Contract):
    status: Literal["SUCCEEDED", "FAILED"]
    error: ErrorName
    reason: str


class BatchCounts(Contract):
    tasks: Count
    succeeded: Count
    failed: Count


class BatchResult(Contract):
    """`$.result`: the batch's verdict and counts; the Succeed state's output.

    Each task's details (name, files, bytes, cause) are in the batch's message and in the task's own
    run; the result keeps one small line per task so that it stays small for any batch.
    """

    batch_execution: str | None
    verdict: BatchVerdict
    counts: BatchCounts
    by_status: dict[str, int]
    max_concurrency: int | None
    # One line per task up to RESULT_TASK_LINES (failed tasks first), so the result stays small for
    # a firing of any size; `tasksNotListed` counts the rest (every task is in the Map's results).
    tasks: list[TaskOutcomeResult]
    tasks_not_listed: Count = 0
    # SNS's MessageId of the batch's message; null when nothing was published (a silent success).
    message_id: str | None = None
    # Set when the message could not be published (`SNS.<code>`): the verdict stands, `Count Message Not
    # Published` counts it.
    notification_error: CaughtError | None = None
    # Only when a named schedule's firing sent no digest, and why (absent otherwise).
    message: str | None = Field(default=None, exclude_if=lambda message: message is None)


class SummarizeBatchInput(Contract):
    """Summarize Batch's `Parameters`: `$.batch` and the names it needs to find each run."""

    batch: BatchProgress
    batch_execution: str
    batch_name: ExecutionName
    sync_workflow: str


class SummarizeBatchOutput(Contract):
    """What Summarize Batch returns; it replaces the state."""

    result: BatchResult


class FallbackCounts(Contract):
    """`$.fallback`: what the batch's state says when Summarize Batch itself failed.

    Set by the state machine alone, with no code of ours in the way: how many tasks the batch had.
    Their results are in S3 only, so the outcome is "unknown" and the batch ends FAILED.
    """

    tasks: Count
    any_failed: bool
    failed: Count | None = None
    # "unknown": the tasks ran, but their results are in S3 only, which no state can count.
    outcome: Literal["succeeded", "failed", "unknown"] | None = None


class BatchState(Contract):
    """The state between steps, from Validate Batch on; `result` after Summarize Batch, or
    `summaryError` and `fallback` when Summarize Batch failed."""

    batch: BatchProgress | None = None
    result: BatchResult | None = None
    summary_error: CaughtError | None = None
    # DynamoDB's GetItem answer for the batch message's mark (its `Item` only when the message was
    # published): read after Summarize Batch failed, to send no second message.
    published_message: JsonObject | None = None
    fallback: FallbackCounts | None = None


SCHEMA_MODELS: dict[str, type[Contract]] = {
    "BatchInput": BatchInput,
    "FiringInput": FiringInput,
    "BatchState": BatchState,
    "ValidateBatchInput": ValidateBatchInput,
    "TaskItem": TaskItem,
    "SyncRunOutput": SyncRunOutput,
    "SummarizeBatchInput": SummarizeBatchInput,
    "BatchResult": BatchResult,
}


def schema_text() -> str:
    return state.schema_text("BatchWorkflow state", SCHEMA_MODELS)


if __name__ == "__main__":
    print(schema_text(), end="")
