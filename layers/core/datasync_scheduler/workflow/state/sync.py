"""The sync workflow's state: what enters a run, what each step receives and returns, how it ends.

Names follow DataSync and Step Functions: a *task execution* is one DataSync execution, an
*attempt* is one task execution of a run (a retry is the next attempt), a *run* is one execution of
the sync workflow. JSON is camelCase; `{"Error", "Cause"}` is Step Functions' own error output.

Every field of `SyncState` is present from Validate Sync Request on (null until a step writes
it), so every later state can read every field without a path that might be missing: Step
Functions fails a run whose `Parameters` path matches nothing (docs/aws-facts.md#state-paths).
`tests/template/test_state_contract.py` checks the ASL against these models, and
`docs/state-schema/sync.json` is their JSON Schema (`make schema` writes it).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from pydantic.alias_generators import to_camel

from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.workflow import state

JsonObject = dict[str, Any]
# The validated request travels as the user wrote it: options not given stay absent, not null (its
# `firing` in camelCase, as the schedules file and the batch write it).
Request = Annotated[
    SyncRequest,
    PlainSerializer(
        lambda request: request.model_dump(mode="json", exclude_none=True, by_alias=True), return_type=dict
    ),
]


class Contract(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are refused, not dropped."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
    # Fields renamed since an earlier definition: {former name: name}. A run runs to its end on the
    # definition it started with while the functions are replaced at once, so a run begun before an
    # update still sends the former names (docs/aws-facts.md#updating-a-running-workflow). They are
    # read, never written.
    former_names: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _read_former_names(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not any(former in data for former in cls.former_names):
            return data
        renamed = dict(data)
        for former, name in cls.former_names.items():
            if former in renamed:
                if name in renamed:
                    raise ValueError(f"both {former!r} and its new name {name!r} are given")
                renamed[name] = renamed.pop(former)
        return renamed

    def to_state(self) -> JsonObject:
        """The JSON a handler returns: aliases, JSON types, nulls kept (the next state reads them)."""
        return self.model_dump(mode="json", by_alias=True)


class CaughtError(BaseModel):
    """What a Catch writes: Step Functions' error name and cause (for a Lambda error, its JSON)."""

    model_config = ConfigDict(extra="forbid")

    Error: str
    Cause: str | None = None

    def lambda_error(self) -> LambdaError | None:
        """The Lambda's own error when the Cause is one (`errorMessage`, `errorType`, `requestId`)."""
        try:
            decoded = json.loads(self.Cause or "")
        except ValueError:
            return None
        if not isinstance(decoded, dict) or not ("errorMessage" in decoded or "errorType" in decoded):
            return None
        return LambdaError.model_validate(decoded)

    def message(self) -> str:
        """The error's own message: a Lambda's `errorMessage`, else the Cause, else the error name."""
        error = self.lambda_error()
        if error is not None and error.errorMessage:
            return error.errorMessage
        return self.Cause or self.Error


class LambdaError(BaseModel):
    """A Lambda function's error as Step Functions puts it in the Cause (docs/aws-facts.md#lambda-error-cause)."""

    model_config = ConfigDict(extra="ignore")

    errorMessage: str | None = None
    errorType: str | None = None
    requestId: str | None = None


FailedStep = Literal["Validate Sync Request", "Start Sync", "Check Sync", "Plan Next Attempt"]


class StepFailure(Contract):
    """The step whose failure ended the run early, and its error (a Catch's output, named)."""

    step: FailedStep
    error: CaughtError
    # Only for a rejected input: the run's input as it came, to name its task when its ARN is well formed.
    rejected_input: Any = None


WatchdogLimit = Literal["runDeadline", "phaseTimeLimit", "stall", "watchLimit"]


class WatchdogCancel(Contract):
    """Why the watchdog cancelled the task execution: which limit, in which DataSync phase."""

    limit: WatchdogLimit
    phase: str
    limit_seconds: int


