"""Every port: the small interfaces the workflow steps need from AWS, in one place; adapters implement them.

Each Protocol states the semantics the steps rely on, not only the signatures: an adapter and the
in-memory fake of the tests (`tests/fakes.py`) both keep them, and one contract suite
(`tests/contract/`) runs against both so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.execution_record import TaskExecutionRecord
from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler.domain.run_history import RunHistoryEntry
from datasync_scheduler.domain.schedule_group import DeployedSchedule
from datasync_scheduler.domain.schedules import SchedulesFile
from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.domain.task_lease import LeaseHolder
from datasync_scheduler.domain.where import Where


class StartRefused(Exception):
    """DataSync rejected the start (bad task, bad options, busy task without queueing): permanent.

    Part of the port's contract: the workflow catches it by this name."""


class ApiCallFailed(Exception):
    """An AWS call failed after the SDK's own retries; `cause` names the operation and its error code.

    Raised by the adapters where a step can carry on without the answer and must say why (the
    analysis, the task's settings, the failure report); the step decides by the code, never the text."""

    def __init__(self, cause: Cause) -> None:
        super().__init__(cause.describe())
        self.cause = cause


class ServiceUnreachable(ApiCallFailed):
    """An AWS call failed in a way that passes (throttling, a server error, a timeout, a lost
    connection) even after the SDK's own retries: the answer exists, it could not be had now.

    `service` names the AWS service for a person ("DataSync", "DynamoDB"); the cause names the
    operation and its error code. Raised by the adapters the watching steps use, so a step can wait
    the outage out instead of failing (docs/aws-facts.md#transient-aws-errors)."""

    def __init__(self, cause: Cause, service: str) -> None:
        super().__init__(cause)
        self.service = service


class ServiceThrottled(ServiceUnreachable):
    """A `ServiceUnreachable` whose error is throttling: named apart, so a verdict says "throttled"."""


class ExecutionNotFound(ApiCallFailed):
    """DataSync answers InvalidRequestException for a task execution it once started: it no longer
    knows it (its task was deleted, or its history is gone). docs/aws-facts.md#deleted-tasks"""


class TaskNotFound(ApiCallFailed):
    """DataSync answers InvalidRequestException for a task it once ran: the task was deleted.
    docs/aws-facts.md#deleted-tasks"""


class DataSyncPort(Protocol):
    """DataSync's tasks and task executions, as the steps use them.

    A task execution's ARN is its task's ARN plus `/execution/exec-<id>`
    (docs/aws-facts.md#datasync-executions-and-events). Errors other than `StartRefused` (throttling,
    a lost response, an execution or task DataSync does not know) are raised as they come: the
    workflow's Retry and Catch decide what they mean.
    """

    def start(self, request: SyncRequest, tags: dict[str, str], scope: dict[str, Any] | None = None) -> str:
        """Starts one task execution of `request.taskArn`, tagged with `tags`; returns its ARN.

        Not idempotent: DataSync's start has no client token, so every call that succeeds starts
        another execution. A caller that may be repeating itself looks first with `find_started`.
        The new execution is QUEUED; while another execution holds the task it waits behind it
        (DataSync's FIFO queue) unless the task's TaskQueueing is DISABLED, which refuses the start.
        `scope` narrows a retry: `{"kind": "includes", "includes": …, "excludes": …}` replaces the
        filters, `{"kind": "manifest", "manifest": {"bucket", "key", "roleArn"}}` names a manifest;
        None or `{"kind": "all"}` runs the request as it is.
        Raises `StartRefused` when DataSync refuses the start (an unknown task, options it rejects,
        a busy task that does not queue).
        """
        ...

    def find_started(self, task_arn: str, tags: dict[str, str]) -> str | None:
        """An unfinished execution of the task (not SUCCESS or ERROR) that carries every one of
        `tags`, or None. A finished execution is never returned: a start whose execution already
        ended is not adopted. Raises `StartRefused` when the task does not exist (its start would be
        refused too)."""
        ...

    def describe(self, execution_arn: str) -> ExecutionSnapshot:
        """What DataSync says about the execution now (status, counters, Result).

        Raises `ServiceUnreachable` when DataSync cannot answer now (throttling, a server error),
        `ExecutionNotFound` when it does not know the execution (InvalidRequestException)."""
        ...

    def cancel(self, execution_arn: str) -> None:
        """Asks DataSync to cancel an unfinished execution: it shows CANCELLING at once and ends in
        ERROR (docs/aws-facts.md#datasync-executions-and-events). Callers cancel only an execution
        they have just seen unfinished."""
        ...

    def task_name(self, task_arn: str) -> str | None:
        """The task's name, or None when it has none or cannot be described: decoration only, never
        raises for a task that is gone."""
        ...

    def task(self, task_arn: str) -> TaskFacts:
        """What DescribeTask says: status (AVAILABLE, QUEUED, RUNNING, …), the current execution,
        the task's own filters, options and report and log settings. Raises `ApiCallFailed` when
        DescribeTask fails: `ServiceUnreachable` when DataSync cannot answer now, `TaskNotFound`
        when it does not know the task (InvalidRequestException)."""
        ...


