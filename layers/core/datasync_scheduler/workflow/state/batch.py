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
    """The batch's input (the schedule's or a person's): sync requests and a concurrency limit.

    Validate Batch checks it (each task exactly as a single run's input is checked); the Map reads
    the requests from here, as they came, so they are never copied into the state.
    """

    tasks: list[JsonObject]
    max_concurrency: int
    # A named schedule's firing the batch runs for: its digest, each run's message policy and route.
    firing: Firing | None = None


class ValidateBatchInput(Contract):
    """Validate Batch's `Parameters`: the batch's input as it came, its ARN and name."""

    input: Any
    batch_execution: str
    batch_name: ExecutionName


class ValidatedBatch(Contract):
    """What Validate Batch returns (`$.batch`): each task's run name, in the tasks' order."""

    names: list[ExecutionName]
    max_concurrency: Annotated[int, Field(ge=1, le=100)]
    # The firing the batch runs for: Summarize Batch's digest. Absent (not null) for a batch started
    # without one, so the fallback's Choice asks `$.batch.firing.route` with IsPresent on a path that
    # never goes through a null (docs/aws-facts.md#state-paths).
    firing: Firing | None = Field(default=None, exclude_if=lambda firing: firing is None)
    # What the Map adds to every task's request (`States.JsonMerge`): `{"firing": …}` as each run
    # gets it (domain/per_task_messages.py `firing_for_each_run`), or `{}` without a firing.
    run_request_fields: JsonObject = Field(default_factory=dict)


class ValidateBatchOutput(Contract):
    """Validate Batch's return value, which replaces the state: the batch's input is not carried on."""

    batch: ValidatedBatch


# --- One task of the Map ---------------------------------------------------------------------------


class TaskItem(Contract):
    """One Map item (`ItemSelector`): the task's index, its run's name and its request as given."""

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


class BatchProgress(Contract):
    """`$.batch`: validated and run (`names`, `maxConcurrency`, `results`), or not started.

    `results` has one entry per task; each names its task's index (the Map's `$$.Map.Item.Index`).
    """

    names: list[ExecutionName] | None = None
    max_concurrency: int | None = None
    firing: Firing | None = None
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
    tasks: list[TaskOutcomeResult]
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

    Computed by intrinsic functions from `$.batch.results`, with no code of ours in the way.
    """

    tasks: Count
    any_failed: bool
    failed: Count | None = None
    outcome: Literal["succeeded", "failed"] | None = None


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