class Unreachable(Contract):
    """The outage the fallback check is waiting out: its looks have failed since `since`."""

    service: str  # "DataSync", "DynamoDB"
    since: str  # ISO 8601, UTC: the first failed look of this outage
    looks: int  # failed looks so far
    cause: JsonObject  # the last look's error: {"where", "error", "message"} (domain.causes.Cause)


class OutageWaitedOut(Unreachable):
    """An outage Check Sync waited out in this attempt (the latest): it ended at `until`."""

    until: str  # ISO 8601, UTC: the first look that worked again


class Progress(Contract):
    """The task execution's byte and file counters at the last check, the status they were read
    in, and since when (ISO 8601) neither has changed: what the stall watchdog compares."""

    phase: str
    counters: dict[str, int]
    since: str


class StallSeen(Contract):
    """A stall the watchdog reported without cancelling (StallAction=report): the run's message
    says so; `since` is when the counters last moved."""

    phase: str
    since: str
    limit_seconds: int


class EndAnnounced(Contract):
    """DataSync's event said the task execution ended (`status`), DescribeTaskExecution did not
    agree yet: the check looks again, `looks` times so far since `since`."""

    status: str
    looks: int
    since: str


class TaskExecutionState(Contract):
    """`$.taskExecution`: what the workflow knows about the current attempt's task execution."""

    execution_arn: str
    status: str
    finished: bool = False
    abandoned: bool = False
    # How long Await Sync End waits for the end before Check Sync looks (its TimeoutSecondsPath).
    timeout_seconds: int
    adopted: bool | None = None
    cancelled_by: WatchdogCancel | None = None
    # Await Sync End's own failure (not its timeout) in this attempt: the run polled instead, and
    # the run result says so.
    await_error: CaughtError | None = None
    # Set while Check Sync cannot look (DataSync or the run ledger is unreachable); cleared by the
    # first look that works.
    unreachable: Unreachable | None = None
    # The last outage the check waited out in this attempt, for the run result to say so.
    waited_out: OutageWaitedOut | None = None
    # The stall watchdog's memory between checks, and a stall it reported without cancelling.
    progress: Progress | None = None
    stalled: StallSeen | None = None
    # Set while DataSync's end event and DescribeTaskExecution disagree; kept when they never agreed.
    end_announced: EndAnnounced | None = None
    # The checks this attempt has made: the run stops watching before Step Functions' limits would
    # end it without a message (docs/aws-facts.md#how-long-a-run-can-be-watched).
    looks: int = 0


class Attempts(Contract):
    """`$.attempts`: the run's attempts. `attempt` is the one planned or running (its number) and
    `scope` what it transfers; `done` summarises the attempts that ended, oldest first; `retry`,
    `waitSeconds` and `decision` are Plan Next Attempt's decision after the last one."""

    former_names: ClassVar[dict[str, str]] = {"attempts": "done"}

    attempt: int
    scope: JsonObject
    done: list[JsonObject]
    retry: bool
    wait_seconds: int
    decision: JsonObject | None = None


# `$.run` and `$.next` until they were named for what they hold.
_FORMER_STATE_NAMES = {"run": "taskExecution", "next": "attempts"}


class SyncState(Contract):
    """The state between steps, from Validate Sync Request to Report Run."""

    former_names: ClassVar[dict[str, str]] = _FORMER_STATE_NAMES

    request: Request | None
    started_at: str | None
    attempts: Attempts | None
    task_execution: TaskExecutionState | None = None
    # The bounded failure summary of the last analysed task execution (its executionArn says which).
    analysis: JsonObject | None = None
    analysis_error: CaughtError | None = None
    failure: StepFailure | None = None
    # Release Task's error when the task's lease could not be released (it then ends on its own).
    release_error: CaughtError | None = None


# --- What each Lambda step receives (its `Parameters`) and returns (at its `ResultPath`) ---------


class StepInput(Contract):
    former_names: ClassVar[dict[str, str]] = _FORMER_STATE_NAMES

    # `$$.Execution.Id`: the run's ARN, for log correlation and idempotency keys.
    workflow_execution: str