class LedgerPort(Protocol):
    """The run ledger: one record per task execution, and one line of history per workflow run.

    Times are kept to the millisecond, in UTC. Every write is a single atomic update of one record,
    so concurrent callers (an event and a check, two copies of one event) never lose each other's
    writes (docs/aws-facts.md#the-run-ledger-and-task-tokens). Writing to an execution that has no
    record yet opens it, its task ARN taken from the execution ARN.
    """

    def register_start(
        self, execution_arn: str, workflow_execution: str | None, at: datetime, attempt: int = 1
    ) -> None:
        """Opens the execution's record: which workflow run started it, when, as which attempt.

        Idempotent: a repeated Start Sync writes the same values again. A later call replaces the
        start time and attempt (and the workflow run, when it names one); it never touches phase
        times, the task token or the cancel note.
        """
        ...

    def record_status(self, execution_arn: str, status: str, at: datetime, *, from_event: bool = False) -> None:
        """Records that the execution was in `status` at `at`.

        A phase time only ever moves earlier: the record keeps the first time each status was seen,
        so a late, duplicated or reordered event (or a check that saw the status after its event)
        converges on the same record whatever order the writes come in. `from_event` also notes that
        DataSync's event for this status arrived (evidence that events flow); repeating it adds
        nothing. Raises ValueError for a status that is not a DataSync word
        (`phases.is_well_formed`), and writes nothing then.
        """
        ...

    def store_token(self, execution_arn: str, token: str, at: datetime) -> None:
        """Parks the waiting workflow's task token on the execution, replacing any older one."""
        ...

    def claim_token(self, execution_arn: str) -> str | None:
        """Takes the stored token away and returns it; None when there is none (never stored, or
        already claimed). Atomic: of any number of callers, exactly one gets a given token, so the
        workflow is resumed at most once per token."""
        ...

    def restore_token(self, execution_arn: str, token: str) -> None:
        """Puts a claimed token back after resuming with it failed, so the next event or check can
        try again; does nothing when a token was stored meanwhile (the newer one wins)."""
        ...

    def note_cancel(self, execution_arn: str, note: str, at: datetime) -> None:
        """Notes that the watchdog asked for a cancel (or gave up) and why. The first note and its
        time are kept: a later note never replaces them."""
        ...

    def get(self, execution_arn: str) -> TaskExecutionRecord | None:
        """The execution's record as last written (a strongly consistent read), or None when nothing
        was ever written for it. Its current status is the most advanced status recorded."""
        ...

    def record_run(self, entry: RunHistoryEntry) -> None:
        """Writes the run's line of history, keyed by its workflow execution: a retried Report Run
        replaces the line it wrote before instead of adding a second one."""
        ...


class TaskLeasePort(Protocol):
    """One lease per DataSync task, held by the workflow run (its execution id) that may start it.

    Taking a lease is one atomic conditional write: of any number of runs asking at once, exactly
    one gets a free lease (docs/aws-facts.md#the-task-lease). A lease whose end has passed is free,
    whether or not its item is still stored: TTL deletion is lazy, so the write compares the times
    itself. Times are kept to the second.
    """

    def acquire(self, task_arn: str, owner: str, now: datetime, until: datetime, request: str) -> LeaseHolder | None:
        """Takes the task's lease for `owner` until `until`, or renews it when `owner` holds it
        already (a retried start, a later look of the same run); returns None then. When another
        owner holds a lease that has not ended at `now`, nothing is written and the holder is
        returned. `request` is the digest of the owner's request, kept with the lease."""
        ...

    def renew(self, task_arn: str, owner: str, now: datetime, until: datetime) -> bool:
        """Moves the end of `owner`'s lease to `until`; True when `owner` held it (even one that
        ended at `now` but that nobody took since). False, writing nothing, when the lease is
        another's or there is none."""
        ...

    def release(self, task_arn: str, owner: str) -> None:
        """Ends `owner`'s lease on the task. Does nothing when the lease is another owner's, or
        there is none: a run never frees a lease it does not hold."""
        ...

    def holder(self, task_arn: str) -> LeaseHolder | None:
        """The lease as stored (a strongly consistent read), ended or not; None when there is none."""
        ...


class RunHistory(Protocol):
    """The lines `LedgerPort.record_run` wrote, for the operator's `history` command."""

    def history(
        self, task_arn: str | None = None, limit: int = 10, *, schedule: str | None = None
    ) -> list[RunHistoryEntry]:
        """The last `limit` runs by end time, newest first: of one task, or of every task (runs
        that never named a valid task included); with `schedule`, only the runs of that named
        schedule's firings (of that task, when both are given). Execution records are never listed."""
        ...

    def run(self, workflow_execution: str) -> RunHistoryEntry | None:
        """The run's line of history (a strongly consistent read), or None when the run wrote none:
        it never ended, or its line expired. Never an execution record."""
        ...


class CallbackPort(Protocol):
    def resume(self, token: str, output: Any) -> bool:
        """Completes the task waiting on `token` with `output` (JSON-serialisable); True when Step
        Functions took it.

        False when the token is no longer valid: the task timed out (the fallback check took over),
        was already completed, or the token was never one (TaskTimedOut, InvalidToken,
        TaskDoesNotExist: docs/aws-facts.md#the-run-ledger-and-task-tokens). A token completes its
        task once: resuming with it again answers False. Any other failure raises, and the caller
        puts the token back (`LedgerPort.restore_token`).
        """
        ...


class LineUpload(Protocol):
    """One object written from lines (a retry's manifest), held whole nowhere."""

    def write(self, lines: Iterable[bytes]) -> str:
        """Writes the object whose content is every line of `lines` in order, each as given (the
        caller ends it with its newline; no lines: an empty object, not a missing one), and returns
        its `s3://bucket/key` location. Raises `ApiCallFailed` when the store refuses it. An
        exception `lines` raises propagates unchanged. Either way nothing half-written is left."""
        ...


class TopicPort(Protocol):
    """The notification topic: one message per run or batch, rendered per protocol."""

    def publish(self, *, subject: str, structured: str, attributes: Mapping[str, Mapping[str, str]]) -> str:
        """Publishes one message (`structured`: SNS's `MessageStructure=json` body, one rendering per
        protocol) with its filter attributes; returns SNS's MessageId. Raises when SNS did not take it
        after the adapter's own retries: publishing twice is not prevented here but by the caller."""
        ...


class LogGroupMissing(Exception):
    """The log group does not exist (never created, deleted, or in another Region): part of the
    `LogSource` contract, so a step may tell a missing group from one it cannot read."""


class NotEmitted(Exception):
    """EventBridge did not take an event (the call failed after the client's retries, or PutEvents
    answered the entry with an ErrorCode). Part of the port's contract: emitting is best effort."""