class ValidateSyncRequestInput(StepInput):
    input: Any


class StartSyncInput(StepInput):
    request: Request
    attempts: Attempts


class AwaitSyncEndInput(StepInput):
    token: str
    execution_arn: str


class AwaitSyncEndOutcome(Contract):
    """The function's own return value (Step Functions waits for the token's output instead)."""

    execution_arn: str
    status: str | None  # None: the look failed (the token is parked; the check looks later)
    resumed: bool


class CheckSyncInput(StepInput):
    # The run's request: its own deadline (`runDeadlineSeconds`), when it has one, is the watchdog's.
    # None for a run started before the state machine passed it (a deploy keeps a running
    # execution's definition, not its functions): the stack's deadline applies to it.
    request: Request | None = None
    task_execution: TaskExecutionState
    started_at: str | None


class AnalyzeRunInput(StepInput):
    task_execution: TaskExecutionState


class PlanNextAttemptInput(StepInput):
    request: Request
    started_at: str | None
    task_execution: TaskExecutionState
    attempts: Attempts
    analysis: JsonObject | None
    # Analyze Run's error when it failed: this attempt's when `analysis` is not this execution's
    # (every way to Plan Next Attempt passes Analyze Run, which writes one or the other).
    analysis_error: CaughtError | None = None


class ReportRunInput(StepInput):
    request: Request | None
    started_at: str | None
    attempts: Attempts | None
    task_execution: TaskExecutionState | None
    analysis: JsonObject | None
    analysis_error: CaughtError | None
    failure: StepFailure | None
    release_error: CaughtError | None = None


class Verdict(Contract):
    status: Literal["SUCCEEDED", "FAILED"]
    error: str
    reason: str


class RunResult(Contract):
    """The run's result: the Succeed state's output, and what the message is rendered from."""

    model_config = ConfigDict(extra="allow")  # the result's detail (phases, counters, attempts) is data

    verdict: Verdict
    task_arn: str | None = None
    execution_arn: str | None = None
    status: str | None = None
    # Only when the message could not be published (absent otherwise: the workflow asks IsPresent);
    # the verdict stands and the alarm counts it.
    notification_error: CaughtError | None = Field(default=None, exclude_if=lambda error: error is None)
    # Only when the run's own message was not published by its firing's choice (`perTaskMessages`):
    # where it went instead, "in the firing's digest" (absent otherwise).
    message: str | None = Field(default=None, exclude_if=lambda message: message is None)


class ReportRunOutput(Contract):
    """Report Run's output, which replaces the state: what the verdict and the run's output are read from.

    The message itself is published by Report Run and never travels in the state."""

    result: RunResult
    message_id: str | None = None


class ReportFailedState(SyncState):
    """The state after Report Run's Catch: the state it was given, and its error."""

    report_error: CaughtError
    # DynamoDB's GetItem answer for the run message's mark (its `Item` only when Report Run had
    # published the message before failing): the plain message is sent only without it.
    published_message: JsonObject | None = None


class RunEnd(Contract):
    """How a run ends: SUCCEEDED with `RunResult` as output, or FAILED with `error` and `cause`."""

    status: Literal["SUCCEEDED", "FAILED"]
    output: RunResult | None = None
    error: str | None = None
    cause: str | None = None


SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "SyncState": SyncState,
    "ReportFailedState": ReportFailedState,
    "ReportRunOutput": ReportRunOutput,
    "ValidateSyncRequestInput": ValidateSyncRequestInput,
    "StartSyncInput": StartSyncInput,
    "AwaitSyncEndInput": AwaitSyncEndInput,
    "CheckSyncInput": CheckSyncInput,
    "AnalyzeRunInput": AnalyzeRunInput,
    "PlanNextAttemptInput": PlanNextAttemptInput,
    "ReportRunInput": ReportRunInput,
    "RunResult": RunResult,
}


def schema_text() -> str:
    return state.schema_text("SyncWorkflow state", SCHEMA_MODELS)


if __name__ == "__main__":
    print(schema_text(), end="")