@dataclass(frozen=True)
class EventEntry:
    """One PutEvents entry, checked against PutEvents' limits by its builder (workflow/events.py)."""

    source: str
    detail_type: str
    detail: str  # a JSON object
    resources: tuple[str, ...] = ()


class EventBusPort(Protocol):
    """The event bus the scheduler's own events go to (docs/aws-facts.md#eventbridge-putevents)."""

    def put(self, entry: EventEntry) -> str:
        """Puts one event on the bus; returns its event ID. Raises `NotEmitted` when EventBridge did
        not take it after the adapter's retries (a failed entry included: PutEvents answers 200 with
        the entry's ErrorCode)."""
        ...


class LogSource(Protocol):
    """An execution's CloudWatch log events (`adapters/execution_logs.py`)."""

    def events(
        self, log_group: str, start: datetime, end: datetime, filter_pattern: str | None = None
    ) -> Iterator[tuple[str, str]]:
        """Every event of `log_group` between `start` and `end` that matches `filter_pattern`, as
        (message, log stream name), page by page in the order CloudWatch Logs returns them. Raises
        `LogGroupMissing` when the group does not exist, `ApiCallFailed` when it cannot be read."""
        ...


class ReportSource(Protocol):
    """DataSync's detailed task reports in S3 (`adapters/task_reports.py`)."""

    def detailed_documents(self, bucket: str, prefix: str) -> Iterator[Any]:
        """Every JSON document of the detailed report under `prefix`, parsed, one per object."""
        ...

    def has_detailed(self, bucket: str, prefix: str) -> bool:
        """Whether any object of a detailed report exists under `prefix`."""
        ...


class FailureSink(Protocol):
    """Where the complete list of one execution's failed files goes (the failure report)."""

    def store(self, failures: Iterable[FileFailure]) -> str | None:
        """Takes every failure of `failures` as they come and returns where the complete list is,
        or None when there is no list to point to (no failure, or a sink that prints). Raises
        `ApiCallFailed` when the store refuses the list; an exception `failures` raises propagates
        unchanged. Either way nothing half-written is left."""
        ...


class ChatWebhook(Protocol):
    """Slack's incoming webhook (`adapters/slack_webhook.py`)."""

    def post(self, payload: dict[str, Any]) -> None:
        """Delivers one payload; raises SlackDeliveryFailed when it could not."""
        ...


class OncePerMessage(Protocol):
    """The memory of messages already posted (`adapters/posted_messages.py`)."""

    def __call__(self, key: str, post: Callable[[], None]) -> bool:
        """Runs `post` unless a post under `key` completed before; True when it ran. What `post`
        raises propagates, and the key is then not taken."""
        ...


class ScheduleBook(Protocol):
    """The schedules file as deployed with the stack: the one the schedule group was made from."""

    def schedules(self) -> SchedulesFile:
        """The deployed file, checked (`domain/schedules.py`); raises InvalidSchedules when it is not
        valid, so a firing of a broken file ends with a message naming the field, never guesses."""
        ...


class TaggedTasks(Protocol):
    """DataSync tasks found by their tags, in one Region and account the stack reaches."""

    def tagged(self, key: str, value: str, where: Where) -> list[str]:
        """The ARN of every task in `where` tagged `key`=`value` exactly, each once, in any order. Every page of
        tasks and of each task's tags is read. A task deleted while it is looked at is left out.
        Raises `ApiCallFailed` when DataSync refuses the listing after the client's retries."""
        ...


@dataclass(frozen=True)
class FiringArrival:
    """A named schedule's firing as Validate Batch received it: the first batch it started."""

    schedule: str
    scheduled_time: datetime
    batch_execution: str
    arrived_at: datetime


class FiringArrivals(Protocol):
    """Each firing's arrival, kept so that a health check can tell a firing that never came."""

    def record(self, schedule: str, scheduled_time: datetime, batch_execution: str, *, arrived_at: datetime) -> bool:
        """Records the firing's arrival once: True for its first arrival, False when it was recorded
        already (Scheduler delivered it again); the first record is kept. Raises `ApiCallFailed`
        when the store refuses it."""
        ...

    def arrived(self, schedule: str, scheduled_times: Sequence[datetime]) -> list[FiringArrival]:
        """The arrivals recorded for these scheduled times of the schedule (compared as instants),
        in the order of `scheduled_times`; a time without one is left out."""
        ...


class HealthNotices(Protocol):
    """The Health Check's messages, one per notice (a firing's preflight, a missed firing): each is
    claimed before it is published and marked sent once SNS took it, so that two checks at once,
    or every check until the firing, publish it once."""

    def was_sent(self, key: str) -> bool:
        """Whether the notice `key` went out already (a cheap look before preflight runs again)."""
        ...

    def claim(self, key: str, now: datetime) -> bool:
        """Claims the notice for this check: False when it was sent, or another check claimed it
        less than a claim's lifetime ago (a claim whose check died is taken over after that).
        Raises `ApiCallFailed` when the store refuses it."""
        ...

    def sent(self, key: str, message_id: str, at: datetime) -> None:
        """Marks the claimed notice sent, with SNS's MessageId: no check publishes it again."""
        ...

    def release(self, key: str) -> None:
        """Gives the claim up (its publish failed): the next check tries again."""
        ...


class BatchObjects(Protocol):
    """A batch's objects in S3: the Map's items, and the results the Map run writes there."""

    def put_json(self, key: str, document: Any) -> tuple[str, str]:
        """Writes `document` as one JSON object at `key`; returns (bucket, key). Raises
        `ApiCallFailed` when S3 refuses it."""
        ...

    def get_json(self, bucket: str, key: str) -> Any:
        """The JSON document at `bucket`/`key`, parsed. Raises `ApiCallFailed` when it cannot be read."""
        ...


class ScheduleGroupPort(Protocol):
    """The stack's EventBridge Scheduler schedule group: the schedules it holds, and changing them."""

    def deployed(self) -> dict[str, DeployedSchedule]:
        """Every schedule in the group, by name, as GetSchedule describes it."""
        ...

    def create(self, schedule: DeployedSchedule) -> None: ...

    def update(self, schedule: DeployedSchedule) -> None:
        """Replaces every field of the named schedule (UpdateSchedule keeps none of the old ones)."""
        ...

    def delete(self, name: str) -> None:
        """Deletes the named schedule; one already gone counts as deleted."""
        ...


# The ports each step is given, built once per container by `composition/wiring.py`.


@dataclass(frozen=True)
class Ports:
    """What every sync step talks to: DataSync, the run ledger, Step Functions' callbacks, the task lease."""

    datasync: DataSyncPort
    ledger: LedgerPort
    callbacks: CallbackPort
    lease: TaskLeasePort


@dataclass(frozen=True)
class AnalysisPorts:
    """What Analyze Run reads the failed files from, and where it writes the failure report."""

    logs: LogSource
    reports: ReportSource
    sink_for: Callable[[str], FailureSink]  # S3 key -> where the complete failure list goes


@dataclass(frozen=True)
class RetryPorts:
    """What Plan Next Attempt reads a failure report from, and where a retry's manifest goes."""

    failures: Callable[[str], Iterator[dict[str, Any]]]  # failure report location -> its items
    manifest_upload: Callable[[str], LineUpload]  # S3 key -> where the manifest goes
    manifest_bucket: str
    manifest_role_arn: str
    # Where the manifest's bucket and role are: the stack's own Region and account. None: unknown,
    # taken to be the task's (a test's ports).
    manifest_place: Where | None = None


@dataclass(frozen=True)
class RetryFailuresPorts:
    """What Validate Sync Request reads an earlier run's failures from, for a run that retries them."""

    runs: RunHistory
    # A SyncWorkflow run's input as it was started (Step Functions' DescribeExecution), None when
    # Step Functions does not know the run (never started, or its history is past retention).
    run_input: Callable[[str], Any | None]
    # A failure report's items by its location, None when there is no such object.
    failure_report: Callable[[str], Iterator[dict[str, Any]] | None]
    retry: RetryPorts
    datasync: DataSyncPort
